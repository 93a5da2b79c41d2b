"""Backpropagation through time in a worked solution, t = T … 1: each ∂L/∂h^{(t)} as what
the layer above sends (zero at the steps it does not see) plus what step t + 1 sends back
(W_hᵀ δ^{(t+1)}, and a GRU's direct path), an LSTM's cell path ∂L/∂c^{(t)}, each gate's
gradient and δ, ∂L/∂x^{(t)}; then ∂L/∂h^{(0)} and the parameters' gradients summed over
time (sums.py's).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.sequences import sums
from backprop_cli.output.worked.sequences.forward import deltas, hidden_n, previous, stacked
from backprop_cli.output.worked.sequences.timesteps import (
    block,
    gate,
    partial,
    settings,
    step_vector,
    steps,
    sym,
    transposed,
)
from backprop_cli.output.worked.tex import Math

ABOVE = r"\Big|_{\text{above}}"


def backward(note, l: int, through, lhs: str) -> list[Block]:
    """Layer l's backward pass: the embedding's rows, or the recurrent layer through time."""
    if note.kind(l) == "embedding":
        return sums.table(note, l)
    s = settings(note, l)
    out = [par("Back through time, t = T … 1. The hidden state ", Math(sym(note, "h", "t")),
               " reaches the loss two ways: through the layer above (",
               Math(partial(sym(note, "h", "t")) + ABOVE),
               ", which sees " + ("every step" if s.output == "all" else
                                  f"step T = {s.steps} only: zero at the others")
               + ") and through step t + 1, which reads it; its gradient is the sum of the "
               "two." + (" The cell state adds its own path: " if s.cell == "lstm" else ""),
               *([Math(sym(note, "c", "t")), " feeds ", Math(sym(note, "c", "t+1")),
                  " through ", Math("f^{(t+1)}"), "."] if s.cell == "lstm" else []))]
    for t in range(s.steps, 0, -1):
        out.append(par(f"Step t = {t}:"))
        out += _hidden(note, l, t)
        out += {"rnn": _rnn, "lstm": _lstm, "gru": _gru}[s.cell](note, l, t)
        out += _input(note, l, t)
    out.append(par("What step 1 sends back to the initial state:"))
    out += _initial(note, l)
    return out + sums.weights(note, l)


# ------------------------------------------------------------------------ ∂L/∂h^{(t)}


def _hidden(note, l: int, t: int) -> list[Block]:
    """∂L/∂h^{(t)} = (from above) + (from step t + 1)."""
    T, h = note.steps, sym(note, "h", t)
    dh = steps(note, "gradients", f"h{l}")[:, t - 1]
    above = steps(note, "gradients", f"hout{l}")[:, t - 1]
    seen = settings(note, l).output == "all" or t == T
    nxt = steps(note, "gradients", f"hnext{l}")[:, t - 1]
    if t == T:  # nothing comes back from a step T + 1
        nsym, nnum = r"\mathbf{0} \quad \text{(no step } T + 1)", [step_vector(note, nxt)]
    else:
        nsym, nnum = _from_next(note, l, t)
    out = [] if seen else [par("The layer above sees only step T: nothing comes from it "
                               "here.")]
    both = [] if t == T else [(None, "=", [step_vector(note, above),
                                           "+ " + step_vector(note, nxt)])]
    return out + [eq((partial(h), "=", [partial(h) + ABOVE, "+ " + nsym]),
                     (None, "=", [step_vector(note, above), *_plus(nnum)]), *both,
                     (None, "=", [step_vector(note, dh)]))]


def _plus(terms: list) -> list:
    first = terms[0]
    return [("+ " + first[0], *first[1:]) if isinstance(first, tuple) else "+ " + first,
            *terms[1:]]


def _from_next(note, l: int, t: int) -> tuple[str, list]:
    """(symbols, numbers) of what step t + 1 sends back to h^{(t)} (t = 0: to h^{(0)})."""
    s, p = settings(note, l), note.problem.params
    d = deltas(note, l, t + 1)
    dsym = sym(note, "delta", t + 1)
    if s.cell != "gru":
        return transposed(note, p[f"Wh{l}"], "W_h", d, dsym)[0], \
            [transposed(note, p[f"Wh{l}"], "W_h", d, dsym)[1]]
    z, r = (steps(note, "forward", f"{k}{l}")[:, t] for k in "zr")
    dh = steps(note, "gradients", f"h{l}")[:, t]
    z_s, r_s, dh_s = f"z^{{({t + 1})}}", f"r^{{({t + 1})}}", partial(sym(note, "h", t + 1))
    v = step_vector
    rz = slice(0, 2 * s.hidden)
    d_n = gate(note, l, d, "n")
    Wrz, Wn = p[f"Wh{l}"][rz], block(note, f"Wh{l}", "n")
    one = r"\mathbf{1}"
    if s.update == "old":  # z kept h^{(t)}: it comes back through z
        direct = (rf"{z_s} \odot {dh_s}", (v(note, z), r"\odot " + v(note, dh)))
    else:
        direct = (rf"(1 - {z_s}) \odot {dh_s}",
                  (rf"\left({one} - {v(note, z)}\right)", r"\odot " + v(note, dh)))
    if s.form == "torch":
        dah = np.concatenate([d[:, rz], r * d_n], axis=1)  # the n rows scaled by r
        ts, tn = transposed(note, p[f"Wh{l}"], "W_h", dah, rf"\tilde\delta^{{({t + 1})}}")
        return rf"{direct[0]} + {ts}", [direct[1], ("+ " + tn[0], *tn[1:])]
    ts, tn = transposed(note, Wrz, r"W_{h rz}", d[:, rz], rf"\delta_{{rz}}^{{({t + 1})}}")
    ns, nn = transposed(note, Wn, r"W_{h n}", d_n, rf"\delta_{{n}}^{{({t + 1})}}")
    return (rf"{direct[0]} + {r_s} \odot ({ns}) + {ts}",
            [direct[1], ("+ " + v(note, r), r"\odot \left(" + nn[0], nn[1] + r"\right)"),
             ("+ " + tn[0], *tn[1:])])


def _initial(note, l: int) -> list[Block]:
    """∂L/∂h^{(0)} (and ∂L/∂c^{(0)}): what step 1 sends back."""
    s = settings(note, l)
    grads = note.doc["gradients"]
    h0 = np.asarray(grads["h0"], dtype=float).reshape(note.sequences, -1)
    nsym, nnum = _from_next(note, l, 0)
    out = [eq((partial(sym(note, "h", 0)), "=", [nsym]), (None, "=", nnum),
              (None, "=", [step_vector(note, h0)]))]
    if s.cell == "lstm":
        c0 = np.asarray(grads["c0"], dtype=float).reshape(note.sequences, -1)
        dc = steps(note, "gradients", f"c{l}")[:, 0]
        f = steps(note, "forward", f"f{l}")[:, 0]
        out.append(eq((partial(sym(note, "c", 0)), "=",
                       [rf"{partial(sym(note, 'c', 1))} \odot f^{{(1)}}"]),
                      (None, "=", [(step_vector(note, dc), r"\odot " + step_vector(note, f))]),
                      (None, "=", [step_vector(note, c0)])))
    out.append(par("The initial state is not learned: its gradient is reported, "
                   "nothing updates it."))
    return out


# ------------------------------------------------------------------------ the cells


def _slope(fn: str, a, h) -> np.ndarray:
    with np.errstate(all="ignore"):
        return ACTIVATIONS[fn].backward(a, h, None, np.ones_like(a), None)


def _derivative(note, fn: str, t: int, name: str) -> str:
    """f'(a) as the activations' table writes it, in the step's symbols."""
    deriv = ACTIVATIONS[fn].tex[2]
    h = sym(note, name, None) if name != "a" else "h"
    deriv = deriv.replace("h_@", f"{h}^{{({t})}}")
    return deriv.replace("a_@", f"{sym(note, 'a', None)}_{{{name}}}^{{({t})}}"
                         if name != "a" else sym(note, "a", t))


def _delta(note, l: int, t: int, g: str, fn: str, dvalue, value, a) -> Block:
    """δ_g^{(t)} = ∂L/∂g ⊙ f'(a_g) with its numbers."""
    cell = settings(note, l).cell
    sub = "" if cell == "rnn" else g
    d = gate(note, l, deltas(note, l, t), g)
    name = "h" if cell == "rnn" else g
    slope = _slope(fn, a, value)
    dsym = partial(sym(note, name, t))
    return eq((sym(note, "delta", t, sub), "=",
               [rf"{dsym} \odot {ACTIVATIONS[fn].tex[0]}'", rf"= {dsym} \odot \left("
                + _derivative(note, fn, t, name) + r"\right)"]),
              (None, "=", [(step_vector(note, dvalue), r"\odot " + step_vector(note, slope))]),
              (None, "=", [step_vector(note, d)]))


def _rnn(note, l: int, t: int) -> list[Block]:
    fn = settings(note, l).nonlinearity
    a = steps(note, "forward", f"a{l}")[:, t - 1]
    h = steps(note, "forward", f"h{l}")[:, t - 1]
    dh = steps(note, "gradients", f"h{l}")[:, t - 1]
    return [_delta(note, l, t, "a", fn, dh, h, a)]


def _product(note, lhs: str, rhs: str, left, right, value) -> Block:
    """lhs = rhs, an elementwise product, with its numbers."""
    return eq((lhs, "=", [rhs]),
              (None, "=", [(step_vector(note, left), r"\odot " + step_vector(note, right))]),
              (None, "=", [step_vector(note, value)]))


def _gate_deltas(note, l: int, t: int, names: str) -> list[Block]:
    a = stacked(note, l, "forward", f"a{l}")[:, t - 1]
    out = []
    for g in names:
        value = steps(note, "forward", f"{g}{l}")[:, t - 1]
        dg = steps(note, "gradients", f"{g}{l}")[:, t - 1]
        out.append(_delta(note, l, t, g, "tanh" if g in "gn" else "sigmoid", dg, value,
                          gate(note, l, a, g)))
    return out


def _lstm(note, l: int, t: int) -> list[Block]:
    T, v = note.steps, step_vector
    i, f, g, o, c = (steps(note, "forward", f"{k}{l}")[:, t - 1] for k in "ifgoc")
    dh, dc = (steps(note, "gradients", f"{k}{l}")[:, t - 1] for k in "hc")
    d_i, d_f, d_g, d_o = (steps(note, "gradients", f"{k}{l}")[:, t - 1] for k in "ifgo")
    c_prev, c_cell = previous(note, l, "c", t)
    tc = np.tanh(c)
    dh_s, dc_s, c_s = partial(sym(note, "h", t)), partial(sym(note, "c", t)), sym(note, "c", t)
    head = [rf"{dh_s} \odot o^{{({t})}} \odot (1 - \tanh^2 {c_s})"]
    numbers = [(v(note, dh), r"\odot " + v(note, o), r"\odot " + v(note, 1 - tc * tc))]
    sums = []
    if t < T:  # the cell path: what c^{(t+1)} sends back through f^{(t+1)}
        head.append(rf"+ {partial(sym(note, 'c', t + 1))} \odot f^{{({t + 1})}}")
        numbers.append(("+ " + v(note, steps(note, "gradients", f"c{l}")[:, t]),
                        r"\odot " + v(note, steps(note, "forward", f"f{l}")[:, t])))
        sums = [(None, "=", [v(note, dh * o * (1 - tc * tc)), "+ " + v(
            note, steps(note, "gradients", f"cnext{l}")[:, t - 1])])]
    cell = eq((dc_s, "=", head), (None, "=", numbers), *sums, (None, "=", [v(note, dc)]))
    return [cell,
            _product(note, partial(f"o^{{({t})}}"), rf"{dh_s} \odot \tanh {c_s}", dh, tc, d_o),
            _product(note, partial(f"i^{{({t})}}"), rf"{dc_s} \odot g^{{({t})}}", dc, g, d_i),
            _product(note, partial(f"g^{{({t})}}"), rf"{dc_s} \odot i^{{({t})}}", dc, i, d_g),
            eq((partial(f"f^{{({t})}}"), "=", [rf"{dc_s} \odot {sym(note, 'c', t - 1)}"]),
               (None, "=", [(v(note, dc), r"\odot " + v(note, c_prev, c_cell))]),
               (None, "=", [v(note, d_f)])),
            *_gate_deltas(note, l, t, "ifgo")]


def _gru(note, l: int, t: int) -> list[Block]:
    s, v = settings(note, l), step_vector
    r, z, n = (steps(note, "forward", f"{k}{l}")[:, t - 1] for k in "rzn")
    dh = steps(note, "gradients", f"h{l}")[:, t - 1]
    d_r, d_z, d_n = (steps(note, "gradients", f"{k}{l}")[:, t - 1] for k in "rzn")
    h_prev, h_cell = previous(note, l, "h", t)
    dh_s, h_p = partial(sym(note, "h", t)), sym(note, "h", t - 1)
    one = r"\mathbf{1}"
    if s.update == "old":  # z keeps the old state
        n_rule = (rf"{dh_s} \odot (1 - z^{{({t})}})", rf"\left({one} - {v(note, z)}\right)")
        z_rule = (rf"{dh_s} \odot ({h_p} - n^{{({t})}})", h_prev - n)
    else:
        n_rule = (rf"{dh_s} \odot z^{{({t})}}", v(note, z))
        z_rule = (rf"{dh_s} \odot (n^{{({t})}} - {h_p})", n - h_prev)
    out = [eq((partial(f"n^{{({t})}}"), "=", [n_rule[0]]),
              (None, "=", [(v(note, dh), r"\odot " + n_rule[1])]), (None, "=", [v(note, d_n)])),
           _product(note, partial(f"z^{{({t})}}"), z_rule[0], dh, z_rule[1], d_z),
           *_gate_deltas(note, l, t, "n")]
    d_an = gate(note, l, deltas(note, l, t), "n")
    dn_s = sym(note, "delta", t, "n")
    if s.form == "torch":
        q = sym(note, "q", t)
        out.append(_product(note, partial(f"r^{{({t})}}"), rf"{dn_s} \odot {q}", d_an,
                            hidden_n(note, l, t), d_r))
    else:
        back = d_an @ block(note, f"Wh{l}", "n")  # through (r ⊙ h) W_hnᵀ
        ts, tn = transposed(note, block(note, f"Wh{l}", "n"), r"W_{h n}", d_an, dn_s)
        out.append(eq((partial(f"r^{{({t})}}"), "=", [rf"({ts}) \odot {h_p}"]),
                      (None, "=", [(r"\left(" + tn[0], tn[1] + r"\right)",
                                    r"\odot " + v(note, h_prev, h_cell))]),
                      (None, "=", [(v(note, back), r"\odot " + v(note, h_prev, h_cell))]),
                      (None, "=", [v(note, d_r)])))
    return out + _gate_deltas(note, l, t, "rz")


def _input(note, l: int, t: int) -> list[Block]:
    """∂L/∂x^{(t)} = W_xᵀ δ^{(t)} where x has a gradient (an embedding's output too)."""
    grads = note.doc["gradients"]
    name = "x" if l == 1 else f"h{l - 1}"
    if name not in grads:
        return []
    d = deltas(note, l, t)
    ts, tn = transposed(note, note.problem.params[f"Wx{l}"], "W_x", d, sym(note, "delta", t))
    value = steps(note, "gradients", name)[:, t - 1]
    return [eq((partial(sym(note, "x", t)), "=", [ts]), (None, "=", [tn]),
               (None, "=", [step_vector(note, value)]))]
