"""Gradescope's results.json (`grade --format gradescope`), as its autograder
specification defines it: a score, an output for the whole submission and a test per
answer, each with its points, passed or failed, and Markdown feedback (`output_format:
md`): the verdict, the slip and its hint, and for a wrong answer the right formula with
the student's own numbers (formulas.py, as the Markdown feedback writes it).

The key stays hidden: neither the expected value nor what the formula gives is shown
unless reveal is set, since students resubmit. Visibility (when students see a test, or
the submission's stdout) is Gradescope's: hidden, after_due_date, after_published,
visible.
"""

from __future__ import annotations

from backprop_cli.errors import UsageError
from backprop_cli.output.grading.feedback import slip_lines
from backprop_cli.output.grading.formulas import formula
from backprop_cli.output.grading.report import number, summary_line, written

VISIBILITY = ("hidden", "after_due_date", "after_published", "visible")
PASSED = ("correct", "carried")


def visibility(values, option: str = "--visibility") -> dict:
    """{PATH or '': WHEN} from --visibility's values, WHEN or PATH=WHEN ('' is the whole
    submission's)."""
    out = {}
    for value in values:
        path, _, when = value.rpartition("=")
        if when.strip() not in VISIBILITY or path and option != "--visibility":
            also = ", or PATH=WHEN for the answers at or under PATH" if option == \
                "--visibility" else ""
            raise UsageError(f"{option} {value}: expected one of {', '.join(VISIBILITY)}"
                             + also)
        out[path.strip()] = when.strip()
    return out


def document(problem, g, marks, graph: dict, decimals: int, reveal: bool = False,
             shown: dict | None = None, stdout: str | None = None) -> dict:
    """results.json for one student. shown: {PATH or '': WHEN} (visibility); stdout:
    stdout_visibility."""
    shown = shown or {}
    tests = []
    for r in g.rows:
        test = {"name": r.path, "score": number(r.points), "max_score": number(r.max_points),
                "status": "passed" if r.verdict in PASSED else "failed",
                "output": answer_output(problem, r, g.index, marks, graph, decimals, reveal),
                "output_format": "md"}
        owner = owner_of(r.path, shown)
        if owner is not None:
            test["visibility"] = shown[owner]
        tests.append(test)
    return top({"score": number(g.score), "output": summary_line(g), "output_format": "md",
                 "tests": tests}, shown, stdout)


def unread(message: str, shown: dict | None = None, stdout: str | None = None) -> dict:
    """results.json for a submission that could not be read at all: a score of 0 and why."""
    return top({"score": 0, "output": f"Your answers could not be read, so nothing was "
                                       f"marked: {message}. Fix the file and resubmit.",
                 "output_format": "md", "tests": []}, shown or {}, stdout)


def top(doc: dict, shown: dict, stdout: str | None) -> dict:
    if "" in shown:
        doc["visibility"] = shown[""]
    if stdout is not None:
        doc["stdout_visibility"] = stdout
    return doc


def owner_of(path: str, shown: dict) -> str | None:
    """The most specific PATH of --visibility that is the path or holds it."""
    parts = path.split(".")
    return next((p for p in (".".join(parts[:n]) for n in range(len(parts), 0, -1))
                 if p in shown), None)


def answer_output(problem, r, s: int, marks, graph: dict, decimals: int, reveal: bool) -> str:
    right = f" The right value is {inline(r.expected, decimals)}." if reveal else ""
    if r.verdict == "correct":
        return "Correct."
    if r.verdict == "missing":
        return "Not answered." + right
    if r.verdict == "unreadable":
        return f"Could not be read as a number: you wrote `{_raw(r.given)}`.{right}"
    if r.verdict == "carried":
        origin = f" `{'`, `'.join(r.sources)}`" if r.sources else " an earlier answer"
        return (f"Right for your own earlier numbers: it follows from{origin}, where the "
                "mistake is marked.")
    lines = [f"**Wrong.** You wrote {inline(r.given, r.decimals)}.{right}", ""]
    lines += slip_lines(r.slips)
    node = graph[marks.nodes[r.path]]
    values = {name: marks.values[name][s] for name in marks.inputs[node.name]}
    tex = formula(problem, node, values, marks.centers[node.name][s], decimals)
    if not reveal:  # what the formula gives would be the key
        tex = tex.rsplit(" = ", 1)[0] if tex.count(" = ") > 1 else ""
    if tex:
        lines += ["**The rule, with your numbers:**", "", f"$${tex}$$"]
    return "\n".join(lines).rstrip()


def inline(value, decimals) -> str:
    """On one line: [a, b] for a vector, [a, b]; [c, d] for a matrix's rows."""
    text = written(value, decimals)
    if isinstance(text, str):
        return text.replace("\n", "; ")
    if text and isinstance(text[0], list):
        return "; ".join(_inline_row(r) for r in text)
    return _inline_row(text)


def _inline_row(texts: list) -> str:
    return "[" + ", ".join(texts) + "]"


def _raw(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_raw(v) for v in value) + "]"
    return str(value).replace("`", "'")
