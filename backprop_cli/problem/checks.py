"""Checks for the values of a problem document, each failing with a ProblemError that
names the file, the place (key path and maths name), what was found and what was expected.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.errors import ProblemError, counted, describe, suggest
from backprop_cli.problem import documents


def fail(source, place, message):
    raise ProblemError(source, place, message)


def choice(source, place, value, choices, what):
    if value not in choices or not isinstance(value, str):
        fail(source, place, f"found {describe(value)}, expected {what}: "
                             + " | ".join(choices) + suggest(value, choices))
    return value


def check_keys(source, place, mapping, allowed):
    for key in mapping:
        if key not in allowed:
            name = documents.key_text(key)
            where = f"{place}.{name}" if place else name
            fail(source, where, f"unknown key {documents.shown_key(key)}, expected one of "
                                 + ", ".join(allowed) + suggest(key, allowed))


def is_num(v) -> bool:
    return type(v) is int or type(v) is float


def _require_numbers(source, place, rows):
    """rows: a list of lists already known to be rectangular."""
    for i, row in enumerate(rows):
        if not all(map(is_num, row)):  # fast path: one C-level pass per row
            for j, v in enumerate(row):
                if not is_num(v):
                    fail(source, place(i, j), f"found {describe(v)}, expected a number")


def _to_array(source, place, value, index_place):
    try:
        arr = np.array(value, dtype=np.float64)
    except OverflowError:  # an integer beyond float64: find it to name it
        rows = value if isinstance(value[0], list) else [value]
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                if type(v) is int and abs(v) > 2**1023:
                    try:
                        float(v)
                    except OverflowError:
                        where = index_place(i, j) if rows is value else index_place(j)
                        fail(source, where, f"found an integer of {len(str(abs(v)))} digits, "
                                             "expected a number float64 can hold")
        fail(source, place, "found a number too large for float64, expected a finite number")
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        where = index_place(*bad[0])
        fail(source, where, f"found {arr[tuple(bad[0])]}, expected a finite number")
    return arr


def vector(source, key, label, value) -> np.ndarray:
    place = f"{key}{label}"
    if not isinstance(value, list) or not value:
        fail(source, place, f"found {describe(value)}, expected a non-empty list of numbers")
    if not all(map(is_num, value)):
        for j, v in enumerate(value):
            if not is_num(v):
                fail(source, f"{key}[{j}]{label}", f"found {describe(v)}, expected a number")
    return _to_array(source, place, value, lambda j: f"{key}[{j}]{label}")


def matrix(source, key, label, value) -> np.ndarray:
    place = f"{key}{label}"
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        fail(source, place, f"found {describe(value)}, expected a list of rows "
                             "(lists of numbers)")
    width = len(value[0])
    for i, row in enumerate(value):
        if len(row) != width or not row:
            fail(source, f"{key}[{i}]{label}",
                 f"row {i} has {counted(len(row), 'number')}, expected {width} like row 0"
                 if width else "found an empty row, expected numbers")
    _require_numbers(source, lambda i, j: f"{key}[{i}][{j}]{label}", value)
    return _to_array(source, place, value, lambda i, j: f"{key}[{i}][{j}]{label}")


def shape_text(shape) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def frozen_list(source, base, layer, choices, listed: str, absent=lambda item: None):
    """A layer's `frozen`: a list of `choices` (or one word); absent(item) says why the
    layer cannot freeze it (it lacks that parameter), or None."""
    frozen = layer.get("frozen", [])
    if isinstance(frozen, str):
        frozen = [frozen]
    if not isinstance(frozen, list):
        fail(source, f"{base}.frozen", f"found {describe(frozen)}, expected a list of "
                                        f"{listed}")
    for j, item in enumerate(frozen):
        choice(source, f"{base}.frozen[{j}]", item, choices, "a parameter")
        why = absent(item)
        if why is not None:
            fail(source, f"{base}.frozen[{j}]", why)
    return frozenset(frozen)
