"""Activations: each forward rule next to its derivative, and its record (ACTIVATIONS).

Shapes: every array is (N, units), one row per sample. An activation's forward takes the
pre-activation a and its parameter p and returns (h, saved): saved is what its backward
reuses (sigmoid keeps sigmoid(-a)), else None, as torch's ctx.save_for_backward; softmax
keeps log softmax(a), which cross-entropy's value reuses instead of recomputing. Its
backward takes a, h, saved and the upstream gradient dh (all (N, units)) and returns da,
so softmax can apply its full Jacobian. Derivatives at kinks are the ones
torch's autograd gives: relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha.

Everything is stable at +-1000: exponentials only ever see non-positive arguments.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

# ---------------------------------------------------------------- activations


def identity(a, p):
    return a  # the same array, not a copy: nothing writes into an activation's h or da


def identity_backward(a, h, saved, dh, p):
    return dh


def sigmoid(a, p=None):
    e = np.exp(-np.abs(a))  # in (0, 1]: never overflows
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


_ONE = np.ones(())  # 0-d: numpy converts a Python float operand at every call


def sigmoid_pair(a, p=None):
    """(sigmoid(a), sigmoid(-a)) from one exponential, the same bits as two calls: the
    forward rule, which keeps sigmoid(-a) for the backward pass. With e = exp(-|a|) in
    [0, 1] and d = 1 + e, the two are 1/d and e/d where a >= 0 and swapped where a < 0
    (at a = ±0, e = 1 and both are 1/d). The numerators are chosen without a selection:
    max(e, s) with s = ±1 by a's sign is 1 or e, in place where numpy allows."""
    e = np.abs(a)
    np.negative(e, out=e)
    np.exp(e, out=e)
    d = np.add(e, _ONE)
    sign = np.copysign(_ONE, a)
    h = np.maximum(e, sign)  # 1 where a >= 0, else e
    np.negative(sign, out=sign)
    saved = np.maximum(e, sign, out=e)  # e where a >= 0, else 1
    return np.divide(h, d, out=h), np.divide(saved, d, out=saved)


def sigmoid_backward(a, h, saved, dh, p):
    # s(a) s(-a), not h (1 - h): once h rounds to 1 (a > 37) the latter is 0 though the
    # derivative (e^-a) is still a float64. saved is s(-a), from the forward pass.
    da = dh * h
    da *= sigmoid(-a) if saved is None else saved  # in place: the same bits, one array less
    return da


def tanh(a, p):
    return np.tanh(a)


def tanh_backward(a, h, saved, dh, p):
    # sech^2(a) = 4u / (1 + u)^2 with u = e^(-2|a|): exact where 1 - h^2 rounds to 0
    u = np.exp(-2.0 * np.abs(a))
    return dh * (4.0 * u / ((1.0 + u) * (1.0 + u)))


def relu(a, p):
    return np.maximum(a, 0.0)


def masked(values: np.ndarray, keep: np.ndarray) -> np.ndarray:
    """np.where(keep, values, 0.0) bit for bit (float64 values, a boolean keep), as an AND
    with all-ones or zero bits: no per-entry branch, which random signs mispredict (four
    times faster on a convolution's maps); below a few hundred entries np.where's lower
    fixed cost wins."""
    if values.size < 256:
        return np.where(keep, values, 0.0)
    return (values.view(np.int64) & -keep.view(np.int8).astype(np.int64)).view(np.float64)


def relu_backward(a, h, saved, dh, p):
    return masked(dh, a > 0)


def leaky_relu(a, slope):
    return np.where(a > 0, a, a * slope)


def leaky_relu_backward(a, h, saved, dh, slope):
    return np.where(a > 0, dh, dh * slope)


def elu(a, alpha):
    return np.where(a > 0, a, alpha * np.expm1(np.minimum(a, 0.0)))


def elu_backward(a, h, saved, dh, alpha):
    return np.where(a > 0, dh, dh * alpha * np.exp(np.minimum(a, 0.0)))


def softplus(a, p=None):
    # log(1 + e^a) = max(a, 0) + log1p(e^-|a|); exact everywhere, unlike torch's
    # threshold that returns a itself above 20.
    return np.maximum(a, 0.0) + np.log1p(np.exp(-np.abs(a)))


def softplus_backward(a, h, saved, dh, p):
    return dh * sigmoid(a)


# Reductions call the ufuncs' reduce directly: the same bits as the ndarray methods, without
# their Python wrapper, which costs as much as the sum itself on the classic 3-unit layers.


def _row_sums(v):
    return np.add.reduce(v, axis=-1, keepdims=True)


def _shifted(a):
    """a minus each row's largest entry: every exponential of it is at most 1."""
    return a - np.maximum.reduce(a, axis=-1, keepdims=True)


def log_softmax(a):
    z = _shifted(a)
    return z - np.log(_row_sums(np.exp(z)))


def softmax(a, p=None):
    return softmax_pair(a, p)[0]


def softmax_pair(a, p=None):
    """(softmax(a), log softmax(a)) from one exponential, the same bits as two calls: the
    forward rule, which keeps log softmax(a) for cross-entropy's value."""
    z = _shifted(a)
    e = np.exp(z)
    total = _row_sums(e)
    return e / total, z - np.log(total)


def softmax_backward(a, h, saved, dh, p):
    # Jacobian-vector product: da_j = h_j (dh_j - sum_k dh_k h_k)
    return h * (dh - _row_sums(dh * h))


def _unsaved(f):
    """The (h, saved) forward rule of an activation whose backward reuses nothing."""
    def forward(a, p):
        return f(a, p), None
    forward.__name__ = f.__name__
    return forward


def _one(p):
    return 1.0


def _at_least_one(p):
    return max(1.0, abs(p))


def _unbounded(p):
    return math.inf


def _textbook_sigmoid(a, h, dh, p):
    # h (1 - h): the derivative from the output, as textbooks write it (the engine's rule
    # with s(-a) read as 1 - h)
    return sigmoid_backward(a, h, 1.0 - h, dh, p)


def _textbook_tanh(a, h, dh, p):
    return dh * (1.0 - h * h)  # 1 - h², from the output


class Activation(NamedTuple):
    forward: Callable  # (a, p) -> (h, saved)
    backward: Callable  # (a, h, saved, dh, p) -> da
    param: str | None  # the YAML key of its parameter
    default: float | None
    kinked: bool  # derivative jumps at a = 0 (finite differences skip it there)
    # sup |f'| (softmax: its Jacobian-vector product can double |dh|): with 1 or less, a
    # finite dh gives a finite da (the training loop's watch leaves that da unread)
    slope: Callable = _one
    # sup |f(a)| / |a| for large |a|: with 1 or less (every bounded activation), a finite a
    # gives a finite h (and the watch leaves h unread)
    gain: Callable = _one
    # (symbol, definition of f(a), f'(a) from a_@/h_@ ("@" the layer, "%" the parameter))
    # in TeX, as the worked solutions and grading's feedback write them
    tex: tuple = ()
    # (a, h, dh, p) -> da in the form a person works it from h (σ' = h(1 − h), tanh' =
    # 1 − h²), where it differs from the engine's (grading judges a person by it)
    textbook: Callable | None = None
    torch: str | None = None  # its torch.nn module (identity: none)
    torch_param: str | None = None  # that module's attribute for `param`


ACTIVATIONS: dict[str, Activation] = {
    "identity": Activation(_unsaved(identity), identity_backward, None, None, False,
                           tex=("f", r"f(a) = a", "1")),
    "sigmoid": Activation(sigmoid_pair, sigmoid_backward, None, None, False,
                          tex=(r"\sigma", r"\sigma(a) = \frac{1}{1 + e^{-a}}",
                               r"h_@ \odot (1 - h_@)"),
                          textbook=_textbook_sigmoid, torch="Sigmoid"),
    "tanh": Activation(_unsaved(tanh), tanh_backward, None, None, False,
                       tex=(r"\tanh", r"\tanh(a) = \frac{e^{a} - e^{-a}}{e^{a} + e^{-a}}",
                            r"1 - h_@ \odot h_@"),
                       textbook=_textbook_tanh, torch="Tanh"),
    "relu": Activation(_unsaved(relu), relu_backward, None, None, True,
                       tex=(r"\operatorname{relu}", r"\operatorname{relu}(a) = \max(0, a)",
                            r"\begin{cases} 1 & a_@ > 0 \\ 0 & a_@ \le 0 \end{cases}"),
                       torch="ReLU"),
    "leaky_relu": Activation(_unsaved(leaky_relu), leaky_relu_backward, "slope", 0.01, True,
                             _at_least_one, _at_least_one,
                             (r"\operatorname{lrelu}",
                              r"\operatorname{lrelu}(a) = \begin{cases} a & a > 0 \\ % a & "
                              r"a \le 0 \end{cases}",
                              r"\begin{cases} 1 & a_@ > 0 \\ % & a_@ \le 0 \end{cases}"),
                             torch="LeakyReLU", torch_param="negative_slope"),
    "elu": Activation(_unsaved(elu), elu_backward, "alpha", 1.0, True, _at_least_one,
                      tex=(r"\operatorname{elu}",
                           r"\operatorname{elu}(a) = \begin{cases} a & a > 0 \\ % (e^{a} - 1)"
                           r" & a \le 0 \end{cases}",
                           r"\begin{cases} 1 & a_@ > 0 \\ % e^{a_@} & a_@ \le 0 \end{cases}"),
                      torch="ELU", torch_param="alpha"),
    "softplus": Activation(_unsaved(softplus), softplus_backward, None, None, False,
                           tex=(r"\operatorname{softplus}",
                                r"\operatorname{softplus}(a) = \log(1 + e^{a})",
                                r"\sigma(a_@) = \frac{1}{1 + e^{-a_@}}"),
                           torch="Softplus"),
    "softmax": Activation(softmax_pair, softmax_backward, None, None, False, _unbounded,
                          tex=(r"\operatorname{softmax}",
                               r"\operatorname{softmax}(a)_k = \frac{e^{a_k}}{\sum_j e^{a_j}}",
                               None),
                          torch="Softmax"),
}
