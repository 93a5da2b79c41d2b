"""Worked solutions of `backprop graph` as Markdown (GitHub math) or a LaTeX document.

    notation  names as symbols, the TeX of an operation, the scalar local derivatives
    scalar    a graph of scalars: the chain rule product by product
    tensor    a graph of vectors and matrices: values as matrices with their shapes,
              element-wise rules with ⊙, matrix operations by their matrix-calculus rule
    rules     the TeX of each operation on vectors and matrices and of its rule
    layout    displays that fit a page, products and sums of matrices

The outline is the worked solutions' blocks (output/worked/blocks.py), rendered by
output/worked/pages.py.
"""

from __future__ import annotations

from backprop_cli.engine.graph.program import Graph
from backprop_cli.output.graph.worked.notation import GREEK, local_rule, operation, symbol, wrap
from backprop_cli.output.worked import pages
from backprop_cli.problem.graph.exercise import Exercise

__all__ = ["GREEK", "latex", "local_rule", "markdown", "operation", "symbol", "wrap"]


def markdown(items: list[tuple[Exercise, Graph]], decimals: int, figure: str | None) -> str:
    return pages.to_markdown(_outline(items, decimals, figure))


def latex(items: list[tuple[Exercise, Graph]], decimals: int, figure: str | None) -> str:
    """A complete document for pdflatex; figure (a .pdf or .png) is shown when given."""
    return pages.to_latex(_outline(items, decimals, figure))


def _outline(items, decimals: int, figure: str | None) -> list:
    if len(items) == 1:
        ex, graph = items[0]
        title = "Worked solution" + (f": {ex.title}" if ex.title else "")
        return [("title", title), *_worked(ex, graph, decimals, "section").blocks(figure)]
    blocks = [("title", "Worked solutions")]
    for ex, graph in items:
        blocks.append(("section", ex.title or ex.source))
        blocks += _worked(ex, graph, decimals, "subsection").blocks(None)
    return blocks


def _worked(ex: Exercise, graph: Graph, decimals: int, level: str):
    """A graph of scalars is worked product by product; one with a vector or a matrix, an
    upstream gradient or a matrix operation (sum, norm: None locals) by tensor rules."""
    from backprop_cli.output.graph.worked import scalar, tensor

    if graph.upstream is None and all(
            isinstance(n.value, float) and all(d is not None for _, d in n.local)
            for n in graph.nodes):
        return scalar.Scalar(ex, graph, decimals, level)
    return tensor.Tensor(ex, graph, decimals, level)
