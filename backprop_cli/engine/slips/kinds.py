"""The slips of the layer kinds, the residual connections and the L2 penalty, built from
their rules (engine/grading/layers/, skips.py, penalty.py). Each variants(ctx) gives []
where the problem has nothing the slip could touch."""

from __future__ import annotations

from backprop_cli.engine.grading import layers, penalty, skips
from backprop_cli.engine.grading.after import loss_after_with
from backprop_cli.engine.grading.layers import dropout, norm
from backprop_cli.engine.grading.rules import DENSE
from backprop_cli.engine.slips.variants import Variant


def _specs(ctx, kind: str) -> list:
    return [s.settings for s in ctx.model.layers if s.kind == kind]


def _batchnorm_only(factory, below: bool = False):
    """factory at the nodes of batch-norm layers (below: ∂L/∂h_{l−1}, under layer l)."""
    def wrapped(ctx, node):
        l = node.layer + 1 if below else node.layer
        return factory(ctx, node) if ctx.model.layers[l - 1].kind == "batchnorm" else None
    return wrapped


def bn_variance(ctx):
    """The other divisor, N − 1 for N or back, wherever the variance's divisor appears."""
    if not any(s.mode == "train" for s in _specs(ctx, "batchnorm")):
        return []
    return [Variant("", {
        "var": _batchnorm_only(norm.variance(True)),
        "dmean": _batchnorm_only(norm.mean_gradient(True)),
        "dh_norm": skips.with_skips(_batchnorm_only(norm.input_gradient("all", True),
                                                    below=True)),
        "loss_after": loss_after_with({"batchnorm": {"other_divisor": True}})})]


def bn_mean_path(ctx):
    """∂L/∂x through x̂ alone (∂L/∂x̂ / σ), or without ∂L/∂μ's term (batch and layer norm)."""
    train = [s for s in _specs(ctx, "batchnorm") if s.mode == "train"] + \
        _specs(ctx, "layernorm")
    if not train:
        return []
    return [Variant(paths, {"dh_norm": skips.with_skips(norm.input_gradient(paths))})
            for paths in ("xhat", "no mean")]


def _dropping(ctx, scaled: bool = False) -> bool:
    return any(s.mode == "train" and (s.factor != 1.0 or not scaled)
               for s in _specs(ctx, "dropout"))


def dropout_no_scale(ctx):
    """Inverted dropout without its 1/keep, forward and backward."""
    if not _dropping(ctx, scaled=True):
        return []
    return [Variant("", {"a_drop": dropout.output(scale=False),
                         "dh_drop": skips.with_skips(dropout.input_gradient(scale=False)),
                         "loss_after": loss_after_with({"dropout": {"scale": False}})})]


def dropout_mask_backward(ctx):
    """The mask left off the gradient: ∂L/∂a · scale, or ∂L/∂a itself."""
    if not _dropping(ctx):
        return []
    return [Variant("scale", {"dh_drop": skips.with_skips(dropout.input_gradient(mask=False))}),
            Variant("neither", {"dh_drop": skips.with_skips(
                dropout.input_gradient(mask=False, scale=False))})]


def l2_gradient_missing(ctx):
    """∂L/∂W without the penalty's term."""
    return [] if ctx.model.penalty is None else \
        [Variant("", {"dW": DENSE["dW"], "dW_conv": layers.rules()["dW_conv"]})]


def l2_form(ctx):
    """Another form's coefficient (λ for λ/2, λ/2 for λ/2m, …) in the penalty, its gradient
    and the penalty after the update."""
    return [Variant(form, {"dW": penalty.with_penalty(DENSE["dW"], form),
                           "dW_conv": penalty.with_penalty(layers.rules()["dW_conv"], form),
                           "penalty": penalty.penalty(form),
                           "penalty_after": penalty.penalty_after(form)})
            for form in penalty.forms(ctx)]


def residual_path_missing(ctx):
    """A residual connection left out: ∂L/∂h_k without ∂L/∂a_l, or a_l without h_k."""
    if all(s.residual is None for s in ctx.model.layers):
        return []
    own = layers.rules()
    return [Variant("backward", {"dh": skips.without_skips(DENSE["dh"]),
                                 **{kind.dh: skips.without_skips(own[kind.dh])
                                    for kind in layers.KINDS.values()}}),
            Variant("forward", {"a": skips.without_skips(DENSE["a"]),
                                "loss_after": loss_after_with({"dense": {"skip": False}})})]
