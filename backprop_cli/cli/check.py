"""`backprop check`: every analytic gradient against central finite differences."""

from __future__ import annotations

import click

from backprop_cli.api import checking
from backprop_cli.cli import common


@click.command()
@click.argument("problems", nargs=-1, metavar="[PROBLEM...]")
@common.example_option
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@click.option("--step", "step_size", type=click.FloatRange(min=0, min_open=True),
              default=checking.STEP, show_default=True, help="Finite-difference step.")
@click.option("--rtol", type=click.FloatRange(min=0), default=checking.RTOL,
              show_default=True)
@click.option("--atol", type=click.FloatRange(min=0), default=checking.ATOL,
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
    checked = checking.check(common.sources("check", problems, examples), step_size, atol,
                             rtol)
    if fmt == "json":
        docs = [checking.document(prob, result) for prob, result in checked]
        common.emit_doc(docs[0] if len(docs) == 1 else docs, "json")
    else:
        common.print_views(checking.views(checked))
    return 0 if all(result.ok for _, result in checked) else 1  # 1: not verified, no error
