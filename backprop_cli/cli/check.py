"""`backprop check`: every analytic gradient against central finite differences."""

from __future__ import annotations

import click

from backprop_cli.cli import common
from backprop_cli.engine import gradcheck


@click.command()
@click.argument("problems", nargs=-1, metavar="[PROBLEM...]")
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
def check(problems, examples, fmt, step_size, rtol, atol):
    """Compare every analytic gradient of each PROBLEM with central finite differences.

    Exit status 1 when an entry of any problem disagrees beyond the stated tolerance, or
    when nothing could be compared; entries at a kink of relu, leaky_relu or elu are
    skipped and counted. The step scales with each parameter and the inputs it multiplies.

    \b
    Examples:
      backprop check problems/classic.yaml
      backprop check --example in_out --format json
      backprop check variants/*.yaml
    """
    checked = []
    for source in common.sources("check", problems, examples):
        prob = common.load(source)
        with common.blamed_on(prob):
            checked.append((prob, gradcheck.check(prob.inputs, step_size, atol, rtol)))
    if fmt == "json":
        docs = [_document(prob, result) for prob, result in checked]
        common.emit_doc(docs[0] if len(docs) == 1 else docs, "json")
    else:
        from backprop_cli.output.tables import check_view

        common.print_views(check_view(prob, result) for prob, result in checked)
    return 0 if all(result.ok for _, result in checked) else 1  # 1: not verified, no error


def _document(prob, result) -> dict:
    return {"file": prob.source, "step": result.step, "atol": result.atol,
            "rtol": result.rtol, "loss": result.loss, "ok": result.ok,
            "compared": result.compared,
            "parameters": {p.name: {"checked": p.checked, "skipped": p.skipped,
                                    "max_abs": p.max_abs, "max_rel": p.max_rel,
                                    "failures": p.failures}
                           for p in result.parameters}}
