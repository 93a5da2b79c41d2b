"""A sequence exercise's Problem section in a worked solution: the embedding's and the
recurrent layer's line (its cell, gates, form, output), the parameters as the file writes
them, gate by gate, h^{(0)} and c^{(0)}, the inputs step by step (token indices with an
embedding), the targets, and the count of parameters.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.errors import counted
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.sequences.timesteps import (
    block,
    param,
    settings,
    step_bias,
    step_vector,
    sym,
    weights_file,
)
from backprop_cli.output.worked.tex import Math

_CELLS = {"rnn": "torch's nn.RNN", "lstm": "torch's nn.LSTM", "gru": "torch's nn.GRU"}
_FORMS = {  # where the reset gate acts
    "torch": r"n^{(t)} = \tanh(W_{x n} x^{(t)} + b_{n} + r^{(t)} \odot (W_{h n} h^{(t-1)}"
             r" + b_{h n}))",
    "cho": r"n^{(t)} = \tanh(W_{x n} x^{(t)} + b_{n} + W_{h n} (r^{(t)} \odot h^{(t-1)})"
           r" + b_{h n})",
}
_UPDATES = {  # which state z keeps
    "old": r"h^{(t)} = (1 - z^{(t)}) \odot n^{(t)} + z^{(t)} \odot h^{(t-1)}",
    "new": r"h^{(t)} = (1 - z^{(t)}) \odot h^{(t-1)} + z^{(t)} \odot n^{(t)}",
}


def settings_line(note, l: int) -> list:
    """Layer l's line in the Problem section."""
    s = settings(note, l)
    if note.kind(l) == "embedding":
        return [f"Layer {l}: embedding (torch's nn.Embedding): each token index k picks row "
                f"k of ", Math(f"E_{{{l}}}"), f", a table of {counted(s.vocabulary, 'row')} "
                f"of {s.width}; {counted(s.steps, 'token')} per sample."]
    out = [f"Layer {l}: {s.cell} ({_CELLS[s.cell]}, one layer) of "
           f"{counted(s.hidden, 'hidden unit')} over {counted(s.steps, 'step')}"]
    if s.cell == "rnn":
        out.append(f", nonlinearity {s.nonlinearity}")
    if s.cell != "rnn":
        out.append("; the gates given by name" if s.named else
                   f"; gates stacked in the order {s.gates}" + (" (torch's)" if
                                                               s.gates == GATES[s.cell] else ""))
    if s.cell == "gru":
        out += [f"; form {s.form}, where the reset gate acts: ", Math(_FORMS[s.form]),
                " (torch, Keras's reset_after)" if s.form == "torch" else
                " (Cho et al. 2014, d2l)", f"; update {s.update}, which state z keeps: ",
                Math(_UPDATES[s.update]), " (torch, Cho et al.)" if s.update == "old" else
                " (Chung et al., Colah)"]
    out.append("; output last: the next layer sees " if s.output == "last" else
               "; output all: the next layer sees every step, ")
    out += [Math(sym(note, "h", "T" if s.output == "last" else "t")), "."]
    return out


def given(note, l: int) -> list[Block]:
    """The parameters as the file writes them (per gate), and h^{(0)} (and c^{(0)})."""
    s, p = settings(note, l), note.problem.params
    if note.kind(l) == "embedding":
        return [eq((f"E_{{{l}}}", "=", [note.matrix(p[f"E{l}"], note.given)
                                         + _frozen(note, f"E{l}")]))]
    out = []
    for g in GATES[s.cell] if s.named else s.gates:
        terms = []
        for what in ("Wx", "Wh", "b", "bh"):
            name = f"{what}{l}"
            if name not in p:
                continue
            rows = block(note, name, g)
            shown = (note.matrix(weights_file(note, rows), note.given) if what[0] == "W"
                     else step_bias(note, rows, note.given))
            terms.append((r"\qquad " if terms else "") + f"{param(s.cell, what, g)} = "
                         + shown + _frozen(note, name))
        out.append(eq((terms[0].split(" = ")[0], "=", [terms[0].split(" = ", 1)[1], *terms[1:]])))
    if "b" not in s.owned and "bh" not in s.owned:
        out.append(par(f"Layer {l} has no bias."))
    for key in ("h0", "c0") if s.cell == "lstm" else ("h0",):
        value = getattr(s, key)
        name = sym(note, key[0], 0)
        if value is None:
            out.append(par(Math(name), " is zero (not given)."))
        else:
            out.append(eq((name, "=", [step_vector(note, s.start(key, note.sequences),
                                                   note.given)])))
    return out


def _frozen(note, name: str) -> str:
    return r"\ \text{(frozen)}" if note.frozen(name) else ""


def count(note, l: int) -> str:
    """Layer l's learnable parameters as a sum of products."""
    s = settings(note, l)
    if note.kind(l) == "embedding":
        return rf"{s.vocabulary} \cdot {s.width}"
    G = "" if s.cell == "rnn" else rf"{len(GATES[s.cell])} \cdot "
    size = {"Wx": rf"{G}{s.hidden} \cdot {s.inputs}", "Wh": rf"{G}{s.hidden} \cdot {s.hidden}",
            "b": f"{G}{s.hidden}", "bh": f"{G}{s.hidden}"}
    return "(" + " + ".join(size[w] for w in s.owned) + ")"


def inputs(note) -> list[Block]:
    """x step by step (token indices with an embedding), and the targets."""
    T = note.steps
    out = []
    if note.kind(1) == "embedding":
        k = note.problem.x.astype(int)
        out.append(par("The inputs are token indices, ", Math(sym(note, "k", "t")),
                       " the token of step t" + (", one per sample:" if note.problem.batched
                                                 else ":")))
        out.append(eq(*[(sym(note, "k", t + 1), "=", [indices(note, k[:, t])])
                        for t in range(T)]))
    else:
        x = note.problem.x.reshape(note.sequences, T, -1)
        out.append(par(f"The inputs, {counted(T, 'step')}" + (" (one row per sample)"
                                                             if note.problem.batched else "")
                       + ":"))
        out.append(eq(*[(sym(note, "x", t + 1), "=", [step_vector(note, x[:, t], note.given)])
                        for t in range(T)]))
    y = note.symbol("y", None)
    every = note.samples > note.sequences
    out.append(par("Targets" + (", one row per step (row n·T + t of sample n):" if every
                                else " for the last step:")))
    out.append(eq((y, "=", [note.vector(note.problem.y, note.given)])))
    raw = note.problem.document.get("y") if isinstance(note.problem.document, dict) else None
    if note.model.loss == "cross_entropy" and _indices_given(note, raw):
        out.append(par(f"The targets were given as class indices ({raw}), 0-based: "
                       "one-hot above."))
    if note.model.loss == "upstream":
        out.append(par("The exercise gives the upstream gradient instead of targets: ",
                       Math(y), " is ", Math(rf"\partial L / \partial {note.symbol('yhat', None)}"),
                       "."))
    return out


def indices(note, k) -> str:
    return str(int(k[0])) if not note.problem.batched else \
        "(" + ", ".join(str(int(v)) for v in k) + ")"


def _indices_given(note, raw) -> bool:
    """y written as class indices: one rank below the rows of targets."""
    rows = (2 if note.problem.batched else 1) + (note.samples > note.sequences)
    return np.ndim(raw) == rows - 1
