"""How a tensor graph's worked solution lays out its maths: displays short enough for a
page, products with \\cdot where numbers meet, sums with their signs, and where
broadcasting sums a product over axes.
"""

from __future__ import annotations

import re

import numpy as np

from backprop_cli.engine.graph.program import Node
from backprop_cli.output.graph.worked.notation import wrap
from backprop_cli.output.worked.tex import LIMIT, width


def summed_axes(out: tuple, shape: tuple) -> tuple[int, ...]:
    """The axes of out over which an argument of this shape was broadcast (numbered as
    out's): the ones it lacks in front and the ones where it has size 1."""
    extra = len(out) - len(shape)
    return tuple(range(extra)) + tuple(extra + k for k, n in enumerate(shape)
                                       if n == 1 and out[extra + k] != 1)


def constant(v) -> float | None:
    """The one value every entry of v has, or None."""
    a = np.asarray(v, dtype=float)
    return float(a.flat[0]) if a.size and np.all(a == a.flat[0]) else None


PAGE = 40  # lines of a display: an aligned block cannot break across pages
_BMATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)


def _height(step: tuple) -> float:
    """Roughly how many lines a step takes: its tallest matrix, times its rows."""
    text = " ".join(" ".join(t) if isinstance(t, tuple) else t for t in step[2])
    tall = max((m[1].count("\\\\") + 1 for m in _BMATRIX.finditer(text)), default=1)
    return (1 + width(text) // LIMIT) * (tall + 0.5)


def displays(groups: list[list[tuple]]) -> list:
    """eq blocks of whole groups (each node's rows), each short enough for a page; a
    group taller than a page goes step by step."""
    blocks: list[list[tuple]] = []
    used = PAGE
    for group in filter(None, groups):
        parts = [group] if sum(map(_height, group)) <= PAGE else [[step] for step in group]
        for part in parts:
            h = sum(map(_height, part))
            if used + h > PAGE:
                blocks.append([])
                used = 0
            blocks[-1] += part
            used += h
    return [("eq", b) for b in blocks]


def elementwise(n: Node) -> bool:
    """Whether n's local derivatives are entry by entry (a matrix operation's are None)."""
    return all(d is not None for _, d in n.local)


def axes_text(axes: tuple[int, ...]) -> str:
    return f"axis {axes[0]}" if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


_OPERATORS = {r"\odot", r"\cdot", "-", "+"}


def times(factors: tuple) -> tuple:
    """Factors of a product with \\cdot where a number meets another factor (1/2 1.0
    would read as 21.0), negative numbers in parentheses."""
    out: list[str] = []
    for f in factors:
        if out and out[-1] not in _OPERATORS and f not in _OPERATORS and not (
                "bmatrix" in out[-1] and "bmatrix" in f):
            out.append(r"\cdot")
        out.append(wrap(f) if f not in _OPERATORS and f.startswith("-") else f)
    return tuple(out)


def signed(terms: list) -> list:
    """Terms of a sum (TeX, or tuples of factors), each after the first with its sign."""
    out = []
    for i, t in enumerate(terms):
        t = t if isinstance(t, tuple) else (t,)
        if i and t[0] == "-":
            t = ("- " + t[1], *t[2:])
        elif i:
            t = ((f"- {t[0][1:]}" if t[0].startswith("-") else "+ " + t[0]), *t[1:])
        out.append(t[0] if len(t) == 1 else t)
    return out
