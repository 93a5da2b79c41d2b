"""What the diagram of a sequence exercise shows: the recurrent cell unrolled, its steps
side by side. Rows are layers, bottom to top: the input x₁ … x_T (token indices, then
the embedding's rows e_t, when an embedding comes first), the cell's box at each step
(its formulas and gates; with values the gates' numbers, with gradients ∂L/∂a), and the
dense layers after it, at the last step (output last) or at every step (output all).
Between two cells the states passed on, h_t (and an LSTM's c_t, on a lane above it),
written with their values and, with gradients, ∂L/∂h_t split into what comes from above
and what comes back from step t + 1. Numbers are those of the first sample, each vector a
column. Past fmt.MAX_SHOWN steps the middle ones are left out (⋯), as entries of a long
vector are (⋮). Subscripts count steps (x₁, h₂); layers are numbered as the JSON names
them (Wx1, E1). No geometry here (unrolled.py) and no drawing (seqfigure.py)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.engine.model import DENSE
from backprop_cli.errors import counted
from backprop_cli.output.diagram.kinds import LOOKS, sub
from backprop_cli.output.diagram.model import subtitle as network_subtitle
from backprop_cli.output.fmt import elide
from backprop_cli.output.fmt import fixed as number


@dataclass(frozen=True)
class Table:
    """Numbers in columns under their headers (no header row when every header is ""),
    a caption over them and a note under them when not ""."""

    headers: tuple[str, ...]
    columns: tuple[tuple[str, ...], ...]  # each a vector's entries as written (elided)
    note: str = ""
    caption: str = ""


@dataclass(frozen=True)
class Box:
    """One layer at one step: its kind (its colour: input, embedding, rnn, lstm, gru,
    dense, output), a bold title, lines (formulas, notes), tables of numbers."""

    kind: str
    title: str
    lines: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()


@dataclass(frozen=True)
class Row:
    """A layer across the steps: its name's lines (the first bold), a box per step shown
    (None: nothing computed there, or the ⋯ of left-out steps)."""

    name: tuple[str, ...]
    boxes: tuple[Box | None, ...]


@dataclass(frozen=True)
class Lane:
    """A state passed from step to step (h, or an LSTM's c): per t = 0 … T what is
    written beside its arrow after step t (t = 0: before the first)."""

    symbol: str
    labels: tuple[tuple[Table, ...], ...]


@dataclass(frozen=True)
class Unrolled:
    title: str
    subtitle: str
    steps: tuple[int | None, ...]  # the steps shown, 1-based; None: the ⋯ of the rest
    rows: tuple[Row, ...]  # bottom to top
    cell: int  # the recurrent layer's row
    lanes: tuple[Lane, ...]  # top to bottom: c (an LSTM's), h
    values: bool


def unrolled(problem, fwd=None, grads=None, decimals: int = 4) -> Unrolled:
    """The unrolled diagram of a sequence problem; fwd adds the values, grads ∂L/∂a and
    ∂L/∂h_t (first sample)."""
    model = problem.model
    T, k = model.time, model.recurrent
    steps = tuple(elide(list(range(1, T + 1)), None))
    v = _Values(problem, fwd, grads, decimals)
    rows = _inputs(problem, steps, v)
    cell = len(rows)
    rows.append(_cell_row(problem, k, steps, v))
    rows += _after(problem, k, steps, v)
    spec = model.layers[k - 1].settings
    lanes = tuple(_lane(spec, symbol, v) for symbol in ("c", "h")[spec.cell != "lstm":])
    title = problem.title or os.path.basename(problem.source)
    N = problem.x.shape[0]
    every = None if spec.output == "last" or len(model.layers) == k and model.loss == \
        "upstream" else f"{counted(N, 'sample')} × {T} steps"
    subtitle = network_subtitle(problem, problem.sizes(), fwd, grads, decimals, "values show",
                         every)
    return Unrolled(title, subtitle, steps, tuple(rows), cell, lanes, fwd is not None)


class _Values:
    """The first sample's numbers as written: a vector as a column, elided."""

    def __init__(self, problem, fwd, grads, decimals: int):
        self.problem, self.fwd, self.grads, self.decimals = problem, fwd, grads, decimals

    def column(self, vector) -> tuple[str, ...]:
        return tuple("⋮" if x is None else number(x, self.decimals)
                     for x in elide(list(vector), None))

    def table(self, pairs, note: str = "", caption: str = "") -> tuple[Table, ...]:
        """A table of the (header, vector) pairs whose vector is not None."""
        kept = [(h, self.column(x)) for h, x in pairs if x is not None]
        return (Table(*map(tuple, zip(*kept)), note, caption),) if kept else ()

    def row(self, t: int) -> int:
        """Sample 1's row at step t (1-based) of a layer after output all (N·T rows)."""
        return t - 1


def _inputs(problem, steps, v: _Values) -> list[Row]:
    """The input's row, and the embedding's above it when the sequence is of tokens."""
    first = problem.model.layers[0]
    fwd, grads = v.fwd, v.grads
    if first.kind != "embedding":
        X = problem.x[0].reshape(problem.model.time, -1)
        return [Row(("input",), tuple(
            None if t is None else
            Box("input", f"x{sub(t)}", (), v.table([("", X[t - 1] if fwd else None)]))
            for t in steps))]
    tokens = problem.x[0].astype(int)
    E = first.settings.width
    tokens_row, rows = [], []
    for t in steps:
        if t is None:
            tokens_row.append(None)
            rows.append(None)
            continue
        idx = int(tokens[t - 1])
        tokens_row.append(Box("input", f"x{sub(t)} = {idx}" if fwd else f"x{sub(t)}"))
        e = fwd.h[1][0].reshape(-1, E)[t - 1] if fwd else None
        de = grads.h[0][0].reshape(-1, E)[t - 1] if grads else None
        which = f"row {idx} of E1" if fwd else f"row x{sub(t)} of E1"
        rows.append(Box("embedding", f"e{sub(t)}", (which,),
                        v.table([("e", e), ("∂L/∂e", de)])))
    look = LOOKS["embedding"]
    return [Row(("input", "token indices"), tuple(tokens_row)),
            Row(("embedding, layer 1", *look.settings(first.settings, 1)), tuple(rows))]


def _formulas(s, x: str, bias: bool) -> tuple[str, ...]:
    """What the cell computes at every step t from its input x_t and h_{t-1}: written
    once, beside its row (the boxes name the gates)."""
    b = " + b" if bias else ""
    xt = f"{x}ₜ"
    if s.cell == "rnn":
        return (f"aₜ = Wx {xt} + Wh hₜ₋₁{b}", f"hₜ = {s.nonlinearity}(aₜ)")
    if s.cell == "lstm":
        return (f"a = Wx {xt} + Wh hₜ₋₁{b}", "i, f, o = σ(a);  g = tanh(a)",
                "cₜ = f ⊙ cₜ₋₁ + i ⊙ g", "hₜ = o ⊙ tanh(cₜ)")
    if s.form == "cho":
        return (f"r, z = σ(Wx {xt} + Wh hₜ₋₁{b})", f"n = tanh(Wx {xt} + Wh (r ⊙ hₜ₋₁){b})",
                "hₜ = (1 − z) ⊙ hₜ₋₁ + z ⊙ n")
    return (f"r, z = σ(Wx {xt} + Wh hₜ₋₁{b})", f"n = tanh(Wx {xt}{b} + r ⊙ (Wh hₜ₋₁{b}))",
            "hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁")


def _gates(s) -> str:
    """The gates in the file's order (torch's when it names them): a column each."""
    return "a" if s.cell == "rnn" else s.gates or GATES[s.cell]


def _makes(s, t: int) -> str:
    """The box's line: what the step computes, its gates named."""
    made = f"h{sub(t)}" if s.cell != "lstm" else f"c{sub(t)}, h{sub(t)}"
    return f"{', '.join(_gates(s))} → {made}"


def _cell_row(problem, k: int, steps, v: _Values) -> Row:
    spec = problem.model.layers[k - 1]
    s = spec.settings
    bias = "b" in s.owned or "bh" in s.owned
    cache = v.fwd.caches[k - 1] if v.fwd else None
    inter = v.grads.inter[k - 1] if v.grads else None
    order, gates = GATES[s.cell], _gates(s)
    boxes = []
    for t in steps:
        if t is None:
            boxes.append(None)
            continue
        tables = v.table([(g, cache[g][0, t - 1]) for g in gates] if cache else [])
        if inter is not None:
            da = inter["a"][0, t - 1]
            parts = [(g, da[order.index(g) * s.hidden:(order.index(g) + 1) * s.hidden])
                     for g in gates]
            tables += v.table(parts, caption="∂L/∂a") if s.cell != "rnn" else \
                v.table([("∂L/∂a", da)])
        boxes.append(Box(s.cell, f"t = {t}", (_makes(s, t),), tables))
    look = LOOKS[s.cell]
    return Row((f"{look.short}, layer {k}", *look.settings(s, k), "",
                *_formulas(s, "e" if k > 1 else "x", bias)), tuple(boxes))


def _after(problem, k: int, steps, v: _Values) -> list[Row]:
    """The dense layers after the recurrent one, at the last step or at every step; when
    the recurrent layer is the last, the output ŷ_t = h_t with its target."""
    model = problem.model
    L, every = len(model.layers), model.layers[k - 1].settings.output == "all"
    T = model.time
    fwd, grads = v.fwd, v.grads
    seen = [t if t is not None and (every or t == T) else None for t in steps]
    if k == L:
        return [Row(("output", "ŷ = h"), tuple(
            None if t is None else
            Box("output", f"ŷ{sub(t)}" if every else "ŷ", (),
                v.table([("y", problem.y[v.row(t) if every else 0] if fwd else None)]))
            for t in seen))]
    rows = []
    for l in range(k + 1, L + 1):
        spec = model.layers[l - 1]
        last = l == L
        boxes = []
        for t in seen:
            if t is None:
                boxes.append(None)
                continue
            r = v.row(t) if every else 0
            symbol = "ŷ" if last else f"h{l}"
            title = f"{symbol}{sub(t)}" if every else symbol
            pairs = [("a", fwd.a[l - 1][r] if fwd else None),
                     ("h", fwd.h[l][r] if fwd else None),
                     ("y", problem.y[r] if fwd and last else None)]
            tables = v.table(pairs) + v.table([("∂L/∂a", grads.a[l - 1][r] if grads
                                                 else None)])
            boxes.append(Box("output" if last else DENSE, title, (), tables))
        name = "output" if last else f"hidden {l}"
        rows.append(Row((name, spec.activation), tuple(boxes)))
    return rows


def _lane(s, symbol: str, v: _Values) -> Lane:
    """h_t (or c_t) after each step t = 0 … T, and ∂L/∂h_t: where two parts make it, each
    part under it (from the layers above, or an LSTM's c_t through h_t; and back from
    step t + 1), else a note saying where it comes from."""
    T, model = s.steps, v.problem.model
    cache = v.fwd.caches[model.recurrent - 1] if v.fwd else None
    inter = v.grads.inter[model.recurrent - 1] if v.grads else None
    labels = []
    for t in range(T + 1):
        name = f"{symbol}{sub(t)}"
        value = None
        if cache is not None:
            value = s.start(f"{symbol}0", v.problem.x.shape[0])[0] if t == 0 else \
                cache[symbol][0, t - 1]
        whole = nxt = None
        if inter is not None:
            whole = inter[f"{symbol}0"][0] if t == 0 else inter[symbol][0, t - 1]
            nxt = None if t in (0, T) else inter[f"{symbol}next"][0, t - 1]
        above = f"h{sub(t)}" if symbol == "c" else "above"
        split = nxt is not None and (symbol == "c" or s.output == "all")
        source = "" if whole is None or split else \
            f"from step {t + 1}" if t < T else f"from {above}"
        tables = v.table([(name, value), (f"∂L/∂{name}", whole)], source)
        if split:
            tables += v.table([(above, whole - nxt), (f"step {t + 1}", nxt)],
                              caption=f"∂L/∂{name} from")
        labels.append(tables or (Table((name,), ((),)),))  # no numbers: its name
    return Lane(symbol, tuple(labels))
