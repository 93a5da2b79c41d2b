"""Answer sheets of a graph exercise in its marking quantities' terms, and the output only
a graph exercise needs (the feedback's rule and Gradescope's tests); the rows, points,
JSON, CSV and tables are the network's (paths.py, report.py, tables.py).

A path is graph's --get path: `value`, `forward.NODE` (a node's value), `backward.NODE`
(∂L/∂NODE), `gradients.INPUT`, whole or entry by entry (`gradients.W.0.1`).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.expressions.quantities import GRAD
from backprop_cli.engine.grading.marking import Item
from backprop_cli.engine.slips.expressions import SLIPS
from backprop_cli.errors import PathError, ProblemError, UsageError, suggest
from backprop_cli.output.grading import paths
from backprop_cli.output.grading.feedback import finest, slip_lines, summary
from backprop_cli.output.grading.report import number, written

SECTIONS = ("value", "forward", "backward", "gradients")


def target(doc: dict, path: str) -> tuple:
    """(quantity, flat indices in the answer's shape) of a path, or PathError saying what
    is there instead."""
    keys = path.split(".")
    top = keys[0]
    if top not in SECTIONS:
        raise PathError(f"no {top!r} to mark{suggest(top, SECTIONS)}, expected value, "
                        "forward.NODE, backward.NODE or gradients.INPUT")
    if top == "value":
        node, rest = doc["nodes"][-1]["name"], keys[1:]
    else:
        if len(keys) == 1:
            raise PathError(f"{top} is a section, expected a path to numbers in it: one of "
                            + ", ".join(f"{top}.{k}" for k in doc[top]))
        name, rest = keys[1], keys[2:]
        if name not in doc[top]:
            what = "input" if top == "gradients" else "node"
            raise PathError(f"no {what} {name!r} in {top}{suggest(name, doc[top])}, expected "
                            "one of " + ", ".join(doc[top]))
        node = GRAD + name if top != "forward" else name
    shape = tuple(next(n["shape"] for n in doc["nodes"] if n["name"] == node.removeprefix(
        GRAD)))
    grid = np.arange(int(np.prod(shape, dtype=int))).reshape(shape)
    walked = ".".join(keys[:len(keys) - len(rest)])
    for key in rest:
        if grid.ndim == 0 or not key.lstrip("-").isdigit() or \
                not -len(grid) <= int(key) < len(grid):
            room = "nothing further: it is a single number" if grid.ndim == 0 else \
                f"a position 0..{len(grid) - 1}"
            raise PathError(f"no {key!r} in {walked}, expected {room}")
        grid, walked = grid[int(key)], f"{walked}.{key}"
    return node, np.asarray(grid)


def _resolve(doc, key, source, place, targets):
    if key not in targets:
        try:
            targets[key] = target(doc, key)
        except PathError as e:
            if source is None:
                raise UsageError(f"--expect {key}: {e}") from None
            raise ProblemError(source, place, str(e)) from None
    return targets[key]


def batch(doc: dict, sheets, expect=(), scheme=None) -> paths.Batch:
    """Every row of every sheet, as paths.batch makes it for a problem: a gradient matrix
    written the other way round is turned back and flagged (transposed-gradient)."""
    targets, rows = {}, []
    for sheet in sheets:
        fitted, covered = {}, {}
        for key in sheet.values:
            place = f"column {key}" if sheet.table else f"answers.{key}"
            node, grid = _resolve(doc, key, sheet.source, place, targets)
            paths.claim(covered, node, key, grid, sheet.source, place)
            answer = (key, place, sheet.values[key], sheet.decimals[key], sheet.raw.get(key))
            # a gradient written the wrong way round is turned back and flagged
            fitted[key] = paths.fitted_answer(sheet.source, answer, grid,
                                              node.startswith(GRAD))
        rows.append((sheet, fitted, covered))
    extra = [(k, None, None) for k in expect]
    if scheme is not None:
        extra += [(k, scheme.source, f"points.{k}") for k in scheme.points]
    for key, source, place in extra:
        _resolve(doc, key, source, place, targets)
    return paths.assemble(targets, rows, [k for k, _, _ in extra], ())


def items_of(batch) -> tuple:
    return tuple(Item(it.key, it.node, it.flat) for it in batch.items)


# ------------------------------------------------------------- the rule, with their numbers


def worked(graph, marks, path: str, s: int, decimals: int) -> str:
    """`quantity = rule` with the person's own numbers (their written ones, else what
    their earlier ones give), one line (Markdown): the inputs it reads, and what they give."""
    node = marks.nodes[path]
    nodes = {n.name: n for n in graph.nodes}
    if node.startswith(GRAD):
        name = node.removeprefix(GRAD)
        wrt = graph.wrt
        uses = [f"∂{wrt}/∂{n.name} · ∂({n.text})/∂{name}" for n in graph.nodes
                if name in [a for a in n.inputs if isinstance(a, str)]]
        head = f"∂{wrt}/∂{name} = " + (" + ".join(uses) if uses else "the upstream gradient")
    elif nodes[node].op == "input":
        head = f"{node} is an input: its value is the exercise's"
    else:
        head = f"{node} = {nodes[node].text}"
    shown = [f"{_name(i, graph)} = {_inline(marks.values[i][s], decimals)}"
             for i in marks.inputs[node]]
    return f"`{head}`" + (", with " + "; ".join(shown) if shown else "")


def _name(quantity: str, graph) -> str:
    return f"∂{graph.wrt}/∂{quantity.removeprefix(GRAD)}" if quantity.startswith(GRAD) \
        else quantity


def _inline(value, decimals: int) -> str:
    text = written(np.asarray(value).tolist(), decimals)
    return text.replace("\n", "; ")


def feedback(exercise, graph, results: list, marks, decimals: int) -> str:
    """Each student's feedback (`--format markdown`), as the network's is written."""
    return "\n---\n\n".join(_student(exercise, graph, g, marks, decimals) for g in results)


def _student(exercise, graph, g, marks, decimals: int) -> str:
    lines = summary(exercise.title or exercise.program.text, g, decimals)
    wrong = [r for r in g.rows if r.verdict == "wrong"]
    if not wrong:
        lines += ["", "Every answer you gave is right" + (
            ", or right for your own earlier numbers." if any(
                r.verdict == "carried" for r in g.rows) else ".")]
    if any(r.verdict == "carried" for r in g.rows):
        lines += ["", "*Carried* answers are right for the numbers you used: the mistake "
                      "they follow is marked once, where it was made."]
    for r in wrong:
        shown = max(decimals, min(10, finest(r.decimals) + 1))
        lines += ["", f"## `{r.path}`: wrong", "",
                  f"You wrote {written(r.given, r.decimals)}"
                  f"; the right value is {written(r.expected, shown)}.".replace("\n", "; "),
                  "", *slip_lines(r.slips, SLIPS), "**The rule, with your numbers:** "
                  + worked(graph, marks, r.path, g.index, shown)
                  + f", gives {_inline(marks.centers[marks.nodes[r.path]][g.index], shown)}."]
    return "\n".join(lines) + "\n"


def gradescope(graph, g, marks, decimals: int, reveal: bool, shown: dict, stdout) -> dict:
    """One student's results.json (output/grading/gradescope.py's, with the graph's rule)."""
    from backprop_cli.output.grading import gradescope as gs
    from backprop_cli.output.grading.report import summary_line

    tests = []
    for r in g.rows:
        if r.verdict == "wrong":
            right = f" The right value is {gs.inline(r.expected, decimals)}." if reveal \
                else ""
            text = "\n".join([f"**Wrong.** You wrote {gs.inline(r.given, r.decimals)}."
                              f"{right}", "", *slip_lines(r.slips, SLIPS),
                              "**The rule, with your numbers:** "
                              + worked(graph, marks, r.path, g.index, decimals)])
        else:
            text = gs.answer_output(None, r, g.index, marks, {}, decimals, reveal)
        test = {"name": r.path, "score": number(r.points), "max_score": number(r.max_points),
                "status": "passed" if r.verdict in gs.PASSED else "failed",
                "output": text, "output_format": "md"}
        owner = gs.owner_of(r.path, shown)
        if owner is not None:
            test["visibility"] = shown[owner]
        tests.append(test)
    return gs.top({"score": number(g.score), "output": summary_line(g),
                    "output_format": "md", "tests": tests}, shown, stdout)
