"""The operations of `backprop graph` on scalars, vectors and matrices, each found in one
table (OPERATIONS) by the name the expression language gives it.

    domain       the error of values without a finite answer; how messages write them
    elementwise  + - * / ** and the functions, entry by entry, with broadcasting: a local
                 derivative per entry, ∂L/∂arg = (g ⊙ local) summed over broadcast axes
    linear       @, .T and dot: a vector-Jacobian product and its rule
    reduce       sum, mean, max and min of one argument, norm
    softmax      softmax, log_softmax, cross_entropy

An operation's apply takes float64 arrays (0-d for scalars) and its keyword parameters
(axis) and returns (value, partials): partials entry by entry for an element-wise
operation, None for one whose derivative is a vector-Jacobian product `vjp(g, value,
*args)` (None in its result: that argument takes no gradient, a class index). Its `rule`
states ∂L/∂argument as the tables print it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from backprop_cli.engine.graph.ops import elementwise, linear, reduce, softmax
from backprop_cli.engine.graph.ops.domain import BIGGEST, INFIX, DomainError, formula, shape, show
from backprop_cli.engine.graph.ops.elementwise import LN10, sigmoid

__all__ = ["ALIASES", "BIGGEST", "FUNCTIONS", "INFIX", "LN10", "OPERATIONS", "DomainError",
           "Operation", "formula", "shape", "show", "sigmoid"]


class Operation(NamedTuple):
    arity: tuple[int, ...]  # how many arguments it takes
    apply: Callable  # (*args, **params) -> (value, partials or None)
    vjp: Callable | None = None  # (g, value, *args, **params) -> ∂L/∂arg for each arg
    # (i, names, d, ndims, out, **params) -> ∂L/∂args[i] as text: names of the arguments,
    # d the upstream gradient's (∂f/∂n2), out the node's own name
    rule: Callable | None = None
    params: tuple[str, ...] = ()  # keywords it takes
    positional: bool = False  # whether a second positional argument is the axis (sum(x, 0))


def _both(name: str, binary: Callable, forward: Callable) -> Callable:
    """max(a, b) entry by entry, max(a) or max(a, axis=k) a reduction: one name."""
    def apply(*args, **params):
        if len(args) == 2:
            if params:
                raise DomainError(f"found {name}(a, b, axis=...)", "expected axis= with "
                                  f"one argument ({name}(x, axis=0)): {name}(a, b) compares "
                                  "entry by entry")
            return binary(*args)
        return forward(*args, **params)
    return apply


_MAX, _MAX_VJP, _MAX_RULE = reduce._extreme("max", lambda a, axis: a.max(axis=axis))
_MIN, _MIN_VJP, _MIN_RULE = reduce._extreme("min", lambda a, axis: a.min(axis=axis))

OPERATIONS = {name: Operation((2,), f) for name, f in elementwise.BINARY.items()}
OPERATIONS |= {name: Operation((1,), f) for name, f in elementwise.UNARY.items()}
OPERATIONS |= {
    "max": Operation((1, 2), _both("max", elementwise.BINARY["max"], _MAX), _MAX_VJP,
                     _MAX_RULE, ("axis",)),
    "min": Operation((1, 2), _both("min", elementwise.BINARY["min"], _MIN), _MIN_VJP,
                     _MIN_RULE, ("axis",)),
    "@": Operation((2,), linear._matmul, linear._matmul_vjp, linear._matmul_rule),
    "T": Operation((1,), linear._transpose, linear._transpose_vjp, linear._transpose_rule),
    "dot": Operation((2,), linear._dot, linear._dot_vjp, linear._dot_rule),
    "sum": Operation((1,), reduce._sum, reduce._sum_vjp, reduce._sum_rule, ("axis",), True),
    "mean": Operation((1,), reduce._mean, reduce._mean_vjp, reduce._mean_rule, ("axis",),
                      True),
    "norm": Operation((1,), reduce._norm, reduce._norm_vjp, reduce._norm_rule),
    "softmax": Operation((1,), softmax.softmax, softmax.softmax_vjp, softmax.softmax_rule,
                         ("axis",), True),
    "log_softmax": Operation((1,), softmax.log_softmax, softmax.log_softmax_vjp,
                             softmax.log_softmax_rule, ("axis",), True),
    "cross_entropy": Operation((2,), softmax.cross_entropy, softmax.cross_entropy_vjp,
                               softmax.cross_entropy_rule),
}
# the functions an expression calls by name, with the argument counts each takes: the
# scalar ones first, as messages list them
ORDER = ("exp", "log", "sqrt", "log10", "sin", "cos", "square", "sigmoid", "tanh", "relu",
         "abs", "max", "min", "sum", "mean", "dot", "norm", "softmax", "log_softmax",
         "cross_entropy")
FUNCTIONS = {name: OPERATIONS[name].arity for name in ORDER}
# how sources write the same functions: ln (maths), and micrograd's or numpy's spellings
ALIASES = {"ln": "log", "matmul": "@", "transpose": "T"}
