"""The tables of `backprop grade`, for a terminal: one student's answers (a row per path, a
summary line), or a class (a row per student, then how many made each slip)."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from backprop_cli.output.fmt import fixed
from backprop_cli.output.grading.report import number, slip_counts, summary_line


def views(problem, results: list, decimals: int) -> list:
    """One student in detail; several (a class, or many sheets) one row each."""
    if len(results) == 1:
        return [student_view(problem, results[0], decimals)]
    return [class_view(problem, results)]


def written(value, decimals) -> str:
    """A number as the sheet wrote it (its decimals), or as exact values are shown."""
    if isinstance(value, list):
        inner = [written(v, d) for v, d in zip(value, decimals if isinstance(decimals, list)
                                                else [decimals] * len(value))]
        if value and isinstance(value[0], list):
            return "\n".join(inner)
        return "[" + ", ".join(inner) + "]"
    if value is None:
        return "null"
    if isinstance(value, str):  # an unreadable answer: its text
        return value
    if isinstance(value, int) or not 0 <= decimals <= 17 or abs(value) >= 1e15:
        return repr(value) if not isinstance(value, int) else str(value)
    return fixed(value, decimals)


def _finest(decimals) -> int:
    if isinstance(decimals, list):
        return max((_finest(d) for d in decimals), default=0)
    return 0 if decimals is None else int(decimals)


def _diagnosis(r) -> str:
    if r.verdict == "wrong":
        return ", ".join(r.slips) or "?"
    if r.verdict == "carried" and (r.sources or r.slips):
        origin = f"from {', '.join(r.sources)}" if r.sources else ""
        slips = ", ".join(r.slips)
        return f"{origin}: {slips}" if origin and slips else origin or slips
    return ""


def _head(rows: list) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, Text(value))
    return grid


def student_view(problem, g, decimals: int) -> Group:
    head = _head([("Student", g.student), ("Answers", g.source),
                  ("Problem", problem.title or problem.source)])
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for name in ("path", "given", "expected", "verdict", "diagnosis"):
        table.add_column(name, no_wrap=name in ("path", "verdict"))
    for r in g.rows:
        shown = min(17, max(decimals, _finest(r.decimals) + 1))  # finer than what was given
        expected = written(r.expected, shown)
        if r.verdict == "carried":
            expected += "\nown " + written(r.own, shown)
        given = "" if r.given is None else written(r.given, r.decimals)
        table.add_row(Text(r.path), Text(given), Text(expected), r.verdict,
                      Text(_diagnosis(r)))
    return Group(head, table, Text(summary_line(g)))


def class_view(problem, results: list) -> Group:
    files = list(dict.fromkeys(g.source for g in results))
    head = _head([("Answers", ", ".join(files) + f" ({len(results)} students)"),
                  ("Problem", problem.title or problem.source)])
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for name in ("student", "score", "of", "slips"):
        table.add_column(name, justify="right" if name in ("score", "of") else "left")
    for g in results:
        table.add_row(Text(g.student), str(number(g.score)), str(number(g.max_score)),
                      ", ".join(g.slips))
    counts = slip_counts(results)
    lines = [f"{slip}: {n} student{'s' if n != 1 else ''}" for slip, n in counts]
    summary = Text("Slips, most common first: " + ("; ".join(lines) if lines else "none"))
    return Group(head, table, summary)
