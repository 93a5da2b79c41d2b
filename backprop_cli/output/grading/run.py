"""Grading, start to finish, for the command line and the Python API alike: the exact
solution once, the quantities' dependencies, each sheet's paths checked and marked."""

from __future__ import annotations

from dataclasses import dataclass

from backprop_cli.problem.reader import Problem


@dataclass(frozen=True)
class Graded:
    problem: Problem
    results: tuple  # one per student: student, source, score, max_score, slips, rows
    marks: object  # the marking of every sheet (engine.grading.marking)
    graph: dict  # the quantities by path, with what each depends on


def grade(problem: Problem, sheets: list, expect: tuple = (), scheme=None,
          rtol: float | None = None, atol: float | None = None) -> Graded:
    """Mark loaded answer sheets (problem.answers.load) against `problem` (its overrides
    applied). Raises NumericalError when the exact solution overflows."""
    from backprop_cli import engine
    from backprop_cli.engine.grading.graph import Context, nodes
    from backprop_cli.engine.grading.marking import mark
    from backprop_cli.output import report
    from backprop_cli.output.grading import paths as grade_paths
    from backprop_cli.output.grading import report as grade_report

    sol = engine.solve(problem.model, problem.params, problem.x, problem.y,
                       problem.optimizer, problem.hyper, problem.state)
    doc = report.solve_document(problem, sol)
    ctx = Context(problem.model, problem.params, problem.x, problem.y, problem.optimizer,
                  problem.hyper, problem.state)
    graph = {n.name: n for n in nodes(ctx)}
    batch = grade_paths.batch(problem, doc, graph, sheets, expect, scheme)
    marks = mark(ctx, sol, batch.items, batch.given, batch.decimals, batch.transposed,
                 rtol, atol)
    return Graded(problem, tuple(grade_report.graded(batch, marks, doc, scheme)), marks, graph)
