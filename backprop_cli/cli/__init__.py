"""The command line: click only. Each command is a module of its own, imported only when
it runs (or when --help lists the commands), so `solve --format json` pays for nothing else.

    common   the one error translation, shared options, loading, writing to stdout
    options  `new`'s --layers, --activations, --x and --y parsed
    solve, step, new, check, draw, graph, grade   one module per command
"""

from __future__ import annotations

import importlib

import click

from backprop_cli import __version__
from backprop_cli.cli import common

COMMANDS = {name: f"backprop_cli.cli.{name}" for name in ("check", "draw", "grade", "graph",
                                                             "new", "solve", "step")}


class LazyGroup(click.Group):
    """Commands load when used; a usage error is one line, like every other error."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True,
             **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        common.standalone(lambda: super(LazyGroup, self).main(args, prog_name, complete_var,
                                                              False, **extra))

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        return getattr(importlib.import_module(COMMANDS[name]), name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
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


def main():
    cli(prog_name="backprop")
