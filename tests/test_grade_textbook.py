"""An independent textbook implementation of the three networks the grade tests use, with a
hook for every slip of the catalogue, written out by hand in plain numpy (nothing from
backprop_cli): it makes the answer sheets the other test_grade_* files mark. Its own test
checks that, without a slip, it gives solve's numbers.

Single samples are vectors, as solve's document writes them; the batch has a row each.
`rnd` rounds every value as it is computed (a sheet worked by hand at k decimals).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from helpers import CLASSIC

MAZUR = """
x: [0.05, 0.10]
y: [0.01, 0.99]
loss: sse_half
layers:
  - {weights: [[0.15, 0.20], [0.25, 0.30]], bias: [0.35, 0.35], frozen: [bias],
     activation: sigmoid}
  - {weights: [[0.40, 0.45], [0.50, 0.55]], bias: [0.60, 0.60], frozen: [bias],
     activation: sigmoid}
optimizer: {name: sgd, lr: 0.5}
"""

BATCH = """
x: [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]]
y: [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
loss: mse
layers:
  - {weights: [[0.2, -0.4], [0.7, 0.1]], bias: [0.1, -0.1], activation: relu}
  - {weights: [[0.6, -0.2], [0.4, 0.5]], bias: [0.0, 0.1], activation: sigmoid}
optimizer: {name: sgd, lr: 0.5}
"""

TANH_BCE = """
x: [[0.3, -0.6], [1.2, 0.4], [-0.9, 0.7]]
y: [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
loss: bce
layers:
  - {weights: [[0.5, -0.3], [0.2, 0.8], [-0.6, 0.4]], bias: [0.1, 0.0, -0.2],
     activation: tanh}
  - {weights: [[0.7, -0.5, 0.3], [-0.4, 0.6, 0.9]], bias: [0.05, -0.1], activation: sigmoid}
optimizer: {name: sgd, lr: 0.5}
"""

INTEGER = """
x: [2, -1, 3]
y: [1, 0]
loss: sse_half
layers:
  - {weights: [[1, 2, -1], [0, -1, 2], [3, 1, -2]], bias: [1, 0, -1], activation: relu}
  - {weights: [[1, -1, 2], [-2, 1, 1]], bias: [0, 1], activation: sigmoid}
optimizer: {name: sgd, lr: 1}
"""

UNIT = """
x: [[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5], [2.0, 1.0]]
y: [[1.0], [0.0], [0.0], [1.0]]
loss: bce
layers:
  - {weights: [[0.3, -0.2]], bias: [0.1], activation: sigmoid}
optimizer: {name: sgd, lr: 0.5}
"""

# The slip catalogue's networks (every slip is made on each, test_grade_slips.py), and more
# for marking (test_grade_trust.py): tanh + sigmoid with BCE on a batch, integers, one unit.
NETWORKS = {"classic": CLASSIC.read_text(), "mazur": MAZUR, "batch": BATCH}
MORE = {"tanh_bce": TANH_BCE, "integer": INTEGER, "unit": UNIT}
ALL = {**NETWORKS, **MORE}


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


class Textbook:
    def __init__(self, text: str):
        doc = yaml.safe_load(text)
        self.batched = isinstance(doc["x"][0], list)
        self.x = np.atleast_2d(np.array(doc["x"], dtype=float))
        self.y = np.atleast_2d(np.array(doc["y"], dtype=float))
        self.loss = doc["loss"]
        self.W = [np.array(layer["weights"], dtype=float) for layer in doc["layers"]]
        self.b = [np.array(layer["bias"], dtype=float) for layer in doc["layers"]]
        self.chain = False  # ∂L/∂a_L at a fused output from ∂L/∂ŷ ⊙ f′, not as ŷ − y
        self.act = [layer["activation"] for layer in doc["layers"]]
        self.frozen = ["bias" in layer.get("frozen", []) for layer in doc["layers"]]
        self.lr = float(doc["optimizer"]["lr"])
        self.N, self.K, self.L = self.x.shape[0], self.y.shape[1], len(self.W)

    # ----------------------------------------------------------------- pieces

    def f(self, l, a):
        return {"sigmoid": sig, "relu": lambda v: np.maximum(v, 0.0), "tanh": np.tanh,
                "softmax": softmax}[self.act[l]](a)

    def prime(self, l, a, h, slip):
        """f'(a) entry by entry, as the sheet's author computes it."""
        if slip == "derivative-as-h":
            return h
        if slip == "derivative-missing":
            return np.ones_like(h)
        at = h if slip == "derivative-at-h" else a
        if self.act[l] in ("sigmoid", "tanh"):
            s = (h if slip != "derivative-at-h" else self.f(l, h))
            s = a if slip == "derivative-with-a" else s  # a(1 - a), 1 - a²: a for h
            return s * (1 - s) if self.act[l] == "sigmoid" else 1 - s * s
        return (at > 0).astype(float)

    def loss_value(self, h, factor):
        y = self.y
        if self.loss == "cross_entropy":
            per = -(y * np.log(h)).sum(axis=1)
        elif self.loss == "bce":
            per = -(y * np.log(h) + (1 - y) * np.log(1 - h)).mean(axis=1)
        elif self.loss == "sse_half":
            per = 0.5 * ((h - y) ** 2).sum(axis=1)
        else:
            per = ((h - y) ** 2).mean(axis=1)
        return float(per.mean()) * factor

    def forward(self, W, b, rnd, inject=None):
        a, h = [], [self.x]
        for l in range(self.L):
            a.append(rnd(h[-1] @ W[l].T + b[l]))
            out = rnd(self.f(l, a[-1]))
            if inject is not None and l == 0:
                out = out.copy()
                out[0, 0] += inject
            h.append(out)
        return a, h

    # ------------------------------------------------------------- the sheet

    def sheet(self, slip: str = "", variant: str = "", rnd=lambda v: v) -> dict:
        """Every quantity of solve's document this network has, worked with the slip."""
        scale = {"x2": 2.0, "x1/2": 0.5}.get(variant, 1.0) if slip == "factor-2" else 1.0
        reduce = self._reduce_factor(slip, variant)
        a, h = self.forward(self.W, self.b, rnd, 0.05 if slip == "arithmetic" else None)
        out = {}
        for l in range(self.L):
            out[f"forward.a{l + 1}"], out[f"forward.h{l + 1}"] = a[l], h[l + 1]
        for l in range(self.L):
            out[f"sums.a{l + 1}"] = rnd(float(rnd(a[l]).sum()))
            out[f"sums.h{l + 1}"] = rnd(float(rnd(h[l + 1]).sum()))
        out["loss"] = rnd(self.loss_value(h[-1], reduce))
        W_new, b_new = self._backward(a, h, slip, variant, scale * reduce, rnd, out)
        a2, h2 = self.forward(W_new, b_new, rnd)
        out["update.loss"] = rnd(self.loss_value(h2[-1], reduce))
        if slip == "loss-before-update":
            out["update.loss"] = out["loss"]
        return {k: self._shown(k, v) for k, v in out.items()}

    def _reduce_factor(self, slip, variant):
        if slip != "mean-vs-sum":
            return 1.0
        if variant == "samples":
            return float(self.N)
        return float(self.K) if self.loss == "mse" else 1.0 / self.K

    def _output_gradients(self, a, h, slip, variant, factor, rnd):
        """(∂L/∂ŷ, ∂L/∂a_L) as the author takes them."""
        L, y, hL, n = self.L - 1, self.y, h[-1], self.N
        # the Err convention (Han & Kamber) works with the negated gradient throughout
        sign = -1.0 if (slip, variant) in (("sign", "gradient"), ("err", "")) else 1.0
        n = 1 if slip == "no-1/N" else n  # the gradient without its 1/N (the loss keeps it)
        dyhat = {"cross_entropy": lambda: -y / hL, "sse_half": lambda: hL - y,
                 "mse": lambda: 2 * (hL - y) / self.K,
                 "bce": lambda: (hL - y) / (hL * (1 - hL)) / self.K}[self.loss]() / n
        dyhat = rnd(dyhat * factor * sign)
        if self.loss not in ("cross_entropy", "bce") or self.chain and self.loss == "bce":
            return dyhat, rnd(dyhat * self.prime(L, a[L], hL, slip))
        if self.chain:  # softmax's Jacobian applied to ∂L/∂ŷ (the slips: to their f′)
            if slip == "derivative-missing":
                return dyhat, dyhat
            if slip == "derivative-as-h":
                return dyhat, rnd(dyhat * hL)
            return dyhat, rnd(hL * (dyhat - (dyhat * hL).sum(axis=1, keepdims=True)))
        if slip == "softmax-diagonal":  # through the chain, softmax's Jacobian as a diagonal
            return dyhat, rnd(dyhat * hL * (1 - hL))
        g = (hL - y) / n * factor * sign / (self.K if self.loss == "bce" else 1)
        if (slip, variant) == ("derivative-extra", "diagonal"):
            g = g * hL * (1 - hL)
        elif (slip, variant) == ("derivative-extra", "jacobian") and self.act[-1] == "softmax":
            g = hL * (g - (g * hL).sum(axis=1, keepdims=True))
        return dyhat, rnd(g)

    def _backward(self, a, h, slip, variant, factor, rnd, out):
        dyhat, delta = self._output_gradients(a, h, slip, variant, factor, rnd)
        out[f"gradients.h{self.L}"], out[f"gradients.a{self.L}"] = dyhat, delta
        lr = {"without": 1.0, "twice": self.lr ** 2}.get(variant, self.lr) \
            if slip == "learning-rate" else self.lr
        W_new, b_new = list(self.W), list(self.b)
        for l in range(self.L - 1, -1, -1):
            dW = delta.T @ h[l]
            dW = rnd(dW.T if slip == "transposed-gradient" else dW)
            db = rnd(delta.sum(axis=0))
            if (slip, variant) == ("sign", "parameters"):
                dW, db = -dW, -db
            out[f"gradients.W{l + 1}"], out[f"gradients.b{l + 1}"] = dW, db
            step = -1.0 if (slip, variant) in (("sign", "update"), ("err", "")) else 1.0
            W_new[l] = rnd(self.W[l] - step * lr * dW)
            if not self.frozen[l] and slip != "bias-not-updated":
                b_new[l] = rnd(self.b[l] - step * lr * db)
            out[f"update.parameters.W{l + 1}"] = W_new[l]
            out[f"update.parameters.b{l + 1}"] = b_new[l]
            if l == 0:
                break
            dh = rnd(self._back_to_h(l, delta, W_new[l], slip, variant))
            delta = rnd(dh * self.prime(l - 1, a[l - 1], h[l], slip))
            out[f"gradients.h{l}"], out[f"gradients.a{l}"] = dh, delta
        return W_new, b_new

    def _back_to_h(self, l, delta, W_new, slip, variant):
        W = self.W[l]
        if slip == "updated-weights":
            return delta @ W_new
        if slip == "transposed-weights":
            return delta @ W.T
        if slip == "no-fan-out-sum" and variant == "diagonal":
            return delta * np.diag(W)
        if slip == "no-fan-out-sum":
            k = int(variant.split()[1])
            return delta[:, k:k + 1] * W[k] if k < W.shape[0] else delta @ W
        return delta @ W

    def _shown(self, key, value):
        """As solve's document shows it: per-sample values as a vector for one sample."""
        value = np.asarray(value, dtype=float)
        if key.startswith(("forward", "gradients.h", "gradients.a")) and not self.batched:
            value = value[0]
        return value.tolist() if value.ndim else float(value)


def sheet_text(sheet: dict, number=lambda v: f"{v:.17e}", student: str = "t") -> str:
    """A YAML answer sheet, each number written by `number`: by default with all the
    digits float64 has, so that 0.1 says it means 0.1 and not 0.1 ± 0.05."""
    def written(value):
        if isinstance(value, list):
            return "[" + ", ".join(written(v) for v in value) + "]"
        return number(value)

    lines = [f"student: {student}", "answers:"]
    lines += [f"  {path}: {written(value)}" for path, value in sheet.items()]
    return "\n".join(lines) + "\n"


# Every (slip, variant) the tests make, and where one changes nothing, why.
CASES = [("updated-weights", ""), ("derivative-at-h", ""), ("derivative-with-a", ""),
         ("derivative-as-h", ""),
         ("derivative-missing", ""), ("derivative-extra", "diagonal"),
         ("derivative-extra", "jacobian"), ("factor-2", "x2"), ("factor-2", "x1/2"),
         ("mean-vs-sum", "samples"), ("mean-vs-sum", "outputs"), ("sign", "gradient"),
         ("sign", "parameters"), ("sign", "update"), ("transposed-weights", ""),
         ("transposed-gradient", ""), ("no-fan-out-sum", "diagonal"),
         ("no-fan-out-sum", "output 0"), ("no-fan-out-sum", "output 1"),
         ("no-fan-out-sum", "output 2"), ("softmax-diagonal", ""), ("bias-not-updated", ""),
         ("learning-rate", "without"), ("learning-rate", "twice"), ("loss-before-update", ""),
         ("arithmetic", "")]

CANNOT = {
    ("classic", "mean-vs-sum", "samples"): "one sample: a mean over samples is their sum",
    ("classic", "learning-rate", "without"): "eta = 1: the update is the same without it",
    ("classic", "learning-rate", "twice"): "eta = 1: eta squared is eta",
    ("mazur", "derivative-extra", "diagonal"): "sse_half has no fused gradient for f' to "
                                               "cancel in (that needs CE or BCE)",
    ("mazur", "derivative-extra", "jacobian"): "no softmax and no cross-entropy",
    ("mazur", "mean-vs-sum", "samples"): "one sample",
    ("mazur", "no-fan-out-sum", "output 2"): "its layers have two units",
    ("mazur", "softmax-diagonal", ""): "no softmax",
    ("mazur", "bias-not-updated", ""): "its biases are frozen: they are never updated",
    ("batch", "derivative-extra", "diagonal"): "mse has no fused gradient (needs CE or BCE)",
    ("batch", "derivative-extra", "jacobian"): "no softmax and no cross-entropy",
    ("batch", "no-fan-out-sum", "output 2"): "its layers have two units",
    ("batch", "softmax-diagonal", ""): "no softmax",
}


@pytest.mark.parametrize("network", ALL)
def test_without_a_slip_the_textbook_gives_solves_numbers(run, tmp_path, network):
    problem = tmp_path / "p.yaml"
    problem.write_text(ALL[network])
    result = run("solve", problem, "--format", "json")
    doc = json.loads(result.stdout)
    sheet = Textbook(ALL[network]).sheet()
    assert len(sheet) == 10 * Textbook(ALL[network]).L + 2  # every quantity
    for path, value in sheet.items():
        expected = doc
        for key in path.split("."):
            expected = expected[key]
        assert np.allclose(value, expected, rtol=1e-12, atol=1e-15), path
