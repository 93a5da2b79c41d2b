"""`backprop grade`: mark answer sheets against a problem, carrying errors forward, and name
the slip behind each wrong answer."""

from __future__ import annotations

import os
from typing import NamedTuple

import click

from backprop_cli.cli import common
from backprop_cli.errors import ProblemError, UsageError

FORMATS = ["table", "json", "csv", "gradescope", "markdown"]


def _files(files: tuple, examples: tuple) -> tuple[str, tuple]:
    """(the problem, the answer sheets): --example names the problem, else the first file."""
    if len(examples) > 1:
        raise UsageError(f"grade marks against one problem, found {len(examples)} --example")
    if examples:
        problem, sheets = common.example_path(examples[0]), files
    elif files:
        problem, sheets = files[0], files[1:]
    else:
        problem, sheets = None, ()
    if not sheets:
        raise UsageError("no answer sheet given: backprop grade PROBLEM ANSWERS... (a YAML "
                         "or JSON sheet, or a class .csv; backprop solve PROBLEM --format "
                         "sheet writes a blank one)")
    common.stdin_once((problem, *sheets))
    return problem, tuple(sheets)


@click.command()
@click.argument("files", nargs=-1, metavar="PROBLEM ANSWERS...")
@common.example_option
@common.problem_options
@common.output_options(FORMATS, "table")
@click.option("--expect", "expect", metavar="PATHS", multiple=True,
              help="Paths that were asked for (comma-separated or repeated): one left "
                   "unanswered is marked missing.")
@click.option("--scheme", metavar="FILE",
              help="A marking scheme: YAML or JSON with points: {PATH: points} and "
                   "optionally default: points (else 1 per answered path).")
@click.option("--precision", metavar="PRECISION",
              help="The exercise's precision for every answer: decimal places or "
                   "significant figures, like 4dp, 3sf or '3sf or 4dp' (else the "
                   "problem's grading section, else 3sf or 4dp, the coarser).")
@click.option("--rtol", type=click.FloatRange(min=0),
              help="Relative tolerance: right within RTOL·|value| (+ ATOL), instead of a "
                   "precision.")
@click.option("--atol", type=click.FloatRange(min=0),
              help="Absolute tolerance, instead of a precision.")
@click.option("--id-column", metavar="NAME",
              help="The CSV column that names the students (else student, name, id or "
                   "file, in any case).")
@click.option("--layout", metavar="LAYOUT",
              help="out_in or in_out: the weight layout of the sheets that declare none "
                   "(else told from their matrices' shapes, or the problem's).")
@click.option("--reveal", is_flag=True,
              help="With --format gradescope: show students the right values.")
@click.option("--visibility", "visibility", metavar="[PATH=]WHEN", multiple=True,
              help="With --format gradescope: when students see the results (WHEN), or "
                   "the answers at or under PATH: hidden, after_due_date, after_published "
                   "or visible. Repeatable.")
@click.option("--stdout-visibility", metavar="WHEN",
              help="With --format gradescope: when students see the autograder's output.")
@common.translate_errors
def grade(files, examples, lr, optimizer, decimals, fmt, expect, scheme, precision, rtol,
          atol, id_column, layout, reveal, visibility, stdout_visibility):
    """Mark ANSWERS (YAML or JSON sheets, or class CSVs) against PROBLEM, a problem
    file or a graph exercise (a file with an expression).

    Each answer is a path of solve's JSON document (as --get takes it) and a value. A
    number is right within the exercise's precision (3 significant figures or 4 decimals
    by default) and the digits it is written with, of the exact value (correct) or of what
    the person's own earlier answers give (carried: credit). A quantity is one question,
    its point shared by its entries. Each wrong answer is diagnosed by the known slips it
    matches.
    An answer that is no number is unreadable: a warning names it, the others are
    marked, and the exit status is 1.

    \b
    Examples:
      backprop grade problems/classic.yaml ada.yaml
      backprop grade problems/classic.yaml *.yaml --format csv > marks.csv
      backprop grade problems/classic.yaml class.csv --id-column email
      backprop grade problems/classic.yaml ada.yaml --format markdown > feedback.md
      backprop grade p.yaml submission.yaml --format gradescope > results.json
      backprop solve problems/classic.yaml --format sheet > blank.yaml
      backprop grade exercise.yaml ada.yaml   (graph: value, forward.n1, gradients.W.0.1)
    """
    from backprop_cli.api import grading

    problem_path, sheet_paths = _files(files, examples)
    shown = _gradescope_options(fmt, sheet_paths, reveal, visibility, stdout_visibility)
    grading.check_layout(layout)
    exercise, read = grading.exercise_of(problem_path)
    if exercise is not None:  # a graph exercise: no network, no optimizer, no layout
        given = [name for name, value in (("--lr", lr), ("--optimizer", optimizer),
                                          ("--layout", layout)) if value is not None]
        if given:
            raise UsageError(f"{given[0]} is for network problems: {problem_path} is a graph "
                             "exercise (it has an expression)")
    run = _Run(problem_path, sheet_paths, lr, optimizer, grading.paths(expect), scheme, rtol,
               atol, id_column, layout, grading.parse_precision(precision, rtol, atol, "--"),
               exercise, read)
    if fmt == "gradescope":
        return _gradescope(run, decimals, reveal, shown, stdout_visibility)
    graded = _grade(run)
    common.warn(graded.warnings)
    _emit(graded, fmt, decimals)
    return 1 if graded.unreadable else 0


class _Run(NamedTuple):
    problem: str
    sheets: tuple
    lr: float | None
    optimizer: str | None
    expect: tuple
    scheme: str | None
    rtol: float | None
    atol: float | None
    id_column: str | None
    layout: str | None
    precision: object = None  # a Precision, from --precision
    exercise: object = None  # a graph exercise, when the file is one
    read: object = None  # the problem, when read from standard input already


def _gradescope_options(fmt, sheet_paths, reveal, visibility, stdout) -> dict:
    """--visibility's values (and --stdout-visibility's), checked; the options only
    Gradescope's format takes (its module imported only for it)."""
    from backprop_cli.api import grading

    if fmt != "gradescope":
        given = [name for name, value in (("--reveal", reveal), ("--visibility", visibility),
                                          ("--stdout-visibility", stdout)) if value]
        if given:
            raise UsageError(f"{given[0]} is for Gradescope's results.json: add --format "
                             "gradescope")
        return {}
    if len(sheet_paths) != 1:
        raise UsageError(f"--format gradescope writes one student's results.json, found "
                         f"{len(sheet_paths)} sheets: give one")
    if stdout is not None:
        grading.visibility((stdout,), "--stdout-visibility")
    return grading.visibility(visibility)


def _load(run: _Run):
    """The graph exercise, or the problem with the command line's overrides."""
    if run.exercise is not None:
        return run.exercise
    if run.read is not None:  # standard input, read already
        return run.read.with_optimizer(run.optimizer, run.lr)
    return common.load(run.problem, run.optimizer, run.lr)


def _grade(run: _Run, problem=None):
    from backprop_cli.api import grading

    problem = problem or _load(run)
    if run.exercise is not None:
        return grading.mark_exercise(problem, run.sheets, run.expect, run.scheme, run.rtol,
                                     run.atol, run.precision, run.id_column)
    return grading.mark(problem, run.sheets, run.expect, run.scheme, run.rtol, run.atol,
                        run.layout, run.precision, run.id_column)


def _gradescope(run: _Run, decimals: int, reveal: bool, shown: dict, stdout) -> int:
    """results.json, always, when the problem and the options are sound: a submission that
    cannot be read gets a score of 0 and the reason (exit status 0: the autograder has its
    file; the warning goes to its log)."""
    from backprop_cli.api import grading

    problem = _load(run)  # the instructor's errors
    label = "<stdin>" if run.sheets[0] == "-" else run.sheets[0]
    try:
        graded = _grade(run, problem)
    except ProblemError as e:
        if e.source != label or e.source == run.scheme:  # not the submission's
            raise
        common.warn((str(e),))
        told = ProblemError(os.path.basename(e.source), e.place, e.message)
        common.emit_doc(grading.gradescope_unread(str(told), shown, stdout), "json")
        return 0
    if len(graded.results) != 1:
        raise UsageError(f"--format gradescope writes one student's results.json, "
                         f"found {len(graded.results)} students: give one sheet")
    common.warn(graded.warnings)
    common.emit_doc(grading.gradescope_document(graded, decimals, reveal, shown, stdout),
                    "json")
    return 0


def _emit(graded, fmt: str, decimals: int) -> None:
    from backprop_cli.api import grading

    how, what = grading.rendered(graded, fmt, decimals)
    if how == "document":
        common.emit_doc(what, "json")
    elif how == "json lines":  # a class: streamed, a compact student document a line
        common.emit_json_lines(what)
    elif how == "chunks":
        common.emit_chunks(what)
    elif how == "text":
        common.emit(what)
    else:
        common.print_views(what)
