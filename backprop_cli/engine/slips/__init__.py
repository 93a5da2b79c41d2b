"""The catalogue of slips `backprop grade` recognises, by their fixed ids.

A slip is one or more variants of the marking rules (engine/grading/): for each kind of
quantity it changes, a factory (ctx, node) -> Rule, or None where the slip cannot be made.
Marking recomputes every quantity under each variant from the person's own answers; a
wrong answer that a variant gives back names the slip. To add one: write its factory
beside the rule it breaks (dense.py for the dense network's quantities, kinds.py for the
layer kinds', residual connections' and the penalty's, maps.py for convolution's and
pooling's) and add an entry to SLIPS (its id
is part of the interface; its text is shown to the person).
"""

from __future__ import annotations

from backprop_cli.engine.slips import dense as d
from backprop_cli.engine.slips import kinds as k
from backprop_cli.engine.slips import maps as m
from backprop_cli.engine.slips import sequences as q
from backprop_cli.engine.slips.dense import (
    bias_kept,
    derivative_as_h,
    derivative_at_h,
    derivative_extra,
    derivative_missing,
    derivative_with_a,
    jacobian_extra,
    learning_rate,
    loss_before_update,
    softmax_diagonal,
    transposed_gradient,
    transposed_weights,
    updated_weights,
)
from backprop_cli.engine.slips.variants import Slip, Variant, one

SLIPS: dict[str, Slip] = {s.id: s for s in [
    Slip("updated-weights", "∂L/∂h_{l−1} computed with the already-updated W_l",
         lambda ctx: [Variant("", {"dh": updated_weights, "dh_conv": m.updated_weights})]),
    Slip("derivative-at-h", "f′ evaluated at h instead of a (σ(h)(1−σ(h)) for sigmoid)",
         d.derivative(derivative_at_h)),
    Slip("derivative-with-a", "f′ written with a in place of h (a(1−a) for σ′, 1−a² for "
                              "tanh′)", d.derivative(derivative_with_a)),
    Slip("derivative-as-h", "h used in place of f′ (h instead of h(1−h))",
         d.derivative(derivative_as_h)),
    Slip("derivative-missing", "the activation's derivative left out at a layer",
         d.derivative(derivative_missing)),
    Slip("derivative-extra",
         "f′ applied where it cancels (σ′ with softmax/sigmoid + cross-entropy)",
         lambda ctx: [Variant("diagonal", {"da_out": derivative_extra}),
                      Variant("jacobian", {"da_out": jacobian_extra})]),
    Slip("factor-2", "a missing ½ or an extra 2: gradients ×2 or ×½", d.factor_2),
    Slip("mean-vs-sum", "reduced over samples or outputs the other way (×N, ×1/N, ×K)",
         d.mean_vs_sum),
    Slip("sign", "the gradient's sign flipped, or the update added instead of subtracted",
         d.sign),
    Slip("transposed-weights", "Wᵀ and W swapped in backpropagation to the previous layer",
         one("dh", transposed_weights)),
    Slip("transposed-gradient", "∂L/∂W written transposed (h δᵀ)",
         one("dW", transposed_gradient)),
    Slip("no-fan-out-sum", "each h backpropagated through one output only, not summed",
         d.no_fan_out),
    Slip("softmax-diagonal", "softmax's Jacobian reduced to its diagonal s(1−s)",
         lambda ctx: [Variant("", {"da": softmax_diagonal, "da_out": softmax_diagonal})]),
    Slip("bias-not-updated", "biases left unchanged by the update", one("new", bias_kept)),
    Slip("loss-before-update", "the loss before the update given as the loss after it",
         one("loss_after", loss_before_update)),
    Slip("learning-rate", "the update without η, or with η twice",
         lambda ctx: [Variant("without", {"new": learning_rate(0)}),
                      Variant("twice", {"new": learning_rate(2)})]),
    Slip("bn-mean-path-missing", "∂L/∂x of a normalisation through x̂/σ only: the paths "
                                 "through μ (and σ²) left out", k.bn_mean_path),
    Slip("bn-variance", "batch norm's variance divided by N − 1 for N, or by N for N − 1",
         k.bn_variance),
    Slip("dropout-no-scale", "inverted dropout without its scale 1/keep", k.dropout_no_scale),
    Slip("dropout-mask-backward", "dropout's mask left off the gradient",
         k.dropout_mask_backward),
    Slip("l2-gradient-missing", "∂L/∂W without the L2 penalty's term", k.l2_gradient_missing),
    Slip("l2-form", "the L2 penalty in another form (λ for λ/2, λ/2 for λ/2m, …)", k.l2_form),
    Slip("residual-path-missing", "a residual connection left out: h_k not added to a_l, or "
                                  "∂L/∂a_l not added to ∂L/∂h_k", k.residual_path_missing),
    Slip("kernel-flip", "the kernel turned 180° where the convolution does not turn it "
                        "(or not turned where it does, flip: true)", m.kernel_flip),
    Slip("padding-ignored", "the zero padding left out: the windows placed from the "
                            "input's first cell, so each is off by the padding",
         m.padding_ignored),
    Slip("stride-backward", "the stride left out of the backward pass: the gradient "
                            "scattered (and ∂L/∂W gathered) at unit steps", m.stride_backward),
    Slip("maxpool-gradient-spread", "a max pool's gradient given to every cell of its "
                                    "window, or averaged over it, not to its largest cell "
                                    "alone", m.maxpool_gradient_spread),
    Slip("avgpool-no-divide", "an average pool without its 1/(kH·kW), forward or backward",
         m.avgpool_no_divide),
    Slip("bptt-truncated", "∂L/∂h_t without the part from step t + 1 (only what the "
                           "layers above send)", q.bptt_truncated),
    Slip("lstm-cell-path-missing", "∂L/∂c_t without the cell path from step t + 1 "
                                   "(∂L/∂c_{t+1} ⊙ f_{t+1})", q.lstm_cell_path_missing),
    Slip("gru-form", "the other GRU form's update: z and 1 − z swapped between h_{t−1} "
                     "and n", q.gru_form),
    Slip("time-sum-missing", "a recurrent weight's gradient from the last step alone, not "
                             "summed over time", q.time_sum_missing),
    Slip("gate-order", "the stacked gates read in another order (ifog for ifgo, zrn for "
                       "rzn, …)", q.gate_order),
    Slip("arithmetic", "none of the above: wrong, yet everything after it is consistent "
                       "with it", lambda ctx: []),
]}

__all__ = ["SLIPS", "Slip", "Variant"]
