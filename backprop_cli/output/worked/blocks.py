"""The outline of a worked solution: a list of blocks that the sections build and
pages.py renders, as Markdown or as LaTeX.

    ("title", text)  ("section", text)  ("subsection", text)  ("figure", path)
    ("par", [segment, ...])        a segment is text (str) or maths (tex.Math)
    ("eq", [(lhs, rel, [term, ...]), ...])   a displayed chain: lhs rel terms, aligned at rel
    ("answers", [([segment, ...], value), ...])   value: plain ASCII numbers

A term of a chain is TeX, or a tuple of TeX factors (a product, kept on one row if it fits).
Text is free text, escaped by the renderer; maths is TeX that GitHub's MathJax and pdflatex
with amsmath and amssymb both read.
"""

from __future__ import annotations

Block = tuple[str, object]


def title(text: str) -> Block:
    return ("title", text)


def section(text: str) -> Block:
    return ("section", text)


def subsection(text: str) -> Block:
    return ("subsection", text)


def figure(path: str) -> Block:
    return ("figure", path)


def par(*segments) -> Block:
    """A paragraph of text (str) and maths (tex.Math) segments."""
    return ("par", list(segments))


def eq(*steps) -> Block:
    """A displayed chain of (lhs, rel, [term, ...]) steps; lhs None continues the one above."""
    return ("eq", list(steps))


def answer_table(rows: list) -> Block:
    """The boxed answers: ([segment, ...], value) rows."""
    return ("answers", rows)
