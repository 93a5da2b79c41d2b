"""How a worked solution writes its symbols and numbers, for one problem and its solution.

Single-sample vectors are columns for layout out_in (a = W h + b) and rows for in_out
(a = h W + b); a batch has one row per sample and capital symbols (A = H W^T + b).
delta_l = dL/da_l.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import numpy as np

from backprop_cli.output.worked import tex

if TYPE_CHECKING:
    from backprop_cli.problem.reader import Problem

_BATCH_SYMBOLS = {"a": "A", "h": "H", "delta": r"\Delta", "y": "Y", "yhat": r"\hat Y",
                  "x": "X", "xhat": r"\hat X", "mask": "M"}
_SAMPLE_SYMBOLS = {"delta": r"\delta", "yhat": r"\hat y", "xhat": r"\hat x", "mask": "m"}
PARAMETERS = {"W": "W", "b": "b", "gamma": r"\gamma", "beta": r"\beta"}


def split_name(name: str) -> tuple[str, int]:
    """("gamma", 2) of "gamma2": a quantity's name and its layer."""
    what, l = re.fullmatch(r"([A-Za-z_]+?)(\d+)", name).groups()
    return what, int(l)


def as_rows(value) -> np.ndarray:
    """A vector, or a list of rows, of the document as a 2-D float array (nan for null)."""
    rows = value if value and isinstance(value[0], list) else [value]
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)


class Notation:
    """The problem (inputs, targets, the parameters before the update), the `solve` document
    (every computed number) and the decimals, with the ways of writing them in TeX."""

    def __init__(self, problem: Problem, doc: dict, decimals: int):
        self.problem, self.doc, self.decimals = problem, doc, decimals
        self.model = problem.model
        self.depth = len(problem.model.layers)  # L: the output layer's number
        self.samples = problem.x.shape[0]
        self.batch = problem.batched
        self.columns = not self.batch and problem.layout == "out_in"
        self.seq = None  # a sequence exercise's rules (timesteps.py), imported for one
        if problem.model.time is not None:  # the dense layers see its steps as rows
            from backprop_cli.output.worked.sequences import timesteps

            self.seq = timesteps
            timesteps.configure(self)

    # ---------------------------------------------------------------- symbols

    def symbol(self, name: str, l) -> str:
        """a, h, delta, y or yhat of layer l (None: no subscript), capital for a batch."""
        if self.batch:
            name = _BATCH_SYMBOLS[name]
        else:
            name = _SAMPLE_SYMBOLS.get(name, name)
        return name if l is None else f"{name}_{{{l}}}"

    def partial(self, name: str, l) -> str:
        """dL/d(name_l) as a fraction; the parameters keep their symbol in a batch."""
        if name in ("a", "h", "x", "xhat"):
            sym = self.symbol(name, l)
        else:
            sym = f"{PARAMETERS.get(name, name)}_{{{l}}}"
        return rf"\frac{{\partial L}}{{\partial {sym}}}"

    def param_symbol(self, name: str) -> str:
        """W_{1}, b_{1}, \\gamma_{2}, \\beta_{2} of a parameter's name."""
        what, l = split_name(name)
        return f"{PARAMETERS[what]}_{{{l}}}"

    def input_partial(self, l: int) -> str:
        """dL/d(layer l's input): dL/dh_{l-1}, or dL/dx for the first layer."""
        return self.partial("x", None) if l == 1 else self.partial("h", l - 1)

    def kind(self, l: int) -> str:
        """Layer l's kind: dense, batchnorm, layernorm, dropout, conv2d, maxpool2d,
        avgpool2d or flatten."""
        return self.model.layers[l - 1].kind

    def width(self, l: int) -> int:
        """n_l, the width of h_l (h_0 = x); a sequence's per step."""
        n = None if self.seq is None else self.seq.width(self, l)
        if n is not None:
            return n
        return self.problem.inputs.units(l)

    def layer_title(self, l: int) -> str:
        return f"Layer {l}" + (" (output)" if l == self.depth else "")

    def batch_factor(self, k: int = 1, top: int = 1) -> tuple[str, str]:
        """(symbolic, numeric) factor top / (k N) of a per-sample derivative, or ('', '')."""
        mean = self.batch and self.model.reduction == "mean" and self.samples > 1
        den_sym = ("K" if k > 1 else "") + (" N" if mean else "")
        den = k * (self.samples if mean else 1)
        if den == 1 and top == 1:
            return "", ""
        return rf"\frac{{{top}}}{{{den_sym.strip() or '1'}}}", rf"\frac{{{top}}}{{{den}}}"

    # ---------------------------------------------------------------- numbers

    def number(self, v) -> str:
        return tex.number(v, self.decimals)

    def given(self, v) -> str:
        """An input or target, as the file wrote it when that is short."""
        return tex.given(v, self.decimals)

    def entry(self, v) -> str:
        """A computed matrix entry; n.f. where the value is not finite."""
        return tex.entry(v, self.decimals)

    def matrix(self, arr, cell=None) -> str:
        """A 2-D array as a bmatrix; cell formats an entry (default: entry)."""
        return tex.matrix(np.asarray(arr, dtype=float), cell or self.entry)

    def vector(self, arr, cell=None) -> str:
        """A per-sample quantity (N, k): a column, a row, or one row per sample."""
        return self.matrix(arr.T if self.columns else arr, cell)

    def statistic(self, values, cell=None) -> str:
        """One number per sample (layer norm's μ, σ²): a column for a batch, a number for
        one sample."""
        values = np.atleast_1d(np.asarray(values, dtype=float))
        if not self.batch:
            return (cell or self.entry)(float(values[0]))
        return self.matrix(values[:, None], cell)

    def bias(self, b, cell=None) -> str:
        """A bias (k,): a column or a row, like the vectors it is added to."""
        b = np.asarray(b, dtype=float)
        return self.matrix(b[:, None] if self.columns else b[None, :], cell)

    # ---------------------------------------------------------------- values

    def forward_value(self, name: str) -> np.ndarray:
        """a{l} or h{l} of the forward pass, one row per sample (a feature map's row in
        (C, H, W) order, as the engine holds it)."""
        return self._rows(name, self.doc["forward"][name])

    def gradient(self, name: str) -> np.ndarray:
        """dL/d(name) as rows: a{l}, h{l}, x, W{l}, b{l}; a convolution's W{l} as the
        engine holds it, (C_out, C_in, kH, kW)."""
        # a sequence's recurrent ∂L/∂h_l: the part from above (hout), as rows of h_l
        value = self.doc["gradients"][name if self.seq is None else
                                      self.seq.gradient_name(self, name)]
        if name.startswith("W") and self.kind(split_name(name)[1]) == "conv2d":
            return self.kernels(value)
        return self._rows(name, value)

    def kernels(self, value) -> np.ndarray:
        """A convolution's kernels as the document writes them (the file's order: (kH, kW,
        C_in, C_out) with channels last) as (C_out, C_in, kH, kW)."""
        arr = np.array(value, dtype=float)
        return arr.transpose(3, 2, 0, 1) if self.problem.channels == "last" else arr

    def map_of(self, name: str):
        """(C, H, W) of a{l}, h{l} or x when the document writes it as feature maps."""
        what, l = ("x", 0) if name == "x" else split_name(name)
        return self.model.map_of(l) if what in ("a", "h", "x") else None

    def _rows(self, name: str, value) -> np.ndarray:
        """The document's value as rows; feature maps, written in the file's shape and
        channel order, as rows in (C, H, W) order; steps as the rows the next layer sees."""
        if self.seq is not None:
            value, steps = self.seq.rows(self, name, value)
            if steps is not None:
                return steps
        shape = self.map_of(name)
        if shape is None:
            return as_rows(value)
        C, H, W = shape
        one = (C, H, W) if self.problem.channels == "first" else (H, W, C)
        arr = np.array(value, dtype=float).reshape(self.samples, *one)
        if self.problem.channels == "last":
            arr = arr.transpose(0, 3, 1, 2)
        return np.ascontiguousarray(arr).reshape(self.samples, -1)

    def layer_input(self, l: int) -> np.ndarray:
        """h_{l-1}: the inputs x for the first layer."""
        return self.problem.x if l == 1 else self.forward_value(f"h{l - 1}")

    def weights(self, l: int) -> np.ndarray:
        """W_l before the update, (units, inputs) whatever the layout."""
        return self.problem.params[f"W{l}"]

    def file_weights(self, l: int) -> np.ndarray:
        """W_l before the update, as the problem file writes it for its layout."""
        W = self.weights(l)
        return W.T if self.problem.layout == "in_out" else W

    def frozen(self, name: str) -> bool:
        return name not in self.model.trainable_names()
