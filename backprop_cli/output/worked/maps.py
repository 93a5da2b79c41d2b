"""Feature maps in a worked solution (conv2d, the pools, flatten): what they share.

A map quantity is shown channel by channel, each channel's map a matrix: h_l[n, c] is
channel c of sample n (torch's indexing, whatever order the file writes its channels in;
n = 0 for one sample). The document writes maps in the file's shape; Notation turns them
into rows in (C, H, W) order, as the engine holds them, and `grid` into (N, C, H, W).
Past MAX_SHOWN samples or channels the middle ones are elided, as a matrix elides its
middle rows. Here too: the problem's x (and a map-shaped y), the activation of a map
layer, the windows (padding, output size, the cells of one window) and sums of products.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.layers.windows import Geometry, padded
from backprop_cli.errors import counted
from backprop_cli.output.fmt import elide
from backprop_cli.output.worked import tex
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math

ELIDED = (r"\vdots", "", [""])  # a chain's step for the samples or channels left out
MOST_TERMS = 36  # a sum of more products shows its first and last ones


def is_map(note: Notation, l: int) -> bool:
    """Whether h_l (x for l = 0) is a feature map."""
    return note.model.map_of(l) is not None


def grid(note: Notation, rows, l: int) -> np.ndarray:
    """Rows (N, C·H·W) of h_l's maps as (N, C, H, W)."""
    return np.asarray(rows, dtype=float).reshape(-1, *note.model.map_of(l))


def size(note: Notation, l: int) -> str:
    """h_l's size for the network line: C×H×W for a map, else its width."""
    shape = note.model.map_of(l)
    return str(note.width(l)) if shape is None else r"{\times}".join(map(str, shape))


def at(sym: str, *index) -> str:
    """sym[i, j, ...]: an index written as torch writes it."""
    return f"{sym}[{', '.join(map(str, index))}]"


def partial(sym: str) -> str:
    return rf"\frac{{\partial L}}{{\partial {sym}}}"


def shown(k: int) -> list:
    """The indices 0 … k − 1 a page shows (None where the middle is elided)."""
    return elide(list(range(k)), None)


def each(N: int, C: int, step) -> list:
    """The chain steps of step(n, c) for every sample n and channel c shown, a ⋮ step
    where some are elided."""
    out = []
    for n in shown(N):
        for c in (shown(C) if n is not None else [None]):
            out += [ELIDED] if n is None or c is None else step(n, c)
    return out


def maps_eq(note: Notation, lhs, arr4, cell=None) -> Block:
    """lhs(n, c) = the matrix arr4[n, c], for every sample and channel."""
    N, C = arr4.shape[:2]
    return eq(*each(N, C, lambda n, c: [(lhs(n, c), "=", [note.matrix(arr4[n, c], cell)])]))


def where(note: Notation) -> str:
    """How the file writes maps, when it is not the (N, C, H, W) the indices follow."""
    if note.problem.channels != "last":
        return ""
    return (" The file writes its channels last (maps (N, H, W, C), kernels (kH, kW, C_in, "
            "C_out)); the indices here are torch's all the same: [n, c] is channel c of "
            "sample n, [o, c] the kernel from input channel c to output channel o.")


# ------------------------------------------------------------------------ the problem


def inputs(note: Notation) -> list[Block]:
    """x as maps, and the targets (a map-shaped y, with `loss: upstream`, as maps too)."""
    C, H, W = note.model.map_of(0)
    x = note.symbol("x", None)
    out = [par(f"The input {x} = ", Math(note.symbol("h", 0)), f": "
               f"{counted(note.samples, 'sample')} of {counted(C, 'channel')} of {H}×{W}; ",
               Math(at(x, "n", "c")), " is channel c of sample n." + where(note)),
           maps_eq(note, lambda n, c: at(x, n, c), grid(note, note.problem.x, 0), note.given)]
    y = note.symbol("y", None)
    if is_map(note, note.depth):
        return out + [maps_eq(note, lambda n, c: at(y, n, c),
                              grid(note, note.problem.y, note.depth), note.given)]
    return out + [eq((y, "=", [note.vector(note.problem.y, note.given)]))]


# ------------------------------------------------------------------------ forward


def activation(note: Notation, l: int) -> list[Block]:
    """h_l = f(a_l) channel by channel (softmax, over a sample's whole row, is not here)."""
    spec = note.model.layers[l - 1]
    a, h = grid(note, note.forward_value(f"a{l}"), l), grid(note, note.forward_value(f"h{l}"), l)
    a_l, h_l = note.symbol("a", l), note.symbol("h", l)
    symbol, definition, _ = ACTIVATIONS[spec.activation].tex
    if spec.activation == "identity":
        return [par("No activation (identity): ", Math(f"{h_l} = {a_l}"), "."),
                maps_eq(note, lambda n, c: at(h_l, n, c), h)]
    definition = definition.replace("%", tex.plain(spec.param or 0))

    def step(n, c):
        return [(at(h_l, n, c), "=", [rf"{symbol}\left({note.matrix(a[n, c])}\right)"]),
                (None, "=", [note.matrix(h[n, c])])]

    return [eq((h_l, "=", [rf"{symbol}({a_l}),", rf"\quad {definition}",
                           r"\quad \text{elementwise}"])),
            eq(*each(*a.shape[:2], step))]


# ------------------------------------------------------------------------ windows


def input_maps(note: Notation, l: int) -> np.ndarray:
    """h_{l-1} (x for the first layer) as (N, C, H, W)."""
    return grid(note, note.layer_input(l), l - 1)


def cell_of(note: Notation, l: int):
    """How layer l's input values are written: as given for x, computed otherwise."""
    return note.given if l == 1 else note.entry


def pad_symbol(note: Notation, l: int, g: Geometry) -> str:
    """h_{l-1}, or h_{l-1}^pad when the layer pads its input."""
    sym = note.symbol("h", l - 1)
    return sym + r"^{\mathrm{pad}}" if any(g.padding) else sym


def geometry_text(note: Notation, l: int, g: Geometry, fill: str) -> list[Block]:
    """The output size, and the padded input when there is padding."""
    (_, H, W), (kH, kW), (sH, sW), (pH, pW) = g.inp, g.kernel, g.stride, g.padding
    Ho, Wo = g.out_hw

    def one(n, p, k, s, o, name):
        return Math(rf"{name}' = ({n} + 2 \cdot {p} - {k}) / {s} + 1 = {o}")

    out = [par("Output size: ", one(H, pH, kH, sH, Ho, "H"), ", ", one(W, pW, kW, sW, Wo, "W"),
               " (stride ", Math(f"s = ({sH}, {sW})"), ", padding ", Math(f"p = ({pH}, {pW})"),
               ").")]
    if not any(g.padding):
        return out
    fill_value = -np.inf if fill == "-inf" else 0.0
    arr = padded(input_maps(note, l), g, fill_value)
    sym = pad_symbol(note, l, g)
    return out + [par(f"The input padded with {pH} row{'s' if pH != 1 else ''} and {pW} "
                      f"column{'s' if pW != 1 else ''} of ",
                      Math(r"-\infty" if fill == "-inf" else "0"), " on each side:"),
                  maps_eq(note, lambda n, c: at(sym, n, c), arr, value_cell(note, l))]


def value_cell(note: Notation, l: int):
    """Write a padded input's cell: −∞ of a max pool's padding, else as the input is."""
    inner = cell_of(note, l)
    return lambda v: r"-\infty" if v == -np.inf else inner(v)


def window(sym: str, n, c, i: int, j: int, g: Geometry) -> str:
    """sym[n, c, rows, columns]: the cells of window (i, j), as torch slices them."""
    (kH, kW), (sH, sW) = g.kernel, g.stride
    return at(sym, n, c, f"{i * sH}{{:}}{i * sH + kH}", f"{j * sW}{{:}}{j * sW + kW}")


def signed(v: str) -> str:
    return f"({v})" if v.startswith("-") else v


def sum_terms(terms: list) -> list:
    """Terms of a sum, "+ " before each but the first; past MOST_TERMS the middle elided.
    A term may be a tuple of factors (a product of matrices): a row may end between them."""
    if len(terms) > MOST_TERMS:
        terms = elide(terms, r"\cdots", keep=12)
    out = []
    for k, t in enumerate(terms):
        factors = list(t) if isinstance(t, tuple) else [t]
        out += [factors[0] if k == 0 else "+ " + factors[0], *factors[1:]]
    return out


def summed(note: Notation, left, right, cell_left=None, cell_right=None) -> tuple:
    """Σ left ⊙ right with its two matrices, as a term of sum_terms."""
    return (r"\sum " + note.matrix(left, cell_left), r"\odot " + note.matrix(right, cell_right))


def products(left, right, fmt_left, fmt_right) -> list[str]:
    """The products of Σ left ⊙ right, entry by entry (row-major), each a · b (for
    sum_terms)."""
    return [rf"{signed(fmt_left(u))} \cdot {signed(fmt_right(v))}"
            for u, v in zip(np.ravel(left), np.ravel(right))]


# ------------------------------------------------------------------------ backward


def input_lhs(note: Notation, l: int, lhs: str):
    """(n, c, *cell) -> ∂L/∂h_{l-1}[n, c, ...] (x for the first layer), with whatever
    lhs adds to ∂L/∂h_{l-1} (the path through layer l alone, where a residual adds
    another)."""
    sym = note.symbol("x", None) if l == 1 else note.symbol("h", l - 1)
    suffix = lhs[len(note.input_partial(l)):]
    return lambda n, c, *cell: partial(at(sym, n, c, *cell)) + suffix


def result(note: Notation, l: int, lhs: str, through) -> Block:
    """The input's gradient (through: rows), channel by channel."""
    return maps_eq(note, input_lhs(note, l, lhs), grid(note, through, l - 1))


def delta(note: Notation, l: int, n, c, *index) -> str:
    return at(note.symbol("delta", l), n, c, *index)
