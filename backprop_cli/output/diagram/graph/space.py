"""Plane geometry for placing a graph picture's labels: boxes (left, bottom, right, top),
circles and line segments, and what a box meets among them, looked up through a grid of
cells so that a picture of thousands of nodes checks each label against its neighbours
only. Touching is not meeting: every text's box carries its own clearance."""

from __future__ import annotations

import math
from collections import defaultdict

CELL = 0.5  # inches


def boxes_meet(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def meets_circle(box, centre, radius: float) -> bool:
    """Whether the box comes inside the circle: its nearest point is closer than radius."""
    dx = max(box[0] - centre[0], 0.0, centre[0] - box[2])
    dy = max(box[1] - centre[1], 0.0, centre[1] - box[3])
    return math.hypot(dx, dy) < radius


def crosses(p, q, box) -> bool:
    """Whether segment p-q passes through the box's inside (Liang-Barsky clipping)."""
    t0, t1 = 0.0, 1.0
    for d, low, high, s in ((q[0] - p[0], box[0], box[2], p[0]),
                            (q[1] - p[1], box[1], box[3], p[1])):
        if d == 0:
            if not low < s < high:
                return False
            continue
        a, b = (low - s) / d, (high - s) / d
        t0, t1 = max(t0, min(a, b)), min(t1, max(a, b))
        if t0 >= t1:
            return False
    return True


def spaced(wanted: list[float], gap: float) -> list[float]:
    """Positions in the order given, each at least `gap` after the one before, as close
    to `wanted` as can be (least squares: pool adjacent violators on wanted[i] - i gap)."""
    blocks: list[list[float]] = []  # [sum, count] of runs that share one shifted value
    for i, w in enumerate(wanted):
        blocks.append([w - i * gap, 1])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] > blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    shifted = [total / count for total, count in blocks for _ in range(int(count))]
    return [z + i * gap for i, z in enumerate(shifted)]


def trimmed(points: list, start: float, end: float) -> tuple:
    """The line kept clear of its ends' circles: start and end inches shorter."""
    points = list(points)
    for i, j, gap in ((0, 1, start), (-1, -2, end)):
        (x0, y0), (x1, y1) = points[i], points[j]
        t = gap / math.dist(points[i], points[j])
        points[i] = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t)
    return tuple(points)


class Space:
    """Boxes, circles and segments placed so far, each filed under the cells it covers."""

    def __init__(self):
        self.items: list[tuple] = []
        self.cells: dict = defaultdict(list)

    @staticmethod
    def _cells(box):
        for i in range(math.floor(box[0] / CELL), math.floor(box[2] / CELL) + 1):
            for j in range(math.floor(box[1] / CELL), math.floor(box[3] / CELL) + 1):
                yield i, j

    def _add(self, item, box) -> None:
        self.items.append(item)
        for cell in self._cells(box):
            self.cells[cell].append(len(self.items) - 1)

    def add_box(self, box) -> None:
        self._add(("box", box), box)

    def add_circle(self, centre, radius: float) -> None:
        x, y = centre
        self._add(("circle", centre, radius), (x - radius, y - radius, x + radius, y + radius))

    def add_segment(self, p, q) -> None:
        self._add(("segment", p, q), (min(p[0], q[0]), min(p[1], q[1]),
                                      max(p[0], q[0]), max(p[1], q[1])))

    def hits(self, box, enough: float = math.inf) -> int:
        """How many of the things placed the box meets, counted up to `enough`."""
        near = {k for cell in self._cells(box) for k in self.cells.get(cell, ())}
        count = 0
        if enough <= 0:
            return count
        for k in near:
            count += _meets(self.items[k], box)
            if count >= enough:
                break
        return count


def _meets(item, box) -> bool:
    if item[0] == "box":
        return boxes_meet(item[1], box)
    if item[0] == "circle":
        return meets_circle(box, item[1], item[2])
    return crosses(item[1], item[2], box)
