"""Max and average pooling (engine/layers/pooling.py) in a worked solution: the layer's
line in the Problem section and its forward pass (the formula, the output size, the padded
input, one window worked, every channel's map). The backward pass, with max pooling's
argmax positions, is pools_backward.py's.
"""

from __future__ import annotations

from backprop_cli.engine.layers.pooling import max_forward
from backprop_cli.output.worked import maps
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import at
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def geometry(note: Notation, l: int):
    return note.model.layers[l - 1].settings.geometry


def is_max(note: Notation, l: int) -> bool:
    return note.kind(l) == "maxpool2d"


def area(note: Notation, l: int) -> str:
    """k_H · k_W in numbers."""
    kH, kW = geometry(note, l).kernel
    return rf"{kH} \cdot {kW}"


def settings(note: Notation, l: int) -> list:
    g = geometry(note, l)
    (kH, kW), (sH, sW), (pH, pW) = g.kernel, g.stride, g.padding
    if is_max(note, l):
        what = ("max pooling (torch's MaxPool2d): the largest cell of each window"
                + ("; the padding is −∞, never the largest" if pH or pW else ""))
    else:
        what = ("average pooling (torch's AvgPool2d): the mean of each window"
                + ("; the padding is zeros, counted in the mean" if pH or pW else ""))
    return [f"Layer {l}: {what}; windows of {kH}×{kW}, ", Math(f"s = ({sH}, {sW})"), ", ",
            Math(f"p = ({pH}, {pW})"), "; each channel is pooled on its own. No parameters."]


def cache(note: Notation, l: int) -> dict:
    """The engine's cache: max pooling's argmax (each window's largest cell)."""
    if not is_max(note, l):
        return {}
    return max_forward(note.layer_input(l), {}, note.model.layers[l - 1].settings)[1]


def forward(note: Notation, l: int) -> list[Block]:
    g = geometry(note, l)
    kH, kW = g.kernel
    a_l, h = note.symbol("a", l), maps.pad_symbol(note, l, g)
    inside = at(h, "n", "c", "i s_H + p", "j s_W + q")
    if is_max(note, l):
        rule = rf"\max_{{p, q}} {inside}"
    else:
        rule = rf"\frac{{1}}{{k_H k_W}} \sum_{{p, q}} {inside}"
    out = [eq((at(a_l, "n", "c", "i", "j"), "=",
               [rule, rf"\quad 0 \le p < k_H = {kH}, \ 0 \le q < k_W = {kW}"]))]
    out += maps.geometry_text(note, l, g, "-inf" if is_max(note, l) else "0")
    out += one_window(note, l)
    a = maps.grid(note, note.forward_value(f"a{l}"), l)
    return out + [par("Every window the same way, channel by channel:"),
                  maps.maps_eq(note, lambda n, c: at(a_l, n, c), a)]


def one_window(note: Notation, l: int) -> list[Block]:
    """a_l[0, 0, 0, 0] from the cells of its window."""
    g = geometry(note, l)
    kH, kW = g.kernel
    fill = -float("inf") if is_max(note, l) else 0.0
    x = maps.padded(maps.input_maps(note, l), g, fill)
    win = x[0, 0, :kH, :kW]
    cell = maps.value_cell(note, l)
    a_l, h = note.symbol("a", l), maps.pad_symbol(note, l, g)
    value = note.entry(note.forward_value(f"a{l}")[0, 0])
    cells = maps.sum_terms([maps.signed(cell(v)) for v in win.ravel()])
    sym = maps.window(h, 0, 0, 0, 0, g)
    if is_max(note, l):
        steps = [(at(a_l, 0, 0, 0, 0), "=", [rf"\max {sym}"]),
                 (None, "=", [rf"\max {note.matrix(win, cell)}"]),
                 (None, "=", [value])]
    else:
        share = rf"\frac{{1}}{{{area(note, l)}}}"
        steps = [(at(a_l, 0, 0, 0, 0), "=", [rf"{share} \sum {sym}"]),
                 (None, "=", [rf"{share} \bigl(", *cells, r"\bigr)"]),
                 (None, "=", [value])]
    return [par("One window in full: ", Math(at(a_l, 0, 0, 0, 0)), " pools rows 0 to "
                f"{kH - 1}, columns 0 to {kW - 1} of channel 0 of sample 0:"), eq(*steps)]
