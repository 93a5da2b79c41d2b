"""The layer kinds beyond dense in a worked solution, found by the kind's name in one table
(WORKED): each kind's line in the Problem section, what the file gives it, its forward
pass up to a_l, its backward pass from δ_l to its parameters and its input, and its part
of the update. Batch norm and layer norm are norms.py's (their backward pass
norms_backward.py's); dropout is here. The feature-map kinds: conv2d is conv.py's (its
backward pass conv_backward.py's, its kernels kernels.py's), the pools pools.py's
(pools_backward.py's), flatten flatten.py's; maps.py holds what they share. The sequence
kinds (embedding, rnn, lstm, gru) are the sequences package's, worked step by step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from backprop_cli.output.worked import (
    conv,
    conv_backward,
    flatten,
    kernels,
    norms,
    norms_backward,
    pools,
    pools_backward,
)
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.sequences import backward as sequences_backward
from backprop_cli.output.worked.sequences import forward as sequences
from backprop_cli.output.worked.sequences import problem as sequences_problem
from backprop_cli.output.worked.tex import Math


class Worked(NamedTuple):
    settings: Callable  # (note, l) -> paragraph segments: the layer in the Problem section
    given: Callable  # (note, l) -> blocks: what the file gives it (γ, β, mask, ...)
    forward: Callable  # (note, l) -> blocks: its intermediates, up to a_l
    backward: Callable  # (note, l, through, lhs) -> blocks: δ_l back to its input (lhs)
    cache: Callable  # (note, l) -> the engine kind's cache, from the document's numbers
    update: Callable  # (note, l) -> blocks after the parameters' update (running statistics)


# ------------------------------------------------------------------------ dropout


def _dropout_settings(note: Notation, l: int) -> list:
    s = note.model.layers[l - 1].settings
    scale = ("inverted: the kept units are divided by keep while training" if
             s.scale == "inverted" else "no scaling")
    mode = "eval mode: the identity" if s.mode == "eval" else "train mode"
    return [f"Layer {l}: dropout (torch's Dropout with the mask given), {mode}; ",
            # 1 − keep to 12 digits: keep: 0.8 gives p = 0.2, not 0.19999999999999996
            Math(rf"p = {note.given(round(1.0 - s.keep, 12))}"), " drops a unit, ",
            Math(rf"\text{{keep}} = 1 - p = {note.given(s.keep)}"), f"; {scale}."]


def _dropout_given(note: Notation, l: int) -> list[Block]:
    s = note.model.layers[l - 1].settings
    if s.mode == "eval":
        return []
    return [par(f"The mask of layer {l} (1 keeps a unit, 0 drops it):"),
            eq((note.symbol("mask", l), "=", [note.vector(s.mask, _bit)]))]


def _bit(v) -> str:
    return str(int(v))


def _dropout_forward(note: Notation, l: int) -> list[Block]:
    a_l, x = note.symbol("a", l), note.symbol("h", l - 1)
    a = note.vector(note.forward_value(f"a{l}"))
    h_prev = note.vector(note.layer_input(l), note.given if l == 1 else None)
    if note.model.layers[l - 1].settings.mode == "eval":
        return [par("Eval mode: dropout passes its input through unchanged."),
                eq((a_l, "=", [x]), (None, "=", [a]))]
    scale = note.doc["forward"][f"scale{l}"]
    m, s = note.symbol("mask", l), f"s_{{{l}}}"
    mask = note.vector(note.forward_value(f"mask{l}"), _bit)
    if note.model.layers[l - 1].settings.scale == "inverted":
        scale_eq = (s, "=", [rf"1 / \text{{keep}} = {note.given(scale)}"])
    else:
        scale_eq = (s, "=", [r"1 \quad \text{(no scaling)}"])
    return [eq(scale_eq),
            eq((a_l, "=", [rf"{x} \odot {m} \cdot {s}"]),
               (None, "=", [(h_prev, r"\odot", mask, rf"\cdot {note.given(scale)}")]),
               (None, "=", [a]))]


def _dropout_backward(note: Notation, l: int, through, lhs: str) -> list[Block]:
    d_s = note.symbol("delta", l)
    if note.model.layers[l - 1].settings.mode == "eval":
        return [eq((lhs, "=", [d_s]), (None, "=", [note.vector(through)]))]
    scale = note.doc["forward"][f"scale{l}"]
    mask = note.vector(note.forward_value(f"mask{l}"), _bit)
    return [par("The mask acts on the gradient as it did on the forward pass: a dropped "
                "unit passes no gradient back."),
            eq((lhs, "=", [rf"{d_s} \odot {note.symbol('mask', l)} \cdot s_{{{l}}}"]),
               (None, "=", [(note.vector(note.gradient(f"a{l}")), r"\odot", mask,
                             rf"\cdot {note.given(scale)}")]),
               (None, "=", [note.vector(through)]))]


def _dropout_cache(note: Notation, l: int) -> dict:
    return {"mask": note.forward_value(f"mask{l}"), "scale": note.doc["forward"][f"scale{l}"]}


def _nothing(note: Notation, l: int) -> list[Block]:
    return []


WORKED = {
    "batchnorm": Worked(norms.settings, norms.given, norms.forward, norms_backward.backward,
                        norms.cache, norms.running),
    "layernorm": Worked(norms.settings, norms.given, norms.forward, norms_backward.backward,
                        norms.cache, _nothing),
    "dropout": Worked(_dropout_settings, _dropout_given, _dropout_forward, _dropout_backward,
                      _dropout_cache, _nothing),
    "conv2d": Worked(conv.settings, kernels.given, conv.forward, conv_backward.backward,
                     conv.cache, _nothing),
    "maxpool2d": Worked(pools.settings, _nothing, pools.forward, pools_backward.backward,
                        pools.cache, _nothing),
    "avgpool2d": Worked(pools.settings, _nothing, pools.forward, pools_backward.backward,
                        pools.cache, _nothing),
    "flatten": Worked(flatten.settings, _nothing, flatten.forward, flatten.backward,
                      flatten.cache, _nothing),
    **{kind: Worked(sequences_problem.settings_line, sequences_problem.given, sequences.forward,
                    sequences_backward.backward, sequences.cache, _nothing)
       for kind in ("embedding", "rnn", "lstm", "gru")},
}


def of(note: Notation, l: int) -> Worked:
    """The worked pieces of layer l's kind."""
    return WORKED[note.kind(l)]


# ------------------------------------------------------------------------ the input's gradient


def residuals_into(note: Notation, k: int) -> list[int]:
    """The layers m whose residual connection adds h_k (x for k = 0) to a_m."""
    return [m for m, spec in enumerate(note.model.layers, 1) if spec.residual == k]


def through(note: Notation, l: int) -> np.ndarray:
    """∂L/∂(layer l's input) along the path through layer l alone: the document's
    ∂L/∂h_{l-1} (∂L/∂x) where no residual adds to it, else the engine kind's backward of
    the document's δ_l (the residual paths are added where h_{l-1} is worked)."""
    if not residuals_into(note, l - 1):
        return note.gradient("x" if l == 1 else f"h{l - 1}")
    step = note.model.steps[l - 1]
    p = {short: note.problem.params[name] for short, name in step.params.items()}
    dx, _, _ = step.kind.backward(note.gradient(f"a{l}"), of(note, l).cache(note, l), p,
                                  step.settings)
    return dx


def kind_backward(note: Notation, l: int) -> list[Block]:
    """Layer l's backward pass from δ_l, ending with its input's gradient."""
    lhs = note.input_partial(l)
    if residuals_into(note, l - 1):
        lhs += rf"\Big|_{{\text{{through layer {l}}}}}"
    return of(note, l).backward(note, l, through(note, l), lhs)


def statement(note: Notation, l: int) -> list[Block]:
    """Layer l's line in the Problem section and what the file gives it."""
    return [par(*of(note, l).settings(note, l)), *of(note, l).given(note, l)]

