"""TeX fragments for worked solutions, and the two page renderers (Markdown, LaTeX).

backprop_cli.worked builds an outline, a list of blocks:
    ("title", text)  ("section", text)  ("subsection", text)
    ("par", [segment, ...])        a segment is text (str) or maths (Math)
    ("eq", [(lhs, rel, [term, ...]), ...])   a displayed chain: lhs rel terms, aligned at rel
    ("answers", [([segment, ...], value), ...])   value: plain ASCII numbers
Text is free text and is escaped here; maths is TeX that GitHub's MathJax and pdflatex with
amsmath and amssymb both read.
"""

from __future__ import annotations

import math
import re
import unicodedata

import numpy as np

from backprop_cli.output.fmt import elide
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


def _rows(steps) -> list[str]:
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


# ------------------------------------------------------------------------ Markdown

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>#|$~&])")


def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text).replace("\n", " ")


def _md_segments(segments) -> str:
    return "".join(f"${s}$" if isinstance(s, Math) else md_escape(s) for s in segments)


def to_markdown(blocks) -> str:
    out = []
    for kind, body in blocks:
        if kind in ("title", "section", "subsection"):
            level = {"title": "#", "section": "##", "subsection": "###"}[kind]
            out.append(f"{level} {md_escape(body)}")
        elif kind == "par":
            out.append(_md_segments(body))
        elif kind == "eq":
            out.append("```math\n\\begin{aligned}\n" + " \\\\\n".join(_rows(body))
                       + "\n\\end{aligned}\n```")
        elif kind == "figure":
            out.append(f"![The network]({body})")
        elif kind == "answers":
            lines = ["| Quantity | Answer |", "|---|---|"]
            lines += [f"| {_md_segments(label)} | **{value}** |" for label, value in body]
            out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


# ------------------------------------------------------------------------ LaTeX

_TEX_SPECIAL = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "#": r"\#", "$": r"\$", "%": r"\%",
    "&": r"\&", "_": r"\_", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
    "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}", "\n": " ", "\t": " ",
}
_TEX_UNICODE = {
    "→": r"$\rightarrow$", "←": r"$\leftarrow$", "×": r"$\times$", "·": r"$\cdot$",
    "−": "-", "–": "--", "—": "---", "‘": "`", "’": "'", "“": "``", "”": "''",
    "…": r"\ldots{}", "±": r"$\pm$", "≤": r"$\le$", "≥": r"$\ge$", "∂": r"$\partial$",
    "∑": r"$\sum$", "ß": r"\ss{}", "æ": r"\ae{}", "Æ": r"\AE{}", "ø": r"\o{}", "Ø": r"\O{}",
    "œ": r"\oe{}", "Œ": r"\OE{}", "ł": r"\l{}", "Ł": r"\L{}", "ı": r"\i{}", "°": r"$^\circ$",
    "\u00a0": "~",
}
_ACCENTS = {"\u0301": "'", "\u0300": "`", "\u0302": "^", "\u0308": '"', "\u0303": "~",
            "\u0327": "c", "\u030c": "v", "\u0306": "u", "\u0304": "=", "\u0307": ".",
            "\u030b": "H", "\u030a": "r"}
_GREEK_CAPITALS = ("Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi",
                   "Psi", "Omega")
_GREEK_LATIN = {"Alpha": "A", "Beta": "B", "Epsilon": "E", "Zeta": "Z", "Eta": "H", "Iota": "I",
                "Kappa": "K", "Mu": "M", "Nu": "N", "Rho": "P", "Tau": "T", "Chi": "X"}


def _tex_char(c: str) -> str:
    if c in _TEX_SPECIAL:
        return _TEX_SPECIAL[c]
    if c.isascii():
        return c if c.isprintable() else " "
    if c in _TEX_UNICODE:
        return _TEX_UNICODE[c]
    name = unicodedata.name(c, "")
    if name.startswith("GREEK") and "LETTER" in name and len(name.split()) == 4:
        letter = name.split()[-1].capitalize().replace("Lamda", "Lambda")
        if letter == "Omicron":
            return "o" if "SMALL" in name else "O"
        if "SMALL" in name:
            return f"$\\{letter.lower()}$"
        if letter in _GREEK_CAPITALS:
            return f"$\\{letter}$"
        return _GREEK_LATIN.get(letter, "?")
    base, *marks = unicodedata.normalize("NFD", c)
    if base.isascii() and base.isalpha() and len(marks) == 1 and marks[0] in _ACCENTS:
        return f"\\{_ACCENTS[marks[0]]}{{{base}}}"
    return "?"  # pdflatex's default fonts have no glyph for it


def tex_escape(text: str) -> str:
    """Free text for LaTeX: special characters escaped, common non-ASCII characters mapped."""
    return "".join(map(_tex_char, text))


def _tex_segments(segments) -> str:
    return "".join(f"${s}$" if isinstance(s, Math) else tex_escape(s) for s in segments)


def _size(w: int) -> str:
    # digit widths per line at each size (smaller Computer Modern sizes are wider per pt)
    for limit, size in ((88, ""), (96, r"\small"), (104, r"\footnotesize"),
                        (112, r"\scriptsize")):
        if w <= limit:
            return size
    return r"\tiny"


PREAMBLE = r"""\documentclass[10pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[a4paper,margin=2cm]{geometry}
\usepackage{amsmath,amssymb,graphicx}
\setcounter{MaxMatrixCols}{20}
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6ex plus 0.3ex}
\allowdisplaybreaks
\begin{document}
"""


def to_latex(blocks) -> str:
    out = [PREAMBLE]
    for kind, body in blocks:
        if kind == "title":
            out.append(r"{\LARGE\bfseries " + tex_escape(body) + r"\par}\medskip")
        elif kind in ("section", "subsection"):
            out.append(f"\\{kind}*{{{tex_escape(body)}}}")
        elif kind == "par":
            out.append(_tex_segments(body))
        elif kind == "eq":
            rows = _rows(body)
            size = _size(max(map(width, rows)))
            display = ("\\[\n\\begin{aligned}\n" + " \\\\\n".join(rows)
                       + "\n\\end{aligned}\n\\]")
            # a smaller size shrinks the matrices' column gaps too (5pt = 0.5em at 10pt)
            out.append(f"{{{size}\\setlength{{\\arraycolsep}}{{0.5em}}\n{display}\\par}}"
                       if size else display)
        elif kind == "figure":
            out.append("\\begin{center}\\includegraphics[width=0.8\\linewidth]{"
                       + body + "}\\end{center}")
        elif kind == "answers":
            lines = [f"{_tex_segments(label)} & {{\\boldmath${_tex_value(value)}$}} \\\\"
                     for label, value in body]
            out.append("\\bigskip\n\\noindent\\fbox{\\begin{minipage}"
                       "{\\dimexpr\\linewidth-2\\fboxsep-2\\fboxrule\\relax}\n"
                       "\\textbf{Answers}\\par\\smallskip\n"
                       "\\begin{tabular}{@{}p{0.36\\linewidth}p{0.6\\linewidth}@{}}\n"
                       + "\n".join(lines) + "\n\\end{tabular}\n\\end{minipage}}")
    out.append("\\end{document}")
    return "\n\n".join(out) + "\n"


def _tex_value(value: str) -> str:
    return (value.replace("...", r"\ldots").replace(", ", r",\allowbreak ")
            .replace("; ", r";\allowbreak\ "))


def as_rows(value) -> np.ndarray:
    """A vector, or a list of rows, of the document as a 2-D float array (nan for null)."""
    rows = value if value and isinstance(value[0], list) else [value]
    return np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
