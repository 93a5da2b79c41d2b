"""`check`'s flow: each problem's analytic gradients against central finite differences
(engine.gradcheck), and the document and tables of the results."""

from __future__ import annotations

from backprop_cli.api.commands import blamed_on, read
from backprop_cli.engine import gradcheck
from backprop_cli.engine.gradcheck import ATOL, RTOL, STEP

__all__ = ["ATOL", "RTOL", "STEP", "check", "document", "views"]


def check(paths, step: float = STEP, atol: float = ATOL, rtol: float = RTOL) -> list[tuple]:
    """(problem, gradcheck result) of each problem file."""
    checked = []
    for path in paths:
        problem = read(path)
        with blamed_on(problem):
            checked.append((problem, gradcheck.check(problem.inputs, step, atol, rtol)))
    return checked


def document(problem, result) -> dict:
    """One problem's result as `check --format json` writes it."""
    return {"file": problem.source, "step": result.step, "atol": result.atol,
            "rtol": result.rtol, "loss": result.loss, "ok": result.ok,
            "compared": result.compared,
            "parameters": {p.name: {"checked": p.checked, "skipped": p.skipped,
                                    "max_abs": p.max_abs, "max_rel": p.max_rel,
                                    "failures": p.failures}
                           for p in result.parameters}}


def views(checked):
    """The terminal's table of each checked problem (Rich renderables)."""
    from backprop_cli.output.tables import check_view

    return (check_view(problem, result) for problem, result in checked)
