"""How API results show themselves: the terminal's Rich tables as plain text (a plain REPL,
print) or HTML (a notebook), the worked solution as Markdown, the diagram as SVG.

Rich is imported only when something is shown, matplotlib only when a diagram is drawn.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass

HTML_WIDTH = 100  # columns a notebook's tables are laid out for
# rich.jupyter's own <pre>: the tables as monospace text, scrolled sideways when wide
_PRE = ("<pre style=\"white-space:pre;overflow-x:auto;line-height:normal;font-family:Menlo,"
        "'DejaVu Sans Mono',consolas,'Courier New',monospace\">{code}</pre>")


def _console(width: int | None, record: bool):
    from rich.console import Console

    return Console(file=io.StringIO(), width=width, record=record, markup=False,
                   highlight=False, emoji=False, color_system=None if not record else
                   "truecolor", force_terminal=record, force_jupyter=False)


def as_text(renderable, width: int | None = None) -> str:
    """What the terminal would show, without colour, laid out for `width` columns (by
    default the terminal's, or COLUMNS)."""
    from backprop_cli.output.console import plain

    console = _console(width or shutil.get_terminal_size().columns, record=False)
    console.print(renderable)
    return plain(console.file.getvalue())


def as_html(renderable, width: int = HTML_WIDTH) -> str:
    """The same view as HTML (inline styles, no document around it), for a notebook."""
    console = _console(width, record=True)
    console.print(renderable)
    return console.export_html(inline_styles=True, code_format=_PRE)


class Shown:
    """A result that shows itself as a Rich view: in a notebook (HTML), in a plain REPL
    and print() (text), and to rich.print (the view itself). Subclasses give view()."""

    def view(self, decimals: int = 4):  # pragma: no cover - every subclass defines it
        raise NotImplementedError

    def __rich__(self):
        return self.view()

    def _repr_html_(self) -> str:
        return as_html(self.view())

    def __str__(self) -> str:
        return as_text(self.view())

    def __repr__(self) -> str:
        return self.__str__()


@dataclass(frozen=True)
class View:
    """A view with chosen settings (s.table(decimals=8)), shown like its result."""

    build: Callable[[], object]

    def __rich__(self):
        return self.build()

    def _repr_html_(self) -> str:
        return as_html(self.build())

    def __str__(self) -> str:
        return as_text(self.build())

    def __repr__(self) -> str:
        return self.__str__()


_MATH = re.compile(r"^```math\n(.*?)^```$", re.M | re.S)


class Markdown(str):
    """A worked solution in Markdown: the text of `solve --format markdown`, shown by a
    notebook as formatted maths (its ```math blocks as $$ display maths, which Jupyter's
    MathJax reads; GitHub reads the text as it is)."""

    def _repr_markdown_(self) -> str:
        return _MATH.sub(lambda m: "$$\n" + m.group(1) + "$$", str(self))


@dataclass(frozen=True)
class Picture:
    """A drawn diagram: the matplotlib Figure (`figure`, to restyle or save as you like)
    and its SVG text, which a notebook shows inline; save() writes it (or a PNG or PDF of
    it, by the name's extension) exactly as `backprop draw` would."""

    svg: str
    figure: object  # matplotlib.figure.Figure

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path) -> None:
        """Write the picture atomically: .svg, .png or .pdf by the name."""
        from backprop_cli.output import diagram

        diagram.save(self.figure, os.fspath(path))

    def __repr__(self) -> str:
        return (f"<Picture: an SVG of {len(self.svg)} characters; .figure is the matplotlib "
                "Figure, .save(path) writes it>")


def picture(figure) -> Picture:
    """The figure and its SVG, saved through a temporary file (the diagram package writes
    pictures to paths, atomically) so that the text is the very picture `draw` writes."""
    from backprop_cli.output import diagram

    with tempfile.TemporaryDirectory(prefix="backprop-") as folder:
        path = os.path.join(folder, "diagram.svg")
        diagram.save(figure, path)
        with open(path, encoding="utf-8") as f:
            return Picture(f.read(), figure)
