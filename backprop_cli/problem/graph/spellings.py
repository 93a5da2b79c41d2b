"""How sources write the functions of `backprop graph`: plain (exp(x)), behind a module's
name (np.exp, numpy.exp, math.log, torch.tanh), as micrograd's methods (x.relu(),
(a*b).tanh()), or by another name (ln). Each call becomes the engine's operation; p is the
expression's parser (its messages and its expressions)."""

from __future__ import annotations

import ast

from backprop_cli.engine.graph.ops import ALIASES, FUNCTIONS
from backprop_cli.engine.graph.program import Apply

MODULES = ("np", "numpy", "math", "torch")  # np.exp(x), math.exp(x), torch.exp(x)
METHODS = tuple(name for name, arity in FUNCTIONS.items() if arity == 1)  # x.relu()


def call(p, node: ast.Call) -> Apply:
    func = node.func
    if isinstance(func, ast.Attribute) and not (isinstance(func.value, ast.Name)
                                                and func.value.id in MODULES):
        return method(p, node)
    name = func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else None
    name = ALIASES.get(name, name)
    if name not in FUNCTIONS:
        what = p.segment(func)[1:-1]
        p.fail(node, f"found a call of {what!r}, expected one of the functions "
                        + ", ".join(FUNCTIONS) + " (also np.exp, math.log, torch.tanh, "
                        "ln)")
    if node.keywords:
        kw = node.keywords[0]
        p.fail(kw, f"found the keyword argument {p.segment(kw)} in {name}(...), "
                      "expected plain arguments")
    arity = FUNCTIONS[name]
    if len(node.args) != arity:
        p.fail(node, f"found {name} with {len(node.args)} argument"
                        f"{'' if len(node.args) == 1 else 's'}, expected {arity}")
    args = tuple(p.expr(a) for a in node.args)
    return Apply(name, args, p.where(node.lineno, node.col_offset))

def method(p, node: ast.Call) -> Apply:
    """micrograd's x.relu(), (a*b).tanh(), y.exp(): the function of the value before."""
    func = node.func
    name = ALIASES.get(func.attr, func.attr)
    if name not in METHODS:
        p.fail(node, f"found the method .{func.attr}(), expected one of "
                        + ", ".join(f".{m}()" for m in METHODS))
    if node.args or node.keywords:
        p.fail(node, f"found .{func.attr}() with arguments, expected none: the value "
                        "before the dot is its argument")
    return Apply(name, (p.expr(func.value),), p.where(node.lineno, node.col_offset))
