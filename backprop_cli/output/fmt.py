"""How every human-facing output (tables, pictures, worked solutions) rounds a number and
shortens a long row."""

MAX_SHOWN = 8  # entries of a row or column shown before the middle is elided


def fixed(value: float, decimals: int) -> str:
    """Fixed decimals; a rounded zero is a zero ("-0.0000" says nothing a reader can use)."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text


def elide(items: list, marker) -> list:
    """items, or past MAX_SHOWN of them the first three, `marker` and the last three."""
    if len(items) <= MAX_SHOWN:
        return items
    return items[:3] + [marker] + items[-3:]
