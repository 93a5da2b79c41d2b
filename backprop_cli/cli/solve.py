"""`backprop solve`: forward pass, loss, every gradient and one update of each problem."""

from __future__ import annotations

import click

from backprop_cli.cli import common
from backprop_cli.errors import UsageError

FORMATS = ["table", "json", "yaml", "markdown", "latex", "csv", "sheet"]


def _check_usage(ctx, fmt: str, paths: tuple, diagram: str | None, count: int,
                 expect: tuple = ()) -> None:
    """Options that do not go together are refused before any problem is solved."""
    common.get_or_format(ctx, paths)
    if expect and fmt != "sheet":
        raise UsageError("--expect lists the paths of an answer sheet: add --format sheet")
    if fmt == "sheet" and count != 1:
        raise UsageError("--format sheet writes one problem's answer sheet: give one PROBLEM")
    if diagram is None:
        return
    if fmt not in ("markdown", "latex"):
        raise UsageError("--diagram goes with --format markdown or latex")
    if count != 1:
        raise UsageError("--diagram draws one problem's network: give one PROBLEM")
    if common.picture_target(diagram) == "svg" and fmt == "latex":
        raise UsageError(f"--diagram {diagram}: pdflatex cannot include SVG, expected a .pdf "
                         "or .png name")


@click.command()
@click.argument("problems", nargs=-1, metavar="[PROBLEM...]")
@common.example_option
@common.problem_options
@common.output_options(FORMATS, "table")
@click.option("--get", "paths", metavar="PATH", multiple=True,
              help="Print one value of the JSON document, e.g. loss, sums.h1, "
                   "gradients.b2.0, update.loss; repeat it for several, one a line.")
@click.option("--round", "round_to", type=click.IntRange(0, 15), metavar="K",
              help="Textbook rounding: carry every intermediate value rounded to K decimals "
                   "(half away from zero) into the next step.")
@click.option("--diagram", metavar="FILE",
              help="With --format markdown or latex: draw the network (with its values) to "
                   "FILE and show it in the solution (latex: .pdf or .png; needs the plot "
                   "extra).")
@click.option("--expect", metavar="PATHS", multiple=True,
              help="With --format sheet: the paths the sheet asks for (comma-separated or "
                   "repeated), instead of every number.")
@click.pass_context
@common.translate_errors
def solve(ctx, problems, examples, lr, optimizer, decimals, fmt, paths, round_to, diagram,
          expect):
    """Forward pass, loss, every gradient and one update of each PROBLEM.

    PROBLEM is a YAML or JSON file, or - (or nothing) for standard input.

    \b
    Examples:
      backprop solve problems/classic.yaml
      backprop solve problems/classic.yaml --format json
      backprop solve problems/classic.yaml --get gradients.b2
      backprop solve problems/classic.yaml --get loss --get update.loss
      backprop solve problems/classic.yaml --lr 0.5 --decimals 8
      cat p.yaml | backprop solve - --get update.loss
      backprop solve variants/*.yaml --format csv     # an answer key
      backprop solve problems/classic.yaml --format sheet > blank.yaml
      backprop solve --example classic --format markdown
    """
    from backprop_cli.api import commands

    names = common.sources("solve", problems, examples)
    expect = tuple(p.strip() for e in expect for p in e.split(",") if p.strip())
    _check_usage(ctx, fmt, paths, diagram, len(names), expect)
    results = commands.solve_documents(names, optimizer, lr, round_to)
    if paths:  # each problem's values in the order asked, one a line
        common.emit(commands.values([doc for _, doc in results], paths))
    elif fmt in ("json", "yaml"):
        docs = [doc for _, doc in results]
        common.emit_doc(docs[0] if len(docs) == 1 else docs, fmt)
    elif fmt == "table":
        common.print_views(commands.solve_views(results, decimals))
    else:
        common.emit(commands.solve_text(results, fmt, decimals, diagram, expect))
