"""How sources write the functions of `backprop graph`: plain (exp(x), sum(x, axis=0)),
behind a module's name (np.exp, numpy.sum, math.log, torch.tanh, np.linalg.norm), as
methods (micrograd's x.relu(), (a*b).tanh(); numpy's and torch's x.sum(), x.dot(y),
z.softmax(-1)), or by another name (ln, matmul). Each call becomes the engine's
operation; p is the expression's parser (its messages and its expressions).

An axis is a whole number, written `axis=k` (NumPy), `dim=k` (torch) or, for sum, mean,
softmax and log_softmax, as the second positional argument, as both libraries take it.
"""

from __future__ import annotations

import ast

from backprop_cli.engine.graph.ops import ALIASES, FUNCTIONS, OPERATIONS
from backprop_cli.engine.graph.program import Apply, Const

MODULES = ("np", "numpy", "math", "torch")  # np.exp(x), math.exp(x), torch.exp(x)
SUBMODULES = ("linalg",)  # np.linalg.norm(x), torch.linalg.norm(x)
METHODS = tuple(FUNCTIONS)  # x.relu(), x.sum(), x.dot(y): the function of the value before
CALLED = {**FUNCTIONS, "@": (2,), "T": (1,)}  # reached by name or alias: matmul, transpose
KEYWORDS = {"axis": "axis", "dim": "axis"}  # torch writes dim=


def _counts(arity: tuple[int, ...]) -> str:
    return " or ".join(map(str, arity))


def _module(func) -> bool:
    """Whether func is np.f, math.f, torch.f or np.linalg.f (not a method of a value)."""
    value = func.value
    if isinstance(value, ast.Attribute) and value.attr in SUBMODULES:
        value = value.value
    return isinstance(value, ast.Name) and value.id in MODULES


def call(p, node: ast.Call) -> Apply:
    func = node.func
    if isinstance(func, ast.Attribute) and not _module(func):
        return method(p, node)
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else None
    name = ALIASES.get(name, name)
    if name not in CALLED:
        what = p.segment(func)[1:-1]
        p.fail(node, f"found a call of {what!r}, expected one of the functions "
                        + ", ".join(FUNCTIONS) + " (also np.exp, math.log, torch.tanh, "
                        "ln)")
    return _apply(p, node, name, list(node.args), name)


def method(p, node: ast.Call) -> Apply:
    """x.relu(), (a*b).tanh(), x.sum(0), x.dot(y): the function with the value before the
    dot as its first argument."""
    func = node.func
    name = ALIASES.get(func.attr, func.attr)
    if name not in CALLED:
        p.fail(node, f"found the method .{func.attr}(), expected one of "
                        + ", ".join(f".{m}()" for m in METHODS))
    if OPERATIONS[name].arity == (1,) and not OPERATIONS[name].params and \
            (node.args or node.keywords):
        p.fail(node, f"found .{func.attr}() with arguments, expected none: the value "
                        "before the dot is its argument")
    return _apply(p, node, name, [func.value, *node.args], f".{func.attr}()")


def _apply(p, node: ast.Call, name: str, args: list, shown: str) -> Apply:
    op = OPERATIONS[name]
    params: dict = {}
    for kw in node.keywords:
        key = KEYWORDS.get(kw.arg) if "axis" in op.params else None
        if key is None:
            p.fail(kw, f"found the keyword argument {p.segment(kw)} in {name}(...), "
                          + ("expected axis=k (or dim=k)" if op.params else
                             "expected plain arguments"))
        if key in params:
            p.fail(kw, f"found a second axis in {name}(...), expected one")
        params[key] = _axis(p, kw.value, name)
    if op.positional and len(args) == 2 and not params:
        params["axis"] = _axis(p, args.pop(), name)  # sum(x, 0), torch.softmax(z, 1)
    if len(args) not in op.arity:
        count = len(args) if shown == name else len(args) - 1
        expected = op.arity if shown == name else tuple(n - 1 for n in op.arity)
        p.fail(node, f"found {shown} with {count} argument{'' if count == 1 else 's'}, "
                        f"expected {_counts(expected)}")
    exprs = tuple(p.expr(a) for a in args)
    return Apply(name, exprs, p.where(node.lineno, node.col_offset),
                 tuple(sorted(params.items())))


def _axis(p, node, name: str) -> int:
    value = p.expr(node)
    if not (isinstance(value, Const) and float(value.value).is_integer()):
        p.fail(node, f"found the axis {p.segment(node)} in {name}(...), expected a whole "
                     "number (0, 1, -1)")
    return int(value.value)
