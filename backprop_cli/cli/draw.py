"""`backprop draw`: the network diagram of a problem, with its numbers. Matplotlib (the
`plot` extra) is imported only when it runs."""

from __future__ import annotations

import warnings

import click

from backprop_cli.cli import common


@click.command()
@click.argument("problems", nargs=-1, metavar="[PROBLEM]")
@common.example_option
@click.option("-o", "--output", metavar="FILE", required=True,
              help="The picture to write (atomically): .svg, .png or .pdf, by its extension.")
@click.option("--biases", type=click.Choice(["shown", "hidden"]), default="shown",
              show_default=True, help="Draw each layer's bias as a node '1' feeding it.")
@click.option("--values", is_flag=True,
              help="Write each neuron's a and h, the loss, and the weights on the edges (as "
                   "colour and width when a layer has more than 6 neurons).")
@click.option("--gradients", is_flag=True, help="Write each neuron's ∂L/∂a.")
@click.option("--decimals", type=click.IntRange(0, 17), default=common.DEFAULT_DECIMALS,
              show_default=True, help="Decimals of the numbers written.")
@common.translate_errors
def draw(problems, examples, output, biases, values, gradients, decimals):
    """Draw PROBLEM's network as an exercise shows it: SVG, PNG or PDF.

    Input, hidden and output layers are columns of neurons (x1..., h1_1..., ŷ1...), every
    connection drawn, each layer's activation under it. Layers of more than 12 neurons
    show the first 9, ⋮ and the last. Feature maps (conv2d, pools) are stacks of
    channels with a block of each layer's settings, and each convolution and pool adds a
    picture of its window at the first output cell. A sequence (rnn, lstm, gru) is drawn
    unrolled: its steps side by side, h_t (and c_t) passed between the cells, with
    --gradients ∂L/∂h_t and its two parts. With a batch, --values and
    --gradients show the first sample. Needs matplotlib: pip install 'backprop-cli[plot]'.

    \b
    Examples:
      backprop draw problems/classic.yaml -o net.svg
      backprop draw problems/classic.yaml --values -o docs/classic.svg
      backprop draw problems/classic.yaml --values --gradients --decimals 3 -o net.png
      backprop draw --example textbook_321 --biases hidden -o net.pdf
      backprop new --layers 4,12,12,3 | backprop draw - -o wide.png
    """
    from backprop_cli.api import commands

    common.picture_target(output)
    source = common.sources("draw", problems, examples, single=True)[0]
    prob = common.load(source)
    net = commands.network(prob, values, gradients, decimals, biases == "shown")
    with warnings.catch_warnings(record=True) as caught:  # e.g. a glyph the font lacks
        warnings.simplefilter("always")
        commands.draw_network(net, output, decimals)
    for message in dict.fromkeys(str(w.message) for w in caught):  # each once, no traceback
        click.echo(f"Warning: {message}", err=True)
