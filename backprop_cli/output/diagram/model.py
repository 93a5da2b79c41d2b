"""What a network diagram shows: the layers as columns of labelled neurons with the
numbers written under them, the weights on the edges, a block for each layer of another
kind (batch norm, layer norm, dropout, convolution, pooling, flatten: kinds.py says what
each block says), an arrow for each residual connection, a title. A feature map (the
input of a convolution, a convolution's or a pool's output) is one stack of its channels
rather than a column of neurons, and each convolution and pool adds a picture of its
window at work (maps.py). No geometry here (see layout.py) and no drawing (see
figure.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.model import DENSE
from backprop_cli.errors import counted
from backprop_cli.output.diagram import maps
from backprop_cli.output.diagram.kinds import block_lines, shape_text, unit_notes
from backprop_cli.output.fmt import fixed as number


@dataclass(frozen=True)
class Column:
    """One layer as drawn: its neurons' labels and, per neuron, the numbers to show."""

    name: str  # input, hidden 1, ..., output
    activation: str | None  # None for the input
    labels: tuple[str, ...]
    notes: tuple[tuple[str, ...], ...]  # lines written under each neuron (may be empty)
    map: tuple[int, int, int] | None = None  # (C, H, W): a feature map, one stack (label)


@dataclass(frozen=True)
class Block:
    """Layer l of another kind, drawn between columns l-1 and l: unit j to unit j."""

    kind: str  # as the problem file spells it: batchnorm, layernorm, dropout
    lines: tuple[str, ...]  # its name (BN₂), its settings, its statistics


@dataclass(frozen=True)
class Skip:
    """A residual connection: h_k (column k) added to a_l (column l)."""

    source: int
    target: int
    label: str  # + h1, + x


@dataclass(frozen=True)
class Network:
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    # W_l (n_l, n_{l-1}): the edges into column l; None for a layer of another kind
    weights: tuple[np.ndarray | None, ...]
    biases: tuple[np.ndarray | None, ...]  # b_l, or None: no bias node for column l
    values: bool  # write (or colour) the weights on the edges
    blocks: tuple[Block | None, ...] = ()  # per layer l (index l-1); () or None: dense
    skips: tuple[Skip, ...] = ()
    pictures: tuple[maps.Picture, ...] = ()  # each convolution's and pool's window

    def block(self, l: int) -> Block | None:
        """Layer l's block (l >= 1), None for a dense layer."""
        return self.blocks[l - 1] if self.blocks else None


def network(problem, fwd=None, grads=None, decimals: int = 4, biases: bool = True) -> Network:
    """The diagram of a problem; fwd (engine.Forward) adds each neuron's a and h, grads
    (engine.Gradients) its ∂L/∂a. Values are those of the first sample. A sequence
    exercise is drawn unrolled instead (sequences.py)."""
    model = problem.model
    if model.time is not None:
        from backprop_cli.output.diagram.sequences import unrolled  # it imports this module

        return unrolled(problem, fwd, grads, decimals)
    L = len(model.layers)
    sizes = [problem.x.shape[1]] + model.widths(problem.params, problem.x.shape[1])
    columns = tuple(_column(problem, l, n, fwd, grads, decimals) for l, n in enumerate(sizes))
    title = problem.title or os.path.basename(problem.source)
    dense = [spec.kind == DENSE for spec in model.layers]  # a convolution's W is its block's
    weights = tuple(problem.params.get(f"W{l}") if dense[l - 1] else None
                    for l in range(1, L + 1))
    bias = tuple(problem.params.get(f"b{l}") if biases and dense[l - 1] else None
                 for l in range(1, L + 1))
    blocks = tuple(None if spec.kind == DENSE else
                   Block(spec.kind, block_lines(spec, l, _cache(fwd, l), decimals))
                   for l, spec in enumerate(model.layers, 1))
    skips = tuple(Skip(spec.residual, l, f"+ {'x' if spec.residual == 0 else f'h{spec.residual}'}")
                  for l, spec in enumerate(model.layers, 1) if spec.residual is not None)
    shapes = [shape_text(c.map) if c.map else str(n) for c, n in zip(columns, sizes)]
    return Network(title, subtitle(problem, shapes, fwd, grads, decimals), columns, weights,
                   bias, fwd is not None, blocks, skips,
                   maps.pictures(problem, fwd, grads, decimals))


def _cache(fwd, l: int):
    """Layer l's intermediates (a kind's cache), None without values."""
    return None if fwd is None or not fwd.caches else fwd.caches[l - 1]


def _column(problem, l: int, n: int, fwd, grads, decimals: int) -> Column:
    """Layer l (0: the input) of n neurons."""
    L = len(problem.model.layers)
    name = "input" if l == 0 else "output" if l == L else f"hidden {l}"
    stem = "x" if l == 0 else "ŷ" if l == L else f"h{l}_"
    activation = _activation(problem.model.layers[l - 1]) if l else None
    shape = problem.model.map_of(l)
    if shape is not None:  # its numbers are in the windows' pictures
        return Column(name, activation, (stem.removesuffix("_"),), ((),), shape)
    notes = tuple(_notes(problem, l, j, fwd, grads, decimals) for j in range(n))
    return Column(name, activation, tuple(f"{stem}{j + 1}" for j in range(n)), notes)


def _notes(problem, l: int, j: int, fwd, grads, decimals: int) -> tuple[str, ...]:
    """The lines under neuron j of layer l: x; or a, h (and y at the output); ∂L/∂a."""
    last = l == len(problem.model.layers)
    lines = []
    if fwd is not None and l == 0:
        lines.append(f"x = {number(fwd.h[0][0, j], decimals)}")
    elif fwd is not None:
        spec = problem.model.layers[l - 1]
        if spec.kind != DENSE:  # what the kind computes before a_l: μ, σ², x̂, mask ...
            lines += unit_notes(spec, l, j, _cache(fwd, l), problem.params, decimals)
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


def subtitle(problem, sizes, fwd, grads, decimals: int, shows: str = "neurons show",
              rows: str | None = None) -> str:
    """Sizes (a map's C×H×W), loss, the loss's value (a mean over the samples in a batch,
    or over `rows`: an unrolled sequence's steps), and which sample the neurons (an
    unrolled sequence's boxes) show in a batch."""
    model = problem.model
    parts = [" → ".join(sizes), _loss(model)]
    n = problem.x.shape[0]
    batch = problem.batched or n > 1
    if fwd is not None:
        over = f"{model.reduction} over {rows or counted(n, 'sample')}" \
            if batch or rows else ""
        if fwd.parts:  # data loss + L2 penalty
            data, penalty = (number(v, decimals) for v in fwd.parts)
            over = f"data {data}{f', {over}' if over else ''}; L2 {penalty}"
        parts.append(f"L = {number(fwd.loss, decimals)}{f' ({over})' if over else ''}")
    if (fwd is not None or grads is not None) and batch:
        parts.append(f"{shows} sample 1 of {n}")
    return " · ".join(parts)


def _loss(model) -> str:
    """The loss as the subtitle names it: `loss mse`, with its L2 term (the form with λ
    for lambda: λ/2m·ΣW²), or what `loss: upstream` computes."""
    name = "loss upstream (L = Σ y ⊙ ŷ, y = ∂L/∂ŷ)" if model.loss == "upstream" else \
        f"loss {model.loss}"
    if model.penalty is None:
        return name
    form = model.penalty.form.replace("lambda", "λ")
    return f"{name} + L2 {form}·ΣW² (λ = {model.penalty.lam:g})"

