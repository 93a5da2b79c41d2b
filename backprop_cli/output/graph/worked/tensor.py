"""The worked solution of a graph of vectors and matrices: the values as matrices with
their shapes, the forward pass node by node, each node's local rule (an element-wise
operation's derivative entry by entry, a matrix operation's vector-Jacobian product),
then the backward pass with the rule and its numbers for every use of a value, the
products summed where a value is used more than once, and the answers.

A vector is a column (a row a^⊤ where it multiplies from the left, or broadcasts against
a matrix as NumPy's last axis does). Matrices past fmt.MAX_SHOWN rows or columns show
their first and last three (tex.matrix).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.program import Edge, Graph, Node
from backprop_cli.output.fmt import MAX_SHOWN, fixed
from backprop_cli.output.graph.worked import layout, rules
from backprop_cli.output.graph.worked.notation import symbol, wrap
from backprop_cli.output.worked.tex import Math, given, matrix, plain, tuple_text
from backprop_cli.problem.graph.exercise import Exercise


class Tensor:
    def __init__(self, ex: Exercise, graph: Graph, decimals: int, level: str):
        self.ex, self.graph, self.dec, self.level = ex, graph, decimals, level
        self.nodes = {n.name: n for n in graph.nodes}
        self.f = graph.output

    # -------------------------------------------------------------- numbers

    def num(self, v) -> str:
        return fixed(v, self.dec)

    def show(self, v, t: bool = False, fmt=None) -> str:
        """A number, or a vector as a column (a row when t), a matrix (transposed when t)
        as a bmatrix; fmt formats an entry (rounded by default)."""
        fmt = fmt or self.num
        a = np.asarray(v, dtype=object if fmt is not self.num else float)
        if a.ndim == 0:
            return fmt(a.item())
        if a.ndim == 1:
            return matrix([list(a)] if t else [[x] for x in a], fmt)
        return matrix((a.T if t else a).tolist(), fmt)

    def given(self, v, t: bool = False) -> str:
        """Short exact numbers as they are when every entry is one (a value as written, a
        derivative's cases 0, 1, 0.5, a one-hot row); else every entry rounded alike, so a
        computed column never mixes 0.44 with 0.5200."""
        entries = np.ravel(np.asarray(v, dtype=float))
        if all(given(x, self.dec) == plain(x) for x in entries):
            return self.show(v, t, lambda x: given(x, self.dec))
        return self.show(v, t)

    def arg(self, a, t: bool = False) -> str:
        """An argument's numbers: an input as written, a node rounded, a constant plainly."""
        if not isinstance(a, str):
            return given(a, self.dec)
        if a in self.ex.written:
            return self.given(self.ex.written[a], t)
        return self.show(self.nodes[a].value, t)

    def value(self, a):
        return self.nodes[a].value if isinstance(a, str) else a

    def d(self, name: str) -> str:
        return rf"\frac{{\partial {symbol(self.graph.wrt)}}}{{\partial {symbol(name)}}}"

    def tex(self, a) -> str:
        """An argument in symbols: its name, or a constant (rounded when long)."""
        return symbol(a) if isinstance(a, str) else given(a, self.dec)

    # -------------------------------------------------------------- the outline

    def blocks(self, figure: str | None) -> list:
        ex, sub, graph = self.ex, self.level, self.graph
        lines = [line.strip() for line in ex.program.text.splitlines() if line.strip()]
        out = [("par", ["Expression: " + "; ".join(lines)]),
               ("par", ["Values, with their shapes:"]),
               ("eq", [(symbol(k), "=", [self.given(v) + r" \in " + rules.space(np.shape(v))])
                       for k, v in ex.written.items()]),
               ("par", [f"Numbers are rounded to {self.dec} decimals; every step carries "
                        "full float64 precision. A vector is a column; where it multiplies "
                        "from the left or is broadcast against a matrix it acts as a row, ",
                        Math(r"x^{\top}"), ", as NumPy's last axis does. Functions, powers "
                        "and quotients act entry by entry, and ", Math(r"\odot"),
                        " is the product entry by entry. Matrices with more than "
                        f"{MAX_SHOWN} rows or columns show their first and last three."])]
        if figure:
            out.append(("figure", figure))
        ops = [n for n in graph.nodes if n.op != "input"]
        L = symbol(graph.wrt)
        out += [(sub, "Forward pass"),
                ("par", ["Each node's value and shape, in evaluation order:"]),
                *layout.displays([self.forward(n) for n in ops])]
        out += [(sub, "Local gradients"),
                ("par", ["An element-wise operation's derivative, entry by entry; a matrix "
                         "operation's rule, which gives its input's share of ",
                         Math(rf"\partial {L}/\partial \mathrm{{input}}"), " from ",
                         Math(rf"\partial {L}/\partial \mathrm{{node}}"),
                         " (the shares add up where an input is used more than once):"]),
                *layout.displays([self.local(n) for n in ops])]
        out += [(sub, "Backward pass"), *self.start(),
                *layout.displays([self.backward(n) for n in reversed(graph.nodes)
                                  if n.name != self.f])]
        out += self.answers()
        return out

    def start(self) -> list:
        if self.graph.upstream is None:
            return [("par", ["Start from ", Math(f"{self.d(self.f)} = 1"), ". Going back "
                             "through the nodes, each node's gradient is the sum over the "
                             "nodes that use it of their upstream gradient through their "
                             "local rule:"])]
        return [("par", ["The upstream gradient of ", Math(symbol(self.f)), " is given (",
                         Math("L"), " is the loss it comes from):"]),
                ("eq", [(self.d(self.f), "=", [self.given(self.ex.upstream)])]),
                ("par", ["Going back through the nodes, each node's gradient is the sum over "
                         "the nodes that use it of their upstream gradient through their "
                         "local rule:"])]

    def answers(self) -> list:
        grads = dict(self.graph.gradients)
        out = [("answers", [([Math(symbol(self.f))], self.answer(self.graph.value))]
                + [([Math(self.d(x))], self.answer(grads[x]))
                   for x in self.ex.wanted if x in grads])]
        for name in self.graph.labels:
            out.insert(0, ("par", [Math(symbol(name)), " holds class indices, a label: it "
                                   "takes no gradient."]))
        return out

    def answer(self, v) -> str:
        """Plain text: a number, (a, b) for a vector, (a, b); (c, d) row by row."""
        a = np.asarray(v, dtype=float)
        if a.ndim == 0:
            return self.num(float(a))
        return tuple_text(np.atleast_2d(a).tolist(), self.num)

    # -------------------------------------------------------------- forward

    def ndims(self, n: Node) -> tuple[int, ...]:
        return tuple(np.ndim(self.value(a)) for a in n.inputs)

    def forward(self, n: Node) -> list[tuple]:
        nd, params = self.ndims(n), dict(n.params)
        rows = rules.rows(n.op, nd)
        if layout.elementwise(n) and np.ndim(n.value) == 2:  # a broadcast vector is a row
            rows = tuple(k == 1 for k in nd)
        symbols = [self.tex(a) + (r"^{\top}" if r else "") for a, r in zip(n.inputs, rows)]
        numbers = [self.arg(a, r) for a, r in zip(n.inputs, rows)]
        lhs = symbol(n.name)
        transposed = n.op == "@" and nd == (1, 2)  # a^⊤ B is the row n^⊤
        if transposed:
            lhs += r"^{\top}"
        terms = [rules.forward(n.op, symbols, nd, params)]
        out = []
        if n.op == "cross_entropy":  # its definition, then the numbers on a row of their own
            definition, terms = self.cross_entropy(n)
            out.append((lhs, "=", [rules.forward(n.op, symbols, nd, params),
                                   "= " + definition]))
            lhs = None
        else:
            terms.append(("= " + rules.forward(n.op, numbers, nd, params),))
        shape = (1, *n.shape) if transposed else n.shape
        terms.append("= " + self.show(n.value, transposed) + r" \in " + rules.space(shape))
        out.append((lhs, "=", terms))
        for a, k in zip(n.inputs, nd):
            if not (isinstance(a, str) and layout.elementwise(n) and k
                    and np.shape(self.value(a)) != n.shape):
                continue
            if k == 1 and len(n.shape) == 2:
                how = rf"\text{{ is broadcast as a row, copied to each of the {n.shape[0]} rows}}"
            else:
                how = r"\text{ is broadcast to } " + rules.space(n.shape)
            out.append((None, "", [rf"\quad {symbol(a)}{how}"]))
        return out

    def cross_entropy(self, n: Node) -> tuple[str, list]:
        """The mean of -ln softmax at each row's class, and its numbers: the probabilities
        picked (class indices) or the target's entries."""
        z, t = (np.asarray(self.value(a), dtype=float) for a in n.inputs)
        a, y = (self.tex(x) for x in n.inputs)
        p = rules.OPERATIONS["softmax"].apply(z)[0]
        if t.shape != z.shape:
            if z.ndim == 1:
                return (rf"-\ln \operatorname{{softmax}}\left({a}\right)_{{{y}}}",
                        [rf"-\ln {self.num(p[int(t)])}"])
            picked = [p[i, int(k)] for i, k in enumerate(t)]
            y_i = rf"\left({y}\right)_{{i}}" if "_" in y else f"{y}_{{i}}"
            return (rf"-\frac{{1}}{{N}} \sum_{{i}} \ln \operatorname{{softmax}}"
                    rf"\left({a}\right)_{{i, {y_i}}}",
                    [rf"-\frac{{1}}{{{len(t)}}}\left(" + " + ".join(
                        rf"\ln {self.num(q)}" for q in picked) + r"\right)"])
        lead = r"\frac{1}{N}" if z.ndim == 2 else ""
        count = rf"\frac{{1}}{{{z.shape[0]}}}" if z.ndim == 2 else ""
        return (rf"-{lead} \sum {y} \odot \ln \operatorname{{softmax}}\left({a}\right)",
                [rf"-{count} \sum " + self.arg(n.inputs[1]), r"\odot \ln " + self.show(p)])

    # -------------------------------------------------------------- local rules

    def local(self, n: Node) -> list[tuple]:
        out = []
        for name, value in n.local:
            if value is None:
                out += self.matrix_rules(n, name)
                continue
            rule, notes = self.elementwise(n, name)
            lhs = rf"\frac{{\partial {symbol(n.name)}}}{{\partial {symbol(name)}}}"
            c = self.constant(n, rule, value)
            shown = given(c, self.dec) if c is not None else self.given(value)
            terms = [rule] if rule == shown or c is not None and rule in ("0", "1", "-1") \
                else [rule, "= " + shown]
            out.append((lhs, "=", terms + [rf"\quad {note}" for note in notes]))
            axes = layout.summed_axes(n.shape, np.shape(self.value(name)))
            if axes:
                them = "it" if len(axes) == 1 else "them"
                out.append((None, "", [rf"\quad \text{{{layout.axes_text(axes)}: }} "
                                       rf"{self.d(name)}\text{{ sums the products over {them}}}"]))
        return out

    def elementwise(self, n: Node, name: str) -> tuple[str, list[str]]:
        """∂n/∂name entry by entry (a sum where name is used twice) and torch's choices."""
        a = [self.tex(x) for x in n.inputs]
        v = [self.value(x) for x in n.inputs]
        found = [rules.elementwise(n.op, a, v, i) for i, x in enumerate(n.inputs) if x == name]
        return " + ".join(r for r, _ in found), [c for _, c in found if c]

    def constant(self, n: Node, rule: str, local) -> float | None:
        """The one value of a local derivative that names no vector or matrix (1 for +,
        c for c * X with c a scalar), not one that happens to be the same in every
        entry; or None."""
        tensors = [symbol(a) for a in n.inputs if isinstance(a, str) and np.ndim(self.value(a))]
        return None if any(x in rule for x in tensors) else layout.constant(local)

    def context(self, n: Node, g) -> rules.Context:
        return rules.Context([self.tex(a) for a in n.inputs],
                             [self.value(a) for a in n.inputs], self.ndims(n),
                             symbol(n.name), n.value, self.d(n.name), g, dict(n.params),
                             self.show, lambda i, t=False: self.arg(n.inputs[i], t), self.given)

    def matrix_rules(self, n: Node, name: str) -> list[tuple]:
        if self.edge(n.name, name) is None:
            return [(None, "", [rf"{symbol(name)} \text{{ holds class indices, a label: "
                                r"no gradient}"])]
        c = self.context(n, n.upstream)
        found = [rules.vjp(n.op, i, c) for i, x in enumerate(n.inputs) if x == name]
        users = {e.node for e in self.graph.edges if e.input == name}
        through = [rf"\quad \text{{through }} {symbol(n.name)}"] if len(users) > 1 else []
        return [(self.d(name), "=", [" + ".join(r.symbolic for r in found)] + through
                 + [rf"\quad {r.note}" for r in found if r.note])]

    # -------------------------------------------------------------- backward

    def edge(self, node: str, name: str) -> Edge | None:
        return next((e for e in self.graph.edges if e.node == node and e.input == name), None)

    def backward(self, n: Node) -> list[tuple]:
        uses = [e for e in self.graph.edges if e.input == n.name]
        if not uses:
            return []
        symbolic, numeric = [], []
        for e in uses:
            s, k = self.share(e, n)
            symbolic.append(s)
            numeric.append(k)
        steps = [(self.d(n.name), "=", layout.signed(symbolic))]
        if any(k is not None for k in numeric) and not (
                len(uses) == 1 and numeric[0] == (self.show(uses[0].product),)):
            steps.append((None, "=", layout.signed([k or (self.show(e.product),)
                                                     for k, e in zip(numeric, uses)])))
        if len(uses) > 1:
            steps.append((None, "=", layout.signed([(self.show(e.product),) for e in uses])))
        steps.append((None, "=", [self.show(n.upstream)]))
        return steps

    def share(self, e: Edge, n: Node) -> tuple[str, tuple | None]:
        """This use's share of ∂L/∂n: in symbols, and with numbers (None: the product)."""
        m = self.nodes[e.node]
        if e.local is None:
            c = self.context(m, e.upstream)
            found = [rules.vjp(m.op, i, c) for i, x in enumerate(m.inputs) if x == n.name]
            numbers = [r.numbers for r in found]
            if any(k is None for k in numbers):
                return " + ".join(r.symbolic for r in found), None
            return " + ".join(r.symbolic for r in found), layout.times(tuple(
                x for i, k in enumerate(numbers) for x in ((("+",) if i else ()) + k)))
        rule, _ = self.elementwise(m, n.name)
        c = self.constant(m, rule, e.local)
        dot = r"\cdot" if c is not None or not np.ndim(e.upstream) else r"\odot"
        local = wrap(given(c, self.dec)) if c is not None else self.given(e.local)
        symbolic = rf"{self.d(m.name)} {dot} {wrap(rule)}"
        numeric = (self.show(e.upstream), dot, local)
        axes = layout.summed_axes(m.shape, n.shape)
        if axes:
            total = rf"\sum_{{\text{{{layout.axes_text(axes)}}}}}"
            return rf"{total} \left({symbolic}\right)", \
                (rf"{total} \left(" + numeric[0], *numeric[1:-1], numeric[-1] + r"\right)")
        return symbolic, numeric
