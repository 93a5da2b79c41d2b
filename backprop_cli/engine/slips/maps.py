"""The slips of the map kinds (convolution, pooling), built from their rules
(engine/grading/layers/conv2d.py, pooling.py; the windows' forms in windows.py). Each
variants(ctx) gives [] where the problem has nothing the slip could touch; a factory
gives None at a layer where the slip changes nothing (a symmetric kernel turned, no
padding to leave out, stride 1).

A forward slip's variants: "" made everywhere a person who believes it would (the
forward pass, the backward pass that follows from it, and the forward pass after the
update), "forward" in the forward passes only (the backward pass worked by the right
rules), "backward" in the backward pass only. ∂L/∂W keeps the L2 penalty's term.
"""

from __future__ import annotations

from backprop_cli.engine.grading.after import loss_after_with
from backprop_cli.engine.grading.layers import conv2d, pooling
from backprop_cli.engine.grading.penalty import with_penalty
from backprop_cli.engine.grading.skips import with_skips
from backprop_cli.engine.slips.variants import Variant

POOLS = ("maxpool2d", "avgpool2d")


def _kinds(ctx) -> set:
    return {spec.kind for spec in ctx.model.layers}


def _parts(forward: dict, backward: dict) -> list:
    """The three variants: everywhere, forward only, backward only."""
    return [Variant("", {**forward, **backward}), Variant("forward", forward),
            Variant("backward", backward)]


def kernel_flip(ctx):
    """The kernel turned 180° where the layer does not turn it (a true convolution for
    torch's cross-correlation), or not turned where it does (flip: true): in a_l, in
    ∂L/∂W_l (turned back by the person's own rule) and ∂L/∂h_{l−1}."""
    if not any(spec.kind == "conv2d" and conv2d.turns(ctx, l)
               for l, spec in enumerate(ctx.model.layers, 1)):
        return []
    return _parts({"a_conv": conv2d.output(flip=True),
                   "loss_after": loss_after_with({"conv2d": {"flip": True}})},
                  {"dW_conv": with_penalty(conv2d.weight_gradient(flip=True)),
                   "dh_conv": with_skips(conv2d.input_gradient(flip=True))})


def padding_ignored(ctx):
    """The zero padding left out: the windows placed on x from its first cell, so each
    moves by the padding (windows.py); in a convolution's or a pool's a_l, and in the
    backward pass worked from the same windows (∂L/∂W_l, ∂L/∂h_{l−1})."""
    padded = [s for s in ctx.model.layers if s.kind in ("conv2d", *POOLS)
              and any(s.settings.geometry.padding)]
    if not padded:
        return []
    return _parts({"a_conv": conv2d.output(shift=True),
                   "a_maxpool": pooling.max_output(shift=True),
                   "a_avgpool": pooling.avg_output(shift=True),
                   "loss_after": loss_after_with({k: {"shift": True} for k in
                                                  ("conv2d", *POOLS)})},
                  {"dW_conv": with_penalty(conv2d.weight_gradient(shift=True)),
                   "dh_conv": with_skips(conv2d.input_gradient(shift=True)),
                   "dh_maxpool": with_skips(pooling.max_input_gradient(shift=True)),
                   "dh_avgpool": with_skips(pooling.avg_input_gradient(shift=True))})


def stride_backward(ctx):
    """The stride left out of the backward pass: window (i, j) taken at (i, j), unit
    steps, for ∂L/∂W_l and ∂L/∂h_{l−1} of a convolution and ∂L/∂h_{l−1} of an average
    pool (a max pool's gradient goes to the cell its forward pass found)."""
    strided = [s for s in ctx.model.layers if s.kind in ("conv2d", "avgpool2d")
               and s.settings.geometry.stride != (1, 1)]
    if not strided:
        return []
    return [Variant("", {"dW_conv": with_penalty(conv2d.weight_gradient(unit=True)),
                         "dh_conv": with_skips(conv2d.input_gradient(unit=True)),
                         "dh_avgpool": with_skips(pooling.avg_input_gradient(unit=True))})]


def maxpool_gradient_spread(ctx):
    """A max pool's gradient given to every cell of its window, or averaged over them."""
    if "maxpool2d" not in _kinds(ctx):
        return []
    return [Variant(how, {"dh_maxpool": with_skips(pooling.max_input_gradient(spread=how))})
            for how in ("every", "average")]


def avgpool_no_divide(ctx):
    """An average pool's sum not divided by kH·kW: forward, backward, or both."""
    if "avgpool2d" not in _kinds(ctx):
        return []
    return _parts({"a_avgpool": pooling.avg_output(divide=False),
                   "loss_after": loss_after_with({"avgpool2d": {"divide": False}})},
                  {"dh_avgpool": with_skips(pooling.avg_input_gradient(divide=False))})


# The slip updated-weights at a convolution: ∂L/∂h_{l−1} through W_l′.
updated_weights = with_skips(conv2d.input_gradient(updated=True))
