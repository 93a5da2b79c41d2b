"""How sources write the functions of `backprop graph`: plain (exp(x), sum(x, axis=0)),
behind a module's name (np.exp, numpy.sum, math.log, torch.tanh, np.linalg.norm), as
methods (micrograd's x.relu(), (a*b).tanh(); numpy's and torch's x.sum(), x.dot(y),
z.softmax(-1)), or by another name (ln, matmul). Each call becomes the engine's
operation; p is the expression's parser (its messages and its expressions).

An axis is a whole number, written `axis=k` (NumPy), `dim=k` (torch) or, for sum, mean,
softmax and log_softmax, as the second positional argument, as both libraries take it.
max(x, 0) compares entry by entry (a ReLU, as lectures write it), so x.max(0),
np.max(x, 0) and torch.min(x, 1), whose number the libraries read as an axis, are refused
with both readings. A spelling of the libraries that is not read (torch.mm, x.pow(2),
F.softmax, keepdims=True) is refused with what to write instead.
"""

from __future__ import annotations

import ast

from backprop_cli.engine.graph.ops import ALIASES, FUNCTIONS, OPERATIONS
from backprop_cli.engine.graph.steps import Apply, Const

MODULES = ("np", "numpy", "math", "torch")  # np.exp(x), math.exp(x), torch.exp(x)
SUBMODULES = ("linalg",)  # np.linalg.norm(x), torch.linalg.norm(x)
METHODS = tuple(FUNCTIONS)  # x.relu(), x.sum(), x.dot(y): the function of the value before
CALLED = {**FUNCTIONS, "@": (2,), "T": (1,)}  # reached by name or alias: matmul, transpose
KEYWORDS = {"axis": "axis", "dim": "axis"}  # torch writes dim=
MAX_AXIS = 64  # far beyond a matrix's two axes: the engine names the range
EXTREMES = ("max", "min")  # x.max(0), np.max(x, 0): the libraries' axis, our max(x, 0)
FUNCTIONAL = ("F", "functional")  # torch.nn.functional as F: F.softmax(z, dim=1)
_MATMUL = "A @ B for a matrix product"
_INPUT = "an input with its value (v=[1, -2] on the command line)"
_SHAPE = "the value given in the shape it needs (a column as [[1], [2]])"
_ITSELF = "the value itself"
# what to write for the libraries' spellings that are not read: name -> expected ...
INSTEAD = {
    "mm": _MATMUL, "mv": _MATMUL, "bmm": _MATMUL, "einsum": _MATMUL, "tensordot": _MATMUL,
    "inner": "dot(a, b)", "vdot": "dot(a, b)",
    "outer": "a @ b with a a column (n, 1) and b a row (1, m), given as matrices",
    "pow": "x ** p for a power", "power": "x ** p for a power",
    "float_power": "x ** p for a power",
    "maximum": "max(a, b), entry by entry", "fmax": "max(a, b), entry by entry",
    "minimum": "min(a, b), entry by entry", "fmin": "min(a, b), entry by entry",
    "amax": "max(x, axis=k)", "amin": "min(x, axis=k)",
    "clamp": "max(x, low) or min(x, high) (relu(x) for clamp(x, min=0))",
    "clip": "max(x, low) or min(x, high) (relu(x) for clip(x, 0, None))",
    "add": "a + b", "sub": "a - b", "subtract": "a - b", "mul": "a * b", "multiply": "a * b",
    "div": "a / b", "divide": "a / b", "true_divide": "a / b", "neg": "-x",
    "negative": "-x", "reciprocal": "1 / x", "rsqrt": "1 / sqrt(x)",
    "t": "W.T for a transpose", "permute": "W.T for a transpose",
    "swapaxes": "W.T for a transpose", "mT": "W.T for a transpose",
    "tensor": _INPUT, "array": _INPUT, "asarray": _INPUT, "as_tensor": _INPUT,
    "from_numpy": _INPUT, "zeros": _INPUT, "ones": _INPUT, "eye": _INPUT,
    "reshape": _SHAPE, "view": _SHAPE, "flatten": _SHAPE, "ravel": _SHAPE,
    "squeeze": _SHAPE, "unsqueeze": _SHAPE, "expand_dims": _SHAPE,
    "item": _ITSELF, "detach": _ITSELF, "clone": _ITSELF, "numpy": _ITSELF,
    "argmax": "max(x) for the largest entry (an index has no gradient)",
    "argmin": "min(x) for the smallest entry (an index has no gradient)",
    "log1p": "log(1 + x)", "expm1": "exp(x) - 1", "log2": "log(x) / log(2)",
    "exp2": "2 ** x", "softplus": "log(1 + exp(x))", "logsumexp": "log(sum(exp(x)))",
    "mse_loss": "mean((y - t) ** 2)", "MSELoss": "mean((y - t) ** 2)",
    "CrossEntropyLoss": "cross_entropy(z, t)", "Softmax": "softmax(z, axis=k)",
    "LogSoftmax": "log_softmax(z, axis=k)", "ReLU": "relu(x)", "Sigmoid": "sigmoid(x)",
    "Tanh": "tanh(x)", "linear": "x @ W.T + b",
}


def _counts(arity: tuple[int, ...]) -> str:
    return " or ".join(map(str, arity))


def _module(func) -> bool:
    """Whether func is np.f, math.f, torch.f or np.linalg.f (not a method of a value)."""
    value = func.value
    if isinstance(value, ast.Attribute) and value.attr in SUBMODULES:
        value = value.value
    return isinstance(value, ast.Name) and value.id in MODULES


def _functional(node: ast.Call) -> bool:
    """Whether node is torch.nn.functional's F.softmax(z, ...): F. before a function with
    a value as its first argument (F.softmax(0) is the method of an input F)."""
    value = node.func.value
    named = isinstance(value, ast.Name) and value.id in FUNCTIONAL or \
        isinstance(value, ast.Attribute) and value.attr in FUNCTIONAL
    return named and bool(node.args) and not _number(node.args[0])


def _number(node, whole: bool = False) -> bool:
    """Whether node is a number as written (0, -1, 1.5), or with whole, an int (0, -1)."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        node = node.operand
    return isinstance(node, ast.Constant) and type(node.value) in ((int,) if whole else
                                                                   (int, float))


def _called(func) -> str | None:
    """The name a call is by: exp in np.exp(...), CrossEntropyLoss in
    nn.CrossEntropyLoss()(z, t)."""
    while isinstance(func, ast.Call):
        func = func.func
    return func.attr if isinstance(func, ast.Attribute) else \
        func.id if isinstance(func, ast.Name) else None


def call(p, node: ast.Call) -> Apply:
    func = node.func
    library = isinstance(func, ast.Attribute)  # np.max(x, 0), not max(x, 0)
    if library and _functional(node):
        what = p.segment(func)[1:-1]
        name = ALIASES.get(func.attr, func.attr)
        p.fail(node, f"found a call of {what!r}, expected "
                        + (f"{func.attr}(...): F. (torch.nn.functional) is not read"
                           if name in CALLED else
                           INSTEAD.get(func.attr, "one of the functions "
                                       + ", ".join(FUNCTIONS))))
    if library and not _module(func):
        return method(p, node)
    name = _called(func)
    name = ALIASES.get(name, name)
    if name not in CALLED or isinstance(func, ast.Call):
        what = p.segment(func)[1:-1]
        expected = INSTEAD.get(name) or "one of the functions " + ", ".join(FUNCTIONS) + \
            " (also np.exp, math.log, torch.tanh, ln)"
        p.fail(node, f"found a call of {what!r}, expected {expected}")
    return _apply(p, node, name, list(node.args), name, library)


def method(p, node: ast.Call) -> Apply:
    """x.relu(), (a*b).tanh(), x.sum(0), x.dot(y): the function with the value before the
    dot as its first argument."""
    func = node.func
    name = ALIASES.get(func.attr, func.attr)
    if name not in CALLED:
        p.fail(node, f"found the method .{func.attr}(), expected "
                        + (INSTEAD.get(func.attr) or "one of "
                           + ", ".join(f".{m}()" for m in METHODS)))
    if OPERATIONS[name].arity == (1,) and not OPERATIONS[name].params and \
            (node.args or node.keywords):
        p.fail(node, f"found .{func.attr}() with arguments, expected "
                     + ("W.T for a transpose" if name == "T" else
                        "none: the value before the dot is its argument"))
    return _apply(p, node, name, [func.value, *node.args], f".{func.attr}()", True)


def _apply(p, node: ast.Call, name: str, args: list, shown: str,
           library: bool = False) -> Apply:
    """library: written as the libraries write it (np.max, x.max), where a number after
    the value is max's and min's axis."""
    op = OPERATIONS[name]
    params: dict = {}
    for kw in node.keywords:
        key = KEYWORDS.get(kw.arg) if "axis" in op.params else None
        if key is None:
            p.fail(kw, f"found the keyword argument {p.segment(kw)} in {name}(...), "
                       f"expected {_keywords(name, op, kw.arg)}")
        if key in params:
            p.fail(kw, f"found a second axis in {name}(...), expected one")
        params[key] = _axis(p, kw.value, name)
    if library and name in EXTREMES and len(args) == 2 and not params and \
            _number(args[1], whole=True):
        x, k = p.segment(args[0], quoted=False), p.segment(args[1], quoted=False)
        p.fail(node, f"found {p.segment(node)}, whose {k} NumPy and torch read as an axis, "
                     f"expected {name}({x}, axis={k}) along an axis, or {name}({x}, {k}) "
                     "entry by entry")
    if op.positional and len(args) == 2 and not params:
        params["axis"] = _axis(p, args.pop(), name)  # sum(x, 0), torch.softmax(z, 1)
    if len(args) not in op.arity:
        count = len(args) if shown == name else len(args) - 1
        expected = op.arity if shown == name else tuple(n - 1 for n in op.arity)
        axis = f", or {expected[-1] + 1} with the axis" if op.positional else ""
        p.fail(node, f"found {shown} with {count} argument{'' if count == 1 else 's'}, "
                        f"expected {_counts(expected)}{axis}")
    exprs = tuple(p.expr(a) for a in args)
    return Apply(name, exprs, p.where(node.lineno, node.col_offset),
                 tuple(sorted(params.items())))


def _keywords(name: str, op, keyword: str | None) -> str:
    """What a call takes instead of an unknown keyword argument."""
    if not op.params:
        return "norm(x) alone, the Euclidean norm of every entry" if name == "norm" else \
            "plain arguments"
    if keyword in ("keepdims", "keepdim"):
        return "axis=k (or dim=k) alone: the axis is dropped (keepdims is not read; " \
               "softmax(z, axis=k) normalises along an axis)"
    return "axis=k (or dim=k)"


def _axis(p, node, name: str) -> int:
    value = p.expr(node)
    # a whole number an array could have as many dimensions as (1e300 is whole, too)
    if not (isinstance(value, Const) and float(value.value).is_integer()
            and abs(value.value) <= MAX_AXIS):
        p.fail(node, f"found the axis {p.segment(node)} in {name}(...), expected a whole "
                     "number like 0, 1 or -1")
    return int(value.value)
