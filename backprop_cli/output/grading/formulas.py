"""The right formula for one quantity, in TeX, with the person's own numbers put in: the
values their sheet gave for its inputs (or, where it gave none, what those give), and the
value the formula then gives.

Vectors follow the worked solutions: a single sample's are columns for layout out_in
(a = W h + b) and rows for in_out (a = h W + b); a batch has a row per sample (A = H Wᵀ + b).
Feature maps are an H×W matrix per channel (of each sample), a convolution's kernels a
kH×kW matrix per input channel of each output channel (maps.py: their formulas).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.penalty import FORMS
from backprop_cli.output.fmt import fixed
from backprop_cli.output.grading.kinds import KIND_FORMULAS
from backprop_cli.output.grading.maps import MAP_FORMULAS
from backprop_cli.output.grading.sequences import stack_formula
from backprop_cli.output.worked.formulas import loss_formula
from backprop_cli.output.worked.tex import matrix

# (batch, layout) -> how a, ∂L/∂W and ∂L/∂h read: @ is the layer, # the one before
LINEAR = {
    (False, "out_in"): ("W_@ h_# + b_@", r"\delta_@ h_#^\top", r"W_@^\top \delta_@"),
    (False, "in_out"): ("h_# W_@ + b_@", r"h_#^\top \delta_@", r"\delta_@ W_@^\top"),
    (True, "out_in"): (r"H_# W_@^\top + b_@", r"\Delta_@^\top H_#", r"\Delta_@ W_@"),
    (True, "in_out"): ("H_# W_@ + b_@", r"H_#^\top \Delta_@", r"\Delta_@ W_@^\top"),
}


class Numbers:
    """How one problem's values are written: matrices in the file's orientation."""

    def __init__(self, problem, decimals: int):
        self.problem, self.decimals = problem, decimals
        self.batch, self.layout = problem.batched, problem.layout

    def num(self, v) -> str:
        return fixed(float(v), self.decimals)

    def sample(self, value) -> str:
        """A per-sample (N, k) value: a column (out_in), a row (in_out) or the batch."""
        value = np.asarray(value)
        if self.batch:
            return matrix(value.tolist(), self.num)
        rows = value[0][:, None] if self.layout == "out_in" else value[:1]
        return matrix(rows.tolist(), self.num)

    def weight(self, value) -> str:
        value = np.asarray(value)
        if value.ndim == 1:  # a bias: shaped like a sample's vector
            return self.sample(value[None])
        return matrix((value.T if self.layout == "in_out" else value).tolist(), self.num)

    def any(self, value) -> str:
        value = np.asarray(value, dtype=float)
        if value.ndim == 0:
            return self.num(value)
        if value.ndim == 4:  # a convolution's kernels
            return self.kernels(value)
        return self.weight(value)

    def at(self, value, l: int) -> str:
        """A per-sample (N, k) value of h_l's shape: its feature maps when h_l is one
        (l = 0: x), else as sample() shows it."""
        value = np.asarray(value)
        shape = self.problem.model.map_of(l) if l <= len(self.problem.model.layers) else None
        if shape is None or value.ndim != 2 or value.shape[1] != int(np.prod(shape)):
            return self.sample(value)
        maps = value.reshape(value.shape[0], *shape)
        shown = [self._channels(m) for m in maps]
        return shown[0] if not self.batch else \
            r"\left[" + r";\ ".join(shown) + r"\right]"

    def _channels(self, m) -> str:
        """One (C, H, W) map: an H×W matrix per channel."""
        parts = [matrix(c.tolist(), self.num) for c in m]
        return parts[0] if len(parts) == 1 else \
            r"\left(" + r",\ ".join(parts) + r"\right)"

    def kernels(self, value) -> str:
        """(C', C, kH, kW): each output channel's kernels, a kH×kW matrix per input
        channel."""
        shown = [self._channels(k) for k in np.asarray(value)]
        return shown[0] if len(shown) == 1 else \
            r"\left[" + r";\ ".join(shown) + r"\right]"


FORMULAS = {**KIND_FORMULAS, **MAP_FORMULAS, "rec_stack": stack_formula}


def _sym(text: str, l: int) -> str:
    return text.replace("@", str(l)).replace("#", str(l - 1))


def formula(problem, node, values: dict, result, decimals: int) -> str:
    """`lhs = the rule = it with their numbers = result`, as one displayed equation."""
    w = Numbers(problem, decimals)
    l, kind = node.layer, node.kind
    put = {"a": _a, "h": _h, "loss": _loss, "dh_out": _dh_out, "da_out": _da_out,
           "da": _da, "dh": _dh, "dW": _dW, "db": _db}.get(kind)
    if kind == "new":
        parts = _update(problem, w, node.param, values)
    elif kind in FORMULAS:
        parts = FORMULAS[kind](problem, w, node, values)
    elif put is None:
        return rf"{_name(node)} = {w.any(result)}"
    else:
        parts = put(problem, w, l, values)
    rows = node.rows or kind in ("a", "h", "dh", "da", "dh_out", "da_out")
    shown = w.at(result, l) if rows and np.ndim(result) == 2 else w.any(result)
    return " = ".join([*parts, shown])


def _name(node) -> str:
    if node.kind == "sum":
        return rf"\textstyle\sum {node.name[4]}_{{{node.layer}}}"
    return {"loss_after": "L'", "state": rf"\mathrm{{{node.key}}}",
            "const": rf"\mathrm{{{node.name[6:]}}}"}.get(node.kind, node.name)


def _input(problem, values, l):
    return problem.x if l == 0 else values[f"h{l}"]


def _a(problem, w, l, values):
    b = problem.params.get(f"b{l}")
    form = LINEAR[(w.batch, w.layout)][0]
    form = _sym(form if b is not None else form.replace(" + b_@", ""), l)
    x, W = w.sample(_input(problem, values, l - 1)), w.weight(problem.params[f"W{l}"])
    product = f"{W} {x}" if not w.batch and w.layout == "out_in" else \
        f"{x} {W}" + (r"^\top" if w.batch and w.layout == "out_in" else "")
    plus = f" + {w.weight(b)}" if b is not None else ""
    k = problem.model.layers[l - 1].residual
    if k is not None:  # the residual connection's h_k (x)
        h = "H" if w.batch else "h"
        form += f" + {h}_{{{k}}}" if k else (" + X" if w.batch else " + x")
        plus += " + " + w.sample(_input(problem, values, k))
    return [f"a_{{{l}}}", form, product + plus]


def _h(problem, w, l, values):
    symbol = ACTIVATIONS[problem.model.layers[l - 1].activation].tex[0]
    return [f"h_{{{l}}}", rf"{symbol}(a_{{{l}}})", rf"{symbol}\left({w.at(values[f'a{l}'], l)}"
                                                  r"\right)"]


def _loss(problem, w, l, values):
    rule = loss_formula(problem.model.loss, r"\hat y_k", "y_k")
    mean = problem.model.reduction == "mean" and problem.x.shape[0] > 1
    rule = (r"\frac{1}{N} \sum_n " if mean else r"\sum_n " if w.batch else "") + rule
    return ["L", rf"{rule},\quad \hat y = {w.at(values[f'h{l}'], l)},\ "
                 rf"y = {w.at(problem.y, l)}\ \Rightarrow\ L"]


def _batch_factor(problem) -> str:
    mean = problem.model.reduction == "mean" and problem.x.shape[0] > 1
    return r"\frac{1}{N}" if mean else ""


def _dh_out(problem, w, l, values):
    y = w.at(problem.y, l)
    h = w.at(values[f"h{l}"], l)
    rule = {"cross_entropy": r"-y \oslash \hat y", "sse_half": r"\hat y - y",
            "mse": r"\frac{2}{K}(\hat y - y)",
            "bce": r"\frac{1}{K}\left(\frac{1 - y}{1 - \hat y} - \frac{y}{\hat y}\right)"}
    return [r"\frac{\partial L}{\partial \hat y}",
            _batch_factor(problem) + rule[problem.model.loss] + rf",\quad \hat y = {h},\ "
            rf"y = {y}\ \Rightarrow\ \frac{{\partial L}}{{\partial \hat y}}"]


def _da_out(problem, w, l, values):
    over = r"\frac{1}{K}" if problem.model.loss == "bce" else ""
    return [rf"\delta_{{{l}}}", rf"{_batch_factor(problem)}{over}(\hat y - y)",
            rf"{_batch_factor(problem)}{over}\left({w.at(values[f'h{l}'], l)} - "
            rf"{w.at(problem.y, l)}\right)"]


def _da(problem, w, l, values):
    act = problem.model.layers[l - 1].activation
    dh = w.at(values[f"dh{l}"], l)
    if act == "softmax":
        return [rf"\delta_{{{l}}}", rf"J_{{\operatorname{{softmax}}}}(h_{{{l}}})^\top "
                rf"\frac{{\partial L}}{{\partial h_{{{l}}}}} = h \odot (g - (g \cdot h)),"
                rf"\quad g = {dh},\ h = {w.sample(values[f'h{l}'])}\ \Rightarrow\ "
                rf"\delta_{{{l}}}"]
    prime = ACTIVATIONS[act].tex[2].replace("@", str(l)).replace("%", fixed(
        problem.model.layers[l - 1].param or 0.0, 4))
    h, a = w.at(values[f"h{l}"], l), w.at(values[f"a{l}"], l)
    shown = {"sigmoid": rf"{h} \odot \left(1 - {h}\right)", "tanh": rf"1 - {h}^{{\odot 2}}"}
    return [rf"\delta_{{{l}}}", rf"\frac{{\partial L}}{{\partial h_{{{l}}}}} \odot {prime}",
            rf"{dh} \odot " + shown.get(act, rf"f'\left({a}\right)")]


def _dh(problem, w, l, values):
    form = _sym(LINEAR[(w.batch, w.layout)][2], l + 1)
    W, da = w.weight(problem.params[f"W{l + 1}"]), w.sample(values[f"da{l + 1}"])
    parts = {"W": W + r"^\top" if "W_" + str(l + 1) + r"^\top" in form else W, "d": da}
    order = ("W", "d") if form.startswith("W") else ("d", "W")
    product = " ".join(parts[k] for k in order)
    skips = sorted(int(k[2:]) for k in values if k.startswith("da") and int(k[2:]) > l + 1)
    for m in skips:  # residual connections that add h_l: their δ_m, unchanged
        form += rf" + \delta_{{{m}}}"
        product += " + " + w.sample(values[f"da{m}"])
    of = "x" if l == 0 else f"h_{{{l}}}"
    return [rf"\frac{{\partial L}}{{\partial {of}}}", form, product]


def _dW(problem, w, l, values):
    form = _sym(LINEAR[(w.batch, w.layout)][1], l)
    da, h = w.sample(values[f"da{l}"]), w.sample(_input(problem, values, l - 1))
    factors = []
    for token in form.split(" "):
        value = da if token.startswith(("\\delta", "\\Delta")) else h
        factors.append(value + (r"^\top" if token.endswith(r"^\top") else ""))
    p = problem.model.penalty
    if p is not None:  # the L2 penalty's term
        c = FORMS[p.form].coefficient(p.lam, problem.x.shape[0])
        form += f" + {w.num(2 * c)}\\, W_{{{l}}}"
        factors.append(f"+ {w.num(2 * c)}\\, {w.weight(problem.params[f'W{l}'])}")
    return [rf"\frac{{\partial L}}{{\partial W_{{{l}}}}}", form, " ".join(factors)]


def _db(problem, w, l, values):
    total = r"\sum_n \Delta" if w.batch else r"\delta"
    return [rf"\frac{{\partial L}}{{\partial b_{{{l}}}}}", f"{total}_{{{l}}}",
            w.sample(values[f"da{l}"]) if not w.batch else
            rf"\textstyle\sum_n {w.sample(values[f'da{l}'])}"]


def _update(problem, w, param, values):
    g = values.get(f"d{param}")
    lhs, sym = f"{param[0]}_{{{param[1:]}}}'", f"{param[0]}_{{{param[1:]}}}"
    if g is None:  # frozen: never changes
        return [lhs, sym]
    if problem.optimizer != "sgd" or any(problem.hyper[k] for k in
                                         ("momentum", "weight_decay", "maximize")):
        return [lhs, rf"\text{{{problem.optimizer} step of }} {sym} \text{{ with }} "
                rf"\frac{{\partial L}}{{\partial {sym}}} = {w.any(g)}"]
    eta = w.num(problem.hyper["lr"])
    return [lhs, rf"{sym} - \eta \frac{{\partial L}}{{\partial {sym}}}",
            rf"{w.any(problem.params[param])} - {eta}\,{w.any(g)}"]
