"""The tables of `backprop grade`, for a terminal: one student's answers (a row per path, a
summary line), or a class (a row per student, then how many made each slip).

Laid out for the terminal's width when printed, by solve's rules (sections.py, cells.py):
a matrix row is never wrapped, a number is shown whole or its column left out (`…`), and
paths, verdicts, slip names and student names are never cut. When the width runs out, the
diagnosis leaves its column for a line of its own under the path; narrower still, each
answer is written on a few lines without a table.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from rich import box
from rich.cells import cell_len
from rich.table import Table
from rich.text import Text

from backprop_cli.errors import counted
from backprop_cli.output.cells import GAP, fit
from backprop_cli.output.cells import width as breadth
from backprop_cli.output.grading.report import number, slip_counts, summary_line, texts
from backprop_cli.output.sections import INDENT, Fitted

NATURAL = 10**6  # room enough for any value: its natural layout
LABELS = ("given", "expected")  # the stacked layout's labels


def views(problem, results: list, decimals: int) -> list:
    """One student in detail; several (a class, or many sheets) one row each."""
    if len(results) == 1:
        return [student_view(problem, results[0], decimals)]
    return [class_view(problem, results)]


def _kind(problem) -> str:
    """What the marked file is called: a graph exercise (it has a program) or a problem."""
    return "Exercise" if hasattr(problem, "program") else "Problem"


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


def wrap(text: str, room: int) -> list[str]:
    """Lines of at most `room` cells, broken at spaces only: a slip name or a path is never
    cut (one longer than room has a line of its own)."""
    return textwrap.wrap(text, max(room, 1), break_long_words=False,
                         break_on_hyphens=False) or [""]


def _longest_word(texts) -> int:
    return max((cell_len(w) for t in texts for w in t.split()), default=0)


def _head(rows: list) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    for label, value in rows:
        grid.add_row(label, Text(value))
    return grid


# ----------------------------------------------------------------- one student


@dataclass(frozen=True)
class _Answer:
    """One row's texts and values, ready to be fitted to any width."""
    path: str
    given: object  # texts as written (nested like the answer), or None when blank
    expected: object
    own: object  # carried: what the person's own numbers give, else None
    shown: int  # the decimals expected and own are shown with
    verdict: str
    diagnosis: str

    def given_lines(self, room: int) -> list[str] | None:
        return [""] if self.given is None else fit(self.given, 0, room)

    def expected_lines(self, room: int) -> list[str] | None:
        lines = fit(self.expected, self.shown, room)
        if lines is None or self.own is None:
            return lines
        own = fit(self.own, self.shown, room - 4)
        if own is None:
            return None
        return lines + (["own " + own[0]] if len(own) == 1 else ["own"] + own)

    def cells(self, rooms: tuple, fits: str) -> tuple | None:
        """(given's lines, expected's lines), each no wider than its room, or None. fits:
        "whole" takes only their natural layout (every column of a matrix up to
        MAX_SHOWN), "elided" columns left out too, "any" blocks of columns too."""
        out = (self.given_lines(rooms[0]), self.expected_lines(rooms[1]))
        if None in out or fits == "any":
            return None if None in out else out
        natural = self.cells((NATURAL, NATURAL), "any")
        if fits == "whole" and out != natural or \
                [len(lines) for lines in out] != [len(lines) for lines in natural]:
            return None
        return out


def _answer(r, decimals: int) -> _Answer:
    shown = min(17, max(decimals, _finest(r.decimals) + 1))  # finer than what was given
    return _Answer(r.path, None if r.given is None else _rows(texts(r.given, r.decimals)),
                   _rows(r.expected), _rows(r.own) if r.verdict == "carried" else None,
                   shown, r.verdict, _diagnosis(r))


def _rows(value):
    """A feature map (C, H, W), a batch of them or a convolution's kernels as a matrix:
    its last axis a row, the rows of each channel (of each sample) one after another."""
    if not isinstance(value, list) or not value or not isinstance(value[0], list) or \
            not value[0] or not isinstance(value[0][0], list):
        return value
    return _rows([row for block in value for row in block])


def student_view(problem, g, decimals: int) -> Fitted:
    head = _head([("Student", g.student), ("Answers", g.source),
                  (_kind(problem), problem.title or problem.source)])
    answers = [_answer(r, decimals) for r in g.rows]
    return Fitted(lambda width: [head, _answers(answers, width), Text(summary_line(g))])


def _answers(answers: list, width: int):
    """The first layout that fits: a table with the diagnosis in its column, then with the
    diagnosis under the path, then each answer on lines of its own; values whole first,
    then with columns left out."""
    for fits in ("whole", "elided"):
        for inline in (True, False):
            table = _answer_table(answers, width, inline, fits)
            if table is not None:
                return table
        if fits == "whole" and _stacked(answers, width, fits) is not None:
            return _stacked(answers, width, fits)
    return _stacked(answers, width, "any")


def _answer_table(answers: list, width: int, inline: bool, fits: str) -> Table | None:
    words = _longest_word(a.diagnosis for a in answers)
    path_w = max([cell_len("path")] + [cell_len(a.path) for a in answers]
                 + ([] if inline else [words + 2]))
    verdict_w = max([cell_len("verdict")] + [cell_len(a.verdict) for a in answers])
    diag_min = max(words, cell_len("diagnosis")) if inline else 0
    names = ("path", "given", "expected", "verdict") + (("diagnosis",) if inline else ())
    gaps = 3 * len(names) - 1  # a space either side of each column, one more between
    room = width - path_w - verdict_w - diag_min - gaps
    natural = [a.cells((NATURAL, NATURAL), "any") for a in answers]
    wide = [max([cell_len(name)] + [breadth(n[i]) for n in natural])
            for i, name in enumerate(LABELS)]
    if sum(wide) <= room:
        rooms = tuple(wide)
    else:  # shared by how wide each column would be
        first = room * wide[0] // max(1, sum(wide))
        rooms = (first, room - first)
    fitted = [a.cells(rooms, fits) for a in answers]
    if None in fitted:
        return None
    cols = [path_w] + [max([cell_len(n)] + [breadth(f[i]) for f in fitted])
                       for i, n in enumerate(LABELS)] + [verdict_w]
    if inline:
        diagnosis = max([cell_len("diagnosis")] + [cell_len(a.diagnosis) for a in answers])
        cols.append(min(width - sum(cols) - gaps, diagnosis))
        if cols[-1] < diag_min:
            return None
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for name, w in zip(names, cols):
        table.add_column(name, width=w, no_wrap=True)
    for a, (given, expected) in zip(answers, fitted):
        path = [a.path] + (["  " + line for line in wrap(a.diagnosis, path_w - 2)]
                           if a.diagnosis and not inline else [])
        cells = [path, given, expected, [a.verdict]]
        if inline:
            cells.append(wrap(a.diagnosis, cols[-1]))
        table.add_row(*(Text("\n".join(c)) for c in cells))
    return table


def _stacked(answers: list, width: int, fits: str) -> Text | None:
    """Without a table: the path and verdict, the diagnosis under them, then the given and
    expected values, each labelled."""
    pad = " " * INDENT
    label = max(cell_len(n) for n in LABELS) + 2
    lines = []
    for a in answers:
        room = width - INDENT - label
        values = a.cells((room, room), fits)
        if values is None:
            if fits != "any":
                return None
            values = (a.given_lines(room) or [GAP], a.expected_lines(room) or [GAP])
        first = f" {a.path}  {a.verdict}"
        if a.diagnosis and cell_len(f"{first}: {a.diagnosis}") <= width:
            lines.append(f"{first}: {a.diagnosis}")
        else:
            lines.append(first)
            lines += [pad + line for line in wrap(a.diagnosis, width - INDENT)] \
                if a.diagnosis else []
        for name, shown in zip(LABELS, values):
            if shown != [""]:
                lines += [pad + (name if i == 0 else "").ljust(label) + line
                          for i, line in enumerate(shown)]
    return Text("\n".join(lines))


# ----------------------------------------------------------------------- a class


def class_view(problem, results: list) -> Fitted:
    files = list(dict.fromkeys(g.source for g in results))
    head = _head([("Answers", ", ".join(files) + f" ({counted(len(results), 'student')})"),
                  (_kind(problem), problem.title or problem.source)])
    counts = slip_counts(results)
    lines = [f"{slip}: {counted(n, 'student')}" for slip, n in counts]
    summary = Text("Slips, most common first: " + ("; ".join(lines) if lines else "none"))
    return Fitted(lambda width: [head, _class(results, width), summary])


def _class(results: list, width: int):
    """A row per student: slips in their column, else under the name, else no table."""
    rows = [(g.student, str(number(g.score)), str(number(g.max_score)), ", ".join(g.slips))
            for g in results]
    words = _longest_word(r[3] for r in rows)
    for inline in (True, False):
        cols = [max([cell_len(h)] + [cell_len(r[i]) for r in rows] + ([] if inline or i
                                                                      else [words + 2]))
                for i, h in enumerate(("student", "score", "of"))]
        names = ("student", "score", "of") + (("slips",) if inline else ())
        left = width - sum(cols) - (3 * len(names) - 1)
        if inline:
            cols.append(min(left, max([cell_len("slips")] + [cell_len(r[3]) for r in rows])))
            if cols[-1] < max(words, cell_len("slips")):
                continue
        elif left < 0:
            break
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for name, w in zip(names, cols):
            table.add_column(name, width=w, no_wrap=True,
                             justify="right" if name in ("score", "of") else "left")
        for student, score, of, slips in rows:
            if inline:
                table.add_row(Text(student), score, of, Text("\n".join(wrap(slips, cols[-1]))))
            else:
                under = ["  " + s for s in wrap(slips, cols[0] - 2)] if slips else []
                table.add_row(Text("\n".join([student] + under)), score, of)
        return table
    pad = " " * INDENT
    lines = []
    for student, score, of, slips in rows:
        lines += [f" {student}", f"{pad}score {score} of {of}"]
        lines += [pad + s for s in wrap("slips: " + slips, width - INDENT)] if slips else []
    return Text("\n".join(lines))
