"""`backprop graph`: the forward and backward tables of a scalar expression's computational
graph; and `backprop new --graph`, seeded variants of an exercise for a class."""

from __future__ import annotations

import os
import re
import sys

import click

from backprop_cli.cli import common
from backprop_cli.errors import UsageError, counted

FORMATS = ["table", "json", "yaml", "markdown", "latex", "csv", "sheet"]
FILE_NAMES = (".yaml", ".yml", ".json")
_ASSIGNMENT = re.compile(r"[A-Za-z_]\w*\s*=")


@click.command()
@click.argument("args", nargs=-1, metavar="EXPRESSION [NAME=VALUE...] | [FILE...]")
@common.output_options(FORMATS, "table")
@click.option("--get", "path", metavar="PATH",
              help="Print one value of the JSON document, e.g. value, gradients.x, "
                   "nodes.3.upstream.")
@click.option("--upstream", metavar="VALUE",
              help="∂L/∂f for a result that is not a scalar, in its shape: "
                   "--upstream \"[[1, 0], [0, 1]]\" (as unit tests give dout).")
@click.option("--draw", metavar="FILE",
              help="Draw the graph, each edge with its value above and its gradient below, "
                   "to FILE (.svg, .png or .pdf; needs the plot extra). With --format "
                   "markdown or latex the solution shows it (latex: .pdf or .png).")
@click.pass_context
@common.translate_errors
def graph(ctx, args, decimals, fmt, path, upstream, draw):
    """Forward and backward pass of an expression, node by node.

    Give an EXPRESSION and a NAME=VALUE for each of its inputs (a number, or a vector or
    matrix as a list: W="[[1, 2], [3, 4]]"), or exercise FILEs (YAML or
    JSON with expression, values, and optionally title and inputs; - for standard input).
    An expression may be several named steps: "s = sigmoid(y); f = (x + s) / (1 + s)".
    Start an expression that begins with - after --, as in: backprop graph -- "-x * y" x=1 y=2.

    \b
    Examples:
      backprop graph "(x + y) * z" x=-2 y=5 z=-4
      backprop graph "(x + y) * z" x=-2 y=5 z=-4 --get gradients.x
      backprop graph "sigmoid(w0*x0 + w1*x1 + w2)" w0=2 x0=-1 w1=-3 x1=-2 w2=-3
      backprop graph exercise.yaml --format json
      backprop graph exercise.yaml --format latex > solution.tex
      backprop graph "(x + y) * z" x=-2 y=5 z=-4 --draw graph.svg
      backprop graph "sum((W @ x) ** 2)" W="[[1, 2], [3, 4]]" x="[1, -1]"
      backprop graph "W @ x" W="[[1, 2], [3, 4]]" x="[1, -1]" --upstream "[1, 0]"
      backprop graph variants/*.yaml --format csv     # an answer key
      backprop graph exercise.yaml --format sheet > blank.yaml   # for backprop grade
    """
    from backprop_cli.api import graphs

    common.get_or_format(ctx, path)
    exercises = _exercises(args, upstream)
    _check_usage(fmt, draw, len(exercises))
    if fmt == "sheet" and len(exercises) != 1:
        raise UsageError("--format sheet writes one exercise's answer sheet: give one "
                         "expression or one exercise file")
    results = graphs.evaluated(exercises)
    if draw is not None:
        graphs.draw(results[0][1], draw, decimals)
    docs = [doc for _, _, doc in results]
    if path is not None:
        common.emit(graphs.values(docs, path))
    elif fmt in ("json", "yaml"):
        common.emit_doc(docs[0] if len(docs) == 1 else docs, fmt)
    elif fmt == "table":
        common.print_views(graphs.views(results, decimals))
    else:
        common.emit(graphs.text(results, fmt, decimals, draw))


def _is_file(arg: str) -> bool:
    return arg == "-" or arg.lower().endswith(FILE_NAMES) or os.path.isfile(arg)


def _exercises(args: tuple[str, ...], upstream: str | None = None) -> list:
    """An expression with its values, or exercise files, or standard input."""
    from backprop_cli.api import graphs

    if not args:
        if sys.stdin.isatty():
            raise UsageError("no exercise given: give an expression and its values "
                             "(backprop graph \"(x + y) * z\" x=-2 y=5 z=-4), exercise files, "
                             "or pipe one in")
        args = ("-",)
    if not _is_file(args[0]):
        return [graphs.from_arguments(args[0], args[1:], upstream)]
    if upstream is not None:
        raise UsageError("--upstream: found a value after an exercise file, expected "
                         "--upstream only with an expression (a file gives its own: "
                         "upstream: in the file)")
    for arg in args:
        if _ASSIGNMENT.match(arg) and not _is_file(arg):
            raise UsageError(f"{arg}: found a value after an exercise file, expected NAME=VALUE "
                             "only after an expression (a file gives its own values)")
    common.stdin_once(args)
    return [graphs.load(arg) for arg in args]


def _check_usage(fmt: str, draw: str | None, count: int) -> None:
    if draw is None:
        return
    if count != 1:
        raise UsageError("--draw draws one graph: give one expression or one exercise file")
    if common.picture_target(draw) == "svg" and fmt == "latex":
        raise UsageError(f"--draw {draw}: pdflatex cannot include SVG, expected a .pdf or "
                         ".png name")


# ------------------------------------------------------------------ backprop new --graph


def new_graph(expression: str | None, seed: int, decimals: int | None, low: float | None,
              high: float | None, title: str | None, count: int | None, output: str | None,
              others: dict, shapes: tuple[str, ...] = ()) -> None:
    """`backprop new --graph EXPRESSION|FILE`: exercise files with seeded values in the
    shapes --shape gives (or the file's values have), written by the rules of network
    variants (-o, --count, --replace). others: the options of `new` that make networks,
    refused here when given."""
    from backprop_cli.api import generating, graphs
    from backprop_cli.cli.new import check_output

    if expression is None:
        raise UsageError("--shape goes with --graph EXPRESSION" if shapes else
                         "--low and --high go with --graph EXPRESSION")
    replace = bool(others.get("--replace"))
    given = [name for name, value in others.items()
             if value not in (None, False) and name != "--replace"]
    if given:
        raise UsageError(f"{given[0]} does not go with --graph")
    low, high = _range(low, high, decimals)
    if shapes and _is_file(expression):
        raise UsageError(f"--shape {shapes[0]}: found the exercise file {expression}, expected "
                         "an expression (a file's values give each input's shape)")
    old = check_output(output, count, replace)
    template = graphs.template_file(expression) if _is_file(expression) else \
        graphs.template(expression, shapes)
    docs = graphs.variants(template, seed, count, low, high, decimals, title)
    if count is None:
        if output in (None, "-"):
            common.emit(generating.yaml_text(docs[0]))
        else:
            generating.write_by_name(output, docs[0])
        return
    names = generating.write_variants(output, docs, old)
    replaced = f", after removing the {len(old)} of an earlier run" if old else ""
    click.echo(f"wrote {counted(len(docs), 'exercise')} to {output} ({names[0]} to {names[-1]})"
               f"{replaced}", err=True)


def _range(low: float | None, high: float | None, decimals: int | None) -> tuple:
    """--low and --high, their defaults filled in, checked."""
    from backprop_cli.api import graphs

    low, high = (graphs.LOW if low is None else low), (graphs.HIGH if high is None else high)
    for flag, value in (("--low", low), ("--high", high)):
        if not abs(value) <= graphs.BOUND:  # nan too
            raise UsageError(f"{flag}: found {value:g}, expected a number from -1e15 to 1e15")
    if low > high:
        raise UsageError(f"--low {low:g} is above --high {high:g}, expected low <= high")
    if decimals is None and not (float(low).is_integer() and float(high).is_integer()):
        raise UsageError("--low and --high are whole numbers unless --decimals is given")
    return low, high
