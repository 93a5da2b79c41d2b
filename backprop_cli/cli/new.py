"""`backprop new`: problem files with seeded random weights (one, or a folder of variants),
or a bundled example as a starting template."""

from __future__ import annotations

import errno
import os
import re

import click
from click.core import ParameterSource

from backprop_cli.api import generating
from backprop_cli.api.generating import LOSSES
from backprop_cli.cli import common, options
from backprop_cli.errors import UsageError, WriteError, counted

FILE_NAME = re.compile(r".+\.(?:ya?ml|json)", re.I)
DRAWING = ("layers", "activations", "loss", "seed", "decimals", "init", "batch", "x_text",
           "y_text", "title", "count", "replace")
FLAGS = {"x_text": "--x", "y_text": "--y", "output": "-o"}  # else --name


# ------------------------------------------------------------------ usage checks


def _given() -> list[str]:
    """The options of this command the command line gave, in their order."""
    ctx = click.get_current_context()
    return [name for name in ctx.params
            if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)]


def _flag(name: str) -> str:
    return FLAGS.get(name, "--" + name.replace("_", "-"))


def _check_modes(given: list[str]) -> None:
    """--list-examples alone; --example NAME with -o only; nothing mixed with drawing."""
    if "list_examples" in given:
        others = [n for n in given if n in (*DRAWING, "output", "force", "example")]
        if others:
            raise UsageError(f"--list-examples takes no other option, found {_flag(others[0])}")
    elif "example" in given:
        others = [n for n in given if n in DRAWING]
        if others:
            raise UsageError(f"--example writes the bundled file as it is: it takes -o only, "
                             f"found {_flag(others[0])}")


def check_seeds(seed: int, count: int | None) -> None:
    """numpy's seeds are 0 to 2**32 - 1: the first and the last (seed + count - 1)."""
    if not 0 <= seed <= generating.SEED_MAX:
        raise UsageError(f"--seed {seed}: expected a whole number from 0 to "
                         f"{generating.SEED_MAX} (2**32 - 1, numpy's seeds)")
    last = seed + (count or 1) - 1
    if last > generating.SEED_MAX:
        raise UsageError(f"--seed {seed} --count {count}: the last variant's seed would be "
                         f"{last}, expected at most {generating.SEED_MAX} (2**32 - 1, numpy's "
                         f"seeds): use --seed {generating.SEED_MAX - count + 1} or lower")


def check_replacing(output: str | None, count: int | None, force: bool) -> None:
    """An existing -o FILE is replaced only with --force (as --replace goes with --count)."""
    if force and (count is not None or output in (None, "-")):
        raise UsageError("--force goes with -o FILE: it replaces an existing file (with "
                         "--count, --replace removes an earlier run's variant files)")
    if count is None and output not in (None, "-") and generating.replaces(output) and not force:
        raise UsageError(f"-o {output}: the file already exists: add --force to replace it, "
                         "or choose another name")


def check_output(output: str | None, count: int | None, replace: bool) -> list[str]:
    """Where the problems go, checked before any is drawn; with --count, the variant files
    of an earlier run in that folder (for --replace to remove). Shared with `new --graph`,
    whose exercise variants follow the same rules."""
    if count is None:
        if replace:
            raise UsageError("--replace goes with --count: it removes an earlier run's variant "
                             "files (an existing -o FILE is replaced with --force)")
        if output not in (None, "-") and os.path.isdir(output):
            raise WriteError(output, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
        return []
    if output in (None, "-"):
        raise UsageError("--count needs -o DIR: the folder to write the variants to.")
    if FILE_NAME.fullmatch(output.rstrip("/")):
        stem = os.path.splitext(output.rstrip("/"))[0]
        raise UsageError(f"--count writes a folder of files: -o names a folder, found a file "
                         f"name, {output} (try -o {stem}/)")
    if os.path.lexists(output) and not os.path.isdir(output):
        raise UsageError(f"--count writes a folder of files: -o names a folder, found the "
                         f"existing file {output}")
    old = generating.earlier_variants(output)
    if old and not replace:
        shown = old if len(old) <= 4 else [*old[:3], "...", old[-1]]
        raise UsageError(f"-o {output}: the folder already holds "
                         f"{counted(len(old), 'variant file')} of an earlier run "
                         f"({', '.join(shown)}): add --replace to remove them and write the "
                         "new run, or choose another folder")
    return old


# ------------------------------------------------------------------ the command


@click.command()
@click.option("--layers", metavar="SIZES",
              help="Layer sizes, input first, e.g. 3,3,3,3; a layer kind (batchnorm, "
                   "layernorm, dropout) in between keeps the width before it. An image "
                   "input HxW or CxHxW, then conv2d, maxpool2d, avgpool2d and flatten, makes "
                   "a CNN exercise: 1x5x5,conv2d,maxpool2d,flatten,3 (settings drawn, or "
                   "pinned: conv2d:kernels=2:size=3:stride=1:padding=1, "
                   "maxpool2d:size=2:stride=2). A sequence TxD, or T token indices before "
                   "an embedding, then rnn, lstm or gru makes a sequence exercise: "
                   "3x2,rnn,2 or 3,embedding,gru,2 (pinned: rnn:hidden=3:output=all, "
                   "lstm:gates=ifog, gru:form=cho:update=new, embedding:vocab=5:size=2).")
@click.option("--activations", metavar="NAMES",
              help="One per layer after the input (default: sigmoid hidden layers; softmax "
                   "output for cross_entropy, sigmoid otherwise).")
@click.option("--loss", type=click.Choice(list(LOSSES)), default="cross_entropy",
              show_default=True, help="One output unit needs bce (a sigmoid output) or mse.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="numpy.random.seed for the draws (W1, b1, W2, b2, ..., then x and y): 0 "
                   "to 4294967295 (2**32 - 1), the last variant's seed too.")
@click.option("--decimals", type=click.IntRange(0, 17), metavar="D",
              help="Round every drawn number to D decimals (Python's round).")
@click.option("--init", type=click.Choice(generating.INITS), default="uniform",
              show_default=True,
              help="uniform [0, 1) as printed exercises use; normal; xavier (Glorot uniform) "
                   "and he (Kaiming normal) with zero biases.")
@click.option("--batch", type=click.IntRange(min=1), metavar="N",
              help="Draw N samples: x a list of rows, y one target each (default: one "
                   "sample).")
@click.option("--x", "x_text", metavar="NUMBERS", help="The input, e.g. 1,0,1 (default: drawn).")
@click.option("--y", "y_text", metavar="TARGET",
              help="A class index (for losses other than cross_entropy: its one-hot vector; "
                   "[y] for one output) or a comma-separated target vector (default: drawn).")
@click.option("--title", help="The problem's title, written as given (default: Seeded "
                              "problem (seed S), or Variant i (seed S + i)).")
@click.option("--count", type=click.IntRange(min=1), metavar="N",
              help="Write N variants into the folder -o names: variant-000.yaml, ... "
                   "(variant i drawn with seed S + i).")
@click.option("--replace", is_flag=True,
              help="With --count: remove the variant files of an earlier run in the folder "
                   "first (without it, such a folder is refused).")
@click.option("-o", "--output", metavar="FILE|DIR",
              help="Where to write: a FILE (.json: JSON, else YAML), a DIR with --count "
                   "(default: stdout).")
@click.option("-f", "--force", is_flag=True,
              help="With -o FILE: replace the file if it exists (without it, an existing "
                   "file is refused).")
@click.option("--example", metavar="NAME", shell_complete=common.complete_examples(),
              help="Print the bundled example NAME as it is (or write it with -o), to start "
                   "from.")
@click.option("--list-examples", is_flag=True, help="List the bundled example problems.")
@click.option("--graph", metavar="EXPRESSION|FILE",
              help="Write `backprop graph` exercises for EXPRESSION instead, its inputs drawn "
                   "as whole numbers in [--low, --high], or with --decimals D as decimals; "
                   "or for an exercise FILE, each value drawn again in its shape.")
@click.option("--shape", "shapes", metavar="NAME=SHAPE", multiple=True,
              help="With --graph EXPRESSION: draw input NAME as a vector (x=3) or a matrix "
                   "(W=2x3); repeat for each (default: a number).")
@click.option("--low", type=float, help="With --graph: the smallest value drawn (default -5).")
@click.option("--high", type=float, help="With --graph: the largest value drawn (default 5).")
@common.translate_errors
def new(layers, activations, loss, seed, decimals, init, batch, x_text, y_text, title, count,
        output, force, list_examples, graph, shapes, low, high, replace, example):
    """Write a problem file with seeded random weights, or a bundled example.

    One problem goes to standard output or to -o FILE: JSON for a name ending in .json,
    YAML otherwise; an existing FILE is replaced only with --force. --example NAME prints
    a bundled example as it is, a template to edit (with -o, written by the same rule).

    --count N -o DIR writes N variants, variant i drawn with seed S + i, named
    variant-000.yaml, variant-001.yaml, ... (zero-padded to 3 digits, more only from 1001
    variants on). A folder already holding variant files is refused, so two runs never
    mix: --replace removes the earlier run's variant files first.

    The default title names the seed; --title TEXT is written as given (in every variant).
    Seeds are numpy's, 0 to 2**32 - 1, the last variant's (S + N - 1) too. One output
    needs --loss bce (a sigmoid output) or mse: a softmax over one unit learns nothing.

    An image input (HxW or CxHxW) makes a CNN exercise to do by hand: x whole numbers 0 to
    3, weights and biases tenths (kernels in [-1, 1], dense layers in [-0.5, 0.5]), relu
    after conv2d; the settings not pinned are drawn from the seed among those that give
    whole outputs, and a draw with a 0 into relu, a max-pool tie, a zero gradient or an
    output beyond ±5 is drawn again.

    A sequence input, TxD (T steps of D features) or T before an embedding (token
    indices), then rnn, lstm or gru and dense widths makes an exercise in backpropagation
    through time: every number with one decimal, h0 (and an lstm's c0) drawn, the hidden
    size (and the embedding's vocab and size) drawn unless pinned; gates stacked in
    torch's order unless pinned (gates=ifog) or written by name (gates=named); the dense
    layers see the last step (output=all: every step, y one per step); a draw whose gates
    saturate (|a| > 2) is drawn again.

    \b
    Examples:
      backprop new --layers 3,3,3,3 --seed 0 --decimals 8 --x 1,0,1 --y 2 > classic.yaml
      backprop new --layers 3,3,3,3 --seed 0 --decimals 8 --x 1,0,1 --y 2 | backprop solve
      backprop new --layers 2,3,1 --loss bce --init xavier --seed 7 -o p.json
      backprop new --layers 4,6,batchnorm,dropout,3 --batch 4 --decimals 2 --seed 3
      backprop new --layers 1x5x5,conv2d,maxpool2d,flatten,3 --seed 4
      backprop new --layers 2x6x6,conv2d:kernels=2:size=3,avgpool2d,flatten,2 --count 30 -o cnn/
      backprop new --layers 3x2,rnn:hidden=3,2 --seed 1
      backprop new --layers 3,embedding:vocab=5,lstm:output=all,3 --count 30 -o seq/
      backprop new --layers 3,3,3,3 --decimals 2 --count 30 -o variants/
      backprop new --layers 3,3,3,3 --decimals 2 --count 30 -o variants/ --replace
      backprop new --example classic -o my-problem.yaml
      backprop new --list-examples
      backprop new --graph "(x + y) * z" --seed 1 --count 30 -o variants/
      backprop new --graph "sum((W @ x) ** 2)" --shape W=2x3 --shape x=3 --seed 1
      backprop new --graph "cross_entropy(W @ x, y)" --shape W=3x4 --shape x=4
      backprop new --graph exercise.yaml --count 30 -o variants/
    """
    check_seeds(seed, count)
    check_replacing(output, count, force)
    if graph is not None or low is not None or high is not None or shapes:
        from backprop_cli.cli.graph import new_graph

        new_graph(graph, seed, decimals, low, high, title, count, output,
                  {"--layers": layers, "--activations": activations, "--x": x_text,
                   "--y": y_text, "--list-examples": list_examples, "--example": example,
                   "--replace": replace, "--batch": batch,
                   "--loss": loss if "loss" in _given() else None,
                   "--init": init if "init" in _given() else None}, shapes)
        return
    _check_modes(_given())
    if list_examples:
        _list_examples()
        return
    if example is not None:
        _example(example, output)
        return
    if layers is None:
        raise click.UsageError("Missing option '--layers' (e.g. --layers 3,3,3,3).")
    sizes = options.sizes(layers)
    acts = options.activations(activations, len(sizes) - 1, loss, sizes)
    if batch is not None and (x_text or y_text):
        raise UsageError("--x and --y give one sample: leave them out with --batch (x and y "
                         "are drawn, a row per sample)")
    if generating.is_sequence(sizes) and "init" in _given():
        raise UsageError("--init does not go with a sequence exercise: it draws every number "
                         "with one decimal")
    if isinstance(sizes[0], tuple) and "init" in _given():
        raise UsageError("--init does not go with an image input: a CNN exercise draws x as "
                         "whole numbers, weights and biases with one decimal")
    x, y = options.sample(x_text, sizes), options.target(y_text)
    generating.check_drawing(layers, sizes, loss, y, batch)
    old = check_output(output, count, replace)
    docs = generating.problems(sizes, acts, loss, seed, count, decimals, init, x, y, title,
                               batch)
    if count is None:
        _write_one(output, docs[0])
    else:
        names = generating.write_variants(output, docs, old)
        replaced = f", after removing the {len(old)} of an earlier run" if old else ""
        click.echo(f"wrote {counted(len(docs), 'problem')} to {output} ({names[0]} to {names[-1]})"
                   f"{replaced}", err=True)


def _write_one(output: str | None, doc) -> None:
    if output in (None, "-"):
        common.emit(generating.yaml_text(doc))
    else:
        generating.write_by_name(output, doc)


def _list_examples() -> None:
    from backprop_cli.api.commands import example_lines

    for line in example_lines():
        click.echo(line)


def _example(name: str, output: str | None) -> None:
    """The bundled file as it is; into a .json name as JSON."""
    text = generating.example_text(common.example_path(name), output)
    if text is not None:
        common.emit(text)
