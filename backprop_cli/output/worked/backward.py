"""Step 3 of a worked solution: the backward pass, from the output layer to the first, with
each layer's delta (dL/da_l) and the gradients of its weights and bias."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.output.worked import formulas as rules
from backprop_cli.output.worked import kinds, l2, maps, maps_backward, tex
from backprop_cli.output.worked.blocks import Block, eq, par, section, subsection
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math

NOT_FINITE = "not finite (saturated output)"


def backward_pass(note: Notation) -> list[Block]:
    """Step 3: every layer's delta and parameter gradients, output layer first."""
    delta = rf"{note.symbol('delta', 'l')} = \partial L / \partial {note.symbol('a', 'l')}"
    out = [section("Step 3: Backward pass, output to input"),
           par("Write ", Math(delta),
               " for the gradient of the loss with respect to the pre-activation of layer l.")]
    for l in range(note.depth, 0, -1):
        out.append(subsection(note.layer_title(l)))
        if note.kind(l) in SEQUENCES:  # through time (sequences/backward.py)
            out += _output_gradient(note) if l == note.depth else incoming(note, l)
            out += kinds.of(note, l).backward(note, l, None, note.input_partial(l))
            continue
        out += output_delta(note) if l == note.depth else [*incoming(note, l), *chain(note, l)]
        if note.kind(l) == "dense":
            out += parameter_gradients(note, l)
        else:
            out += [*kinds.kind_backward(note, l), *_frozen(note, l)]
    if "x" in note.doc["gradients"]:  # the input's gradient: single-layer exercises ask it
        out += [subsection("The input"), *incoming(note, 0)]
    return out


def output_delta(note: Notation) -> list[Block]:
    """delta_L: from dL/dyhat through the output activation, or straight from the logits
    where the loss and activation simplify (softmax with cross-entropy, sigmoid with bce)."""
    if maps.is_map(note, note.depth):  # feature maps out: loss upstream
        return maps_backward.output_delta(note) + chain(note, note.depth)
    out = _output_gradient(note)
    if note.model.loss in ("cross_entropy", "bce"):
        return out + _delta_from_logits(note)
    return out + chain(note, note.depth)


def _output_gradient(note: Notation) -> list[Block]:
    """dL/dyhat, with the factor of the reduction and, if it overflowed, why."""
    L, loss = note.depth, note.model.loss
    y_s, yh_s = note.symbol("y", None), note.symbol("yhat", None)
    dh = note.gradient(f"h{L}")
    k = note.problem.y.shape[1]
    fs, fn = note.batch_factor(k if loss in ("mse", "bce") else 1, 2 if loss == "mse" else 1)
    zero = r"\quad \text{elementwise (0 where } y_k = 0)" if loss == "cross_entropy" else ""
    steps = [(note.partial("h", L), "=",
              [rf"{fs} {rules.dh_formula(loss, yh_s, y_s)}".strip() + zero])]
    if loss in ("mse", "sse_half"):
        steps.append((None, "=", tex.difference(fn, note.vector(note.forward_value(f"h{L}")),
                                                note.vector(note.problem.y, note.given))))
    out = [eq(*steps, (None, "=", [note.vector(dh)]))]
    if np.isnan(dh).any():
        out.append(par(r"n.f.: " + NOT_FINITE + ": ", Math(rf"{yh_s}_k"), " is exactly 0 or 1 "
                       "in float64, so this derivative is infinite; the loss's derivative with "
                       "respect to the logits below is exact and finite."))
    return out


def _delta_from_logits(note: Notation) -> list[Block]:
    """delta_L = yhat - y (scaled by the reduction) for cross-entropy and bce."""
    L, loss, y = note.depth, note.model.loss, note.problem.y
    y_s, yh_s = note.symbol("y", None), note.symbol("yhat", None)
    why = ("Softmax with cross-entropy: the softmax Jacobian times " if loss == "cross_entropy"
           else "Sigmoid with binary cross-entropy: the sigmoid's slope times ")
    out = [par(why, Math(rf"\partial L / \partial {note.symbol('h', L)}"), " simplifies to")]
    lhs = rf"{note.symbol('delta', L)} = {note.partial('a', L)}"
    delta = note.vector(note.gradient(f"a{L}"))
    if loss == "cross_entropy" and not np.allclose(y.sum(axis=1), 1.0):
        # soft targets summing to other than 1: their sum stays in the simplified form
        diff = rf"{yh_s} \textstyle\sum_k {y_s}_k - {y_s}"
        return out + [eq((lhs, "=", [diff]), (None, "=", [delta]))]
    fs, fn = note.batch_factor(y.shape[1] if loss == "bce" else 1)
    diff = f"{yh_s} - {y_s}"
    values = tex.difference(fn, note.vector(note.forward_value(f"h{L}")),
                            note.vector(y, note.given))
    return out + [eq((lhs, "=", [f"{fs}({diff})" if fs else diff]), (None, "=", values),
                     (None, "=", [delta]))]


def incoming(note: Notation, l: int) -> list[Block]:
    """dL/dh_l (dL/dx for l = 0) from what h_l feeds: layer l + 1 (through W_{l+1}, or the
    kind's input gradient worked above) and each residual connection that adds h_l."""
    skips = kinds.residuals_into(note, l)
    if maps.is_map(note, l) and not skips:  # worked by the map layer l + 1 above
        return maps_backward.incoming(note, l)
    sym, terms = _next_layer(note, l)
    for m in skips:  # ∂a_m/∂h_l is the identity: δ_m flows back unchanged
        sym += f" + {note.symbol('delta', m)}"
        terms.append("+ " + note.vector(note.gradient(f"a{m}")))
    out = []
    if skips:
        via = ("a residual connection, layer " if len(skips) == 1
               else "residual connections, layers ") + ", ".join(map(str, skips))
        out.append(par(Math(note.symbol("h", l)), " (x)" if l == 0 else "",
                       f" feeds layer {l + 1} and, through {via}: its gradient is the sum "
                       "of the paths."))
    name = "x" if l == 0 else f"h{l}"
    lhs = note.input_partial(l + 1)
    if sym is None:  # a kind's input gradient, worked with that layer above
        out.append(par("From layer ", str(l + 1), "'s backward pass above:"))
        return out + [eq((lhs, "=", [note.vector(note.gradient(name))]))]
    return out + [eq((lhs, "=", [sym]), (None, "=", terms),
                     (None, "=", [note.vector(note.gradient(name))]))]


def _next_layer(note: Notation, l: int) -> tuple[str | None, list]:
    """The path from layer l + 1 back to h_l: Wᵀδ with its numbers; for another kind the
    path its own backward pass worked (None without residual paths to add to it)."""
    if note.kind(l + 1) != "dense":
        if not kinds.residuals_into(note, l):
            return None, []
        sym = rf"{note.input_partial(l + 1)}\Big|_{{\text{{through layer {l + 1}}}}}"
        return sym, [note.vector(kinds.through(note, l + 1))]
    W, delta = note.weights(l + 1), note.gradient(f"a{l + 1}")
    if note.columns:
        return (rf"W_{{{l + 1}}}^\top \delta_{{{l + 1}}}",
                [(note.matrix(W.T), note.vector(delta))])
    t = r"^\top" if note.problem.layout == "in_out" else ""
    return (rf"{note.symbol('delta', l + 1)} W_{{{l + 1}}}{t}",
            [(note.vector(delta), note.matrix(W))])


def chain(note: Notation, l: int) -> list[Block]:
    """delta_l from dL/dh_l through the activation's derivative."""
    spec = note.model.layers[l - 1]
    if spec.activation == "softmax":
        return _softmax_chain(note, l)
    if maps.is_map(note, l):  # channel by channel
        return maps_backward.chain(note, l)
    symbol, deriv, slope = rules.derivative(note, l)
    f_prime = rf"{symbol}'({note.symbol('a', l)})"
    return [eq((f_prime, "=", [deriv]), (None, "=", [note.vector(slope)]),
               (rf"{note.symbol('delta', l)} = {note.partial('a', l)}", "=",
                [rf"{note.partial('h', l)} \odot {f_prime}"]),
               (None, "=", [note.vector(note.gradient(f"h{l}")), r"\odot " + note.vector(slope)]),
               (None, "=", [note.vector(note.gradient(f"a{l}"))]))]


def _softmax_chain(note: Notation, l: int) -> list[Block]:
    """Softmax's full Jacobian, written as a product with dL/dh_l: no elementwise slope."""
    h, dh = note.forward_value(f"h{l}"), note.gradient(f"h{l}")
    s = (dh * h).sum(axis=1, keepdims=True)
    s_val = note.matrix(s) if note.batch else note.number(s[0, 0])
    ones = r" \mathbf{1}^\top" if note.batch else ""  # s of each row, across its row
    return [par("Softmax couples the outputs of a sample: ",
                Math(r"\partial h_k / \partial a_j = h_k ([k = j] - h_j)"), ", so"),
            eq(("s", "=", [rf"\sum_k \frac{{\partial L}}{{\partial h_{{{l},k}}}} h_{{{l},k}}",
                           r"\quad \text{for each sample}"]),
               (None, "=", [s_val]),
               (rf"{note.symbol('delta', l)} = {note.partial('a', l)}", "=",
                [rf"{note.symbol('h', l)} \odot \left({note.partial('h', l)} - s{ones}\right)"]),
               (None, "=", [rf"{note.vector(h)} \odot \left({note.vector(dh)} - {s_val}{ones}"
                            r"\right)"]),
               (None, "=", [note.vector(note.gradient(f"a{l}"))]))]


def parameter_gradients(note: Notation, l: int) -> list[Block]:
    """dL/dW_l and dL/db_l from delta_l, and a word on frozen parameters."""
    delta, h_prev = note.gradient(f"a{l}"), note.layer_input(l)
    cell = note.given if l == 1 else None  # the inputs as the file gives them
    d_s, h_s = note.symbol("delta", l), note.symbol("h", l - 1)
    if note.problem.layout == "out_in":
        sym = rf"{d_s}^\top {h_s}" if note.batch else rf"{d_s} {h_s}^\top"
        terms = [(note.matrix(delta.T), note.matrix(h_prev, cell))]
    else:
        sym, terms = rf"{h_s}^\top {d_s}", [(note.matrix(h_prev.T, cell), note.matrix(delta))]
    penalty = l2.gradient_term(note, l)
    if penalty:  # the L2 penalty's own term
        sym += penalty[0]
        terms.append(penalty[1])
    return [eq((note.partial("W", l), "=", [sym]), (None, "=", terms),
               (None, "=", [note.matrix(note.gradient(f"W{l}"))])),
            _bias_gradient(note, l), *_frozen(note, l)]


def _frozen(note: Notation, l: int) -> list[Block]:
    """A word on each of layer l's frozen parameters."""
    return [par(Math(note.param_symbol(name)), " is frozen: its gradient is computed, but "
                "the update leaves it unchanged.")
            for name in note.model.layers[l - 1].names(l) if note.frozen(name)]


def _bias_gradient(note: Notation, l: int) -> Block:
    """dL/db_l: delta_l, or the sum of its rows over a batch."""
    if not note.model.layers[l - 1].bias:
        return par(f"Layer {l} has no bias, so no bias gradient.")
    d_s, grad = note.symbol("delta", l), note.doc["gradients"][f"b{l}"]
    if not note.batch:
        return eq((note.partial("b", l), "=", [d_s]), (None, "=", [note.bias(grad)]))
    ones = note.matrix(np.ones((1, note.samples)), lambda v: "1")
    return eq((note.partial("b", l), "=", [rf"\mathbf{{1}}^\top {d_s}",
                                           r"\quad \text{(the sum of its rows)}"]),
              (None, "=", [(ones, note.matrix(note.gradient(f"a{l}")))]),
              (None, "=", [note.bias(grad)]))
