"""The backward pass through a feature map's activation in a worked solution, channel by
channel: δ_l[n, c] = ∂L/∂h_l[n, c] ⊙ f'(a_l[n, c]); where the gradient of a map comes
from (the map layer after it, worked there, or the given upstream gradient of a map
output); the input's gradient when x is an image. What each map kind does with δ_l is its
own module's (conv_backward.py, pools_backward.py, flatten.py).
"""

from __future__ import annotations

from backprop_cli.output.worked import formulas
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import at, each, grid, maps_eq, partial
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def output_delta(note: Notation) -> list[Block]:
    """∂L/∂ŷ of a map output: the given upstream gradient (`loss: upstream`)."""
    L, y = note.depth, note.symbol("y", None)
    return [par("The loss is ", Math(rf"L = \sum {y} \odot {note.symbol('yhat', None)}"),
                ": its gradient with respect to the output is the given ", Math(y), ":"),
            eq((note.partial("h", L), "=", [y]))]


def incoming(note: Notation, l: int) -> list[Block]:
    """∂L/∂h_l of a map (∂L/∂x for l = 0): worked by layer l + 1's backward pass above."""
    if l == 0:
        x = note.symbol("x", None)
        return [par("From layer 1's backward pass above, channel by channel:"),
                maps_eq(note, lambda n, c: partial(at(x, n, c)),
                        grid(note, note.gradient("x"), 0))]
    return [par(f"From layer {l + 1}'s backward pass above: ",
                Math(partial(at(note.symbol("h", l), "n", "c"))), " for every sample n and "
                "channel c.")]


def chain(note: Notation, l: int) -> list[Block]:
    """δ_l from ∂L/∂h_l through the activation's derivative, channel by channel."""
    spec = note.model.layers[l - 1]
    h_l, a_l, d_l = note.symbol("h", l), note.symbol("a", l), note.symbol("delta", l)
    delta = grid(note, note.gradient(f"a{l}"), l)
    if spec.activation == "identity":
        return [par("No activation (identity): ",
                    Math(rf"{d_l} = {note.partial('h', l)}"), ":"),
                maps_eq(note, lambda n, c: at(d_l, n, c), delta)]
    symbol, deriv, slope = formulas.derivative(note, l)
    slope, dh = grid(note, slope, l), grid(note, note.gradient(f"h{l}"), l)

    def step(n, c):
        return [(at(d_l, n, c), "=", [note.matrix(dh[n, c]), r"\odot " + note.matrix(slope[n, c])]),
                (None, "=", [note.matrix(delta[n, c])])]

    f_prime = rf"{symbol}'({a_l})"
    return [eq((f_prime, "=", [deriv]),
               (at(d_l, "n", "c"), "=", [rf"{partial(at(h_l, 'n', 'c'))} \odot "
                                         rf"{symbol}'({at(a_l, 'n', 'c')})"])),
            eq(*each(*delta.shape[:2], step))]
