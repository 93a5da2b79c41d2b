"""What a network diagram shows of a convolution or a pool besides its block: a picture of
the window at work. The layer's input grid (sample 1, channel 1; its padding around it)
with the window of the first output cell on it, the kernel that window meets (a
convolution's first kernel, channel 1, as it multiplies: turned 180° with flip), and the
output grid a_l (channel 1) with that cell, then what the cell's value is. The numbers
come with the values (the forward pass), as the neurons' notes do; without them the
grids are empty and the lines say what is computed. No geometry here (grids.py) and no
drawing (figure.py)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.output.diagram.kinds import LOOKS, sub
from backprop_cli.output.fmt import fixed as number

WINDOWED = ("conv2d", "maxpool2d", "avgpool2d")  # the kinds that slide a window
CELL = "[1, 1, 1]"  # channel 1, row 1, column 1: the same index in either channel order


@dataclass(frozen=True)
class Grid:
    """One grid of numbers, its padding included: rows × cols cells."""

    caption: str
    rows: int
    cols: int
    texts: tuple[tuple[str, ...], ...] | None  # each cell as written; None: no values
    values: np.ndarray | None  # (rows, cols), a padding cell NaN; None: no values
    padding: tuple[int, int] = (0, 0)  # rows and columns of padding on each side
    window: tuple[int, int, int, int] | None = None  # (row, col, height, width) picked out
    mark: tuple[int, int] | None = None  # a max pool's largest cell of the window


@dataclass(frozen=True)
class Picture:
    """Layer l's window at work: grids left to right, the sign between each two, and the
    lines saying what the picked-out output cell is."""

    layer: int
    kind: str
    title: str
    grids: tuple[Grid, ...]
    between: tuple[str, ...]  # len(grids) - 1 signs
    lines: tuple[str, ...]


def pictures(problem, fwd=None, grads=None, decimals: int = 4) -> tuple[Picture, ...]:
    """One picture per convolution and pool of the problem, first sample."""
    return tuple(_picture(problem, l, spec, fwd, grads, decimals)
                 for l, spec in enumerate(problem.model.layers, 1) if spec.kind in WINDOWED)


def _texts(values: np.ndarray, fill: str, decimals: int) -> tuple[tuple[str, ...], ...]:
    return tuple(tuple(fill if np.isnan(v) else number(v, decimals) for v in row)
                 for row in values)


def _grid(caption: str, shape, core, padding=(0, 0), fill: str = "0", decimals: int = 4,
          window=None, mark=None) -> Grid:
    """A grid of a map (H, W) = shape, its numbers core (None: no values), with padding
    rows and columns of `fill` ("0", or −∞ for a max pool) on each side."""
    rows, cols = shape[0] + 2 * padding[0], shape[1] + 2 * padding[1]
    if core is None:
        return Grid(caption, rows, cols, None, None, padding, window, mark)
    values = np.full((rows, cols), np.nan)
    values[padding[0]:padding[0] + shape[0], padding[1]:padding[1] + shape[1]] = core
    return Grid(caption, rows, cols, _texts(values, fill, decimals), values, padding, window,
                mark)


def _picture(problem, l: int, spec, fwd, grads, decimals: int) -> Picture:
    settings = spec.settings
    g = settings.geometry
    (C, H, W), (C2, H2, W2), (kH, kW) = g.inp, settings.out, g.kernel
    conv, maxpool = spec.kind == "conv2d", spec.kind == "maxpool2d"
    inp = out = kernel = mark = None
    if fwd is not None:  # channel 1 of sample 1
        inp = fwd.h[l - 1][0].reshape(g.inp)[0]
        out = fwd.a[l - 1][0].reshape(settings.out)[0]
        kernel = problem.params[f"W{l}"][0, 0] if conv else None
        if conv and settings.flip:
            kernel = kernel[::-1, ::-1]
        if maxpool and fwd.caches:
            mark = divmod(int(fwd.caches[l - 1]["argmax"][0, 0, 0, 0]), kW)
    source = "x" if l == 1 else f"h{sub(l - 1)}"
    grids = [_grid(f"{source}, channel 1 of {C}", (H, W), inp, g.padding,
                   "−∞" if maxpool else "0", decimals, (0, 0, kH, kW), mark)]
    if conv:
        turned = " turned 180°" if settings.flip else ""
        grids.append(_grid(f"W{sub(l)} kernel 1, channel 1{turned}", (kH, kW), kernel,
                           decimals=decimals, window=(0, 0, kH, kW)))
    grids.append(_grid(f"a{sub(l)}, channel 1 of {C2}", (H2, W2), out, decimals=decimals,
                       window=(0, 0, 1, 1)))
    n = problem.x.shape[0]
    title = f"{LOOKS[spec.kind].short}{sub(l)}: the window of the first output cell" + \
        (f" (sample 1 of {n})" if n > 1 else "")
    return Picture(l, spec.kind, title, tuple(grids), ("⊛", "→") if conv else ("→",),
                   _lines(problem, l, spec, fwd, grads, decimals))


def _lines(problem, l: int, spec, fwd, grads, decimals: int) -> tuple[str, ...]:
    """What the first output cell is: its sum (over every input channel), its value, the
    activation's, and ∂L/∂a with the gradients."""
    g = spec.settings.geometry
    kH, kW = g.kernel
    a = f"a{sub(l)}{CELL}"
    if spec.kind == "conv2d":
        bias = f" + b{sub(l)}[1]" if spec.settings.bias else ""
        how = f"Σ window ⊙ kernel{bias}"
    elif spec.kind == "maxpool2d":
        how = "max of the window"
    else:
        how = f"Σ window / {kH * kW}"
    value = f" = {number(fwd.a[l - 1][0, 0], decimals)}" if fwd is not None else ""
    lines = [f"{a} = {how}{value}"]
    if spec.kind == "conv2d" and g.inp[0] > 1:
        lines.append(f"(Σ over all {g.inp[0]} input channels; channel 1 shown)")
    if spec.activation != "identity":
        h = "ŷ" if l == len(problem.model.layers) else f"h{sub(l)}"
        value = f" = {number(fwd.h[l][0, 0], decimals)}" if fwd is not None else ""
        lines.append(f"{h}{CELL} = {spec.activation}({a}){value}")
    if grads is not None:
        lines.append(f"∂L/∂{a} = {number(grads.a[l - 1][0, 0], decimals)}")
    return tuple(lines)
