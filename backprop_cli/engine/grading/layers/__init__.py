"""The layer kinds beyond dense in the marking graph: one module per kind (as engine/layers/
computes them), found through KINDS by the name a problem file spells: the norms and
dropout, and the map kinds (conv2d, the pools, flatten; their windows in windows.py).

Each kind's entry gives, for its layer l:

    forward(ctx, l) -> [Node]     its intermediates, before a{l} (node kind `a_kind`)
    backward(ctx, l) -> [Node]    after ∂L/∂a_l: its intermediates' gradients, its
                                  parameters' (graph.py adds their updates) and its running
                                  statistics after the update; ∂L/∂h_{l-1} follows (kind `dh`)
    rules                         node kind -> factory (ctx, node) -> Rule, as rules.DEFAULT
    run(ctx, l, h, params)        layer l's output before its activation, h with any leading
                                  dimensions: the forward pass after the update
    exact(node, solution)         a node's exact value, for the node kinds it adds

A person's values carry leading dimensions (sheets, perturbations) before the engine's
(N, n): the rules here reduce over axis −2 (the batch) or −1 (a sample's features). A
map kind's values are rows too, each sample's (C, H, W) map in that order, as the engine
holds them; only the answer sheet writes them as maps (output/grading/paths.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.grading.graph import Rule


@dataclass(frozen=True)
class GradedKind:
    forward: Callable
    a_kind: str
    backward: Callable
    dh: str
    rules: dict
    run: Callable
    exact: Callable


def spec(ctx, l: int):
    """Layer l's frozen settings (BatchNormSpec, ...)."""
    return ctx.model.layers[l - 1].settings


def on_input(ctx, l: int, inputs: tuple, f, elementwise=False, spread=None) -> Rule:
    """A rule whose f (and spread) take layer l's input h_{l-1} first: its node's value,
    or for the first layer x itself, a constant the rule closes over (not an input)."""
    if l > 1:
        return Rule((f"h{l - 1}", *inputs), f, elementwise, spread=spread)
    x = ctx.x
    return Rule(inputs, lambda *v: f(x, *v), elementwise and bool(inputs), spread=None
                if spread is None else (lambda v, w: spread([x, *v], [np.zeros(()), *w])))


def parameter(ctx, l: int, name: str, default: float) -> np.ndarray | float:
    """gamma{l} or beta{l} where the layer has it, else its neutral value (affine=False)."""
    return ctx.params.get(f"{name}{l}", default)


# The kind modules use the helpers above, so they are imported after them.
from backprop_cli.engine.grading.layers import (  # noqa: E402
    batchnorm,
    conv2d,
    dropout,
    embedding,
    flatten,
    layernorm,
    pooling,
    recurrent,
)

KINDS = {"batchnorm": batchnorm.KIND, "layernorm": layernorm.KIND, "dropout": dropout.KIND,
         "conv2d": conv2d.KIND, "maxpool2d": pooling.MAX, "avgpool2d": pooling.AVG,
         "flatten": flatten.KIND, "embedding": embedding.KIND,
         **dict.fromkeys(("rnn", "lstm", "gru"), recurrent._kind())}


def rules() -> dict:
    """Every kind's rules, by node kind."""
    return {k: f for kind in KINDS.values() for k, f in kind.rules.items()}


__all__ = ["KINDS", "GradedKind", "on_input", "parameter", "rules", "spec"]
