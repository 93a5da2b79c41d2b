"""The quantities of a solution, one registry: each one's name (as the JSON document and
--get name it), what it is, its layer and how it is shaped. The report, the tables and the
Python API iterate over it, in its order, instead of each listing the quantities again.

    shape   "sample"      (N, n): a row per sample
            "map"         (N, C·H·W): a row per sample of feature maps (C, H, W), as the
                          model's map_of(layer) says; shown in the file's map shape
            "steps"       T steps per sample: (N, T, k), or rows (N, T·k) or (N·T, k)
                          that are that; shown (N, T, k)
            "feature"     (n,): one number per feature (batch norm's μ, σ²)
            "per-sample"  (N,): one number per sample (layer norm's μ, σ²)
            "number"      one number (dropout's scale)
            "param"       a parameter's shape, in the file's layout
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_cli.engine.layers import KINDS
from backprop_cli.engine.model import DENSE, Model


@dataclass(frozen=True)
class Quantity:
    name: str  # a2, mean2, W3, x
    what: str  # a, h, x, W, b, gamma, beta, or a kind's intermediate: mean, var, xhat, ...
    layer: int  # 0 for x
    shape: str


UNNUMBERED = ("h0", "c0")  # a recurrent layer's initial states: there is one such layer


def _intermediates(model: Model, l: int) -> list[Quantity]:
    spec = model.layers[l - 1]
    if spec.kind == DENSE:
        return []
    return [Quantity(f"{name}{l}", name, l, shape) for name, shape in KINDS[spec.kind].shown]


def stepped(model: Model, l: int) -> bool:
    """Layer l is recurrent: its cache's a and h (every step) stand for a_l and h_l, and
    its backward pass's intermediates are listed by the kind (backward_shown)."""
    spec = model.layers[l - 1]
    return spec.kind != DENSE and KINDS[spec.kind].backward_shown is not None


def _rows(model: Model, l: int) -> str:
    """How h_l (and a_l) is shaped: rows of feature maps, of steps, or rows."""
    if model.map_of(l) is not None:
        return "map"
    return "steps" if model.sequence(l) else "sample"


def _stepped_gradients(model: Model, l: int) -> list[Quantity]:
    return [Quantity(name if name in UNNUMBERED else f"{name}{l}", name, l, shape)
            for name, shape in KINDS[model.layers[l - 1].kind].backward_shown]


def forward(model: Model) -> list[Quantity]:
    """forward.*: each layer's intermediates (a kind's), then a_l and h_l (a recurrent
    layer's, every step, among its intermediates)."""
    out = []
    for l in range(1, len(model.layers) + 1):
        out += _intermediates(model, l)
        if stepped(model, l):
            continue
        out += [Quantity(f"a{l}", "a", l, _rows(model, l)),
                Quantity(f"h{l}", "h", l, _rows(model, l))]
    return out


def gradients(model: Model) -> list[Quantity]:
    """gradients.*, output to input: ∂L/∂h_l, ∂L/∂a_l and a kind's intermediates in the
    order the backward pass meets them (x̂, then σ², then μ); ∂L/∂x (single-layer
    exercises ask for it); then each layer's parameters, output to input. A kind's
    intermediate whose backward gives no gradient (eval mode) is left out by the caller."""
    L, out = len(model.layers), []
    for l in range(L, 0, -1):
        if stepped(model, l):
            out += _stepped_gradients(model, l)
            continue
        out += [Quantity(f"h{l}", "h", l, _rows(model, l)),
                Quantity(f"a{l}", "a", l, _rows(model, l))]
        out += reversed(_intermediates(model, l))
    out.append(Quantity("x", "x", 0, _rows(model, 0)))
    for l in range(L, 0, -1):
        out += [Quantity(name, name[:-len(str(l))], l, "param")
                for name in model.layers[l - 1].names(l)]
    return out
