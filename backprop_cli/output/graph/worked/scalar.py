"""The worked solution of a graph of scalars: the forward pass node by node, each node's
local gradients, then the backward pass with every chain-rule product written out
(upstream ∂f/∂node times local ∂node/∂input, summed where a value is used more than once),
and the answers.
"""

from __future__ import annotations

import re

from backprop_cli.engine.graph.program import Graph, Node
from backprop_cli.output.fmt import fixed
from backprop_cli.output.graph.worked.notation import local_rule, operation, signed, symbol, wrap
from backprop_cli.output.worked.tex import Math, given, plain
from backprop_cli.problem.graph.exercise import Exercise


class Scalar:
    def __init__(self, ex: Exercise, graph: Graph, decimals: int, level: str):
        self.ex, self.graph, self.dec, self.level = ex, graph, decimals, level
        self.nodes = {n.name: n for n in graph.nodes}
        self.f = graph.output

    def num(self, v: float) -> str:
        return fixed(v, self.dec)

    def shown(self, arg) -> str:
        """An argument's number: an input as written, a node rounded, a constant plainly."""
        if not isinstance(arg, str):
            return plain(arg)
        if arg in self.ex.written:
            return given(self.ex.written[arg], self.dec)
        return self.num(self.nodes[arg].value)

    def d(self, name: str) -> str:
        return rf"\frac{{\partial {symbol(self.f)}}}{{\partial {symbol(name)}}}"

    def blocks(self, figure: str | None) -> list:
        ex, sub = self.ex, self.level
        lines = [line.strip() for line in ex.program.text.splitlines() if line.strip()]
        out = [("par", ["Expression: " + "; ".join(lines)]),
               ("par", ["Values: ", Math(r", \quad ".join(
                   f"{symbol(k)} = {given(v, self.dec)}" for k, v in ex.written.items())),
                   f". Numbers are rounded to {self.dec} decimals; every step carries full "
                   "float64 precision."])]
        if figure:
            out.append(("figure", figure))
        ops = [n for n in self.graph.nodes if n.op != "input"]
        out += [(sub, "Forward pass"), ("par", ["Each node's value, in evaluation order:"]),
                ("eq", [self.forward(n) for n in ops])]
        out += [(sub, "Local gradients"),
                ("par", ["The derivative of each node with respect to each of its inputs:"]),
                ("eq", [step for n in ops for step in self.local(n)])]
        out += [(sub, "Backward pass"), ("par", [
            "Start from ", Math(f"{self.d(self.f)} = 1"), ". Going back through the nodes, "
            "each node's gradient is the upstream gradient of every node that uses it times "
            "that node's local gradient, summed over the uses:"]),
            ("eq", [step for n in reversed(self.graph.nodes) if n.name != self.f
                    for step in self.backward(n)])]
        grads = dict(self.graph.gradients)
        out.append(("answers", [([Math(symbol(self.f))], self.num(self.graph.value))]
                    + [([Math(self.d(x))], self.num(grads[x])) for x in ex.wanted]))
        return out

    def forward(self, n: Node) -> tuple:
        symbols = [symbol(a) if isinstance(a, str) else plain(a) for a in n.inputs]
        numbers = [self.shown(a) for a in n.inputs]
        return (symbol(n.name), "=", [operation(n.op, symbols),
                                      "= " + operation(n.op, numbers), "= " + self.num(n.value)])

    def rules(self, n: Node, name: str) -> tuple[str, str | None]:
        """∂n/∂name in TeX (a sum where name is used twice) and the case of a kink."""
        a = [symbol(x) if isinstance(x, str) else plain(x) for x in n.inputs]
        v = [self.nodes[x].value if isinstance(x, str) else x for x in n.inputs]
        found = [local_rule(n.op, a, v, i) for i, x in enumerate(n.inputs) if x == name]
        cases = [c for _, c in found if c]
        return " + ".join(r for r, _ in found), (", ".join(cases) or None)

    def local(self, n: Node) -> list[tuple]:
        steps = []
        for name, value in n.local:
            rule, case = self.rules(n, name)
            lhs = rf"\frac{{\partial {symbol(n.name)}}}{{\partial {symbol(name)}}}"
            terms = [rule] if re.fullmatch(r"-?[01]", rule) else [rule, "= " + self.num(value)]
            if case:
                terms.append(rf"\quad \text{{because }} {case}")
            steps.append((lhs, "=", terms))
        return steps

    def backward(self, n: Node) -> list[tuple]:
        uses = [e for e in self.graph.edges if e.input == n.name]
        symbolic = [rf"{self.d(e.node)} \cdot {wrap(self.rules(self.nodes[e.node], n.name)[0])}"
                    for e in uses]
        numeric = [rf"{wrap(self.num(e.upstream))} \cdot {wrap(self.num(e.local))}"
                   for e in uses]
        steps = [(self.d(n.name), "=", signed(symbolic)), (None, "=", signed(numeric))]
        if len(uses) > 1:
            steps.append((None, "=", signed([self.num(e.product) for e in uses])))
        steps.append((None, "=", [self.num(n.upstream)]))
        return steps
