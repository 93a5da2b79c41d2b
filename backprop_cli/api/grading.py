"""bp.grade: `backprop grade` as a function. It marks answer sheets against a problem, as
the command does, and returns the marks as a record: the JSON, the CSV, the feedback and
the tables of the command's formats.

The command's flow lives here once: reading the sheets and the scheme, the precision,
marking (marking.grade) and the documents of each format. `backprop grade` (cli/grade.py)
parses its options, calls these and prints; grade() below returns the same as a record.
"""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass

from backprop_cli.api.display import Markdown, Shown, View
from backprop_cli.api.functions import blamed_on, overridden
from backprop_cli.errors import UsageError, describe
from backprop_cli.problem.reader import Problem


@dataclass(frozen=True, repr=False, eq=False)
class Grades(Shown):
    """The marks of every student of the sheets: shown as `backprop grade`'s tables."""

    problem: Problem  # or a graph exercise (problem/graph/exercise.py)
    results: tuple  # one per student: student, source, score, max_score, slips, rows
    _marks: object
    _graph: dict  # a graph exercise's: its evaluated Graph

    def to_dict(self):
        """The document of `grade --format json`: one student's, or a list of them."""
        from backprop_cli.output.grading.report import student_document

        docs = [student_document(g) for g in self.results]
        return copy.deepcopy(docs[0] if len(docs) == 1 else docs)

    def csv(self) -> str:
        """The class's marks as `grade --format csv` writes them."""
        from backprop_cli.output.grading.report import csv_text

        return csv_text(list(self.results))

    def markdown(self, decimals: int = 4) -> Markdown:
        """Each student's feedback, as `grade --format markdown` writes it."""
        from backprop_cli.output.grading.feedback import feedback

        if not isinstance(self.problem, Problem):
            from backprop_cli.output.grading import expressions

            return Markdown(expressions.feedback(self.problem, self._graph,
                                                 list(self.results), self._marks, decimals))
        return Markdown(feedback(self.problem, list(self.results), self._marks, self._graph,
                                 decimals))

    def view(self, decimals: int = 4):
        from rich.console import Group

        from backprop_cli.output.grading.tables import views

        return Group(*views(self.problem, list(self.results), decimals))

    def table(self, decimals: int = 4) -> View:
        """The tables with `decimals` decimals for the exact values."""
        return View(lambda: self.view(decimals))


def _sheets(answers) -> list[str]:
    if isinstance(answers, str | os.PathLike):
        answers = [answers]
    paths = list(answers) if isinstance(answers, list | tuple) else None
    if not paths or not all(isinstance(p, str | os.PathLike) for p in paths):
        raise UsageError(f"answers: found {describe(answers)}, expected the path of an answer "
                         "sheet (YAML, JSON or a class CSV) or a list of them")
    return [os.fspath(p) for p in paths]


def parse_precision(text, rtol, atol, dashes: str = ""):
    """A Precision parsed from `text` ('4dp', '3sf or 4dp'), or None; dashes: '--' to
    name the command line's options in errors."""
    from backprop_cli.engine.grading.precision import parse

    if text is None:
        return None
    if rtol is not None or atol is not None:
        raise UsageError(f"{dashes}precision and {dashes}rtol/{dashes}atol are two ways to "
                         "say one thing: give one")
    try:
        return parse(text)
    except ValueError as e:
        raise UsageError(f"{dashes}precision: {e}") from None


def check_layout(layout) -> None:
    """--layout is one of the weight layouts."""
    from backprop_cli.problem.reader import LAYOUTS

    if layout is not None and layout not in LAYOUTS:
        raise UsageError(f"--layout {layout}: expected {' or '.join(LAYOUTS)}")


def paths(values) -> tuple:
    """Paths given comma-separated or repeated, each once, in order."""
    return tuple(dict.fromkeys(p.strip() for v in values for p in v.split(",") if p.strip()))


def mark(problem: Problem, sheets, expect: tuple = (), scheme=None, rtol=None, atol=None,
         layout=None, precision=None, id_column=None):
    """`grade`'s work: the scheme's file and the sheets' files (id_column: the class CSVs'
    column of names) read, and marked against `problem` (marking.grade)."""
    from backprop_cli.api.marking import grade as run
    from backprop_cli.problem import answers

    plan = answers.load_scheme(os.fspath(scheme)) if scheme is not None else None
    loaded = [answers.load(path, id_column) for path in sheets]
    with blamed_on(problem):
        return run(problem, loaded, expect, plan, rtol, atol, layout, precision)


def exercise_of(path: str):
    """The graph exercise a file holds (a mapping with `expression`), or None for a
    problem file; with the document read once, a problem from standard input is returned
    too (it cannot be read again): (exercise or None, problem or None)."""
    from backprop_cli.problem import documents, from_document
    from backprop_cli.problem.graph.exercise import from_document as exercise

    label, doc = documents.load(path)
    if isinstance(doc, dict) and "expression" in doc:
        return exercise(doc, label), None
    return None, (from_document(doc, label) if path == "-" else None)


def mark_exercise(exercise, sheets, expect: tuple = (), scheme=None, rtol=None, atol=None,
                  precision=None, id_column=None):
    """mark() for a graph exercise: its sheets' paths are graph's --get paths."""
    from backprop_cli.api.marking import grade_exercise
    from backprop_cli.problem import answers

    plan = answers.load_scheme(os.fspath(scheme)) if scheme is not None else None
    from backprop_cli.problem.answers.table import GRAPH_SECTIONS

    loaded = [answers.load(path, id_column, GRAPH_SECTIONS) for path in sheets]
    return grade_exercise(exercise, loaded, expect, plan, rtol, atol, precision)


def grade(problem, answers, *, expect=(), scheme=None, precision: str | None = None,
          rtol: float | None = None, atol: float | None = None, lr: float | None = None,
          optimizer=None) -> Grades:
    """Mark answer sheets against a problem, as `backprop grade` does. answers: a sheet's
    path or a list of them (YAML or JSON sheets, class CSVs: read from files, since the
    digits written bound the tolerance); expect: paths that were asked for; scheme: a
    marking scheme's path; precision: the exercise's, as `--precision` takes it ("4dp",
    "3sf", "3sf or 4dp"; else the problem's grading section, else 3sf or 4dp); rtol, atol:
    a plain tolerance instead. problem may be a graph exercise's file (one with an
    expression): its sheets answer graph's --get paths (value, forward.n1, gradients.W)."""
    sheets = _sheets(answers)
    expect = paths([expect] if isinstance(expect, str) else expect)
    exercise = exercise_of(os.fspath(problem))[0] \
        if isinstance(problem, str | os.PathLike) and os.fspath(problem) != "-" else None
    if exercise is not None:
        if lr is not None or optimizer is not None:
            raise UsageError(f"lr and optimizer are for network problems: {exercise.source} "
                             "is a graph exercise (it has an expression)")
        graded = mark_exercise(exercise, sheets, expect, scheme, rtol, atol,
                               parse_precision(precision, rtol, atol))
        return Grades(exercise, graded.results, graded.marks, graded.graph)
    problem = overridden(problem, optimizer, lr)
    graded = mark(problem, sheets, expect, scheme, rtol, atol,
                  precision=parse_precision(precision, rtol, atol))
    return Grades(problem, graded.results, graded.marks, graded.graph)


# ------------------------------------------------------------------------ the documents


def visibility(values, option: str = "--visibility") -> dict:
    """Gradescope's visibility settings ([PATH=]WHEN), checked."""
    from backprop_cli.output.grading.gradescope import visibility as parsed

    return parsed(values, option)


def gradescope_document(graded, decimals: int, reveal: bool, shown: dict, stdout) -> dict:
    """One student's results.json for Gradescope."""
    from backprop_cli.output.grading import gradescope

    if _is_exercise(graded):
        from backprop_cli.output.grading import expressions

        return expressions.gradescope(graded.graph, graded.results[0], graded.marks,
                                      decimals, reveal, shown, stdout)

    return gradescope.document(graded.problem, graded.results[0], graded.marks,
                               graded.graph, decimals, reveal, shown, stdout)


def gradescope_unread(message: str, shown: dict, stdout) -> dict:
    """The results.json of a submission that could not be read: 0 and the reason."""
    from backprop_cli.output.grading import gradescope

    return gradescope.unread(message, shown, stdout)


def rendered(graded, fmt: str, decimals: int) -> tuple[str, object]:
    """The marks in `fmt`, as (how it is written, what): ("document", a JSON document),
    ("json lines", compact documents, a class's), ("chunks", CSV text piece by piece),
    ("text", Markdown) or ("views", the terminal's tables). Classes are made piece by
    piece, to be written as they come."""
    from backprop_cli.output.grading import report

    results = list(graded.results)
    if fmt == "json" and len(results) == 1:
        return "document", report.student_document(results[0])
    if fmt == "json":
        return "json lines", report.json_lines(results)
    if fmt == "csv":
        return "chunks", report.csv_chunks(results)
    if fmt == "markdown" and _is_exercise(graded):
        from backprop_cli.output.grading import expressions

        return "text", expressions.feedback(graded.problem, graded.graph, results,
                                            graded.marks, decimals)
    if fmt == "markdown":
        from backprop_cli.output.grading.feedback import feedback

        return "text", feedback(graded.problem, results, graded.marks, graded.graph,
                                decimals)
    from backprop_cli.output.grading.tables import views

    return "views", views(graded.problem, results, decimals)


def _is_exercise(graded) -> bool:
    """Whether the marks are a graph exercise's (mark_exercise), not a problem's."""
    return not isinstance(graded.problem, Problem)
