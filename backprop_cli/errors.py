"""Domain errors: one family, one exit status. Library code raises these; only
backprop_cli.cli.common prints them (`Error: <str(error)>`) and exits with EXIT_STATUS.

Pure Python, so every layer (the numpy-only engine included) can raise them.
"""

from __future__ import annotations

EXIT_STATUS = 2


class BackpropError(Exception):
    """Anything the user can fix: bad input, a bad flag, a value that overflows, a file
    that cannot be written. str() is the one line the command line prints after `Error: `."""


class ProblemError(BackpropError, ValueError):
    """Bad input: `source` is the file (or <stdin>), `place` the key path with its maths name."""

    def __init__(self, source: str, place: str | None, message: str):
        super().__init__(message)
        self.source, self.place, self.message = source, place, message

    def __str__(self) -> str:
        where = f"{self.place}: " if self.place else ""
        return f"{self.source}: {where}{self.message}"


class NumericalError(BackpropError, ValueError):
    """A value left float64's range (overflow, nan) where no finite answer exists.
    `source` (the problem's file) is filled in by whoever knows it."""

    HINT = "expected finite values (try a smaller learning rate or smaller weights)"

    def __init__(self, message: str, source: str | None = None):
        super().__init__(message)
        self.message, self.source = message, source

    def __str__(self) -> str:
        where = f"{self.source}: " if self.source else ""
        return f"{where}{self.message}, {self.HINT}"


class OptimizerError(BackpropError, ValueError):
    """A bad optimizer setting; key names the offending hyper-parameter."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key = key


class PathError(BackpropError, LookupError):
    """An unknown --get path."""


class PictureError(BackpropError):
    """A picture that cannot be made: a name that is no picture format, or no matplotlib."""


class WriteError(BackpropError):
    """An output file that cannot be written."""

    def __init__(self, path: str, error: OSError):
        super().__init__(f"{path}: cannot write: {error.strerror or error}")


class UsageError(BackpropError):
    """Options that do not go together, found before any work is done."""


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


def counted(n: int, noun: str, plural: str | None = None) -> str:
    """n and its noun, singular for exactly one: counted(1, "field") is '1 field',
    counted(3, "entry", "entries") '3 entries'. Every message and table counts this way."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def suggest(word, choices) -> str:
    """' (did you mean X?)' for the choice closest to `word`, or ''. Case, '_' and '-' are
    ignored first (MSE is mse, LeakyReLU is leaky_relu), then spelling (momentun)."""
    import difflib  # only on the way to an error message

    def plain(text) -> str:
        return str(text).lower().replace("_", "").replace("-", "")

    choices = [c for c in choices if isinstance(c, str)]
    same = [c for c in choices if plain(c) == plain(word)]
    close = same or difflib.get_close_matches(plain(word), [plain(c) for c in choices], n=1,
                                              cutoff=0.6)
    if not close:
        return ""
    best = close[0] if same else next(c for c in choices if plain(c) == close[0])
    return f" (did you mean {best}?)"

