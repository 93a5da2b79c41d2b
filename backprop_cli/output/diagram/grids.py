"""Where the feature maps of a network diagram go: pure geometry in inches, as in
layout.py (which calls these), no matplotlib.

A feature map is a stack of squares in its column, one a channel (up to STACK_MAX), its
side growing with the map's height and width; its shape C×H×W, the column's name and its
activation are written under it (close to the map rather than at the foot, which is far
below it when neuron columns are tall). Each window picture (maps.py) is a panel: its
title, its grids left to right with a sign between each two and a caption under each,
the lines saying what the output cell is. A grid writes its numbers in its cells while
it stays within NUMBERED inches; a larger one (a 28×28 image) is drawn smaller, its
cells shaded by value and no numbers, so the picture stays legible and bounded. The
panels fill rows in order, as many to a row as the figure's width holds, in a band under
everything else.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_cli.output.diagram.maps import Grid, Picture

Point = tuple[float, float]

# the stacks of the map columns
STACK_MAX = 4  # squares drawn for a map of more channels
STEP = 0.06  # how far each square stands behind the one before it, up and right
SHAPE_PT = 8.0  # the shape under a stack
SHAPE_LINE = SHAPE_PT * 1.3 / 72
NAME_DROP = 0.2  # from the column's name's top to its activation's (as at the foot)
NAMES = 0.42  # the name's and the activation's lines

# the window pictures
CELL_PT = 6.5  # the numbers in cells
CAPTION_PT = 7.5  # a grid's caption
PANEL_PT = 9.0  # a panel's title (bold)
LINES_PT = 8.0  # what the output cell is
LINES_SPACING = 1.35
NUMBERED = 3.2  # the largest side of a grid writing its numbers, inches
SHADED = 1.8  # the side of a larger one (no numbers, cells shaded by value)
PLAIN = 0.3  # the largest cell of a grid without numbers
SIGN = 0.5  # room for the sign between two grids
PAD = 0.2  # inside a panel's frame
GAP = 0.3  # between panels, and under the last row
MARGIN = 0.3  # between a row's panels and the figure's sides


def stack_side(shape) -> float:
    """The side of a map's squares: larger for larger maps, up to 28×28."""
    return 0.35 + 0.35 * min(1.0, max(shape[1:]) / 28)


def stack_reach(shape, text_width) -> tuple[float, float, float]:
    """(half its width, how far it reaches above its centre, and below): a stack of
    squares centred on its column's middle, its shape's line and its column's name and
    activation under it."""
    n = min(shape[0], STACK_MAX)
    half = (stack_side(shape) + (n - 1) * STEP) / 2
    return (max(half, text_width(_shape(shape), SHAPE_PT) / 2 + 0.05), half,
            half + 0.1 + SHAPE_LINE + NAMES)


def _shape(shape) -> str:
    return "×".join(map(str, shape))


@dataclass(frozen=True)
class Stack:
    """A feature map, placed: its squares' lower left corners back to front (the front
    one holds its label), their side, the shape written under them, then the column's
    name and its activation (NAME_DROP lower)."""

    corners: tuple[Point, ...]
    side: float
    label: str
    label_at: Point  # the front square's centre
    shape: str
    shape_at: Point  # the shape's top centre
    name_at: Point  # the column name's top centre


def stack(shape, label: str, centre: Point) -> Stack:
    n = min(shape[0], STACK_MAX)
    side = stack_side(shape)
    half = (side + (n - 1) * STEP) / 2
    x0, y0 = centre[0] - half, centre[1] - half  # the front square's lower left
    corners = tuple((x0 + k * STEP, y0 + k * STEP) for k in reversed(range(n)))
    return Stack(corners, side, label, (x0 + side / 2, y0 + side / 2), _shape(shape),
                 (centre[0], y0 - 0.05), (centre[0], y0 - 0.1 - SHAPE_LINE))


@dataclass(frozen=True)
class Cells:
    """A grid, placed: rows × cols cells of side `cell` from its lower left corner,
    numbers written in them or not (then shaded by value, when it has values)."""

    grid: Grid
    origin: Point
    cell: float
    numbered: bool
    caption_at: Point  # the caption's top centre

    def box(self, row: int, col: int, rows: int = 1, cols: int = 1):
        """(x, y, width, height) of the cells from (row, col), rows × cols of them; row 0
        is the top row."""
        x = self.origin[0] + col * self.cell
        y = self.origin[1] + (self.grid.rows - row - rows) * self.cell
        return x, y, cols * self.cell, rows * self.cell

    def centre(self, row: int, col: int) -> Point:
        x, y, w, h = self.box(row, col)
        return x + w / 2, y + h / 2


@dataclass(frozen=True)
class Panel:
    """A window picture, placed: its frame (x, y, width, height), its title's top
    centre, its grids, the sign between each two (centres), its lines' top left."""

    picture: Picture
    frame: tuple[float, float, float, float]
    title_at: Point
    cells: tuple[Cells, ...]
    signs: tuple[Point, ...]
    lines_at: Point


@dataclass(frozen=True)
class _Size:
    """A panel measured: each grid's cell and whether it writes its numbers, each grid's
    slot width (the caption may be wider than the grid), the panel's width and height."""

    picture: Picture
    cells: tuple[float, ...]
    numbered: tuple[bool, ...]
    slots: tuple[float, ...]
    width: float
    height: float


def _cell(grid: Grid, text_width) -> tuple[float, bool]:
    """(the cell's side, whether the numbers are written)."""
    most = max(grid.rows, grid.cols)
    if grid.texts is not None:
        widest = max(text_width(t, CELL_PT) for row in grid.texts for t in row)
        cell = max(PLAIN, widest + 0.1)
        if most * cell <= NUMBERED:
            return cell, True
    return min(PLAIN, SHADED / most), False


def _heights(picture: Picture, size_cells) -> tuple[float, float, float]:
    """(title, grid row, lines) heights of a panel."""
    grid_row = max(g.rows * c for g, c in zip(picture.grids, size_cells))
    return PANEL_PT * 1.3 / 72, grid_row, len(picture.lines) * LINES_PT * LINES_SPACING / 72


def measure(picture: Picture, text_width) -> _Size:
    cells, numbered = zip(*(_cell(g, text_width) for g in picture.grids))
    slots = tuple(max(g.cols * c, text_width(g.caption, CAPTION_PT))
                  for g, c in zip(picture.grids, cells))
    row = sum(slots) + SIGN * (len(slots) - 1)
    width = 2 * PAD + max([row, text_width(picture.title, PANEL_PT) * 1.1] +
                          [text_width(s, LINES_PT) for s in picture.lines])
    title, grid_row, lines = _heights(picture, cells)
    height = 2 * PAD + title + 0.15 + grid_row + 0.06 + CAPTION_PT * 1.3 / 72 + 0.12 + lines
    return _Size(picture, cells, numbered, slots, width, height)


def widest(sizes) -> float:
    """The widest panel's width."""
    return max((s.width for s in sizes), default=0.0)


def rows(sizes, span: float) -> list[list[_Size]]:
    """The panels in order, as many to a row as fit `span` inches (one at least)."""
    packed, row = [], []
    for s in sizes:
        if row and sum(p.width for p in row) + GAP * len(row) + s.width > span:
            packed.append(row)
            row = []
        row.append(s)
    return packed + [row] if row else packed


def height(packed) -> float:
    """The rows' height, GAP between them."""
    return sum(max(p.height for p in r) for r in packed) + GAP * max(len(packed) - 1, 0)


def _panel(s: _Size, x0: float, top: float) -> Panel:
    """A measured panel with its frame's top left corner at (x0, top)."""
    title, grid_row, _ = _heights(s.picture, s.cells)
    y = top - PAD - title - 0.15  # the grid row's top
    middle = y - grid_row / 2
    row = sum(s.slots) + SIGN * (len(s.slots) - 1)
    x = x0 + (s.width - row) / 2
    caption = y - grid_row - 0.06
    placed, signs = [], []
    for k, (g, cell, numbered, slot) in enumerate(zip(s.picture.grids, s.cells, s.numbered,
                                                      s.slots)):
        if k:
            signs.append((x + SIGN / 2, middle))
            x += SIGN
        origin = (x + (slot - g.cols * cell) / 2, middle - g.rows * cell / 2)
        placed.append(Cells(g, origin, cell, numbered, (x + slot / 2, caption)))
        x += slot
    lines_at = (x0 + PAD, caption - CAPTION_PT * 1.3 / 72 - 0.12)
    return Panel(s.picture, (x0, top - s.height, s.width, s.height),
                 (x0 + s.width / 2, top - PAD), tuple(placed), tuple(signs), lines_at)


def place(packed, left: float, right: float, top: float) -> tuple[Panel, ...]:
    """The rows of panels from `top` down, each row centred between left and right."""
    panels = []
    for r in packed:
        x = (left + right - sum(p.width for p in r) - GAP * (len(r) - 1)) / 2
        for s in r:
            panels.append(_panel(s, x, top))
            x += s.width + GAP
        top -= max(p.height for p in r) + GAP
    return tuple(panels)
