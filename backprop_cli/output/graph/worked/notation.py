"""Worked solutions of `backprop graph` as Markdown (GitHub math) or a LaTeX document:
the forward pass node by node, each node's local gradients, then the backward pass with
every chain-rule product written out (upstream ∂f/∂node times local ∂node/∂input, summed
where a value is used more than once), and the answers.

The outline is the worked solutions' blocks (output/worked/blocks.py), rendered by
output/worked/pages.py.
"""

from __future__ import annotations

import re

from backprop_cli.engine.graph.program import Graph, Node
from backprop_cli.output.fmt import fixed
from backprop_cli.output.worked import pages
from backprop_cli.output.worked.tex import Math, given, plain
from backprop_cli.problem.graph.exercise import Exercise

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi",
         "chi", "psi", "omega"}
_NAME = re.compile(r"([A-Za-z]+?)_?([0-9]+)\Z")
# where a negative argument needs parentheses: 2 - (-3), (-2) \cdot 3, (-2)^{2}, -(-x)
_WRAPPED = {"+": (1,), "-": (1,), "*": (0, 1), "**": (0,), "pow": (0,), "neg": (0,),
            "square": (0,)}


def markdown(items: list[tuple[Exercise, Graph]], decimals: int, figure: str | None) -> str:
    return pages.to_markdown(_outline(items, decimals, figure))


def latex(items: list[tuple[Exercise, Graph]], decimals: int, figure: str | None) -> str:
    """A complete document for pdflatex; figure (a .pdf or .png) is shown when given."""
    return pages.to_latex(_outline(items, decimals, figure))


def _outline(items, decimals: int, figure: str | None) -> list:
    if len(items) == 1:
        ex, graph = items[0]
        title = "Worked solution" + (f": {ex.title}" if ex.title else "")
        return [("title", title), *_Worked(ex, graph, decimals, "section").blocks(figure)]
    blocks = [("title", "Worked solutions")]
    for ex, graph in items:
        blocks.append(("section", ex.title or ex.source))
        blocks += _Worked(ex, graph, decimals, "subsection").blocks(None)
    return blocks


def symbol(name: str) -> str:
    """A name in maths: x, w_{0}, n_{1}, \\sigma, \\mathrm{out}, x_{\\mathrm{hat}}; a name
    assigned again, c_2, is c_{2}, and x1_2 (x1 assigned again) x_{1,2}."""
    m = _NAME.match(name)
    if m:
        return f"{symbol(m[1])}_{{{m[2]}}}"
    base, _, rest = name.partition("_")
    if rest:
        head = symbol(base) if base else "{}"
        if _subscripted(head):  # x_{1} and 2: x_{1,2}, not x_{1}_{2} (a TeX error)
            return f"{head[:-1]},{symbol(rest)}}}"
        return f"{head}_{{{symbol(rest)}}}"
    if name in GREEK:
        return "\\" + name
    return name if len(name) == 1 else rf"\mathrm{{{name}}}"


def _subscripted(tex: str) -> bool:
    """Whether tex ends in a subscript, _{...}, that a second one would follow."""
    k = tex.rfind("_{")
    if k <= 0 or not tex.endswith("}"):
        return False
    depth = 0
    for i, c in enumerate(tex[k + 1:], k + 1):
        depth += (c == "{") - (c == "}")
        if depth == 0:
            return i == len(tex) - 1
    return False


def wrap(tex: str) -> str:
    """A factor of a product, in parentheses when it is negative or a sum."""
    depth, top_level_sum = 0, False
    for i, c in enumerate(tex):
        depth += (c in "({") - (c in ")}")
        if depth == 0 and c in "+-" and i > 0 and tex[i - 1] == " ":
            top_level_sum = True
    return rf"\left({tex}\right)" if tex.startswith("-") or top_level_sum else tex


def operation(op: str, a: list[str]) -> str:
    """The TeX of op applied to the TeX arguments a (negatives wrapped where needed)."""
    a = [wrap(x) if i in _WRAPPED.get(op, ()) and x.startswith("-") else x
         for i, x in enumerate(a)]
    templates = {
        "+": "{0} + {1}", "-": "{0} - {1}", "*": r"{0} \cdot {1}", "/": r"\frac{{{0}}}{{{1}}}",
        "**": "{0}^{{{1}}}", "neg": "-{0}", "exp": "e^{{{0}}}", "log": r"\ln({0})",
        "sqrt": r"\sqrt{{{0}}}", "sigmoid": r"\sigma({0})", "tanh": r"\tanh({0})",
        "relu": r"\operatorname{{relu}}({0})", "abs": r"\lvert {0} \rvert",
        "max": r"\max({0}, {1})", "min": r"\min({0}, {1})",
        "pow": "{0}^{{{1}}}", "sin": r"\sin({0})", "cos": r"\cos({0})",
        "log10": r"\log_{{10}}({0})", "square": "{0}^{{2}}",
    }
    return templates[op].format(*a)


def _kink(op: str, a: list[str], v: list[float], i: int) -> tuple[str, str]:
    """(local derivative, the case that chose it) of relu, abs, max and min."""
    if op == "relu":
        return ("1", f"{a[0]} > 0") if v[0] > 0 else ("0", rf"{a[0]} \le 0")
    if op == "abs":
        return {1: ("1", f"{a[0]} > 0"), -1: ("-1", f"{a[0]} < 0"),
                0: ("0", rf"{a[0]} = 0")}[(v[0] > 0) - (v[0] < 0)]
    j = 1 - i
    if v[i] == v[j]:
        return r"\tfrac{1}{2}", rf"{a[i]} = {a[j]} \text{{, a tie}}"
    wins = v[i] > v[j] if op == "max" else v[i] < v[j]
    return ("1" if wins else "0"), f"{a[i]} {'>' if v[i] > v[j] else '<'} {a[j]}"


def local_rule(op: str, a: list[str], v: list[float], i: int) -> tuple[str, str | None]:
    """(∂op/∂(argument i) in TeX, the case for a kinked operation or None)."""
    if op in ("relu", "abs", "max", "min"):
        return _kink(op, a, v, i)
    if op == "**":
        p = v[1]
        return ("0" if p == 0 else "1" if p == 1 else f"{plain(p)} {a[0]}" if p == 2
                else f"{plain(p)} {wrap(a[0])}^{{{plain(p - 1)}}}"), None
    if op == "pow":  # a variable exponent; torch's 0 where y = 0 (∂/∂x) or x = 0 (∂/∂y)
        if i == 0:
            return ("0", f"{a[1]} = 0") if v[1] == 0 else \
                (f"{a[1]} \\, {wrap(a[0])}^{{{a[1]} - 1}}", None)
        return ("0", rf"{a[0]} = 0 \text{{ and }} {a[1]} \ge 0") if v[0] == 0 else \
            (rf"{a[0]}^{{{a[1]}}} \ln({a[0]})", None)
    rules = {
        "+": ("1", "1"), "-": ("1", "-1"), "*": (a[-1], a[0]),
        "/": (rf"\frac{{1}}{{{a[-1]}}}", rf"-\frac{{{a[0]}}}{{{a[-1]}^{{2}}}}"),
        "neg": ("-1",), "exp": (f"e^{{{a[0]}}}",), "log": (rf"\frac{{1}}{{{a[0]}}}",),
        "sqrt": (rf"\frac{{1}}{{2\sqrt{{{a[0]}}}}}",),
        "sigmoid": (rf"\sigma({a[0]})\left(1 - \sigma({a[0]})\right)",),
        "tanh": (rf"1 - \tanh^{{2}}({a[0]})",),
        "sin": (rf"\cos({a[0]})",), "cos": (rf"-\sin({a[0]})",),
        "log10": (rf"\frac{{1}}{{{a[0]} \ln 10}}",), "square": (f"2 {a[0]}",),
    }
    return rules[op][i], None


class _Worked:
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
        steps = [(self.d(n.name), "=", _sum(symbolic)), (None, "=", _sum(numeric))]
        if len(uses) > 1:
            steps.append((None, "=", _sum([self.num(e.product) for e in uses])))
        steps.append((None, "=", [self.num(n.upstream)]))
        return steps


def _sum(terms: list[str]) -> list[str]:
    """Terms of a sum, each after the first with its sign, so a long sum can wrap."""
    return [t if i == 0 else (f"- {t[1:]}" if t.startswith("-") else f"+ {t}")
            for i, t in enumerate(terms)]
