"""What a sequence exercise's worked solution shares (forward.py, backward.py): its
Notation's rules for steps, the steps of a quantity, the symbols of a step and of a gate's
parameters, and products written in the layout's order.

A step's quantity is written with its step as a superscript, h^{(t)} (Goodfellow et al.'s
form): h_{2} stays layer 2's output, as in every other worked solution. A batch has one
row per sample and capitals (H^{(t)}); the gates stay small letters. The dense layers after
the recurrent layer, and the loss, see rows: h^{(T)} of each sample with output last, every
step with output all (row n·T + t, as the engine holds them); Notation gives those rows to
the dense layers' worked solution, unchanged (configure, rows).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.engine.quantities import stepped
from backprop_cli.output.worked.maps import at, signed
from backprop_cli.output.worked.notation import Notation, split_name

_CAPITAL = {"a": "A", "h": "H", "x": "X", "c": "C", "delta": r"\Delta"}


def configure(note: Notation) -> None:
    """A sequence exercise's Notation: its dense layers and loss see rows of the recurrent
    layer's steps, so samples is their count, N·T with output all (then a batch even for
    one sample); sequences (N), steps (T) and recurrent (l) say where they came from."""
    problem, model = note.problem, note.model
    note.sequences, note.steps = note.samples, model.time  # N, T
    note.recurrent = model.recurrent
    every = model.layers[note.recurrent - 1].settings.output == "all"
    note.samples = note.sequences * (note.steps if every else 1)
    note.batch = problem.batched or note.samples > 1
    note.columns = not note.batch and problem.layout == "out_in"
    note.step_columns = not problem.batched and problem.layout == "out_in"


def width(note: Notation, l: int) -> int | None:
    """n_l of the network line: D (x's width; V of an embedding: one-hot tokens), an
    embedding's E, the hidden H; None for a dense layer (its units, as anywhere)."""
    spec = note.model.layers[max(l, 1) - 1]
    if l == 0:
        return spec.settings.vocabulary if spec.kind == "embedding" else spec.settings.inputs
    if spec.kind == "embedding":
        return spec.settings.width
    return spec.settings.hidden if spec.kind in SEQUENCES else None


def rows(note: Notation, name: str, value):
    """(name, value) as the rows the next layer sees, or None where the value is not
    steps: a gated parameter named by gate becomes its blocks stacked in torch's order;
    the recurrent layer's h with output last is h^{(T)} (its gradient from above is its
    hout)."""
    if isinstance(value, dict):  # named gates: stacked in torch's order, as written
        blocks = [np.asarray(value[g], dtype=float)
                  for g in GATES[note.model.layers[split_name(name)[1] - 1].kind]]
        turn = blocks[0].ndim == 2 and note.problem.layout == "in_out"
        value = np.concatenate(blocks, axis=1 if turn else 0).tolist()
    what, l = ("x", 0) if name == "x" else split_name(name)
    if what not in ("a", "h", "x") or not _stepped_rows(note, l):
        return value, None
    arr = np.asarray(value, dtype=float).reshape(note.sequences, note.steps, -1)
    if l == note.recurrent and what == "h" and note.samples == note.sequences:
        arr = arr[:, -1:]  # output last: the next layer sees h^{(T)}
    return value, arr.reshape(-1, arr.shape[-1])


def _stepped_rows(note: Notation, l: int) -> bool:
    model = note.model
    return l == 0 and model.layers[0].kind != "embedding" or l > 0 and (
        model.sequence(l) or stepped(model, l))


def gradient_name(note: Notation, name: str) -> str:
    """The recurrent layer's ∂L/∂h_l is what the next layer sends it (hout): its part
    from step t + 1 is worked through time."""
    return f"hout{note.recurrent}" if name == f"h{note.recurrent}" else name


# ------------------------------------------------------------------------ values of steps


def steps(note: Notation, part: str, name: str) -> np.ndarray:
    """A document's quantity of every step as (N, T, k): part forward or gradients."""
    arr = np.asarray(note.doc[part][name], dtype=float)
    return arr.reshape(note.sequences, note.steps, -1)


def settings(note: Notation, l: int):
    return note.model.layers[l - 1].settings


def written_order(note: Notation, l: int) -> str:
    """The order of the document's stacked a_l: the file's gates, torch's when named."""
    s = settings(note, l)
    return GATES[s.cell] if s.named else s.gates


def gate(note: Notation, l: int, arr: np.ndarray, g: str, order: str | None = None):
    """Gate g's block of the last axis of arr stacked in order (torch's by default)."""
    H = settings(note, l).hidden
    k = (order or GATES[settings(note, l).cell]).index(g)
    return arr[..., k * H:(k + 1) * H]


def engine_param(note: Notation, name: str, value) -> np.ndarray:
    """A recurrent parameter (or its gradient, its new value, its state) as the document
    writes it, in the file's form (by gate, or stacked in its order; in its layout), as
    the engine holds it: torch's gate order, out_in."""
    s = settings(note, split_name(name)[1])
    turn = note.problem.layout == "in_out"
    if isinstance(value, dict):
        parts = {g: np.asarray(v, dtype=float) for g, v in value.items()}
        parts = {g: v.T if turn and v.ndim == 2 else v for g, v in parts.items()}
    else:
        arr = np.asarray(value, dtype=float)
        arr = arr.T if turn and arr.ndim == 2 else arr
        H = s.hidden
        parts = {g: arr[k * H:(k + 1) * H] for k, g in enumerate(s.gates)}
    return np.concatenate([parts[g] for g in GATES[s.cell]])


# ------------------------------------------------------------------------ symbols


def sym(note: Notation, name: str, t, sub: str = "") -> str:
    """name^{(t)} of a step (t None: no step), capital in a batch for a, h, x, c, δ; sub a
    gate's subscript."""
    base = {"delta": r"\delta"}.get(name, name)
    if note.problem.batched:
        base = _CAPITAL.get(name, base)
    base += f"_{{{sub}}}" if sub else ""
    return base if t is None else f"{base}^{{({t})}}"


def gate_sub(cell: str, g: str, side: str = "") -> str:
    """The subscript of gate g's parameter: side x or h (b: ''), nothing for an rnn."""
    return side + ("" if cell == "rnn" else (" " if side else "") + g)


def param(cell: str, what: str, g: str) -> str:
    """W_{x i}, W_{h i}, b_{i}, b_{h i} (rnn: W_{x}, W_{h}, b, b_{h}) of a gate."""
    side = {"Wx": "x", "Wh": "h", "b": "", "bh": "h"}[what]
    sub = gate_sub(cell, g, side)
    return ("W" if what[0] == "W" else "b") + (f"_{{{sub}}}" if sub else "")


def partial(s: str) -> str:
    return rf"\frac{{\partial L}}{{\partial {s}}}"


def step_vector(note: Notation, arr, cell=None) -> str:
    """A step's quantity (N, k): a column for one sample in layout out_in, else rows."""
    arr = np.asarray(arr, dtype=float)
    return note.matrix(arr.T if note.step_columns else arr, cell)


def step_bias(note: Notation, b, cell=None) -> str:
    b = np.asarray(b, dtype=float)
    return note.matrix(b[:, None] if note.step_columns else b[None, :], cell)


def weights_file(note: Notation, W: np.ndarray) -> np.ndarray:
    """A block (H, k) of a weight as the file writes it for its layout."""
    return W.T if note.problem.layout == "in_out" else W


def block(note: Notation, name: str, g: str, value=None) -> np.ndarray:
    """Gate g's rows of a recurrent parameter (the problem's, or value in the engine's
    form): (H, k) of a weight, (H,) of a bias."""
    arr = note.problem.params[name] if value is None else value
    return gate(note, split_name(name)[1], arr.T, g).T
def product(note: Notation, W: np.ndarray, Wsym: str, v, vsym: str, cell=None):
    """(symbols, numbers) of W v in the layout's order, W (H, k) as the engine holds it:
    W v (one sample, out_in), v Wᵀ (out_in rows), v W (in_out: W as the file writes it)."""
    if note.step_columns:
        return f"{Wsym} {vsym}", (note.matrix(W, note.given), step_vector(note, v, cell))
    t = r"^\top" if note.problem.layout == "out_in" else ""
    return f"{vsym} {Wsym}{t}", (step_vector(note, v, cell), note.matrix(W.T, note.given))


def transposed(note: Notation, W: np.ndarray, Wsym: str, d, dsym: str):
    """(symbols, numbers) of Wᵀ d, the gradient back through W v (d (N, H), W (H, k) as the
    engine holds it)."""
    if note.step_columns:
        return rf"{Wsym}^\top {dsym}", (note.matrix(W.T, note.given), step_vector(note, d))
    t = r"^\top" if note.problem.layout == "in_out" else ""
    return f"{dsym} {Wsym}{t}", (step_vector(note, d), note.matrix(W, note.given))


def entry_terms(note: Notation, pairs, cells) -> list[str]:
    """The products u · v of a worked entry, each factor written by its cell."""
    return [rf"{signed(fu(u))} \cdot {signed(fv(v))}" for (u, v), (fu, fv) in zip(pairs, cells)]


def entry(s: str, note: Notation, unit: int = 0) -> str:
    """s[0] of one sample, s[0, unit] of a batch: the entry worked in full."""
    return at(s, 0, unit) if note.problem.batched else at(s, unit)
