"""The one place a Rich Console is built (imported only when something is shown)."""

from __future__ import annotations

import re

from rich.console import Console

_TRAILING = re.compile(r"[ \t]+$", re.M)


def make_console(stderr: bool = False) -> Console:
    # Rich itself honours NO_COLOR, FORCE_COLOR and COLUMNS; markup and highlighting are
    # off so that a title like "[x]" or a number is printed as written.
    console = Console(stderr=stderr, markup=False, highlight=False, emoji=False)
    if console.width < 1:  # COLUMNS=0: an unknown width (Rich would print nothing at all)
        console.width = 80
    return console


def plain(text: str) -> str:
    """Rendered text for a file, a pipe or a string: Rich pads every table cell to its
    column's width, and no line keeps those trailing spaces."""
    return _TRAILING.sub("", text)
