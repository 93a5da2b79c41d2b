"""The TeX of `backprop graph`'s worked solutions shared by scalars and tensors: a name
as a symbol, an operation on its arguments, and the scalar local derivatives.
"""

from __future__ import annotations

import re

from backprop_cli.output.worked.tex import plain

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
         "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi",
         "chi", "psi", "omega"}
_NAME = re.compile(r"([A-Za-z]+?)_?([0-9]+)\Z")
# where a negative argument needs parentheses: 2 - (-3), (-2) \cdot 3, (-2)^{2}, -(-x)
WRAPPED = {"+": (1,), "-": (1,), "*": (0, 1), "**": (0,), "pow": (0,), "neg": (0,),
            "square": (0,)}


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
    a = [wrap(x) if i in WRAPPED.get(op, ()) and x.startswith("-") else x
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


def signed(terms: list[str]) -> list[str]:
    """Terms of a sum, each after the first with its sign, so a long sum can wrap."""
    return [t if i == 0 else (f"- {t[1:]}" if t.startswith("-") else f"+ {t}")
            for i, t in enumerate(terms)]
