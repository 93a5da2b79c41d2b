"""Picture files: the formats, the matplotlib check, the style every picture is drawn in,
and atomic saving.

Matplotlib is an optional extra (`pip install 'backprop-cli[plot]'`): it is imported only
inside these functions, never when the package is imported, and drawn with the Agg canvas
(no pyplot, no global backend or rcParams changes). Text stays text in SVG files
(`svg.fonttype: none`), so labels and numbers can be searched and copied.
"""

from __future__ import annotations

import contextlib
import os

from backprop_cli.errors import PictureError
from backprop_cli.problem.atomic import atomic_file

MESSAGE = "drawing needs matplotlib: pip install 'backprop-cli[plot]'"
FORMATS = ("svg", "png", "pdf")
DPI = 150
# A fixed hash salt and no dates (see save): the same picture gives the same bytes.
RC = {"svg.fonttype": "none", "svg.hashsalt": "backprop", "text.parse_math": False,
      "font.family": "sans-serif", "pdf.fonttype": 42}


class MissingExtra(PictureError):
    """Matplotlib is not installed."""


class UnknownFormat(PictureError):
    """The picture's file name does not end in .svg, .png or .pdf."""


def require_matplotlib():
    """Import matplotlib, or raise MissingExtra naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra(MESSAGE) from None
    return matplotlib


def picture_format(path: str) -> str:
    """The format a picture path asks for, from its extension (svg, png or pdf)."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        found = f"the extension '.{ext}'" if ext else "no extension"
        raise UnknownFormat(f"{path}: found {found}, expected a picture name ending in "
                            ".svg, .png or .pdf")
    return ext


def save(fig, path: str) -> None:
    """Write the figure in the format of path's extension, atomically: through a
    temporary file in the same folder, renamed over path. WriteError when it cannot."""
    fmt = picture_format(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}[fmt]
    with atomic_file(path, binary=True) as f, style():
        fig.savefig(f, format=fmt, dpi=DPI, metadata=metadata)


@contextlib.contextmanager
def style():
    """Matplotlib's default style with our settings, whatever the user's matplotlibrc."""
    mpl = require_matplotlib()
    import matplotlib.style

    with matplotlib.style.context("default"), mpl.rc_context(RC):
        yield


def titled_sheet(title: str, subtitle: str, width: float, height: float, title_y: float,
                 subtitle_y: float):
    """(figure, axes) of a diagram: one data unit per inch over width × height, no axes,
    the title and subtitle centred at their heights (figure fractions)."""
    from matplotlib.figure import Figure

    from backprop_cli.output.diagram.layout import SUBTITLE_PT, TITLE_PT

    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    fig.text(0.5, title_y, title, ha="center", va="center", fontsize=TITLE_PT,
             fontweight="bold")
    fig.text(0.5, subtitle_y, subtitle, ha="center", va="center", fontsize=SUBTITLE_PT,
             color="#555555")
    return fig, ax
