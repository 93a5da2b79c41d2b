"""The values of a graph exercise's inputs and its upstream gradient: a number, a vector
(a list of numbers) or a matrix (a list of rows), from a file, the command line
(`W=[[1, 2], [3, 4]]`) or the Python API's keywords. Each is kept as
written (whole numbers stay whole) for the tables, and given to the engine as float64.

Messages name the entry that is wrong: `values.W[1][0]` in a file, `W=[[1, 2], [3]]: [1]`
on the command line; a list the command line cannot read is named by its character."""

from __future__ import annotations

import math
import re
import sys

import numpy as np

from backprop_cli.errors import counted, describe
from backprop_cli.problem.checks import fail, is_num
from backprop_cli.problem.graph.text import MINUS, ascii_minus, token_at

NUMBER = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?\Z")
LISTS = "like [1, -2] or [[1, 2], [3, 4]]"
EXPECTED = f"expected a finite number like -2 or 0.5, or a list {LISTS}"
# Python refuses to read integers longer than this from text (sys.set_int_max_str_digits)
MAX_DIGITS = getattr(sys, "get_int_max_str_digits", lambda: 4300)() or 4300


class _Written(str):
    """A number of a command-line list that float64 cannot hold (1e999, a 5000-digit
    integer), kept as written for the message that names it."""


def read(source: str, place: str | None, value):
    """A value from a document (or the API): a number, or a non-empty rectangular list of
    numbers or of rows, as written (tuples as lists)."""
    if isinstance(value, np.ndarray):
        if value.ndim > 2 or value.size == 0:
            fail(source, place, f"found an array of shape {value.shape}, expected a number, "
                                "a vector or a matrix")
        value = value.tolist()
    if isinstance(value, (list, tuple)):
        return _listed(source, place or "", list(value))
    return number(source, place, value)


def _listed(source: str, key: str, value: list) -> list:
    if not value:
        fail(source, key or None, f"found an empty list, expected numbers in it, {LISTS}")
    if not isinstance(value[0], (list, tuple)):  # a vector
        return [_entry(source, f"{key}[{j}]", v, "a vector's entries are numbers")
                for j, v in enumerate(value)]
    width = len(value[0])
    rows = []
    for i, row in enumerate(value):
        at = f"{key}[{i}]"
        if not isinstance(row, (list, tuple)):
            fail(source, at, f"found {describe(row)} among rows, expected a row like row 0 "
                             f"(a list of {counted(width, 'number')})")
        if not row:
            fail(source, at, "found an empty row, expected numbers")
        if len(row) != width:
            fail(source, at, f"found a row of {counted(len(row), 'number')}, expected "
                             f"{width} like row 0")
        rows.append([_entry(source, f"{at}[{j}]", v, "values have at most two dimensions "
                                                     "(a vector or a matrix)")
                     for j, v in enumerate(row)])
    return rows


def _entry(source: str, place: str, v, why: str):
    if type(v) is float and math.isfinite(v) or type(v) is int and abs(v) < 2 ** 1023:
        return v  # the common case, without number()'s checks
    if isinstance(v, (list, tuple)):
        fail(source, place, f"found {describe(v)}, expected a number: {why}")
    return number(source, place, v)


def number(source: str, place, value):
    if isinstance(value, _Written):
        fail(source, place, _beyond(value))
    if isinstance(value, str) and MINUS in value and NUMBER.match(ascii_minus(value)):
        value = written(source, place, ascii_minus(value))  # −2 pasted from a PDF is -2
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        value = value.item()
    if isinstance(value, str) and value.lstrip().startswith("["):  # W: "[1, 2]" in YAML
        fail(source, place, f"found {describe(value)}, expected the list itself, without "
                            "quotes")
    if not is_num(value):
        fail(source, place, f"found {describe(value)}, expected a number"
                            + (", a vector or a matrix" if place is None else ""))
    try:
        finite = math.isfinite(float(value))
    except OverflowError:  # an int beyond float64
        finite = False
    if not finite:
        shown = f"a number of {digits(value)} digits" if isinstance(value, int) \
            else describe(value)
        fail(source, place, f"found {shown}, expected a finite number")
    return value


def digits(n: int) -> int:
    """How many digits n has, without str(n) (Python refuses beyond 4300 digits)."""
    n = abs(n)
    d = int(math.log10(n)) if n else 0
    return d + (10 ** d <= n) if n else 1


def shown(value) -> str:
    """A value as the API's messages name it (x=0.5): its repr, or ... when long."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits, perhaps inside a list
        return "..."
    return text if len(text) <= 40 and text.isprintable() else "..."


def _beyond(text: str) -> str:
    digits = text.lstrip("+-")
    if digits.isdigit():
        return f"found a number of {len(digits)} digits, expected a finite number"
    return f"found {text}, beyond float64's range, expected a finite number"


def written(source: str, place, text: str) -> int | float:
    """A number as written: an int when it is whole digits, else a float."""
    value = _word(text)
    if isinstance(value, _Written):
        fail(source, place, _beyond(value))
    return value


def parse(source: str, text: str):
    """A value written on the command line: a number, or a list in brackets."""
    text = ascii_minus(text.strip())
    if text.startswith("["):
        return read(source, None, _lists(source, text))
    if not NUMBER.match(text):
        fail(source, None, f"found {text if len(text) <= 40 else text[:37] + '...'!r}, "
                           f"{EXPECTED}")
    return number(source, None, written(source, None, text))


_NUMBER_TOKEN = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?"
                           r"(?![\w.])")
_NEXT = {None: "'['", "open": "a number, '[' or ']'", "comma": "a number or '['",
         "value": "',' or ']'"}


def _lists(source: str, text: str) -> list:
    """The nested lists of a command-line value: brackets, commas and numbers as the
    expression writes them (1., .5, 2e-3), read without recursion at any depth."""
    stack: list[list] = []
    done: list = []
    last = None  # the kind of the token before: None, open, comma, value
    pos = 0
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos == len(text):
            if stack:
                fail(source, None, "found a '[' that is never closed, expected a matching ']'")
            return done
        ch, number = text[pos], _NUMBER_TOKEN.match(text, pos)
        if last == "value" and not stack:
            expected = "nothing after the list's closing ']'"
        elif ch == "[" and last in (None, "open", "comma"):
            stack.append([])
            last, pos = "open", pos + 1
            continue
        elif ch == "]" and last in ("open", "value"):
            done = stack.pop()
            if stack:
                stack[-1].append(done)
            last, pos = "value", pos + 1
            continue
        elif ch == "," and last == "value":
            last, pos = "comma", pos + 1
            continue
        elif number and last in ("open", "comma"):
            stack[-1].append(_word(number[0]))
            last, pos = "value", number.end()
            continue
        else:
            expected = _NEXT[last]
        fail(source, None, f"found {token_at(text, pos)} at character {pos + 1}, expected "
                           f"{expected}")


def _word(text: str):
    """A number of a list as written: an int for whole digits, else a float; one float64
    cannot hold is kept as text for its message."""
    digits = text.lstrip("+-")
    if digits.isdigit():
        return int(text) if len(digits) <= MAX_DIGITS else _Written(text)
    value = float(text)
    return value if math.isfinite(value) else _Written(text)


def array(value):
    """The engine's value: a float, or a float64 array for a list."""
    return np.asarray(value, dtype=float) if isinstance(value, list) else float(value)
