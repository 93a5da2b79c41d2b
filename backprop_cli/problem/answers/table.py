"""A class CSV: a student column and one column per path, a line per student, as
spreadsheets and learning platforms export them.

The delimiter is sniffed from the header line (`,`, `;` as European spreadsheets write,
or a tab). The student column is --id-column's, else the first of `student`, `name`,
`id`, `file` (an answer key's), any case. A column is a path when its first part is a
section of solve's document (forward, gradients, loss, …); the platform's other columns
(email, a second name, timestamps) are left out with one note. Excel's trailing empty
columns are dropped. A cell that is no number is unreadable (kept as text, with a note
naming its line and column); what is wrong with the file's shape is an error.
"""

from __future__ import annotations

import csv
import io
import itertools
import json

import numpy as np

from backprop_cli.errors import counted
from backprop_cli.problem.answers import numbers
from backprop_cli.problem.checks import fail

NAME_COLUMNS = ("student", "name", "id", "file")  # what names a row, in order of preference
SECTIONS = ("parameters", "trainable", "forward", "sums", "loss", "gradients", "update")
GRAPH_SECTIONS = ("value", "forward", "backward", "gradients")  # a graph exercise's
DELIMITERS = (",", ";", "\t")


def read(label: str, text: str, id_column: str | None = None,
         sections: tuple = SECTIONS) -> dict:
    """The fields of a Sheet for a class CSV; sections: the first parts of the paths
    (GRAPH_SECTIONS for a graph exercise)."""
    fields = _read(label, text, id_column, sections)
    # The names and line numbers made anew, once the cells are gone: the csv module's
    # strings and ints, kept, would hold every block of memory the cells filled (a class
    # of 10,000 x 100 holds 100 MB more for its 10,000 names).
    fields["students"] = tuple(json.loads(fields["students"]))
    fields["lines"] = tuple(fields["lines"].tolist())
    return fields


def _read(label: str, text: str, id_column: str | None, sections: tuple) -> dict:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    reader = csv.reader(io.StringIO(text), delimiter=delimiter(first_line))
    try:
        numbered = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except csv.Error as e:
        fail(label, f"line {reader.line_num}", f"{e}, expected CSV")
    if not numbered:
        fail(label, None, "the file is empty, expected a header line (student, paths...)")
    (first, header), body = numbered[0], numbered[1:]
    header = [h.strip() for h in header]
    while header and not header[-1]:  # Excel's trailing empty columns
        header.pop()
    name, paths, ignored = _columns(label, first, header, id_column, sections)
    if not body:
        fail(label, None, "found no students, expected a line per student under the header")
    rows = [(n, _fitted(label, n, row, len(header))) for n, row in body]
    lines = [n for n, _ in rows]
    columns = dict(zip(range(len(header)), zip(*(r for _, r in rows))))
    students = tuple(c.strip() or f"line {n}" for n, c in zip(lines, columns[name]))
    values, written, raw, warnings = {}, {}, {}, []
    if ignored:
        warnings.append(f"{label}: left out the columns {', '.join(ignored)} (not answers: "
                        f"a column of answers is a path like {_example(sections)})")
    for i in paths:
        path = header[i]
        values[path], written[path], text_ = _column(columns[i])
        if text_ is not None:
            raw[path] = text_
            warnings += [f"{label}: line {lines[s]}, column {path}: found {text_[s]!r}, "
                         "expected a number: marked unreadable" for s in
                         np.flatnonzero(text_ != None)]  # noqa: E711 (elementwise)
    return {"students": json.dumps(students), "values": values, "decimals": written,
            "raw": raw, "lines": np.array(lines), "warnings": tuple(warnings), "table": True}


def delimiter(header: str) -> str:
    """The most common of `,`, `;` and tab in the header line (`,` when none is)."""
    return max(DELIMITERS, key=header.count)


def _columns(label: str, first: int, header: list, id_column, sections: tuple) -> tuple:
    """(the name column's index, the paths' indices, the other columns' names)."""
    for i, h in enumerate(header):
        if not h or header.index(h) != i:
            fail(label, f"line {first}, column {i + 1}", f"found {h!r}" + (
                " twice, expected each column once" if h else ", expected a path"))
    lower = [h.lower() for h in header]
    wanted = (id_column.strip().lower(),) if id_column is not None else NAME_COLUMNS
    name = next((lower.index(c) for c in wanted if c in lower), None)
    if name is None and id_column is not None:
        fail(label, f"line {first}", f"no column {id_column!r} (--id-column), expected one "
                                     f"of {', '.join(header)}")
    paths = [i for i, h in enumerate(header) if i != name and h.split(".")[0] in sections]
    if name is None or not paths:
        fail(label, f"line {first}", "expected a student column and a column per path, like "
                                     "student," + _example(sections).replace(" or ", ","))
    ignored = [h for i, h in enumerate(header) if i != name and i not in paths]
    return name, paths, ignored


def _fitted(label: str, n: int, row: list, width: int) -> list:
    """A line's cells, without the empty ones past the header (Excel writes them)."""
    if len(row) > width and not any(c.strip() for c in row[width:]):
        row = row[:width]
    if len(row) != width:
        fail(label, f"line {n}",
             f"found {counted(len(row), 'field')}, expected {width} like the header")
    return row


def _column(cells) -> tuple:
    """(values, decimals, raw) of a column's cells: nan and 0 where blank or unreadable,
    raw the unreadable cells' text (None elsewhere; no array when all are read). Written
    for speed (a class of 10,000 has a million cells): the passes over the whole column
    run in C, and a cell float() refuses sends the column to the cell-by-cell reading."""
    text = "\n".join(cells) + "\n"
    spaced = " " in text or "\t" in text
    texts = [c.strip() for c in cells] if spaced else list(cells)
    if text.count("\n") != len(texts):  # a cell holds a line break: no number
        return _column_by_cell(texts)
    if text.strip(_NUMBERS):  # decimal commas, typeset minus signs?
        text = text.replace("\u2212", "-").replace(",", ".")  # as numbers.normal reads them
        if text.strip(_NUMBERS):
            return _column_by_cell(texts)
        texts = [t.replace("\u2212", "-").replace(",", ".") for t in texts]
    try:  # of these characters, float() reads what numbers.NUMBER matches, nothing more
        values = np.array(list(map(float, [t or "nan" for t in texts])))
    except ValueError:  # 1.2.3, 1e, -
        return _column_by_cell(texts)
    if np.isinf(values).any():
        return _column_by_cell(texts)
    if spaced:
        dot = np.fromiter(map(str.find, texts, itertools.repeat(".")), np.int64, len(texts))
        size = np.fromiter(map(len, texts), np.int64, len(texts))
        written = np.where(dot >= 0, size - dot - 1, 0)
    else:  # the digits after each cell's dot, from where the dots and line ends are
        chars = np.frombuffer(text.encode("ascii"), np.uint8)
        ends, dots = np.flatnonzero(chars == 10), np.flatnonzero(chars == 46)
        cell = np.searchsorted(ends, dots)
        written = np.zeros(len(texts), np.int64)
        written[cell] = ends[cell] - dots - 1
    if "e" in text or "E" in text:  # 1.5e-3: the exponent counts too, in the cells it is in
        for i in [i for i, t in enumerate(texts) if "e" in t or "E" in t]:
            written[i] = numbers.decimals(texts[i])
    return values, written, None


_NUMBERS = "0123456789.+-eE \t\n"  # what a column of numbers is written with


def _column_by_cell(texts: list) -> tuple:
    """The slow path, for a column with a cell the regex refuses: each cell read alone."""
    read = [numbers.read(t) if t else (np.nan, 0) for t in texts]
    raw = np.array([None if r is not None else t for r, t in zip(read, texts)], dtype=object)
    values = np.array([np.nan if r is None else r[0] for r in read])
    written = np.array([0 if r is None else r[1] for r in read], dtype=np.int64)
    return values, written, raw if (raw != None).any() else None  # noqa: E711


def _example(sections: tuple) -> str:
    """Two answer paths, as the kind of exercise writes them (a graph's, or a problem's)."""
    return "value or gradients.W.0.1" if "value" in sections else "loss or forward.a1.0"
