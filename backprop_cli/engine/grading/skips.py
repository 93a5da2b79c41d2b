"""Residual connections in the marking graph. `residual: k` on dense layer l makes
a_l = W_l h_{l−1} + b_l + h_k (h_0 = x), so h_k reaches the loss twice: ∂L/∂h_k is what
comes back through layer k + 1 plus ∂L/∂a_l, unchanged (∂a_l/∂h_k is the identity)."""

from __future__ import annotations

from backprop_cli.engine.grading.graph import Rule


def joining(ctx, k: int) -> list[int]:
    """The layers whose pre-activation gets h_k added."""
    return [l for l, spec in enumerate(ctx.model.layers, 1) if spec.residual == k]


def with_skip(factory):
    """a_l's rule with h_k added where layer l has a residual connection."""
    def wrapped(ctx, node):
        rule, k = factory(ctx, node), ctx.model.layers[node.layer - 1].residual
        if rule is None or k is None:
            return rule
        if k == 0:  # x: a constant, not an input
            x = ctx.x
            return Rule(rule.inputs, lambda *v: rule.f(*v) + x, rule.elementwise,
                        spread=rule.spread)
        spread = None if rule.spread is None else \
            (lambda v, w: rule.spread(v[:-1], w[:-1]) + w[-1])
        return Rule((*rule.inputs, f"h{k}"), lambda *v: rule.f(*v[:-1]) + v[-1],
                    spread=spread)
    return wrapped


def with_skips(factory):
    """∂L/∂h_k's rule (node layer k) with ∂L/∂a_l added for each layer l that h_k joins."""
    def wrapped(ctx, node):
        rule, extra = factory(ctx, node), tuple(f"da{l}" for l in joining(ctx, node.layer))
        if rule is None or not extra:
            return rule
        n = len(rule.inputs)
        spread = None if rule.spread is None else \
            (lambda v, w: rule.spread(v[:n], w[:n]) + sum(w[n:]))
        return Rule(rule.inputs + extra, lambda *v: rule.f(*v[:n]) + sum(v[n:]),
                    rule.elementwise, spread=spread)
    return wrapped


def without_skips(factory):
    """The slip residual-path-missing: the rule as if there were no residual connection,
    where there is one (None elsewhere: no slip to make)."""
    def wrapped(ctx, node):
        if node.kind.startswith("dh"):
            there = bool(joining(ctx, node.layer))
        else:
            there = ctx.model.layers[node.layer - 1].residual is not None
        return factory(ctx, node) if there else None
    return wrapped
