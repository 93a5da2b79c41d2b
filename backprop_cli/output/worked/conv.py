"""A convolution layer (engine/layers/conv2d.py) in a worked solution: its line in the
Problem section, its kernels, and its forward pass: the formula, the output size, the
padded input, the kernels turned 180° (flip: true), one output cell worked as its
window's sum of products, and every output channel's map. The backward pass is
conv_backward.py's.

K_l[o, c] is the kernel that slides: W_l[o, c] (torch's cross-correlation), or
rot180(W_l[o, c]) for a true convolution (flip: true).
"""

from __future__ import annotations

from backprop_cli.engine.layers.conv2d import columns
from backprop_cli.errors import counted
from backprop_cli.output.worked import kernels, maps
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import at
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def spec(note: Notation, l: int):
    return note.model.layers[l - 1].settings


def slid(note: Notation, l: int) -> str:
    """K_l[o, c] in symbols: the kernel as it slides over the input."""
    W = kernels.symbol(l, "o", "c")
    return kernels.rot(W) if spec(note, l).flip else W


def slid_kernels(note: Notation, l: int):
    """K_l: the kernels as they slide, (C_out, C_in, kH, kW)."""
    W = note.weights(l)
    return W[:, :, ::-1, ::-1] if spec(note, l).flip else W


# ------------------------------------------------------------------------ the problem


def settings(note: Notation, l: int) -> list:
    s = spec(note, l)
    g = s.geometry
    (C, _, _), (kH, kW), (sH, sW), (pH, pW) = g.inp, g.kernel, g.stride, g.padding
    how = ("flip: true, a true convolution: each kernel is turned 180° before it slides"
           if s.flip else "a cross-correlation, as torch's Conv2d: the kernel slides as "
           "written")
    return [f"Layer {l}: conv2d, {counted(C, 'input channel')} to "
            f"{counted(s.out_channels, 'output channel')}, one {kH}×{kW} kernel for each "
            "pair; ", Math(f"s = ({sH}, {sW})"),
            ", ", Math(f"p = ({pH}, {pW})"), " (zeros); " + how + "; ",
            Math(kernels.symbol(l, "o", "c")), " is the kernel from input channel c to "
            "output channel o."]


def count(note: Notation, l: int) -> str:
    """The layer's learnable parameters as a product (and its bias)."""
    Co, C, kH, kW = note.weights(l).shape
    kernel = rf"{Co} \cdot {C} \cdot {kH} \cdot {kW}"
    return f"({kernel} + {Co})" if note.model.layers[l - 1].bias else kernel


def cache(note: Notation, l: int) -> dict:
    """The engine's cache: every window of the input as a column."""
    return {"cols": columns(note.layer_input(l), spec(note, l).geometry)}


# ------------------------------------------------------------------------ forward


def forward(note: Notation, l: int) -> list[Block]:
    """a_l channel by channel: the formula, the geometry, one cell, every map."""
    s = spec(note, l)
    g = s.geometry
    a_l, h = note.symbol("a", l), maps.pad_symbol(note, l, g)
    b = f" + b_{{{l}}}[o]" if s.bias else ""
    K = slid(note, l)
    cell = (rf"\sum_{{c, p, q}} K_{{{l}}}[o, c, p, q] \, "
            rf"{at(h, 'n', 'c', 'i s_H + p', 'j s_W + q')}")
    out = [par("Each output channel o sums, over the input channels c, its kernel slid over "
               "the (padded) input channel, a window at a time (", Math(r"\star"),
               ": cross-correlation):"),
           eq((at(a_l, "n", "o"), "=", [rf"\sum_c K_{{{l}}}[o, c] \star "
                                        rf"{at(h, 'n', 'c')}{b}"]),
              (at(a_l, "n", "o", "i", "j"), "=", [cell + b]),
              (at(f"K_{{{l}}}", "o", "c"), "=", [K]))]
    if s.flip:
        out += [par("flip: true: a true convolution turns each kernel 180° (upside down and "
                    "left to right) before it slides:"), kernels.turned(note, l)]
    out += maps.geometry_text(note, l, g, "0")
    out += one_cell(note, l)
    a = maps.grid(note, note.forward_value(f"a{l}"), l)
    return out + [par("Every cell the same way, output channel by output channel:"),
                  maps.maps_eq(note, lambda n, o: at(a_l, n, o), a)]


def one_cell(note: Notation, l: int) -> list[Block]:
    """a_l[0, 0, 0, 0]: the first window of every input channel against output channel
    0's kernels, as a sum of products."""
    s = spec(note, l)
    g = s.geometry
    kH, kW = g.kernel
    x = maps.padded(maps.input_maps(note, l), g, 0.0)
    K = slid_kernels(note, l)
    h, a_l = maps.pad_symbol(note, l, g), note.symbol("a", l)
    C = g.inp[0]
    value = note.forward_value(f"a{l}")[0, 0]
    given, cell = note.given, maps.value_cell(note, l)
    windows = [x[0, c, :kH, :kW] for c in range(C)]
    symbolic = [rf"\sum K_{{{l}}}[0, {c}] \odot {maps.window(h, 0, c, 0, 0, g)}"
                if c is not None else r"\cdots" for c in maps.shown(C)]
    numbers = [maps.summed(note, K[0, c], windows[c], given, cell)
               if c is not None else r"\cdots" for c in maps.shown(C)]
    terms = [t for c in range(C) for t in maps.products(K[0, c], windows[c], given, cell)]
    if s.bias:
        bias = note.given(note.problem.params[f"b{l}"][0])
        symbolic.append(f"b_{{{l}}}[0]")
        numbers.append(maps.signed(bias))
        terms.append(maps.signed(bias))
    return [par("One cell in full: ", Math(at(a_l, 0, 0, 0, 0)), " is the first window (rows "
                f"0 to {kH - 1}, columns 0 to {kW - 1}) of every input channel of sample 0, "
                "times output channel 0's kernels, entry by entry, summed:"),
            eq((at(a_l, 0, 0, 0, 0), "=", maps.sum_terms(symbolic)),
               (None, "=", maps.sum_terms(numbers)),
               (None, "=", maps.sum_terms(terms)),
               (None, "=", [note.entry(value)]))]
