"""Which precision marks each answered path. Sources, strongest first: --rtol/--atol, or
--precision (every path alike); the problem's `grading:` section (its `precisions` for the
most specific path that holds the answer, else its `precision`); the default, 3sf or 4dp.
"""

from __future__ import annotations

from backprop_cli.engine.grading.precision import Precision


def for_paths(problem, keys, rtol=None, atol=None, precision: Precision | None = None) -> dict:
    """{key: Precision} for each answered path."""
    if rtol is not None or atol is not None:
        return dict.fromkeys(keys, Precision(rtol=rtol or 0.0, atol=atol or 0.0))
    if precision is not None:
        return dict.fromkeys(keys, precision)
    grading = problem.grading
    return {k: _most_specific(k, grading.precisions) or grading.precision for k in keys}


def _most_specific(key: str, table: dict):
    parts = key.split(".")
    for n in range(len(parts), 0, -1):
        found = table.get(".".join(parts[:n]))
        if found is not None:
            return found
    return None
