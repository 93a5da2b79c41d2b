"""Flatten (engine/layers/flatten.py) in a worked solution: each sample's maps become one
row, in (C, H, W) order (torch), or (H, W, C) with channels last (Keras, TensorFlow); the
backward pass puts the row's gradient back into the maps in the same order.
"""

from __future__ import annotations

from backprop_cli.output.fmt import elide
from backprop_cli.output.worked import maps
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import at
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def _last(note: Notation, l: int) -> bool:
    return note.model.layers[l - 1].settings.order == "last"


def settings(note: Notation, l: int) -> list:
    C, H, W = note.model.layers[l - 1].settings.inp
    order = ("(H, W, C) order, channels last, as Keras and TensorFlow flatten" if
             _last(note, l) else "(C, H, W) order, as torch's Flatten")
    return [f"Layer {l}: flatten: each sample's {C}×{H}×{W} maps become one row of "
            f"{C * H * W} entries, in {order}. No parameters."]


def order(note: Notation, l: int) -> list:
    """Paragraph segments: which cell of h_{l-1} each entry k of the row is."""
    C, H, W = note.model.layers[l - 1].settings.inp
    h = note.symbol("h", l - 1)
    if _last(note, l):
        rule = f"k = (i \\cdot {W} + j) \\cdot {C} + c"
        how = "cell by cell, row by row, the channels of each cell together"
        cells = [(c, i, j) for i in range(H) for j in range(W) for c in range(C)]
    else:
        rule = f"k = c \\cdot {H * W} + i \\cdot {W} + j"
        how = "channel by channel, each map row by row"
        cells = [(c, i, j) for c in range(C) for i in range(H) for j in range(W)]
    out = ["Entry k of sample n's row is ", Math(at(h, "n", "c", "i", "j")), " with ",
           Math(rule), f" ({how}): k = 0, 1, … take "]
    for k, cell in enumerate(elide(cells, None)):
        out += [", " if k else "", "…" if cell is None else Math(at(h, "n", *cell))]
    return out + ["."]


def forward(note: Notation, l: int) -> list[Block]:
    a_l = note.symbol("a", l)
    return [par(*order(note, l)),
            eq((a_l, "=", [rf"\operatorname{{flatten}}({note.symbol('h', l - 1)})"]),
               (None, "=", [note.vector(note.forward_value(f"a{l}"))]))]


def backward(note: Notation, l: int, through, lhs: str) -> list[Block]:
    """The row's gradient back into the maps, entry k to the cell it came from."""
    return [par("Flatten only moves entries: the gradient of cell ",
                Math(at(note.symbol("h", l - 1), "n", "c", "i", "j")), " is entry k of row n "
                "of ", Math(note.symbol("delta", l)), ", the same k as forward:"),
            maps.result(note, l, lhs, through)]


def cache(note: Notation, l: int) -> dict:
    return {}
