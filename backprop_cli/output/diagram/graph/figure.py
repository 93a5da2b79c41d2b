"""The picture of a computational graph, as lecture slides draw it: inputs on the left,
one circle per operation, the output on the right; each edge carries its forward value
above (green) and, below (red), the gradient that flows back along it (upstream times
local). Where a value is used twice its edges' gradients add up to the input's ∂f/∂. A
vector's or matrix's rows are set in a monospaced font (DejaVu Sans Mono, which matplotlib
ships), so that its columns line up.

layout.py places everything, in inches; this module draws it as placed. Matplotlib
(the plot extra) is imported only inside these functions; pictures.save writes the file
(Agg canvas, the shared style, atomically).
"""

from __future__ import annotations

from backprop_cli.engine.graph.program import Graph
from backprop_cli.output.diagram.graph.layout import GraphLayout, arrange

COLOURS = {"value": "#1a7f37", "gradient": "#c62828", "input": "#222222",
           "output": "#222222", "gate": "#222222", "node": "#555555"}
INK = "#222222"


def figure(lay: GraphLayout):
    """A matplotlib Figure of the layout: one data unit per inch of the figure."""
    from backprop_cli.output.diagram.pictures import require_matplotlib

    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle, FancyArrowPatch
    from matplotlib.path import Path

    fig = Figure(figsize=(lay.width, lay.height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, lay.width)
    ax.set_ylim(0, lay.height)
    ax.set_axis_off()
    for line in lay.arrows:
        ax.add_patch(FancyArrowPatch(path=Path(line), arrowstyle="-|>",
                                     mutation_scale=10 * lay.scale, color=INK,
                                     linewidth=lay.scale, fill=False))
    for c in lay.circles:
        ax.add_patch(Circle(c.centre, c.radius, facecolor="white", edgecolor=INK,
                            linewidth=1.2 * lay.scale))
    for t in (*lay.texts, *(c.gate for c in lay.circles)):
        ax.text(*t.centre, t.text, ha="center", va="center", fontsize=t.points,
                color=COLOURS[t.kind], **({"family": "monospace"} if t.mono else {}))
    return fig


def draw(graph: Graph, path: str, decimals: int) -> None:
    """Draw the graph to path (.svg, .png or .pdf), atomically."""
    from backprop_cli.output.diagram.pictures import save

    save(figure(arrange(graph, decimals)), path)
