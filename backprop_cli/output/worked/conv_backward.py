"""The backward pass of a convolution in a worked solution, from δ_l (shown channel by
channel above it): ∂L/∂b_l (δ_l summed over its cells), ∂L/∂W_l (the correlation of the
padded input with δ_l, one entry worked as a sum of products) and the input's gradient
(the full convolution of δ_l with the kernel turned 180°, one cell worked).

K_l is the kernel that slid (conv.py): W_l, or rot180(W_l) with flip. A stride s spreads
δ_l out (s − 1 zeros between its entries: δ̃_l); δ̂_l is δ̃_l padded with k − 1 zeros on
each side. The correlations, δ̃_l and δ̂_l are computed here from the document's δ_l as
the engine computes them, and shown rounded; every result is the document's.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.output.worked import kernels, l2, maps
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.conv import slid_kernels, spec
from backprop_cli.output.worked.maps import at, partial
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def backward(note: Notation, l: int, through, lhs: str) -> list[Block]:
    return [*_bias(note, l), *_weights(note, l), *_input(note, l, through, lhs)]


def _deltas(note: Notation, l: int) -> np.ndarray:
    return maps.grid(note, note.gradient(f"a{l}"), l)


def _spread(note: Notation, l: int) -> np.ndarray:
    """δ̃_l: δ_l with s − 1 zeros between its entries (δ_l itself for stride 1)."""
    d, g = _deltas(note, l), spec(note, l).geometry
    (sH, sW), (N, C, Ho, Wo) = g.stride, d.shape
    out = np.zeros((N, C, (Ho - 1) * sH + 1, (Wo - 1) * sW + 1))
    out[:, :, ::sH, ::sW] = d
    return out


def _symbol(note: Notation, l: int, accent: str) -> str:
    return rf"\{accent}{{{note.symbol('delta', None)}}}_{{{l}}}"


def _bias(note: Notation, l: int) -> list[Block]:
    if not note.model.layers[l - 1].bias:
        return [par(f"Layer {l} has no bias, so no bias gradient.")]
    d, db = _deltas(note, l), note.doc["gradients"][f"b{l}"]
    b = f"b_{{{l}}}"
    every = maps.delta(note, l, "n", "o", "i", "j")
    steps = [(partial(at(b, "o")), "=", [rf"\sum_{{n, i, j}} {every}"])]
    for o in maps.shown(d.shape[1]):
        if o is None:
            steps.append(maps.ELIDED)
            continue
        terms = [maps.signed(note.entry(v)) for v in d[:, o].ravel()]
        steps += [(partial(at(b, o)), "=", maps.sum_terms(terms)),
                  (None, "=", [note.entry(db[o])])]
    return [par("Every cell of output channel o added ", Math(f"b_{{{l}}}[o]"),
                ", so its gradient is the sum of δ over them:"),
            eq(*steps, (partial(b), "=", [note.bias(db)]))]


def correlation(note: Notation, l: int) -> np.ndarray:
    """∂L/∂K_l without the penalty: Σ_n, i, j δ_l[n, o, i, j] · h^pad[n, c, i s + p, j s + q]."""
    g = spec(note, l).geometry
    x, d = maps.padded(maps.input_maps(note, l), g, 0.0), _deltas(note, l)
    (kH, kW), (sH, sW), (_, _, Ho, Wo) = g.kernel, g.stride, d.shape
    out = np.empty((d.shape[1], x.shape[1], kH, kW))
    for p in range(kH):
        for q in range(kW):
            part = x[:, :, p:p + (Ho - 1) * sH + 1:sH, q:q + (Wo - 1) * sW + 1:sW]
            out[:, :, p, q] = np.einsum("noij,ncij->oc", d, part)
    return out


def _weights(note: Notation, l: int) -> list[Block]:
    s = spec(note, l)
    g, flip = s.geometry, s.flip
    h = maps.pad_symbol(note, l, g)
    spread = any(v > 1 for v in g.stride)
    d_t = _symbol(note, l, "tilde") if spread else note.symbol("delta", l)
    K = f"K_{{{l}}}" if flip else f"W_{{{l}}}"
    cell = at(h, "n", "c", "i s_H + p", "j s_W + q")
    out = [par("Each kernel entry multiplies one cell of every window, so its gradient is the "
               "sum of δ times those cells: the correlation of the (padded) input with δ"
               + (", spread out by the stride (s − 1 zeros between its entries)" if spread
                  else "") + (". With flip the kernel that slid is K, W turned 180°, so W's "
                              "gradient is K's turned back" if flip else "") + ":"),
           eq((partial(at(K, "o", "c")), "=", [rf"\sum_n {at(h, 'n', 'c')} \star "
                                              rf"{at(d_t, 'n', 'o')}"]),
              (partial(at(K, "o", "c", "p", "q")), "=",
               [rf"\sum_{{n, i, j}} {maps.delta(note, l, 'n', 'o', 'i', 'j')} \, {cell}"]),
              *([(partial(at(f"W_{{{l}}}", "o", "c")), "=",
                  [kernels.rot(partial(at(K, "o", "c")))])] if flip else []))]
    if spread:
        out.append(maps.maps_eq(note, lambda n, o: at(d_t, n, o), _spread(note, l)))
    return out + _one_weight(note, l) + _every_weight(note, l)


def _penalty(note: Notation, l: int, index) -> tuple[str, str]:
    """(symbol, numbers) of the L2 penalty's term for W_l[index], or ('', '')."""
    if note.model.penalty is None:
        return "", ""
    sym, num = l2.factor(note)
    w = note.given(float(note.weights(l)[index]))
    return (rf"+ {sym} {at(f'W_{{{l}}}', *index)}", rf"+ {num} \cdot {maps.signed(w)}")


def _slice(n: int, s: int) -> str:
    """The rows (or columns) 0, s, …, (n − 1)s as a torch slice."""
    return f"0{{:}}{(n - 1) * s + 1}" + (f"{{:}}{s}" if s > 1 else "")


def _one_weight(note: Notation, l: int) -> list[Block]:
    """The kernel entry at the top left of every window, worked as a sum of products."""
    g, flip = spec(note, l).geometry, spec(note, l).flip
    (kH, kW), (sH, sW) = g.kernel, g.stride
    x, d = maps.padded(maps.input_maps(note, l), g, 0.0), _deltas(note, l)
    Ho, Wo = d.shape[2:]
    h = maps.pad_symbol(note, l, g)
    rows, cols = _slice(Ho, sH), _slice(Wo, sW)
    index = (0, 0, kH - 1, kW - 1) if flip else (0, 0, 0, 0)
    parts = [x[n, 0, :(Ho - 1) * sH + 1:sH, :(Wo - 1) * sW + 1:sW] for n in range(note.samples)]
    shown = maps.shown(note.samples)
    symbolic = [rf"\sum {maps.delta(note, l, n, 0)} \odot {at(h, n, 0, rows, cols)}"
                if n is not None else r"\cdots" for n in shown]
    numbers = [maps.summed(note, d[n, 0], parts[n], None, maps.value_cell(note, l))
               if n is not None else r"\cdots" for n in shown]
    terms = [t for n in range(note.samples)
             for t in maps.products(d[n, 0], parts[n], note.entry, maps.value_cell(note, l))]
    pen_sym, pen_num = _penalty(note, l, index)
    value = note.entry(note.gradient(f"W{l}")[index])
    where = ("the top left of every window: with flip, the last entry of W" if flip
             else "the top left of every window")
    return [par("One entry in full: ", Math(partial(at(f"W_{{{l}}}", *index))),
                f" multiplies {where}; the cells it met in input channel 0, sample by sample, "
                "against δ of output channel 0:"),
            eq((partial(at(f"W_{{{l}}}", *index)), "=", maps.sum_terms(symbolic) + (
                [pen_sym] if pen_sym else [])),
               (None, "=", maps.sum_terms(numbers) + ([pen_num] if pen_num else [])),
               (None, "=", maps.sum_terms(terms) + ([pen_num] if pen_num else [])),
               (None, "=", [value]))]


def _every_weight(note: Notation, l: int) -> list[Block]:
    """Every kernel's gradient: the correlation (turned back with flip), plus the
    penalty's term."""
    flip = spec(note, l).flip
    corr, grad, W = correlation(note, l), note.gradient(f"W{l}"), note.weights(l)
    penalty = note.model.penalty is not None
    if not (flip or penalty):
        return [par("Every entry the same way, kernel by kernel:"),
                kernels.kernels_eq(grad, lambda o, c: [
                    (partial(kernels.symbol(l, o, c)), "=", [note.matrix(grad[o, c])])])]
    factor = l2.factor(note)[1] if penalty else ""

    def step(o, c):
        first = note.matrix(corr[o, c])
        terms = [kernels.rot(first) if flip else first]
        if penalty:
            terms.append(rf"+ {factor} \cdot {note.matrix(W[o, c], note.given)}")
        return [(partial(kernels.symbol(l, o, c)), "=", terms),
                (None, "=", [note.matrix(grad[o, c])])]

    return [par("Every entry the same way, kernel by kernel"
                + (" (the correlation, turned back)" if flip else "")
                + (", with the penalty's term" if penalty else "") + ":"),
            kernels.kernels_eq(grad, step)]


def full(note: Notation, l: int) -> np.ndarray:
    """δ̂_l: δ̃_l padded with k − 1 zeros on each side, (N, C_out, ., .)."""
    kH, kW = spec(note, l).geometry.kernel
    t = _spread(note, l)
    out = np.zeros((*t.shape[:2], t.shape[2] + 2 * (kH - 1), t.shape[3] + 2 * (kW - 1)))
    out[:, :, kH - 1:kH - 1 + t.shape[2], kW - 1:kW - 1 + t.shape[3]] = t
    return out


def _input(note: Notation, l: int, through, lhs: str) -> list[Block]:
    s = spec(note, l)
    g, flip = s.geometry, s.flip
    (kH, kW), (pH, pW) = g.kernel, g.padding
    d_hat = _symbol(note, l, "hat")
    turned = (f"W_{{{l}}}[o, c]" if flip else kernels.rot(f"W_{{{l}}}[o, c]"))
    name = maps.input_lhs(note, l, lhs)
    spread = any(v > 1 for v in g.stride)
    out = [par("The input's gradient is the full convolution of δ with the kernel turned "
               "180°: δ" + (" spread out by the stride," if spread else "") + " padded with ",
               Math(f"k_H - 1 = {kH - 1}"), " rows and ", Math(f"k_W - 1 = {kW - 1}"),
               " columns of zeros on each side (", Math(d_hat), "), correlated with each "
               "turned kernel "
               "and summed over the output channels o"
               + ("; with flip the kernel that slid was W turned, so turned back it is W "
                  "as given" if flip else "")
               + ("; then the padding's rows and columns are dropped" if pH or pW else "")
               + ":"),
           eq((name("n", "c"), "=", [rf"\sum_o {at(d_hat, 'n', 'o')} \star {turned}"])),
           maps.maps_eq(note, lambda n, o: at(d_hat, n, o), full(note, l))]
    if not flip:
        out.append(kernels.turned(note, l))
    return out + _one_input(note, l, lhs) + [par("Every cell the same way:"),
                                             maps.result(note, l, lhs, through)]


def _one_input(note: Notation, l: int, lhs: str) -> list[Block]:
    """The input cell in the middle of channel 0 of sample 0, as a sum of products."""
    s = spec(note, l)
    g = s.geometry
    (_, H, W), (kH, kW), (pH, pW) = g.inp, g.kernel, g.padding
    r, c0 = (H - 1) // 2, (W - 1) // 2
    R, S = r + pH, c0 + pW
    d_hat, dh = _symbol(note, l, "hat"), full(note, l)
    turned = slid_kernels(note, l)[:, :, ::-1, ::-1]
    Co = turned.shape[0]
    win = [dh[0, o, R:R + kH, S:S + kW] for o in range(Co)]
    rot = (lambda o: f"W_{{{l}}}[{o}, 0]") if s.flip else (
        lambda o: kernels.rot(f"W_{{{l}}}[{o}, 0]"))
    shown = maps.shown(Co)
    symbolic = [rf"\sum {at(d_hat, 0, o, f'{R}{{:}}{R + kH}', f'{S}{{:}}{S + kW}')} \odot {rot(o)}"
                if o is not None else r"\cdots" for o in shown]
    numbers = [maps.summed(note, win[o], turned[o, 0], None, note.given)
               if o is not None else r"\cdots" for o in shown]
    terms = [t for o in range(Co) for t in maps.products(win[o], turned[o, 0], note.entry,
                                                          note.given)]
    dx = maps.grid(note, note.gradient("x" if l == 1 else f"h{l - 1}"), l - 1)
    lhs_cell = maps.input_lhs(note, l, lhs)(0, 0, r, c0)
    plain = maps.input_lhs(note, l, note.input_partial(l))(0, 0, r, c0)
    return [par("One cell in full: ", Math(plain),
                f" (row {r}, column {c0}) takes the window of ", Math(d_hat),
                f" at rows {R} to {R + kH - 1}, columns {S} to {S + kW - 1}:"),
            eq((lhs_cell, "=", maps.sum_terms(symbolic)), (None, "=", maps.sum_terms(numbers)),
               (None, "=", maps.sum_terms(terms)), (None, "=", [note.entry(dx[0, 0, r, c0])]))]
