"""Views laid out for the terminal's width when they are printed: a heading and a table
whose labels and numbers are never cut (cells.py fits each value to the room left).

Narrow terminals: COLUMNS=0 (or a terminal that reports no width) means the width is
unknown, and views are laid out for 80 columns, as Rich does for a terminal that reports 0;
any other width below MIN_WIDTH is taken as MIN_WIDTH (40: a label, a gap and a number
need about that much) and the terminal wraps the longer lines. A section whose table cannot
fit (a huge number at a narrow width) is printed without a table: each label on its own
line, its value below it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.console import Group
from rich.table import Table
from rich.text import Text

from backprop_cli.output.cells import GAP, fit
from backprop_cli.output.fmt import hides_values

MIN_WIDTH = 40
UNKNOWN_WIDTH = 80
INDENT = 5  # where a value starts below its label, without a table
RIGHT = ("sum", "loss")  # columns of single numbers, right-aligned


def usable_width(columns: int) -> int:
    """The width views are laid out for, given the console's (see the module's note)."""
    return UNKNOWN_WIDTH if columns <= 0 else max(columns, MIN_WIDTH)


class Fitted:
    """A view built for the console's width at the moment it is printed."""

    def __init__(self, build: Callable[[int], list]):
        self.build = build

    def __rich_console__(self, console, options):
        width = usable_width(options.max_width)
        if console.width < width:
            # The console crops every line it prints to its own width: a width of 0 would
            # print nothing at all. Widen it (the one Console, for the rest of this output).
            console.width = width
        yield from console.render(Group(*self.build(width)), options.update_width(width))


def heading(title: str) -> Text:
    """A bold heading (not a table title, which would wrap to the table's width)."""
    return Text("\n" + title, style="bold")


@dataclass
class Row:
    label: str
    value: object  # a number, string, vector or matrix of a document
    extras: tuple[str, ...] = ()  # the texts of the columns after the value (a sum)
    bold: bool = False
    tiny: bool = False  # may sit below the decimals shown: then in scientific form

    def lines(self, decimals: int, room: int) -> list[str] | None:
        """The value's lines no wider than room (None: it cannot be shown there)."""
        return fit(self.value, decimals, room, self.tiny and hides_values(self.value, decimals))


@dataclass
class Section:
    title: str
    headers: tuple[str, ...]  # the labels' column, the values', then any extra columns
    rows: list[Row]
    decimals: int

    def render(self, width: int) -> list:
        body = self.table(width)
        return [heading(self.title), body if body is not None else self.stacked(width)]

    def table(self, width: int) -> Table | None:
        """The section as a table no wider than `width`, or None when it cannot be."""
        headers, rows = self.headers, self.rows
        label_width = max(cell_len(text) for text in [headers[0]] + [r.label for r in rows])
        extra_widths = [max([cell_len(name)] + [cell_len(r.extras[i]) for r in rows
                                                if i < len(r.extras)])
                        for i, name in enumerate(headers[2:])]
        # Each column is padded by a space on either side, neighbours parted by one more.
        room = width - label_width - sum(extra_widths) - (3 * len(headers) - 1)
        if room < cell_len(headers[1]):
            return None
        cells = [r.lines(self.decimals, room) for r in rows]
        if any(lines is None for lines in cells):
            return None
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for name in headers:  # matrices read best left-aligned; sums and losses right-aligned
            table.add_column(name, justify="right" if name in RIGHT else "left", no_wrap=True)
        for r, lines in zip(rows, cells, strict=True):
            style = "bold" if r.bold else ""
            extras = [r.extras[i] if i < len(r.extras) else "" for i in range(len(extra_widths))]
            table.add_row(Text(r.label, style=style), Text("\n".join(lines), style=style),
                          *extras)
        return table

    def stacked(self, width: int) -> Text:
        """Without a table: each label on its own line, its value (and extras) below."""
        text = Text()
        room = width - INDENT
        for r in self.rows:
            style = "bold" if r.bold else ""
            lines = r.lines(self.decimals, room) or [GAP]
            for name, extra in zip(self.headers[2:], r.extras, strict=False):
                if extra:
                    line = f"{name} {extra}"
                    lines.append(line if cell_len(line) <= room else f"{name} {GAP}")
            text.append(" " + r.label + "\n", style=style)
            for line in lines:
                text.append(" " * INDENT + line + "\n", style=style)
        text.rstrip()
        return text
