"""The slips of a recurrent layer, built from its step rules (engine/grading/layers/
steps.py, `forms`): each variants(ctx) gives [] where the problem has nothing the slip
could touch. A forward slip is made again in the forward pass after the update."""

from __future__ import annotations

from backprop_cli.engine.grading.after import loss_after_with
from backprop_cli.engine.grading.layers.cells import other_update
from backprop_cli.engine.grading.layers.steps import forms
from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.engine.slips.variants import Variant

# the stacked orders courses use: torch's, CS231n's, TensorFlow's (i, j = g, f, o)
LSTM_ORDERS = ("ifgo", "ifog", "igfo")
FORWARD = ("rec_h",)  # the step kinds a GRU's update formula is in
BACKWARD = ("rec_dgate", "rec_hnext", "rec_start")


def _layer(ctx):
    """The recurrent layer's settings, or None."""
    l = ctx.model.recurrent
    return None if l is None else ctx.model.layers[l - 1].settings


def bptt_truncated(ctx):
    """∂L/∂h_t = what the layers above send alone, without hnext_t from step t + 1."""
    s = _layer(ctx)
    return [] if s is None or s.steps < 2 else [Variant("", forms(truncated=True))]


def lstm_cell_path_missing(ctx):
    """∂L/∂c_t = ∂L/∂h_t ⊙ o_t ⊙ tanh′(c_t) alone, without cnext_t = ∂L/∂c_{t+1} ⊙ f_{t+1}."""
    s = _layer(ctx)
    if s is None or s.cell != "lstm" or s.steps < 2:
        return []
    return [Variant("", forms(no_cell=True))]


def gru_form(ctx):
    """The other update formula, h_t = (1 − z) ⊙ n + z ⊙ h_{t−1} (update: old) and
    (1 − z) ⊙ h_{t−1} + z ⊙ n (new) swapped: everywhere, in the forward passes only, or in
    the backward pass only."""
    s = _layer(ctx)
    if s is None or s.cell != "gru":
        return []
    other = other_update(s.update)
    after = loss_after_with({"gru": {"update": other}})
    return [Variant("", {**forms(update=other), "loss_after": after}),
            Variant("forward", {**forms(FORWARD, update=other), "loss_after": after}),
            Variant("backward", forms(BACKWARD, update=other))]


def time_sum_missing(ctx):
    """∂L/∂Wx, ∂L/∂Wh, ∂L/∂b, ∂L/∂bh from the last step's terms alone."""
    s = _layer(ctx)
    if s is None or s.steps < 2:
        return []
    return [Variant("", {"rec_dW": forms(last_only=True)["rec_dW"]})]


def readings(s) -> list:
    """The other orders a file's stacked gates may be read in: an LSTM's by the courses'
    orders, a GRU's with r and z swapped (n's block is worked differently, so a reading
    that moves it would not give gates at all)."""
    if s.named or s.cell == "rnn":
        return []
    if s.cell == "gru":
        return [s.gates.translate(str.maketrans("rz", "zr"))]
    return [order for order in LSTM_ORDERS if order != s.gates]


def gate_order(ctx):
    """The stacked rows read in another gate order: gate g taken from the block the file
    gives to the gate at g's place in the other order."""
    s = _layer(ctx)
    if s is None:
        return []
    out = []
    for order in readings(s):
        torch = GATES[s.cell]
        blocks = {g: torch.index(s.gates[order.index(g)]) for g in torch}
        out.append(Variant(order, {**forms(blocks=blocks), "loss_after": loss_after_with(
            {s.cell: {"blocks": blocks}})}))
    return out
