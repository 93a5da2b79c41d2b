"""The values of a graph exercise's inputs and its upstream gradient: a number, a vector
(a list of numbers) or a matrix (a list of rows), from a file, the command line
(`W=[[1, 2], [3, 4]]`, JSON's lists) or the Python API's keywords. Each is kept as
written (whole numbers stay whole) for the tables, and given to the engine as float64."""

from __future__ import annotations

import json
import math
import re

import numpy as np

from backprop_cli.errors import describe
from backprop_cli.problem import checks
from backprop_cli.problem.checks import fail, is_num
from backprop_cli.problem.graph.text import MINUS, ascii_minus

NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
EXPECTED = "expected a finite number like -2 or 0.5, or a list like [1, -2] or [[1, 2], [3, 4]]"


def read(source: str, place: str | None, value):
    """A value from a document (or the API): a number, or a non-empty rectangular list of
    numbers or of rows, as written."""
    if isinstance(value, (list, tuple)) and not isinstance(value, str):
        value = [list(v) if isinstance(v, tuple) else v for v in value]
        key = place or ""
        if value and isinstance(value[0], list):
            checks.matrix(source, key, "", value)
        else:
            checks.vector(source, key, "", value)
        return value
    if isinstance(value, np.ndarray):
        if value.ndim > 2 or value.size == 0:
            fail(source, place, f"found an array of shape {value.shape}, expected a number, "
                                "a vector or a matrix")
        return read(source, place, value.tolist())
    return number(source, place, value)


def number(source: str, place, value):
    if isinstance(value, str) and MINUS in value and NUMBER.match(ascii_minus(value)):
        value = written(source, place, ascii_minus(value))  # −2 pasted from a PDF is -2
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        value = value.item()
    if not is_num(value):
        fail(source, place, f"found {describe(value)}, expected a number"
                            + (", a vector or a matrix" if place is None else ""))
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an int beyond float64
        finite = False
    if not finite:
        shown = f"a number of {len(str(abs(value)))} digits" if isinstance(value, int) \
            else describe(value)
        fail(source, place, f"found {shown}, expected a finite number")
    return value


def written(source: str, place, text: str) -> int | float:
    """A number as written: an int when it is whole digits, else a float."""
    value = int(text) if text.lstrip("+-").isdigit() else float(text)
    if isinstance(value, float) and not math.isfinite(value):
        fail(source, place, f"found {text}, beyond float64's range, expected a finite number")
    return value


def parse(source: str, text: str):
    """A value written on the command line: a number, or a list in JSON's brackets."""
    text = ascii_minus(text.strip())
    if text.startswith("["):
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            fail(source, None, f"found {text[:40]!r}, {EXPECTED}")
        return read(source, None, value)
    if not NUMBER.match(text):
        fail(source, None, f"found {text!r}, {EXPECTED}")
    return number(source, None, written(source, None, text))


def array(value):
    """The engine's value: a float, or a float64 array for a list."""
    return np.asarray(value, dtype=float) if isinstance(value, list) else float(value)
