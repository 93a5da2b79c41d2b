"""What a network diagram shows: the layers as columns of labelled neurons with the
numbers written under them, the weights on the edges, a title. No geometry here (see
layout.py) and no drawing (see figure.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.model import dense_only
from backprop_cli.errors import counted
from backprop_cli.output.fmt import fixed as number


@dataclass(frozen=True)
class Column:
    """One layer as drawn: its neurons' labels and, per neuron, the numbers to show."""

    name: str  # input, hidden 1, ..., output
    activation: str | None  # None for the input
    labels: tuple[str, ...]
    notes: tuple[tuple[str, ...], ...]  # lines written under each neuron (may be empty)


@dataclass(frozen=True)
class Network:
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    weights: tuple[np.ndarray, ...]  # W_l (n_l, n_{l-1}): the edges into column l
    biases: tuple[np.ndarray | None, ...]  # b_l, or None: no bias node for column l
    values: bool  # write (or colour) the weights on the edges


def network(problem, fwd=None, grads=None, decimals: int = 4, biases: bool = True) -> Network:
    """The diagram of a problem; fwd (engine.Forward) adds each neuron's a and h, grads
    (engine.Gradients) its ∂L/∂a. Values are those of the first sample."""
    dense_only(problem.model, "the network diagram (draw, --diagram)", problem.source)
    L = len(problem.model.layers)
    sizes = [problem.x.shape[1]] + [problem.params[f"W{l}"].shape[0] for l in range(1, L + 1)]
    columns = tuple(_column(problem, l, n, fwd, grads, decimals) for l, n in enumerate(sizes))
    title = problem.title or os.path.basename(problem.source)
    weights = tuple(problem.params[f"W{l}"] for l in range(1, L + 1))
    bias = tuple(problem.params.get(f"b{l}") if biases else None for l in range(1, L + 1))
    return Network(title, _subtitle(problem, sizes, fwd, grads, decimals), columns, weights,
                   bias, fwd is not None)


def _column(problem, l: int, n: int, fwd, grads, decimals: int) -> Column:
    """Layer l (0: the input) of n neurons."""
    L = len(problem.model.layers)
    name = "input" if l == 0 else "output" if l == L else f"hidden {l}"
    stem = "x" if l == 0 else "ŷ" if l == L else f"h{l}_"
    notes = tuple(_notes(problem, l, j, fwd, grads, decimals) for j in range(n))
    activation = _activation(problem.model.layers[l - 1]) if l else None
    return Column(name, activation, tuple(f"{stem}{j + 1}" for j in range(n)), notes)


def _notes(problem, l: int, j: int, fwd, grads, decimals: int) -> tuple[str, ...]:
    """The lines under neuron j of layer l: x; or a, h (and y at the output); ∂L/∂a."""
    last = l == len(problem.model.layers)
    lines = []
    if fwd is not None and l == 0:
        lines.append(f"x = {number(fwd.h[0][0, j], decimals)}")
    elif fwd is not None:
        lines.append(f"a = {number(fwd.a[l - 1][0, j], decimals)}")
        lines.append(f"h = {number(fwd.h[l][0, j], decimals)}")
    if grads is not None and l:
        lines.append(f"∂L/∂a = {number(grads.a[l - 1][0, j], decimals)}")
    if fwd is not None and last:
        lines.append(f"y = {number(problem.y[0, j], decimals)}")
    return tuple(lines)


def _activation(spec) -> str:
    """The activation's name, with its parameter when the problem sets one."""
    if spec.activation in ("leaky_relu", "elu") and spec.param is not None:
        which = "slope" if spec.activation == "leaky_relu" else "alpha"
        return f"{spec.activation} ({which} {spec.param:g})"
    return spec.activation


def _subtitle(problem, sizes, fwd, grads, decimals: int) -> str:
    """Sizes, loss, the loss's value, and which sample the neurons show in a batch."""
    model = problem.model
    parts = [" → ".join(map(str, sizes)), f"loss {model.loss}"]
    n = problem.x.shape[0]
    batch = problem.batched or n > 1
    if fwd is not None:
        over = f" ({model.reduction} over {counted(n, 'sample')})" if batch else ""
        parts.append(f"L = {number(fwd.loss, decimals)}{over}")
    if (fwd is not None or grads is not None) and batch:
        parts.append(f"neurons show sample 1 of {n}")
    return " · ".join(parts)

