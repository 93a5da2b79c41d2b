"""What every command shares: the one error translation, the shared options, loading a
problem, and writing to standard output. The only module that prints `Error: ...`.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys

import click

from backprop_cli.api.commands import OPTIMIZERS, example_names, example_path
from backprop_cli.errors import EXIT_STATUS, BackpropError, UsageError

DEFAULT_DECIMALS = 4
INTERRUPTED = 130  # 128 + SIGINT, as shells report Ctrl-C


# ------------------------------------------------------------------------ errors


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
    """The one error path: a BackpropError becomes `Error: ...` on stderr and exit 2; a
    closed pipe ends quietly."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            status = command(*args, **kwargs)
            sys.stdout.flush()
        except BackpropError as e:
            click.echo(f"Error: {e}", err=True)
            sys.exit(EXIT_STATUS)
        except BrokenPipeError:
            _quiet_broken_pipe()
        if status:
            sys.exit(status)

    return wrapper


def warn(lines) -> None:
    """Notes for the person running the command (an answer that could not be read, a column
    left out): `Warning: ...` on stderr, one a line; the command goes on."""
    for line in lines:
        click.echo(f"Warning: {line}", err=True)


def standalone(main) -> None:
    """Run click's main (in its non-standalone mode) as a program: a usage error is one
    `Error:` line and exit 2, like every other error; Ctrl-C exits 130; bare `backprop`
    shows the help."""
    try:
        status = main()
    except click.exceptions.NoArgsIsHelpError as e:
        click.echo(e.format_message())
        sys.exit(0)
    except click.UsageError as e:
        where = f" (see '{e.ctx.command_path} --help')" if e.ctx else ""
        click.echo(f"Error: {e.format_message()}{where}", err=True)
        sys.exit(EXIT_STATUS)
    except click.ClickException as e:
        click.echo(f"Error: {e.format_message()}", err=True)
        sys.exit(e.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("Interrupted.", err=True)
        sys.exit(INTERRUPTED)
    sys.exit(status if isinstance(status, int) else 0)


# ------------------------------------------------------------------------ options


def problem_options(command):
    command = click.option("--optimizer", type=click.Choice(list(OPTIMIZERS),
                                                            case_sensitive=False),
                           help="Use this optimizer instead of the file's (starting from its "
                                "defaults).")(command)
    command = click.option("--lr", type=float, help="Learning rate (eta), overriding the file.")(
        command)
    return command


ROUNDED = {"table": "tables", "markdown": "Markdown", "latex": "LaTeX"}  # --decimals applies
FULL = {"json": "JSON", "yaml": "YAML"}  # always every digit


def _and(words: list[str]) -> str:
    return ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]


def decimals_help(formats) -> str:
    """--decimals' help, naming only the command's own formats."""
    rounded = [ROUNDED[f] for f in formats if f in ROUNDED]
    full = [FULL[f] for f in formats if f in FULL]
    verb = "is" if len(full) == 1 else "are"
    return (f"Decimals shown in {_and(rounded)}"
            + (f" ({_and(full)} {verb} always full precision)." if full else "."))


def output_options(formats, default):
    """The shared --format and --decimals options, each naming the command's formats."""

    def decorate(command):
        command = click.option("--decimals", type=click.IntRange(0, 17),
                               default=DEFAULT_DECIMALS, show_default=True,
                               help=decimals_help(formats))(command)
        command = click.option("--format", "fmt", type=click.Choice(formats), default=default,
                               show_default=default is not None,
                               help="Output format.")(command)
        return command

    return decorate


def _list_examples(ctx, param, value):
    """--example list: the bundled examples, one a line with its title, then exit."""
    if "list" not in value:
        return value
    from backprop_cli.api.commands import example_lines

    for line in example_lines():
        click.echo(line)
    ctx.exit(0)


def complete_examples(*extra: str):
    """Shell completion of --example: the bundled examples' names, then `extra` words."""

    def complete(ctx, param, incomplete: str) -> list[str]:
        return [name for name in example_names() + list(extra) if name.startswith(incomplete)]

    return complete


def example_option(command):
    return click.option("--example", "examples", multiple=True, metavar="NAME",
                        callback=_list_examples, expose_value=True,
                        shell_complete=complete_examples("list"),
                        help="A bundled example problem; --example list lists them."
                        )(command)


def get_or_format(ctx: click.Context, get) -> None:
    """--get prints values and --format a document: a command refuses both at once."""
    if get and given(ctx, "fmt"):
        raise UsageError(f"--get prints values, --format {ctx.params['fmt']} a document: "
                         "choose one")


def given(ctx: click.Context, name: str) -> bool:
    """Whether the user gave option `name` (rather than its default applying)."""
    from click.core import ParameterSource

    return ctx.get_parameter_source(name) not in (ParameterSource.DEFAULT, None)


# ------------------------------------------------------------------------ problems


def sources(command: str, paths, examples=(), single: bool = False) -> tuple[str, ...]:
    """The problems named on the command line (files, then bundled examples), or standard
    input. single: the command takes exactly one."""
    paths = tuple(paths) + tuple(example_path(name) for name in examples)
    stdin_once(paths)
    if single and len(paths) > 1:
        raise UsageError(f"{command} takes one problem, found {len(paths)}: give one PROBLEM "
                         "or one --example")
    if not paths:
        if stdin_is_terminal():
            raise UsageError(f"no problem given: name a problem file, pipe one in (... | "
                             f"backprop {command} -), or use a bundled one (backprop {command} "
                             "--example classic; --example list lists them)")
        paths = ("-",)
    return paths


def stdin_once(paths) -> None:
    """`-` (standard input) may be named once: a second read would find it empty."""
    if list(paths).count("-") > 1:
        raise UsageError("standard input (-) can be read once: name the other files")


def stdin_is_terminal() -> bool:
    """A person at a terminal, not a pipe: reading would wait for them."""
    return sys.stdin.isatty()


def load(path: str, optimizer: str | None = None, lr: float | None = None):
    """A problem with the command line's overrides (api.commands.read)."""
    from backprop_cli.api.commands import read

    return read(path, optimizer, lr)


def picture_target(path: str) -> str:
    """The picture format of `path`, checked with the plot extra before any work."""
    from backprop_cli.api.commands import picture_format

    return picture_format(path)


# ------------------------------------------------------------------------ output


def emit_doc(doc, kind: str) -> None:
    from backprop_cli.api.writing import write_document

    write_document(doc, kind, sys.stdout)


def emit(text: str) -> None:
    click.echo(text, nl=not text.endswith("\n"))


# Streamed output (a class's results: tens of megabytes) is written as it is made, never
# held whole. Standard output cannot be replaced all at once as -o files are (atomic.py),
# so the callers do everything that can fail (reading, marking) before the first piece:
# what is left is formatting, and an error cannot leave half a document behind.


def emit_chunks(chunks) -> None:
    """Text made piece by piece, each written as it comes."""
    for chunk in chunks:
        if chunk:
            click.echo(chunk, nl=False)


def emit_json_lines(texts) -> None:
    """Compact JSON documents as one JSON array, a document a line, each written as it
    comes."""
    from backprop_cli.api.writing import write_json_lines

    write_json_lines(texts, sys.stdout)


def print_views(views) -> None:
    """Views one after another, parted by a rule. Into a file or a pipe, lines carry no
    trailing spaces (Rich pads every cell to its column's width)."""
    from backprop_cli.api.writing import console as make_console
    from backprop_cli.api.writing import plain

    console = make_console()
    for i, view in enumerate(views):
        with contextlib.nullcontext() if console.is_terminal else console.capture() as kept:
            if i:
                console.rule()
            console.print(view)
        if kept is not None:
            click.echo(plain(kept.get()), nl=False)
