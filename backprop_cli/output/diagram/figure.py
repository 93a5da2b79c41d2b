"""The network diagram drawn with matplotlib, from a Layout (layout.py) that says where
everything goes; this module only says how it looks (the feature maps' stacks and window
pictures: mapfigure.py). Matplotlib is imported inside the functions, never when the
package is imported."""

from __future__ import annotations

import numpy as np

from backprop_cli.output.diagram import mapfigure
from backprop_cli.output.diagram.blocks import BLOCK_PT, BLOCK_SPACING, SKIP_PT
from backprop_cli.output.diagram.grids import NAME_DROP
from backprop_cli.output.diagram.kinds import LOOKS
from backprop_cli.output.diagram.layout import (
    EDGE_PT,
    NOTE_PT,
    RB,
    Layout,
    Place,
    R,
    arrange,
)
from backprop_cli.output.diagram.model import Column, Network
from backprop_cli.output.diagram.pictures import (
    picture_format,
    require_matplotlib,
    save,
    style,
    titled_sheet,
)
from backprop_cli.output.diagram.seqfigure import sequence_figure
from backprop_cli.output.diagram.sequences import Unrolled

FILL = {"input": "#e6f0fa", "output": "#fcebdc"}  # hidden layers: HIDDEN
HIDDEN = "#e9f5e9"
NEGATIVE, INK = "#b2182b", "#1a1a1a"  # written weights: negative ones in red
SKIP = "#2c6fbb"  # residual connections


def draw_network(net: Network, path: str, decimals: int = 4) -> None:
    """Write the diagram to path (svg, png or pdf by its extension), atomically."""
    picture_format(path)
    save(network_figure(net, decimals), path)


def network_figure(net: Network, decimals: int = 4):
    """The diagram as a matplotlib Figure, sized in inches to what it holds (a sequence's
    unrolled steps: seqfigure.py)."""
    require_matplotlib()
    with style():
        if isinstance(net, Unrolled):
            return sequence_figure(net)
        return _figure(net, arrange(net, decimals))


def _figure(net: Network, lay: Layout):
    fig, ax = titled_sheet(net.title, net.subtitle, lay.width, lay.height, lay.title_y,
                           lay.subtitle_y)  # one data unit per inch: the layout's
    norm, cmap = _colour_scale(lay)
    _draw_edges(ax, lay, norm, cmap)
    _draw_blocks(ax, lay)
    _draw_skips(ax, lay)
    if lay.labelled:
        _write_weights(ax, lay)
    for col, place, stack in zip(net.columns, lay.columns, lay.stacks or
                                 [None] * len(lay.columns)):
        _draw_column(ax, col, place, lay, stack)
    for panel in lay.panels:
        mapfigure.draw_panel(ax, panel)
    if lay.colour_bar:
        _draw_colour_bar(fig, lay, norm, cmap)
    return fig


def _colour_scale(lay: Layout):
    """(norm, colour map) of coloured weights: symmetric about 0, up to the largest."""
    from matplotlib import colormaps
    from matplotlib.colors import Normalize

    values = np.array([e.value for e in lay.edges])
    top = float(np.abs(values).max()) if len(values) and lay.coloured else 0.0
    return Normalize(-top or -1.0, top or 1.0), colormaps["RdBu_r"]


def _draw_edges(ax, lay: Layout, norm, cmap) -> None:
    """Solid weight edges, then dashed bias edges; the strongest on top of each."""
    from matplotlib.collections import LineCollection

    for bias in (False, True):
        group = sorted((e for e in lay.edges if e.bias == bias), key=lambda e: abs(e.value))
        if not group:
            continue
        segments = [(e.start, e.end) for e in group]
        dashes = (0, (4, 2)) if bias else "solid"
        if lay.coloured:
            magnitude = np.array([abs(e.value) for e in group]) / norm.vmax
            lc = LineCollection(segments, colors=cmap(norm([e.value for e in group])),
                                linewidths=0.3 + 1.7 * magnitude, linestyles=dashes, zorder=1)
        else:
            lc = LineCollection(segments, colors="#8c96a0", linewidths=0.8,
                                linestyles=dashes, zorder=1)
        ax.add_collection(lc)


def _draw_blocks(ax, lay: Layout) -> None:
    """Unit-to-unit lines, and over them each kind's box with its text (its name bold)."""
    from matplotlib.collections import LineCollection
    from matplotlib.patches import FancyBboxPatch

    if lay.links:
        ax.add_collection(LineCollection(lay.links, colors="#8c96a0", linewidths=0.8,
                                         zorder=1))
    for b in lay.boxes:
        (x, y), w, h = b.centre, b.width, b.height
        ax.add_patch(FancyBboxPatch((x - w / 2, y - h / 2), w, h, boxstyle="round,pad=0,"
                                    "rounding_size=0.08", facecolor=LOOKS[b.kind].fill,
                                    edgecolor="#555555", linewidth=1.0, zorder=2))
        top = y + (len(b.lines) - 1) * BLOCK_PT * BLOCK_SPACING / 72 / 2
        ax.text(x, top, b.lines[0], fontsize=BLOCK_PT + 1, fontweight="bold", ha="center",
                va="center", zorder=4)
        if len(b.lines) > 1:
            ax.text(x, top - BLOCK_PT * BLOCK_SPACING / 72 / 2, "\n".join(b.lines[1:]),
                    fontsize=BLOCK_PT, ha="center", va="top", linespacing=BLOCK_SPACING,
                    zorder=4)


def _draw_skips(ax, lay: Layout) -> None:
    """Each residual connection: a line with an arrow head on its neuron, labelled."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    for d in lay.detours:
        ax.add_patch(FancyArrowPatch(path=Path(d.points), arrowstyle="-|>",
                                     mutation_scale=12, color=SKIP, linewidth=1.4,
                                     zorder=2))
        ax.text(*d.label_at, d.label, fontsize=SKIP_PT, color=SKIP, ha="center",
                va="bottom", zorder=4)


def _write_weights(ax, lay: Layout) -> None:
    for e in lay.edges:
        ax.text(*e.label, e.text, fontsize=EDGE_PT, ha="center", va="center", zorder=5,
                color=NEGATIVE if e.value < 0 else INK,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                      "alpha": 0.9})


def _draw_column(ax, col: Column, place: Place, lay: Layout, stack=None) -> None:
    """Neurons (or the ⋮ of an elided layer) with their notes, or a feature map's stack;
    the bias node, the name."""
    from matplotlib.patches import Circle

    fill = FILL.get(col.name, HIDDEN)
    if stack is not None:
        mapfigure.draw_stack(ax, stack, fill)
    for slot in place.slots if stack is None else ():
        if slot.neuron is None:
            ax.text(*slot.centre, "⋮", fontsize=18, ha="center", va="center", zorder=4)
            continue
        ax.add_patch(Circle(slot.centre, R, facecolor=fill, edgecolor="#333333",
                            linewidth=1.2, zorder=3))
        label = col.labels[slot.neuron]
        ax.text(*slot.centre, label, fontsize=9 if len(label) <= 4 else 7.5, ha="center",
                va="center", zorder=4)
        if col.notes[slot.neuron]:
            ax.text(*slot.note, "\n".join(col.notes[slot.neuron]), fontsize=NOTE_PT,
                    ha="center", va="top", zorder=6, linespacing=1.25,
                    bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#cccccc",
                          "lw": 0.5, "alpha": 0.92})
    if place.bias:
        ax.add_patch(Circle(place.bias, RB, facecolor="#f4f4f4", edgecolor="#777777",
                            linewidth=1.0, zorder=3))
        ax.text(*place.bias, "1", fontsize=8, ha="center", va="center", zorder=4)
    name_y, activation_y = (lay.name_y, lay.activation_y) if stack is None else \
        (stack.name_at[1], stack.name_at[1] - NAME_DROP)  # a map's: under its stack
    ax.text(place.x, name_y, col.name, fontsize=9.5, fontweight="bold", ha="center",
            va="top")
    if col.activation:
        ax.text(place.x, activation_y, col.activation, fontsize=8.5, style="italic",
                color="#444444", ha="center", va="top")


def _draw_colour_bar(fig, lay: Layout, norm, cmap) -> None:
    from matplotlib.cm import ScalarMappable

    bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=fig.add_axes(lay.colour_bar),
                       orientation="horizontal")
    bar.ax.tick_params(labelsize=7)
    bar.set_label("weight (colour); |weight| (line width); bias edges dashed", fontsize=7.5)
