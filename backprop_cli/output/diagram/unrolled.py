"""Where everything of an unrolled sequence diagram (sequences.py) goes: pure geometry in
inches, no matplotlib, as layout.py is for the network diagram (its text widths too).

The steps are columns, left to right, each as wide as the widest box of any row; the
rows are the layers, bottom to top, each as tall as its tallest box (the cell's row also
as tall as the states written beside it), every box of a row the same size. Between two
cells (and before the first, after the last) a gap holds each state's lane, top to
bottom: its numbers, then its arrow from cell to cell. An arrow goes up from each box to
the box above it at the same step. Past the steps shown, a narrow column of ⋯. The
rows' names on the left, the title and subtitle on top. Every text is placed here (its
point, size and style); seqfigure.py only draws.
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_cli.output.diagram.layout import SUBTITLE_PT, TITLE_PT, text_width
from backprop_cli.output.diagram.sequences import Box, Table, Unrolled

Point = tuple[float, float]

TEXT_PT = 7.5  # a box's lines, a table's headers and notes, the rows' names
NUMBER_PT = 7.0  # a table's numbers
BOX_TITLE_PT = 8.5  # bold
SPACING = 1.3
PAD = 0.1  # inside a box
COLUMN_GAP = 0.1  # between a table's columns
TABLE_GAP = 0.1  # above each table in a box or a gap
ROW_GAP = 0.45  # between rows: the arrows up
STUB = 0.22  # the least arrow on each side of a state's numbers
LANE_DROP = 0.1  # from a state's numbers down to its arrow
MARKER = 0.5  # the ⋯ column's width
SEP = 0.3  # between the boxes of the rows other than the cells'
MARGIN = 0.35
NAME_GAP = 0.35  # from the rows' names to the first gap
HEAD = 0.95  # the title and subtitle


def line(points: float) -> float:
    return points * SPACING / 72


@dataclass(frozen=True)
class Text:
    at: Point
    text: str
    style: str  # title (a box's), line, header, number, note, name, name-bold, marker
    ha: str = "center"  # left, center or right of `at`; vertically always its centre


@dataclass(frozen=True)
class Rect:
    kind: str  # the box's, for its colour
    corner: Point  # lower left
    width: float
    height: float


@dataclass(frozen=True)
class Sheet:
    """An Unrolled diagram placed: the figure's size, its boxes, its arrows (start, end),
    every text; the title's and subtitle's centres as figure fractions (x = 0.5)."""

    width: float
    height: float
    rects: tuple[Rect, ...]
    arrows: tuple[tuple[Point, Point], ...]
    texts: tuple[Text, ...]
    title_y: float
    subtitle_y: float


def table_size(t: Table) -> tuple[float, float, list[float]]:
    """(width, height, each column's width) of a table."""
    widths = [max([text_width(h, TEXT_PT)] + [text_width(s, NUMBER_PT) for s in col])
              for h, col in zip(t.headers, t.columns)]
    width = max(sum(widths) + COLUMN_GAP * (len(widths) - 1),
                text_width(t.note, TEXT_PT) if t.note else 0.0)
    width = max(width, text_width(t.caption, TEXT_PT) if t.caption else 0.0)
    rows = len(t.columns[0]) * line(NUMBER_PT) + (line(TEXT_PT) if any(t.headers) else 0)
    texts = (t.note != "") + (t.caption != "")
    return width, rows + texts * line(TEXT_PT), widths


def tables_size(tables) -> tuple[float, float]:
    """A stack of tables, TABLE_GAP above each."""
    sizes = [table_size(t) for t in tables]
    return max((s[0] for s in sizes), default=0.0), sum(s[1] + TABLE_GAP for s in sizes)


def box_size(box: Box) -> tuple[float, float]:
    w, h = tables_size(box.tables)
    width = max([text_width(box.title, BOX_TITLE_PT) * 1.05, w] +
                [text_width(s, TEXT_PT) for s in box.lines])
    return width + 2 * PAD, 2 * PAD + line(BOX_TITLE_PT) + len(box.lines) * line(TEXT_PT) + h


def place_tables(tables, centre_x: float, top: float) -> list[Text]:
    """The texts of a stack of tables centred on centre_x from `top` down: headers
    centred on their columns, numbers right-aligned in them, a note centred under."""
    texts = []
    for t in tables:
        width, height, widths = table_size(t)
        top -= TABLE_GAP
        y = top
        x = centre_x - (sum(widths) + COLUMN_GAP * (len(widths) - 1)) / 2
        if t.caption:
            y -= line(TEXT_PT)
            texts.append(Text((centre_x, y + line(TEXT_PT) / 2), t.caption, "header"))
        if any(t.headers):
            y -= line(TEXT_PT)
            texts += [Text((x + sum(widths[:j]) + COLUMN_GAP * j + w / 2,
                            y + line(TEXT_PT) / 2), h, "header")
                      for j, (h, w) in enumerate(zip(t.headers, widths)) if h]
        for i in range(len(t.columns[0])):
            y -= line(NUMBER_PT)
            for j, (col, w) in enumerate(zip(t.columns, widths)):
                right = x + sum(widths[:j]) + COLUMN_GAP * j + w
                marker = col[i] == "⋮"
                texts.append(Text((right - w / 2 if marker else right, y + line(NUMBER_PT) / 2),
                                  col[i], "number", "center" if marker else "right"))
        if t.note:
            texts.append(Text((centre_x, y - line(TEXT_PT) / 2), t.note, "note"))
        top -= height
    return texts


def _box_texts(box: Box, centre: Point, height: float) -> list[Text]:
    """A box's title, lines and tables from its top down."""
    x, top = centre[0], centre[1] + height / 2 - PAD
    texts = [Text((x, top - line(BOX_TITLE_PT) / 2), box.title, "title")]
    top -= line(BOX_TITLE_PT)
    for s in box.lines:
        texts.append(Text((x, top - line(TEXT_PT) / 2), s, "line"))
        top -= line(TEXT_PT)
    return texts + place_tables(box.tables, x, top)


def _gaps(net: Unrolled) -> list[int]:
    """The state written in each gap, left to right: before the first step shown, after
    each step shown, and after the ⋯ (the state the next step shown starts from)."""
    s = net.steps
    return [s[0] - 1] + [t if t is not None else s[k + 1] - 1 for k, t in enumerate(s)]


def _lane_heights(net: Unrolled) -> list[float]:
    """Each lane's height: its tallest numbers, and room for its arrow."""
    return [max(tables_size(lab)[1] for lab in lane.labels) + LANE_DROP + 0.08
            for lane in net.lanes]


def _across(net: Unrolled, cell: float, other: float, gap: float) -> tuple[list, list]:
    """(each step's centre from the first's, each gap's (left, right)): the cells `gap`
    apart at least, the other rows' boxes (`other` wide) SEP apart, a ⋯ column between
    them as room allows."""
    pitch = max(cell + gap, other + SEP)
    beside = max(cell / 2 + gap, other / 2 + SEP / 2) + MARKER / 2  # a step to the ⋯
    centres = [0.0]
    for before, t in zip(net.steps, net.steps[1:]):
        centres.append(centres[-1] + (pitch if None not in (before, t) else beside))
    edges = [(c - cell / 2, c + cell / 2) if t is not None else (c - MARKER / 2, c + MARKER / 2)
             for c, t in zip(centres, net.steps)]
    gaps = [(edges[0][0] - gap, edges[0][0])] + \
        [(a[1], b[0]) for a, b in zip(edges, edges[1:])] + [(edges[-1][1], edges[-1][1] + gap)]
    return centres, gaps


def arrange(net: Unrolled) -> Sheet:
    """Where everything goes (see the module's docstring)."""
    sizes = [[box_size(b) if b else None for b in row.boxes] for row in net.rows]
    widths = [max((s[0] for s in r if s), default=0.0) for r in sizes]
    heights = [max((s[1] for s in r if s), default=0.0) for r in sizes]
    lanes = _lane_heights(net)
    heights[net.cell] = max(heights[net.cell], sum(lanes) + 2 * PAD)
    heights = [max(h, (len(row.name) - 1) * line(TEXT_PT) - ROW_GAP)  # names apart
               for h, row in zip(heights, net.rows)]
    gap = max(tables_size(lab)[0] for lane in net.lanes for lab in lane.labels) + 2 * STUB
    other = max(w for r, w in enumerate(widths) if r != net.cell)
    centres, gaps = _across(net, widths[net.cell], other, gap)
    names = max(text_width(s, TEXT_PT + 1.5 * (i == 0)) for row in net.rows
                for i, s in enumerate(row.name))
    start = MARGIN + names + NAME_GAP
    reach = max(widths[net.cell] / 2 + gap, other / 2)  # beyond the first and last centre
    span = centres[-1] + 2 * reach
    width = max(start + span + MARGIN, text_width(net.title, TITLE_PT) * 1.1 + 0.6,
                text_width(net.subtitle, SUBTITLE_PT) + 0.6)
    left = start + (width - MARGIN - start - span) / 2 + reach  # the first step's centre
    centres = [c + left for c in centres]
    gaps = [(a + left, b + left) for a, b in gaps]
    height = HEAD + sum(heights) + ROW_GAP * (len(heights) - 1) + MARGIN
    bottoms, y = [], MARGIN
    for h in heights:
        bottoms.append(y)
        y += h + ROW_GAP
    rects, arrows, texts = [], [], []
    for r, row in enumerate(net.rows):
        middle = bottoms[r] + heights[r] / 2
        texts += _name(row.name, (MARGIN, middle))
        for k, (box, c) in enumerate(zip(row.boxes, centres)):
            if box is None:
                if net.steps[k] is None and r != net.cell and row.boxes[k - 1] and \
                        row.boxes[k + 1]:  # the cells' ⋯ are on their lanes
                    texts.append(Text((c, middle), "⋯", "marker"))
                continue
            rects.append(Rect(box.kind, (c - widths[r] / 2, bottoms[r]), widths[r], heights[r]))
            texts += _box_texts(box, (c, middle), heights[r])
            above = next((q for q in range(r + 1, len(net.rows)) if net.rows[q].boxes[k]), None)
            if above is not None:
                arrows.append(((c, bottoms[r] + heights[r]), (c, bottoms[above])))
    lane_arrows, lane_texts = _lanes(net, gaps, centres,
                                     bottoms[net.cell] + heights[net.cell] - PAD, lanes)
    return Sheet(width, height, tuple(rects), tuple(arrows + lane_arrows),
                 tuple(texts + lane_texts), 1 - 0.3 / height, 1 - 0.58 / height)


def _name(lines, left: Point) -> list[Text]:
    """A row's name, centred on its middle at the left: the first line bold."""
    x, middle = left
    top = middle + len(lines) * line(TEXT_PT) / 2
    return [Text((x, top - (i + 0.5) * line(TEXT_PT)), s, "name-bold" if i == 0 else "name",
                  "left") for i, s in enumerate(lines) if s]


def _lanes(net: Unrolled, gaps, centres, top: float, heights) -> tuple:
    """Each lane's numbers in each gap, and its arrow across the gap: the first gap's
    from its start, the last's to its end, the others from the cell (or ⋯) on the left
    to the one on the right."""
    arrows, texts = [], []
    for lane, h in zip(net.lanes, heights):
        arrow_y = top - h + 0.08
        for state, (a, b) in zip(_gaps(net), gaps):
            texts += place_tables(lane.labels[state], (a + b) / 2, top)
            arrows.append(((a, arrow_y), (b, arrow_y)))
        texts += [Text((c, arrow_y), "⋯", "marker")
                  for c, t in zip(centres, net.steps) if t is None]
        top -= h
    return arrows, texts
