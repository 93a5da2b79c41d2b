"""TeX fragments for worked solutions: numbers, matrices, and how wide a line of maths is
(the aligned rows of a chain break where a page would overflow).

Everything here is maths that GitHub's MathJax and pdflatex with amsmath and amssymb both
read; pages.py puts it on a page.
"""

from __future__ import annotations

import math
import re

from backprop_cli.output.fmt import elide, scientific
from backprop_cli.output.fmt import fixed as number

LIMIT = 88  # widest displayed row, in digit widths, before a chain continues on a new row
WIDEST = 112  # widest row \scriptsize fits on the page: a wider product is split


class Math(str):
    """A maths segment of a paragraph (plain str segments are text)."""


# ------------------------------------------------------------------------ numbers


def plain(v) -> str:
    """A setting or target as written: 1 for 1.0, 10^{-8} for 1e-08."""
    if isinstance(v, bool):
        return r"\text{" + str(v).lower() + "}"
    if isinstance(v, int):
        return str(v)
    s = repr(float(v))
    s = s[:-2] if s.endswith(".0") else s
    if "e" in s:
        mantissa, exp = s.split("e")
        mantissa = mantissa[:-2] if mantissa.endswith(".0") else mantissa
        s = ("" if mantissa == "1" else mantissa + r" \times ") + f"10^{{{int(exp)}}}"
    return s


def power(v, decimals: int) -> str:
    """v in scientific form, m \times 10^{e} with `decimals` decimals in m (a zero is 0):
    for state far below the decimals shown."""
    if v == 0:
        return "0"
    mantissa, exp = scientific(v, decimals).split("e")
    return rf"{mantissa} \times 10^{{{int(exp)}}}"


def given(v, decimals: int) -> str:
    """An input value: as written when that is short, else rounded to the decimals."""
    s = plain(v)
    short = "e" not in repr(float(v)) and len(s.partition(".")[2]) <= decimals
    return s if short else number(v, decimals)


def entry(v, decimals: int) -> str:
    if v is None or not math.isfinite(v):
        return r"\text{n.f.}"  # only gradients.h{L} can be null: explained in the text
    return number(v, decimals)


def matrix(rows, fmt) -> str:
    """A 2-D array as a bmatrix; more than MAX_SHOWN rows or columns elided in the middle."""
    rows = [list(r) for r in rows]
    lines = []
    for i in elide(list(range(len(rows))), None):
        cells = []
        for j in elide(list(range(len(rows[0]))), None):
            if i is None:
                cells.append(r"\ddots" if j is None else r"\vdots")
            else:
                cells.append(r"\cdots" if j is None else fmt(rows[i][j]))
        lines.append(" & ".join(cells))
    return r"\begin{bmatrix} " + r" \\ ".join(lines) + r" \end{bmatrix}"


def tuple_text(rows, fmt) -> str:
    """Plain text for the answers: (a, b, c), one tuple per row, '...' where elided."""
    def one(r):
        return "(" + ", ".join("..." if j is None else fmt(r[j])
                               for j in elide(list(range(len(r))), None)) + ")"
    return "; ".join("..." if i is None else one(rows[i])
                     for i in elide(list(range(len(rows))), None))


def difference(factor: str, left: str, right: str) -> list[str]:
    """Terms of factor (left - right); without a factor the two can go on separate rows."""
    if factor:
        return [rf"{factor}\left({left} - {right}\right)"]
    return [left, "- " + right]


# ------------------------------------------------------------------------ widths

_MATRIX = re.compile(r"\\begin\{bmatrix\}(.*?)\\end\{bmatrix\}", re.S)
_FRAC = re.compile(r"\\[td]?frac\{([^{}]*)\}\{([^{}]*)\}")
_WORD = re.compile(r"\\(?:text|mathrm|operatorname)\{([^{}]*)\}")


def _glyphs(s: str) -> int:
    s = _FRAC.sub(lambda m: "#" * max(_glyphs(m[1]), _glyphs(m[2])), s)
    s = _WORD.sub(lambda m: m[1], s)
    s = re.sub(r"\\q?quad|\\[cdv]?dots", "###", s).replace("-", "--")  # wide glyphs
    s = re.sub(r"\\(?:left|right|[bB]igg?[lr]?|begin\{\w+\}|end\{\w+\})", "", s)
    s = re.sub(r"\\[A-Za-z]+", "#", s)
    return len(re.sub(r"[{}_^&\s\\]", "", s))


def width(tex: str) -> int:
    """Roughly how many digit widths a line of maths takes."""
    def one(m):
        rows = m[1].split(r"\\")
        return "#" * (2 + max(sum(_glyphs(c) + 2 for c in r.split("&")) for r in rows))
    return _glyphs(_MATRIX.sub(one, tex))


def aligned_rows(steps) -> list[str]:
    """The rows of an aligned chain; a step's terms continue on a new row past LIMIT.
    A term may be a tuple of factors (a product): kept on one row unless \\scriptsize
    would not fit it."""
    lhs_width = max((width(lhs) for lhs, _, _ in steps if lhs), default=0)
    rows = []
    for lhs, rel, factors in steps:
        terms = []
        for term in factors:
            joined = " ".join(term) if isinstance(term, tuple) else term
            split = isinstance(term, tuple) and lhs_width + width(joined) > WIDEST
            terms += list(term) if split else [joined]
        prefix, line, used = f"{lhs or ''} &{rel} ", [], lhs_width + 2
        for term in terms:
            w = width(term)
            if line and used + w > LIMIT:
                rows.append(prefix + " ".join(line))
                prefix, line, used = r"&\quad ", [], lhs_width + 3
            line.append(term)
            used += w + 1
        rows.append(prefix + " ".join(line))
    return rows
