"""The command line: parses flags, calls the library, prints, and turns domain errors into
one line on stderr with exit status 2. Rich is imported only when tables are printed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
import time

import click

from backprop_cli import __version__, documents, engine, optimizers, report, training
from backprop_cli.errors import ProblemError
from backprop_cli.problem import Problem, load, updated_document

DEFAULT_DECIMALS = 4


def fail(message: str):
    click.echo(f"Error: {message}", err=True)
    sys.exit(2)


def _quiet_broken_pipe():
    # The reader went away (`| head -1`): stop quietly, and keep Python's final flush of
    # stdout from complaining about the closed pipe.
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # not a real file (tests): nothing to redirect
        pass
    sys.exit(0)


def translate_errors(command):
    """Domain errors become `Error: ...` and exit 2; a closed pipe ends quietly."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            command(*args, **kwargs)
            sys.stdout.flush()
        except ProblemError as e:
            fail(str(e))
        except report.PathError as e:
            fail(str(e))
        except BrokenPipeError:
            _quiet_broken_pipe()

    return wrapper


def problem_options(command):
    command = click.option("--optimizer", type=click.Choice(list(optimizers.DEFAULTS)),
                           help="Use this optimizer instead of the file's (starting from its "
                                "defaults).")(command)
    command = click.option("--lr", type=float, help="Learning rate (eta), overriding the file.")(
        command)
    return command


def output_options(formats, default):
    """The shared --format and --decimals options."""

    def decorate(command):
        command = click.option("--decimals", type=click.IntRange(0, 17),
                               default=DEFAULT_DECIMALS, show_default=True,
                               help="Decimals shown in tables (JSON and YAML are always "
                                    "full precision).")(command)
        command = click.option("--format", "fmt", type=click.Choice(formats), default=default,
                               show_default=default is not None,
                               help="Output format.")(command)
        return command

    return decorate


EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples")


def example_names() -> list[str]:
    return sorted(f[:-5] for f in os.listdir(EXAMPLES) if f.endswith(".yaml"))


def example_path(name: str) -> str:
    if name not in example_names():
        fail(f"--example {name}: no such example, expected one of "
             + ", ".join(example_names()))
    return os.path.join(EXAMPLES, f"{name}.yaml")


def example_option(command):
    return click.option("--example", "examples", multiple=True, metavar="NAME",
                        help="A bundled example problem (see `backprop new --list-examples`)."
                        )(command)


def _sources(paths: tuple[str, ...], examples: tuple[str, ...] = ()) -> tuple[str, ...]:
    paths = tuple(paths) + tuple(example_path(name) for name in examples)
    if paths:
        return paths
    if sys.stdin.isatty():
        fail("no problem given: name a problem file, or pipe one in "
             "(backprop solve problems/classic.yaml, or ... | backprop solve -)")
    return ("-",)


def _load(path: str, optimizer: str | None, lr: float | None) -> Problem:
    return load(path).with_optimizer(optimizer, lr)


def _numerical(problem: Problem, error: engine.NumericalError):
    raise ProblemError(problem.source, None, f"{error}, expected finite values "
                                             "(try a smaller learning rate or smaller weights)")


@contextlib.contextmanager
def _progress(steps: int, quiet: bool):
    """A progress callback for engine.train: a Rich bar on a terminal's stderr, shown only
    once the run has taken longer than a moment (BACKPROP_PROGRESS_AFTER seconds, 0.5)."""
    if quiet or steps < 2 or not sys.stderr.isatty():
        yield None
        return
    after = float(os.environ.get("BACKPROP_PROGRESS_AFTER", "0.5"))
    start = time.perf_counter()
    live = {}

    def tick(i: int) -> None:
        if not live:
            if time.perf_counter() - start < after:
                return
            from rich.progress import Progress

            from backprop_cli.render import make_console

            live["bar"] = bar = Progress(console=make_console(stderr=True), transient=True)
            live["task"] = bar.add_task("steps", total=steps)
            bar.start()
        live["bar"].update(live["task"], completed=i)

    try:
        yield tick
    finally:
        if live:
            live["bar"].stop()


def _emit_doc(doc, kind: str) -> None:
    documents.write(doc, kind, sys.stdout)


def _emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


def _print_views(views) -> None:
    from backprop_cli.render import make_console

    console = make_console()
    for i, view in enumerate(views):
        if i:
            console.rule()
        console.print(view)


class _LazyGroup(click.Group):
    """Commands defined in other modules are imported only when they run (or --help lists
    them), so `solve` does not pay for `new`, `check` and `draw` at start-up."""

    LAZY = {"new": "backprop_cli.cli_tools:new", "check": "backprop_cli.cli_tools:check",
            "draw": "backprop_cli.cli_draw:draw_command"}

    def list_commands(self, ctx):
        return sorted([*super().list_commands(ctx), *self.LAZY])

    def get_command(self, ctx, name):
        if name in self.LAZY:
            import importlib

            module, attribute = self.LAZY[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="backprop")
def cli():
    """Worked backpropagation exercises, exact to float64.

    Write a small network, its input and target into a YAML (or JSON) problem file and
    see every pre-activation a, activation h, the loss, every gradient and the update.

    \b
    Examples:
      backprop solve problems/classic.yaml
      backprop solve problems/classic.yaml --get loss
      backprop step --lr 1 < p.yaml | backprop step --lr 1 | backprop solve --get loss
    """


@cli.command()
@click.argument("problems", nargs=-1, metavar="[PROBLEM...]")
@example_option
@problem_options
@output_options(["table", "json", "yaml", "markdown", "latex", "csv"], "table")
@click.option("--get", "path", metavar="PATH",
              help="Print one value of the JSON document, e.g. loss, sums.h1, "
                   "gradients.b2.0, update.loss.")
@click.option("--round", "round_to", type=click.IntRange(0, 15), metavar="K",
              help="Textbook rounding: carry every intermediate value rounded to K decimals "
                   "(half away from zero) into the next step.")
@click.option("--diagram", metavar="FILE",
              help="With --format markdown or latex: draw the network (with its values) to "
                   "FILE and show it in the solution (latex: .pdf or .png; needs the plot "
                   "extra).")
@translate_errors
def solve(problems, examples, lr, optimizer, decimals, fmt, path, round_to, diagram):
    """Forward pass, loss, every gradient and one update of each PROBLEM.

    PROBLEM is a YAML or JSON file, or - (or nothing) for standard input.

    \b
    Examples:
      backprop solve problems/classic.yaml
      backprop solve problems/classic.yaml --format json
      backprop solve problems/classic.yaml --get gradients.b2
      backprop solve problems/classic.yaml --lr 0.5 --decimals 8
      cat p.yaml | backprop solve - --get update.loss
      backprop solve variants/*.yaml --format csv     # an answer key
      backprop solve --example classic --format markdown
    """
    results = []
    rounding = engine.round_half_away(round_to) if round_to is not None else None
    for source in _sources(problems, examples):
        problem = _load(source, optimizer, lr)
        try:
            sol = engine.solve(problem.model, problem.params, problem.x, problem.y,
                               problem.optimizer, problem.hyper, problem.state, rounding)
            results.append((problem, report.solve_document(problem, sol, round_to)))
        except engine.NumericalError as e:
            _numerical(problem, e)
    if diagram is not None and fmt not in ("markdown", "latex"):
        fail("--diagram goes with --format markdown or latex")
    docs = [doc for _, doc in results]
    if path is not None:
        lines = [report.format_value(report.get(doc, path)) for doc in docs]
        _emit("\n".join(lines))
    elif fmt == "csv":
        _emit(report.csv_table([p.source for p, _ in results], docs))
    elif fmt in ("markdown", "latex"):
        from backprop_cli import worked

        render = worked.markdown if fmt == "markdown" else worked.latex
        if diagram is not None:
            _draw_diagram(results, diagram, fmt, decimals)
        _emit("\n".join(render(problem, doc, decimals, diagram) for problem, doc in results))
    elif fmt == "json":
        _emit_doc(docs[0] if len(docs) == 1 else docs, "json")
    elif fmt == "yaml":
        _emit_doc(docs[0] if len(docs) == 1 else docs, "yaml")
    else:
        from backprop_cli.render import solve_view

        _print_views(solve_view(problem, doc, decimals) for problem, doc in results)


def picture_target(path: str) -> str:
    """The picture format of `path` ("svg", "png", "pdf"), checked with the plot extra
    before any work is done; one Error line and exit 2 otherwise."""
    from backprop_cli import draw

    try:
        kind = draw.picture_format(path)
        draw.require_matplotlib()
    except (draw.UnknownFormat, draw.MissingExtra) as e:
        fail(str(e))
    return kind


def _draw_diagram(results, path: str, fmt: str, decimals: int) -> None:
    from backprop_cli import draw

    if len(results) != 1:
        fail("--diagram draws one problem's network: give one PROBLEM")
    kind = picture_target(path)
    if fmt == "latex" and kind == "svg":
        fail(f"--diagram {path}: pdflatex cannot include SVG, expected a .pdf or .png name")
    problem = results[0][0]
    fwd = engine.forward(problem.model, problem.params, problem.x, problem.y)
    try:
        draw.draw_network(draw.network(problem, fwd, None, decimals), path, decimals)
    except OSError as e:
        fail(f"{path}: cannot write: {e.strerror or e}")


@cli.command()
@click.argument("problem", required=False, metavar="[PROBLEM]")
@example_option
@problem_options
@click.option("--steps", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many updates to apply.")
@output_options(["table", "json", "yaml"], None)
@click.option("--every", type=click.IntRange(min=1), default=1, show_default=True,
              help="In the table, show the loss every K steps (and the last).")
@click.option("-o", "--output", metavar="FILE",
              help="Write the updated problem file here (atomically; may be the input; "
                   "- for standard output; .json names get JSON).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--plot", metavar="FILE",
              help="Draw the loss per step to FILE (.png, .svg or .pdf; needs the plot extra).")
@translate_errors
def step(problem, examples, lr, optimizer, steps, decimals, fmt, every, output, quiet, plot):
    """Apply --steps updates to PROBLEM and write the updated problem file.

    With no -o and no --format, the updated problem goes to standard output as YAML when
    that is a pipe or file (so steps chain), and tables are shown on a terminal.

    \b
    Examples:
      backprop step problems/classic.yaml --lr 1 -o after.yaml
      backprop step --lr 1 < p.yaml | backprop step | backprop solve --get loss
      backprop step p.yaml --optimizer adam --lr 0.1 --steps 100 --format json
      backprop step p.yaml -o p.yaml            # update the file in place
      backprop step p.yaml --optimizer adam --lr 0.05 --steps 500 --plot losses.png
    """
    sources = _sources((problem,) if problem else (), examples)
    if len(sources) != 1:
        fail("step takes one problem: a PROBLEM or one --example")
    if plot is not None:  # a bad name or a missing extra fails before a long run
        picture_target(plot)
    prob = _load(sources[0], optimizer, lr)
    try:
        with _progress(steps, quiet) as tick:
            run = training.train(prob.model, prob.params, prob.x, prob.y, prob.optimizer,
                                 prob.hyper, prob.state, steps, tick)
    except engine.NumericalError as e:
        _numerical(prob, e)
    terminal = sys.stdout.isatty()
    if output == "-" and fmt is not None:
        fail("-o - and --format both write to standard output: choose one")
    if plot is not None:
        from backprop_cli import draw

        title = f"{prob.optimizer}, lr = {prob.hyper['lr']!r}"
        try:
            draw.plot_losses(list(run.losses), plot, title)
        except OSError as e:
            fail(f"{plot}: cannot write: {e.strerror or e}")
    if output is None and fmt is None and not terminal:
        _emit_doc(updated_document(prob, run.params, run.state), "yaml")
        return
    if output is not None:
        doc = updated_document(prob, run.params, run.state)
        if output == "-":
            _emit_doc(doc, "yaml")
        else:
            kind = "json" if output.lower().endswith(".json") else "yaml"
            try:
                documents.write_file(output, doc, kind)
            except OSError as e:
                fail(f"{output}: cannot write: {e.strerror or e}")
        del doc  # its lists are the size of the problem: free them before the report
    report_doc = report.step_document(prob, run)
    if fmt == "json":
        _emit_doc(report_doc, "json")
    elif fmt == "yaml":
        _emit_doc(report_doc, "yaml")
    elif fmt == "table" or (terminal and output != "-"):
        from backprop_cli.render import step_view

        _print_views([step_view(prob, report_doc, decimals, every)])


def main():
    cli(prog_name="backprop")
