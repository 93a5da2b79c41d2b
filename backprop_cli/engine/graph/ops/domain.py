"""What every operation shares: the error for values without a finite answer, and how a
message writes numbers, shapes and the operation."""

from __future__ import annotations

import numpy as np

BIGGEST = "1.8e308"  # float64's largest finite magnitude, as messages print it
INFIX = ("+", "-", "*", "/", "**", "@")


class DomainError(ArithmeticError):
    """found: what was computed; expected: what would have a finite answer."""

    def __init__(self, found: str, expected: str):
        super().__init__(f"{found}, {expected}")
        self.found, self.expected = found, expected


def show(v) -> str:
    """A number in a message: its shortest repr, 3 for 3.0."""
    text = repr(float(v))
    return text[:-2] if text.endswith(".0") else text


def shape(v) -> str:
    """A value's shape as messages write it: (2, 3), (3,), () for a scalar."""
    return str(tuple(np.shape(v)))


def formula(op: str, args, params: tuple = ()) -> str:
    """The operation as the expression writes it, with args (names or numbers) filled in,
    and its keywords (axis=0)."""
    a = [x if isinstance(x, str) else show(x) for x in args]
    op = "**" if op == "pow" else op  # a variable exponent: written as any power
    if op in INFIX:  # a negative number in parentheses: (-8) ** 0.5, 1 - (-2)
        a = [f"({x})" if x.startswith("-") else x for x in a]
        return f"{a[0]} {op} {a[1]}"
    if op == "neg":
        return f"-{a[0]}"
    if op == "T":
        return f"{a[0]}.T"
    return f"{op}({', '.join(a + [f'{k}={v}' for k, v in params])})"


def at(index: tuple) -> str:
    """Where in an array: ' at [1, 0]'; nothing for a scalar."""
    return f" at [{', '.join(map(str, index))}]" if index else ""


def refuse(bad, op: str, args, found: str, expected: str) -> None:
    """DomainError for the first entry where `bad` (a mask of the result's shape) holds:
    found is a template of {f}, the operation with that entry's numbers and where the
    entry is (exp(1000) at [1])."""
    bad = np.asarray(bad)
    if not bad.any():
        return
    index = tuple(int(i) for i in np.argwhere(bad)[0])
    numbers = [np.broadcast_to(a, bad.shape)[index] for a in args]
    raise DomainError("found " + found.format(f=formula(op, numbers) + at(index)), expected)


def finite(value, op: str, args, what: str = "which overflows float64",
           expected: str = f"expected results below {BIGGEST} in size"):
    """value, or DomainError at its first entry beyond float64's range."""
    refuse(~np.isfinite(value), op, args, "{f}, " + what, expected)
    return value


def overflow(value, text: str):
    """value, or DomainError naming text (an operation on arrays) when any entry of value
    is beyond float64's range."""
    if not np.all(np.isfinite(value)):
        raise DomainError(f"found {text}, which overflows float64",
                          f"expected results below {BIGGEST} in size")
    return value


def axis_of(value, axis, op: str) -> int | None:
    """axis as an index of value's dimensions (negative counts from the end), or
    DomainError naming the range a value of this shape has."""
    if axis is None:
        return None
    n = np.ndim(value)
    if n == 0:
        raise DomainError(f"found axis={axis} in {op}(...) of a scalar, which has no axes",
                          "expected a vector or a matrix")
    if not -n <= axis < n:
        raise DomainError(f"found axis={axis} in {op}(...) of shape {shape(value)}",
                          f"expected an axis from {-n} to {n - 1}")
    return axis % n
