"""bp.grade: `backprop grade` as a function. It marks answer sheets against a problem, as
the command does, and returns the marks as a record: the JSON, the CSV, the feedback and
the tables of the command's formats.

A thin wrapper: output.grade_run.grade is what the command runs too.
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

    problem: Problem
    results: tuple  # one per student: student, source, score, max_score, slips, rows
    _marks: object
    _graph: dict

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


def _precision(text, rtol, atol):
    from backprop_cli.engine.grading.precision import parse

    if text is None:
        return None
    if rtol is not None or atol is not None:
        raise UsageError("precision and rtol/atol are two ways to say one thing: give one")
    try:
        return parse(text)
    except ValueError as e:
        raise UsageError(f"precision: {e}") from None


def grade(problem, answers, *, expect=(), scheme=None, precision: str | None = None,
          rtol: float | None = None, atol: float | None = None, lr: float | None = None,
          optimizer=None) -> Grades:
    """Mark answer sheets against a problem, as `backprop grade` does. answers: a sheet's
    path or a list of them (YAML or JSON sheets, class CSVs: read from files, since the
    digits written bound the tolerance); expect: paths that were asked for; scheme: a
    marking scheme's path; precision: the exercise's, as `--precision` takes it ("4dp",
    "3sf", "3sf or 4dp"; else the problem's grading section, else 3sf or 4dp); rtol, atol:
    a plain tolerance instead."""
    from backprop_cli.output.grading.run import grade as run
    from backprop_cli.problem import answers as sheets_of

    problem = overridden(problem, optimizer, lr)
    sheets = [sheets_of.load(path) for path in _sheets(answers)]
    expect = tuple(dict.fromkeys(p.strip() for e in ([expect] if isinstance(expect, str)
                                                     else expect)
                                 for p in e.split(",") if p.strip()))
    plan = sheets_of.load_scheme(os.fspath(scheme)) if scheme is not None else None
    with blamed_on(problem):
        graded = run(problem, sheets, expect, plan, rtol, atol,
                     precision=_precision(precision, rtol, atol))
    return Grades(problem, graded.results, graded.marks, graded.graph)
