"""Where a network diagram's blocks and residual skips go: pure geometry in inches, as in
layout.py (which calls these), no matplotlib.

A layer of another kind (batch norm, layer norm, dropout) keeps its input's width: its
column's unit j is fed by unit j of the column before, through one line each, and a box
with the kind's text stands across those lines halfway between the two columns. A
convolution or a pool links one feature map to the next by one line under its box; a
flatten fans from its map to each unit shown. A residual connection h_k -> a_l is an
arrow from column k's top neuron up to a lane above everything, along it, and down into
column l's top neuron, labelled on the lane.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Point = tuple[float, float]  # as layout.py's, which imports this module

BLOCK_PT = 8.0  # the blocks' text (figure.py draws it with linespacing BLOCK_SPACING)
BLOCK_SPACING = 1.3
BLOCK_LINE = BLOCK_PT * BLOCK_SPACING / 72
PAD = 0.1  # around a block's text, inside its box
SKIP_PT = 8.5  # a skip's label
LANE, LANE_GAP = 0.35, 0.4  # the first lane above the top of everything, between lanes
INSET = 0.45  # a skip leaves its column this far right of it and enters this far left


@dataclass(frozen=True)
class Box:
    """A kind's block, placed: its text's lines centred in a box of width by height."""

    kind: str
    lines: tuple[str, ...]
    centre: Point
    width: float
    height: float


@dataclass(frozen=True)
class Detour:
    """A residual connection, placed: a polyline ending in an arrow head on column l's
    top neuron, and its label's bottom centre (above the lane)."""

    points: tuple[Point, ...]
    label: str
    label_at: Point


def block_size(lines, text_width) -> tuple[float, float]:
    """(width, height) of a block holding these lines of text (text_width: layout's)."""
    width = max(text_width(s, BLOCK_PT) for s in lines) + 2 * PAD
    return width, len(lines) * BLOCK_LINE + 2 * PAD


def block_gap(width: float, hw_left: float, hw_right: float) -> float:
    """The distance between two columns with a block of this width centred between them,
    clear of each column's neurons and notes (half widths hw_left, hw_right)."""
    return width + 2 * max(hw_left, hw_right) + 0.3


def links(grid, c: int, fan: bool = False) -> tuple[tuple[Point, Point], ...]:
    """Unit to unit from column c to column c + 1 (the same slots: the same width); with
    fan (a flatten), from column c's one map to each unit of column c + 1."""
    if fan:
        return tuple((grid.at(c, 0), grid.at(c + 1, k))
                     for k, j in enumerate(grid.slots[c + 1]) if j is not None)
    return tuple((grid.at(c, k), grid.at(c + 1, k))
                 for k, j in enumerate(grid.slots[c]) if j is not None)


def box(block, grid, c: int, size: tuple[float, float]) -> Box:
    """The block of the layer between columns c and c + 1, of size (width, height),
    centred on the columns' shared middle."""
    centre = ((grid.xs[c] + grid.xs[c + 1]) / 2, grid.base)
    return Box(block.kind, block.lines, centre, *size)


def _towards(centre: Point, point: Point, r: float) -> Point:
    """The point on the circle of radius r about centre in the direction of point."""
    dx, dy = point[0] - centre[0], point[1] - centre[1]
    d = math.hypot(dx, dy)
    return centre[0] + r * dx / d, centre[1] + r * dy / d


def detours(skips, grid, lane: float, r: float) -> tuple[Detour, ...]:
    """Each skip along its own lane, the first `lane` above the middle (the grid's y),
    the next LANE_GAP above it."""
    placed = []
    for i, skip in enumerate(skips):
        y = grid.base + lane + i * LANE_GAP
        source, target = grid.at(skip.source, 0), grid.at(skip.target, 0)
        up = (source[0] + INSET, y)
        down = (target[0] - INSET, y)
        points = (_towards(source, up, r), up, down, _towards(target, down, r))
        placed.append(Detour(points, skip.label, ((up[0] + down[0]) / 2, y + 0.04)))
    return tuple(placed)


def lanes_height(skips) -> float:
    """How far the skips' lanes and labels reach above the top of everything."""
    if not skips:
        return 0.0
    return LANE + (len(skips) - 1) * LANE_GAP + 0.04 + SKIP_PT * 1.2 / 72
