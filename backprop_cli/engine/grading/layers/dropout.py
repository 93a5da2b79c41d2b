"""Dropout in the marking graph: the file's mask and the scale (1/keep, inverted dropout;
1 with `scale: none`) are given, so

    a{l} = h_{l−1} ⊙ mask · scale          ∂L/∂h_{l−1} = ∂L/∂a_l ⊙ mask · scale

and in eval mode both are the identity. mask{l} and scale{l} are nodes a sheet may state
(constants); nothing else of its own to compute, no parameters.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.grading.layers import GradedKind, on_input, spec


def factors(ctx, l: int, mask: bool = True, scale: bool = True) -> np.ndarray:
    """mask · scale of layer l (N, n), either left out (1) for the slips; ones in eval."""
    s = spec(ctx, l)
    if s.mode == "eval":
        return np.ones((ctx.x.shape[0], ctx.units(l)))
    m = s.mask if mask else np.ones_like(s.mask)
    return m * (s.factor if scale else 1.0)


def _given(ctx, l: int) -> tuple:
    s = spec(ctx, l)
    if s.mode == "eval":
        return np.ones((ctx.x.shape[0], ctx.units(l))), 1.0
    return s.mask, s.factor


def forward_nodes(ctx, l: int) -> list[Node]:
    return [Node(f"mask{l}", "mask", l, (ctx.x.shape[0], ctx.units(l)), rows=True),
            Node(f"scale{l}", "scale", l, ())]


def backward_nodes(ctx, l: int) -> list[Node]:
    return []


def output(mask: bool = True, scale: bool = True):
    def factory(ctx, node):
        if (mask, scale) != (True, True) and spec(ctx, node.layer).mode == "eval":
            return None
        f = factors(ctx, node.layer, mask, scale)
        return on_input(ctx, node.layer, (), lambda h: h * f, True,
                        spread=lambda v, w: w[0] * np.abs(f))
    return factory


def input_gradient(mask: bool = True, scale: bool = True):
    def factory(ctx, node):
        l = node.layer + 1
        if (mask, scale) != (True, True) and spec(ctx, l).mode == "eval":
            return None
        f = factors(ctx, l, mask, scale)
        return Rule((f"da{l}",), lambda da: da * f, True, spread=lambda v, w: w[0] * np.abs(f))
    return factory


def _constant(value) -> Rule:
    value = np.asarray(value, dtype=np.float64)
    return Rule((), lambda: value)


RULES = {"mask": lambda ctx, node: _constant(_given(ctx, node.layer)[0]),
         "scale": lambda ctx, node: _constant(_given(ctx, node.layer)[1]),
         "a_drop": output(), "dh_drop": input_gradient()}


def run(ctx, l: int, h, params: dict, scale: bool = True):
    return h * factors(ctx, l, scale=scale)  # the same mask after the update


def exact(node, sol):
    if node.kind in ("mask", "scale"):
        return sol.forward.caches[node.layer - 1][node.kind]
    return None


KIND = GradedKind(forward_nodes, "a_drop", backward_nodes, "dh_drop", RULES, run, exact)
