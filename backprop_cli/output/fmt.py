"""How every human-facing output (tables, pictures, worked solutions) rounds a number and
shortens a long row."""

MAX_SHOWN = 8  # entries of a row or column shown before the middle is elided


def fixed(value: float, decimals: int) -> str:
    """Fixed decimals; a rounded zero is a zero ("-0.0000" says nothing a reader can use)."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


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
