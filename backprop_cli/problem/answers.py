"""Answer sheets and marking schemes for `backprop grade`, read and checked.

A sheet is YAML or JSON, `{student: NAME, answers: {PATH: value}}`, or a class CSV: a
`student` column (or `file`, as `solve --format csv` writes) and one column per path, one
row per student. Values are kept with the decimals they were written with, since the
tolerance follows them: the document is parsed by documents.py (every error with its
place), then its numbers' spelling is read again from the text (yaml.compose keeps each
scalar's text; json can hand over a number's text). Blank answers (null, an empty cell)
are asked for and not answered. Paths are checked against the problem later, by grade.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
from dataclasses import dataclass

import numpy as np
import yaml

from backprop_cli.errors import ProblemError, describe
from backprop_cli.problem import documents
from backprop_cli.problem.checks import check_keys, fail, is_num
from backprop_cli.problem.dialect import StrictLoader

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
NUMBER = re.compile(_NUMBER)
COLUMN = re.compile(rf"(?:[ \t]*(?:{_NUMBER})?[ \t]*\n)*")  # a column of cells, one a line
NAME_COLUMNS = ("student", "file")  # what names a CSV row, in order of preference


@dataclass(frozen=True)
class Sheet:
    """One file of answers: a YAML or JSON sheet (one student) or a class CSV (a row each)."""
    source: str
    students: tuple  # S names
    values: dict  # path -> (S, *shape) float64, nan where blank; a bare null is shape ()
    decimals: dict  # path -> (S, *shape) the decimals each number was written with
    table: bool = False  # a class CSV: paths are its columns


@dataclass(frozen=True)
class Scheme:
    source: str
    points: dict  # path -> points
    default: float  # points of an answered path the scheme does not list


def decimals(text: str) -> int:
    """Decimals of a number as written: 0.8564 has 4, 1.5e-3 has 4, 12 has 0, 1e3 has -3."""
    mantissa, _, exponent = text.strip().lstrip("+-").lower().partition("e")
    return len(mantissa.partition(".")[2]) - int(exponent or 0)


def load(path: str) -> Sheet:
    """A sheet: a class CSV for a .csv name (or standard input that starts with a CSV
    header), else a YAML or JSON sheet; '-' is standard input."""
    label, data = documents.read(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ProblemError(label, None, f"byte {e.start} is not UTF-8 text, expected an "
                                        "answer sheet") from None
    if path.lower().endswith(".csv") or path == "-" and _looks_like_csv(text):
        return _class_sheet(label, text)
    return _sheet(label, text, os.path.basename(path) if path != "-" else label)


def _looks_like_csv(text: str) -> bool:
    """Standard input has no name: a class CSV is told by its header (student, or the file
    column of an answer key)."""
    first = text.lstrip().split("\n", 1)[0].strip().lower()
    return first.startswith(NAME_COLUMNS) and "," in first and ":" not in first


def _sheet(label: str, text: str, name: str) -> Sheet:
    doc = documents.parse_text(label, text)
    if not isinstance(doc, dict):
        fail(label, None, f"found {describe(doc)} at the top, expected a mapping with "
                          "answers (and a student)")
    check_keys(label, "", doc, ("student", "answers"))
    answers = doc.get("answers")
    if not isinstance(answers, dict) or not answers:
        fail(label, "answers", f"found {describe(answers)}, expected a mapping of paths to "
                               "values, like loss: 0.8564")
    student = doc.get("student")
    if student is not None and (isinstance(student, bool) or not isinstance(
            student, (str, int, float))):
        fail(label, "student", f"found {describe(student)}, expected a name")
    spelled = _spellings(label, text)
    values = {}
    for key, value in answers.items():
        if not isinstance(key, str) or not key.strip():
            fail(label, "answers", f"found the key {documents.shown_key(key)}, expected a "
                                   "path like forward.a1 or loss")
        values[key] = _array(label, f"answers.{key}", value, spelled.get(key))
    return Sheet(label, (name if student is None else str(student),),
                 {k: v[0][None] for k, v in values.items()},
                 {k: v[1][None] for k, v in values.items()})


def _array(label, place, value, spelling):
    """(values, decimals) of an answer: a number, null, or rectangular lists of them."""
    if value is None:
        return np.array(np.nan), np.array(0)
    if is_num(value):
        number = float(value) if abs(value) < 2**1024 else float("inf")
        if not np.isfinite(number):
            fail(label, place, f"found {value}, expected a finite number")
        written = spelling if isinstance(spelling, str) else repr(value)
        return np.array(number), np.array(decimals(written))
    if not isinstance(value, list) or not value:
        fail(label, place, f"found {describe(value)}, expected a number or a list of numbers")
    spelling = spelling if isinstance(spelling, list) and len(spelling) == len(value) else \
        [None] * len(value)
    parts = [_array(label, f"{place}[{i}]", v, s) for i, (v, s) in
             enumerate(zip(value, spelling))]
    for i, (v, _) in enumerate(parts):
        if v.shape != parts[0][0].shape:
            fail(label, f"{place}[{i}]", f"found {_described(v)}, expected "
                                         f"{_described(parts[0][0])} like {place}[0]")
    values = np.stack([v for v, _ in parts])
    blank = np.isnan(values)
    if blank.any() and not blank.all():
        where = "".join(f"[{i}]" for i in np.argwhere(blank)[0])
        fail(label, place + where, "found null among numbers, expected a number (or null "
                                   "for the whole answer, to leave it blank)")
    return values, np.stack([d for _, d in parts])


def _described(v) -> str:
    return "a number" if v.ndim == 0 else f"a list of {v.shape[0]}"


# ------------------------------------------------------------- numbers as written


class _Written(str):
    """A number's text, as json hands it over."""


def _spellings(label: str, text: str) -> dict:
    """{path: the text of each number of its answer (nested like the answer)}."""
    if label.lower().endswith(".json") or text.lstrip().startswith("{"):
        try:
            doc = json.loads(text, parse_float=_Written, parse_int=_Written)
            answers = doc.get("answers") if isinstance(doc, dict) else None
            return answers if isinstance(answers, dict) else {}
        except json.JSONDecodeError:
            pass  # YAML in flow style, as documents.py reads it
    root = yaml.compose(text, Loader=StrictLoader)  # already parsed once: no errors left
    for key, value in getattr(root, "value", []):
        if getattr(key, "value", None) == "answers" and isinstance(value, yaml.MappingNode):
            return {k.value: _node_text(v) for k, v in value.value
                    if isinstance(k, yaml.ScalarNode)}
    return {}


def _node_text(node):
    if isinstance(node, yaml.SequenceNode):
        return [_node_text(n) for n in node.value]
    return node.value if isinstance(node, yaml.ScalarNode) else None


# ------------------------------------------------------------------ class CSVs


def _class_sheet(label: str, text: str) -> Sheet:
    reader = csv.reader(io.StringIO(text))
    try:
        numbered = [(reader.line_num, r) for r in reader if any(c.strip() for c in r)]
    except csv.Error as e:
        fail(label, f"line {reader.line_num}", f"{e}, expected CSV")
    if not numbered:
        fail(label, None, "the file is empty, expected a header line (student, paths...)")
    (first, header), body = numbered[0], numbered[1:]
    header = [h.strip() for h in header]
    name_column = next((c for c in NAME_COLUMNS if c in header), None)
    for i, h in enumerate(header):
        if not h or header.index(h) != i:
            fail(label, f"line {first}, column {i + 1}", f"found {h!r}" + (
                " twice, expected each column once" if h else ", expected a path"))
    paths = [h for h in header if h not in NAME_COLUMNS]
    if name_column is None or not paths:
        fail(label, f"line {first}", "expected a student column and a column per path, like "
                                     "student,loss,forward.a1.0")
    if not body:
        fail(label, None, "found no students, expected a line per student under the header")
    for n, row in body:
        if len(row) != len(header):
            fail(label, f"line {n}", f"found {len(row)} fields, expected {len(header)} like "
                                     "the header")
    lines = [n for n, _ in body]
    columns = dict(zip(header, zip(*(r for _, r in body))))
    students = tuple(c.strip() or f"line {n}" for n, c in zip(lines, columns[name_column]))
    values, written = {}, {}
    for path in paths:
        values[path], written[path] = _column(label, path, columns[path], lines)
    return Sheet(label, students, values, written, table=True)


def _column(label: str, path: str, cells, lines: list) -> tuple:
    """(values, decimals) of a column's cells: nan and 0 where blank. Written for speed (a
    class of a thousand has a hundred thousand cells): one regex match checks the whole
    column, and the rest are passes that run in C."""
    text = "\n".join(cells) + "\n"
    texts = [c.strip() for c in cells] if " " in text or "\t" in text else list(cells)
    if text.count("\n") != len(texts) or not COLUMN.fullmatch(text):
        i, bad = next((i, t) for i, t in enumerate(texts) if t and not NUMBER.fullmatch(t))
        fail(label, f"line {lines[i]}, column {path}", f"found {bad[:40]!r}, expected a "
                                                       "number (or nothing)")
    values = np.array(list(map(float, [t or "nan" for t in texts])))
    if np.isinf(values).any():
        i = int(np.flatnonzero(np.isinf(values))[0])
        fail(label, f"line {lines[i]}, column {path}", f"found {texts[i][:40]}, expected a "
                                                       "number float64 can hold")
    dot = np.fromiter(map(str.find, texts, itertools.repeat(".")), np.int64, len(texts))
    size = np.fromiter(map(len, texts), np.int64, len(texts))
    written = np.where(dot >= 0, size - dot - 1, 0)
    if "e" in text or "E" in text:  # 1.5e-3: the exponent counts too
        written = np.array([decimals(t) if t else 0 for t in texts], dtype=np.int64)
    return values, written


# ------------------------------------------------------------------ marking schemes


def load_scheme(path: str) -> Scheme:
    """`points: {PATH: points}` and optionally `default: points` for the paths not listed."""
    label, doc = documents.load(path)
    if not isinstance(doc, dict):
        fail(label, None, f"found {describe(doc)} at the top, expected a mapping with points")
    check_keys(label, "", doc, ("points", "default"))
    points = doc.get("points")
    if not isinstance(points, dict) or not points:
        fail(label, "points", f"found {describe(points)}, expected a mapping of paths to "
                              "points, like loss: 2")
    default = doc.get("default", 1)
    for key, value in [*points.items(), ("default", default)]:
        place = "default" if key == "default" and value is default else f"points.{key}"
        if not isinstance(key, str):
            fail(label, "points", f"found the key {documents.shown_key(key)}, expected a path")
        if not is_num(value) or not 0 <= value < float("inf"):
            fail(label, place, f"found {describe(value)}, expected a number of points >= 0")
    return Scheme(label, {k: float(v) for k, v in points.items()}, float(default))
