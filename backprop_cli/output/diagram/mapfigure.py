"""The feature maps of a network diagram drawn with matplotlib, from their places
(grids.py): a map's stack of channels, and each window picture (its grids, the window
and the output cell picked out in one colour, the signs, the lines). Matplotlib is
imported inside the functions, never when the package is imported."""

from __future__ import annotations

import numpy as np

from backprop_cli.output.diagram.grids import (
    CAPTION_PT,
    CELL_PT,
    LINES_PT,
    LINES_SPACING,
    PANEL_PT,
    SHAPE_PT,
    Cells,
    Panel,
    Stack,
)

PICKED = "#e08214"  # the window, the kernel it meets, the cell it makes
NEGATIVE, INK = "#b2182b", "#1a1a1a"  # as the weights on the edges (figure.py)
PADDING = "#e4e4e4"  # a padding cell
LINES = 0.12  # cells smaller than this (inches) are drawn without lines between them


def draw_stack(ax, stack: Stack, fill: str) -> None:
    """The map's squares back to front, its label on the front one, its shape under."""
    from matplotlib.patches import Rectangle

    for corner in stack.corners:
        ax.add_patch(Rectangle(corner, stack.side, stack.side, facecolor=fill,
                               edgecolor="#333333", linewidth=1.0, zorder=3))
    ax.text(*stack.label_at, stack.label, fontsize=10, ha="center", va="center", zorder=4)
    ax.text(*stack.shape_at, stack.shape, fontsize=SHAPE_PT, color="#444444", ha="center",
            va="top", zorder=4)


def draw_panel(ax, panel: Panel) -> None:
    """A window picture in its frame: title, grids, signs, lines."""
    from matplotlib.patches import Rectangle

    x, y, w, h = panel.frame
    ax.add_patch(Rectangle((x, y), w, h, facecolor="#fbfbfb", edgecolor="#c8c8c8",
                           linewidth=0.8, zorder=0))
    ax.text(*panel.title_at, panel.picture.title, fontsize=PANEL_PT, fontweight="bold",
            ha="center", va="top", zorder=4)
    for cells in panel.cells:
        _draw_cells(ax, cells)
    for at, sign in zip(panel.signs, panel.picture.between):
        ax.text(*at, sign, fontsize=14, ha="center", va="center", zorder=4)
    step = LINES_PT * LINES_SPACING / 72
    for k, line in enumerate(panel.picture.lines):
        ax.text(panel.lines_at[0], panel.lines_at[1] - k * step, line, fontsize=LINES_PT,
                ha="left", va="top", zorder=4)


def _colours(cells: Cells) -> np.ndarray:
    """Each cell's colour (rows, cols, RGBA): white when numbers are written or there are
    none, else shaded by value (blue negative, red positive, symmetric about 0); padding
    grey."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize, to_rgba

    g = cells.grid
    values = g.values if g.values is not None else np.full((g.rows, g.cols), np.nan)
    pad = np.isnan(values)
    if g.values is None:
        pad[:] = False
        pad[:g.padding[0]] = pad[g.rows - g.padding[0]:] = True
        pad[:, :g.padding[1]] = pad[:, g.cols - g.padding[1]:] = True
    colours = np.tile(np.array(to_rgba("white")), (g.rows, g.cols, 1))
    if g.values is not None and not cells.numbered:
        finite = values[~pad]
        top = float(np.abs(finite).max()) if finite.size else 0.0
        norm = Normalize(-top or -1.0, top or 1.0)
        colours = colormaps["RdBu_r"](norm(np.where(pad, 0.0, values)))
    colours[pad] = to_rgba(PADDING)
    return colours


def _draw_cells(ax, cells: Cells) -> None:
    """The cells as one image (a 28×28 map is one picture, not 784 paths), the lines
    between them when they are large enough, the border, the numbers or the max pool's
    mark, the window and the caption."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import Circle, Rectangle

    g, c = cells.grid, cells.cell
    (x0, y0), x1, y1 = cells.origin, cells.origin[0] + g.cols * c, cells.origin[1] + g.rows * c
    ax.imshow(_colours(cells), extent=(x0, x1, y0, y1),
              origin="upper", interpolation="none", aspect="auto", zorder=2)
    if c >= LINES:
        lines = [((x0 + j * c, y0), (x0 + j * c, y1)) for j in range(1, g.cols)] + \
            [((x0, y0 + i * c), (x1, y0 + i * c)) for i in range(1, g.rows)]
        ax.add_collection(LineCollection(lines, colors="#9a9a9a", linewidths=0.4, zorder=2))
    ax.add_patch(Rectangle(cells.origin, g.cols * c, g.rows * c, fill=False,
                           edgecolor="#555555", linewidth=0.8, zorder=3))
    if cells.numbered:
        for i, row in enumerate(g.texts):
            for j, text in enumerate(row):
                pad = np.isnan(g.values[i, j])
                colour = "#777777" if pad else NEGATIVE if g.values[i, j] < 0 else INK
                ax.text(*cells.centre(i, j), text, fontsize=CELL_PT, ha="center",
                        va="center", color=colour, zorder=4,
                        fontweight="bold" if g.mark is not None and (i, j) == g.mark
                        else "normal")
    elif g.mark is not None:
        ax.add_patch(Circle(cells.centre(*g.mark), c * 0.3, facecolor=PICKED,
                            edgecolor="none", zorder=4))
    if g.window is not None:
        ax.add_patch(Rectangle(*_corner_size(cells.box(*g.window)), fill=False,
                               edgecolor=PICKED, linewidth=2.0, zorder=5))
    ax.text(*cells.caption_at, g.caption, fontsize=CAPTION_PT, color="#333333",
            ha="center", va="top", zorder=4)


def _corner_size(box):
    x, y, w, h = box
    return (x, y), w, h
