"""One person's answer sheet, YAML or JSON: `{student: NAME, layout: LAYOUT, answers:
{PATH: value}}`.

The document is parsed by documents.py (every error with its place), then its numbers'
spelling is read again from the text, since the decimals written matter (yaml.compose
keeps each scalar's text and line; json can hand over a number's text). What is wrong
with the sheet's structure (a key, a mapping where numbers belong, ragged lists, a null
among numbers) is an error; a value in a number's place that is no number (abc, yes,
.nan, 1/3) is unreadable: kept as text, marked so, and the rest of the sheet is read.
"""

from __future__ import annotations

import json

import numpy as np
import yaml

from backprop_cli.errors import describe
from backprop_cli.problem import documents
from backprop_cli.problem.answers import numbers
from backprop_cli.problem.checks import check_keys, choice, fail, is_num
from backprop_cli.problem.dialect import StrictLoader
from backprop_cli.problem.reader import LAYOUTS


def read(label: str, text: str, name: str) -> dict:
    """The fields of a Sheet for one person's YAML or JSON sheet."""
    doc = documents.parse_text(label, text)
    if not isinstance(doc, dict):
        fail(label, None, f"found {describe(doc)} at the top, expected a mapping with "
                          "answers (and a student)")
    check_keys(label, "", doc, ("student", "layout", "answers"))
    answers = doc.get("answers")
    if not isinstance(answers, dict) or not answers:
        fail(label, "answers", f"found {describe(answers)}, expected a mapping of paths to "
                               "values, like loss: 0.8564")
    student = doc.get("student")
    if student is not None and (isinstance(student, bool) or not isinstance(
            student, (str, int, float))):
        fail(label, "student", f"found {describe(student)}, expected a name")
    layout = doc.get("layout")
    if layout is not None:
        choice(label, "layout", layout, LAYOUTS, "the layout its matrices are written in")
    spelled = _spellings(label, text)
    values, written, raw, warnings = {}, {}, {}, []
    for key, value, spelling in _flat(label, answers, spelled):
        bad: list = []
        v, d, _ = _array(label, f"answers.{key}", value, spelling, bad)
        values[key], written[key] = v[None], d[None]
        if bad:
            raw[key] = np.full((1,) + v.shape, None, dtype=object)
            for index, text_, where in bad:
                raw[key][(0, *index)] = text_
                warnings.append(f"{label}: {where}: found {text_!r}, expected a number: "
                                "marked unreadable")
    return {"students": (name if student is None else str(student),), "values": values,
            "decimals": written, "raw": raw, "layout": layout, "warnings": tuple(warnings)}


def _flat(label, answers: dict, spelled: dict, prefix: str = ""):
    """(path, value, spelling) of every answer; a mapping continues its key's path, as solve
    writes parameters by gate (gradients.Wx1: {i: ..., f: ...} is gradients.Wx1.i, ...)."""
    for key, value in answers.items():
        if not isinstance(key, str) or not key.strip():
            fail(label, f"answers{prefix}", f"found the key {documents.shown_key(key)}, "
                                            "expected a path like forward.a1 or loss")
        spelling = spelled.get(key) if isinstance(spelled, dict) else None
        if isinstance(value, dict) and value:
            yield from _flat(label, value, spelling, f"{prefix}.{key}")
        else:
            yield f"{prefix}.{key}".lstrip("."), value, spelling


def _array(label, place, value, spelling, bad, index=()):
    """(values, decimals, unreadable) of an answer: a number, null, or rectangular lists of
    them. Unreadable numbers are nan (their index, text and place appended to bad)."""
    if value is None:
        return np.array(np.nan), np.array(0), np.array(False)
    if isinstance(value, list) and value:
        return _list(label, place, value, spelling, bad, index)
    if isinstance(value, (list, dict)):
        fail(label, place, f"found {describe(value)}, expected a number or a list of numbers")
    text = spelling if isinstance(spelling, str) else \
        str(value).lower() if isinstance(value, bool) else str(value)
    read = numbers.read(text) if is_num(value) or isinstance(value, str) else None
    if read is None:
        line = getattr(spelling, "line", None)
        bad.append((index, value if isinstance(value, str) else text,
                    f"line {line}, {place}" if line else place))
        return np.array(np.nan), np.array(0), np.array(True)
    return np.array(read[0]), np.array(read[1]), np.array(False)


def _list(label, place, value, spelling, bad, index):
    spelling = spelling if isinstance(spelling, list) and len(spelling) == len(value) else \
        [None] * len(value)
    parts = [_array(label, f"{place}[{i}]", v, s, bad, index + (i,)) for i, (v, s) in
             enumerate(zip(value, spelling))]
    for i, (v, _, _) in enumerate(parts):
        if v.shape != parts[0][0].shape:
            fail(label, f"{place}[{i}]", f"found {_described(v)}, expected "
                                         f"{_described(parts[0][0])} like {place}[0]")
    values, unread = np.stack([p[0] for p in parts]), np.stack([p[2] for p in parts])
    blank = np.isnan(values) & ~unread
    if blank.any() and not blank.all():
        where = "".join(f"[{i}]" for i in np.argwhere(blank)[0])
        fail(label, place + where, "found null among numbers, expected a number (or null "
                                   "for the whole answer, to leave it blank)")
    return values, np.stack([p[1] for p in parts]), unread


def _described(v) -> str:
    return "a number" if v.ndim == 0 else f"a list of {v.shape[0]}"


# ------------------------------------------------------------- numbers as written


class _Written(str):
    """A number's text, as json hands it over, or as yaml composes it (with its line)."""
    line = None


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
    if isinstance(node, yaml.MappingNode):  # answers by gate: the path continues
        return {k.value: _node_text(v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    if not isinstance(node, yaml.ScalarNode):
        return None
    text = _Written(node.value)
    text.line = node.start_mark.line + 1
    return text
