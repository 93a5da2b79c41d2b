"""`backprop grade`: mark answer sheets against a problem, carrying errors forward, and name
the slip behind each wrong answer."""

from __future__ import annotations

import click

from backprop_cli.cli import common
from backprop_cli.errors import UsageError

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


def _paths(values: tuple) -> tuple:
    return tuple(dict.fromkeys(p.strip() for v in values for p in v.split(",") if p.strip()))


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
@click.option("--rtol", type=click.FloatRange(min=0),
              help="Relative tolerance, instead of the decimals written.")
@click.option("--atol", type=click.FloatRange(min=0),
              help="Absolute tolerance, instead of the decimals written.")
@common.translate_errors
def grade(files, examples, lr, optimizer, decimals, fmt, expect, scheme, rtol, atol):
    """Mark ANSWERS (YAML or JSON sheets, or class CSVs) against PROBLEM.

    Each answer is a path of solve's JSON document (as --get takes it) and a value, with
    the decimals worked to: a number is right within half a unit of its last decimal,
    of the exact value (correct) or of what the person's own earlier answers give
    (carried: credit). Each wrong answer is diagnosed by the known slips it matches.

    \b
    Examples:
      backprop grade problems/classic.yaml ada.yaml
      backprop grade problems/classic.yaml *.yaml --format csv > marks.csv
      backprop grade problems/classic.yaml class.csv
      backprop grade problems/classic.yaml ada.yaml --format markdown > feedback.md
      backprop grade p.yaml submission.yaml --format gradescope > results.json
      backprop solve problems/classic.yaml --format sheet > blank.yaml
    """
    problem_path, sheet_paths = _files(files, examples)
    results = _grade(problem_path, sheet_paths, lr, optimizer, _paths(expect), scheme,
                     rtol, atol)
    _emit(results, fmt, decimals)


def _grade(problem_path, sheet_paths, lr, optimizer, expect, scheme_path, rtol, atol):
    from backprop_cli.output.grading.run import grade
    from backprop_cli.problem import answers

    problem = common.load(problem_path, optimizer, lr)
    sheets = [answers.load(path) for path in sheet_paths]
    scheme = answers.load_scheme(scheme_path) if scheme_path is not None else None
    with common.blamed_on(problem):
        graded = grade(problem, sheets, expect, scheme, rtol, atol)
    return graded.problem, list(graded.results), graded.marks, graded.graph


def _emit(graded, fmt: str, decimals: int) -> None:
    from backprop_cli.output.grading import report as grade_report

    problem, results, marks, graph = graded
    if fmt == "gradescope":
        if len(results) != 1:
            raise UsageError(f"--format gradescope writes one student's results.json, "
                             f"found {len(results)} students: give one sheet")
        common.emit_doc(grade_report.gradescope_document(results[0]), "json")
    elif fmt == "json":
        docs = [grade_report.student_document(g) for g in results]
        common.emit_doc(docs[0] if len(docs) == 1 else docs, "json")
    elif fmt == "csv":
        common.emit(grade_report.csv_text(results))
    elif fmt == "markdown":
        from backprop_cli.output.grading.feedback import feedback

        common.emit(feedback(problem, results, marks, graph, decimals))
    else:
        from backprop_cli.output.grading.tables import views

        common.print_views(views(problem, results, decimals))
