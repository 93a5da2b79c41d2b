"""Grading, start to finish, for the command line and the Python API alike (grading.py
calls it): the exact solution once, the quantities' dependencies, each sheet's paths
checked and marked.

An answer with an unreadable number is marked as blank, then labelled `unreadable` (no
points, no slips); the notes for the person grading (unreadable numbers, columns left
out, sheets in the other layout, names given twice) are returned, never printed."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from backprop_cli.problem.reader import Problem

BLOCK = 10000  # sheets marked at once, at most: a class's worlds never all in memory


@dataclass(frozen=True)
class Graded:
    problem: Problem
    results: tuple  # one per student: student, source, score, max_score, slips, rows
    marks: object  # the marking of every sheet (engine.grading.marking)
    graph: dict  # the quantities by path, with what each depends on
    warnings: tuple = ()  # one line each, for the person grading
    unreadable: int = 0  # how many answers were unreadable


def grade(problem: Problem, sheets: list, expect: tuple = (), scheme=None,
          rtol: float | None = None, atol: float | None = None,
          layout: str | None = None, precision=None) -> Graded:
    """Mark loaded answer sheets (problem.answers.load) against `problem` (its overrides
    applied); layout: the weight layout of the sheets that declare none; scheme (else the
    problem's grading points), rtol/atol or precision (a Precision, else the problem's):
    tolerance.py. Raises NumericalError when the exact solution overflows."""
    from backprop_cli import engine
    from backprop_cli.engine.grading.graph import nodes
    from backprop_cli.output import report
    from backprop_cli.output.grading import paths as grade_paths
    from backprop_cli.output.grading import report as grade_report
    from backprop_cli.output.grading import tolerance

    sol = engine.solve(problem.inputs)
    doc = report.solve_document(problem, sol)
    ctx = problem.inputs
    graph = {n.name: n for n in nodes(ctx)}
    scheme = scheme if scheme is not None else problem.grading.scheme
    batch = grade_paths.batch(problem, doc, graph, sheets, expect, scheme, layout)
    unread = {k: batch.unreadable(k) for k in batch.raw}
    given = {k: np.where(unread[k][:, None], np.nan, g) if k in unread else g
             for k, g in batch.given.items()}  # marked as blank, labelled after
    precisions = tolerance.for_paths(problem, [it.key for it in batch.items], rtol, atol,
                                     precision)
    marks = _marked(ctx, sol, batch, given, precisions)
    count = _labelled(marks, unread)
    warnings = tuple(w for s in sheets for w in s.warnings) + batch.notes + \
        _named_twice(sheets)
    return Graded(problem, tuple(grade_report.graded(batch, marks, doc, scheme)), marks,
                  graph, warnings, count)


def _marked(ctx, sol, batch, given: dict, precisions):
    """Every sheet marked, BLOCK sheets at a time (each sheet is marked on its own, so the
    same marks as all at once): the worlds of a large class are never all in memory."""
    from backprop_cli.engine.grading.marking import joined, mark

    sheets = len(batch.students)
    size = -(-sheets // -(-sheets // BLOCK)) if sheets else 1  # equal blocks of <= BLOCK
    blocks = [slice(i, i + size) for i in range(0, sheets, size)] if given else [slice(None)]
    return joined([mark(ctx, sol, batch.items, *({k: a[b] for k, a in t.items()} for t in
                                                  (given, batch.decimals, batch.transposed)),
                        precisions) for b in blocks])


def _labelled(marks, unread: dict) -> int:
    """Label the answers with an unreadable number so: no points, no slips, no sources."""
    from backprop_cli.engine.grading.verdicts import UNREADABLE

    entries = getattr(marks, "entries", {})  # per entry, where marking keeps them
    for key, rows in unread.items():
        marks.verdicts[key][rows] = UNREADABLE
        if key in entries:
            entries[key][rows] = UNREADABLE
        for s in np.flatnonzero(rows):
            marks.slips[key][s], marks.sources[key][s] = (), ()
    return int(sum(rows.sum() for rows in unread.values()))


def _named_twice(sheets: list) -> tuple:
    """A note for each name given to more than one student (each is still marked)."""
    where = defaultdict(list)
    for sheet in sheets:
        lines = sheet.lines or (None,) * len(sheet.students)
        for name, line in zip(sheet.students, lines):
            where[name].append(sheet.source + (f" line {line}" if line else ""))
    return tuple(f"the student {name!r} appears {len(places)} times ({', '.join(places)}): "
                 "each is marked on its own" for name, places in where.items()
                 if len(places) > 1)


def grade_exercise(exercise, sheets: list, expect: tuple = (), scheme=None,
                   rtol: float | None = None, atol: float | None = None,
                   precision=None) -> Graded:
    """grade() for a graph exercise (problem/graph/exercise.py): its nodes' values and
    gradients are the quantities, marked by engine/grading/expressions; rows, points and
    documents as a problem's. Graded.problem is the exercise, Graded.graph its evaluated
    expression (engine.graph.program.Graph)."""
    from backprop_cli.engine.grading.expressions.marking import mark
    from backprop_cli.engine.grading.expressions.quantities import quantities
    from backprop_cli.engine.grading.precision import DEFAULT
    from backprop_cli.engine.graph.program import evaluate
    from backprop_cli.output.grading import expressions as sheets_of
    from backprop_cli.output.grading import report as grade_report
    from backprop_cli.output.grading import tolerance
    from backprop_cli.output.graph.tables import document

    graph = evaluate(exercise.program, exercise.values, exercise.seed)
    doc = document(exercise, graph)
    q = quantities(graph)
    batch = sheets_of.batch(doc, sheets, expect, scheme)
    unread = {k: batch.unreadable(k) for k in batch.raw}
    given = {k: np.where(unread[k][:, None], np.nan, g) if k in unread else g
             for k, g in batch.given.items()}  # marked as blank, labelled after
    keys = [it.key for it in batch.items]
    precisions = tolerance.for_paths(None, keys, rtol, atol, precision) \
        if rtol is not None or atol is not None or precision is not None \
        else dict.fromkeys(keys, DEFAULT)
    marks = mark(q, sheets_of.items_of(batch), given, batch.decimals, batch.transposed,
                 precisions)
    count = _labelled(marks, unread)
    warnings = tuple(w for s in sheets for w in s.warnings) + _named_twice(sheets)
    return Graded(exercise, tuple(grade_report.graded(batch, marks, doc, scheme)), marks,
                  graph, warnings, count)
