"""How each kind of quantity is computed from its inputs, as a person working by hand does:
the engine's activations, losses and optimizer rules, applied to values with any leading
dimensions (sheets, perturbations) before the engine's own (N, units) shapes.

Where the engine computes in a form a person does not (it keeps sigmoid(-a) and reads the
cross-entropy from a, for float64's sake), the rule here takes the textbook form from h:
σ' = h(1 - h), tanh' = 1 - h², L = -Σ y log ŷ. From exact inputs both agree to rounding;
from a person's rounded h only the textbook form gives back their number.

These are the dense network's rules; defaults.py gathers them with the layer kinds'
(layers/), the residual connections' (skips.py), the L2 penalty's (penalty.py) and the
loss after the update's (after.py) into DEFAULT, node kind -> factory (ctx, node) -> Rule.
engine/slips/ builds its variants from the same pieces.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.engine.grading.graph import Node, Rule, constants
from backprop_cli.engine.model import Inputs


def swap(m):
    """The transpose of the last two axes."""
    return np.swapaxes(m, -1, -2)


def linear(h, W, b):
    """a = h Wᵀ + b (torch.nn.Linear), for a batch of rows."""
    a = np.einsum("...ni,...oi->...no", h, W)  # many small products: faster than matmul
    return a if b is None else a + np.expand_dims(b, -2)  # b's leading axes before the rows


def bias(ctx: Inputs, l: int):
    return ctx.params.get(f"b{l}")


def activation(ctx: Inputs, l: int, a):
    spec = ctx.model.layers[l - 1]
    return ACTIVATIONS[spec.activation].forward(a, spec.param)[0]


def derivative(ctx: Inputs, l: int, a, h, dh):
    """∂L/∂a_l = ∂L/∂h_l ⊙ f'(a_l), f' written as textbooks write it (the activation's
    `textbook` form, where it has one)."""
    spec = ctx.model.layers[l - 1]
    act = ACTIVATIONS[spec.activation]
    if act.textbook is not None:
        return act.textbook(a, h, dh, spec.param)
    return act.backward(a, h, None, dh, spec.param)


def _xlogy(y, h):
    # 0 log 0 = 0, as the engine's losses take it
    return np.where(y != 0, y * np.log(np.where(y != 0, h, 1.0)), 0.0)


def per_sample_loss(ctx: Inputs, h):
    """Each sample's loss from the prediction ŷ: (..., N)."""
    y, loss = ctx.y, ctx.model.loss
    if loss == "cross_entropy":
        return -_xlogy(y, h).sum(axis=-1)
    if loss == "bce":
        return -(_xlogy(y, h) + _xlogy(1.0 - y, 1.0 - h)).mean(axis=-1)
    return LOSSES[loss].value(None, h, y)


def reduce_samples(ctx: Inputs, per_sample):
    total = per_sample.sum(axis=-1)
    return total if ctx.model.reduction == "sum" else total / np.shape(per_sample)[-1]


def output_gradient(ctx: Inputs, h):
    """∂L/∂ŷ of the reduced loss."""
    return LOSSES[ctx.model.loss].grad_h(None, h, ctx.y) * ctx.scale


def fused_gradient(ctx: Inputs, h):
    """∂L/∂a_L = (ŷ - y) times the batch factor, where the loss has that shortcut."""
    return LOSSES[ctx.model.loss].grad_a(None, h, ctx.y) * ctx.scale


def step(ctx: Inputs, name: str, g, hyper: dict | None = None):
    """(new parameter, new state) of torch.optim's rule, from the gradient g."""
    return optimizers.RULES[ctx.optimizer](ctx.params[name], g, ctx.state.get(name, {}),
                                           ctx.hyper if hyper is None else hyper)


def gradient_of(node: Node) -> str:
    return f"d{node.param}"


def _pointwise(ctx: Inputs, l: int) -> bool:
    """Layer l's activation acts entry by entry (softmax mixes a row)."""
    return ctx.model.layers[l - 1].activation != "softmax"


def constant(value) -> Rule:
    value = np.asarray(value, dtype=np.float64)
    return Rule((), lambda: value)


# ----------------------------------------------------------------------- the rules


def _a(ctx, node):
    l = node.layer
    W, b = ctx.params[f"W{l}"], bias(ctx, l)
    if l == 1:
        return constant(linear(ctx.x, W, b))
    return Rule((f"h{l - 1}",), lambda h: linear(h, W, b),
                spread=lambda v, w: linear(w[0], np.abs(W), None))


def _h(ctx, node):
    return Rule((f"a{node.layer}",), lambda a: activation(ctx, node.layer, a),
                _pointwise(ctx, node.layer))


def _loss(ctx, node):
    return Rule((f"h{ctx.depth}",), lambda h: reduce_samples(ctx, per_sample_loss(ctx, h)))


def _sum(ctx, node):
    return Rule((node.name[4:],), lambda v: v.sum(axis=(-2, -1)),
                spread=lambda v, w: w[0].sum(axis=(-2, -1)))


def _dh_out(ctx, node):
    return Rule((f"h{node.layer}",), lambda h: output_gradient(ctx, h), True)


def _da_out(ctx, node):
    """(ŷ − y), scaled; where the sheet wrote ∂L/∂ŷ, the chain rule from it, as it was
    worked (a forgotten 1/N or the negated Err convention is marked once, at ∂L/∂ŷ)."""
    return Rule((f"h{node.layer}",), lambda h: fused_gradient(ctx, h), True,
                alt=(f"dh{node.layer}", _da(ctx, node)))


def _da(ctx, node):
    l = node.layer
    return Rule((f"dh{l}", f"a{l}", f"h{l}"), lambda dh, a, h: derivative(ctx, l, a, h, dh),
                _pointwise(ctx, l))


def _dh(ctx, node):
    W = ctx.params[f"W{node.layer + 1}"]
    return Rule((f"da{node.layer + 1}",), lambda da: da @ W,
                spread=lambda v, w: w[0] @ np.abs(W))


def _dW(ctx, node):
    l = node.layer
    if l == 1:
        return Rule(("da1",), lambda da: swap(da) @ ctx.x,
                    spread=lambda v, w: swap(w[0]) @ np.abs(ctx.x))
    return Rule((f"da{l}", f"h{l - 1}"), lambda da, h: swap(da) @ h,
                spread=lambda v, w: swap(w[0]) @ np.abs(v[1]) + swap(np.abs(v[0])) @ w[1])


def _db(ctx, node):
    return Rule((f"da{node.layer}",), lambda da: da.sum(axis=-2),
                spread=lambda v, w: w[0].sum(axis=-2))


def _new(ctx, node):
    if node.param not in ctx.model.trainable_names():  # frozen: never changes
        return constant(ctx.params[node.param])
    return Rule((gradient_of(node),), lambda g: step(ctx, node.param, g)[0], True)


def _state(ctx, node):
    return Rule((gradient_of(node),), lambda g: step(ctx, node.param, g)[1][node.key], True)


def _bump(ctx, node):
    return constant(np.zeros(node.shape))


def _const(ctx, node):
    if node.key:  # the optimizer's step count
        return constant(float(ctx.state.get(node.param, {}).get("step", 0)) + 1.0)
    return constant(constants(ctx)[node.name[6:]])


# The dense network's rules by node kind (defaults.py adds the rest).
DENSE = {"a": _a, "h": _h, "loss": _loss, "sum": _sum, "dh_out": _dh_out, "da_out": _da_out,
         "da": _da, "dh": _dh, "dW": _dW, "db": _db, "new": _new, "state": _state,
         "bump": _bump, "const": _const}
