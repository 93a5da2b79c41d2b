"""The solve tables of a sequence exercise: the forward pass one section per time step
t = 1..T, the backward pass one per step from T down to 1 with ∂L/∂h_t as the sum of
what comes from the output and from step t+1 (and an LSTM's ∂L/∂c_t likewise), then the
gradients summed over time. Values come from the solve document (report.py), a step at
a time: a recurrent quantity is (N, T, k) there, (T, k) for one sample."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine import quantities
from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.output.sections import Row, Section
from backprop_cli.output.tables import matrices
from backprop_cli.problem.sequences import steps_written

VALUE = ("", "value")  # the sections' columns: a label, its value
# the step rule each cell's forward section states (row convention, torch's gate order)
RULES = {
    "rnn": "a_t = x_t Wxᵀ + h_{t−1} Whᵀ + b, h_t = {f}(a_t)",
    "lstm": "i, f, g, o = σ, σ, tanh, σ of a_t = x_t Wxᵀ + h_{t−1} Whᵀ + b; "
            "c_t = f ⊙ c_{t−1} + i ⊙ g, h_t = o ⊙ tanh(c_t)",
    "gru torch": "r, z = σ(…); n = tanh(x_t Wx_nᵀ + b_n + r ⊙ (h_{t−1} Wh_nᵀ + bh_n)); "
                 "h_t = (1 − z) ⊙ n + z ⊙ h_{t−1}",
    "gru cho": "r, z = σ(…); n = tanh(x_t Wx_nᵀ + b_n + (r ⊙ h_{t−1}) Wh_nᵀ + bh_n); "
               "h_t = (1 − z) ⊙ h_{t−1} + z ⊙ n",
}


def _at(problem, value, t: int):
    """Step t (0-based) of a document's (N, T, k) value: (N, k), or (k,) for one sample."""
    return [row[t] for row in value] if problem.batched else value[t]


def _rule(spec) -> str:
    s = spec.settings
    key = s.cell if s.cell != "gru" else f"gru {s.form}"
    return RULES[key].replace("{f}", s.nonlinearity)


def sections(problem, doc: dict, decimals: int, loss: list, update: list,
             optimizer: str) -> list[Section]:
    model = problem.model
    L, k, T = len(model.layers), model.recurrent, model.time
    spec = model.layers[k - 1]
    every = spec.settings.output == "all"
    fwd, g = doc["forward"], doc["gradients"]
    forward_q = quantities.forward(model)
    out = []
    x_rows = problem.x.tolist() if problem.batched else problem.x[0].tolist()
    for t in range(T):
        rows = []
        if model.sequence(0):
            rows.append(Row(f"x_{t + 1}", _at(problem, _steps(problem, x_rows), t)))
        else:  # token indices
            rows.append(Row(f"x_{t + 1} (token)", _at(problem, x_rows, t)))
        for q in forward_q:
            if q.layer > k and not every:
                continue
            if q.shape == "steps":
                rows.append(Row(q.name, _at(problem, fwd[q.name], t)))
        out.append(Section(f"Step 1 · Forward pass, t = {t + 1}: {_rule(spec)}", VALUE, rows,
                           decimals))
    sums = [Row(f"Σ {name}", value) for name, value in doc["sums"].items()]
    if not every and k < L:
        rows = [Row(f"h{k}_T", _at(problem, fwd[f"h{k}"], T - 1))]
        rows += [Row(q.name, fwd[q.name]) for q in forward_q if q.layer > k]
        out.append(Section(f"Step 1 · Forward pass, after t = T = {T}: the layers on h{k}_T",
                           VALUE, rows, decimals))
    out.append(Section("Step 1 · Forward pass: the sums of every entry (every step)", VALUE,
                       sums, decimals))
    every_step = f", over every step ({model.reduction} of N·T terms)" if every else ""
    out.append(Section("Step 2 · Loss" + every_step, VALUE, loss, decimals))
    grads = quantities.gradients(model)
    top = [q for q in grads if q.layer > k and q.shape != "param" and q.name in g]
    params_after = [q for q in grads if q.layer > k and q.shape == "param"]
    if not every and (top or params_after):
        rows = [r for q in top + params_after
                for r in matrices(problem, Row(f"∂L/∂{q.name}", g[q.name]))]
        out.append(Section(f"Step 3 · Gradients, the layers on h{k}_T", VALUE, rows, decimals))
    cell = spec.kind
    for t in range(T - 1, -1, -1):
        rows = []
        if every:
            rows += [Row(f"∂L/∂{q.name}", _at(problem, g[q.name], t)) for q in top]
        rows += _step_rows(problem, g, k, cell, t, T)
        if "x" in g:
            rows.append(Row(f"∂L/∂x_{t + 1}", _at(problem, g["x"], t)))
        out.append(Section(f"Step 3 · Gradients, t = {t + 1}", VALUE, rows, decimals))
    rows = [Row(f"∂L/∂{name}", g[name]) for name in ("h0", "c0") if name in g]
    rows += [r for q in grads if q.shape == "param" and (q.layer <= k or every)
             for r in matrices(problem, Row(f"∂L/∂{q.name}", g[q.name]))]
    out.append(Section("Step 3 · Gradients summed over time (and samples)", VALUE, rows,
                       decimals))
    out.append(Section("Step 4 · Update with " + optimizer, VALUE, update, decimals))
    return out


def _step_rows(problem, g, k, cell, t, T) -> list[Row]:
    """∂L/∂h_t = from the output + from step t+1, the cell path, the gates, ∂L/∂a_t."""
    at = lambda name: _at(problem, g[f"{name}{k}"], t)  # noqa: E731
    later = f"from step {t + 2}" if t + 1 < T else "from step T+1 (none)"
    rows = [Row(f"∂L/∂h{k} from the output", at("hout")),
            Row(f"  + {later}", at("hnext")),
            Row(f"  = ∂L/∂h{k}", at("h"), bold=True)]
    if cell == "lstm":
        rows += [Row(f"∂L/∂c{k} = ∂L/∂h{k} ⊙ o{k} ⊙ tanh′(c{k}) + the next", at("c")),
                 Row(f"  the next: {later}", at("cnext"))]
    rows += [Row(f"∂L/∂{gate}{k}", at(gate)) for gate in GATES[cell] if gate != "a"]
    rows.append(Row(f"∂L/∂a{k}", at("a")))
    return rows


def _steps(problem, rows):
    """x's rows (N, T·D) as steps (N, T, D), as the document writes ∂L/∂x."""
    arr = np.asarray(rows, dtype=float)
    return steps_written(problem, arr if problem.batched else arr[None]).tolist()
