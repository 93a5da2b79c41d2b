"""Scalar computational graphs: the forward pass node by node, then the backward pass
edge by edge, as lectures fill the two tables.

A Program (built from text by backprop_cli.problem.graph.expression) is a list of named steps
over the inputs; `evaluate` turns it into nodes: one per input, one per operation. An
operation whose arguments are all constants is folded into a constant (`x / (2 * 3)` has
one node); a constant argument of an operation stays in its inputs as a number. The
backward pass visits the nodes in reverse: each passes its upstream gradient ∂f/∂node,
times its local gradient, to each input, and the products add where a value is used twice.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from backprop_cli.engine.graph.ops import BIGGEST, OPERATIONS, DomainError
from backprop_cli.errors import ProblemError

# ------------------------------------------------------------------ the program


@dataclass(frozen=True)
class Const:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str  # an input, or an earlier step


@dataclass(frozen=True)
class Apply:
    op: str  # a key of ops.OPERATIONS
    args: tuple
    place: str  # where the expression writes it ("column 7"), for messages


Expr = Const | Ref | Apply


@dataclass(frozen=True)
class Step:
    name: str
    expr: Expr


@dataclass(frozen=True)
class Program:
    source: str  # the file, or "expression" for one given on the command line
    text: str
    inputs: tuple[str, ...]  # in order of first appearance
    steps: tuple[Step, ...]  # the last one is the output, f

    @property
    def output(self) -> str:
        return self.steps[-1].name


# ------------------------------------------------------------------ the result


@dataclass(frozen=True)
class Node:
    name: str
    op: str  # "input", or a key of ops.OPERATIONS
    inputs: tuple  # node names, and numbers for constant arguments
    value: float
    local: tuple[tuple[str, float], ...]  # (input, ∂node/∂input), each input once
    upstream: float  # ∂f/∂node
    place: str | None = None


@dataclass(frozen=True)
class Edge:
    """One row of the backward table: node passes upstream · local to input."""

    node: str
    input: str
    local: float
    upstream: float
    product: float
    accumulated: float  # ∂f/∂input so far, this product included


@dataclass(frozen=True)
class Graph:
    output: str
    value: float
    nodes: tuple[Node, ...]  # evaluation order: inputs first, f last
    edges: tuple[Edge, ...]  # backward order
    gradients: tuple[tuple[str, float], ...]  # (input, ∂f/∂input) in program order


# ------------------------------------------------------------------ evaluation


class _Forward:
    def __init__(self, program: Program, values: dict):
        self.program = program
        self.env: dict = {}  # name -> a constant (float) or a node's name (str)
        self.value: dict[str, float] = {}
        self.nodes: list[dict] = []
        self.taken = set(program.inputs) | {s.name for s in program.steps}
        self.count = 0
        for name in program.inputs:
            self.env[name] = name
            self.value[name] = float(values[name])
            self.nodes.append({"name": name, "op": "input", "inputs": (), "local": ()})

    def fresh(self) -> str:
        while True:  # n1, n2, ...: skipping names the expression uses itself
            self.count += 1
            name = f"n{self.count}"
            if name not in self.taken:
                return name

    def eval(self, expr: Expr, name: str | None = None):
        """A constant (float), or the name of the node holding expr's value."""
        if isinstance(expr, Const):
            return float(expr.value)
        if isinstance(expr, Ref):
            return self.env[expr.name]
        args = tuple(self.eval(a) for a in expr.args)
        numbers = [self.value[a] if isinstance(a, str) else a for a in args]
        try:
            value, partials = OPERATIONS[expr.op].apply(*numbers)
        except DomainError as e:
            raise ProblemError(self.program.source, expr.place, str(e)) from None
        if not any(isinstance(a, str) for a in args):
            return value  # all constant: folded
        local: dict[str, float] = {}
        for a, d in zip(args, partials):
            if isinstance(a, str):  # x * x: ∂/∂x = x + x
                local[a] = local[a] + d if a in local else d
        name = name or self.fresh()
        self.value[name] = value
        self.nodes.append({"name": name, "op": expr.op, "inputs": args, "place": expr.place,
                           "local": tuple(local.items())})
        return name


def evaluate(program: Program, values: dict) -> Graph:
    """Every node's value, local gradients and ∂f/∂node. values: input name -> number.
    ProblemError (at the operation's place) where float64 has no finite answer."""
    fwd = _Forward(program, values)
    for step in program.steps:
        fwd.env[step.name] = fwd.eval(step.expr, step.name)
    f = program.output
    upstream = {n["name"]: 0.0 for n in fwd.nodes}
    upstream[f] = 1.0
    edges = []
    for node in reversed(fwd.nodes):
        g = upstream[node["name"]]
        for name, local in node["local"]:
            product = g * local
            accumulated = upstream[name] + product
            if not (math.isfinite(product) and math.isfinite(accumulated)):
                raise ProblemError(program.source, node["place"],
                                   f"found ∂{f}/∂{name} beyond float64's range (through "
                                   f"{node['name']}), expected gradients below {BIGGEST} "
                                   "in size")
            upstream[name] = accumulated
            edges.append(Edge(node["name"], name, local, g, product, accumulated))
    nodes = tuple(Node(n["name"], n["op"], n["inputs"], fwd.value[n["name"]], n["local"],
                       upstream[n["name"]], n.get("place")) for n in fwd.nodes)
    return Graph(f, fwd.value[f], nodes, tuple(edges),
                 tuple((name, upstream[name]) for name in program.inputs))
