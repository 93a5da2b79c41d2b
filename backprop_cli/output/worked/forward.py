"""Steps 1 and 2 of a worked solution: the forward pass, layer by layer, and the loss."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.errors import counted
from backprop_cli.output.fmt import elide
from backprop_cli.output.worked import formulas as rules
from backprop_cli.output.worked import kinds, l2, maps, tex
from backprop_cli.output.worked.blocks import Block, eq, par, section, subsection
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def forward_pass(note: Notation) -> list[Block]:
    """Step 1: each layer's pre-activation and activation, with their sums."""
    out = [section("Step 1: Forward pass")]
    for l in range(1, note.depth + 1):
        out.append(subsection(note.layer_title(l)))
        if note.kind(l) in SEQUENCES:  # step by step, h^{(t)} its own (sequences/forward.py)
            out += [*kinds.of(note, l).forward(note, l), _sum(note, "a", l), _sum(note, "h", l)]
            continue
        if note.kind(l) == "dense":
            out += _pre_activation(note, l)
        else:
            out += [*kinds.of(note, l).forward(note, l), _sum(note, "a", l)]
        out += _activation(note, l)
    out.append(par("The output ",
                   Math(rf"{note.symbol('h', note.depth)} = {note.symbol('yhat', None)}"),
                   " is the prediction."))
    return out


def _pre_activation(note: Notation, l: int) -> list[Block]:
    """a_l = W_l h_{l-1} + b_l, written in the order of the layout."""
    p, W = note.problem, note.weights(l)
    cell = note.given if l == 1 else None  # the inputs as the file gives them
    h_prev = note.layer_input(l)
    if note.columns:
        sym = rf"W_{{{l}}} h_{{{l - 1}}}"
        terms = [(note.matrix(W), note.vector(h_prev, cell))]
    else:
        t = r"^\top" if p.layout == "out_in" else ""
        sym = rf"{note.symbol('h', l - 1)} W_{{{l}}}{t}"
        terms = [(note.vector(h_prev, cell), note.matrix(W.T))]
    if note.model.layers[l - 1].bias:
        sym += f" + b_{{{l}}}"
        terms.append("+ " + note.bias(p.params[f"b{l}"]))
    k = note.model.layers[l - 1].residual
    if k is not None:  # the residual connection's h_k (x for k = 0)
        sym += " + " + note.symbol("h", k)
        terms.append("+ " + note.vector(note.layer_input(k + 1), note.given if k == 0 else None))
    a_l = note.symbol("a", l)
    return [eq((a_l, "=", [sym]), (None, "=", terms),
               (None, "=", [note.vector(note.forward_value(f"a{l}"))])), _sum(note, "a", l)]


def _sum(note: Notation, q: str, l: int) -> Block:
    """The sum of every entry of a_l or h_l, as exercises ask for it."""
    return par("Sum: ", Math(rf"\sum {note.symbol(q, l)} = "
                             rf"{note.number(note.doc['sums'][f'{q}{l}'])}"))


def _activation(note: Notation, l: int) -> list[Block]:
    """h_l = f(a_l), with f's definition (a feature map's channel by channel)."""
    spec = note.model.layers[l - 1]
    if maps.is_map(note, l) and spec.activation != "softmax":  # softmax: over the row
        return [*maps.activation(note, l), _sum(note, "h", l)]
    a, h = note.forward_value(f"a{l}"), note.forward_value(f"h{l}")
    a_l, h_l = note.symbol("a", l), note.symbol("h", l)
    symbol, definition, _ = ACTIVATIONS[spec.activation].tex
    definition = definition.replace("%", tex.plain(spec.param or 0))
    if spec.activation != "softmax":
        where = r"\text{elementwise}"
    else:
        where = r"\text{for each sample}" if note.batch else r"\text{over the vector}"
    return [eq((h_l, "=", [rf"{symbol}({a_l}),", rf"\quad {definition}", rf"\quad {where}"]),
               (None, "=", [rf"{symbol}\left({note.vector(a)}\right)"]),
               (None, "=", [note.vector(h)])), _sum(note, "h", l)]


def loss(note: Notation) -> list[Block]:
    """Step 2: the loss, per sample and reduced over a batch."""
    model, batch = note.model, note.batch
    per_sample = rules.loss_formula(model.loss, r"\hat y_{n,k}" if batch else r"\hat y_k",
                                    "y_{n,k}" if batch else "y_k")
    exact = {"cross_entropy": "log-sum-exp", "bce": "log-sigmoid"}.get(model.loss)
    out = [section("Step 2: Loss"),
           par(f"{model.loss}, with K = {counted(note.problem.y.shape[1], 'output')}" + (
               f"; computed exactly from the logits ({exact}), not from rounded outputs."
               if exact else "."))]
    if model.loss == "upstream":
        out.append(par("The loss whose gradient with respect to the output is the given ",
                       Math(note.symbol("y", None)), ": its value means little, the gradients "
                       "are the answer."))
    parts = note.doc.get("loss_parts")
    data = parts["data"] if parts else note.doc["loss"]
    name = r"L_{\text{data}}" if parts else "L"
    if not batch:
        terms = rules.loss_terms(model.loss, note.forward_value(f"h{note.depth}")[0],
                                 note.problem.y[0], note.decimals)
        out.append(eq((name, "=", [per_sample]), (None, "=", terms),
                      (None, "=", [note.number(data)])))
    else:
        out.append(_batch_loss(note, per_sample, name, data))
    if parts:
        out += l2.loss_part(note, data, note.doc["loss"], parts["penalty"])
    return out


def _batch_loss(note: Notation, per_sample: str, name: str, data: float) -> Block:
    """Each sample's loss, then their mean or sum."""
    L = note.depth
    with np.errstate(all="ignore"):  # a saturated output must not warn on stderr
        ell = LOSSES[note.model.loss].value(note.forward_value(f"a{L}"),
                                            note.forward_value(f"h{L}"), note.problem.y)
    shown = elide(list(range(note.samples)), None)  # many rows (N·T steps): the middle elided
    names = ", ".join(r"\ldots" if i is None else rf"\ell_{{{i + 1}}}" for i in shown)
    each = [r"\ldots" if i is None else note.number(ell[i]) for i in shown]
    values = " + ".join(each)
    if note.model.reduction == "sum":
        reduce_sym, reduce_num = r"\sum_n \ell_n", ""
    else:
        reduce_sym, reduce_num = r"\frac{1}{N} \sum_n \ell_n", rf"\frac{{1}}{{{note.samples}}}"
    return eq((r"\ell_n", "=", [per_sample, r"\quad \text{for each sample } n"]),
              (rf"({names})", "=", [f"({', '.join(each)})"]),
              (name, "=", [reduce_sym]), (None, "=", [rf"{reduce_num}({values})"]),
              (None, "=", [note.number(data)]))
