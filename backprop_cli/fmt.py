"""How every human-facing output (tables, pictures, worked solutions) rounds a number."""


def fixed(value: float, decimals: int) -> str:
    """Fixed decimals; a rounded zero is a zero ("-0.0000" says nothing a reader can use)."""
    text = f"{value:.{decimals}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text
