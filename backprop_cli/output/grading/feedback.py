"""The feedback a student reads (`grade --format markdown`): the score, a table of their
answers, then for each wrong one what they wrote, the right value, the slip, and the right
formula with their own numbers. Markdown with $…$ maths, as the worked solutions write it.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.slips import SLIPS
from backprop_cli.output.grading.formulas import formula
from backprop_cli.output.grading.report import number, written

QUANTITY = {"forward": "the forward pass", "sums": "a sum", "gradients": "a gradient",
            "update": "the update", "loss": "the loss"}


def feedback(problem, results: list, marks, graph: dict, decimals: int) -> str:
    """Every student's feedback, one after another (a rule between them)."""
    return "\n---\n\n".join(_student(problem, g, s, marks, graph, decimals)
                            for s, g in enumerate(results))


def cell(text: str) -> str:
    return text.replace("|", r"\|").replace("\n", "<br>")


def finest(decimals) -> int:
    if isinstance(decimals, list):
        return max((finest(d) for d in decimals), default=0)
    return 0 if decimals is None else int(decimals)


def summary(title: str, g, decimals: int) -> list:
    """A student's feedback's heading and its table of answers (problems and graph
    exercises alike)."""
    lines = [f"# Feedback: {g.student}", "",
             f"*{title}* — answers from `{g.source}`: score **{number(g.score)} of "
             f"{number(g.max_score)}**.", "",
             "| answer | yours | right | verdict |", "|---|---|---|---|"]
    for r in g.rows:
        shown = min(17, max(decimals, finest(r.decimals) + 1))
        yours = "" if r.given is None else written(r.given, r.decimals)
        lines.append(f"| `{r.path}` | {cell(yours)} | {cell(written(r.expected, shown))} "
                     f"| {verdict_text(r)} |")
    return lines


def _student(problem, g, s: int, marks, graph: dict, decimals: int) -> str:
    lines = summary(problem.title or problem.source, g, decimals)
    wrong = [r for r in g.rows if r.verdict == "wrong"]
    carried = [r for r in g.rows if r.verdict == "carried"]
    unreadable = [r for r in g.rows if r.verdict == "unreadable"]
    if unreadable:
        lines += ["", "*Unreadable* answers are not numbers as written (no points): write "
                      "each number plainly, like -0.25 or 1.5e-3."]
    elif not wrong:
        lines += ["", "Every answer you gave is right" + (", or right for your own earlier "
                                                          "numbers." if carried else ".")]
    if carried:
        lines += ["", "*Carried* answers are right for the numbers you used: the mistake "
                      "they follow is marked once, where it was made."]
    for r in wrong:
        lines += ["", *_wrong(problem, r, s, marks, graph, decimals)]
    return "\n".join(lines) + "\n"


def verdict_text(r) -> str:
    if r.verdict == "carried" and r.sources:
        return f"carried (from `{'`, `'.join(r.sources)}`)"
    if r.verdict == "wrong":
        return "**wrong**" + (f" ({', '.join(r.slips)})" if r.slips else "")
    return r.verdict


def slip_lines(slips: tuple, catalogue: dict = SLIPS) -> list:
    """What the diagnosis tells the person, a paragraph a slip (feedback and Gradescope);
    catalogue: the slips by id (a problem's, or a graph exercise's)."""
    out = []
    for slip in slips:
        if slip == "arithmetic":
            out += ["**The slip:** none of the known ones gives this back, and the answers "
                    "that use it are consistent with it: most likely a slip in the numbers; "
                    "check the rule below.", ""]
        else:
            out += [f"**The slip ({slip}):** {catalogue[slip].text}.", ""]
    return out or ["**The slip:** none of the known ones; check the rule below.", ""]


def _wrong(problem, r, s: int, marks, graph: dict, decimals: int) -> list:
    shown = max(decimals, min(10, finest(r.decimals) + 1))  # a formula stays readable
    node = graph[marks.nodes[r.path]]
    out = [f"## `{r.path}`: wrong", "",
           f"You wrote {written(r.given, r.decimals)}; the right value is "
           f"{written(r.expected, shown)}.".replace("\n", "; "), ""]
    out += slip_lines(r.slips)
    values = {name: marks.values[name][s] for name in marks.inputs[node.name]}
    result = np.asarray(marks.centers[node.name][s])
    out += ["**The right formula, with your numbers:**", "",
            "$$" + formula(problem, node, values, result, shown) + "$$"]
    return out
