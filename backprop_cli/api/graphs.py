"""`graph`'s flow: expressions' exercises (from the command line's arguments or
from files) evaluated forward and backward, their documents, tables, worked solutions and
pictures; and the seeded exercise variants of `new --graph`."""

from __future__ import annotations

from backprop_cli.errors import ProblemError, UsageError

LOW, HIGH = -5, 5  # the default range of drawn values
BOUND = 1e15  # the widest range, as messages write it: whole numbers stay exact (< 2**53)
DRAWS = 100  # draws per variant before giving up on values where the expression is defined


def from_arguments(expression: str, assignments: tuple[str, ...],
                   upstream: str | None = None):
    """An exercise from an expression, its NAME=VALUE arguments and --upstream's text."""
    from backprop_cli.problem.graph import exercise

    return exercise.from_arguments(expression, assignments, upstream)


def load(path: str):
    """An exercise file (YAML or JSON; '-': standard input)."""
    from backprop_cli.problem.graph import exercise

    return exercise.load(path)


def evaluated(exercises) -> list[tuple]:
    """(exercise, evaluated graph, JSON document) of each exercise."""
    from backprop_cli.engine.graph.program import evaluate
    from backprop_cli.output.graph import tables

    results = []
    for ex in exercises:
        g = evaluate(ex.program, ex.values, ex.seed, ex.upstream_at)
        results.append((ex, g, tables.document(ex, g)))
    return results


def draw(g, path: str, decimals: int) -> None:
    """An evaluated graph drawn to `path`, each edge's value above and gradient below."""
    from backprop_cli.output.diagram.graph import figure

    figure.draw(g, path, decimals)


def values(docs, path: str) -> str:
    """`--get`: each document's value, one a line; a string plainly (names, the
    expression, the title: printable text, checked on the way in), the rest as solve
    prints it."""
    from backprop_cli.output import report

    return "\n".join(value if isinstance(value := report.get(doc, path), str)
                     else report.format_value(value) for doc in docs)


def text(results, fmt: str, decimals: int, picture: str | None = None) -> str:
    """The answer key (csv), the blank answer sheet of one exercise (sheet) or the worked
    solutions (markdown, latex; picture: a drawing of the graph to show)."""
    if fmt == "sheet":  # what `backprop grade` marks
        from backprop_cli.output.grading.report import exercise_sheet_text

        ((ex, _, doc),) = results
        return exercise_sheet_text(ex, doc)
    if fmt == "csv":
        from backprop_cli.output.graph import tables

        return tables.csv_table([ex.source for ex, _, _ in results],
                                [doc for _, _, doc in results])
    from backprop_cli.output.graph import worked

    render = worked.markdown if fmt == "markdown" else worked.latex
    return render([(ex, g) for ex, g, _ in results], decimals, picture)


def views(results, decimals: int):
    """The terminal's tables of each evaluated exercise (Rich renderables)."""
    from backprop_cli.output.graph import view

    return (view.view(ex, g, decimals) for ex, g, _ in results)


def template(expression: str, shapes: tuple[str, ...] = ()):
    """`new --graph EXPRESSION` with its --shape NAME=SHAPE options."""
    from backprop_cli.problem.graph import variants as drawing

    return drawing.from_expression(expression, shapes)


def template_file(path: str):
    """`new --graph FILE`: an exercise file whose values give the shapes."""
    from backprop_cli.problem.graph import variants as drawing

    return drawing.from_file(path)


def variants(template, seed: int, count: int | None, low: float, high: float,
             decimals: int | None, title: str | None) -> list[dict]:
    """One exercise document per seed (seed + i for variant i), each read back by the rules
    of any exercise file; values where the expression has no finite answer are drawn
    again, up to DRAWS times."""
    from backprop_cli.problem.graph import exercise

    plan = _plan(template, seed, low, high, decimals)
    docs = []
    for i in range(count or 1):
        s = seed + i
        default = "Seeded exercise" if count is None else f"Variant {i}"
        doc = _variant(template, plan, s, low, high, decimals,
                       next(t for t in (title, template.title, f"{default} (seed {s})")
                            if t is not None))
        try:
            exercise.from_document(doc, "backprop new")  # the rules of any exercise file
        except ProblemError as e:
            raise UsageError(f"backprop new: {e.place}: {e.message}") from None
        docs.append(doc)
    return docs


def _plan(template, seed: int, low: float, high: float, decimals: int | None):
    """What a variant draws, from the engine's graph of one draw: which inputs are class
    indices (Graph.labels, K the logits' last size) or one-hot targets, and the output's
    shape. cross_entropy's targets are class 0 in that draw; the output is summed so that
    a result that is not a scalar needs no upstream gradient yet. Shapes that do not fit
    the expression fail every draw alike: the engine's message says so."""
    import numpy as np

    from backprop_cli.engine.graph.program import evaluate
    from backprop_cli.problem.graph import values as reading
    from backprop_cli.problem.graph import variants as drawing

    targets, probe = drawing.targets(template.program), _summed(template.program)

    def attempt(drawn, _):
        g = evaluate(probe, {name: np.zeros(template.shapes[name]) if name in targets else
                             reading.array(v) for name, v in drawn.items()})
        return _planned(template, g, targets)

    plain = drawing.Plan(template.shapes, {})
    return _first(drawing.draws(plain, seed, low, high, decimals), attempt, low, high, seed)


def _first(draws, attempt, low: float, high: float, seed: int):
    """attempt's result for the first of DRAWS draws that raises no ProblemError. When
    every draw fails alike (shapes that do not fit, an upstream gradient of the wrong
    shape: not the values), that error; else: no values found."""
    errors: dict = {}  # message -> the first error with it
    for drawn, _ in zip(draws, range(DRAWS)):
        try:
            return attempt(*drawn)
        except ProblemError as e:
            errors.setdefault(str(e), e)
    if len(errors) == 1:
        raise next(iter(errors.values()))
    raise UsageError(f"--graph: found no values in [{low:g}, {high:g}] where the expression "
                     f"is defined in {DRAWS} draws (seed {seed}), expected another --low and "
                     "--high")


def _summed(program):
    """program with sum(f) as its output: a scalar, whatever f's shape."""
    from dataclasses import replace

    from backprop_cli.engine.graph.steps import Apply, Ref, Step

    taken = {*program.inputs, *(s.name for s in program.steps)}
    name = next(f"probe{i}" for i in range(len(taken) + 1) if f"probe{i}" not in taken)
    step = Step(name, Apply("sum", (Ref(program.output),), "the whole expression"))
    return replace(program, steps=(*program.steps, step))


def _planned(template, g, targets: set):
    """The Plan from the graph of one draw (g: its output summed by the last node)."""
    import numpy as np

    from backprop_cli.problem.graph import variants as drawing

    nodes = {n.name: n for n in g.nodes}
    classes, one_hot = {}, set()
    for n in g.nodes:
        t = n.inputs[1] if n.op == "cross_entropy" else None
        if t not in targets or not all(
                (m.op, i) == ("cross_entropy", 1)
                for m in g.nodes for i, a in enumerate(m.inputs) if a == t):
            continue  # a target that is used otherwise too is drawn as any value
        k = np.shape(nodes[n.inputs[0]].value)[-1]
        classes[t] = min(k, classes.get(t, k))
        if t not in g.labels:  # a target of the logits' shape: probabilities
            one_hot.add(t)
    shape = np.shape(nodes[g.nodes[-1].inputs[0]].value)
    upstream = shape if shape and template.upstream is None else None
    return drawing.Plan(template.shapes, classes, frozenset(one_hot), upstream)


def _variant(template, plan, seed: int, low: float, high: float, decimals: int | None,
             title: str) -> dict:
    """The first draw of `seed` where the expression has a finite answer, as a document."""
    from backprop_cli.engine.graph.program import evaluate
    from backprop_cli.problem.graph import values as reading
    from backprop_cli.problem.graph import variants as drawing

    kept = None if template.upstream is None else reading.array(template.upstream)

    def attempt(drawn, upstream):
        evaluate(template.program, {name: reading.array(v) for name, v in drawn.items()},
                 kept if upstream is None else reading.array(upstream))
        return drawing.document(title, template, drawn, upstream)

    return _first(drawing.draws(plan, seed, low, high, decimals), attempt, low, high, seed)
