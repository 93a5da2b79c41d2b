"""bp.graph: an expression's computational graph (scalars, vectors, matrices) worked as
`backprop graph` works it, and GraphResult, what it returns: the numbers by name (value,
gradients, nodes, edges), the JSON document (to_dict, get), the terminal's tables, the
worked solution and the picture.

The exercise is read and evaluated by the command's own code (api.graphs, the exercise
reader, the engine), so the numbers, messages, tables and pictures are the command's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from backprop_cli.api.display import Markdown, Picture, Shown, View, picture
from backprop_cli.api.documented import Documented
from backprop_cli.engine.graph.program import Edge, Graph, Node
from backprop_cli.errors import UsageError, describe, suggest
from backprop_cli.problem.graph.exercise import Exercise

FILE_NAMES = (".yaml", ".yml", ".json")  # an exercise file, as the command reads its names


def graph(expression, /, *, upstream=None, **values) -> GraphResult:
    """The forward and backward pass of `expression`, as `backprop graph EXPRESSION
    NAME=VALUE...`: a value for each input by name (int, float, a list or nested lists, a
    numpy array or a torch tensor of a scalar, vector or matrix). upstream: ∂L/∂f for a
    result that is not a scalar, in its shape (--upstream). `expression` may also be an
    exercise file's path (a pathlib.Path, or a str ending in .yaml, .yml or .json), which
    gives its own values. Bad input raises the command's ProblemError, with its message."""
    from backprop_cli.api import graphs

    ((ex, g, doc),) = graphs.evaluated([_exercise(expression, values, upstream)])
    return GraphResult.of(ex, g, doc)


def _exercise(expression, values: dict, upstream=None) -> Exercise:
    from backprop_cli.api import graphs
    from backprop_cli.problem.graph import exercise

    if isinstance(expression, os.PathLike) or \
            (isinstance(expression, str) and expression.lower().endswith(FILE_NAMES)):
        if values or upstream is not None:
            first = next(iter(values), "upstream")
            raise UsageError(f"{first}=...: found a value after an exercise file, "
                             "expected values only with an expression (a file gives its "
                             "own values)")
        return graphs.load(os.fspath(expression))
    if not isinstance(expression, str):
        raise UsageError(f"graph: found {describe(expression)}, expected an expression "
                         "(text) or an exercise file's path")
    return exercise.from_values(expression, {k: _number(v) for k, v in values.items()},
                                None if upstream is None else _number(upstream))


def _number(value):
    """A numpy or torch scalar (shape ()) as the Python number it holds, an array or a
    tensor as nested lists; the rest as it is (the exercise reader names what is not a
    number)."""
    if type(value) in (int, float, list, tuple):
        return value
    if callable(getattr(value, "detach", None)):  # a torch tensor, perhaps requiring grad
        value = value.detach()
    if getattr(value, "shape", None) == () and callable(getattr(value, "item", None)):
        return value.item()
    if getattr(value, "shape", None) is not None and callable(getattr(value, "tolist", None)):
        return value.tolist()
    return value


@dataclass(frozen=True, repr=False, eq=False)
class GraphResult(Shown, Documented):
    """Everything `backprop graph` reports about one expression. Shown as the terminal's
    tables; to_dict() is the JSON document of `graph --format json`."""

    expression: str
    title: str | None  # an exercise file's title
    values: Mapping  # each input's value as given, in order of first appearance
    output: str  # the output node's name: f, or the last step's
    value: object  # the output's value: a float, or a numpy array
    gradients: Mapping  # ∂f/∂input for each input asked about (every input, unless a file's
    # `inputs` names some; not class indices): floats or arrays, as the engine's
    nodes: tuple[Node, ...]  # evaluation order, as the JSON's nodes: inputs first, f last
    edges: tuple[Edge, ...]  # the backward table's rows, in its order
    _exercise: Exercise = field(compare=False)
    _graph: Graph = field(compare=False)
    _document: dict = field(compare=False)

    @classmethod
    def of(cls, ex: Exercise, g: Graph, doc: dict) -> GraphResult:
        """The API's record of an evaluated exercise and its JSON document."""
        grads = dict(g.gradients)
        return cls(ex.program.text, ex.title, MappingProxyType(dict(ex.written)), g.output,
                   g.value, MappingProxyType({k: grads[k] for k in doc["gradients"]}),
                   g.nodes, g.edges, ex, g, doc)

    def node(self, name: str) -> Node:
        """The node called `name` (an input, n1, a named step, f)."""
        for n in self.nodes:
            if n.name == name:
                return n
        names = [n.name for n in self.nodes]
        raise KeyError(f"node {name!r}: no such node, expected one of {', '.join(names)}"
                       + suggest(name, names))



    def view(self, decimals: int = 4):
        from backprop_cli.output.graph.view import view

        return view(self._exercise, self._graph, decimals)

    def table(self, decimals: int = 4) -> View:
        """The terminal's tables with `decimals` decimals (shown, printed or rich.print)."""
        return View(lambda: self.view(decimals))

    def _text(self, fmt: str, decimals: int, diagram) -> str:
        from backprop_cli.api import graphs

        figure = None if diagram is None else os.fspath(diagram)
        return graphs.text([(self._exercise, self._graph, self._document)], fmt, decimals,
                           figure)

    def markdown(self, decimals: int = 4, diagram=None) -> Markdown:
        """The worked solution as `graph --format markdown` writes it (a str that a notebook
        shows as maths). diagram: a picture file to show with it, as --draw does."""
        return Markdown(self._text("markdown", decimals, diagram))

    def latex(self, decimals: int = 4, diagram=None) -> str:
        """The worked solution as a LaTeX document, as `graph --format latex` writes it."""
        return self._text("latex", decimals, diagram)

    def draw(self, path=None, decimals: int = 4) -> Picture:
        """The graph as `graph --draw` draws it (needs matplotlib, the plot extra): shown
        inline by a notebook; written to `path` too when given (.svg, .png or .pdf)."""
        from backprop_cli.output import diagram
        from backprop_cli.output.diagram.graph.figure import figure
        from backprop_cli.output.diagram.graph.layout import arrange

        diagram.require_matplotlib()
        if path is not None:
            diagram.picture_format(os.fspath(path))  # a bad name before any drawing
        drawn = picture(figure(arrange(self._graph, decimals)))
        if path is not None:
            drawn.save(path)
        return drawn
