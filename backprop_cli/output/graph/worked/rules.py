"""The TeX of operations on vectors and matrices and of their rules, for the worked
solutions of tensor graphs (tensor.py).

A vector is a column. An operation's TeX takes its arguments' TeX (symbols, or numbers
as bmatrix); a vector on the left of @ or in dot is a row there, a^⊤ (rows() says which).
A matrix operation's rule is its vector-Jacobian product, ∂L/∂argument from g = ∂L/∂node,
in the cases of the engine's rules (backprop_cli/engine/graph/ops/): symbolically, and
with the numbers as factors (Context.show formats them); the engine's product follows.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from backprop_cli.engine.graph.ops import OPERATIONS
from backprop_cli.output.graph.worked.notation import WRAPPED, local_rule, wrap

_FUNCTIONS = {
    "+": "{0} + {1}", "-": "{0} - {1}", "/": r"\frac{{{0}}}{{{1}}}", "**": "{0}^{{{1}}}",
    "pow": "{0}^{{{1}}}", "neg": "-{0}", "exp": r"\exp\left({0}\right)",
    "log": r"\ln\left({0}\right)", "sqrt": r"\sqrt{{{0}}}", "sigmoid": r"\sigma\left({0}\right)",
    "tanh": r"\tanh\left({0}\right)", "relu": r"\operatorname{{relu}}\left({0}\right)",
    "abs": r"\left\lvert {0} \right\rvert", "sin": r"\sin\left({0}\right)",
    "cos": r"\cos\left({0}\right)", "log10": r"\log_{{10}}\left({0}\right)",
    "square": "{0}^{{2}}", "T": r"{0}^{{\top}}", "@": "{0} {1}", "dot": "{0} {1}",
    "norm": r"\left\lVert {0} \right\rVert",
    "cross_entropy": r"\operatorname{{CE}}\left({0}, {1}\right)",
}
ODOT, CDOT = r"\odot", r"\cdot"
_REDUCTIONS = {"sum": r"\operatorname{sum}", "mean": r"\operatorname{mean}", "max": r"\max",
               "min": r"\min", "softmax": r"\operatorname{softmax}",
               "log_softmax": r"\ln\operatorname{softmax}"}


def space(shape: tuple) -> str:
    """ℝ, ℝ^{3} or ℝ^{2×3}."""
    times = r" \times ".join(map(str, shape))
    return r"\mathbb{R}" + (f"^{{{times}}}" if shape else "")


def rows(op: str, ndims: tuple[int, ...]) -> tuple[bool, ...]:
    """Which arguments a vector-column convention writes as rows: a vector on the left of
    @, and dot's first vector (a^⊤ B, a^⊤ b)."""
    return tuple(op in ("@", "dot") and i == 0 and n == 1 for i, n in enumerate(ndims))


def forward(op: str, a: list[str], ndims: tuple[int, ...], params: dict) -> str:
    """The TeX of op on the arguments' TeX a; element-wise ops act entry by entry."""
    a = [wrap(x) if i in WRAPPED.get(op, ()) and x.startswith("-") else x
         for i, x in enumerate(a)]
    if op == "*":
        return f"{a[0]} {ODOT if all(ndims) else CDOT} {a[1]}"
    if op in ("max", "min") and len(a) == 2:
        return rf"\{op}\left({a[0]}, {a[1]}\right)"
    if op in _REDUCTIONS:
        axis = "" if params.get("axis") is None else rf", \text{{axis}}={params['axis']}"
        return rf"{_REDUCTIONS[op]}\left({a[0]}{axis}\right)"
    if op == "T" and ndims[0] < 2:
        return a[0]  # NumPy's .T leaves a vector (1-D) as it is
    return _FUNCTIONS[op].format(*a)


def elementwise(op: str, a: list[str], v: list, i: int) -> tuple[str, str | None]:
    """(∂op/∂(argument i) entry by entry in TeX, a note on torch's choice at a kink or
    None); v: the arguments' values (arrays or numbers)."""
    v = [np.asarray(x, dtype=float) for x in v]
    if op == "relu":
        return (rf"\mathbf{{1}}\left[{a[0]} > 0\right]",
                r"\operatorname{relu}'(0) = 0 \text{, as torch}" if (v[0] == 0).any() else None)
    if op == "abs":
        return (rf"\operatorname{{sign}}\left({a[0]}\right)",
                r"\operatorname{sign}(0) = 0 \text{, as torch}" if (v[0] == 0).any() else None)
    if op in ("max", "min"):
        j, cmp = 1 - i, ">" if op == "max" else "<"
        tie = r"\text{ties split half and half, as torch}" if (v[0] == v[1]).any() else None
        return (rf"\mathbf{{1}}\left[{a[i]} {cmp} {a[j]}\right] + \tfrac{{1}}{{2}}\,"
                rf"\mathbf{{1}}\left[{a[i]} = {a[j]}\right]", tie)
    if op == "pow":  # a variable exponent: torch's 0 where y = 0 (∂/∂x) or x = 0 (∂/∂y)
        if i == 0:
            return (f"{a[1]} \\, {wrap(a[0])}^{{{a[1]} - 1}}",
                    rf"0 \text{{ where }} {a[1]} = 0 \text{{, as torch}}"
                    if (v[1] == 0).any() else None)
        return (rf"{a[0]}^{{{a[1]}}} \ln {a[0]}",
                rf"0 \text{{ where }} {a[0]} = 0 \text{{, as torch}}"
                if (v[0] == 0).any() else None)
    return local_rule(op, a, [float(x) if x.ndim == 0 else x for x in v], i)[0], None


class Context(NamedTuple):
    """What a rule needs: the arguments' symbols a, values v and ndims, the node's symbol
    s and value, g = ∂L/∂node as TeX and G its value, the operation's parameters, and
    show(value, t) / arg(i, t) / given(value): numbers as TeX (t: transposed, a vector
    as a row)."""
    a: list
    v: list
    ndims: tuple
    s: str
    value: object
    g: str
    G: object
    params: dict
    show: object
    arg: object
    given: object  # show, with short exact entries as they are (a mask, a one-hot row)


class Rule(NamedTuple):
    symbolic: str  # ∂L/∂argument in symbols
    numbers: tuple | None  # the same with numbers, as factors; None: the product says it
    note: str | None = None


def vjp(op: str, i: int, c: Context) -> Rule:
    """∂L/∂(argument i) through a matrix operation (a vector-Jacobian product)."""
    return _VJP[op](i, c)


def _t(g: str) -> str:
    return rf"\left({g}\right)^{{\top}}"


def _matmul(i, c):
    a, g, nd = c.a, c.g, c.ndims
    if nd == (1, 1):
        return Rule(rf"{g} \, {a[1 - i]}", (c.show(c.G), c.arg(1 - i)))
    if i == 0:
        if nd[0] == 1:  # a^⊤ B: B g
            return Rule(f"{a[1]} {g}", (c.arg(1), c.show(c.G)))
        return Rule(rf"{g} {a[1]}^{{\top}}", (c.show(c.G), c.arg(1, True)))
    if nd[0] == 2:
        return Rule(rf"{a[0]}^{{\top}} {g}", (c.arg(0, True), c.show(c.G)))
    return Rule(f"{a[0]} {_t(g)}", (c.arg(0), c.show(c.G, True)))  # the outer product a g^⊤


def _transpose(i, c):
    if c.ndims[0] == 2:
        return Rule(_t(c.g), (c.show(c.G, True),))
    return Rule(c.g, (c.show(c.G),), r"\text{.T leaves a vector or a number as it is}")


def _axis(c):
    axis = c.params.get("axis")
    return None if axis is None else axis % c.ndims[0]


def _copied(c):
    """g as an array that broadcasts against the argument (keepdims), and where it goes."""
    axis = _axis(c)
    where = r"\text{ in every entry}" if axis is None else \
        rf"\text{{ copied along axis {axis}}}"
    return (c.G if np.ndim(c.G) == 0 else np.expand_dims(c.G, axis)), where


def _sum(i, c):
    G, where = _copied(c)
    return Rule(c.g + where, (c.show(G) + where,))


def _mean(i, c):
    G, where = _copied(c)
    axis = _axis(c)
    n = np.size(c.v[0]) if axis is None else np.shape(c.v[0])[axis]
    return Rule(rf"\frac{{1}}{{{n}}} {c.g}" + where, (rf"\frac{{1}}{{{n}}}", c.show(G) + where))


def _extreme(name):
    def rule(i, c):
        G, _ = _copied(c)
        axis = _axis(c)
        x = np.asarray(c.v[0], dtype=float)
        hit = x == (c.value if axis is None else np.expand_dims(c.value, axis))
        share = hit / np.sum(hit, axis=axis, keepdims=axis is not None)
        which = "largest" if name == "max" else "smallest"
        along = "" if axis is None else f" along axis {axis}"
        m = rf"M_{{{c.s}}}"  # one mask per node: X may be reduced twice
        note = (rf"{m}\text{{: 1 at the {which} entry{along}, 1/k each where k entries "
                r"tie, 0 elsewhere}")
        return Rule(rf"{c.g} \odot {m}", (c.show(G), r"\odot" if np.ndim(G) else r"\cdot",
                                          c.given(share)), note)
    return rule


def _norm(i, c):
    a = c.a[0]
    if c.value == 0:
        return Rule(rf"{c.g} \, \frac{{{a}}}{{\lVert {a} \rVert}}", None,
                    r"\text{0 at the zero vector, where the norm has no derivative, as torch}")
    return Rule(rf"{c.g} \, \frac{{{a}}}{{\lVert {a} \rVert}}",
                (c.show(c.G), rf"\frac{{{c.arg(0)}}}{{{c.show(c.value)}}}"))


def _along(c) -> tuple[int, str]:
    axis = c.params.get("axis")
    axis = (-1 if axis is None else axis) % c.ndims[0]
    return axis, rf"\textstyle\sum_{{\text{{axis }} {axis}}}"


def _softmax(i, c):
    axis, total = _along(c)
    s = np.asarray(c.value)
    row = np.sum(np.asarray(c.G) * s, axis=axis, keepdims=True)
    return Rule(rf"{c.s} \odot \left({c.g} - {total} {c.g} \odot {c.s}\right)",
                (c.show(s), r"\odot", rf"\left({c.show(c.G)} - {c.show(_squeezed(row))}"
                 r"\right)"), _summed(axis, c))


def _log_softmax(i, c):
    axis, total = _along(c)
    p = np.exp(np.asarray(c.value))  # softmax, from the node's own value
    row = np.sum(np.asarray(c.G), axis=axis, keepdims=True)
    return Rule(rf"{c.g} - \operatorname{{softmax}}\left({c.a[0]}\right) \odot {total} {c.g}",
                (c.show(c.G), "-", c.show(p), r"\odot", c.show(_squeezed(row))),
                _summed(axis, c))


def _squeezed(row):
    """A keepdims sum of a vector is one number; of a matrix, a row or a column."""
    return float(row.reshape(())) if row.size == 1 and row.ndim == 1 else row


def _summed(axis, c) -> str | None:
    if c.ndims[0] < 2:
        return None
    return rf"\text{{the sums along axis {axis} are copied back along it}}"


def _cross_entropy(i, c):
    z, t = (np.asarray(x, dtype=float) for x in c.v)
    n = 1 if z.ndim == 1 else z.shape[0]
    lead = r"\frac{1}{N}" if z.ndim == 2 else ""  # the mean over N rows
    scale = (rf"\frac{{1}}{{{n}}}", c.show(c.G)) if z.ndim == 2 else (c.show(c.G),)
    if i == 1:  # probabilities as the target
        logp = OPERATIONS["log_softmax"].apply(z)[0]
        return Rule(rf"-{lead} {c.g} \ln\operatorname{{softmax}}\left({c.a[0]}\right)",
                    ("-", *scale, c.show(logp)))
    p = OPERATIONS["softmax"].apply(z)[0]
    if t.shape != z.shape:  # class indices: one-hot rows
        onehot = np.zeros_like(z)
        np.put_along_axis(onehot.reshape(-1, z.shape[-1]), t.reshape(-1, 1).astype(int), 1.0,
                          -1)
        return Rule(rf"{lead} {c.g} \left(\operatorname{{softmax}}\left({c.a[0]}\right) - "
                    rf"\operatorname{{onehot}}\left({c.a[1]}\right)\right)",
                    (*scale, rf"\left({c.show(p)} - {c.given(onehot)}\right)"))
    total = np.sum(t, axis=-1, keepdims=True)
    if np.allclose(total, 1.0, rtol=0, atol=1e-12):  # one-hot or probability rows
        return Rule(rf"{lead} {c.g} \left(\operatorname{{softmax}}\left({c.a[0]}\right) - "
                    rf"{c.a[1]}\right)", (*scale, rf"\left({c.show(p)} - {c.arg(1)}\right)"))
    return Rule(rf"{lead} {c.g} \left(\operatorname{{softmax}}\left({c.a[0]}\right) \odot "
                rf"\textstyle\sum_{{k}} {c.a[1]} - {c.a[1]}\right)",
                (*scale, rf"\left({c.show(p)} \odot {c.show(_squeezed(total))} - "
                 rf"{c.arg(1)}\right)"), r"\text{the target's rows do not sum to 1}")


_VJP = {"@": _matmul, "dot": _matmul, "T": _transpose, "sum": _sum, "mean": _mean,
        "max": _extreme("max"), "min": _extreme("min"), "norm": _norm, "softmax": _softmax,
        "log_softmax": _log_softmax, "cross_entropy": _cross_entropy}
