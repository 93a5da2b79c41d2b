"""`backprop step`: apply updates and write the updated problem file (or a report)."""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

import click

from backprop_cli.cli import common
from backprop_cli.errors import UsageError

TABLE_ROWS = 20  # the default --every keeps the table of losses on one screen


@dataclass(frozen=True)
class Route:
    """Where step's results go. problem: None, "-" (standard output) or a path; report:
    None, "json" or "yaml" (on standard output); tables: shown on standard output."""

    problem: str | None
    report: str | None
    tables: bool


def route(output: str | None, fmt: str | None, terminal: bool) -> Route:
    """The contract's rules: with -o FILE the problem goes there, tables to a terminal only,
    a report only when --format asks; with neither, the problem goes to a pipe and tables to
    a terminal; --format json|yaml is the report, table the tables."""
    if output == "-" and fmt is not None:
        raise UsageError("-o - and --format both write to standard output: choose one")
    report = fmt if fmt in ("json", "yaml") else None
    if output is None and fmt is None:
        return Route(None if terminal else "-", None, terminal)
    tables = fmt == "table" or (fmt is None and terminal and output != "-")
    return Route(output, report, tables)


def progress_delay() -> float:
    """BACKPROP_PROGRESS_AFTER: seconds before the progress bar shows (default 0.5)."""
    text = os.environ.get("BACKPROP_PROGRESS_AFTER", "0.5")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        raise UsageError(f"BACKPROP_PROGRESS_AFTER={text!r}: expected a number of seconds "
                         ">= 0, like 0.5")
    return value


@click.command()
@click.argument("problems", nargs=-1, metavar="[PROBLEM]")
@common.example_option
@common.problem_options
@click.option("--steps", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many updates to apply.")
@common.output_options(["table", "json", "yaml"], None)
@click.option("--every", type=click.IntRange(min=1), metavar="K",
              help="In the table, show the loss every K steps (and the last). Default: "
                   f"about {TABLE_ROWS} rows, whatever --steps is.")
@click.option("-o", "--output", metavar="FILE",
              help="Write the updated problem file here (atomically; may be the input; "
                   "- for standard output; .json names get JSON).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--plot", metavar="FILE",
              help="Draw the loss per step to FILE (.png, .svg or .pdf; needs the plot extra).")
@common.translate_errors
def step(problems, examples, lr, optimizer, steps, decimals, fmt, every, output, quiet, plot):
    """Apply --steps updates to PROBLEM and write the updated problem file.

    With no -o and no --format, the updated problem goes to standard output as YAML when
    that is a pipe or file (so steps chain), and tables are shown on a terminal (then
    nothing is saved: a note on stderr says so).

    \b
    Examples:
      backprop step problems/classic.yaml --lr 1 -o after.yaml
      backprop step --lr 1 < p.yaml | backprop step | backprop solve --get loss
      backprop step p.yaml --optimizer adam --lr 0.1 --steps 100 --format json
      backprop step p.yaml -o p.yaml            # update the file in place
      backprop step p.yaml --optimizer adam --lr 0.05 --steps 500 --plot losses.png
    """
    from backprop_cli.api import commands

    # Every usage check before the work: a long run must not end in a refusal.
    to = route(output, fmt, sys.stdout.isatty())
    if every is not None and not to.tables:
        raise UsageError("--every thins the table of losses, and no table is shown here: "
                         "use it on a terminal or with --format table")
    source = common.sources("step", problems, examples, single=True)[0]
    if plot is not None:
        common.picture_target(plot)
    after = progress_delay()
    prob = common.load(source, optimizer, lr)
    with commands.progress(steps, quiet, after) as tick:
        run = commands.train(prob, steps, tick)
    if plot is not None:
        commands.plot_losses(prob, run, plot)
    _write_problem(prob, run, to.problem)
    _show(prob, run, to, decimals, every or max(1, math.ceil(steps / TABLE_ROWS)))
    if output is None and fmt is None and to.tables:  # a terminal: the update is shown only
        click.echo("Note: the updated problem was not saved; add -o FILE (or pipe the "
                   "output) to keep it.", err=True)


def _write_problem(prob, run, target: str | None) -> None:
    from backprop_cli.api import commands, writing

    if target is None:
        return
    doc = commands.updated_document(prob, run)
    if target == "-":
        common.emit_doc(doc, "yaml")
    else:
        writing.write_file(target, doc, "json" if target.lower().endswith(".json") else "yaml")


def _show(prob, run, to: Route, decimals: int, every: int) -> None:
    from backprop_cli.api import commands

    if to.report is None and not to.tables:
        return
    doc = commands.step_document(prob, run)
    if to.report is not None:
        common.emit_doc(doc, to.report)
    if to.tables:
        common.print_views(commands.step_views(prob, doc, decimals, every))
