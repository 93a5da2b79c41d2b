"""Worked solutions: the whole working of `solve`, as Markdown (GitHub math) or LaTeX.

Both come from one outline built here from the `solve` document (the numbers) and the
problem (inputs, targets, the parameters before the update); worked_tex renders it.
Notation: single-sample vectors are columns for layout out_in (a = W h + b) and rows for
in_out (a = h W + b); a batch has one row per sample (A = H W^T + b). delta_l = dL/da_l.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.output.worked import formulas as rules
from backprop_cli.output.worked import tex
from backprop_cli.output.worked.tex import Math, as_rows
from backprop_cli.output.worked.update import UpdateSections

if TYPE_CHECKING:
    from backprop_cli.problem.reader import Problem

NOT_FINITE = "not finite (saturated output)"


def markdown(problem: Problem, doc: dict, decimals: int, diagram: str | None = None) -> str:
    """The worked solution as GitHub Markdown: math in $...$ and ```math blocks.
    diagram: a picture of the network to show with the problem statement."""
    return tex.to_markdown(_Outline(problem, doc, decimals, diagram).build())


def latex(problem: Problem, doc: dict, decimals: int, diagram: str | None = None) -> str:
    """The worked solution as a complete LaTeX document for pdflatex (amsmath, amssymb,
    graphicx); diagram, when given, is a PDF, PNG or JPEG of the network."""
    return tex.to_latex(_Outline(problem, doc, decimals, diagram).build())


class _Outline(UpdateSections):
    def __init__(self, problem: Problem, doc: dict, decimals: int, diagram: str | None = None):
        self.p, self.doc, self.dec, self.diagram = problem, doc, decimals, diagram
        self.model = problem.model
        self.L = len(problem.model.layers)
        self.n = problem.x.shape[0]
        self.batch = problem.batched
        self.col = not self.batch and problem.layout == "out_in"  # vectors as columns
        self.blocks: list = []

    # ------------------------------------------------------------------ helpers

    def add(self, kind, body):
        self.blocks.append((kind, body))

    def par(self, *segments):
        self.add("par", list(segments))

    def eq(self, *steps):
        self.add("eq", list(steps))

    def mat(self, arr, fmt=None) -> str:
        return tex.matrix(np.asarray(arr, dtype=float), fmt or self.entry)

    def entry(self, v) -> str:
        return tex.entry(v, self.dec)

    def given(self, v) -> str:
        return tex.given(v, self.dec)

    def vec(self, arr, fmt=None) -> str:
        """A per-sample quantity (N, k): a column, a row, or one row per sample."""
        return self.mat(arr.T if self.col else arr, fmt)

    def bias(self, b) -> str:
        b = np.asarray(b, dtype=float)
        return self.mat(b[:, None] if self.col else b[None, :])

    def num(self, v) -> str:
        return tex.number(v, self.dec)

    def s(self, name: str, l) -> str:
        if self.batch:
            name = {"a": "A", "h": "H", "delta": r"\Delta", "y": "Y", "yhat": r"\hat Y"}[name]
        else:
            name = {"delta": r"\delta", "yhat": r"\hat y"}.get(name, name)
        return name if l is None else f"{name}_{{{l}}}"

    def d(self, name: str, l) -> str:
        sym = self.s(name, l) if name in "ah" else f"{name}_{{{l}}}"
        return rf"\frac{{\partial L}}{{\partial {sym}}}"

    def fwd(self, name: str) -> np.ndarray:
        return as_rows(self.doc["forward"][name])

    def grad(self, name: str) -> np.ndarray:
        return as_rows(self.doc["gradients"][name])

    def frozen(self, name: str) -> bool:
        return name not in self.model.trainable_names()

    def batch_factor(self, k: int = 1, top: int = 1) -> tuple[str, str]:
        """(symbolic, numeric) factor top / (k N) of a per-sample derivative, or ('', '')."""
        mean = self.batch and self.model.reduction == "mean" and self.n > 1
        den_sym = ("K" if k > 1 else "") + (" N" if mean else "")
        den = k * (self.n if mean else 1)
        if den == 1 and top == 1:
            return "", ""
        return rf"\frac{{{top}}}{{{den_sym.strip() or '1'}}}", rf"\frac{{{top}}}{{{den}}}"

    # ------------------------------------------------------------------ sections

    def build(self) -> list:
        p = self.p
        self.add("title", "Worked solution" + (f": {p.title}" if p.title else ""))
        self.par(f"Problem file: {p.source}. Numbers rounded to {self.dec} decimals.")
        if self.doc.get("rounded") is not None:
            self.par(f"Textbook rounding: intermediate values rounded to {self.doc['rounded']} "
                     "decimals, each rounded value carried into the next step.")
        self.statement()
        if self.diagram:
            self.add("figure", self.diagram)
        self.forward()
        self.loss()
        self.backward()
        self.update()
        self.answers()
        return self.blocks

    def statement(self):
        p, model = self.p, self.model
        self.add("section", "Problem")
        sizes = [p.x.shape[1]] + [p.params[f"W{l}"].shape[0] for l in range(1, self.L + 1)]
        acts = []
        for spec in model.layers:
            extra = ACTIVATIONS[spec.activation].param
            acts.append(spec.activation + (f" ({extra} {tex.plain(spec.param)})" if extra else ""))
        self.par("Network: ", Math(r" \to ".join(map(str, sizes))), " units; activations: "
                 + ", ".join(acts) + ".")
        samples = f"{self.n} sample{'s' if self.n != 1 else ''}"
        form = {(False, "out_in"): r"a_l = W_l h_{l-1} + b_l", (False, "in_out"):
                r"a_l = h_{l-1} W_l + b_l", (True, "out_in"): r"A_l = H_{l-1} W_l^\top + b_l",
                (True, "in_out"): r"A_l = H_{l-1} W_l + b_l"}[(self.batch, p.layout)]
        self.par(f"Loss: {model.loss}, reduction {model.reduction} over {samples}; layout "
                 f"{p.layout}: ", Math(form), "." + (" One row per sample; the bias is added"
                                                      " to every row." if self.batch else ""))
        self.eq((self.s("h", 0) + " = " + ("X" if self.batch else "x"), "=",
                 [self.vec(p.x, self.given) + ",", rf"\qquad {self.s('y', None)} = "
                  + self.vec(p.y, self.given)]))
        raw = p.document.get("y") if isinstance(p.document, dict) else None
        if isinstance(raw, int) or (self.batch and isinstance(raw, list) and raw
                                    and not isinstance(raw[0], list)):
            self.par(f"The targets were given as class indices ({raw}), 0-based: one-hot above.")
        for l, spec in enumerate(model.layers, 1):
            frozen = r"\ \text{(frozen)}"
            terms = [self.mat(self.file_w(l)) + (frozen if self.frozen(f"W{l}") else "")]
            if spec.bias:
                terms[0] += ","
                terms.append(rf"\qquad b_{{{l}}} = {self.bias(p.params[f'b{l}'])}"
                             + (frozen if self.frozen(f"b{l}") else ""))
            self.eq((f"W_{{{l}}}", "=", terms))
            if not spec.bias:
                self.par(f"Layer {l} has no bias.")
        opt = self.doc["update"]["optimizer"]
        self.par(f"Optimizer: {opt['name']} with learning rate ",
                 Math(rf"\eta = {tex.plain(opt['lr'])}"), ".")
        terms = [f"({n} \\cdot {m} + {n})" if self.model.layers[l - 1].bias else f"{n} \\cdot {m}"
                 for l, (m, n) in enumerate(zip(sizes, sizes[1:]), 1)]
        count, trainable = self.doc["parameters"], self.doc["trainable"]
        self.par("Learnable parameters: ", Math(" + ".join(terms) + f" = {count}"),
                 f" ({trainable} trainable)." if trainable != count else ".")

    def file_w(self, l) -> np.ndarray:
        W = self.p.params[f"W{l}"]
        return W.T if self.p.layout == "in_out" else W

    def forward(self):
        self.add("section", "Step 1: Forward pass")
        h_prev = self.p.x
        for l, spec in enumerate(self.model.layers, 1):
            fmt = self.given if l == 1 else None
            self.add("subsection", f"Layer {l}" + (" (output)" if l == self.L else ""))
            W = self.p.params[f"W{l}"]
            if self.col:
                sym = rf"W_{{{l}}} h_{{{l - 1}}}"
                terms = [(self.mat(W), self.vec(h_prev, fmt))]
            else:
                t = r"^\top" if self.p.layout == "out_in" else ""
                sym = rf"{self.s('h', l - 1)} W_{{{l}}}{t}"
                terms = [(self.vec(h_prev, fmt), self.mat(W.T))]
            if spec.bias:
                sym += f" + b_{{{l}}}"
                terms.append("+ " + self.bias(self.p.params[f"b{l}"]))
            a, h, sums = self.fwd(f"a{l}"), self.fwd(f"h{l}"), self.doc["sums"]
            a_l, h_l = self.s("a", l), self.s("h", l)
            self.eq((a_l, "=", [sym]), (None, "=", terms), (None, "=", [self.vec(a)]))
            self.par("Sum: ", Math(rf"\sum {a_l} = {self.num(sums[f'a{l}'])}"))
            symbol, definition, _ = rules.ACTIVATION[spec.activation]
            definition = definition.replace("%", tex.plain(spec.param or 0))
            where = (r"\text{for each sample}" if self.batch else r"\text{over the vector}") \
                if spec.activation == "softmax" else r"\text{elementwise}"
            self.eq((h_l, "=", [rf"{symbol}({a_l}),", rf"\quad {definition}", rf"\quad {where}"]),
                    (None, "=", [rf"{symbol}\left({self.vec(a)}\right)"]),
                    (None, "=", [self.vec(h)]))
            self.par("Sum: ", Math(rf"\sum {h_l} = {self.num(sums[f'h{l}'])}"))
            h_prev = h
        self.par("The output ", Math(rf"{self.s('h', self.L)} = {self.s('yhat', None)}"),
                 " is the prediction.")

    def loss(self):
        model = self.model
        self.add("section", "Step 2: Loss")
        per_sample = rules.loss_formula(model.loss, r"\hat y_{n,k}" if self.batch else r"\hat y_k",
                                  "y_{n,k}" if self.batch else "y_k")
        K = self.p.y.shape[1]
        exact = {"cross_entropy": "log-sum-exp", "bce": "log-sigmoid"}.get(model.loss)
        self.par(f"{model.loss}, with K = {K} outputs" + (
            f"; computed exactly from the logits ({exact}), not from rounded outputs."
            if exact else "."))
        if not self.batch:
            terms = rules.loss_terms(model.loss, self.fwd(f"h{self.L}")[0], self.p.y[0], self.dec)
            self.eq(("L", "=", [per_sample]), (None, "=", terms),
                    (None, "=", [self.num(self.doc["loss"])]))
            return
        with np.errstate(all="ignore"):
            ell = LOSSES[model.loss].value(self.fwd(f"a{self.L}"), self.fwd(f"h{self.L}"),
                                           self.p.y)
        names = ", ".join(rf"\ell_{{{i + 1}}}" for i in range(self.n))
        values = " + ".join(self.num(v) for v in ell)
        reduce_sym, reduce_num = (r"\frac{1}{N} \sum_n \ell_n", rf"\frac{{1}}{{{self.n}}}")
        if model.reduction == "sum":
            reduce_sym, reduce_num = r"\sum_n \ell_n", ""
        self.eq((r"\ell_n", "=", [per_sample, r"\quad \text{for each sample } n"]),
                (rf"({names})", "=", [f"({', '.join(self.num(v) for v in ell)})"]),
                ("L", "=", [reduce_sym]), (None, "=", [rf"{reduce_num}({values})"]),
                (None, "=", [self.num(self.doc["loss"])]))

    def backward(self):
        self.add("section", "Step 3: Backward pass, output to input")
        delta = rf"{self.s('delta', 'l')} = \partial L / \partial {self.s('a', 'l')}"
        self.par("Write ", Math(delta),
                 " for the gradient of the loss with respect to the pre-activation of layer l.")
        for l in range(self.L, 0, -1):
            self.add("subsection", f"Layer {l}" + (" (output)" if l == self.L else ""))
            if l == self.L:
                self.output_delta()
            else:
                self.hidden_delta(l)
            self.parameter_gradients(l)

    def output_delta(self):
        L, loss = self.L, self.model.loss
        yhat, y = self.fwd(f"h{L}"), self.p.y
        y_s, yh_s = self.s("y", None), self.s("yhat", None)
        y_mat = self.vec(y, self.given)
        dh = self.grad(f"h{L}")
        k = y.shape[1]
        sym_h = rules.dh_formula(loss, yh_s, y_s)
        fs, fn = self.batch_factor(k if loss in ("mse", "bce") else 1, 2 if loss == "mse" else 1)
        note = r"\quad \text{elementwise (0 where } y_k = 0)" if loss == "cross_entropy" else ""
        steps = [(self.d("h", L), "=", [rf"{fs} {sym_h}".strip() + note])]
        if loss in ("mse", "sse_half"):
            steps.append((None, "=", tex.difference(fn, self.vec(yhat), y_mat)))
        self.eq(*steps, (None, "=", [self.vec(dh)]))
        if np.isnan(dh).any():
            self.par(r"n.f.: " + NOT_FINITE + ": ", Math(rf"{yh_s}_k"), " is exactly 0 or 1 in "
                     "float64, so this derivative is infinite; the loss's derivative with "
                     "respect to the logits below is exact and finite.")
        if loss in ("cross_entropy", "bce"):
            fs, fn = self.batch_factor(k if loss == "bce" else 1)
            why = "softmax with cross-entropy: the softmax Jacobian times " if loss == \
                "cross_entropy" else "sigmoid with binary cross-entropy: the sigmoid's slope times "
            self.par(why[0].upper() + why[1:], Math(rf"\partial L / \partial {self.s('h', L)}"),
                     " simplifies to")
            diff = f"{yh_s} - {y_s}"
            if loss == "cross_entropy" and not np.allclose(y.sum(axis=1), 1.0):
                diff = rf"{yh_s} \textstyle\sum_k {y_s}_k - {y_s}"
                self.eq((rf"{self.s('delta', L)} = {self.d('a', L)}", "=", [diff]),
                        (None, "=", [self.vec(self.grad(f"a{L}"))]))
                return
            self.eq((rf"{self.s('delta', L)} = {self.d('a', L)}", "=",
                     [f"{fs}({diff})" if fs else diff]),
                    (None, "=", tex.difference(fn, self.vec(yhat), y_mat)),
                    (None, "=", [self.vec(self.grad(f"a{L}"))]))
            return
        self.chain(L)

    def hidden_delta(self, l):
        W = self.p.params[f"W{l + 1}"]
        delta = self.grad(f"a{l + 1}")
        if self.col:
            sym = rf"W_{{{l + 1}}}^\top \delta_{{{l + 1}}}"
            terms = [(self.mat(W.T), self.vec(delta))]
        else:
            t = r"^\top" if self.p.layout == "in_out" else ""
            sym = rf"{self.s('delta', l + 1)} W_{{{l + 1}}}{t}"
            terms = [(self.vec(delta), self.mat(W))]
        self.eq((self.d("h", l), "=", [sym]), (None, "=", terms),
                (None, "=", [self.vec(self.grad(f"h{l}"))]))
        self.chain(l)

    def chain(self, l):
        """delta_l from dL/dh_l through the activation's derivative."""
        spec = self.model.layers[l - 1]
        a, h, dh = self.fwd(f"a{l}"), self.fwd(f"h{l}"), self.grad(f"h{l}")
        da = self.grad(f"a{l}")
        symbol, _, deriv = rules.ACTIVATION[spec.activation]
        lhs = rf"{self.s('delta', l)} = {self.d('a', l)}"
        if deriv is None:  # softmax: its full Jacobian, as a vector product
            s = (dh * h).sum(axis=1, keepdims=True)
            h_l = self.s("h", l)
            self.par("Softmax couples the outputs of a sample: ",
                     Math(r"\partial h_k / \partial a_j = h_k ([k = j] - h_j)"), ", so")
            s_val = self.mat(s) if self.batch else self.num(s[0, 0])
            ones = r" \mathbf{1}^\top" if self.batch else ""  # s of each row, across its row
            self.eq(("s", "=", [rf"\sum_k \frac{{\partial L}}{{\partial h_{{{l},k}}}} "
                                rf"h_{{{l},k}}", r"\quad \text{for each sample}"]),
                    (None, "=", [s_val]),
                    (lhs, "=", [rf"{h_l} \odot \left({self.d('h', l)} - s{ones}\right)"]),
                    (None, "=", [rf"{self.vec(h)} \odot \left({self.vec(dh)} - {s_val}{ones}"
                                 r"\right)"]),
                    (None, "=", [self.vec(da)]))
            return
        with np.errstate(all="ignore"):
            fp = ACTIVATIONS[spec.activation].backward(a, h, None, np.ones_like(a),
                                                            spec.param)
        deriv = deriv.replace("@", f"{{{l}}}").replace("%", tex.plain(spec.param or 0))
        if self.batch:
            deriv = deriv.replace("h_{", "H_{").replace("a_{", "A_{")
        self.eq((rf"{symbol}'({self.s('a', l)})", "=", [deriv]), (None, "=", [self.vec(fp)]),
                (lhs, "=", [rf"{self.d('h', l)} \odot {symbol}'({self.s('a', l)})"]),
                (None, "=", [self.vec(dh), r"\odot " + self.vec(fp)]),
                (None, "=", [self.vec(da)]))

    def parameter_gradients(self, l):
        spec = self.model.layers[l - 1]
        g = self.doc["gradients"]
        delta, h_prev = self.grad(f"a{l}"), (self.p.x if l == 1 else self.fwd(f"h{l - 1}"))
        fmt = self.given if l == 1 else None
        d_s, h_s = self.s("delta", l), self.s("h", l - 1)
        if self.p.layout == "out_in":
            sym = rf"{d_s}^\top {h_s}" if self.batch else rf"{d_s} {h_s}^\top"
            terms = [(self.mat(delta.T), self.mat(h_prev, fmt))]
        else:
            sym, terms = rf"{h_s}^\top {d_s}", [(self.mat(h_prev.T, fmt), self.mat(delta))]
        self.eq((self.d("W", l), "=", [sym]), (None, "=", terms),
                (None, "=", [self.mat(as_rows(g[f"W{l}"]))]))
        if not spec.bias:
            self.par(f"Layer {l} has no bias, so no bias gradient.")
        elif self.batch:
            ones = self.mat(np.ones((1, self.n)), lambda v: "1")
            self.eq((self.d("b", l), "=", [rf"\mathbf{{1}}^\top {d_s}",
                                           r"\quad \text{(the sum of its rows)}"]),
                    (None, "=", [(ones, self.mat(delta))]),
                    (None, "=", [self.bias(g[f"b{l}"])]))
        else:
            self.eq((self.d("b", l), "=", [d_s]), (None, "=", [self.bias(g[f"b{l}"])]))
        for name in (f"W{l}", f"b{l}"):
            if name in self.p.params and self.frozen(name):
                self.par(Math(f"{name[0]}_{{{l}}}"), " is frozen: its gradient is computed, but "
                         "the update leaves it unchanged.")
