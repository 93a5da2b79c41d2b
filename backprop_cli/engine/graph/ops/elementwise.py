"""The element-wise operations of `backprop graph`: each forward rule next to its local
derivatives, entry by entry, over arrays broadcast as NumPy broadcasts them.

An operation takes float64 arrays (0-d for scalars) and returns (value, partials),
partials[i] = ∂value/∂args[i] entry by entry, in the value's shape. Derivatives at kinks
are the ones torch's autograd gives (checked against torch 2.13 float64): relu'(0) = 0,
abs'(0) = 0, and max/min at a tie split the gradient half and half (torch.maximum,
torch.minimum). Where no finite answer exists (log of 0, a division by 0, an overflow,
sqrt' at 0) an operation raises DomainError at the first such entry.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.ops.domain import BIGGEST, DomainError, finite, refuse, shape

LN10 = 2.3025850929940456  # ln 10 as torch's log10 backward writes it
DERIVATIVE = ("whose derivative overflows float64",
              f"expected derivatives below {BIGGEST} in size")


def broadcast(op: str, *args):
    """The arguments in their common shape, or DomainError naming both shapes and op."""
    try:
        out = np.broadcast_shapes(*(a.shape for a in args))
    except ValueError:
        raise DomainError(f"found shapes {shape(args[0])} and {shape(args[1])} in {op}",
                          "expected shapes that broadcast (equal sizes, or 1, in each "
                          "dimension from the last)") from None
    return out


def _full(v, shape_):
    a = np.asarray(v, dtype=float)
    return a if a.shape == shape_ else np.broadcast_to(a, shape_)


# ------------------------------------------------------------------ arithmetic


def _add(a, b):
    s = broadcast("+", a, b)
    return finite(a + b, "+", (a, b)), (_full(1.0, s), _full(1.0, s))


def _sub(a, b):
    s = broadcast("-", a, b)
    return finite(a - b, "-", (a, b)), (_full(1.0, s), _full(-1.0, s))


def _mul(a, b):
    s = broadcast("*", a, b)
    return finite(a * b, "*", (a, b)), (_full(b, s), _full(a, s))


def _div(a, b):
    broadcast("/", a, b)
    refuse(np.broadcast_to(b == 0, np.broadcast_shapes(a.shape, b.shape)), "/", (a, b),
           "a division by zero ({f})", "expected a divisor other than 0")
    q = finite(a / b, "/", (a, b))
    # torch: ∂/∂b = -(a / b) / b, which stays finite where a / b**2 would overflow early
    db = -q / b
    finite(np.broadcast_to(1.0 / b, q.shape), "/", (a, b), *DERIVATIVE)
    finite(db, "/", (a, b), *DERIVATIVE)
    return q, (_full(1.0 / b, q.shape), db)


def _pow(a, p):
    s = broadcast("**", a, p)
    a_, p_ = np.broadcast_to(a, s), np.broadcast_to(p, s)
    refuse((a_ < 0) & (p_ != np.trunc(p_)), "**", (a, p),
           "{f}, a negative base with a fractional exponent", "expected a base of 0 or more")
    refuse((a_ == 0) & (p_ < 0), "**", (a, p), "{f}, a division by zero",
           "expected a base other than 0")
    refuse((a_ == 0) & (p_ > 0) & (p_ < 1), "**", (a, p), "{f}, whose derivative is infinite",
           "expected a base other than 0")
    value = finite(np.power(a_, p_), "**", (a, p))
    # torch: p * a**(p - 1), and 0 where p == 0 (so 0**0 has derivative 0); apart from
    # the value: 1e-308 ** -1 is finite, its derivative is not
    local = np.where(p_ == 0, 0.0, p_ * np.power(a_, p_ - 1))
    finite(local, "**", (a, p), *DERIVATIVE)
    return value, (local, _full(0.0, s))  # the exponent is a constant: no gradient


def _power(a, b):
    """a ** b with a variable exponent: ∂/∂a = b a^(b−1), ∂/∂b = a^b ln a (torch: 0 where
    a = 0 and b ≥ 0). A negative base has no real ln: refused (torch gives nan)."""
    value, (da, _) = _pow(a, b)  # the value's own domain first: (-8) ** 0.5, 0 ** -1
    refuse(np.broadcast_to(a < 0, value.shape), "**", (a, b),
           "{f} with a variable exponent, whose derivative x**y·ln(x) needs the ln of a "
           "negative number", "expected a base of 0 or more")
    db = np.where(a == 0, 0.0, value * np.log(np.where(a > 0, a, 1.0)))
    finite(db, "**", (a, b), *DERIVATIVE)
    return value, (da, db)


def _neg(a):
    return -a, (_full(-1.0, a.shape),)


# ------------------------------------------------------------------ functions


def _exp(a):
    value = finite(np.exp(a), "exp", (a,))
    return value, (value,)


def _log(a, op="log"):
    refuse(a <= 0, op, (a,), "{f}", "expected an argument above 0")
    # a subnormal a: log(a) is fine, 1 / a is not
    finite(1.0 / a, op, (a,), *DERIVATIVE)
    return np.log(a), (1.0 / a,)


def _log10(a):
    _log(a, "log10")  # the same domain: a > 0 with a finite 1/a
    return np.log10(a), (1.0 / (a * LN10),)  # torch: grad / (a · ln 10)


def _sin(a):
    return np.sin(a), (np.cos(a),)


def _cos(a):
    return np.cos(a), (-np.sin(a),)


def _square(a):
    return finite(a * a, "square", (a,)), (finite(2.0 * a, "square", (a,)),)


def _sqrt(a):
    refuse(a < 0, "sqrt", (a,), "{f}", "expected an argument of 0 or more")
    refuse(a == 0, "sqrt", (a,), "{f}, whose derivative is infinite",
           "expected an argument above 0")
    value = np.sqrt(a)
    return value, (1.0 / (2.0 * value),)


def sigmoid(a):
    e = np.exp(-np.abs(a))  # in (0, 1]: never overflows
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def _sigmoid(a):
    # σ(a)·σ(-a), not σ(a)(1 - σ(a)): exact where σ(a) rounds to 1 (a > 37)
    return sigmoid(a), (sigmoid(a) * sigmoid(-a),)


def _tanh(a):
    # sech²(a) = 4u / (1 + u)² with u = e^(-2|a|): exact where 1 - tanh² rounds to 0
    u = np.exp(-2.0 * np.abs(a))
    return np.tanh(a), (4.0 * u / ((1.0 + u) * (1.0 + u)),)


def _relu(a):
    return np.where(a > 0, a, 0.0), (np.where(a > 0, 1.0, 0.0),)


def _abs(a):
    return np.abs(a), (np.sign(a),)


def _max(a, b):
    s = broadcast("max", a, b)
    tie = a == b  # torch.maximum: half and half
    da = np.broadcast_to(np.where(tie, 0.5, np.where(a > b, 1.0, 0.0)), s)
    return np.broadcast_to(np.maximum(a, b), s), (da, np.broadcast_to(1.0 - da, s))


def _min(a, b):
    s = broadcast("min", a, b)
    tie = a == b
    da = np.broadcast_to(np.where(tie, 0.5, np.where(a < b, 1.0, 0.0)), s)
    return np.broadcast_to(np.minimum(a, b), s), (da, np.broadcast_to(1.0 - da, s))


BINARY = {"+": _add, "-": _sub, "*": _mul, "/": _div, "**": _pow, "pow": _power,
          "max": _max, "min": _min}
UNARY = {"neg": _neg, "exp": _exp, "log": _log, "sqrt": _sqrt, "log10": _log10, "sin": _sin,
         "cos": _cos, "square": _square, "sigmoid": _sigmoid, "tanh": _tanh, "relu": _relu,
         "abs": _abs}
