"""A number as a person types it, read: what counts as a number, and the decimals it was
written with.

Read leniently, since answers come from people and spreadsheets, not programs: spaces
around it, a U+2212 minus (−0.5, as word processors and maths fonts write it), and a
decimal comma (0,567) when the text has no dot and one comma. Anything else that is not a
finite decimal number (1/3, 0.5.1, abc, nan, 1e999) is unreadable: the caller keeps the
text and marks the answer so.
"""

from __future__ import annotations

import math
import re

_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
NUMBER = re.compile(_NUMBER)
COLUMN = re.compile(rf"(?:[ \t]*(?:{_NUMBER})?[ \t]*\n)*")  # a column of cells, one a line
MINUSES = str.maketrans({"\u2212": "-"})


def decimals(text: str) -> int:
    """Decimals of a number as written: 0.8564 has 4, 1.5e-3 has 4, 12 has 0, 1e3 has -3."""
    mantissa, _, exponent = text.strip().lstrip("+-").lower().partition("e")
    return len(mantissa.partition(".")[2]) - int(exponent or 0)


def normal(text: str) -> str | None:
    """The text as float() reads it (a dot, an ASCII minus, no spaces), or None when it is
    no finite number."""
    t = text.strip().translate(MINUSES)
    if "," in t and "." not in t and t.count(",") == 1:
        t = t.replace(",", ".")
    if not NUMBER.fullmatch(t) or not math.isfinite(float(t)):
        return None
    return t


def read(text: str) -> tuple[float, int] | None:
    """(value, decimals) of a typed number, or None when it is unreadable."""
    t = normal(text)
    return None if t is None else (float(t), decimals(t))
