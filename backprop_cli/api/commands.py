"""Each command's flow, once: load the problem, override its optimizer and lr, compute with
the engine, build the document. `backprop` (cli/) parses its options, calls these and
prints or writes what they return; the Python API's functions are built on them too.

Never prints, never exits: errors are BackpropError subclasses. The engine, the problem
reader and the renderers are imported inside the functions, so `backprop --help` pays for
none of them and `--format json` and `--get` never import Rich.
"""

from __future__ import annotations

import contextlib
import os

from backprop_cli.engine.optimizers import DEFAULTS as OPTIMIZERS
from backprop_cli.errors import NumericalError, UsageError, suggest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                        "problem", "examples")

__all__ = ["EXAMPLES", "OPTIMIZERS"]


# ------------------------------------------------------------------------ problems


def example_names() -> list[str]:
    """The names of the bundled example problems."""
    return sorted(f[:-5] for f in os.listdir(EXAMPLES) if f.endswith(".yaml"))


def example_path(name: str) -> str:
    """Where the bundled example `name` is; UsageError naming the others when none is."""
    names = example_names()
    if name not in names:
        raise UsageError(f"--example {name}: no such example, expected one of "
                         + ", ".join(names) + suggest(name, names))
    return os.path.join(EXAMPLES, f"{name}.yaml")


def example_lines() -> list[str]:
    """The bundled examples, one a line with its title (`--example list`, `new
    --list-examples`)."""
    return [f"{name:<15} {read(example_path(name)).title or ''}".rstrip()
            for name in example_names()]


def read(path: str, optimizer: str | None = None, lr: float | None = None):
    """A problem file ('-': standard input) with the --optimizer and --lr overrides; a
    bundled example is called by its name (`example classic`), not by where it is."""
    from dataclasses import replace

    from backprop_cli.problem import load as load_problem

    problem = load_problem(path)
    folder, name = os.path.split(os.path.abspath(path))
    if path != "-" and folder == EXAMPLES and name.endswith(".yaml"):
        problem = replace(problem, source=f"example {name[:-5]}")  # before any override's error
    return problem.with_optimizer(optimizer, lr)


@contextlib.contextmanager
def blamed_on(problem):
    """Numerical errors name the problem's source."""
    try:
        yield
    except NumericalError as e:
        e.source = problem.source
        raise


# ------------------------------------------------------------------------ solve


def solution(problem, round_to: int | None = None):
    """The engine's solution of `problem`; round_to=K carries every value rounded to K
    decimals (half away from zero) into the next step."""
    from backprop_cli import engine

    rounding = None
    if round_to is not None:
        from backprop_cli.engine.rounding import round_half_away

        rounding = round_half_away(round_to)
    with blamed_on(problem):
        return engine.solve(problem.inputs, rounding)


def solve_documents(paths, optimizer=None, lr=None, round_to=None) -> list[tuple]:
    """`solve`'s work: (problem, JSON document) of each file, overrides applied."""
    from backprop_cli.output import report

    results = []
    for path in paths:
        problem = read(path, optimizer, lr)
        sol = solution(problem, round_to)
        with blamed_on(problem):  # the document's sums may overflow too
            results.append((problem, report.solve_document(problem, sol, round_to)))
    return results


def values(docs, paths) -> str:
    """`--get`: each document's values in the order asked, one a line."""
    from backprop_cli.output import report

    return "\n".join(report.format_value(report.get(doc, path)) for doc in docs
                     for path in paths)


def solve_text(results, fmt: str, decimals: int, diagram: str | None = None,
               expect: tuple = ()) -> str:
    """The document of `solve --format` sheet, csv, markdown or latex; diagram: draw the
    first problem's network there and show it in the worked solution."""
    if fmt == "sheet":  # the blank answer sheet that `backprop grade` marks
        from backprop_cli.output.grading.report import sheet_text

        return sheet_text(results[0][0], results[0][1], expect)
    if fmt == "csv":
        from backprop_cli.output import report

        return report.csv_table([p.source for p, _ in results], [d for _, d in results])
    from backprop_cli.output import worked

    if diagram is not None:
        draw_diagram(results[0][0], diagram, decimals, values=True)
    render = worked.markdown_all if fmt == "markdown" else worked.latex_all
    return render(results, decimals, diagram)


def solve_views(results, decimals: int):
    """The terminal's tables of each solved problem (Rich renderables)."""
    from backprop_cli.output.tables import solve_view

    return (solve_view(problem, doc, decimals) for problem, doc in results)


# ------------------------------------------------------------------------ draw


def picture_format(path: str) -> str:
    """The picture format of `path` ("svg", "png", "pdf"), checked with the plot extra
    before any work is done."""
    from backprop_cli.output import diagram

    kind = diagram.picture_format(path)
    diagram.require_matplotlib()
    return kind


def network(problem, values: bool = False, gradients: bool = False, decimals: int = 4,
            biases: bool = True):
    """The network diagram's model: values, each neuron's a and h and the weights;
    gradients, each neuron's ∂L/∂a (of the problem as given)."""
    from backprop_cli import engine
    from backprop_cli.output import diagram

    fwd = grads = None
    if values or gradients:
        with blamed_on(problem):
            fwd = engine.forward(problem.model, problem.params, problem.x, problem.y)
            if gradients:
                grads = engine.backward(problem.model, problem.params, fwd, problem.y)
    return diagram.network(problem, fwd if values else None, grads, decimals, biases)


def draw_diagram(problem, path: str, decimals: int = 4, values: bool = False,
                 gradients: bool = False, biases: bool = True) -> None:
    """`draw`'s work: the network diagram written to `path` (atomically)."""
    draw_network(network(problem, values, gradients, decimals, biases), path, decimals)


def draw_network(net, path: str, decimals: int = 4) -> None:
    """A network diagram's model drawn to `path` (atomically; matplotlib's warnings, such
    as a glyph the font lacks, are the caller's to show)."""
    from backprop_cli.output import diagram

    diagram.draw_network(net, path, decimals)


# ------------------------------------------------------------------------ step


def train(problem, steps: int = 1, tick=None):
    """`steps` updates of `problem` (engine.train); tick(i): called after each step."""
    from backprop_cli import engine

    with blamed_on(problem):
        return engine.train(problem.inputs, steps, tick)


def progress(steps: int, quiet: bool, after: float):
    """A progress callback for train(): a bar on a terminal's stderr once the run has
    taken longer than `after` seconds (None: no bar)."""
    from backprop_cli.output.progress import progress as bar

    return bar(steps, quiet, after)


def updated_document(problem, run) -> dict:
    """The problem file after the run: its parameters, batch norm's running statistics and
    the optimizer state updated."""
    from backprop_cli.problem.writer import updated_document as updated

    return updated(problem, run.params, run.state, run.running)


def step_document(problem, run) -> dict:
    """The report of `step --format json`: the losses, the parameters and state after."""
    from backprop_cli.output import report

    return report.step_document(problem, run)


def step_views(problem, doc: dict, decimals: int, every: int):
    """The terminal's table of a step report: the loss every `every` steps."""
    from backprop_cli.output.tables import step_view

    return [step_view(problem, doc, decimals, every)]


def plot_losses(problem, run, path: str) -> None:
    """The loss per step drawn to `path`, titled with the optimizer and its lr."""
    from backprop_cli.output import diagram

    diagram.plot_losses(list(run.losses), path, f"{problem.optimizer}, lr = "
                                                f"{problem.hyper['lr']!r}")
