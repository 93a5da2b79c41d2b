"""The two pages of a worked solution: an outline (blocks.py) as GitHub Markdown, with math
in $...$ and ```math blocks, or as a LaTeX document for pdflatex. Free text is escaped here.
"""

from __future__ import annotations

import re
import unicodedata

from backprop_cli.output.worked.tex import Math, aligned_rows, width

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
            out.append("```math\n\\begin{aligned}\n" + " \\\\\n".join(aligned_rows(body))
                       + "\n\\end{aligned}\n```")
        elif kind == "figure":
            out.append(f"![The network]({body})")
        elif kind == "newpage":  # the next problem's solution on the same page
            out.append("---")
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


def _breakable(tex: str) -> str:
    """Escaped text that may break after / and an identifier's _: a long file name or
    title fits the line."""
    return re.sub(r"(\\_(?=[A-Za-z])|/)", r"\1\\allowbreak{}", tex)


def _tex_segments(segments) -> str:
    return "".join(f"${s}$" if isinstance(s, Math) else _breakable(tex_escape(s))
                   for s in segments)


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
\setlength{\emergencystretch}{3em}  % a long file name, broken at / and _, fits the line
\allowdisplaybreaks
\begin{document}
"""


def to_latex(blocks) -> str:
    out = [PREAMBLE]
    for kind, body in blocks:
        if kind == "title":
            title = _breakable(tex_escape(body))  # ragged: a long title breaks where it can
            out.append(r"{\LARGE\bfseries\raggedright " + title + r"\par}\medskip")
        elif kind in ("section", "subsection"):
            out.append(f"\\{kind}*{{{tex_escape(body)}}}")
        elif kind == "par":
            text = _tex_segments(body)
            # a long file name breaks at / and _: ragged, or a short first line would
            # leave no break but past the margin
            out.append(f"{{\\raggedright {text}\\par}}" if r"\allowbreak" in text else text)
        elif kind == "eq":
            rows = aligned_rows(body)
            size = _size(max(map(width, rows)))
            display = ("\\[\n\\begin{aligned}\n" + " \\\\\n".join(rows)
                       + "\n\\end{aligned}\n\\]")
            # a smaller size shrinks the matrices' column gaps too (5pt = 0.5em at 10pt)
            out.append(f"{{{size}\\setlength{{\\arraycolsep}}{{0.5em}}\n{display}\\par}}"
                       if size else display)
        elif kind == "newpage":  # the next problem's solution starts a page
            out.append("\\clearpage")
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


