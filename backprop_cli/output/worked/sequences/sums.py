"""The parameters' gradients of a sequence exercise in a worked solution: the recurrent
layer's weights and biases, gate by gate, each the sum over the steps (Σ_t, and over the
samples) of each step's part, with an L2 penalty's term and one entry worked out; the
embedding's table, whose row k sums ∂L/∂x^{(t)} over every place token k appears.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.output.worked import l2, tex
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import sum_terms
from backprop_cli.output.worked.sequences.forward import deltas, previous, step_input
from backprop_cli.output.worked.sequences.timesteps import (
    block,
    engine_param,
    entry_terms,
    gate,
    param,
    partial,
    settings,
    step_bias,
    steps,
    sym,
    weights_file,
)
from backprop_cli.output.worked.tex import Math


def weights(note, l: int) -> list[Block]:
    """Every parameter's gradient, the sum over the steps of each step's part."""
    s = settings(note, l)
    out = [par("The same weights act at every step, so each gradient is the sum over the "
               "steps of each step's part" + (", and over the samples" if note.problem.batched
                                              else "") + ":")]
    if s.cell == "lstm":
        out.append(par(Math(r"\delta^{(t)}"), " above stacks the four gates' δ in torch's "
                       "order i, f, g, o (", Math("W_x"), " and ", Math("W_h"), " stacked the "
                       "same way)."))
    elif s.cell == "gru":
        out.append(par(Math(r"\delta^{(t)}"), " stacks ", Math(r"\delta_r, \delta_z, \delta_n"),
                       " in torch's order r, z, n",
                       *(["; ", Math(r"\tilde\delta^{(t)}"), " is ", Math(r"\delta^{(t)}"),
                          " with ", Math(r"r \odot \delta_n"), " in the n rows: the hidden "
                          "side of n is scaled by r."] if s.form == "torch" else
                         ["; ", Math("W_{h n}"), " multiplies ", Math(r"r \odot h^{(t-1)}"),
                          ", not ", Math("h^{(t-1)}"), "."])))
    first = True
    for g in GATES[s.cell] if s.named else s.gates:
        for what in ("Wx", "Wh", "b", "bh"):
            if f"{what}{l}" in note.problem.params:
                out += _summed(note, l, what, g, first)
                first = False
    return out


def _factors(note, l: int, what: str, g: str, t: int):
    """(δ symbol, δ (N, H), input symbol, input (N, k), its cell) of step t's part of
    ∂L/∂what_g."""
    s = settings(note, l)
    sub = "" if s.cell == "rnn" else g
    d = gate(note, l, deltas(note, l, t), g)
    dsym = sym(note, "delta", t, sub)
    if what in ("Wh", "bh") and s.cell == "gru" and g == "n" and s.form == "torch":
        d = steps(note, "forward", f"r{l}")[:, t - 1] * d
        dsym = rf"(r^{{({t})}} \odot {dsym})"
    if what[0] == "b":
        return dsym, d, None, None, None
    if what == "Wx":
        x, cell = step_input(note, l, t)
        return dsym, d, sym(note, "x", t), x, cell
    h, cell = previous(note, l, "h", t)
    if s.cell == "gru" and g == "n" and s.form == "cho":
        return dsym, d, rf"(r^{{({t})}} \odot {sym(note, 'h', t - 1)})", \
            steps(note, "forward", f"r{l}")[:, t - 1] * h, None
    return dsym, d, sym(note, "h", t - 1), h, cell


def _outer(note, dsym, d, vsym, v, cell) -> tuple[str, tuple]:
    """(symbols, numbers) of one step's δ vᵀ in the layout's order (the file's shape)."""
    if note.problem.layout == "in_out":
        return rf"{_top(vsym)} {dsym}", (note.matrix(v.T, cell), note.matrix(d))
    if note.step_columns:
        return rf"{dsym} {_top(vsym)}", (note.matrix(d.T), note.matrix(v, cell))
    return rf"{_top(dsym)} {vsym}", (note.matrix(d.T), note.matrix(v, cell))


def _top(s: str) -> str:
    return f"{{{s}}}^\\top"


def _summed(note, l: int, what: str, g: str, worked: bool) -> list[Block]:
    s, T = settings(note, l), note.steps
    name = f"{what}{l}"
    psym = param(s.cell, what, g)
    grad = block(note, name, g, engine_param(note, name, note.doc["gradients"][name]))
    symbols, numbers = [], []
    for t in range(1, T + 1):
        dsym, d, vsym, v, cell = _factors(note, l, what, g, t)
        if v is None:
            symbols.append(dsym if not note.problem.batched else rf"\mathbf{{1}}^\top {dsym}")
            numbers.append(step_bias(note, d.sum(axis=0)))
        else:
            ts, tn = _outer(note, dsym, d, vsym, v, cell)
            symbols.append(ts)
            numbers.append(tn)
    penalty = _penalty(note, l, what, g)
    shown = note.matrix(weights_file(note, grad)) if what[0] == "W" else step_bias(note, grad)
    general = symbols[0].replace("^{(1)}", "^{(t)}").replace("^{(0)}", "^{(t-1)}")
    out = [eq((partial(psym), "=", [rf"\sum_{{t=1}}^{{{T}}} {general}",
                                    *([penalty[0]] if penalty else [])]),
        (None, "=", sum_terms(symbols) + ([penalty[0]] if penalty else [])),
        (None, "=", sum_terms(numbers) + ([penalty[1]] if penalty else [])),
        (None, "=", [shown]))]
    if worked and what == "Wx":
        out.append(_one_entry(note, l, g, psym, grad, penalty))
    if note.frozen(name):
        out.append(par(Math(psym), " is frozen: its gradient is computed, but the update "
                                   "leaves it unchanged."))
    return out


def _penalty(note, l: int, what: str, g: str):
    """(symbol, numbers) of an L2 penalty's term in ∂L/∂W_x or ∂L/∂W_h, or None."""
    if note.model.penalty is None or what[0] != "W":
        return None
    s = settings(note, l)
    fs, fn = l2.factor(note)
    W = block(note, f"{what}{l}", g)
    return (rf"+ {fs} {param(s.cell, what, g)}",
            rf"+ {fn} \cdot {note.matrix(weights_file(note, W), note.given)}")


def _one_entry(note, l: int, g: str, psym: str, grad, penalty) -> Block:
    """∂L/∂W_x[0, 0] as its sum over steps and samples of δ · x."""
    pairs, cells = [], []
    for t in range(1, note.steps + 1):
        _, d, _, v, cell = _factors(note, l, "Wx", g, t)
        pairs += list(zip(d[:, 0], v[:, 0]))
        cells += [(note.entry, cell or note.entry)] * len(d)
    terms = entry_terms(note, pairs, cells)
    extra = []
    if penalty:
        extra = [rf"+ {l2.factor(note)[1]} \cdot "
                 + tex.given(float(block(note, f'Wx{l}', g)[0, 0]), note.decimals)]
    where = rf"{partial(psym)}[0, 0]"
    return eq((where, "=", sum_terms(terms) + extra),
              (None, "=", [note.entry(float(grad[0, 0]))]))


def _array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


def table(note, l: int) -> list[Block]:
    """∂L/∂E: row k sums ∂L/∂x^{(t)} over every place token k appears."""
    k = note.problem.x.astype(int)
    dx = steps(note, "gradients", f"h{l}")
    dE = _array(note.doc["gradients"][f"E{l}"])
    out = [par("The embedding only copies rows, so row k of ", Math(partial(f"E_{{{l}}}")),
               " is the sum of ", Math(partial(sym(note, "x", "t"))), " over every sample and "
               "step whose token is k (zero for a token that does not appear):")]
    steps_of = {}
    for n, t in np.ndindex(k.shape):
        steps_of.setdefault(int(k[n, t]), []).append((n, t))
    chain = []
    for token in sorted(steps_of):
        places = steps_of[token]
        terms = [note.matrix(dx[n, t][None, :]) for n, t in places]
        chain.append((rf"{partial(f'E_{{{l}}}')}[{token}]", "=", sum_terms(terms)))
        if len(places) > 1:
            chain.append((None, "=", [note.matrix(dE[token][None, :])]))
    out.append(eq(*chain))
    out.append(eq((partial(f"E_{{{l}}}"), "=", [note.matrix(dE)])))
    if note.frozen(f"E{l}"):
        out.append(par(Math(f"E_{{{l}}}"), " is frozen: its gradient is computed, but the "
                                           "update leaves it unchanged."))
    return out
