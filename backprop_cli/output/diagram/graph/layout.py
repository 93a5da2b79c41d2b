"""Where everything of a computational graph's picture goes: pure geometry in inches, with
no matplotlib (figure.py draws a GraphLayout as is), as layout.py is for networks.

Operations sit in columns by longest path from the inputs, each input just left of its
first use; an edge that spans columns bends through a waypoint in each column, so that it
passes between circles. Every text has a box (texts.py): its extent estimated from its
characters and a clearance. The texts with a place of their own come first (the inputs'
names left of their points, the output's right of its arrow, each gate in its circle);
then each node's name goes beside its circle and each edge's value above its line and
gradient below, each where its box meets no other box, no circle and no line. A vector's
or matrix's rows (shown.py) make a box of several lines: the rows of the grid are as far
apart as the tallest value over the tallest gradient needs. When a label finds no such
place, the columns it spans (and a little, the rows) are spread wider and the placement
starts again. A column of inputs only has no circles to keep apart: each input sits level
with the mean of its uses. A picture beyond MAX_INCHES is then scaled down as a whole,
fonts too, so what did not meet still does not.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from backprop_cli.engine.graph.program import Graph, Node
from backprop_cli.output.diagram.graph import shown, space
from backprop_cli.output.diagram.graph.order import order
from backprop_cli.output.diagram.graph.shown import Label
from backprop_cli.output.diagram.graph.texts import (
    LABEL_PT,
    NAME_PT,
    NODE_PT,
    Point,
    Text,
    gate_points,
    half,
    text,
    width,
)

R = 0.24  # the radius of an operation's circle, when its gate is short
MIN_GAP = 1.6  # between columns
INPUT_ROWS = 0.6  # the least distance between inputs in a column of their own, in rows
HEAD = 0.06  # half the size of an arrow's head
GAP = 0.06  # between an input's name and its point, the output's arrow and its name
# where along a stretch of line its labels may go: the middle first, then outwards
SPOTS = tuple(sorted((k / 20 for k in range(2, 19)), key=lambda t: (abs(t - 0.5), t)))
TRIES = 12  # placements tried; a crowded gap grows GROW times each time, the rows less
GROW, ROWS_GROW = 1.25, 1.1
MAX_INCHES = 40.0
MANY = 200  # nodes
MARGIN = 0.15
gate = shown.gate  # what a circle says, where callers have read it


@dataclass(frozen=True)
class Circle:
    centre: Point
    radius: float
    gate: Text


@dataclass(frozen=True)
class GraphLayout:
    width: float  # inches: the axes span the figure one data unit per inch
    height: float
    circles: tuple[Circle, ...]
    arrows: tuple[tuple[Point, ...], ...]  # each line, ending at the point of its arrow
    texts: tuple[Text, ...]  # every text but the gates
    scale: float  # 1, or less where the picture was shrunk to MAX_INCHES (fonts too)


def circled(node: Node) -> tuple[str, float, float]:
    """(gate, its font size, the circle's radius): of the ways to write the gate
    (shown.gates), the one in the smallest circle, at least R."""
    def radius(string: str) -> float:
        return max(R, math.hypot(*half(string, gate_points(string))) + 0.03)

    best = min(shown.gates(node), key=radius)
    return best, gate_points(best), radius(best)


def arrange(graph: Graph, decimals: int) -> GraphLayout:
    """Everything of the picture placed: see the module's docstring."""
    column, rank, routes = order(graph)
    labels = shown.edge_labels(graph, routes, decimals)
    # widen[c]: how many times its least width the gap left of column c is (the last
    # entry: the output's arrow); the last entry of all, the same for the rows
    widen = [1.0] * (max(column.values()) + 3)
    for attempt in range(TRIES):
        grid = _Grid(graph, column, rank, labels, widen)
        # the last try: a graph of many nodes drawn so large that it would be shrunk
        # below half size anyway is not spread further (each try costs seconds)
        last = attempt == TRIES - 1 or (len(graph.nodes) > MANY
                                        and grid.extent() > 2 * MAX_INCHES)
        placed = grid.place(routes, last)
        if placed is not None:
            return _fitted(*placed)
        for k in grid.crowded:
            widen[k] *= GROW if k != -1 else ROWS_GROW
    raise AssertionError("the last attempt places every label")  # pragma: no cover


class _Grid:
    """One attempt: the columns and rows as far apart as the labels need at least, each
    gap `widen` times that, and everything placed on them."""

    def __init__(self, graph: Graph, column: dict, rank: dict, labels: dict, widen: list):
        self.graph, self.column, self.labels, self.widen = graph, column, labels, widen
        self.gates = {n.name: circled(n) for n in graph.nodes if n.op != "input"}
        self.radius = {p: g[2] for p, g in self.gates.items()}
        shapes = shown.tensors(graph)
        self.names = {n.name: shown.name(n, shapes) for n in graph.nodes}
        self.label_w = max(width(t.text, LABEL_PT, t.mono)
                           for pair in labels.values() for t in pair)
        # a row holds the tallest value above its line and the tallest gradient below
        label_h = max(half(t.text, LABEL_PT, t.mono)[1] for pair in labels.values()
                      for t in pair)
        rmax = [0.0] * (len(widen) - 2)
        names = [0.0] * len(rmax)  # the widest input name in each column
        for p, c in column.items():
            if p in self.radius:
                rmax[c] = max(rmax[c], self.radius[p])
            elif isinstance(p, str):
                names[c] = max(names[c], 2 * half(self.names[p], NAME_PT)[0] + GAP)
        xs = [0.0]
        for c in range(1, len(rmax)):
            xs.append(xs[-1] + widen[c] * max(MIN_GAP, rmax[c - 1] + rmax[c] + self.label_w
                                              + 0.5, rmax[c - 1] + 0.3 + names[c]))
        dy = widen[-1] * max(1.0, 2 * max(rmax) + 0.5, 4 * label_h + 0.3)
        self.where = {p: (xs[c], -rank[p] * dy) for p, c in column.items()}
        self.inputs_beside_their_uses(dy * INPUT_ROWS)
        self.space = space.Space()
        self.last = False
        self.crowded: set[int] = set()  # the entries of widen to grow for the next attempt

    def extent(self) -> float:
        """The larger of the grid's width and height."""
        xs, ys = [p[0] for p in self.where.values()], [p[1] for p in self.where.values()]
        return max(max(xs) - min(xs), max(ys) - min(ys))

    def inputs_beside_their_uses(self, gap: float) -> None:
        """A column of inputs only has no circles to keep apart: each input goes level
        with the mean of its uses, in its order, at least `gap` from the next."""
        uses: dict = {}
        for p in self.column:  # the next point on each edge from an input
            if isinstance(p, tuple) and p[2] == self.column[p[0]] + 1:
                uses.setdefault(p[0], []).append(self.where[p][1])
        for n in self.graph.nodes:
            for a in n.inputs:
                if isinstance(a, str) and self.column[n.name] == self.column[a] + 1:
                    uses.setdefault(a, []).append(self.where[n.name][1])
        columns: dict = {}
        for p, c in self.column.items():
            columns.setdefault(c, []).append(p)
        for points in columns.values():
            if all(isinstance(p, str) and p not in self.radius for p in points):
                points.sort(key=lambda p: -self.where[p][1])  # top down
                ys = space.spaced([-sum(uses[p]) / len(uses[p]) for p in points], gap)
                self.where.update((p, (self.where[p][0], -y)) for p, y in zip(points, ys))

    def place(self, routes: dict, last: bool):
        """(circles, lines, texts), or None when a label found no free place (unless this
        is the last attempt: then each takes the place where it meets the least)."""
        self.last = last
        circles, texts, lines = self.settled(routes)
        for line in lines.values():
            for p, q in zip(line, line[1:]):
                self.space.add_segment(p, q)
            x, y = line[-1]  # the arrow's head
            self.space.add_box((x - HEAD, y - HEAD, x + HEAD, y + HEAD))
        inputs = {self.names[n.name]: n.name for n in self.graph.nodes if n.op == "input"}
        for t in texts:  # a line through a name: then a name meets more than itself
            if self.space.hits(t.box) > 1:
                self.crowded.add(self.column[inputs[t.text]] if t.kind == "input" else -2)
        for n in self.graph.nodes:
            if n.op != "input":
                found = self.choose([t] for t in self.name_spots(n))
                if found is None:
                    c = self.column[n.name]
                    self.crowded.update((c, c + 1, -1))
                texts += found or []
        for key, line in lines.items():
            found = self.choose(self.label_spots(line, self.labels[key]))
            if found is None:
                self.crowded.update([-2] if key == "out" else
                                    [*range(self.column[key[0]] + 1, self.column[key[1]] + 1),
                                     -1])
            texts += found or []
        return None if self.crowded and not last else (circles, list(lines.values()), texts)

    def settled(self, routes: dict) -> tuple[list, list, dict]:
        """What has its place from the grid: the circles, the names of the inputs and of
        the output, and the lines."""
        circles, texts = [], []
        for n in self.graph.nodes:
            x, y = self.where[n.name]
            if n.op == "input":
                written = self.names[n.name]
                texts.append(text(written, "input", (x - GAP - half(written, NAME_PT)[0], y),
                                  NAME_PT))
                self.space.add_box(texts[-1].box)
            else:
                string, points, r = self.gates[n.name]
                circles.append(Circle((x, y), r, text(string, "gate", (x, y), points)))
                self.space.add_circle((x, y), r)
        lines = {}
        for (a, b), route in routes.items():
            start = self.radius.get(a, GAP)
            lines[(a, b)] = space.trimmed([self.where[p] for p in route], start, self.radius[b])
        f = self.graph.output
        (x, y), r = self.where[f], self.radius[f]
        end = x + r + max(0.9, self.label_w + 0.45) * self.widen[-2]
        lines["out"] = ((x + r, y), (end, y))
        texts.append(text(f, "output", (end + GAP + half(f, NAME_PT)[0], y), NAME_PT))
        self.space.add_box(texts[-1].box)
        return circles, texts, lines

    def name_spots(self, n: Node):
        """An operation's name above its circle, else below, else at a corner."""
        (x, y), r = self.where[n.name], self.radius[n.name] + 0.01
        written = self.names[n.name]
        hw, hh = half(written, NODE_PT)
        d = r * math.sqrt(0.5)
        for dx, dy in ((0, r + hh), (0, -r - hh), (-d - hw, d + hh), (d + hw, d + hh),
                       (-d - hw, -d - hh), (d + hw, -d - hh)):
            yield text(written, "node", (x + dx, y + dy), NODE_PT)

    def label_spots(self, line, pair: tuple[Label, Label]):
        """The value above (or left of) a stretch of the line and the gradient below it,
        each box just clear of the line: along the first stretch first."""
        for p, q in zip(line, line[1:]):
            length = math.dist(p, q)
            if length == 0:
                continue
            nx, ny = (p[1] - q[1]) / length, (q[0] - p[0]) / length  # a normal
            if ny < 0 or (ny == 0 and nx > 0):
                nx, ny = -nx, -ny  # pointing up, or left of an upright line
            for t in SPOTS:
                x, y = p[0] + (q[0] - p[0]) * t, p[1] + (q[1] - p[1]) * t
                spot = []
                for label, kind, side in zip(pair, ("value", "gradient"), (1, -1)):
                    hw, hh = half(label.text, LABEL_PT, label.mono)
                    d = side * (abs(nx) * hw + abs(ny) * hh + 0.01)
                    spot.append(text(label.text, kind, (x + nx * d, y + ny * d), LABEL_PT,
                                     label.mono))
                yield spot

    def choose(self, spots) -> list[Text] | None:
        """The first spot whose texts meet nothing placed, now placed; on the last attempt
        the one meeting the least."""
        best, fewest = None, math.inf if self.last else 1  # else: only a free spot will do
        for spot in spots:
            hits = 0
            for t in spot:  # no need to count past the best so far
                hits += self.space.hits(t.box, fewest - hits)
            if hits < fewest:
                best, fewest = spot, hits
            if hits == 0:
                break
        if fewest > 0 and not self.last:
            return None
        for t in best:
            self.space.add_box(t.box)
        return best


def _fitted(circles: list[Circle], arrows: list, texts: list[Text]) -> GraphLayout:
    """The picture moved to start at (MARGIN, MARGIN), its size what it holds, shrunk to
    MAX_INCHES where it is larger."""
    boxes = [t.box for t in texts] + [c.gate.box for c in circles]
    boxes += [(x - r, y - r, x + r, y + r) for (x, y), r in ((c.centre, c.radius)
                                                            for c in circles)]
    boxes += [(x, y, x, y) for line in arrows for x, y in line]
    left, bottom = min(b[0] for b in boxes) - MARGIN, min(b[1] for b in boxes) - MARGIN
    right, top = max(b[2] for b in boxes) + MARGIN, max(b[3] for b in boxes) + MARGIN
    s = min(1.0, MAX_INCHES / (right - left), MAX_INCHES / (top - bottom))

    def at(p: Point) -> Point:
        return (p[0] - left) * s, (p[1] - bottom) * s

    def moved(t: Text) -> Text:
        (x0, y0), (x1, y1) = at(t.box[:2]), at(t.box[2:])
        return replace(t, centre=at(t.centre), points=t.points * s, box=(x0, y0, x1, y1))

    return GraphLayout((right - left) * s, (top - bottom) * s,
                       tuple(Circle(at(c.centre), c.radius * s, moved(c.gate))
                             for c in circles),
                       tuple(tuple(at(p) for p in line) for line in arrows),
                       tuple(moved(t) for t in texts), s)
