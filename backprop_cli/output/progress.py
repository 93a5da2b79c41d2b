"""A progress bar for long `step` runs, on a terminal's stderr only."""

from __future__ import annotations

import contextlib
import sys
import time


@contextlib.contextmanager
def progress(steps: int, quiet: bool, after: float):
    """A progress callback for engine.train: a Rich bar on a terminal's stderr, shown only
    once the run has taken longer than `after` seconds."""
    if quiet or steps < 2 or not sys.stderr.isatty():
        yield None
        return
    start = time.perf_counter()
    live = {}

    def tick(i: int) -> None:
        if not live:
            if time.perf_counter() - start < after:
                return
            from rich.progress import Progress

            from backprop_cli.output.console import make_console

            live["bar"] = bar = Progress(console=make_console(stderr=True), transient=True)
            live["task"] = bar.add_task("steps", total=steps)
            bar.start()
        live["bar"].update(live["task"], completed=i)

    try:
        yield tick
    finally:
        if live:
            live["bar"].stop()
