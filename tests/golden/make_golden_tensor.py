#!/usr/bin/env python3
"""Independent PyTorch oracle for `backprop graph` with vectors and matrices: writes
tests/golden/graph/tensor.json.

Run from the repository root with an environment that has torch (CPU, float64):
    python tests/golden/make_golden_tensor.py
It never imports backprop_cli: each expression is written as text (the grammar of
docs/graph.md) and computed with torch at the same time; torch's autograd gives the
gradients, out.backward(upstream) where the result is not a scalar. Deterministic.

Cases, in this order:
  chosen      every operation on vectors and matrices as lectures write them: broadcasting
              (row with column, (3, 1) with (1, 4), a scalar or a vector with a matrix), @
              in its four shape combinations, .T, dot, sum/mean/max/min over no axis and
              each axis (negative ones too), their ties (torch.max() and torch.amax/amin
              split evenly, checked both ways), element-wise max/min ties (torch.maximum:
              half and half), norm (at the zero vector torch gives 0), softmax and
              log_softmax over each axis, cross_entropy with class indices, one-hot rows
              and soft probabilities, scaled dot-product attention, fan-out, names
              assigned again, an upstream gradient for a non-scalar result
  random      random shape-checked expressions over every operation, each one at the root
              in turn, with random shapes (sizes 1 to 4) and values; kinks and ties are
              kept 1e-7 away (drawn again), where torch and NumPy could round apart, and
              sigmoid and tanh 1e-3 away from their bounds, where torch's derivative
              y(1 - y) or 1 - y² has lost digits that `backprop graph` keeps
  ties        random exact integer arithmetic (+ - * @ .T sum) fed to max/min (both
              kinds), relu, abs and norm, with entries from {-1, 0, 1, 2}: ties, zeros
              and zero vectors are common and exact in both
  staged      h = ...; o = ... (h and the inputs); f = ... (h, o and the inputs)
  reassigned  h = ...; h = ... (h); h += ... / h *= ... (micrograd's updates)

Each case: {"expression", "values", "upstream"? (∂L/∂f in f's shape; absent for a scalar f,
whose gradients are ∂f/∂x), "value", "gradients"}. Values are numbers and nested lists;
class indices (cross_entropy's targets) are whole numbers and take no gradient, so they
are not in "gradients". Cases are drawn again where torch's value or a gradient is not
finite or beyond 1e8, a gradient entry is below 1e-8 but not 0 (digits lost), or an
operation on the way has no finite answer (log of 0, a division by 0, a negative base with
a fractional exponent), where `backprop graph` stops with an error.
"""
import json
import math
import random

import torch
import torch.nn.functional as F
from make_golden_graph import LIMIT, OUT, SPELLINGS, TINY, TORCH, in_order

torch.set_default_dtype(torch.float64)
T = torch
MARGIN = 1e-7  # how near a kink or tie the random cases may come
STRICT = {"on": True}  # random cases: kinks and ties drawn again; chosen and tie cases: kept
UNARY = ["neg", "exp", "log", "sqrt", "log10", "sin", "cos", "square", "sigmoid", "tanh",
         "relu", "abs"]
BINARY = ["+", "-", "*", "/", "max", "min"]
# every operation the random cases put at the root in turn: max and min entry by entry
# (BINARY), max_r and min_r the reductions, pow a variable exponent
ROOTS = UNARY + BINARY + ["**", "pow", "@", "T", "dot", "norm", "softmax", "log_softmax",
                          "cross_entropy", "sum", "mean", "max_r", "min_r"]
POSITIVE_ONLY = {"log", "sqrt", "log10"}
POOLS = {0: ["a", "b", "s"], 1: ["x", "y", "v", "u"], 2: ["A", "B", "W", "M", "X"]}
LABELS = ["t", "k"]


class Undefined(ArithmeticError):
    """No finite answer (or, in a random case, too near a kink): the case is drawn again."""


def refuse(condition):
    if bool(condition):
        raise Undefined


def finite(value):
    refuse(not bool(torch.all(torch.isfinite(value))))
    return value


def near(d):
    """In a random case: whether any entry of d is within MARGIN of 0 (a kink or tie)."""
    return STRICT["on"] and bool(torch.any(torch.abs(d) < MARGIN))


class Node:
    """A shape-checked expression that is both text and a torch computation."""

    def __init__(self, text, compute, names, shape, constant=False):
        self.text, self.compute, self.names = text, compute, names
        self.shape, self.constant = tuple(shape), constant


def paren(text):
    return text if text.replace("_", "").isalnum() else f"({text})"


# ------------------------------------------------------------------ torch rules


def extreme(name, a, axis=None, alt=False):
    """max/min of one argument: torch.max() (alt: torch.amax) over everything, torch.amax
    over an axis: both split a tie evenly (torch.max(x, dim) would not)."""
    if STRICT["on"]:  # the two most extreme entries of each slice must differ
        s = torch.sort(a.detach().reshape(-1) if axis is None else a.detach(),
                       dim=-1 if axis is None else axis, descending=name == "max").values
        if s.shape[-1 if axis is None else axis] > 1:
            first, second = (s.narrow(-1 if axis is None else axis, i, 1) for i in (0, 1))
            refuse(near(first - second))
    if axis is None:
        if alt:
            return torch.amax(a) if name == "max" else torch.amin(a)
        return torch.max(a) if name == "max" else torch.min(a)
    return torch.amax(a, dim=axis) if name == "max" else torch.amin(a, dim=axis)


def unary(op, a):
    if op == "neg":
        return -a
    if op in POSITIVE_ONLY:
        refuse(torch.any(a <= 0))
    if op in ("relu", "abs"):
        refuse(near(a))
    y = finite(TORCH[op](a))
    if op in ("sigmoid", "tanh") and STRICT["on"]:  # torch's y(1 - y), 1 - y²: digits lost
        refuse(torch.any(1 - torch.abs(y) < 1e-3) or op == "sigmoid" and torch.any(y < 1e-3))
    return y


def binary(op, a, b):
    if op in ("max", "min"):
        refuse(near(a - b))
        return torch.maximum(a, b) if op == "max" else torch.minimum(a, b)
    if op == "/":
        refuse(torch.any(b == 0))
    fn = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}[op]
    return finite(fn(a, b))


def power(a, p):
    """a ** p, a constant p: where `backprop graph` has no finite derivative, drawn again."""
    refuse(torch.any((a < 0) & (p != int(p))) or torch.any((a == 0) & (p < 0))
           or torch.any((a == 0) & (0 < p < 1)))
    return finite(a ** p)


def variable_power(a, b):
    """a ** b, b variable: a^b ln a needs a ≥ 0; 0 ** b with b < 1 (not 0) is infinite."""
    b_ = b.detach() if isinstance(b, torch.Tensor) else torch.tensor(float(b))
    a_ = a.detach() if isinstance(a, torch.Tensor) else torch.tensor(float(a))
    a_, b_ = torch.broadcast_tensors(a_, b_)
    refuse(torch.any(a_ < 0) or torch.any((a_ == 0) & (b_ < 1) & (b_ != 0)))
    return finite(torch.pow(a, b))


def transpose(a):
    return a.mT if a.ndim == 2 else a  # a vector's .T is itself, as NumPy's


def norm(a):
    refuse(near(torch.linalg.norm(a.detach())))
    return torch.linalg.norm(a)


def cross_entropy(z, t):
    return F.cross_entropy(z, t)  # mean over the rows; t class indices or probabilities


# ------------------------------------------------------------------ random expressions


class Drawing:
    """One case's inputs (name -> (shape, kind)) and steps (name -> shape) as it is drawn:
    kinds 'real', 'int' (entries from {-1, 0, 1, 2}), 'label' (class indices below
    classes), 'onehot', 'prob'."""

    def __init__(self, rng, kind="real"):
        self.rng, self.kind = rng, kind
        self.inputs: dict[str, tuple] = {}
        self.steps: dict[str, tuple] = {}

    def name(self, shape, kind=None, classes=None):
        """An input (or a step) of this shape and kind: often one already drawn."""
        kind = kind or self.kind
        steps = [n for n, s in self.steps.items() if s == shape] if kind == self.kind else []
        if steps and self.rng.random() < 0.5:
            return self.rng.choice(steps)
        same = [n for n, (s, k, c) in self.inputs.items()
                if s == shape and k == kind and c == classes]
        if same and self.rng.random() < 0.6:
            return self.rng.choice(same)
        pool = LABELS if kind == "label" else ["Y", "P", "Q"] if kind in ("onehot", "prob") \
            else POOLS[len(shape)]
        free = [n for n in pool if n not in self.inputs and n not in self.steps]
        if not free:
            refuse(not same)
            return self.rng.choice(same)
        name = self.rng.choice(free)
        self.inputs[name] = (shape, kind, classes)
        return name

    def leaf(self, shape, kind=None, classes=None):
        name = self.name(tuple(shape), kind, classes)
        return Node(name, lambda env, name=name: env[name], {name}, shape)

    def constant(self):
        c = self.rng.choice([1, 2, 3, 0.5, -1, -2, 1.5])
        return Node(f"({c})" if c < 0 else str(c), lambda env, c=c: torch.tensor(float(c)),
                    set(), (), True)

    def size(self):
        return self.rng.randint(1, 4)

    # -------------------------------------------------------------- shapes

    def partners(self, shape):
        """Two shapes that broadcast to shape, as lectures pair them."""
        if len(shape) == 0:
            return [((), ())]
        if len(shape) == 1:
            n = shape[0]
            return [(shape, shape), (shape, ()), ((), shape), (shape, (1,)), ((1,), shape)]
        m, n = shape
        return [(shape, shape), (shape, ()), ((), shape), (shape, (1, n)), ((m, 1), shape),
                ((m, 1), (1, n)), ((n,), (m, 1)), ((n,), shape), (shape, (n,)),
                ((1, n), (m, 1))]

    def roots(self, shape):
        """The operations whose result can have this shape."""
        ops = UNARY + BINARY + ["**", "pow", "@"]
        if len(shape) == 0:
            return ops + ["dot", "norm", "cross_entropy", "sum", "mean", "max_r", "min_r"]
        ops += ["T", "softmax", "log_softmax"]
        return ops + (["sum", "mean", "max_r", "min_r"] if len(shape) == 1 else [])

    # -------------------------------------------------------------- trees

    def tree(self, shape, depth, root=None):
        shape = tuple(shape)
        if root is None and (depth <= 0 or self.rng.random() < 0.2):
            return self.leaf(shape)
        op = root or self.rng.choice(self.roots(shape))
        depth -= 1
        if op in UNARY:
            arg = self.positive(shape, depth) if op in POSITIVE_ONLY else \
                self.tree(shape, depth)
            return self.unary(op, arg)
        if op in BINARY:
            left, right = self.rng.choice(self.partners(shape))
            a = self.constant() if left == () and self.rng.random() < 0.4 else \
                self.tree(left, depth)
            b = self.constant() if right == () and not a.constant and \
                self.rng.random() < 0.4 else self.tree(right, depth)
            return self.binary(op, a, b)
        if op == "**":
            p = self.rng.choice([2, 3, -1, -2, 0.5, 1.5, 0, 1])
            base = self.tree(shape, depth) if p == int(p) else self.positive(shape, depth)
            return Node(f"{paren(base.text)} ** {p if p >= 0 else f'({p})'}",
                        lambda env: power(base.compute(env), p), base.names, shape)
        if op == "pow":
            left, right = self.rng.choice(self.partners(shape))
            base = self.rng.choice([self.constant, lambda: self.positive(left, depth)])() \
                if left == () else self.positive(left, depth)
            if base.constant and base.text.startswith("("):
                base = self.positive(left, depth)
            exponent = self.tree(right, depth)
            return Node(f"{paren(base.text)} ** {paren(exponent.text)}",
                        lambda env: variable_power(base.compute(env), exponent.compute(env)),
                        base.names | exponent.names, shape)
        if op == "@":
            return self.matmul(shape, depth)
        if op == "T":
            a = self.tree(shape[::-1], depth)
            text = self.rng.choice([f"{paren(a.text)}.T", f"np.transpose({a.text})",
                                    f"{paren(a.text)}.transpose()"])
            return Node(text, lambda env: transpose(a.compute(env)), a.names, shape)
        if op == "dot":
            n = self.size()
            a, b = self.tree((n,), depth), self.tree((n,), depth)
            text = self.rng.choice([f"dot({a.text}, {b.text})", f"{paren(a.text)}.dot({b.text})",
                                    f"np.dot({a.text}, {b.text})"])
            return Node(text, lambda env: torch.dot(a.compute(env), b.compute(env)),
                        a.names | b.names, ())
        if op == "norm":
            a = self.tree(self.rng.choice([(self.size(),), (self.size(), self.size())]), depth)
            text = self.rng.choice(["norm", "np.linalg.norm", "torch.linalg.norm"])
            return Node(f"{text}({a.text})", lambda env: norm(a.compute(env)), a.names, ())
        if op in ("softmax", "log_softmax"):
            return self.softmax(op, shape, depth)
        if op == "cross_entropy":
            return self.cross_entropy(depth)
        return self.reduction(op.removesuffix("_r"), shape, depth)

    def operation(self, shape, depth):
        """A tree with an operation at its root, never a bare name (h = x only renames)."""
        return self.tree(shape, depth, self.rng.choice(self.roots(tuple(shape))))

    def positive(self, shape, depth):
        """A subexpression whose entries are all above 0: the argument of log, sqrt, a
        variable power's base."""
        a = self.tree(shape, depth)
        kind = self.rng.choice(["exp", "sigmoid", "square", "abs"]
                               + (["softmax"] if shape else []))
        if kind == "softmax":
            return Node(f"softmax({a.text})", lambda env: torch.softmax(a.compute(env), -1),
                        a.names, shape)
        if kind in ("exp", "sigmoid"):
            return self.unary(kind, a)
        c = 0.5 if kind == "square" else 0.25
        inner = self.unary(kind, a)
        return Node(f"({inner.text} + {c})", lambda env: inner.compute(env) + c, a.names, shape)

    def unary(self, op, a):
        text = f"-{paren(a.text)}" if op == "neg" else spelled(op, a.text, self.rng, not a.shape)
        return Node(text, lambda env: unary(op, a.compute(env)), a.names, a.shape)

    def binary(self, op, a, b):
        shape = torch.broadcast_shapes(a.shape, b.shape)
        text = f"{op}({a.text}, {b.text})" if op in ("max", "min") else \
            f"({a.text} {op} {b.text})"
        return Node(text, lambda env: binary(op, a.compute(env), b.compute(env)),
                    a.names | b.names, shape)

    def matmul(self, shape, depth):
        """(m, k) @ (k, n), (m, k) @ (k,), (k,) @ (k, n) or (k,) @ (k,): the result's shape."""
        k = self.size()
        if len(shape) == 2:
            left, right = (shape[0], k), (k, shape[1])
        elif len(shape) == 1:
            left, right = self.rng.choice([((shape[0], k), (k,)), ((k,), (k, shape[0]))])
        else:
            left, right = (k,), (k,)
        a, b = self.tree(left, depth), self.tree(right, depth)
        text = f"np.matmul({a.text}, {b.text})" if self.rng.random() < 0.15 else \
            f"({a.text} @ {b.text})"
        return Node(text, lambda env: torch.matmul(a.compute(env), b.compute(env)),
                    a.names | b.names, shape)

    def reduction(self, op, shape, depth):
        if len(shape) == 0:
            source = self.rng.choice([(self.size(),), (self.size(), self.size())])
            axis = self.rng.choice([None, None, 0, -1]) if len(source) == 1 else None
        else:
            axis = self.rng.choice([0, 1, -1, -2])
            k = self.size()
            source = (k, shape[0]) if axis in (0, -2) else (shape[0], k)
        a = self.tree(source, depth)
        text = reduction_text(op, a.text, axis, self.rng)

        def compute(env):
            v = a.compute(env)
            if op in ("max", "min"):
                return extreme(op, v, axis)
            fn = torch.sum if op == "sum" else torch.mean
            return finite(fn(v) if axis is None else fn(v, dim=axis))
        return Node(text, compute, a.names, shape)

    def softmax(self, op, shape, depth):
        a = self.tree(shape, depth)
        n = len(shape)
        axis = self.rng.choice([None] + list(range(-n, n)))
        fn = torch.softmax if op == "softmax" else torch.log_softmax
        spell = self.rng.randrange(4)
        if axis is None:
            text = f"{op}({a.text})"
        elif spell == 0:
            text = f"{op}({a.text}, axis={axis})"
        elif spell == 1:
            text = f"{op}({a.text}, {axis})"
        elif spell == 2:
            text = f"torch.{op}({a.text}, dim={axis})"
        else:
            text = f"{paren(a.text)}.{op}({axis})"
        return Node(text, lambda env: fn(a.compute(env), -1 if axis is None else axis),
                    a.names, shape)

    def cross_entropy(self, depth):
        k = self.rng.randint(2, 4)
        shape = self.rng.choice([(k,), (self.rng.randint(1, 4), k)])
        z = self.tree(shape, depth)
        target = self.rng.choice(["label", "label", "onehot", "prob", "softmax"])
        if target == "softmax":  # soft targets computed from other logits: they take gradients
            s = self.tree(shape, depth)
            t = Node(f"softmax({s.text})", lambda env: torch.softmax(s.compute(env), -1),
                     s.names, shape)
        elif target == "label":
            t = self.leaf(shape[:-1], "label", k)
        else:
            t = self.leaf(shape, target)
        return Node(f"cross_entropy({z.text}, {t.text})",
                    lambda env: finite(cross_entropy(z.compute(env), t.compute(env))),
                    z.names | t.names, ())

    # -------------------------------------------------------------- values

    def values(self, names):
        out = {}
        for name in names:
            shape, kind, classes = self.inputs[name]
            out[name] = self.entries(shape, kind, classes)
        return out

    def entries(self, shape, kind, classes=None):
        rng = self.rng
        if kind == "label":
            return nested(shape, lambda: rng.randrange(classes))
        if kind in ("onehot", "prob"):
            rows = [self.row(shape[-1], kind) for _ in range(1 if len(shape) == 1 else shape[0])]
            return rows[0] if len(shape) == 1 else rows
        if kind == "int":
            return nested(shape, lambda: rng.choice([-1, 0, 1, 1, 2]))
        return nested(shape, lambda: rng.randint(-3, 3) if rng.random() < 0.2
                      else round(rng.uniform(-2, 2), 2))

    def row(self, k, kind):
        if kind == "onehot":
            hot = self.rng.randrange(k)
            return [1 if i == hot else 0 for i in range(k)]
        weights = [self.rng.uniform(0.05, 1) for _ in range(k)]  # sums to about 1, not exactly
        return [round(w / sum(weights), 2) for w in weights]


def nested(shape, draw):
    if not shape:
        return draw()
    return [nested(shape[1:], draw) for _ in range(shape[0])]


def spelled(op, arg, rng, scalar):
    """op(arg) as one of the sources writes it: exp(x), np.exp(x), (x).exp(), ln(x); math.
    only for a scalar, as Python's math takes no arrays."""
    choice = rng.randrange(8)
    if choice == 1:
        return f"{paren(arg)}.{op}()"
    if choice == 2 and op == "log":
        return f"ln({arg})"
    if choice in (3, 4):
        modules = [m for m in SPELLINGS if op in SPELLINGS[m] and (scalar or m != "math")]
        return f"{rng.choice(modules)}.{op}({arg})"
    return f"{op}({arg})"


def reduction_text(op, arg, axis, rng):
    """sum(x), sum(x, axis=0), sum(x, 0), np.sum(x, axis=0), torch.sum(x, dim=0), x.sum(),
    x.max(axis=0): as NumPy and torch write them (never torch.max(x, dim), whose ties go to
    the first entry, nor x.max(0), which the language reads as max(x, 0))."""
    choice = rng.randrange(5)
    if axis is None:
        return [f"{op}({arg})", f"np.{op}({arg})", f"{paren(arg)}.{op}()", f"{op}({arg})",
                f"torch.{op}({arg})"][choice]
    if choice == 1 and op in ("sum", "mean"):
        return f"{op}({arg}, {axis})"
    if choice == 2:
        return f"np.{op}({arg}, axis={axis})"
    if choice == 3 and op in ("sum", "mean"):
        return f"torch.{op}({arg}, dim={axis})"
    if choice == 4:
        return f"{paren(arg)}.{op}(axis={axis})"
    return f"{op}({arg}, axis={axis})"


# ------------------------------------------------------------------ solving


def plain(v):
    return v.tolist() if isinstance(v, torch.Tensor) else v


def draw_upstream(rng, shape):
    return nested(shape, lambda: round(rng.uniform(-1.5, 1.5), 2) or 0.5)


def solve(expression, compute, given, kinds=None, upstream=None):
    """{"expression", "values", "upstream"?, "value", "gradients"} by torch, or None where
    it has no finite answer. kinds: name -> 'label' for class indices."""
    kinds = kinds or {}
    leaves = {}
    for name, v in given.items():
        if kinds.get(name) == "label":
            leaves[name] = torch.tensor(v, dtype=torch.long)
        else:
            leaves[name] = torch.tensor(v, dtype=torch.float64, requires_grad=True)
    try:
        f = compute(leaves)
    except Undefined:
        return None
    wrt = [n for n in leaves if kinds.get(n) != "label"]
    seed = None if upstream is None else torch.tensor(upstream, dtype=torch.float64)
    assert f.ndim == 0 or seed is not None, expression
    grads = torch.autograd.grad(f, [leaves[n] for n in wrt], grad_outputs=seed,
                                allow_unused=True)
    gradients = {n: plain(torch.zeros_like(leaves[n]) if g is None else g)
                 for n, g in zip(wrt, grads)}
    numbers = [f.detach().reshape(-1)] + [torch.tensor(g).reshape(-1) for g in
                                          gradients.values()]
    flat = torch.cat(numbers)
    if not bool(torch.all(torch.isfinite(flat))) or bool(torch.any(flat.abs() >= LIMIT)):
        return None
    grads_flat = torch.cat(numbers[1:]) if len(numbers) > 1 else torch.zeros(0)
    if bool(torch.any((grads_flat != 0) & (grads_flat.abs() < TINY))):
        return None
    case = {"expression": expression, "values": given}
    if upstream is not None:
        case["upstream"] = upstream
    case |= {"value": plain(f.detach()), "gradients": gradients}
    return case


def random_case(rng, make, kind="real", strict=True):
    """make(drawing) -> (text, compute, names) or None; drawn until torch solves it."""
    while True:
        drawing = Drawing(rng, kind)
        STRICT["on"] = strict
        try:
            made = make(drawing)
        except Undefined:  # no free name of that shape
            continue
        if made is None:
            continue
        text, compute, names = made
        used = in_order(text, names)
        given = drawing.values(used)
        kinds = {n: drawing.inputs[n][1] for n in used}
        f_shape = made_shape(compute, given, kinds)
        if f_shape is None:
            continue
        upstream = draw_upstream(rng, f_shape) if f_shape else None
        case = solve(text, compute, given, kinds, upstream)
        STRICT["on"] = True
        if case is not None:
            return case


def made_shape(compute, given, kinds):
    """The shape of the result (None where torch has no finite answer)."""
    leaves = {n: torch.tensor(v, dtype=torch.long if kinds.get(n) == "label"
                              else torch.float64) for n, v in given.items()}
    try:
        with torch.no_grad():
            return tuple(compute(leaves).shape)
    except Undefined:
        return None


def random_cases(rng, count):
    cases = []
    for i in range(count):
        root = ROOTS[i % len(ROOTS)]

        def make(d, root=root):
            shape = shape_for(d, root)
            node = d.tree(shape, rng.randint(2, 3), root)
            if not node.names:
                return None
            return node.text, node.compute, node.names
        cases.append(random_case(rng, make))
    return cases


def shape_for(d, root):
    if root in ("dot", "norm", "cross_entropy"):
        return ()
    if root in ("softmax", "log_softmax", "T"):
        return d.rng.choice([(d.size(),), (d.size(), d.size()), (d.size(), d.size())])
    if root in ("sum", "mean", "max_r", "min_r"):
        return d.rng.choice([(), (d.size(),)])
    return d.rng.choice([(), (d.size(),), (d.size(), d.size()), (d.size(), d.size())])


def exact(d, shape, depth):
    """Integer arithmetic that float64 does exactly, in torch and NumPy alike."""
    if depth <= 0 or d.rng.random() < 0.3:
        return d.leaf(shape)
    choice = d.rng.choice(["+", "-", "*", "@", "T", "sum"])
    if choice == "@":
        return d.matmul(shape, 0)
    if choice == "T" and shape:
        a = exact(d, shape[::-1], depth - 1)
        return Node(f"{paren(a.text)}.T", lambda env: transpose(a.compute(env)), a.names,
                    shape)
    if choice == "sum" and len(shape) < 2:
        axis = d.rng.choice([0, 1] if shape else [None])
        k = d.size()
        source = (k,) if not shape else (k, shape[0]) if axis == 0 else (shape[0], k)
        a = exact(d, source, depth - 1)
        return Node(f"sum({a.text}, axis={axis})" if shape else f"sum({a.text})",
                    lambda env: torch.sum(a.compute(env), dim=axis) if shape
                    else torch.sum(a.compute(env)), a.names, shape)
    left, right = d.rng.choice(d.partners(shape))
    return d.binary(choice if choice in "+-*" else "+", exact(d, left, depth - 1),
                    exact(d, right, depth - 1))


def tie_cases(rng, count):
    """max/min (reductions over every axis and none, and entry by entry), relu, abs and
    norm of exact integer arithmetic, then a smooth step: ties and kinks kept."""
    kinks = ["max_r", "min_r", "max", "min", "relu", "abs", "norm"]
    cases = []
    for i in range(count):
        kink = kinks[i % len(kinks)]

        def make(d, kink=kink):
            shape = d.rng.choice([(d.size(),), (d.size(), d.size())])
            a = exact(d, shape, 2)
            if kink in ("max_r", "min_r"):
                n = len(shape)
                axis = d.rng.choice([None] + list(range(-n, n)))
                op, alt = kink[:3], d.rng.random() < 0.5  # torch.max() or torch.amax()
                node = Node(reduction_text(op, a.text, axis, d.rng),
                            lambda env: extreme(op, a.compute(env), axis, alt),
                            a.names, () if axis is None else
                            tuple(s for j, s in enumerate(shape) if j != axis % n))
            elif kink in ("max", "min"):
                other = d.rng.choice([shape, shape[-1:], ()])
                b = exact(d, other, 1) if other else d.leaf(())
                node = d.binary(kink, a, b)
            elif kink == "norm":
                if d.rng.random() < 0.4:  # a zero vector or matrix
                    a = d.binary("-", a, a)
                node = Node(f"norm({a.text})", lambda env: torch.linalg.norm(a.compute(env)),
                            a.names, ())
            else:
                node = d.unary(kink, a)
            if not node.shape or d.rng.random() < 0.5:
                return node.text, node.compute, node.names
            # a smooth step after the kink: sum(k * weights), the weights real numbers
            d.kind = "real"
            w = d.leaf(node.shape)
            return (f"sum({paren(node.text)} * {w.text})",
                    lambda env: torch.sum(node.compute(env) * w.compute(env)),
                    node.names | w.names)
        cases.append(random_case(rng, make, "int", strict=False))
    return cases


def staged_cases(rng, count):
    """h = ...; o = ... (h and the inputs); f = ... (h, o and the inputs)."""
    def make(d):
        sh, so = (shape_for(d, "any") for _ in range(2))
        h = d.operation(sh, 2)
        d.steps["h"] = sh
        o = d.operation(so, 2)
        d.steps["o"] = so
        f = d.tree((), 2, d.rng.choice(["sum", "dot", "norm", "cross_entropy", "+", "*",
                                        "mean", "max_r"]))
        names = h.names | o.names | f.names
        if "h" not in o.names | f.names or "o" not in f.names or not h.names - {"h"}:
            return None

        def compute(env):
            env = dict(env)
            env["h"] = h.compute(env)
            env["o"] = o.compute(env)
            return f.compute(env)
        return f"h = {h.text}; o = {o.text}; f = {f.text}", compute, names - {"h", "o"}
    return [random_case(rng, make) for _ in range(count)]


def reassigned_cases(rng, count):
    """h = ...; h = ... (h and the inputs); h += ... or h *= ... (micrograd's in-place
    updates, the added term broadcast to h's shape); the output h, or f = sum(h)."""
    def make(d):
        first = d.operation(shape_for(d, "any"), 2)
        d.steps["h"] = first.shape
        second = d.operation(shape_for(d, "any"), 2)
        del d.steps["h"]  # the third sees the second h, of the second's shape
        d.steps["h"] = second.shape
        left, right = d.rng.choice(d.partners(second.shape))
        third = d.tree(right if left == second.shape else second.shape, 2)
        update = d.rng.choice(["+", "-", "*"])
        if "h" not in second.names or not first.names:
            return None
        text = f"h = {first.text}; h = {second.text}; h {update}= {third.text}"
        total = d.rng.random() < 0.4
        text += "; f = sum(h)" if total else ""

        def compute(env):
            env = dict(env)
            env["h"] = first.compute(env)
            env["h"] = second.compute(env)
            h = binary(update, env["h"], third.compute(env))
            return torch.sum(h) if total else h
        return text, compute, (first.names | second.names | third.names) - {"h"}
    return [random_case(rng, make) for _ in range(count)]


# ------------------------------------------------------------------ chosen cases


def fixed_cases(specs, rng):
    """specs: (text, values, fn[, options]); options: upstream (default: drawn for a
    non-scalar result), labels (names of class indices), alt (a second torch route that
    must give the same numbers: torch.amax for torch.max())."""
    STRICT["on"] = False
    cases = []
    for text, given, fn, *rest in specs:
        options = rest[0] if rest else {}
        kinds = {n: "label" for n in options.get("labels", ())}
        upstream = options.get("upstream")
        if upstream is None:
            shape = made_shape(fn, given, kinds)
            upstream = draw_upstream(rng, shape) if shape else None
        case = solve(text, fn, given, kinds, upstream)
        assert case is not None, text
        if "alt" in options:
            other = solve(text, options["alt"], given, kinds, upstream)
            assert other == case, (text, case, other)
        cases.append(case)
    return cases


def attention(q, k, v, scale):
    return torch.softmax(q @ k.mT / scale, dim=-1) @ v


A23 = [[1.5, -0.5, 2.0], [0.25, 1.0, -1.25]]
B34 = [[0.5, -1.0, 0.75, 2.0], [1.25, 0.0, -0.5, 1.0], [-1.5, 0.25, 1.0, -0.75]]
Q = [[0.5, -1.0], [1.5, 0.25], [-0.75, 1.0]]
K = [[1.0, 0.5], [-0.5, 1.5], [0.25, -1.0], [2.0, 0.0]]
V = [[0.5, 1.0, -1.0], [2.0, -0.5, 0.0], [-1.5, 0.25, 1.0], [1.0, 1.0, 0.5]]
G = [[1.0, -0.5, 0.25], [0.0, 2.0, -1.0], [0.5, 0.5, 1.5]]
X = [[1.0, 0.5, -0.5], [0.0, -1.0, 2.0], [1.5, 0.25, 0.75]]
Z = [[2.0, -1.0, 0.5, 0.0], [0.5, 1.5, -2.0, 1.0], [-0.25, 0.0, 0.75, 3.0]]

CHOSEN = [
    # broadcasting: a vector with a matrix (rows), a column, row + column, a scalar
    ("A + b", {"A": A23, "b": [1.0, -2.0, 0.5]}, lambda e: e["A"] + e["b"]),
    ("b - A", {"b": [1.0, -2.0, 0.5], "A": A23}, lambda e: e["b"] - e["A"]),
    ("sum(A * c)", {"A": A23, "c": [[2.0], [-0.5]]}, lambda e: T.sum(e["A"] * e["c"])),
    ("A / c", {"A": A23, "c": [[2.0], [-0.5]]}, lambda e: e["A"] / e["c"]),
    ("sum((r + c) ** 2)", {"r": [[1.0, -2.0, 0.5, 3.0]], "c": [[0.5], [-1.0], [2.0]]},
     lambda e: T.sum((e["r"] + e["c"]) ** 2)),
    ("r * c", {"r": [[1.0, -2.0, 0.5, 3.0]], "c": [[0.5], [-1.0], [2.0]]},
     lambda e: e["r"] * e["c"]),
    ("x + c", {"x": [1.0, -2.0, 0.5, 3.0], "c": [[0.5], [-1.0], [2.0]]},
     lambda e: e["x"] + e["c"]),
    ("sum(2 * A - a / A + A ** a)", {"A": [[1.0, 2.0], [0.5, 4.0]], "a": 3.0},
     lambda e: T.sum(2 * e["A"] - e["a"] / e["A"] + e["A"] ** e["a"])),
    ("a * A", {"a": -1.5, "A": A23}, lambda e: e["a"] * e["A"]),
    ("x * A", {"x": [1.0, 0.0, -2.0], "A": A23}, lambda e: e["x"] * e["A"]),
    ("sum(x * A, axis=0)", {"x": [[1.0], [-2.0]], "A": A23},
     lambda e: T.sum(e["x"] * e["A"], dim=0)),
    ("sum(A * s)", {"A": [[2.0]], "s": 3.0}, lambda e: T.sum(e["A"] * e["s"])),
    ("A * x + s", {"A": [[2.0]], "x": [1.5], "s": -1.0}, lambda e: e["A"] * e["x"] + e["s"]),
    # every element-wise function on a matrix or a vector, relu and abs at exact zeros
    ("-A", {"A": A23}, lambda e: -e["A"]),
    ("exp(A)", {"A": A23}, lambda e: T.exp(e["A"])),
    ("np.log(B)", {"B": [[0.5, 2.0], [1.0, 3.5]]}, lambda e: T.log(e["B"])),
    ("sqrt(x)", {"x": [0.25, 4.0, 2.0]}, lambda e: T.sqrt(e["x"])),
    ("log10(B)", {"B": [[0.5, 2.0], [1.0, 10.0]]}, lambda e: T.log10(e["B"])),
    ("sin(A)", {"A": A23}, lambda e: T.sin(e["A"])),
    ("cos(x)", {"x": [0.0, 1.5, -3.0]}, lambda e: T.cos(e["x"])),
    ("square(A)", {"A": A23}, lambda e: T.square(e["A"])),
    ("sigmoid(A)", {"A": A23}, lambda e: T.sigmoid(e["A"])),
    ("torch.tanh(A)", {"A": A23}, lambda e: T.tanh(e["A"])),
    ("relu(A)", {"A": [[1.0, 0.0, -2.0], [0.0, 3.0, -0.5]]}, lambda e: T.relu(e["A"])),
    ("abs(x)", {"x": [-1.5, 0.0, 2.0, 0.0]}, lambda e: T.abs(e["x"])),
    ("x.relu() * y", {"x": [1.0, 0.0, -2.0], "y": [2.0, 3.0, 4.0]},
     lambda e: T.relu(e["x"]) * e["y"]),
    # powers: constant exponents, a variable one entry by entry, a scalar one broadcast
    ("A ** 3", {"A": A23}, lambda e: e["A"] ** 3),
    ("B ** 0.5 + B ** (-1)", {"B": [[0.5, 2.0], [1.0, 4.0]]},
     lambda e: e["B"] ** 0.5 + e["B"] ** -1),
    ("B ** C", {"B": [[0.5, 2.0], [1.0, 3.0]], "C": [[2.0, -1.0], [0.5, 1.5]]},
     lambda e: e["B"] ** e["C"]),
    ("2 ** A", {"A": A23}, lambda e: 2 ** e["A"]),
    ("sum(B ** c)", {"B": [[0.5, 2.0], [1.0, 3.0]], "c": 1.5}, lambda e: T.sum(e["B"] ** e["c"])),
    ("x ** y", {"x": [0.0, 0.0, 2.0], "y": [2.0, 0.0, -1.0]}, lambda e: e["x"] ** e["y"]),
    # element-wise max and min: ties split half and half (torch.maximum), broadcast ties
    ("max(A, b)", {"A": [[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]], "b": [1.0, 2.0, 4.0]},
     lambda e: T.maximum(e["A"], e["b"])),
    ("min(A, b)", {"A": [[1.0, 2.0, 3.0], [0.0, 2.0, 5.0]], "b": [1.0, 2.0, 4.0]},
     lambda e: T.minimum(e["A"], e["b"])),
    ("max(A, 0)", {"A": [[1.0, 0.0, -2.0], [0.0, 3.0, -0.5]]},
     lambda e: T.maximum(e["A"], T.tensor(0.0))),
    ("min(x, a)", {"x": [1.0, 2.0, 3.0], "a": 2.0}, lambda e: T.minimum(e["x"], e["a"])),
    ("max(x, x)", {"x": [1.0, -2.0]}, lambda e: T.maximum(e["x"], e["x"])),
    ("max(A, c)", {"A": A23, "c": [[1.5], [1.0]]}, lambda e: T.maximum(e["A"], e["c"])),
    # @ in its four shape combinations (CS231n's example first), np.matmul, fan-out
    ("sum((W @ x) ** 2)", {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]},
     lambda e: T.sum((e["W"] @ e["x"]) ** 2)),
    ("x @ y", {"x": [1.0, -2.0, 0.5], "y": [0.5, 1.5, -2.0]}, lambda e: e["x"] @ e["y"]),
    ("W @ x", {"W": A23, "x": [1.0, -2.0, 0.5]}, lambda e: e["W"] @ e["x"]),
    ("x @ W", {"x": [1.0, -2.0], "W": A23}, lambda e: e["x"] @ e["W"]),
    ("A @ B", {"A": A23, "B": B34}, lambda e: e["A"] @ e["B"]),
    ("np.matmul(A, B)", {"A": A23, "B": B34}, lambda e: e["A"] @ e["B"]),
    ("r @ c", {"r": [[1.0, 2.0, 3.0]], "c": [[0.5], [-1.0], [2.0]]}, lambda e: e["r"] @ e["c"]),
    ("sum(A @ A)", {"A": [[1.0, 2.0], [-0.5, 3.0]]}, lambda e: T.sum(e["A"] @ e["A"])),
    ("B = A @ A; f = sum(B * A)", {"A": [[1.0, 2.0], [-0.5, 3.0]]},
     lambda e: T.sum((e["A"] @ e["A"]) * e["A"])),
    ("sum(A * A) + sum(A @ A.T)", {"A": A23},
     lambda e: T.sum(e["A"] * e["A"]) + T.sum(e["A"] @ e["A"].mT)),
    # d2l 2.5: y = 2 xᵀx, ∂y/∂x = 4x
    ("2 * x @ x", {"x": [0.0, 1.0, 2.0, 3.0]}, lambda e: 2 * e["x"] @ e["x"]),
    # .T of a matrix and of a vector (itself), np.transpose, .transpose()
    ("A.T", {"A": A23}, lambda e: e["A"].mT),
    ("np.transpose(A) @ x", {"A": A23, "x": [1.0, -1.0]}, lambda e: e["A"].mT @ e["x"]),
    ("A.transpose() * B", {"A": A23, "B": [[1.0, 2.0], [0.5, -1.0], [3.0, 0.0]]},
     lambda e: e["A"].mT * e["B"]),
    ("x.T @ y", {"x": [1.0, -2.0, 0.5], "y": [0.5, 1.5, -2.0]}, lambda e: e["x"] @ e["y"]),
    # dot, its method and np.dot; a vector dotted with itself
    ("dot(x, y)", {"x": [1.0, -2.0, 0.5], "y": [0.5, 1.5, -2.0]},
     lambda e: T.dot(e["x"], e["y"])),
    ("x.dot(y) * x.dot(x)", {"x": [1.0, -2.0, 0.5], "y": [0.5, 1.5, -2.0]},
     lambda e: T.dot(e["x"], e["y"]) * T.dot(e["x"], e["x"])),
    ("np.dot(W @ x, y)", {"W": A23, "x": [1.0, -2.0, 0.5], "y": [2.0, -1.0]},
     lambda e: T.dot(e["W"] @ e["x"], e["y"])),
    # sum and mean: no axis, each axis, negative ones, as NumPy and torch write them
    ("sum(A)", {"A": A23}, lambda e: T.sum(e["A"])),
    ("sum(A, axis=0)", {"A": A23}, lambda e: T.sum(e["A"], dim=0)),
    ("sum(A, axis=1)", {"A": A23}, lambda e: T.sum(e["A"], dim=1)),
    ("np.sum(A, axis=-1)", {"A": A23}, lambda e: T.sum(e["A"], dim=-1)),
    ("torch.sum(A, dim=-2)", {"A": A23}, lambda e: T.sum(e["A"], dim=-2)),
    ("A.sum(0)", {"A": A23}, lambda e: T.sum(e["A"], dim=0)),
    ("sum(x, 0) + x.sum(-1)", {"x": [1.0, -2.0, 0.5]},
     lambda e: T.sum(e["x"], dim=0) + T.sum(e["x"], dim=-1)),
    ("mean(A)", {"A": A23}, lambda e: T.mean(e["A"])),
    ("mean(A, axis=0)", {"A": A23}, lambda e: T.mean(e["A"], dim=0)),
    ("np.mean(A, axis=1)", {"A": A23}, lambda e: T.mean(e["A"], dim=1)),
    ("mean(A, -1)", {"A": A23}, lambda e: T.mean(e["A"], dim=-1)),
    ("torch.mean(A, dim=-2)", {"A": A23}, lambda e: T.mean(e["A"], dim=-2)),
    ("x.mean() * mean(x, axis=0)", {"x": [1.0, -2.0, 0.5, 4.0]},
     lambda e: T.mean(e["x"]) * T.mean(e["x"], dim=0)),
    ("sum(A)", {"A": A23}, lambda e: T.sum(e["A"]), {"upstream": 2.5}),  # a scalar seed
    # max and min of one argument: no axis and each axis, without ties and with them
    ("max(A)", {"A": A23}, lambda e: T.max(e["A"]), {"alt": lambda e: T.amax(e["A"])}),
    ("min(A)", {"A": A23}, lambda e: T.min(e["A"]), {"alt": lambda e: T.amin(e["A"])}),
    ("max(A, axis=0)", {"A": A23}, lambda e: T.amax(e["A"], dim=0)),
    ("min(A, axis=1)", {"A": A23}, lambda e: T.amin(e["A"], dim=1)),
    ("min(A, axis=0) @ x", {"A": A23, "x": [1.0, -1.0, 2.0]},
     lambda e: T.amin(e["A"], dim=0) @ e["x"]),
    ("np.max(A, axis=-1)", {"A": A23}, lambda e: T.amax(e["A"], dim=-1)),
    ("A.min(axis=-2)", {"A": A23}, lambda e: T.amin(e["A"], dim=-2)),
    ("max(A, axis=-2) - max(x, axis=0)", {"A": A23, "x": [1.0, -2.0]},
     lambda e: T.amax(e["A"], dim=-2) - T.amax(e["x"], dim=0)),
    ("x.max() - x.min()", {"x": [1.0, -2.0, 0.5]}, lambda e: T.max(e["x"]) - T.min(e["x"])),
    ("max(x)", {"x": [3.0, 1.0, 3.0]}, lambda e: T.max(e["x"]),
     {"alt": lambda e: T.amax(e["x"])}),
    ("min(x, axis=0)", {"x": [3.0, -1.0, -1.0, -1.0]}, lambda e: T.amin(e["x"], dim=0)),
    ("max(A)", {"A": [[2.0, 1.0, 2.0], [2.0, 0.0, -1.0]]}, lambda e: T.max(e["A"]),
     {"alt": lambda e: T.amax(e["A"])}),
    ("min(A) * 2", {"A": [[0.0, 1.0], [0.0, 0.0]]}, lambda e: T.min(e["A"]) * 2,
     {"alt": lambda e: T.amin(e["A"]) * 2}),
    ("max(A, axis=0)", {"A": [[1.0, 2.0, 3.0], [1.0, 0.0, 3.0], [1.0, 2.0, -3.0]]},
     lambda e: T.amax(e["A"], dim=0)),
    ("max(A, axis=1)", {"A": [[1.0, 2.0, 2.0], [1.0, 1.0, 1.0], [0.0, -1.0, 0.0]]},
     lambda e: T.amax(e["A"], dim=1)),
    ("min(A, axis=-1)", {"A": [[1.0, 1.0, 2.0], [-3.0, 0.0, -3.0]]},
     lambda e: T.amin(e["A"], dim=-1)),
    ("min(A, axis=-2)", {"A": [[1.0, 1.0, 2.0], [1.0, 0.0, -3.0]]},
     lambda e: T.amin(e["A"], dim=-2)),
    ("sum(max(A, axis=0) * w)", {"A": [[4.0, 2.0], [4.0, 2.0], [1.0, 2.0]],
                                 "w": [0.5, -1.5]},
     lambda e: T.sum(T.amax(e["A"], dim=0) * e["w"])),
    ("max(A + B)", {"A": [[1.0, 2.0], [3.0, 0.0]], "B": [[2.0, 1.0], [0.0, 1.0]]},
     lambda e: T.max(e["A"] + e["B"]), {"alt": lambda e: T.amax(e["A"] + e["B"])}),
    # norm: a vector's, a matrix's (Frobenius), the zero vector's and matrix's (torch: 0)
    ("norm(x)", {"x": [3.0, -4.0]}, lambda e: T.linalg.norm(e["x"])),
    ("np.linalg.norm(A)", {"A": A23}, lambda e: T.linalg.norm(e["A"])),
    ("norm(x) + sum(x)", {"x": [0.0, 0.0, 0.0]}, lambda e: T.linalg.norm(e["x"]) + T.sum(e["x"])),
    ("norm(A) * 2", {"A": [[0.0, 0.0], [0.0, 0.0]]}, lambda e: T.linalg.norm(e["A"]) * 2),
    ("norm(x - y)", {"x": [1.0, 2.0], "y": [1.0, 2.0]}, lambda e: T.linalg.norm(e["x"] - e["y"])),
    ("norm(W @ x) ** 2", {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]},
     lambda e: T.linalg.norm(e["W"] @ e["x"]) ** 2),
    ("norm(x) * norm(x)", {"x": [1.0, -2.0, 2.0]},
     lambda e: T.linalg.norm(e["x"]) * T.linalg.norm(e["x"])),
    # softmax and log_softmax over each axis of a matrix and of a vector
    ("softmax(A)", {"A": A23}, lambda e: T.softmax(e["A"], -1)),
    ("softmax(A, axis=0)", {"A": A23}, lambda e: T.softmax(e["A"], 0)),
    ("softmax(A, axis=1)", {"A": A23}, lambda e: T.softmax(e["A"], 1)),
    ("torch.softmax(A, dim=-2)", {"A": A23}, lambda e: T.softmax(e["A"], -2)),
    ("A.softmax(-1)", {"A": A23}, lambda e: T.softmax(e["A"], -1)),
    ("softmax(x)", {"x": [1.0, -2.0, 0.5]}, lambda e: T.softmax(e["x"], -1)),
    ("softmax(x, 0)", {"x": [1.0, -2.0, 0.5]}, lambda e: T.softmax(e["x"], 0)),
    ("softmax(x, axis=-1) * x", {"x": [1.0, -2.0, 0.5]}, lambda e: T.softmax(e["x"], -1) * e["x"]),
    ("log_softmax(A, axis=-1)", {"A": A23}, lambda e: T.log_softmax(e["A"], -1)),
    ("log_softmax(A)", {"A": A23}, lambda e: T.log_softmax(e["A"], -1)),
    ("log_softmax(A, axis=0)", {"A": A23}, lambda e: T.log_softmax(e["A"], 0)),
    ("torch.log_softmax(A, dim=1)", {"A": A23}, lambda e: T.log_softmax(e["A"], 1)),
    ("log_softmax(A, -2)", {"A": A23}, lambda e: T.log_softmax(e["A"], -2)),
    ("log_softmax(x, axis=-1)", {"x": [1.0, -2.0, 0.5]}, lambda e: T.log_softmax(e["x"], -1)),
    ("log_softmax(x, 0)", {"x": [0.5, 2.0]}, lambda e: T.log_softmax(e["x"], 0)),
    ("log_softmax(x)", {"x": [1000.0, 0.0, -1000.0]}, lambda e: T.log_softmax(e["x"], -1)),
    ("softmax(x)", {"x": [1000.0, 999.0, 0.0]}, lambda e: T.softmax(e["x"], -1)),
    ("sum(softmax(A, axis=0) * B)", {"A": A23, "B": [[1.0, 0.0, 2.0], [-1.0, 3.0, 0.5]]},
     lambda e: T.sum(T.softmax(e["A"], 0) * e["B"])),
    ("-sum(y * log_softmax(z))", {"y": [0.0, 1.0, 0.0], "z": [2.0, 1.0, 0.1]},
     lambda e: -T.sum(e["y"] * T.log_softmax(e["z"], -1))),
    # cross_entropy: a class index (0-d) for a vector, indices (N,) for rows, one-hot
    # rows, soft probabilities (rows summing to 1 and not), logits from W @ x
    ("cross_entropy(z, t)", {"z": [2.0, 1.0, 0.1], "t": 0},
     lambda e: F.cross_entropy(e["z"], e["t"]), {"labels": ["t"]}),
    ("cross_entropy(Z, t)", {"Z": Z, "t": [3, 0, 2]}, lambda e: F.cross_entropy(e["Z"], e["t"]),
     {"labels": ["t"]}),
    ("cross_entropy(Z, Y)", {"Z": Z, "Y": [[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0]]},
     lambda e: F.cross_entropy(e["Z"], e["Y"])),
    ("cross_entropy(z, y)", {"z": [2.0, 1.0, 0.1], "y": [0, 1, 0]},
     lambda e: F.cross_entropy(e["z"], e["y"])),
    ("cross_entropy(Z, P)", {"Z": Z, "P": [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1],
                                           [0.25, 0.25, 0.25, 0.25]]},
     lambda e: F.cross_entropy(e["Z"], e["P"])),
    ("cross_entropy(Z, P)", {"Z": Z[:2], "P": [[0.1, 0.2, 0.3, 0.2], [0.5, 0.0, 0.5, 0.5]]},
     lambda e: F.cross_entropy(e["Z"], e["P"])),
    ("cross_entropy(W @ x, t)", {"W": B34, "x": [1.0, -0.5, 2.0, 0.25], "t": 1},
     lambda e: F.cross_entropy(e["W"] @ e["x"], e["t"]), {"labels": ["t"]}),
    ("cross_entropy(Z, softmax(S))", {"Z": Z[:2], "S": [[1.0, 0.0, -1.0, 0.5],
                                                        [0.0, 2.0, 0.0, 1.0]]},
     lambda e: F.cross_entropy(e["Z"], T.softmax(e["S"], -1))),
    ("cross_entropy(Z, t) + cross_entropy(2 * Z, t)", {"Z": Z, "t": [1, 1, 3]},
     lambda e: F.cross_entropy(e["Z"], e["t"]) + F.cross_entropy(2 * e["Z"], e["t"]),
     {"labels": ["t"]}),
    ("cross_entropy(z, t)", {"z": [1000.0, 0.0], "t": 1},
     lambda e: F.cross_entropy(e["z"], e["t"]), {"labels": ["t"]}),
    # scaled dot-product attention: with an upstream gradient, and as sum(O * G)
    ("softmax(Q @ K.T / sqrt(2)) @ V", {"Q": Q, "K": K, "V": V},
     lambda e: attention(e["Q"], e["K"], e["V"], math.sqrt(2)), {"upstream": G}),
    ("A = softmax(Q @ K.T / sqrt(2)); O = A @ V; f = sum(O * G)",
     {"Q": Q, "K": K, "V": V, "G": G},
     lambda e: T.sum(attention(e["Q"], e["K"], e["V"], math.sqrt(2)) * e["G"])),
    ("S = Q @ K.T / math.sqrt(2)\nA = softmax(S, axis=-1)\nO = A @ V", {"Q": Q, "K": K, "V": V},
     lambda e: attention(e["Q"], e["K"], e["V"], math.sqrt(2))),
    ("Q = X @ Wq; K = X @ Wk; V = X @ Wv; A = softmax(Q @ K.T / 2); f = sum((A @ V) * G)",
     {"X": X, "Wq": [[0.5, -0.25, 1.0, 0.0], [0.0, 1.0, 0.5, -0.5], [1.0, 0.0, -1.0, 0.25]],
      "Wk": [[1.0, 0.5, 0.0, -0.5], [-0.5, 0.0, 1.0, 0.5], [0.25, 1.0, 0.0, 1.0]],
      "Wv": [[1.0, 0.0, 0.5], [0.0, 1.0, -1.0], [0.5, 0.5, 0.0]], "G": G},
     lambda e: T.sum(attention(e["X"] @ e["Wq"], e["X"] @ e["Wk"], e["X"] @ e["Wv"], 2.0)
                     * e["G"])),
    # names assigned again, a two-layer network with class indices
    ("h = W @ x + b; h = relu(h); h = V @ h; f = cross_entropy(h, t)",
     {"W": [[0.5, -1.0], [1.5, 0.25], [-0.75, 1.0]], "x": [1.0, 2.0], "b": [0.1, 0.0, 0.5],
      "V": [[1.0, -0.5, 0.25], [0.0, 1.0, -1.0]], "t": 1},
     lambda e: F.cross_entropy(e["V"] @ T.relu(e["W"] @ e["x"] + e["b"]), e["t"]),
     {"labels": ["t"]}),
    ("c = A * 2; c += A; c *= A; f = sum(c)", {"A": A23},
     lambda e: T.sum((e["A"] * 2 + e["A"]) * e["A"])),
    ("c = W @ x; c = c + b; c = tanh(c); c", {"W": A23, "x": [1.0, -1.0, 0.5],
                                              "b": [0.5, -0.5]},
     lambda e: T.tanh(e["W"] @ e["x"] + e["b"])),
]


def write(name, cases):
    OUT.mkdir(exist_ok=True)
    # one case a line: diffs stay readable
    lines = ",\n".join(json.dumps(case) for case in cases)
    text = f'{{"torch": {json.dumps(torch.__version__)}, "cases": [\n{lines}\n]}}\n'
    (OUT / f"{name}.json").write_text(text, encoding="utf-8")
    print(f"{name}.json: {len(cases)} cases")


def main():
    rng = random.Random(20261207)
    chosen = fixed_cases(CHOSEN, rng)
    random_ = random_cases(rng, 2 * len(ROOTS))
    ties = tie_cases(rng, 35)
    staged = staged_cases(rng, 15)
    reassigned = reassigned_cases(rng, 12)
    print(f"chosen {len(chosen)}, random {len(random_)}, ties {len(ties)}, "
          f"staged {len(staged)}, reassigned {len(reassigned)}")
    write("tensor", chosen + random_ + ties + staged + reassigned)


if __name__ == "__main__":
    main()
