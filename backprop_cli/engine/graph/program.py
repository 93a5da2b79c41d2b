"""Computational graphs of scalars, vectors and matrices: the forward pass node by node,
then the backward pass edge by edge, as lectures fill the two tables.

A Program (built from text by backprop_cli.problem.graph.expression) is a list of named steps
over the inputs; `evaluate` turns it into nodes: one per input, one per operation. An
operation whose arguments are all constants is folded into a constant (`x / (2 * 3)` has
one node); a constant argument of an operation stays in its inputs as a number. The
backward pass visits the nodes in reverse: each passes its upstream gradient ∂f/∂node to
each input, times its local gradient entry by entry (an element-wise operation, summed
over the axes it broadcast) or by its vector-Jacobian product (W @ x: ∂f/∂W = ∂f/∂n · xᵀ),
and the products add where a value is used twice.

Values are floats for scalars and float64 arrays (vectors, matrices) otherwise. A result
that is not a scalar needs the upstream gradient ∂L/∂f of its shape (as unit tests give
dout); its gradients are then ∂L/∂x, L = Σ upstream ⊙ f.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from backprop_cli.engine.graph.ops import (
    BIGGEST,
    INFIX,
    OPERATIONS,
    DomainError,
    formula,
    shape,
    show,
)
from backprop_cli.engine.graph.steps import Const, Expr, Program, Ref
from backprop_cli.errors import ProblemError

# ------------------------------------------------------------------ the result

Value = float | np.ndarray  # a scalar as a float, a vector or matrix as an array


@dataclass(frozen=True)
class Node:
    name: str
    op: str  # "input", or a key of ops.OPERATIONS
    inputs: tuple  # node names, and numbers for constant arguments
    value: Value
    # (input, ∂node/∂input entry by entry, in the node's shape), each input once; None for
    # an operation whose derivative is a rule (@, sum, softmax: Edge.rule)
    local: tuple[tuple[str, Value | None], ...]
    upstream: Value  # ∂f/∂node (∂L/∂node with an upstream gradient), the node's shape
    place: str | None = None
    params: tuple = ()  # (keyword, value) pairs: (("axis", 0),)
    # each input as the tables write it: a name, a number, or a constant that calls a
    # function as written (sqrt(2), whose value is no short number)
    written: tuple = ()

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.value)

    @property
    def text(self) -> str:
        """The operation as the forward table shows it: x + y, sigmoid(n4), n2 / sqrt(2),
        sum(x, axis=0)."""
        return "input" if self.op == "input" else \
            formula(self.op, self.written or self.inputs, self.params)


@dataclass(frozen=True)
class Edge:
    """One row of the backward table: node passes upstream, through its local gradient
    (entry by entry) or its rule (a matrix operation), to input."""

    node: str
    input: str
    local: Value | None  # ∂node/∂input entry by entry (the node's shape), or None
    upstream: Value
    product: Value  # this use's share of ∂f/∂input, in input's shape
    accumulated: Value  # ∂f/∂input so far, this product included
    rule: str | None = None  # ∂f/∂input through a matrix operation: "∂f/∂n1 · xᵀ"


@dataclass(frozen=True)
class Graph:
    output: str
    value: Value
    nodes: tuple[Node, ...]  # evaluation order: inputs first, f last
    edges: tuple[Edge, ...]  # backward order
    gradients: tuple[tuple[str, Value], ...]  # (input, ∂f/∂input) in program order
    upstream: Value | None = None  # ∂L/∂f as given; None: f itself is differentiated
    labels: tuple[str, ...] = field(default=())  # inputs used only as class indices

    @property
    def wrt(self) -> str:
        """What the gradients differentiate: f, or L when an upstream gradient is given."""
        return self.output if self.upstream is None else "L"


# ------------------------------------------------------------------ evaluation


def plain(v) -> Value:
    """A scalar as a float, anything else as a float64 array."""
    if type(v) is float:
        return v
    a = np.asarray(v, dtype=float)
    return float(a) if a.ndim == 0 else a


def unbroadcast(g, to: tuple) -> np.ndarray:
    """g summed over the axes that broadcasting added or stretched, to the shape `to`."""
    g = np.asarray(g, dtype=float)
    extra = g.ndim - len(to)
    if extra:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(to) if n == 1 and g.shape[i] != 1)
    return g.sum(axis=stretched, keepdims=True) if stretched else g


class _Forward:
    def __init__(self, program: Program, values: dict):
        self.program = program
        self.env: dict = {}  # name -> a constant (float) or a node's name (str)
        self.value: dict[str, np.ndarray] = {}
        self.nodes: list[dict] = []
        self.taken = set(program.inputs) | {s.name for s in program.steps}
        self.count = 0
        self.texts: dict[str, str] = {}  # a constant step -> how the tables write it
        for name in program.inputs:
            self.env[name] = name
            self.value[name] = np.asarray(values[name], dtype=float)
            self.nodes.append({"name": name, "op": "input", "inputs": (), "local": ()})

    def fresh(self) -> str:
        while True:  # n1, n2, ...: skipping names the expression uses itself
            self.count += 1
            name = f"n{self.count}"
            if name not in self.taken:
                return name

    def eval(self, expr: Expr, name: str | None = None):
        """(a constant (float), or the name of the node holding expr's value; and for a
        constant how the tables write it)."""
        if isinstance(expr, Const):
            return float(expr.value), show(expr.value)
        if isinstance(expr, Ref):
            a = self.env[expr.name]
            return a, None if isinstance(a, str) else self.texts.get(expr.name, show(a))
        pairs = [self.eval(a) for a in expr.args]
        args = tuple(a for a, _ in pairs)
        numbers = [self.value[a] if isinstance(a, str) else np.asarray(a, dtype=float)
                   for a in args]
        params = dict(expr.params)
        try:
            value, partials = OPERATIONS[expr.op].apply(*numbers, **params)
        except DomainError as e:
            raise ProblemError(self.program.source, expr.place, str(e)) from None
        if not any(isinstance(a, str) for a in args):  # all constant: folded
            value = plain(value)
            # arithmetic of numbers is its value (x / (2 * 3) is x / 6); a call stays as
            # written (x / sqrt(2)), its value being no short number
            called = expr.op not in INFIX or any(t != show(a) for a, t in pairs)
            if not called:
                return value, show(value)
            text = formula(expr.op, [t for _, t in pairs], expr.params)
            return value, f"({text})" if expr.op in INFIX else text
        local: dict[str, np.ndarray | None] = {}
        for i, a in enumerate(args):
            if isinstance(a, str):  # x * x: ∂/∂x = x + x
                d = None if partials is None else partials[i]
                local[a] = local[a] + d if local.get(a) is not None else d
        name = name or self.fresh()
        self.value[name] = np.asarray(value, dtype=float)
        self.nodes.append({"name": name, "op": expr.op, "inputs": args, "place": expr.place,
                           "local": tuple(local.items()), "numbers": numbers,
                           "params": expr.params, "elementwise": partials is not None,
                           "written": tuple(a if isinstance(a, str) else t
                                            for a, t in pairs)})
        return name, None


def _seed(program: Program, value: np.ndarray, upstream, at: tuple) -> np.ndarray:
    f = program.output
    if upstream is None:
        if value.ndim:
            raise ProblemError(program.source, None,
                               f"found {f} of shape {shape(value)}, expected a scalar "
                               f"result, or the upstream gradient ∂L/∂{f} in that shape "
                               "(--upstream, upstream: in an exercise file, upstream= in "
                               "Python)")
        return np.asarray(1.0)
    seed = np.asarray(upstream, dtype=float)
    if seed.shape != value.shape:
        raise ProblemError(*at, f"found an upstream gradient of shape {shape(seed)}, expected "
                           f"the shape of {f}, {shape(value)}")
    return seed


class _Backward:
    def __init__(self, program: Program, fwd: _Forward, seed: np.ndarray, wrt: str):
        self.program, self.fwd, self.wrt = program, fwd, wrt
        self.grad = {n["name"]: np.zeros(fwd.value[n["name"]].shape) for n in fwd.nodes}
        self.grad[program.output] = seed
        self.edges: list[Edge] = []
        self.reached: set[str] = set()  # inputs some gradient flows to

    def shares(self, node: dict, g: np.ndarray):
        """(input, local or None, product, rule or None) for each input of node."""
        if node.get("elementwise", True):
            for name, local in node["local"]:
                yield name, local, unbroadcast(g * local, self.fwd.value[name].shape), None
            return
        op = OPERATIONS[node["op"]]
        params = dict(node["params"])
        parts = op.vjp(g, self.fwd.value[node["name"]], *node["numbers"], **params)
        names = [a if isinstance(a, str) else formula("", (a,))[1:-1] for a in node["inputs"]]
        ndims = tuple(v.ndim for v in node["numbers"])
        d = f"∂{self.wrt}/∂{node['name']}"
        for name, _ in node["local"]:
            used = [i for i, a in enumerate(node["inputs"]) if a == name and parts[i] is not None]
            if used:
                product = sum(np.asarray(parts[i], dtype=float) for i in used)
                rule = " + ".join(op.rule(i, names, d, ndims, node["name"], **params)
                                  for i in used)
                yield name, None, product, rule

    def run(self):
        f = self.program.output
        for node in reversed(self.fwd.nodes):
            g = self.grad[node["name"]]
            for name, local, product, rule in self.shares(node, g):
                accumulated = self.grad[name] + product
                if not (np.isfinite(product).all() and np.isfinite(accumulated).all()):
                    raise ProblemError(self.program.source, node["place"],
                                       f"found ∂{self.wrt if self.wrt != f else f}/∂{name} "
                                       f"beyond float64's range (through {node['name']}), "
                                       f"expected gradients below {BIGGEST} in size")
                self.grad[name] = accumulated
                self.reached.add(name)
                self.edges.append(Edge(node["name"], name, None if local is None else
                                       plain(local), plain(g), plain(product),
                                       plain(accumulated), rule))


def evaluate(program: Program, values: dict, upstream=None,
             upstream_at: tuple | None = None) -> Graph:
    """Every node's value, local gradients and ∂f/∂node. values: input name -> a number
    or an array (nested lists); upstream: ∂L/∂f, needed when f is not a scalar, which
    upstream_at (source, place) names in messages. ProblemError (at the operation's
    place) where float64 has no finite answer."""
    with np.errstate(all="ignore"):  # every overflow is found and named instead
        fwd = _Forward(program, values)
        for step in program.steps:
            fwd.env[step.name], text = fwd.eval(step.expr, step.name)
            if text is not None:  # a constant step: written as its expression where used
                fwd.texts[step.name] = text
        f = program.output
        seed = _seed(program, fwd.value[f], upstream, upstream_at or (program.source,
                                                                       "upstream"))
        back = _Backward(program, fwd, seed, f if upstream is None else "L")
        back.run()
    # every input leads to f, so one no gradient reaches is used only where its operation
    # gives it none: cross_entropy's class indices
    labels = tuple(name for name in program.inputs if name not in back.reached)
    nodes = tuple(Node(n["name"], n["op"], n["inputs"], plain(fwd.value[n["name"]]),
                       tuple((a, None if d is None else plain(d)) for a, d in n["local"]),
                       plain(back.grad[n["name"]]), n.get("place"), n.get("params", ()),
                       n.get("written", ()))
                  for n in fwd.nodes)
    return Graph(f, plain(fwd.value[f]), nodes, tuple(back.edges),
                 tuple((name, plain(back.grad[name])) for name in program.inputs
                       if name not in labels),
                 None if upstream is None else plain(seed), labels)

