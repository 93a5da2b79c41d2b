"""The picture of a computational graph, as lecture slides draw it: inputs on the left,
one circle per operation, the output on the right; each edge carries its forward value
above (green) and, below (red), the gradient that flows back along it (upstream times
local). Where a value is used twice its edges' gradients add up to the input's ∂f/∂.

Matplotlib (the plot extra) is imported only inside draw; pictures.save writes the file
(Agg canvas, the shared style, atomically).
"""

from __future__ import annotations

from backprop_cli.engine.graph import Graph, Node
from backprop_cli.engine.graph_ops import show
from backprop_cli.output.fmt import fixed

VALUE, GRADIENT, INK = "#1a7f37", "#c62828", "#222222"
DX, DY, RADIUS = 2.4, 1.4, 0.32  # column and row spacing, circle radius (data units)
MAX_INCHES = 40
SWEEPS = 4  # passes that order each column by the mean position of its neighbours
LABEL_PT = 8
SPOTS = (0.5, 0.35, 0.65, 0.25, 0.75)  # where along an edge its labels may go, best first
_SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "÷", "**": "^", "neg": "−x", "sqrt": "√",
            "sigmoid": "σ", "abs": "|x|"}


def gate(node: Node) -> str:
    """The label of an operation's circle, a constant folded in: +, ×2, ^2, 1÷, σ."""
    symbol = _SYMBOLS.get(node.op, node.op)
    constants = [show(a) for a in node.inputs if not isinstance(a, str)]
    if not constants:
        return symbol
    if isinstance(node.inputs[0], str) or node.op in ("+", "*"):
        return f"{symbol}{constants[0]}"
    return f"{constants[0]}{symbol}"  # 1 ÷ x, 1 − x


def layout(graph: Graph) -> tuple[dict, dict]:
    """(position of each point, route of each edge). Operations sit in columns by longest
    path from the inputs, each input just left of its first use; an edge that spans
    columns bends through a waypoint in each (so it passes between circles, not through
    them); every column is ordered to keep edges short, centred on y = 0."""
    column: dict = {}
    for n in graph.nodes:  # evaluation order: inputs come before their uses
        column[n.name] = 1 + max((column[a] for a in n.inputs if isinstance(a, str)),
                                 default=-1)
    routes: dict = {}
    for n in graph.nodes:
        for a in dict.fromkeys(a for a in n.inputs if isinstance(a, str)):
            routes[(a, n.name)] = [a, n.name]
    for n in graph.nodes:
        if n.op == "input":
            column[n.name] = min(column[b] for a, b in routes if a == n.name) - 1
    for (a, b), route in routes.items():
        route[1:-1] = [(a, b, c) for c in range(column[a] + 1, column[b])]  # waypoints
        for c, point in enumerate(route[1:-1], column[a] + 1):
            column[point] = c
    before: dict = {p: [] for p in column}
    after: dict = {p: [] for p in column}
    for route in routes.values():
        for p, q in zip(route, route[1:]):
            after[p].append(q)
            before[q].append(p)
    columns: list[list] = [[] for _ in range(max(column.values()) + 1)]
    for p in column:
        columns[column[p]].append(p)
    rank = {p: float(i) for col in columns for i, p in enumerate(col)}
    for sweep in range(SWEEPS):
        forward = sweep % 2 == 0
        for col in (columns[1:] if forward else columns[-2::-1]):
            for p in col:
                near = before[p] if forward else after[p]
                if near:
                    rank[p] = sum(rank[q] for q in near) / len(near)
            col.sort(key=lambda p: rank[p])
            for i, p in enumerate(col):
                rank[p] = float(i) - (len(col) - 1) / 2
    return {p: (column[p] * DX, -rank[p] * DY) for p in column}, routes


def draw(graph: Graph, path: str, decimals: int) -> None:
    """Draw the graph to path (.svg, .png or .pdf), atomically."""
    from backprop_cli.output.diagram.pictures import require_matplotlib, save

    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    where, routes = layout(graph)
    xs, ys = [p[0] for p in where.values()], [p[1] for p in where.values()]
    width = min(MAX_INCHES, 1.4 + (max(xs) - min(xs) + 2 * DX) * 0.75)
    height = min(MAX_INCHES, 1.2 + (max(ys) - min(ys) + DY) * 0.75)
    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(min(xs) - DX * 0.75, max(xs) + DX * 1.1)
    ax.set_ylim(min(ys) - DY * 0.8, max(ys) + DY * 0.8)
    ax.set_axis_off()
    nodes = {n.name: n for n in graph.nodes}
    edges = _Edges(ax, width, height, decimals,
                   [(x, y, RADIUS, RADIUS) for p, (x, y) in where.items() if p in nodes])
    products = {(e.input, e.node): e.product for e in graph.edges}
    for (a, b), route in routes.items():
        start = 0.25 if nodes[a].op == "input" else RADIUS
        edges.draw([where[p] for p in route], nodes[a].value, products[(a, b)], start, RADIUS)
    for n in graph.nodes:
        x, y = where[n.name]
        if n.op == "input":
            ax.text(x, y, n.name, ha="right", va="center", fontsize=11, color=INK)
            continue
        ax.add_patch(Circle((x, y), RADIUS, facecolor="white", edgecolor=INK, linewidth=1.2))
        ax.text(x, y, gate(n), ha="center", va="center", fontsize=10, color=INK)
        ax.text(x, y + RADIUS + 0.06, n.name, ha="center", va="bottom", fontsize=8,
                color="#555555")
    x, y = where[graph.output]
    edges.draw([(x, y), (x + DX * 0.8, y)], graph.value, 1.0, RADIUS, 0.0)
    ax.text(x + DX * 0.85, y, graph.output, ha="left", va="center", fontsize=11, color=INK)
    save(fig, path)


class _Edges:
    """Arrows with their two labels, each pair put where it overlaps least with the
    circles and the labels already drawn."""

    def __init__(self, ax, width: float, height: float, decimals: int, taken: list):
        self.ax, self.decimals, self.taken = ax, decimals, taken
        # data units per inch, to size the labels
        self.per_x = (ax.get_xlim()[1] - ax.get_xlim()[0]) / width
        self.per_y = (ax.get_ylim()[1] - ax.get_ylim()[0]) / height

    def free_spot(self, a, b, texts) -> tuple[float, float]:
        """The point of segment a-b where the labels overlap least with what is drawn."""
        half_w = max(map(len, texts)) * LABEL_PT * 0.3 / 72 * self.per_x
        half_h = 1.3 * LABEL_PT / 72 * self.per_y

        def overlap(x, y):
            return sum(max(0, half_w + w - abs(x - tx)) * max(0, half_h + h - abs(y - ty))
                       for tx, ty, w, h in self.taken)

        spots = [(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t) for t in SPOTS]
        x, y = min(spots, key=lambda spot: overlap(*spot))  # the first, on ties
        self.taken.append((x, y, half_w, half_h))
        return x, y

    def draw(self, points, value: float, gradient: float, gap_start: float, gap_end: float):
        """An arrow along points, its ends kept clear of the circles; the value above and
        the gradient below its first stretch, next to the value's node."""
        from matplotlib.patches import FancyArrowPatch
        from matplotlib.path import Path

        points = [list(p) for p in points]
        for end, nxt, gap in ((0, 1, gap_start), (-1, -2, gap_end)):
            (x0, y0), (x1, y1) = points[end], points[nxt]
            length = ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5
            points[end] = [x0 + (x1 - x0) * gap / length, y0 + (y1 - y0) * gap / length]
        self.ax.add_patch(FancyArrowPatch(path=Path(points), arrowstyle="-|>",
                                          mutation_scale=10, color=INK, linewidth=1,
                                          fill=False))
        texts = fixed(value, self.decimals), fixed(gradient, self.decimals)
        x, y = self.free_spot(points[0], points[1], texts)
        for text, color, above in zip(texts, (VALUE, GRADIENT), (True, False)):
            self.ax.annotate(text, (x, y), xytext=(0, 2 if above else -2),
                             textcoords="offset points", ha="center",
                             va="bottom" if above else "top", fontsize=LABEL_PT, color=color)
