"""How every human-facing output (tables, pictures, worked solutions) rounds a number and
shortens a long row."""

import math

MAX_SHOWN = 8  # entries of a row or column shown before the middle is elided


def fixed(value: float, decimals: int) -> str:
    """Fixed decimals; a rounded zero is a zero ("-0.0000" says nothing a reader can use)."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def scientific(value: float, decimals: int) -> str:
    """`decimals` decimals of the mantissa: 1.2346e-05 for 0.0000123456 at 4."""
    return f"{value:.{decimals}e}"


def hides_values(value, decimals: int) -> bool:
    """Whether fixed decimals would show some nonzero entry of value (a number, a list or
    a list of lists) as a zero: such a value is shown in scientific form where it matters
    (an optimizer's state, whose squared gradients sit far below the decimals shown)."""
    if isinstance(value, list):
        return any(hides_values(v, decimals) for v in value)
    if isinstance(value, bool) or not isinstance(value, float) or not math.isfinite(value):
        return False
    return value != 0 and float(fixed(value, decimals)) == 0


def elide(items: list, marker, keep: int | None = None) -> list:
    """items, or past MAX_SHOWN of them the first three, `marker` and the last three.
    keep: past `keep` items, keep that many instead, the first half (rounded up) and the
    last (how a table narrows a row to fit a terminal)."""
    if keep is None:
        if len(items) <= MAX_SHOWN:
            return items
        keep = 6
    elif len(items) <= keep:
        return items
    front = (keep + 1) // 2
    return items[:front] + [marker] + items[len(items) - (keep - front):]
