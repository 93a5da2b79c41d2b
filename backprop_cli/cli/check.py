"""`backprop check`: every analytic gradient against central finite differences."""

from __future__ import annotations

import click

from backprop_cli.cli import common
from backprop_cli.engine import gradcheck


@click.command()
@click.argument("problem", required=False, metavar="[PROBLEM]")
@common.example_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--step", "step_size", type=click.FloatRange(min=0, min_open=True),
              default=gradcheck.STEP, show_default=True, help="Finite-difference step.")
@click.option("--rtol", type=click.FloatRange(min=0), default=gradcheck.RTOL,
              show_default=True)
@click.option("--atol", type=click.FloatRange(min=0), default=gradcheck.ATOL,
              show_default=True)
@common.translate_errors
def check(problem, examples, fmt, step_size, rtol, atol):
    """Compare every analytic gradient with central finite differences.

    Exit status 1 when an entry disagrees beyond the stated tolerance; entries at a kink
    of relu, leaky_relu or elu are skipped and counted.

    \b
    Examples:
      backprop check problems/classic.yaml
      backprop check --example in_out --format json
    """
    source = common.sources((problem,) if problem else (), examples, one="check")[0]
    prob = common.load(source)
    with common.blamed_on(prob):
        result = gradcheck.check(prob.model, prob.params, prob.x, prob.y, step_size, atol,
                                 rtol)
    if fmt == "json":
        doc = {"step": result.step, "atol": result.atol, "rtol": result.rtol,
               "loss": result.loss, "ok": result.ok, "compared": result.compared,
               "parameters": {p.name: {"checked": p.checked, "skipped": p.skipped,
                                       "max_abs": p.max_abs, "max_rel": p.max_rel,
                                       "failures": p.failures}
                              for p in result.parameters}}
        common.emit_doc(doc, "json")
    else:
        from backprop_cli.output.tables import check_view

        common.print_views([check_view(prob, result)])
    return 0 if result.ok else 1  # 1: a disagreement, not an error
