"""The L2 penalty in the marking graph (engine/penalty.py computes the same): with `l2`
the loss is data + penalty, each a node (data, penalty, loss), and so after the update
(data', penalty', loss'); ∂L/∂W_l gets the penalty's term 2c·W_l. c depends on the form
(λ/2, λ/2m, λ, λ/m) and the batch size N; `form` picks another for the slip l2-form."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.penalty import FORMS


def _coefficient(ctx, form: str | None) -> float:
    p = ctx.model.penalty
    return FORMS[form or p.form].coefficient(p.lam, ctx.x.shape[0])


def _weights(ctx) -> list[str]:
    return [f"W{l}" for l, spec in enumerate(ctx.model.layers, 1) if spec.kind == "dense"]


def penalty(form: str | None = None):
    """c·Σ_l ΣW_l²: the weights are given, so a constant."""
    def factory(ctx, node):
        c = _coefficient(ctx, form)
        value = np.float64(c * sum(float((ctx.params[w] ** 2).sum()) for w in _weights(ctx)))
        return Rule((), lambda: value)
    return factory


def penalty_after(form: str | None = None):
    """c·Σ_l ΣW_l'² of the updated weights."""
    def factory(ctx, node):
        c = _coefficient(ctx, form)
        return Rule(tuple(f"{w}'" for w in _weights(ctx)),
                    lambda *W: c * sum(np.add.reduce(w * w, axis=(-2, -1)) for w in W),
                    spread=lambda v, w: sum(np.add.reduce(2.0 * c * np.abs(a) * b,
                                                          axis=(-2, -1)) for a, b in zip(v, w)))
    return factory


def total(ctx, node):
    """loss = data + penalty (and after the update)."""
    after = "'" if node.name.endswith("'") else ""
    return Rule((f"data{after}", f"penalty{after}"), lambda d, p: d + p, True,
                spread=lambda v, w: w[0] + w[1])


def with_penalty(factory, form: str | None = None):
    """∂L/∂W_l's rule with the penalty's term 2c·W_l added, where there is a penalty."""
    def wrapped(ctx, node):
        rule = factory(ctx, node)
        if rule is None or ctx.model.penalty is None:
            return rule
        term = 2.0 * _coefficient(ctx, form) * ctx.params[f"W{node.layer}"]
        return Rule(rule.inputs, lambda *v: rule.f(*v) + term, rule.elementwise,
                    spread=rule.spread)
    return wrapped


def forms(ctx) -> list[str]:
    """The forms other than the problem's (none without a penalty)."""
    p = ctx.model.penalty
    return [] if p is None else [f for f in FORMS if f != p.form and
                                 _coefficient(ctx, f) != _coefficient(ctx, None)]
