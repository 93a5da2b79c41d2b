"""DEFAULT: every node kind's rule, node kind -> factory (ctx, node) -> Rule. The dense
network's (rules.py) with a residual connection's h_k added to a_l and ∂L/∂a_l to
∂L/∂h_k (skips.py), the penalty's term in ∂L/∂W (penalty.py; a convolution's too), each
layer kind's own
(layers/), the loss and its parts after the update (after.py, penalty.py)."""

from __future__ import annotations

from backprop_cli.engine.grading import layers, penalty, skips
from backprop_cli.engine.grading.after import loss_after
from backprop_cli.engine.grading.rules import DENSE

_KINDS = layers.rules()

DEFAULT = {**DENSE, **_KINDS,
           "a": skips.with_skip(DENSE["a"]),
           "dW": penalty.with_penalty(DENSE["dW"]),
           "dW_conv": penalty.with_penalty(_KINDS["dW_conv"]),
           "loss_after": loss_after,
           "penalty": penalty.penalty(), "penalty_after": penalty.penalty_after(),
           "loss_total": penalty.total}
# ∂L/∂h_k through whatever layer k + 1 is, plus the residual connections that add h_k
for _kind in dict.fromkeys(("dh", *(kind.dh for kind in layers.KINDS.values()))):
    DEFAULT[_kind] = skips.with_skips(DEFAULT[_kind])
