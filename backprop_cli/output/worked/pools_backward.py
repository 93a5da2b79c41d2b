"""The backward pass of the pools in a worked solution: max pooling sends each window's
gradient to its largest cell (the argmax positions, shown; where windows overlap, a cell
that is the largest of several gets their sum), average pooling gives every cell of a
window 1/(kH·kW) of it (overlapping windows add). The numbers that are not in the
document (the positions, the shares) are computed here as the engine computes them; every
result is the document's.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.output.worked import maps, tex
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import at
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.pools import area, cache, geometry, is_max
from backprop_cli.output.worked.tex import Math

MOST_SUMS = 4  # cells worked as a sum of the windows that send them gradient


def backward(note: Notation, l: int, through, lhs: str) -> list[Block]:
    out = _max(note, l, lhs) if is_max(note, l) else _average(note, l, lhs)
    return out + [par("Every cell the same way:"), maps.result(note, l, lhs, through)]


def sources(note: Notation, l: int) -> dict:
    """{(n, c, r, s): [(i, j), ...]}: the windows (i, j) that send input cell (r, s) of
    channel c of sample n gradient: those whose largest cell it is (max pooling), or every
    window that holds it (average pooling); the padding's cells left out."""
    g = geometry(note, l)
    (C, H, W), (kH, kW), (sH, sW), (pH, pW) = g.inp, g.kernel, g.stride, g.padding
    Ho, Wo = g.out_hw
    argmax = cache(note, l).get("argmax")
    out: dict = {}
    for n in range(note.samples):
        for c in range(C):
            for i in range(Ho):
                for j in range(Wo):
                    cells = ([divmod(int(argmax[n, c, i, j]), kW)] if argmax is not None
                             else [(p, q) for p in range(kH) for q in range(kW)])
                    for p, q in cells:
                        r, s = i * sH + p - pH, j * sW + q - pW
                        if 0 <= r < H and 0 <= s < W:
                            out.setdefault((n, c, r, s), []).append((i, j))
    return out


def _max(note: Notation, l: int, lhs: str) -> list[Block]:
    g = geometry(note, l)
    C, (Ho, Wo) = g.inp[0], g.out_hw
    kW, (sH, sW), (pH, pW) = g.kernel[1], g.stride, g.padding
    argmax = cache(note, l)["argmax"]
    where = np.empty((note.samples, C, Ho, Wo), dtype=object)
    for index in np.ndindex(where.shape):
        p, q = divmod(int(argmax[index]), kW)
        where[index] = (index[2] * sH + p - pH, index[3] * sW + q - pW)
    arg = rf"\operatorname{{argmax}}_{{{l}}}"
    out = [par("Max pooling sends each window's gradient back to the cell that was its "
               "largest (the first in row-major order on a tie); the window's other cells "
               "get nothing. The largest cell of each window, as (row, column) of the input ",
               Math(at(note.symbol("h", l - 1), "n", "c")), ":"),
           eq(*maps.each(note.samples, C, lambda n, c: [
               (at(arg, n, c), "=", [tex.matrix(where[n, c], _position)])]))]
    return out + _sums(note, l, lhs, 1, "that is the largest of")


def _position(rs) -> str:
    return f"({rs[0]}, {rs[1]})"


def _average(note: Notation, l: int, lhs: str) -> list[Block]:
    g = geometry(note, l)
    kH, kW = g.kernel
    k = kH * kW
    share = rf"\frac{{1}}{{{area(note, l)}}}"
    d = maps.grid(note, note.gradient(f"a{l}"), l)
    pad = "; the shares of the padding's cells are dropped" if any(g.padding) else ""
    return [par("Average pooling gives every cell of a window ", Math(rf"1 / (k_H k_W) = "
                                                                     rf"1 / {k}"),
                f" of the window's gradient; where windows overlap, a cell gets the sum of "
                f"its windows' shares{pad}:"),
            eq(*maps.each(note.samples, d.shape[1], lambda n, c: [
                (rf"{share} {maps.delta(note, l, n, c)}", "=", [note.matrix(d[n, c] / k)])])),
            *_sums(note, l, lhs, k, "in")]


def _sums(note: Notation, l: int, lhs: str, k: int, what: str) -> list[Block]:
    """A few input cells worked as the sum of their windows' gradients (divided by k):
    the cells that more than one window sends gradient to."""
    froms = sources(note, l)
    several = [cell for cell, wins in froms.items() if len(wins) > 1]
    if not several:
        return []
    d = maps.grid(note, note.gradient(f"a{l}"), l)
    dx = maps.grid(note, note.gradient("x" if l == 1 else f"h{l - 1}"), l - 1)
    name = maps.input_lhs(note, l, lhs)

    def shared(terms):  # the sum, times 1/(kH·kW) for an average, as terms of a row
        body = maps.sum_terms(terms)
        if k > 1:
            body[0] = rf"\frac{{1}}{{{area(note, l)}}} \bigl(" + body[0]
            body[-1] += r"\bigr)"
        return body

    steps = []
    for n, c, r, s in several[:MOST_SUMS]:
        wins = froms[(n, c, r, s)]
        steps += [(name(n, c, r, s), "=",
                   shared([maps.delta(note, l, n, c, i, j) for i, j in wins])),
                  (None, "=", shared([maps.signed(note.entry(d[n, c, i, j]))
                                      for i, j in wins])),
                  (None, "=", [note.entry(dx[n, c, r, s])])]
    more = len(several) - MOST_SUMS
    tail = f" ({more} more such cells, the same way)" if more > 0 else ""
    return [par(f"The windows overlap: a cell {what} several windows gets the sum of what "
                f"they send{tail}:"), eq(*steps)]
