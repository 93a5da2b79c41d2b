"""An unrolled sequence diagram drawn with matplotlib from its Sheet (unrolled.py), which
says where everything goes; this module only says how it looks, in the network
diagram's colours (figure.py, kinds.py). Matplotlib is imported inside the functions."""

from __future__ import annotations

from backprop_cli.output.diagram.kinds import LOOKS
from backprop_cli.output.diagram.pictures import titled_sheet
from backprop_cli.output.diagram.unrolled import (
    BOX_TITLE_PT,
    NUMBER_PT,
    TEXT_PT,
    Sheet,
    arrange,
)

FILL = {"input": "#e6f0fa", "output": "#fcebdc", "dense": "#e9f5e9"}  # as figure.py's
NEGATIVE, INK = "#b2182b", "#1a1a1a"  # negative numbers in red, as the weights
STYLE = {  # a text's style: its font size and other properties
    "title": {"fontsize": BOX_TITLE_PT, "fontweight": "bold"},
    "line": {"fontsize": TEXT_PT},
    "header": {"fontsize": TEXT_PT, "style": "italic", "color": "#333333"},
    "number": {"fontsize": NUMBER_PT},
    "note": {"fontsize": TEXT_PT - 0.5, "style": "italic", "color": "#555555"},
    "name": {"fontsize": TEXT_PT, "color": "#444444"},
    "name-bold": {"fontsize": TEXT_PT + 1.5, "fontweight": "bold"},
    "marker": {"fontsize": 14},
}


def sequence_figure(net):
    """The unrolled diagram as a matplotlib Figure, sized in inches to what it holds."""
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    sheet: Sheet = arrange(net)
    fig, ax = titled_sheet(net.title, net.subtitle, sheet.width, sheet.height,
                           sheet.title_y, sheet.subtitle_y)  # one data unit per inch
    for r in sheet.rects:
        fill = FILL.get(r.kind) or LOOKS[r.kind].fill
        ax.add_patch(FancyBboxPatch(r.corner, r.width, r.height,
                                    boxstyle="round,pad=0,rounding_size=0.08",
                                    facecolor=fill, edgecolor="#555555", linewidth=1.0,
                                    zorder=2))
    for start, end in sheet.arrows:
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11,
                                     color="#5a6470", linewidth=1.1, shrinkA=0, shrinkB=0,
                                     zorder=1))
    for t in sheet.texts:
        colour = NEGATIVE if t.style == "number" and t.text.startswith("-") else INK
        ax.text(*t.at, t.text, ha=t.ha, va="center", zorder=4,
                **{"color": colour, **STYLE[t.style]})
    return fig
