"""Answer sheets and marking schemes for `backprop grade`, read and checked.

A sheet is YAML or JSON, `{student: NAME, answers: {PATH: value}}` (sheet.py), or a class
CSV: a student column and one column per path, one row per student (table.py). Values are
kept with the decimals they were written with (numbers.py reads what people type). Blank
answers (null, an empty cell) are asked for and not answered; unreadable ones (text that
is no number) are kept as their text, with a warning, and never stop the others. Paths
are checked against the problem later, by grade.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from backprop_cli.errors import ProblemError, describe
from backprop_cli.problem import documents, grading
from backprop_cli.problem.answers import sheet, table
from backprop_cli.problem.answers.numbers import decimals
from backprop_cli.problem.checks import check_keys, fail
from backprop_cli.problem.grading import Scheme

__all__ = ["Scheme", "Sheet", "decimals", "load", "load_scheme"]


@dataclass(frozen=True)
class Sheet:
    """One file of answers: a YAML or JSON sheet (one student) or a class CSV (a row each)."""
    source: str
    students: tuple  # S names
    values: dict  # path -> (S, *shape) float64, nan where blank; a bare null is shape ()
    decimals: dict  # path -> (S, *shape) the decimals each number was written with
    table: bool = False  # a class CSV: paths are its columns
    raw: dict = field(default_factory=dict)  # path -> (S, *shape) the text of each
    #   unreadable number (None elsewhere), for the paths that have one; values has nan there
    layout: str | None = None  # the weight layout the sheet declares
    lines: tuple | None = None  # (S,) a class CSV's line of each student
    warnings: tuple = ()  # notes for the person grading: unreadable cells, columns left out


def load(path: str, id_column: str | None = None, sections: tuple = table.SECTIONS) -> Sheet:
    """A sheet: a class CSV for a .csv name (or standard input that starts with a CSV
    header), else a YAML or JSON sheet; '-' is standard input. id_column: the CSV column
    that names the students (else student, name, id or file); sections: the first parts
    of a CSV's paths (table.GRAPH_SECTIONS for a graph exercise)."""
    label, data = documents.read(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ProblemError(label, None, f"byte {e.start} is not UTF-8 text, expected an "
                                        "answer sheet") from None
    if path.lower().endswith(".csv") or path == "-" and _looks_like_csv(text, id_column,
                                                                         sections):
        return Sheet(label, **table.read(label, text, id_column, sections))
    return Sheet(label, **sheet.read(label, text, os.path.basename(path) if path != "-"
                                     else label))


def _looks_like_csv(text: str, id_column: str | None, sections: tuple) -> bool:
    """Standard input has no name: a class CSV is told by its header, cells split by a
    delimiter, one of them a name column (or a path), and no YAML mapping."""
    first = text.lstrip().split("\n", 1)[0].strip()
    cells = [c.strip().lower() for c in first.split(table.delimiter(first))]
    names = (id_column.strip().lower(),) if id_column else table.NAME_COLUMNS
    return len(cells) > 1 and ":" not in first and any(
        c in names or c.split(".")[0] in sections for c in cells)


def load_scheme(path: str) -> Scheme:
    """`points: {PATH: points}` and optionally `default: points` for the quantities no
    listed path holds: a grading section's points, on their own."""
    label, doc = documents.load(path)
    if not isinstance(doc, dict):
        fail(label, None, f"found {describe(doc)} at the top, expected a mapping with points")
    check_keys(label, "", doc, ("points", "default"))
    return grading.scheme(label, doc)
