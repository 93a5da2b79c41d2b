"""One table cell: a value (a number, a string, a vector or a matrix) as lines of text no
wider than the room the table gives it.

A number is shown whole or not at all. A vector or matrix that does not fit leaves out whole
columns in the middle (`…`, the first and last columns kept); when even its first and last
columns do not fit side by side, it is printed in blocks of columns, each headed by the
columns it holds ("columns 0–1", counted from 0 like --get paths). Past MAX_SHOWN rows the
middle rows are left out (`⋮`), whatever the width.
"""

from __future__ import annotations

from rich.cells import cell_len

from backprop_cli.output.fmt import MAX_SHOWN, elide, fixed, scientific

GAP = "…"  # columns left out
ROWS_GAP = "⋮"  # rows left out


def number(v, decimals: int, sign_space: bool = False, sci: bool = False) -> str:
    """Fixed decimals; a rounded zero is a zero ("-0.0000" says nothing a reader can use),
    infinities are -inf and inf. sign_space keeps a column for the sign, so mixed-sign
    matrices line up; sci: scientific form, `decimals` decimals in the mantissa. A string
    is a number already written out (as an answer sheet wrote it): shown as it is."""
    if v is None:
        return " null" if sign_space else "null"
    s = v if isinstance(v, str) else scientific(v, decimals) if sci else fixed(v, decimals)
    return s if not sign_space or s.startswith("-") else " " + s


def scalar(value, decimals: int, sci: bool = False) -> str:
    """A single value as a table shows it: a number to `decimals` (sci: in scientific
    form), an integer whole, a string as written, a flag as true or false."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return number(value, decimals, sci=sci)


def width(lines: list[str]) -> int:
    return max((cell_len(line) for line in lines), default=0)


def fit(value, decimals: int, room: int, sci: bool = False) -> list[str] | None:
    """The lines of `value` no wider than `room`, or None when it cannot be shown there;
    sci: its numbers in scientific form."""
    if not isinstance(value, list):
        text = scalar(value, decimals, sci)
        return [text] if cell_len(text) <= room else None
    rows = value if value and isinstance(value[0], list) else [value]
    shown = elide(rows, None)  # None: the rows left out
    columns = len(rows[0]) if rows else 0
    for chosen in _column_choices(columns):
        lines = _matrix(shown, chosen, decimals, sci)
        if width(lines) <= room:
            return lines
    return _blocks(shown, columns, decimals, room, sci)


def _column_choices(columns: int):
    """The columns to show, widest first (None marks a gap): all of them up to MAX_SHOWN,
    then fewer and fewer from both ends, down to the first and the last."""
    positions = list(range(columns))
    if columns <= MAX_SHOWN:
        yield positions
    for keep in range(len(elide(positions, None)) - 1, 1, -1):
        yield elide(positions, None, keep)


def _matrix(rows: list, chosen: list, decimals: int, sci: bool = False) -> list[str]:
    """Rows (None: rows left out) of the chosen columns, signs and decimal points aligned."""
    texts = [None if r is None else [None if c is None else number(r[c], decimals, True, sci)
                                     for c in chosen] for r in rows]
    entry = max((len(s) for r in texts if r is not None for s in r if s is not None),
                default=0)
    lines = ["[" + " ".join(GAP if s is None else s.rjust(entry) for s in r) + "]"
             for r in texts if r is not None]
    if None in rows:
        lines.insert(rows.index(None), " " * (len(lines[0]) // 2) + ROWS_GAP)
    return lines


def _runs(columns: int) -> list[list[int]]:
    """The columns a table may show (all, or both ends), as runs of neighbours."""
    runs = [[]]
    for c in elide(list(range(columns)), None):
        if c is None:
            runs.append([])
        else:
            runs[-1].append(c)
    return runs


def _blocks(rows: list, columns: int, decimals: int, room: int,
            sci: bool = False) -> list[str] | None:
    """The matrix in blocks of as many neighbouring columns as fit, each block headed by
    the columns it holds; None when not even one column fits."""
    runs = _runs(columns)
    for size in range(max(len(run) for run in runs), 0, -1):
        lines = []
        for run in runs:
            for start in range(0, len(run), size):
                block = run[start:start + size]
                lines.append(f"column {block[0]}" if len(block) == 1 else
                             f"columns {block[0]}–{block[-1]}")
                lines += _matrix(rows, block, decimals, sci)
        if width(lines) <= room:
            return lines
    return None
