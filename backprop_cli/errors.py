"""Domain errors. The library raises these; the CLI turns them into one line and exit 2."""

from __future__ import annotations


class ProblemError(ValueError):
    """Bad input: `source` is the file (or <stdin>), `place` the key path with its maths name."""

    def __init__(self, source: str, place: str | None, message: str):
        super().__init__(message)
        self.source, self.place, self.message = source, place, message

    def __str__(self) -> str:
        where = f"{self.place}: " if self.place else ""
        return f"{self.source}: {where}{self.message}"


def describe(value) -> str:
    """How an error message names a value that was found."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, (int, float)):
        return repr(value)
    return f"a {type(value).__name__}"
