"""The step rules of a recurrent layer (rnn, lstm, gru) in the marking graph, as a person
works them one step at a time: each reads the person's own numbers of the step before
(their h_{t−1}, c_{t−1}) and of the step after in the backward pass, so a mistake made at
one step is carried into the next, not marked again. Values carry leading dimensions
(sheets, perturbations) before the engine's (N, k); parameters are the problem's,
stacked in torch's gate order.

`blocks` (the slip gate-order) says which block of the stacked rows each gate is read
from: {gate: k}, torch's position by default. A GRU's reading keeps n's block (its
pre-activation is worked differently), so only r and z trade places.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions.activations import sigmoid  # stable at ±1000
from backprop_cli.engine.grading.rules import linear, swap
from backprop_cli.engine.layers.recurrent import GATES


def block(v, k: int, H: int):
    """Block k (H columns, or rows of a parameter) of a stacked value."""
    return v[..., k * H:(k + 1) * H]


def rows(W, k: int, H: int):
    return W[..., k * H:(k + 1) * H, :]


def default_blocks(cell: str) -> dict:
    return {g: k for k, g in enumerate(GATES[cell])}


def other_update(update: str) -> str:
    """A GRU's other update formula: z keeps the old state, or takes the new one."""
    return "new" if update == "old" else "old"


# ------------------------------------------------------------------- forward


def pre(x, h, p: dict, l: int, lo: int = 0, hi: int | None = None):
    """x Wxᵀ + b + h Whᵀ + bh over the stacked rows lo:hi (every row by default)."""
    def cut(v):
        return None if v is None else v[..., lo:hi]
    a = linear(x, p[f"Wx{l}"][..., lo:hi, :], cut(p.get(f"b{l}"))) + \
        linear(h, p[f"Wh{l}"][..., lo:hi, :], None)
    bh = cut(p.get(f"bh{l}"))
    return a if bh is None else a + np.expand_dims(bh, -2)


def gate_value(cell: str, gate: str, a):
    return np.tanh(a) if (cell, gate) in (("lstm", "g"), ("gru", "n")) else sigmoid(a)


def new_state(cell: str, update: str, gates: dict, prev):
    """c_t (lstm) or h_t (gru: update old (1 − z) ⊙ n + z ⊙ h_{t−1}, new
    (1 − z) ⊙ h_{t−1} + z ⊙ n) from the gates and the state before."""
    if cell == "lstm":
        return gates["f"] * prev + gates["i"] * gates["g"]
    z, n = gates["z"], gates["n"]
    return (1.0 - z) * prev + z * n if update == "new" else (1.0 - z) * n + z * prev


def n_argument(x, h, r, p: dict, l: int, k: int, H: int, form: str):
    """A GRU's n pre-activation: x Wx_nᵀ + b_n + r ⊙ (h Wh_nᵀ + bh_n) (torch), or
    x Wx_nᵀ + b_n + (r ⊙ h) Wh_nᵀ + bh_n (cho)."""
    b, bh = p.get(f"b{l}"), p.get(f"bh{l}")
    a = linear(x, rows(p[f"Wx{l}"], k, H), None if b is None else block(b, k, H))
    inner = linear(r * h if form == "cho" else h, rows(p[f"Wh{l}"], k, H),
                   None if bh is None else block(bh, k, H))
    return a + (inner if form == "cho" else r * inner)


def run(cell: str, s, X, h, c, p: dict, l: int, blocks=None, update=None):
    """Every h_t (…, N, T, H) of the layer from x_t (…, N, T, D), the starts h, c and the
    parameters p: the forward pass again (the loss after the update), slips' forms too."""
    H, blocks, update = s.hidden, blocks or default_blocks(cell), update or s.update
    out = []
    for t in range(s.steps):
        x = X[..., t, :]
        if cell == "rnn":
            a = pre(x, h, p, l)
            h = np.tanh(a) if s.nonlinearity == "tanh" else np.maximum(a, 0.0)
        elif cell == "lstm":
            a = pre(x, h, p, l)
            g = {q: gate_value(cell, q, block(a, k, H)) for q, k in blocks.items()}
            c = new_state(cell, update, g, c)
            h = g["o"] * np.tanh(c)
        else:
            rz = pre(x, h, p, l, 0, 2 * H)
            g = {q: sigmoid(block(rz, blocks[q], H)) for q in "rz"}
            g["n"] = np.tanh(n_argument(x, h, g["r"], p, l, 2, H, s.form))
            h = new_state(cell, update, g, h)
        out.append(h)
    return np.stack(out, axis=-2)


# ------------------------------------------------------------------ backward


def lstm_da(dgates: dict, gates: dict, blocks: dict, H: int):
    """∂L/∂a (…, N, 4H): each gate's derivative, σ' = s(1 − s), tanh' = 1 − g², in its
    block."""
    parts = [None] * 4
    for q, k in blocks.items():
        s = gates[q]
        parts[k] = dgates[q] * ((1.0 - s * s) if q == "g" else s * (1.0 - s))
    return np.concatenate(parts, axis=-1)


def gru_gate_grads(update: str, dh, z, n, prev):
    """(∂L/∂n, ∂L/∂z, the direct path's ∂L/∂h_{t−1}) of h_t's update formula."""
    if update == "new":
        return dh * z, dh * (n - prev), dh * (1.0 - z)
    return dh * (1.0 - z), dh * (prev - n), dh * z


def hidden_side(form: str, da_rz, da_n, r):
    """What multiplies h_{t−1} (torch) in Wh's rows: the r, z blocks' ∂L/∂a and r ⊙ ∂L/∂a_n
    (torch) or ∂L/∂a_n (cho: its rows multiply r ⊙ h_{t−1})."""
    return np.concatenate([da_rz, r * da_n if form == "torch" else da_n], axis=-1)


def gru_to_previous(form, update, dh, z, r, da_rz, da_n, prev, p, l, H):
    """∂L/∂h_{t−1} through step t of a GRU: the update's direct path (dh ⊙ z, or
    dh ⊙ (1 − z) with update new), the r, z rows of Wh, and n's: (r ⊙ ∂L/∂a_n) Wh_n
    (torch) or (∂L/∂a_n Wh_n) ⊙ r (cho: n reads r ⊙ h_{t−1})."""
    Wh = p[f"Wh{l}"]
    direct = dh * (1.0 - z) if update == "new" else dh * z
    out = direct + da_rz @ Wh[..., :2 * H, :]
    if form == "cho":
        return out + (da_n @ rows(Wh, 2, H)) * r
    return out + (r * da_n) @ rows(Wh, 2, H)


def gru_dr(form, da_n, prev, p, l, H):
    """∂L/∂r: ∂L/∂a_n ⊙ (h_{t−1} Wh_nᵀ + bh_n) (torch), (∂L/∂a_n Wh_n) ⊙ h_{t−1} (cho)."""
    if form == "cho":
        return (da_n @ rows(p[f"Wh{l}"], 2, H)) * prev
    bh = p.get(f"bh{l}")
    return da_n * linear(prev, rows(p[f"Wh{l}"], 2, H), None if bh is None else block(bh, 2, H))


def weight_sum(d_steps: list, inputs: list):
    """Σ_t d_tᵀ v_t over samples and steps."""
    return sum(swap(d) @ v for d, v in zip(d_steps, inputs))
