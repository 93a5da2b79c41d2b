"""A whole worked solution: the sections in order, on a Markdown or a LaTeX page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from backprop_cli.output.worked import pages
from backprop_cli.output.worked.answers import answers
from backprop_cli.output.worked.backward import backward_pass
from backprop_cli.output.worked.blocks import Block, figure
from backprop_cli.output.worked.forward import forward_pass, loss
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.statement import header, statement
from backprop_cli.output.worked.update import update

if TYPE_CHECKING:
    from backprop_cli.problem.reader import Problem


def outline(problem: Problem, doc: dict, decimals: int, diagram: str | None = None) -> list[Block]:
    """The blocks of the solution: doc is the `solve` document (every number), problem gives
    the inputs, targets and parameters before the update."""
    # a sequence exercise's dense layers and loss see rows of steps (timesteps.py)
    note = Notation(problem, doc, decimals)
    blocks = header(note) + statement(note)
    if diagram:
        blocks.append(figure(diagram))
    return (blocks + forward_pass(note) + loss(note) + backward_pass(note) + update(note)
            + answers(note))


def _together(items, decimals: int, diagram: str | None) -> list[Block]:
    """Several problems' solutions in one document, each after a page break."""
    blocks: list[Block] = []
    for i, (problem, doc) in enumerate(items):
        if i:
            blocks.append(("newpage", None))
        blocks += outline(problem, doc, decimals, diagram)
    return blocks


def markdown_all(items, decimals: int, diagram: str | None = None) -> str:
    """One Markdown page for several (problem, document) pairs, separated by rules."""
    return pages.to_markdown(_together(items, decimals, diagram))


def latex_all(items, decimals: int, diagram: str | None = None) -> str:
    """One LaTeX document for several (problem, document) pairs, a new page for each: two
    documents in one file would end at the first \\end{document}."""
    return pages.to_latex(_together(items, decimals, diagram))


def markdown(problem: Problem, doc: dict, decimals: int, diagram: str | None = None) -> str:
    """The worked solution as GitHub Markdown: math in $...$ and ```math blocks.
    diagram: a picture of the network to show with the problem statement."""
    return pages.to_markdown(outline(problem, doc, decimals, diagram))


def latex(problem: Problem, doc: dict, decimals: int, diagram: str | None = None) -> str:
    """The worked solution as a complete LaTeX document for pdflatex (amsmath, amssymb,
    graphicx); diagram, when given, is a PDF, PNG or JPEG of the network."""
    return pages.to_latex(outline(problem, doc, decimals, diagram))
