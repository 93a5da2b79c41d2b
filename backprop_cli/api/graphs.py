"""`graph`'s flow: expressions' exercises (from the command line's arguments or
from files) evaluated forward and backward, their documents, tables, worked solutions and
pictures; and the seeded exercise variants of `new --graph`."""

from __future__ import annotations

from backprop_cli.errors import ProblemError, UsageError

LOW, HIGH = -5, 5  # the default range of drawn values
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
        g = evaluate(ex.program, ex.values, ex.seed)
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
    """The answer key (csv) or the worked solutions (markdown, latex; picture: a drawing
    of the graph to show)."""
    if fmt == "csv":
        from backprop_cli.output.graph import tables

        return tables.csv_table([ex.source for ex, _, _ in results],
                                [doc for _, _, doc in results])
    from backprop_cli.output.graph import worked

    render = worked.markdown if fmt == "markdown" else worked.latex
    return render([(ex, g) for ex, g, _ in results], decimals, picture)


def views(results, decimals: int):
    """The terminal's tables of each evaluated exercise (Rich renderables)."""
    from backprop_cli.output.graph import tables

    return (tables.view(ex, g, decimals) for ex, g, _ in results)


def variants(expression: str, seed: int, count: int | None, low: float, high: float,
             decimals: int | None, title: str | None) -> list[dict]:
    """One exercise document per seed (seed + i for variant i); values where the
    expression has no finite answer are drawn again, up to DRAWS times."""
    from backprop_cli.problem.graph import exercise
    from backprop_cli.problem.graph.expression import parse

    program = parse(expression, "--graph")
    docs = []
    for i in range(count or 1):
        s = seed + i
        draws = exercise.draws(program, s, low, high, decimals)
        found = next((v for v, _ in zip(draws, range(DRAWS)) if _defined(program, v)), None)
        if found is None:
            raise UsageError(f"--graph: found no values in [{low:g}, {high:g}] where the "
                             f"expression is defined in {DRAWS} draws (seed {s}), expected "
                             "another --low and --high")
        default = "Seeded exercise" if count is None else f"Variant {i}"
        docs.append(exercise.variant_document(
            f"{default} (seed {s})" if title is None else title, expression, found))
    return docs


def _defined(program, values: dict) -> bool:
    from backprop_cli.engine.graph.program import evaluate
    from backprop_cli.problem.graph import values as reading

    try:
        evaluate(program, {name: reading.array(v) for name, v in values.items()})
    except ProblemError:
        return False
    return True
