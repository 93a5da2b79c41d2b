"""The L2 penalty in the marking graph (engine/penalty.py computes the same), on every
weight, dense or convolution (not biases): with `l2` the loss is data + penalty, each a
node (data, penalty, loss), and so after the update (data', penalty', loss'); ∂L/∂W_l
gets the penalty's term 2c·W_l. c depends on the form (λ/2, λ/2m, λ, λ/m) and the batch
size N; `form` picks another for the slip l2-form."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.penalty import FORMS


def _coefficient(ctx, form: str | None) -> float:
    p = ctx.model.penalty
    return FORMS[form or p.form].coefficient(p.lam, ctx.x.shape[0])


def _weights(ctx) -> list[str]:
    """Every weight the penalty covers: the dense layers' and the convolutions' kernels."""
    return list(ctx.model.weights)


def _total(ctx, name: str, w):
    """The sum of the entries of w, shaped like weight `name` after any leading dimensions."""
    w = np.asarray(w)
    ndim = ctx.params[name].ndim
    return np.add.reduce(w.reshape(w.shape[:w.ndim - ndim] + (-1,)), axis=-1)


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
        c, names = _coefficient(ctx, form), _weights(ctx)
        return Rule(tuple(f"{w}'" for w in names),
                    lambda *W: c * sum(_total(ctx, n, w * w) for n, w in zip(names, W)),
                    spread=lambda v, w: sum(_total(ctx, n, 2.0 * c * np.abs(a) * b)
                                            for n, a, b in zip(names, v, w)))
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
