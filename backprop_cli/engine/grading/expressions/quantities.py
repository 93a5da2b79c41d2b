"""The quantities of an evaluated expression graph, as marking nodes with their rules.

Each node n of the expression is two quantities: its value, named n, and ∂L/∂n (∂f/∂n
without an upstream gradient), named d:n (no name of the expression has a colon). A value
is its operation applied to the own values of its inputs; ∂L/∂n is the sum over n's uses
of each use's share: the consumer's own ∂L/∂c through the operation's local derivative
(element-wise: g ⊙ ∂c/∂n summed over broadcast axes) or its vector-Jacobian product
(W @ x: ∂L/∂W = g xᵀ, from the person's own x). Both come from the engine's operations
(graph/ops), so each rule has one implementation.

A rule sees its inputs with leading axes (sheets, perturbations): it is applied to each
set of numbers in turn (the exercises are small), nan where the person's numbers have no
value (a log of a negative number).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.graph.ops import OPERATIONS, DomainError
from backprop_cli.engine.graph.program import Graph, unbroadcast

GRAD = "d:"  # ∂L/∂n is the quantity d:n


@dataclass(frozen=True)
class Use:
    """One use of a node: the consumer's index in the graph's nodes and the argument's
    position (x * x is two uses)."""
    consumer: int
    position: int


# share(consumer, position, g, numbers, value) -> this use's ∂L/∂argument
Share = Callable


def uses(graph: Graph) -> dict:
    """{node name: [Use]} in evaluation order."""
    out: dict = {n.name: [] for n in graph.nodes}
    for k, node in enumerate(graph.nodes):
        for i, a in enumerate(node.inputs):
            if isinstance(a, str):
                out[a].append(Use(k, i))
    return out


def share(node, position: int, g, numbers: list, value):
    """The engine's own ∂L/∂argument of one use: local derivative or vector-Jacobian
    product, in the argument's shape (zeros for a class index, which takes none)."""
    op, params = OPERATIONS[node.op], dict(node.params)
    shape = np.shape(numbers[position])
    _, partials = op.apply(*numbers, **params)
    if partials is not None:
        return unbroadcast(np.asarray(g) * partials[position], shape)
    part = op.vjp(g, value, *numbers, **params)[position]
    return np.zeros(shape) if part is None else np.asarray(part, dtype=float)


def batched(fn: Callable, shapes: list, out: tuple) -> Callable:
    """fn over one set of numbers (each in its shape), applied to inputs with any leading
    axes; nan where the numbers have no value."""
    def f(*xs):
        xs = [np.asarray(x, dtype=float) for x in xs]
        lead = np.broadcast_shapes(*(x.shape[:x.ndim - len(s)] for x, s in zip(xs, shapes)))
        flat = [np.broadcast_to(x, lead + s).reshape((-1,) + s) for x, s in zip(xs, shapes)]
        count = int(np.prod(lead, dtype=int))
        result = np.empty((count,) + out)
        with np.errstate(all="ignore"):
            for k in range(count):
                try:
                    result[k] = fn(*(x[k] for x in flat))
                except (DomainError, ValueError, ZeroDivisionError, OverflowError):
                    result[k] = np.nan
        return result.reshape(lead + out)
    return f


def constant(value) -> Rule:
    """A quantity no answer moves: an input's value, the upstream gradient."""
    fixed = np.asarray(value, dtype=float)
    return Rule((), lambda: fixed)


def value_rule(graph: Graph, k: int, apply: Callable | None = None) -> Rule:
    """Node k's value from its inputs' own values (apply(node, numbers): another
    operation, for a slip)."""
    node = graph.nodes[k]
    names = tuple(dict.fromkeys(a for a in node.inputs if isinstance(a, str)))
    shapes = {n.name: n.shape for n in graph.nodes}
    apply = apply or (lambda nd, numbers: OPERATIONS[nd.op].apply(
        *numbers, **dict(nd.params))[0])

    def one(*values):
        mine = dict(zip(names, values))
        return apply(node, _numbers(node, mine))
    elementwise = OPERATIONS[node.op].vjp is None
    return Rule(names, batched(one, [shapes[n] for n in names], node.shape), elementwise)


def _numbers(node, values: dict) -> list:
    return [np.asarray(values[a] if isinstance(a, str) else a, dtype=float)
            for a in node.inputs]


def gradient_rule(graph: Graph, name: str, mine: list, shares: dict | None = None) -> Rule:
    """∂L/∂name as the sum of the shares of the uses `mine` (shares: {Use: Share} in place
    of the engine's for some uses, a slip's)."""
    shares = shares or {}
    nodes, shapes = graph.nodes, {n.name: n.shape for n in graph.nodes}
    reads: list = []
    for u in mine:
        c = nodes[u.consumer]
        mine_value = [c.name] if OPERATIONS[c.op].vjp is not None else []  # softmax's s
        reads += [GRAD + c.name, *mine_value] + [a for a in c.inputs if isinstance(a, str)]
    reads = list(dict.fromkeys(reads))

    def one(*values):
        own = dict(zip(reads, values))
        total = np.zeros(shapes[name])
        for u in mine:
            c = nodes[u.consumer]
            how = shares.get(u, share)
            total = total + how(c, u.position, own[GRAD + c.name], _numbers(c, own),
                                own.get(c.name))
        return total
    return Rule(tuple(reads), batched(one, [shapes[r.removeprefix(GRAD)] for r in reads],
                                      shapes[name]))


@dataclass(frozen=True)
class Quantities:
    graph: Graph
    nodes: tuple  # marking Nodes: values in evaluation order, then gradients backward
    rules: dict  # name -> the engine's Rule
    exact: dict  # name -> its exact value (float64 array)
    uses: dict  # expression node name -> [Use]


def quantities(graph: Graph) -> Quantities:
    """Every value and gradient of an evaluated graph, with its rule and exact value."""
    used = uses(graph)
    nodes, rules, exact = [], {}, {}
    for k, n in enumerate(graph.nodes):
        nodes.append(Node(n.name, "input" if n.op == "input" else "value", 0, n.shape))
        rules[n.name] = constant(n.value) if n.op == "input" else value_rule(graph, k)
        exact[n.name] = np.asarray(n.value, dtype=float)
    seed = 1.0 if graph.upstream is None else graph.upstream
    for n in reversed(graph.nodes):
        d = GRAD + n.name
        nodes.append(Node(d, "gradient", 0, n.shape))
        rules[d] = constant(np.broadcast_to(seed, n.shape)) if n.name == graph.output \
            else gradient_rule(graph, n.name, used[n.name])
        exact[d] = np.asarray(n.upstream, dtype=float)
    return Quantities(graph, tuple(nodes), rules, exact, used)
