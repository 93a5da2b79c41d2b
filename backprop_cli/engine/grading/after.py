"""The loss after the update, as a person computes it: the forward pass again with every
updated parameter, through each layer kind (the same dropout mask; batch norm's
statistics from the batch in train mode), rounding at each a_l and h_l they do not write
(the bump nodes ~a_l, ~h_l). With an L2 penalty this node is the data loss after the
update (penalty.py adds the penalty)."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.grading.layers import KINDS
from backprop_cli.engine.grading.rules import (
    activation,
    derivative,
    fused_gradient,
    linear,
    output_gradient,
    per_sample_loss,
    reduce_samples,
    swap,
)
from backprop_cli.engine.model import Inputs


def after_update(ctx: Inputs) -> tuple:
    """The inputs of the loss after the update: every parameter after it, and the hidden
    steps of the forward pass that computes it."""
    names = [f"{n}'" for n in ctx.model.parameter_names()]
    return tuple(names) + tuple(f"~{v}{l}" for l in range(1, ctx.depth + 1) for v in "ah")


def loss_after(ctx, node):
    return loss_after_with()(ctx, node)


def loss_after_with(slipped: dict | None = None):
    """The loss after the update's factory, the layers of the kinds in `slipped` (kind ->
    keyword arguments of its run) worked with a slip: a person who makes a slip in the
    forward pass makes it again after the update. None where no layer has such a kind."""
    slipped = slipped or {}

    def factory(ctx, node):
        kinds = {spec.kind for spec in ctx.model.layers}
        if slipped and not kinds & set(slipped):
            return None
        names = ctx.model.parameter_names()

        def f(*values):
            params = dict(zip(names, values[:len(names)]))
            bumps = values[len(names):]
            hs = [ctx.x]
            for l in range(1, ctx.depth + 1):
                a = layer_output(ctx, l, hs, params, slipped) + bumps[2 * l - 2]
                hs.append(activation(ctx, l, a) + bumps[2 * l - 1])
            return reduce_samples(ctx, per_sample_loss(ctx, hs[-1]))

        smooth = not any(ACTIVATIONS[spec.activation].kinked for spec in ctx.model.layers)
        # the spread below works dense layers only; other models by finite differences
        return Rule(after_update(ctx), f, spread=_loss_after_spread(ctx)
                    if smooth and ctx.model.plain else None)
    return factory


def layer_output(ctx, l: int, hs: list, params: dict, slipped: dict):
    """a_l from h_{l-1} (hs[l-1]) and the parameters: a dense layer's product (plus h_k
    with a residual connection, unless slipped["dense"] says skip=False), or another
    kind's output (layers/), with its slip's keywords."""
    spec = ctx.model.layers[l - 1]
    how = slipped.get(spec.kind, {})
    if spec.kind != "dense":
        return KINDS[spec.kind].run(ctx, l, hs[l - 1], params, **how)
    a = linear(hs[l - 1], params[f"W{l}"], params.get(f"b{l}"))
    return a if spec.residual is None or not how.get("skip", True) else a + hs[spec.residual]


def _loss_after_spread(ctx):
    """The loss after the update's spread from its derivative: one forward and one backward
    pass per sheet instead of a forward pass per input. For smooth activations only: at a
    kink a finite difference's one-sided slope is not the derivative."""
    names, L = ctx.model.parameter_names(), ctx.depth

    def spread(v, w):
        params, weights = dict(zip(names, v)), dict(zip(names, w))
        at, bumps = v[len(names):], w[len(names):]  # the bumps' values, their weights
        a, f, h = [None], [None], [ctx.x]  # f: the activation's own output, h = f + bump
        for l in range(1, L + 1):
            a.append(linear(h[-1], params[f"W{l}"], params.get(f"b{l}")) + at[2 * l - 2])
            f.append(activation(ctx, l, a[l]))
            h.append(f[l] + at[2 * l - 1])

        def weighted(g, weight):
            return (np.abs(g) * weight).sum(axis=tuple(range(-np.ndim(weight) + 1, 0)))

        dh = output_gradient(ctx, h[L])
        total = weighted(dh, bumps[2 * L - 1])
        da = fused_gradient(ctx, f[L]) if ctx.fused and not np.any(at[2 * L - 1]) else \
            derivative(ctx, L, a[L], f[L], dh)
        for l in range(L, 0, -1):
            total = total + weighted(da, bumps[2 * l - 2])
            total = total + weighted(swap(da) @ h[l - 1], weights[f"W{l}"])
            if f"b{l}" in weights:
                total = total + weighted(da.sum(axis=-2), weights[f"b{l}"])
            if l > 1:
                dh = da @ params[f"W{l}"]
                total = total + weighted(dh, bumps[2 * l - 3])
                da = derivative(ctx, l - 1, a[l - 1], f[l - 1], dh)
        return total

    return spread
