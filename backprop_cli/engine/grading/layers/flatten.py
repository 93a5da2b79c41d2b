"""Flatten in the marking graph: each sample's map (C, H, W) as one row, in (C, H, W)
order (the engine's own: a copy), or (H, W, C) with channels last; ∂L/∂h_{l−1} is ∂L/∂a_l
put back in (C, H, W) order. No parameters, nothing of its own to compute."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.grading.layers import GradedKind, on_input, spec


def _order(s) -> np.ndarray:
    """The (C, H, W)-order index of each entry of the row."""
    C, H, W = s.inp
    index = np.arange(C * H * W).reshape(C, H, W)
    return (index if s.order == "first" else index.transpose(1, 2, 0)).ravel()


def flattened(h, s):
    return np.asarray(h)[..., _order(s)]


def unflattened(da, s):
    return np.asarray(da)[..., np.argsort(_order(s))]


def forward_nodes(ctx, l: int) -> list:
    return []


def backward_nodes(ctx, l: int) -> list:
    return []


def _a(ctx, node):
    s = spec(ctx, node.layer)
    return on_input(ctx, node.layer, (), lambda h: flattened(h, s), s.order == "first",
                    spread=lambda v, w: flattened(w[0], s))


def _dh(ctx, node):
    s = spec(ctx, node.layer + 1)
    return Rule((f"da{node.layer + 1}",), lambda da: unflattened(da, s), s.order == "first",
                spread=lambda v, w: unflattened(w[0], s))


def run(ctx, l: int, h, params: dict):
    return flattened(h, spec(ctx, l))


def exact(node, sol):
    return None


KIND = GradedKind(forward_nodes, "a_flatten", backward_nodes, "dh_flatten",
                  {"a_flatten": _a, "dh_flatten": _dh}, run, exact)
