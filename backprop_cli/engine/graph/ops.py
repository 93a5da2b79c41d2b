"""The operations of `backprop graph`: each forward rule next to its local derivatives.

An operation takes float64 arguments and returns (value, partials), partials[i] =
∂value/∂args[i]. Derivatives at kinks are the ones torch's autograd gives (checked
against torch 2.13 float64): relu'(0) = 0, abs'(0) = 0, and max/min at a tie split the
gradient half and half (torch.maximum, torch.minimum). Where no finite answer exists
(log of 0, a division by 0, an overflow, sqrt' at 0) an operation raises DomainError,
which names what was found and what was expected.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

BIGGEST = "1.8e308"  # float64's largest finite magnitude, as messages print it
LN10 = 2.3025850929940456  # ln 10 as torch's log10 backward writes it


class DomainError(ArithmeticError):
    """found: what was computed; expected: what would have a finite answer."""

    def __init__(self, found: str, expected: str):
        super().__init__(f"{found}, {expected}")
        self.found, self.expected = found, expected


def show(v: float) -> str:
    """A number in a message: its shortest repr, 3 for 3.0."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def formula(op: str, args) -> str:
    """The operation as the expression writes it, with args (names or numbers) filled in."""
    a = [x if isinstance(x, str) else show(x) for x in args]
    op = "**" if op == "pow" else op  # a variable exponent: written as any power
    if op in INFIX:  # a negative number in parentheses: (-8) ** 0.5, 1 - (-2)
        a = [f"({x})" if x.startswith("-") else x for x in a]
        return f"{a[0]} {op} {a[1]}"
    if op == "neg":
        return f"-{a[0]}"
    return f"{op}({', '.join(a)})"


def _finite(value: float, op: str, args) -> float:
    if not math.isfinite(value):
        raise DomainError(f"found {formula(op, args)}, which overflows float64",
                          f"expected results below {BIGGEST} in size")
    return value


# ------------------------------------------------------------------ arithmetic


def _add(a, b):
    return _finite(a + b, "+", (a, b)), (1.0, 1.0)


def _sub(a, b):
    return _finite(a - b, "-", (a, b)), (1.0, -1.0)


def _mul(a, b):
    return _finite(a * b, "*", (a, b)), (b, a)


def _div(a, b):
    if b == 0:
        raise DomainError(f"found a division by zero ({formula('/', (a, b))})",
                          "expected a divisor other than 0")
    q = _finite(a / b, "/", (a, b))
    # torch: ∂/∂b = -(a / b) / b, which stays finite where a / b**2 would overflow early
    local = (1.0 / b, -q / b)
    if not all(map(math.isfinite, local)):
        raise DomainError(f"found {formula('/', (a, b))}, whose derivative overflows float64",
                          f"expected derivatives below {BIGGEST} in size")
    return q, local


def _pow(a, p):
    found = formula("**", (a, p))
    if a < 0 and p != int(p):
        raise DomainError(f"found {found}, a negative base with a fractional exponent",
                          "expected a base of 0 or more")
    if a == 0 and p < 0:
        raise DomainError(f"found {found}, a division by zero", "expected a base other than 0")
    if a == 0 and 0 < p < 1:
        raise DomainError(f"found {found}, whose derivative is infinite",
                          "expected a base other than 0")
    try:
        value = math.pow(a, p)
    except OverflowError:
        value = math.inf
    _finite(value, "**", (a, p))
    try:  # apart from the value: 1e-308 ** -1 is finite, its derivative is not
        # torch: p * a**(p - 1), and 0 where p == 0 (so 0**0 has derivative 0)
        local = 0.0 if p == 0 else p * math.pow(a, p - 1)
    except OverflowError:
        local = math.inf
    if not math.isfinite(local):
        raise DomainError(f"found {found}, whose derivative overflows float64",
                          f"expected derivatives below {BIGGEST} in size")
    return value, (local, 0.0)  # the exponent is a constant: no gradient


def _power(a, b):
    """a ** b with a variable exponent: ∂/∂a = b a^(b−1), ∂/∂b = a^b ln a (torch: 0 where
    a = 0 and b ≥ 0). A negative base has no real ln: refused (torch gives nan)."""
    value, (da, _) = _pow(a, b)  # the value's own domain first: (-8) ** 0.5, 0 ** -1
    if a < 0:
        raise DomainError(f"found {formula('**', (a, b))} with a variable exponent, whose "
                          "derivative x**y·ln(x) needs the ln of a negative number",
                          "expected a base of 0 or more")
    db = 0.0 if a == 0 else value * math.log(a)
    if not math.isfinite(db):
        raise DomainError(f"found {formula('**', (a, b))}, whose derivative overflows "
                          "float64", f"expected derivatives below {BIGGEST} in size")
    return value, (da, db)


def _neg(a):
    return -a, (-1.0,)


# ------------------------------------------------------------------ functions


def _exp(a):
    try:
        value = math.exp(a)
    except OverflowError:
        value = math.inf
    value = _finite(value, "exp", (a,))
    return value, (value,)


def _log(a):
    if a <= 0:
        raise DomainError(f"found {formula('log', (a,))}", "expected an argument above 0")
    if not math.isfinite(1.0 / a):  # a subnormal a: log(a) is fine, 1 / a is not
        raise DomainError(f"found {formula('log', (a,))}, whose derivative overflows float64",
                          f"expected derivatives below {BIGGEST} in size")
    return math.log(a), (1.0 / a,)


def _log10(a):
    _log(a)  # the same domain: a > 0 with a finite 1/a
    return math.log10(a), (1.0 / (a * LN10),)  # torch: grad / (a · ln 10)


def _sin(a):
    return math.sin(a), (math.cos(a),)


def _cos(a):
    return math.cos(a), (-math.sin(a),)


def _square(a):
    return _finite(a * a, "square", (a,)), (_finite(2.0 * a, "square", (a,)),)


def _sqrt(a):
    if a < 0:
        raise DomainError(f"found {formula('sqrt', (a,))}", "expected an argument of 0 or more")
    if a == 0:
        raise DomainError("found sqrt(0), whose derivative is infinite",
                          "expected an argument above 0")
    value = math.sqrt(a)
    return value, (1.0 / (2.0 * value),)


def sigmoid(a: float) -> float:
    e = math.exp(-abs(a))  # in (0, 1]: never overflows
    return (1.0 if a >= 0 else e) / (1.0 + e)


def _sigmoid(a):
    # σ(a)·σ(-a), not σ(a)(1 - σ(a)): exact where σ(a) rounds to 1 (a > 37)
    return sigmoid(a), (sigmoid(a) * sigmoid(-a),)


def _tanh(a):
    # sech²(a) = 4u / (1 + u)² with u = e^(-2|a|): exact where 1 - tanh² rounds to 0
    u = math.exp(-2.0 * abs(a))
    return math.tanh(a), (4.0 * u / ((1.0 + u) * (1.0 + u)),)


def _relu(a):
    return (a, (1.0,)) if a > 0 else (0.0, (0.0,))


def _abs(a):
    return abs(a), ((1.0 if a > 0 else -1.0 if a < 0 else 0.0),)


def _max(a, b):
    if a == b:
        return a, (0.5, 0.5)
    return (a, (1.0, 0.0)) if a > b else (b, (0.0, 1.0))


def _min(a, b):
    if a == b:
        return a, (0.5, 0.5)
    return (a, (1.0, 0.0)) if a < b else (b, (0.0, 1.0))


class Operation(NamedTuple):
    arity: int
    apply: Callable  # (*args) -> (value, partials)


INFIX = ("+", "-", "*", "/", "**")
OPERATIONS = {
    "+": Operation(2, _add), "-": Operation(2, _sub), "*": Operation(2, _mul),
    "/": Operation(2, _div), "**": Operation(2, _pow), "neg": Operation(1, _neg),
    "pow": Operation(2, _power),
    "exp": Operation(1, _exp), "log": Operation(1, _log), "sqrt": Operation(1, _sqrt),
    "log10": Operation(1, _log10), "sin": Operation(1, _sin), "cos": Operation(1, _cos),
    "square": Operation(1, _square),
    "sigmoid": Operation(1, _sigmoid), "tanh": Operation(1, _tanh),
    "relu": Operation(1, _relu), "abs": Operation(1, _abs),
    "max": Operation(2, _max), "min": Operation(2, _min),
}
FUNCTIONS = {name: op.arity for name, op in OPERATIONS.items()
             if name not in INFIX and name not in ("neg", "pow")}
# how sources write the same functions: ln (maths), and micrograd's or numpy's spellings
ALIASES = {"ln": "log"}
