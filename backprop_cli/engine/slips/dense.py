"""The slips of the dense network's quantities: each a factory (ctx, node) -> Rule, a
variant of a rule in engine/grading/rules.py beside the rule it breaks, or None where the
slip cannot be made (a square matrix is needed to swap W and Wᵀ)."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.grading.defaults import DEFAULT
from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.grading.rules import (
    constant,
    fused_gradient,
    step,
    swap,
)
from backprop_cli.engine.grading.skips import with_skips
from backprop_cli.engine.model import Inputs
from backprop_cli.engine.slips.variants import Factory, Variant


def _spec(ctx: Inputs, l: int):
    return ctx.model.layers[l - 1]


def _trainable(ctx: Inputs, name: str) -> bool:
    return name in ctx.model.trainable_names()


def _square(W) -> bool:
    return W.shape[0] == W.shape[1]


def _transformed(rule: Rule, transform) -> Rule:
    alt = None if rule.alt is None else (rule.alt[0], _transformed(rule.alt[1], transform))
    # the transforms are a transpose, a scale or a sign: |T(s)| is their spread's
    spread = None if rule.spread is None else \
        (lambda v, w: np.abs(transform(rule.spread(v, w))))
    return Rule(rule.inputs, lambda *v: transform(rule.f(*v)),
                rule.elementwise and transform is not swap, alt, spread)


def _changed(transform) -> Factory:
    """The default rule of a node, its result transformed (its alternative too)."""
    return lambda ctx, node: _transformed(DEFAULT[node.kind](ctx, node), transform)


# ------------------------------------------------ ∂L/∂h_{l-1} = ∂L/∂a_l W_l (kind dh)
# (each with ∂L/∂a_m added for the residual connections that h_{l-1} joins: skips.py)


@with_skips
def updated_weights(ctx, node):
    """∂L/∂h_{l-1} through W_l after its update."""
    l = node.layer + 1
    if not _trainable(ctx, f"W{l}"):
        return None
    return Rule((f"da{l}", f"W{l}'"), lambda da, W: da @ W)


@with_skips
def transposed_weights(ctx, node):
    """∂L/∂h_{l-1} = ∂L/∂a_l Wᵀ: W and Wᵀ swapped (needs a square W_l)."""
    W = ctx.params[f"W{node.layer + 1}"]
    return Rule((f"da{node.layer + 1}",), lambda da: da @ W.T) if _square(W) else None


@with_skips
def own_output_only(ctx, node):
    """Each h_j through output j alone: ∂L/∂a_j W_jj (needs a square W_l)."""
    W = ctx.params[f"W{node.layer + 1}"]
    return Rule((f"da{node.layer + 1}",), lambda da: da * np.diagonal(W), True) \
        if _square(W) else None


def through_output(k: int) -> Factory:
    """Every h through output k alone: ∂L/∂a_k W_k (when the layer has outputs besides k)."""
    def factory(ctx, node):
        W = ctx.params[f"W{node.layer + 1}"]
        if W.shape[0] < 2 or k >= W.shape[0]:
            return None
        return Rule((f"da{node.layer + 1}",), lambda da: da[..., k:k + 1] * W[k])
    return with_skips(factory)


# ---------------------------------------- ∂L/∂a_l = ∂L/∂h_l ⊙ f'(a_l) (kinds da, da_out)


def derivative_at_h(ctx, node):
    """f' evaluated at h instead of a."""
    l, spec = node.layer, _spec(ctx, node.layer)
    if spec.activation in ("identity", "relu", "leaky_relu"):  # f'(h) is f'(a) there
        return None
    act = ACTIVATIONS[spec.activation]
    return Rule((f"dh{l}", f"h{l}"), lambda dh, h: act.backward(
        h, act.forward(h, spec.param)[0], None, dh, spec.param), spec.activation != "softmax")


def derivative_as_h(ctx, node):
    """h in place of f': ∂L/∂h ⊙ h."""
    l = node.layer
    return Rule((f"dh{l}", f"h{l}"), lambda dh, h: dh * h, True)


def derivative_with_a(ctx, node):
    """f′ written with a in place of h: a(1 − a) for σ′, 1 − a² for tanh′."""
    l, name = node.layer, _spec(ctx, node.layer).activation
    if name == "sigmoid":
        return Rule((f"dh{l}", f"a{l}"), lambda dh, a: dh * (a * (1.0 - a)), True)
    if name == "tanh":
        return Rule((f"dh{l}", f"a{l}"), lambda dh, a: dh * (1.0 - a * a), True)
    return None


def derivative_missing(ctx, node):
    """f' left out: ∂L/∂a = ∂L/∂h."""
    if _spec(ctx, node.layer).activation == "identity":
        return None
    return Rule((f"dh{node.layer}",), lambda dh: dh + 0.0, True)


def softmax_diagonal(ctx, node):
    """softmax's Jacobian as its diagonal: ∂L/∂h ⊙ s(1 - s) (also after -y/ŷ with CE)."""
    l = node.layer
    if _spec(ctx, l).activation != "softmax":
        return None
    return Rule((f"dh{l}", f"h{l}"), lambda dh, h: dh * (h * (1.0 - h)), True)


def derivative_extra(ctx, node):
    """(ŷ - y) ⊙ ŷ(1 - ŷ): σ' applied after the fused gradient, where it cancels."""
    return Rule((f"h{node.layer}",), lambda h: fused_gradient(ctx, h) * (h * (1.0 - h)),
                True)


def jacobian_extra(ctx, node):
    """softmax's full Jacobian applied to the fused gradient (ŷ - y)."""
    if _spec(ctx, node.layer).activation != "softmax":
        return None
    back = ACTIVATIONS["softmax"].backward
    return Rule((f"h{node.layer}",), lambda h: back(h, h, None, fused_gradient(ctx, h), None))


# ------------------------------------------------------ ∂L/∂W_l = δ_lᵀ h_{l-1} (kind dW)


def transposed_gradient(ctx, node):
    """∂L/∂W_l = h δᵀ: the gradient written transposed (needs a square W_l)."""
    if not _square(ctx.params[f"W{node.layer}"]):
        return None
    return _changed(swap)(ctx, node)


# ------------------------------------------------------------------ the update (new)


def update_added(ctx, node):
    """p + (p - p_new): the step added instead of subtracted."""
    if not _trainable(ctx, node.param):
        return None
    p = ctx.params[node.param]
    return Rule((f"d{node.param}",), lambda g: 2.0 * p - step(ctx, node.param, g)[0],
                True)


def bias_kept(ctx, node):
    """b' = b: the biases not updated."""
    if not node.param.startswith("b") or not _trainable(ctx, node.param):
        return None
    return constant(ctx.params[node.param])


def learning_rate(power: int) -> Factory:
    """The update with η^power for η: 0 leaves it out, 2 applies it twice."""
    def factory(ctx, node):
        lr = ctx.hyper["lr"]
        if not _trainable(ctx, node.param) or lr ** power == lr:
            return None
        hyper = {**ctx.hyper, "lr": lr ** power}
        return Rule((f"d{node.param}",), lambda g: step(ctx, node.param, g, hyper)[0],
                    True)
    return factory


# ------------------------------------------------------- the loss after the update


def loss_before_update(ctx, node):
    """The loss before the update given as the one after it."""
    return Rule((node.name[:-1],), lambda loss: loss + 0.0, True)  # loss' <- loss, data' <- data


# ----------------------------------------------------- the variants of the catalogue

_OUTPUT = ("loss", "dh_out", "da_out", "loss_after")  # the loss and its first gradient


def _scaled(factor: float) -> dict:
    return {kind: _changed(lambda v, f=factor: v * f) for kind in _OUTPUT}


def factor_2(ctx):
    return [Variant("x2", _scaled(2.0)), Variant("x1/2", _scaled(0.5))]


def mean_vs_sum(ctx):
    """Over samples the other way (N > 1), or over outputs (K > 1): mse and bce take a mean
    over outputs, cross-entropy and ½Σ a sum."""
    n, k = ctx.x.shape[0], ctx.y.shape[1]
    out = []
    if n > 1:
        out.append(Variant("samples", _scaled(n if ctx.model.reduction == "mean" else 1 / n)))
    if k > 1:
        mean = ctx.model.loss in ("mse", "bce")
        out.append(Variant("outputs", _scaled(k if mean else 1 / k)))
    return out


def sign(ctx):
    flip = _changed(lambda v: -v)
    return [Variant("gradient", {"dh_out": flip, "da_out": flip}),
            Variant("parameters", {"dW": flip, "db": flip, "dgamma": flip, "dbeta": flip,
                                   "dW_conv": flip, "db_conv": flip}),
            Variant("update", {"new": update_added})]


def no_fan_out(ctx):
    widest = max(ctx.units(l) for l in range(2, ctx.depth + 1)) if ctx.depth > 1 else 0
    return [Variant("diagonal", {"dh": own_output_only})] + \
        [Variant(f"output {k}", {"dh": through_output(k)}) for k in range(widest)]


def derivative(factory: Factory):
    """At the hidden layers, and at a fused output worked by the chain rule (∂L/∂ŷ ⊙ f′):
    two variants, so a slip made only at one of them is found."""
    return lambda ctx: [Variant("hidden", {"da": factory}),
                        Variant("output", {"da_out": factory})]
