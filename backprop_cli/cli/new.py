"""`backprop new`: problem files with seeded random weights, one or a folder of variants."""

from __future__ import annotations

import os

import click

from backprop_cli.cli import common
from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.errors import ProblemError, UsageError
from backprop_cli.problem import documents, from_document, generate, load


def _numbers(option: str, text: str) -> list:
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            values.append(int(part) if part.lstrip("+-").isdigit() else float(part))
        except ValueError:
            raise click.BadParameter(f"found {part!r}, expected comma-separated numbers",
                                     param_hint=option) from None
    return values


def _sizes(text: str) -> list[int]:
    sizes = _numbers("--layers", text)
    if len(sizes) < 2 or any(not isinstance(n, int) or n < 1 for n in sizes):
        raise click.BadParameter("expected at least two positive whole numbers, input size "
                                 "first, like 3,3,3,3", param_hint="--layers")
    return sizes


def _activations(text: str | None, depth: int, loss: str) -> list[str]:
    if text is None:
        return generate.default_activations(depth, loss)
    names = [t.strip() for t in text.split(",")]
    for name in names:
        if name not in ACTIVATIONS:
            raise click.BadParameter(f"found {name!r}, expected one of "
                                     + ", ".join(ACTIVATIONS), param_hint="--activations")
    if len(names) != depth:
        raise click.BadParameter(f"found {len(names)} activations, expected {depth}: one per "
                                 "layer after the input", param_hint="--activations")
    return names


def _list_examples() -> None:
    for name in common.example_names():
        click.echo(f"{name:<15} {load(common.example_path(name)).title or ''}".rstrip())


@click.command()
@click.option("--layers", metavar="SIZES", help="Layer sizes, input first, e.g. 3,3,3,3.")
@click.option("--activations", metavar="NAMES",
              help="One per layer after the input (default: sigmoid hidden layers; softmax "
                   "output for cross_entropy, sigmoid otherwise).")
@click.option("--loss", type=click.Choice(list(LOSSES)), default="cross_entropy",
              show_default=True)
@click.option("--seed", type=int, default=0, show_default=True,
              help="numpy.random.seed for the draws (W1, b1, W2, b2, ..., then x and y).")
@click.option("--decimals", type=click.IntRange(0, 17), metavar="D",
              help="Round every drawn number to D decimals (Python's round).")
@click.option("--init", type=click.Choice(generate.INITS), default="uniform",
              show_default=True,
              help="uniform [0, 1) as printed exercises use; normal; xavier (Glorot uniform) "
                   "and he (Kaiming normal) with zero biases.")
@click.option("--x", "x_text", metavar="NUMBERS", help="The input, e.g. 1,0,1 (default: drawn).")
@click.option("--y", "y_text", metavar="TARGET",
              help="A class index (for losses other than cross_entropy: its one-hot vector) "
                   "or a comma-separated target vector (default: a drawn class).")
@click.option("--title", help="The problem's title.")
@click.option("--count", type=click.IntRange(min=1), metavar="N",
              help="Write N variants into the folder -o names, variant i drawn with seed + i.")
@click.option("-o", "--output", metavar="FILE|DIR", help="Where to write (default: stdout).")
@click.option("--list-examples", is_flag=True, help="List the bundled example problems.")
@click.option("--graph", metavar="EXPRESSION",
              help="Write `backprop graph` exercises for EXPRESSION instead, its inputs drawn "
                   "as whole numbers in [--low, --high], or with --decimals D as decimals.")
@click.option("--low", type=float, help="With --graph: the smallest value drawn (default -5).")
@click.option("--high", type=float, help="With --graph: the largest value drawn (default 5).")
@common.translate_errors
def new(layers, activations, loss, seed, decimals, init, x_text, y_text, title, count,
        output, list_examples, graph, low, high):
    """Write a problem file with seeded random weights.

    \b
    Examples:
      backprop new --layers 3,3,3,3 --seed 0 --decimals 8 --x 1,0,1 --y 2 > classic.yaml
      backprop new --layers 3,3,3,3 --seed 0 --decimals 8 --x 1,0,1 --y 2 | backprop solve
      backprop new --layers 2,3,1 --loss mse --init xavier --seed 7
      backprop new --layers 3,3,3,3 --decimals 2 --count 30 -o variants/
      backprop new --list-examples
      backprop new --graph "(x + y) * z" --seed 1 --count 30 -o variants/
    """
    if graph is not None or low is not None or high is not None:
        from backprop_cli.cli.graph import new_graph

        new_graph(graph, seed, decimals, low, high, title, count, output,
                  {"--layers": layers, "--activations": activations, "--x": x_text,
                   "--y": y_text, "--list-examples": list_examples})
        return
    if list_examples:
        _list_examples()
        return
    if layers is None:
        raise click.UsageError("Missing option '--layers' (e.g. --layers 3,3,3,3).")
    sizes = _sizes(layers)
    acts = _activations(activations, len(sizes) - 1, loss)
    x = _numbers("--x", x_text) if x_text else None
    if x is not None and len(x) != sizes[0]:
        raise click.BadParameter(f"found {len(x)} numbers, expected {sizes[0]} (the input "
                                 "size)", param_hint="--x")
    y = None
    if y_text:
        y = _numbers("--y", y_text)
        y = y[0] if len(y) == 1 and isinstance(y[0], int) else y
    if count is not None and output is None:
        raise click.UsageError("--count needs -o DIR: the folder to write the variants to.")
    seeds = [seed] if count is None else [seed + i for i in range(count)]
    texts = []
    for i, s in enumerate(seeds):
        name = title or ("Seeded problem" if count is None else f"Variant {i}")
        doc = generate.problem(sizes, acts, loss, s, decimals, init, x, y,
                               f"{name} (seed {s})")
        try:
            from_document(doc, "backprop new")  # the same rules as any problem file
        except ProblemError as e:
            raise UsageError(f"backprop new: {e.place}: {e.message}") from None
        texts.append(documents.dump_yaml(doc))
    if count is None:
        if output in (None, "-"):
            common.emit(texts[0])
        else:
            _write(output, texts[0])
        return
    os.makedirs(output, exist_ok=True)
    width = len(str(count - 1))
    for i, text in enumerate(texts):
        _write(os.path.join(output, f"variant-{i:0{width}d}.yaml"), text)
    click.echo(f"wrote {count} problems to {output}", err=True)


def _write(path: str, text: str) -> None:
    documents.write_atomic(path, text)
