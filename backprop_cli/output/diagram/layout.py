"""Where everything of a network diagram goes: pure geometry, in inches, with no matplotlib
(it can be computed and tested without the plot extra). figure.py draws a Layout as is.

Lengths are inches and points are (x, y) in inches from the figure's bottom left, since
the drawing's axes span the figure one data unit per inch. Text widths are estimated from
the number of characters: the layout never asks a renderer. The blocks of the layer
kinds and the residual connections' arrows are placed by blocks.py, the feature maps'
stacks and the window pictures under the network by grids.py, called from here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from backprop_cli.output.diagram import blocks, grids
from backprop_cli.output.diagram.blocks import Box, Detour
from backprop_cli.output.diagram.grids import Panel, Stack
from backprop_cli.output.diagram.model import Network
from backprop_cli.output.fmt import fixed as number

MAX_SHOWN = 12  # neurons drawn per layer; larger layers show the first few, ⋮, the last
HEAD = 9  # how many come first in an elided layer
SMALL = 6  # edge weights are written out when no layer has more neurons than this
R, RB = 0.25, 0.15  # neuron and bias-node radius
NOTE_PT, EDGE_PT = 7.0, 7.0  # font sizes of the notes and edge labels
TITLE_PT, SUBTITLE_PT = 13, 9
LINE = NOTE_PT * 1.25 / 72  # a line of notes (figure.py draws them with linespacing 1.25)

Point = tuple[float, float]


@dataclass(frozen=True)
class Slot:
    """A place in a column: a neuron, or the ⋮ standing for the neurons left out."""

    centre: Point
    neuron: int | None  # the neuron's index in its layer; None for the ⋮
    note: Point  # the top centre of the notes under the neuron


@dataclass(frozen=True)
class Place:
    """Where a column goes: its centre line, its slots top to bottom, its bias node."""

    x: float
    slots: tuple[Slot, ...]
    bias: Point | None  # the node '1' feeding the next column, when it has one


@dataclass(frozen=True)
class Edge:
    start: Point
    end: Point
    value: float  # the weight (or bias)
    bias: bool  # from a bias node
    label: Point  # the centre of the weight's label, when weights are written
    text: str  # the weight as written, and as measured for the gaps


@dataclass(frozen=True)
class Layout:
    """Everything figure.py needs to draw a Network, placed."""

    width: float
    height: float
    columns: tuple[Place, ...]
    edges: tuple[Edge, ...]  # per target, its sources then its bias (labels in this order)
    labelled: bool  # weights written on the edges
    coloured: bool  # weights as colour and line width (too many edges to write)
    title_y: float  # centres of the title and subtitle, figure fraction (x = 0.5)
    subtitle_y: float
    name_y: float  # tops of each column's name and activation, under the lowest neuron
    activation_y: float
    # The colour bar's axes when weights are coloured: left, bottom, width, height as
    # figure fractions (matplotlib's add_axes), like title_y.
    colour_bar: tuple[float, float, float, float] | None
    boxes: tuple[Box, ...] = ()  # the blocks of the layers of other kinds (blocks.py)
    links: tuple[tuple[Point, Point], ...] = ()  # unit to unit through the blocks
    detours: tuple[Detour, ...] = ()  # the residual connections
    stacks: tuple[Stack | None, ...] = ()  # per column, its feature map's (None: neurons)
    panels: tuple[Panel, ...] = ()  # the window pictures, under the network


def shown(n: int) -> list:
    """The neurons drawn for a layer of n: all up to MAX_SHOWN, else the first HEAD, None
    (the ⋮) and the last."""
    return list(range(n)) if n <= MAX_SHOWN else list(range(HEAD)) + [None, n - 1]


# DejaVu Sans characters wider than 0.62 em (most are narrower; digits are 0.64)
_WIDE = {**dict.fromkeys("mMW", 1.0), **dict.fromkeys("w+×÷−^=<>~", 0.84),
         **dict.fromkeys("ABCDGHKNOQRUVXZ", 0.8)}


def text_width(text: str, points: float) -> float:
    """The width of a line of text in inches, from its characters: 0.62 em each, more for
    the wide ones (W, m, +, capitals); no renderer is asked."""
    return sum(_WIDE.get(ch, 0.62) for ch in text) * points / 72


@dataclass(frozen=True)
class _Sizes:
    """What the spacing depends on: slots per column, bias nodes, the room text needs."""

    sizes: list[int]
    slots: list[list]
    has_bias: list[bool]  # column c has a bias node (feeding column c + 1)
    labelled: bool
    note_lines: int  # the most lines under any neuron
    note_hw: list[float]  # per column, half the width of its widest note (or of its map)
    edge_hw: float  # half the width of the widest edge label (0 when not labelled)
    blocks: list  # per gap k (column k to k + 1): its block's (width, height), or None
    reach: list  # per column, its map's (above, below) its middle, or None: neurons


def _measure(net: Network, decimals: int) -> _Sizes:
    cols = net.columns
    sizes = [len(c.labels) for c in cols]
    labelled = net.values and max(sizes) <= SMALL
    has_bias = [k + 1 < len(cols) and net.biases[k] is not None for k in range(len(cols))]
    note_lines = max((len(n) for c in cols for n in c.notes), default=0)
    note_hw = [max((text_width(s, NOTE_PT) / 2 + 0.05 for n in c.notes for s in n), default=0)
               for c in cols]
    reach = [None] * len(cols)
    for c, col in enumerate(cols):
        if col.map is not None:
            note_hw[c], *above_below = grids.stack_reach(col.map, text_width)
            reach[c] = tuple(above_below)
    edge_hw = 0.0
    texts = [number(v, decimals) for k, W in enumerate(net.weights) if W is not None
             for v in list(W.ravel()) + list(net.biases[k] if has_bias[k] else [])] \
        if labelled else []
    if texts:
        edge_hw = max(text_width(t, EDGE_PT) for t in texts) / 2 + 0.05
    slots = [shown(n) for n in sizes]
    sized = []
    for k in range(len(cols) - 1):
        block = net.block(k + 1)
        if block is not None:  # as tall as the columns' neurons at least
            width, height = blocks.block_size(block.lines, text_width)
            block = (width, max(height, (len(slots[k]) - 1) * _spacing(note_lines, labelled,
                                                                        sizes) + 2 * R))
        sized.append(block)
    return _Sizes(sizes, slots, has_bias, labelled, note_lines, note_hw, edge_hw, sized, reach)


def _gaps(m: _Sizes) -> list[float]:
    """The horizontal distance between each pair of neighbouring columns."""
    gaps = []
    for k in range(len(m.sizes) - 1):
        g = max(1.7, 0.25 * max(len(m.slots[k]), len(m.slots[k + 1])),
                m.note_hw[k] + m.note_hw[k + 1] + 0.5)
        if m.blocks[k]:  # no weights here: the block between the columns and their notes
            g = max(g, blocks.block_gap(m.blocks[k][0], max(m.note_hw[k], R),
                                        max(m.note_hw[k + 1], R)))
        elif m.labelled:  # the labels sit at s of the way along (see _edges): room both sides
            s = 1 / (m.sizes[k + 1] + 1)
            g = max(g, (max(m.note_hw[k], R) + m.edge_hw + 0.05) / s,
                    (m.note_hw[k + 1] + m.edge_hw + 0.05) / (1 - s))
        gaps.append(g)
    return gaps


def _across(net: Network, m: _Sizes, least: float = 0.0) -> tuple[list[float], float]:
    """(each column's x, the figure's width): the columns centred, the title fitting, at
    least `least` wide (the window pictures')."""
    xs = [0.0]
    for g in _gaps(m):
        xs.append(xs[-1] + g)
    left = 0.45 + max(m.note_hw[0], R)
    right = 0.45 + max(m.note_hw[-1], R)
    width = max(left + xs[-1] + right, 4.0, text_width(net.title, TITLE_PT) * 1.1 + 0.6,
                text_width(net.subtitle, SUBTITLE_PT) + 0.6, least)
    shift = (width - xs[-1]) / 2
    return [x + shift for x in xs], width


@dataclass(frozen=True)
class _Grid:
    """Slot k of column c at (xs[c], base + its height above the middle); k = -1 is the
    bias node."""

    xs: list[float]
    slots: list[list]
    d: float  # the distance between neighbouring neurons
    bias_row: float
    base: float = 0.0

    def y(self, c: int, k: int) -> float:
        return self.bias_row if k == -1 else ((len(self.slots[c]) - 1) / 2 - k) * self.d

    def at(self, c: int, k: int) -> Point:
        return self.xs[c], self.base + self.y(c, k)


def _spacing(note_lines: int, labelled: bool, sizes: list[int]) -> float:
    """d, the distance between neighbouring neurons: room for their notes and, with
    written weights, for a label every d / (n + 1) along a column (see _edges)."""
    d = 0.62 if not note_lines else 2 * R + note_lines * LINE + 0.2
    return max(d, (max(sizes) + 1) * 0.17) if labelled else d


def _grid(m: _Sizes, xs: list[float]) -> _Grid:
    """The rows, relative to the middle (base 0 until the figure's height is known)."""
    d = _spacing(m.note_lines, m.labelled, m.sizes)
    # Bias nodes share a row, at least a slot above every column: their labels then stay
    # above the labels of the other edges.
    columns = range(len(m.sizes))
    bias_row = max((len(m.slots[c]) + 1) / 2 * d for c in columns if m.has_bias[c]) \
        if any(m.has_bias) else 0.0
    return _Grid(xs, m.slots, d, bias_row)


def _edges(net: Network, m: _Sizes, grid: _Grid, decimals: int) -> tuple[Edge, ...]:
    """Every edge drawn, with its label's place: at s = 1/(n + 1) of the way from the
    source, with n targets, the labels of all the edges between two columns fall on one
    vertical line, d / (n + 1) apart."""
    edges = []
    for k, W in enumerate(net.weights):
        if W is None:  # a layer of another kind: its block's links instead
            continue
        targets = [(t, j) for t, j in enumerate(m.slots[k + 1]) if j is not None]
        sources = [(s, i) for s, i in enumerate(m.slots[k]) if i is not None]
        s = 1 / (len(m.slots[k + 1]) + 1)
        for t, j in targets:
            ends = [(grid.at(k, a), float(W[j, i]), False) for a, i in sources]
            if m.has_bias[k]:
                ends.append((grid.at(k, -1), float(net.biases[k][j]), True))
            for (x0, y0), v, bias in ends:
                (x1, y1) = grid.at(k + 1, t)
                label = (x0 + s * (x1 - x0), y0 + s * (y1 - y0))
                edges.append(Edge((x0, y0), (x1, y1), v, bias, label, number(v, decimals)))
    return tuple(edges)


def _place(net: Network, m: _Sizes, grid: _Grid, c: int) -> Place:
    slots = []
    for k, j in enumerate(m.slots[c]):
        x, y = grid.at(c, k)
        slots.append(Slot((x, y), j, (x, y - R - 0.05)))
    return Place(grid.xs[c], tuple(slots), grid.at(c, -1) if m.has_bias[c] else None)


def arrange(net: Network, decimals: int = 4) -> Layout:
    """Where everything goes: the neurons d apart in centred columns (a feature map's
    stack in its column's middle), the blocks of other kinds between theirs, the skips'
    lanes above, the window pictures in rows under it all, the figure sized in inches to
    what it holds (notes, edge labels, title, pictures), the layer names at the foot."""
    m = _measure(net, decimals)
    sizes = [grids.measure(p, text_width) for p in net.pictures]
    xs, width = _across(net, m, grids.widest(sizes) + 2 * grids.MARGIN if sizes else 0.0)
    grid = _grid(m, xs)
    columns = range(len(m.sizes))
    notes = m.note_lines * LINE + 0.12 if m.note_lines else 0
    half = max((b[1] / 2 for b in m.blocks if b), default=0.0)  # the tallest block
    top = max([grid.y(c, -1 if m.has_bias[c] else 0) + R for c in columns] + [half] +
              [r[0] for r in m.reach if r])
    bottom = min([grid.y(c, len(m.slots[c]) - 1) - R - notes for c in columns] + [-half] +
                 [-r[1] for r in m.reach if r])
    lane = top + blocks.LANE  # the skips' lanes go above everything else
    top += blocks.lanes_height(net.skips)
    coloured = net.values and not m.labelled
    packed = grids.rows(sizes, width - 2 * grids.MARGIN)
    band = grids.height(packed) + 2 * grids.GAP if packed else 0.0  # the pictures, bottom
    names = 0.65 if any(c.map is None for c in net.columns) else 0.1  # maps: under each
    foot = band + names + (0.75 if coloured else 0)  # the layer names, and the colour bar
    height = 0.95 + (top - bottom) + foot
    grid = replace(grid, base=foot + 0.1 - bottom)
    bar = ((width / 2 - 1.6) / width, (band + 0.42) / height, 3.2 / width, 0.13 / height)
    kinds = [k for k, b in enumerate(m.blocks) if b]
    fan = [net.columns[k].map is not None and net.columns[k + 1].map is None
           for k in range(len(net.columns) - 1)]  # flatten: the map to each unit
    return Layout(width, height, tuple(_place(net, m, grid, c) for c in columns),
                  _edges(net, m, grid, decimals), m.labelled, coloured,
                  1 - 0.3 / height, 1 - 0.58 / height, foot - 0.05, foot - 0.05 - 0.2,
                  bar if coloured else None,
                  tuple(blocks.box(net.block(k + 1), grid, k, m.blocks[k]) for k in kinds),
                  tuple(link for k in kinds for link in blocks.links(grid, k, fan[k])),
                  blocks.detours(net.skips, grid, lane, R),
                  tuple(grids.stack(col.map, col.labels[0], grid.at(c, 0))
                        if col.map is not None else None for c, col in enumerate(net.columns)),
                  grids.place(packed, grids.MARGIN, width - grids.MARGIN, band - grids.GAP))
