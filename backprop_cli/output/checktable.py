"""The table of `backprop check`, one row per parameter, fitted to the terminal's width:
its results (`FAIL (n)`) and numbers are never cut. Narrower than the plain table, the
headers wrap onto two lines, then the columns close up; narrower still, each parameter is
written on a few lines without a table."""

from __future__ import annotations

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from backprop_cli.errors import counted
from backprop_cli.output.sections import INDENT

# Each header on one line, and wrapped onto two.
HEADERS = [("parameter", "parameter"), ("entries", "entries"),
           ("skipped (kink)", "skipped\n(kink)"), ("max abs error", "max abs\nerror"),
           ("max rel error", "max rel\nerror"), ("result", "result")]
NONE = "—"  # no error measured
# (wrapped headers, tight): tight drops the outer spaces and closes up the columns.
VARIANTS = [(False, False), (True, False), (True, True)]


def _cells(p) -> list[str]:
    if not p.checked:  # every entry at a kink: no error measured, nothing verified
        return [p.name, "0", str(p.skipped), NONE, NONE, "not compared"]
    return [p.name, str(p.checked), str(p.skipped), f"{p.max_abs:.2e}", f"{p.max_rel:.2e}",
            "ok" if p.ok else f"FAIL ({p.failures})"]


def _natural_width(headers: list[str], rows: list[list[str]], tight: bool) -> int:
    widths = [max([cell_len(line) for line in h.split("\n")] + [cell_len(r[i]) for r in rows])
              for i, h in enumerate(headers)]
    n = len(widths)
    # Plain: a space either side of each column, one more between neighbours. Tight: no
    # outer spaces, one space and the divider between neighbours.
    return sum(widths) + (2 * (n - 1) if tight else 3 * n - 1)


def check_body(parameters, width: int):
    """The table no wider than `width`, or the same facts as lines of text."""
    rows = [_cells(p) for p in parameters]
    for wrapped, tight in VARIANTS:
        headers = [h[wrapped] for h in HEADERS]
        if _natural_width(headers, rows, tight) <= width:
            table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=not tight,
                          collapse_padding=tight)
            for name in headers:
                table.add_column(name, no_wrap=True)
            for r in rows:
                table.add_row(*r)
            return table
    return _stacked(rows)


def _stacked(rows: list[list[str]]) -> Text:
    pad = " " * INDENT
    lines = []
    for name, checked, skipped, max_abs, max_rel, result in rows:
        lines += [f" {name}   {result}",
                  f"{pad}{counted(int(checked), 'entry', 'entries')}, {skipped} skipped (kink)",
                  f"{pad}max abs error {max_abs}", f"{pad}max rel error {max_rel}"]
    return Text("\n".join(lines))
