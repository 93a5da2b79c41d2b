"""The results of `backprop grade`: one record per student (a row per path, the score), and
the documents built from them: JSON, CSV, the class summary, and the blank answer sheet
that `solve --format sheet` writes (Gradescope's results.json: gradescope.py).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.grading.verdicts import CARRIED, VERDICTS, WRONG
from backprop_cli.engine.slips import SLIPS
from backprop_cli.errors import PathError, UsageError
from backprop_cli.output.fmt import fixed
from backprop_cli.output.grading import points, rows
from backprop_cli.output.grading.rows import Marked
from backprop_cli.output.report import get


@dataclass(frozen=True)
class Graded:
    student: str
    source: str
    score: float
    max_score: float
    slips: tuple  # every slip of its wrong answers, in the catalogue's order
    keys: tuple  # the paths it was asked, in order
    marked: Marked
    index: int  # its row in marked

    @property
    def rows(self) -> tuple:
        """A row per path: built when asked for (a class's CSV never needs them)."""
        return self.marked.rows(self.index, self.keys)


def graded(batch, marks, doc: dict, scheme=None) -> list[Graded]:
    shapes = {it.key: it.flat.shape for it in batch.items}
    keys = list(shapes)
    weights, maxima = points.share(batch, marks, scheme)
    marked = Marked(batch, marks, {k: get(doc, k) for k in keys}, shapes, weights)
    scores = points.scores(batch, weights, marks).tolist()
    asked = np.array([batch.asked[k] for k in keys], dtype=bool).T.reshape(
        len(batch.students), len(keys))  # (S, K)
    wrong = np.array([marks.verdicts[k] == WRONG for k in keys]).T
    order = slip_order()
    patterns: dict = {}  # sheets asked alike share their tuple of paths
    for row in asked:
        if row.tobytes() not in patterns:
            patterns[row.tobytes()] = tuple(k for k, a in zip(keys, row) if a)
    out = []
    for s, student in enumerate(batch.students):
        found = {x for j in np.flatnonzero(wrong[s]) for x in marks.slips[keys[j]][s]}
        out.append(Graded(student, batch.sources[s], scores[s], float(maxima[s]),
                          tuple(sorted(found, key=order.get)),
                          patterns[asked[s].tobytes()], marked, s))
    return out


def slip_order() -> dict:
    """Each slip's place in lists: the network's catalogue, the graph exercises' own slips
    (engine/slips/expressions.py), then `arithmetic`."""
    from backprop_cli.engine.slips.expressions import SLIPS as EXPRESSIONS

    names = [*SLIPS, *EXPRESSIONS]
    names.remove("arithmetic")
    return {name: i for i, name in enumerate(dict.fromkeys(names + ["arithmetic"]))}


def number(value: float):
    """A score as JSON shows it: whole numbers as ints."""
    return int(value) if float(value).is_integer() else float(value)


# -------------------------------------------------------------------------- documents


def student_document(g: Graded) -> dict:
    answers = {}
    for r in g.rows:
        entry = {"given": r.given, "expected": r.expected, "verdict": r.verdict,
                 "slips": list(r.slips)}
        if r.own is not None:
            entry["own"] = r.own
        if r.sources:
            entry["from"] = list(r.sources)
        entry["points"], entry["max_points"] = number(r.points), number(r.max_points)
        answers[r.path] = entry
    return {"student": g.student, "file": g.source, "score": number(g.score),
            "max_score": number(g.max_score), "answers": answers, "slips": list(g.slips)}


def json_lines(results: list):
    """dump_compact_json(student_document(g)) of each student, the same text built a block
    of students at a time: each path's parts encoded for the block at once (a class of
    10,000 has a million answers, most of them numbers that json would encode one by one)."""
    from backprop_cli.problem.documents import dump_compact_json as dumps

    for start in range(0, len(results), rows.BLOCK):
        some = results[start:start + rows.BLOCK]
        marked, first = some[0].marked, some[0].index
        if any(g.marked is not marked or g.index != first + j for j, g in enumerate(some)):
            yield from (dumps(student_document(g)) for g in some)  # not a block of a class
            continue
        texts = {k: _answer_texts(marked, k, slice(first, first + len(some)))
                 for k in dict.fromkeys(k for g in some for k in g.keys)}
        for j, g in enumerate(some):
            answers = ",".join([texts[k][j] for k in g.keys])
            yield (f'{{"student":{dumps(g.student)},"file":{dumps(g.source)},"score":'
                   f'{dumps(number(g.score))},"max_score":{dumps(number(g.max_score))},'
                   f'"answers":{{{answers}}},"slips":{dumps(list(g.slips))}}}')


def _answer_texts(marked, k: str, block: slice) -> list:
    """'"PATH":{...}' of each sheet's answer to path k, as student_document's entry."""
    from backprop_cli.problem.documents import dump_compact_json as dumps

    given, _, own, codes, got, most = marked.columns(k, block)
    slips, sources = marked.marks.slips[k][block], marked.marks.sources[k][block]
    shown = {t: dumps(list(t)) for t in set(slips) | set(sources)}
    points = {v: dumps(number(v)) for v in set(got) | set(most)}
    verdicts = [f',"expected":{dumps(marked.expected[k])},"verdict":{dumps(v)},"slips":'
                for v in VERDICTS]
    head = dumps(k) + ':{"given":'
    numbers = marked.shapes[k] == () and k not in marked.batch.raw  # no lists, no text
    given, shown_own = _values_texts(given, numbers), [""] * len(codes)
    mine = [j for j, c in enumerate(codes) if c in (CARRIED, WRONG)]  # own shown there
    for j, o in zip(mine, _values_texts([own[j] for j in mine], numbers)):
        shown_own[j] = ',"own":' + o if o != "null" else ""
    came = [',"from":' + shown[t] if t else "" for t in sources]
    return [f'{head}{g}{verdicts[c]}{shown[t]}{o}{f},"points":{points[a]},'
            f'"max_points":{points[b]}}}'
            for g, c, t, o, f, a, b in zip(given, codes, slips, shown_own, came, got, most)]


def _values_texts(values: list, numbers: bool) -> list:
    """The JSON text of each value: numbers and nulls alone (no commas in them) from one
    encoding of the list, split; lists and text one by one."""
    from backprop_cli.problem.documents import dump_compact_json as dumps

    if not numbers:
        return [dumps(v) for v in values]
    return dumps(values)[1:-1].split(",") if values else []


def csv_text(results: list) -> str:
    """One row per student: score, max_score, slips (;-separated) and each path's verdict
    ('' where not asked)."""
    return "".join(csv_chunks(results))


def csv_chunks(results: list, block: int = 1000):
    """csv_text in pieces, the header then BLOCK students at a time, to be written as they
    come. Built by column: a class of 1,000 has a hundred thousand cells."""
    import csv
    import io

    marked = results[0].marked if results else None
    keys = list(marked.shapes) if marked is not None else []
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "file", "score", "max_score", "slips", *keys])
    for start in range(0, len(results), block):
        some = results[start:start + block]
        index = [g.index for g in some]
        columns = [np.where(marked.batch.asked[k][index],
                            np.array(VERDICTS + ("",))[marked.marks.verdicts[k][index]],
                            "").tolist() for k in keys]
        firsts = [[g.student, g.source, number(g.score), number(g.max_score),
                   ";".join(g.slips)] for g in some]
        writer.writerows(first + list(rest) for first, rest in
                         zip(firsts, zip(*columns) if columns else [()] * len(firsts)))
        yield out.getvalue()
        out.seek(0)
        out.truncate()
    yield out.getvalue()


def texts(value, decimals):
    """The numbers as the sheet wrote them (its decimals), as text, nested like value: an
    unreadable answer is its own text."""
    if isinstance(value, list):
        each = decimals if isinstance(decimals, list) else [decimals] * len(value)
        return [texts(v, d) for v, d in zip(value, each)]
    if value is None or isinstance(value, str):
        return "null" if value is None else value
    if isinstance(value, int) or not 0 <= decimals <= 17 or abs(value) >= 1e15:
        return repr(value) if not isinstance(value, int) else str(value)
    return fixed(value, decimals)


def written(value, decimals) -> str:
    """A number as the sheet wrote it, or as exact values are shown, in one string: a list
    in brackets, a matrix a row a line (the Markdown feedback and Gradescope's tests)."""
    return _joined(texts(value, decimals))


def _joined(text) -> str:
    if not isinstance(text, list):
        return text
    if text and isinstance(text[0], list):
        return "\n".join(_joined(row) for row in text)
    return "[" + ", ".join(text) + "]"


def summary_line(g: Graded) -> str:
    slips = f"; slips: {', '.join(g.slips)}" if g.slips else ""
    return f"Score {number(g.score)} of {number(g.max_score)}{slips}"


def slip_counts(results: list) -> list:
    """(slip, number of students who made it), most common first."""
    counts = Counter(s for g in results for s in g.slips)
    order = slip_order()
    return sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))


# --------------------------------------------------------------- the blank sheet


def sheet_document(doc: dict, expect=()) -> dict:
    """{student: null, answers: {PATH: null}}: every number of the document by its --get
    leaf path (the settings aside), or the paths --expect gives, blank in their shape."""
    if expect:
        answers = {}
        for path in expect:
            try:
                value = get(doc, path)
            except PathError as e:
                raise UsageError(f"--expect {path}: {str(e).split(': ', 1)[1]}") from None
            if path.startswith(("title", "rounded", "update.optimizer")) or \
                    not _numbers(value):
                raise UsageError(f"--expect {path}: not numbers to answer, expected a path "
                                 "like forward.a1, loss or gradients.W2")
            answers[path] = _blank(value)
    else:
        answers = dict(_leaves(doc, ""))
    return {"student": None, "answers": answers}


def _numbers(value) -> bool:
    if isinstance(value, list):
        return all(_numbers(v) for v in value)
    return value is None or isinstance(value, (int, float)) and not isinstance(value, bool)


def _blank(value):
    return [_blank(v) for v in value] if isinstance(value, list) else None


def _leaves(value, path: str):
    if path in ("title", "rounded", "update.optimizer"):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}.{i}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, None


def sheet_text(problem, doc: dict, expect=()) -> str:
    from backprop_cli.problem import documents

    name = " ".join((problem.title or problem.source).split())
    grading = problem.grading
    lines = [f"# Answer sheet: {name}",
             f"# Answer to {grading.precision.words()}, or more digits;"]
    lines += [f"#   {path}: to {p.words()}" for path, p in grading.precisions.items()]
    lines += ["# leave null where you have no answer. Mark it with: "
              "backprop grade PROBLEM THIS-FILE"]
    return "\n".join(lines) + "\n" + documents.dump_yaml(sheet_document(doc, expect))


def exercise_sheet_text(exercise, doc: dict) -> str:
    """The blank answer sheet of a graph exercise: its value, each step's value and
    gradient (the output's and the inputs' aside: the value and the input's gradients
    are asked instead), each input's gradient; a vector's or matrix's entries one by one."""
    from backprop_cli.engine.grading.precision import DEFAULT
    from backprop_cli.problem import documents

    steps = [n["name"] for n in doc["nodes"] if n["op"] != "input"][:-1]
    asked = {"value": doc["value"]} | {f"forward.{n}": doc["forward"][n] for n in steps} \
        | {f"backward.{n}": doc["backward"][n] for n in steps} \
        | {f"gradients.{k}": v for k, v in doc["gradients"].items()}
    answers = dict(leaf for path, v in asked.items() for leaf in _leaves(v, path))
    name = " ".join((exercise.title or exercise.program.text).split())
    lines = [f"# Answer sheet: {name}",
             f"# Answer to {DEFAULT.words()}, or more digits;",
             "# leave null where you have no answer. Mark it with: "
             "backprop grade EXERCISE THIS-FILE"]
    return "\n".join(lines) + "\n" + documents.dump_yaml({"student": None,
                                                          "answers": answers})
