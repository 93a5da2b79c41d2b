"""A sequence exercise's forward pass in a worked solution, step by step, t = 1 … T: the
embedding's lookup; each gate's pre-activation as W_x x^{(t)} + W_h h^{(t-1)} + b with one
entry worked out, the gates, c^{(t)} (LSTM), the GRU's candidate in torch's or Cho's form,
h^{(t)}; then what the next layer sees.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import sum_terms
from backprop_cli.output.worked.sequences.problem import indices
from backprop_cli.output.worked.sequences.timesteps import (
    block,
    entry,
    entry_terms,
    gate,
    param,
    product,
    settings,
    step_bias,
    step_vector,
    steps,
    sym,
    written_order,
)
from backprop_cli.output.worked.tex import Math

# ------------------------------------------------------------------------ forward


def forward(note, l: int) -> list[Block]:
    """Layer l's forward pass, step by step."""
    if note.kind(l) == "embedding":
        return _lookup(note, l)
    s = settings(note, l)
    out = [par(*_intro(s))]
    for t in range(1, note.steps + 1):
        out.append(par(f"Step t = {t}:"))
        out += {"rnn": _rnn_step, "lstm": _lstm_step, "gru": _gru_step}[s.cell](note, l, t)
    return out + _seen(note, l)


def _intro(s) -> list:
    """Paragraph segments: how each step goes."""
    start = "zero" if s.h0 is None else "given"
    steps = [f"Every step t = 1 … {s.steps} from the state of step t − 1 (", Math("h^{(0)}")]
    if s.cell == "lstm":
        return steps + [" and ", Math("c^{(0)}"), " given, or zero): four gates, each ",
                        Math("W_x x + W_h h + b"), " in its own rows of the stacked weights, "
                        "then the cell and the hidden state."]
    if s.cell == "gru":
        return steps + [f" {start}): the reset gate r, the update gate z, the candidate n, "
                        "then the new hidden state."]
    return steps + [f" {start}), with the same weights at every step."]


def step_input(note, l: int, t: int):
    """(x^{(t)} (N, D), how its entries are written): given, or the embedding's rows."""
    if l == 1:
        return note.problem.x.reshape(note.sequences, note.steps, -1)[:, t - 1], note.given
    return steps(note, "forward", f"h{l - 1}")[:, t - 1], note.entry


def previous(note, l: int, key: str, t: int):
    """(h^{(t-1)} or c^{(t-1)} (N, H), how its entries are written)."""
    if t == 1:
        return settings(note, l).start(key + "0", note.sequences), note.given
    return steps(note, "forward", f"{key}{l}")[:, t - 2], note.entry


def stacked(note, l: int, part: str, name: str) -> np.ndarray:
    """a_l or its gradient (N, T, G·H) in torch's order, from the document's order."""
    arr = steps(note, part, name)
    order, torch = written_order(note, l), GATES[settings(note, l).cell]
    return np.concatenate([gate(note, l, arr, g, order) for g in torch], axis=-1)


def deltas(note, l: int, t: int) -> np.ndarray:
    """δ^{(t)}: every gate's ∂L/∂a, stacked in torch's order (N, G·H)."""
    return stacked(note, l, "gradients", f"a{l}")[:, t - 1]


def _pre_activation(note, l: int, t: int, g: str, inner: bool = False) -> list[Block]:
    """a_g^{(t)} = W_{xg} x + W_{hg} h + b_g (+ b_{hg}), the numbers, the value, and its
    first entry worked out. inner: a torch GRU's n gate (r ⊙ (W_hn h + b_hn), below)."""
    s, p = settings(note, l), note.problem.params
    x, x_cell = step_input(note, l, t)
    h, h_cell = previous(note, l, "h", t)
    Wx, Wh = block(note, f"Wx{l}", g), block(note, f"Wh{l}", g)
    a_sym = sym(note, "a", t, "" if s.cell == "rnn" else g)
    xs, xn = product(note, Wx, param(s.cell, "Wx", g), x,
                     sym(note, "x", t), x_cell)
    symbols, numbers = [xs], [xn]
    biases = [w for w in ("b", "bh") if f"{w}{l}" in p and not (inner and w == "bh")]
    hs, hn = product(note, Wh, param(s.cell, "Wh", g), h,
                     sym(note, "h", t - 1), h_cell)
    if not inner:
        symbols.append("+ " + hs)
        numbers.append(("+ " + hn[0], *hn[1:]))
    for w in biases:
        symbols.append("+ " + param(s.cell, w, g))
        numbers.append("+ " + step_bias(note, gate(note, l, p[f"{w}{l}"], g), note.given))
    a = gate(note, l, stacked(note, l, "forward", f"a{l}")[:, t - 1], g)
    if inner:
        return [symbols, numbers, a]
    return [eq((a_sym, "=", [" ".join(symbols)]), (None, "=", numbers),
               (None, "=", [step_vector(note, a)])),
            _entry(note, a_sym, a, [(Wx[0], x[0], x_cell), (Wh[0], h[0], h_cell)],
                   [gate(note, l, p[f"{w}{l}"], g)[0] for w in biases])]


def _entry(note, a_sym: str, a, rows, biases) -> Block:
    """a^{(t)}[0] (sample 0, unit 0) as its sum of products."""
    pairs, cells = [], []
    for w, v, cell in rows:
        pairs += list(zip(w, v))
        cells += [(note.given, cell)] * len(w)
    terms = entry_terms(note, pairs, cells) + [f"({note.given(b)})" if b < 0 else note.given(b)
                                               for b in biases]
    return eq((entry(a_sym, note), "=", sum_terms(terms)), (None, "=", [note.entry(a[0, 0])]))


def _activated(note, name: str, t: int, fn: str, a_sym: str, a, value) -> Block:
    """name^{(t)} = f(a^{(t)}) with its numbers."""
    symbol = ACTIVATIONS[fn].tex[0]
    return eq((sym(note, name, t), "=", [rf"{symbol}({a_sym})"]),
              (None, "=", [rf"{symbol}\left({step_vector(note, a)}\right)"]),
              (None, "=", [step_vector(note, value)]))


def _rnn_step(note, l: int, t: int) -> list[Block]:
    s = settings(note, l)
    a = steps(note, "forward", f"a{l}")[:, t - 1]
    h = steps(note, "forward", f"h{l}")[:, t - 1]
    return [*_pre_activation(note, l, t, "a"),
            _activated(note, "h", t, s.nonlinearity, sym(note, "a", t), a, h)]


def _gates(note, l: int, t: int, names: str) -> list[Block]:
    """Each gate of names: its pre-activation and its value (σ, or tanh for g)."""
    out = []
    a = stacked(note, l, "forward", f"a{l}")[:, t - 1]
    for g in names:
        value = steps(note, "forward", f"{g}{l}")[:, t - 1]
        out += _pre_activation(note, l, t, g)
        out.append(_activated(note, g, t, "tanh" if g == "g" else "sigmoid",
                              sym(note, "a", t, g), gate(note, l, a, g), value))
    return out


def _lstm_step(note, l: int, t: int) -> list[Block]:
    i, f, g, o, c, h = (steps(note, "forward", f"{k}{l}")[:, t - 1] for k in "ifgoch")
    c_prev, c_cell = previous(note, l, "c", t)
    v = step_vector
    return [*_gates(note, l, t, "ifgo"),
            eq((sym(note, "c", t), "=", [rf"f^{{({t})}} \odot {sym(note, 'c', t - 1)} + "
                                         rf"i^{{({t})}} \odot g^{{({t})}}"]),
               (None, "=", [(v(note, f), r"\odot", v(note, c_prev, c_cell)),
                            ("+ " + v(note, i), r"\odot", v(note, g))]),
               (None, "=", [v(note, c)])),
            eq((sym(note, "h", t), "=", [rf"o^{{({t})}} \odot \tanh({sym(note, 'c', t)})"]),
               (None, "=", [(v(note, o), r"\odot \tanh\left(" + v(note, c) + r"\right)")]),
               (None, "=", [(v(note, o), r"\odot " + v(note, np.tanh(c)))]),
               (None, "=", [v(note, h)]))]


def hidden_n(note, l: int, t: int) -> np.ndarray:
    """A torch GRU's W_hn h^{(t-1)} + b_hn, the bracket r multiplies (N, H)."""
    p = note.problem.params
    h = previous(note, l, "h", t)[0]
    out = h @ gate(note, l, p[f"Wh{l}"].T, "n")
    return out + gate(note, l, p[f"bh{l}"], "n") if f"bh{l}" in p else out


def _gru_step(note, l: int, t: int) -> list[Block]:
    s, p = settings(note, l), note.problem.params
    r, z, n, h = (steps(note, "forward", f"{k}{l}")[:, t - 1] for k in ("r", "z", "n", "h"))
    h_prev, h_cell = previous(note, l, "h", t)
    a_n = gate(note, l, stacked(note, l, "forward", f"a{l}")[:, t - 1], "n")
    v = step_vector
    out = _gates(note, l, t, "rz")
    symbols, numbers, _ = _pre_activation(note, l, t, "n", inner=True)
    Whn = block(note, f"Wh{l}", "n")
    bh = [("+ " + param(s.cell, "bh", "n"),
           "+ " + step_bias(note, gate(note, l, p[f"bh{l}"], "n"), note.given))] \
        if f"bh{l}" in p else []
    if s.form == "torch":
        hs, hn = product(note, Whn, param(s.cell, "Wh", "n"), h_prev, sym(note, "h", t - 1),
                         h_cell)
        inside = sym(note, "q", t)
        out.append(par("The hidden side of the candidate, which the reset gate scales: ",
                       Math(rf"{inside} = {hs}" + "".join(b[0] for b in bh)), ":"))
        out.append(eq((inside, "=", [hn, *[b[1] for b in bh]]),
                      (None, "=", [v(note, hidden_n(note, l, t))])))
        symbols.append(rf"+ r^{{({t})}} \odot {inside}")
        numbers.append(("+ " + v(note, r), r"\odot " + v(note, hidden_n(note, l, t))))
    else:
        rh = r * h_prev
        rs = rf"(r^{{({t})}} \odot {sym(note, 'h', t - 1)})"
        out.append(eq((rf"r^{{({t})}} \odot {sym(note, 'h', t - 1)}", "=",
                       [(v(note, r), r"\odot " + v(note, h_prev, h_cell))]),
                      (None, "=", [v(note, rh)])))
        hs, hn = product(note, Whn, param(s.cell, "Wh", "n"), rh, rs)
        symbols.append("+ " + hs + "".join(b[0] for b in bh))
        numbers += [("+ " + hn[0], *hn[1:]), *[b[1] for b in bh]]
    a_sym = sym(note, "a", t, "n")
    out += [eq((a_sym, "=", [" ".join(symbols)]), (None, "=", numbers),
               (None, "=", [v(note, a_n)])),
            _activated(note, "n", t, "tanh", a_sym, a_n, n)]
    one = r"\mathbf{1}"
    if s.update == "old":  # z keeps the old state
        chain = (rf"(1 - z^{{({t})}}) \odot n^{{({t})}} + z^{{({t})}} \odot "
                 rf"{sym(note, 'h', t - 1)}",
                 [(rf"\left({one} - {v(note, z)}\right)", r"\odot " + v(note, n)),
                  ("+ " + v(note, z), r"\odot " + v(note, h_prev, h_cell))])
    else:
        chain = (rf"(1 - z^{{({t})}}) \odot {sym(note, 'h', t - 1)} + z^{{({t})}} \odot "
                 rf"n^{{({t})}}",
                 [(rf"\left({one} - {v(note, z)}\right)", r"\odot " + v(note, h_prev, h_cell)),
                  ("+ " + v(note, z), r"\odot " + v(note, n))])
    return out + [eq((sym(note, "h", t), "=", [chain[0]]), (None, "=", chain[1]),
                     (None, "=", [v(note, h)]))]


def _lookup(note, l: int) -> list[Block]:
    """Each step's vectors: the rows of E that the tokens pick."""
    k = note.problem.x.astype(int)
    x = steps(note, "forward", f"h{l}")
    return [par("Each step's vector is the row of ", Math(f"E_{{{l}}}"), " its token picks (",
                Math(sym(note, "x", "t")), " is what the recurrent layer reads):"),
            eq(*[step for t in range(note.steps) for step in (
                (sym(note, "x", t + 1), "=", [rf"E_{{{l}}}[{indices(note, k[:, t])}]"]),
                (None, "=", [step_vector(note, x[:, t])]))])]


def _seen(note, l: int) -> list[Block]:
    """What the next layer sees: h^{(T)}, or every step as rows."""
    if l == note.depth:
        return []
    T, h_l = note.steps, note.symbol("h", l)
    if note.samples == note.sequences:
        return [par(f"Layer {l + 1} sees the last step: ", Math(f"{h_l} = {sym(note, 'h', T)}"),
                    ":"), eq((h_l, "=", [note.vector(note.layer_input(l + 1))]))]
    return [par(f"Layer {l + 1} sees every step, as rows: row n·T + t − 1 of ", Math(h_l),
                " is ", Math(sym(note, "h", "t")), " of sample n (the dense layers act on each "
                "step alike, and the loss is over every row):"),
            eq((h_l, "=", [note.vector(note.layer_input(l + 1))]))]


def cache(note, l: int) -> dict:
    return {}
