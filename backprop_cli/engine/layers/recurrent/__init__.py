"""Recurrent layers (torch.nn.RNN, LSTM, GRU: one layer, batch first) unrolled through
time: what the three cells share. A cell module (rnn.py, lstm.py, gru.py) gives its step
forward and its step backward; this package runs them over t = 1..T and T..1.

Shapes (G gates: 1 rnn, 4 lstm, 3 gru; parameters stacked in torch's gate order):
    x    (N, T·D) rows of T steps (or (N·T, D): any rows that are N samples of T steps)
    Wx   (G·H, D)   Wh (G·H, H)   b, bh (G·H,)   (bh: torch's b_hh, added inside)
    out  (N, H) = h_T with output "last"; every h_t as N·T rows (N·T, H) with "all"
The cache holds every step, (N, T, ·): "a" (the pre-activations, stacked), the cell's
gates, "h" (every h_t); the names starting with "_" are kept for the backward pass only.
The backward pass's intermediates: "h" the whole ∂L/∂h_t = "hout" (from the layers
above) + "hnext" (from step t+1), the gates', "a", and "h0" (and "c0") (N, H).
The weight gradients are summed over time by one product each after the loop:
    ∂L/∂Wx = Σ_t da_tᵀ x_t,  ∂L/∂Wh = Σ_t da_tᵀ h_{t-1},  ∂L/∂b = ∂L/∂bh = Σ_t Σ_n da_t
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

CELLS = ("rnn", "lstm", "gru")
GATES = {"rnn": "a", "lstm": "ifgo", "gru": "rzn"}  # torch's order of the stacked rows
FORMS = ("torch", "cho")
UPDATES = ("old", "new")
OUTPUTS = ("last", "all")


@dataclass(frozen=True, eq=False)
class RecurrentSpec:
    cell: str  # rnn, lstm, gru
    steps: int  # T
    inputs: int  # D
    hidden: int  # H
    owned: tuple[str, ...] = ("Wx", "Wh", "b")  # the parameters present: bias and bias_h
    nonlinearity: str = "tanh"  # rnn: tanh or relu
    output: str = "last"
    form: str = "torch"  # gru: where r acts, torch (after Wh_n) or cho (before)
    update: str = "old"  # gru: z keeps the old state (torch, Cho) or takes the new one
    h0: np.ndarray | None = None  # (H,) for every sample or (N, H); None: zeros
    c0: np.ndarray | None = None  # lstm
    gates: str = ""  # the file's order of stacked rows (shown a_l, written parameters)
    named: bool = False  # the file gives the gates by name

    @property
    def units(self) -> int:
        return self.hidden

    @property
    def out(self) -> tuple[int, int] | None:
        """(T, H) when the next layer sees every step, else None (h_T, a row)."""
        return (self.steps, self.hidden) if self.output == "all" else None

    @property
    def inp(self) -> tuple[int, int]:
        return (self.steps, self.inputs)

    def start(self, key: str, N: int) -> np.ndarray:
        """h_0 (or c_0) for N samples, a fresh (N, H) array."""
        given = getattr(self, key)
        if given is None:
            return np.zeros((N, self.hidden))
        return np.array(np.broadcast_to(given, (N, self.hidden)))


def sequence(x: np.ndarray, spec: RecurrentSpec) -> np.ndarray:
    """x's rows as (N, T, D)."""
    return x.reshape(-1, spec.steps, spec.inputs)


def fresh(scratch: dict | None, name: str, shape: tuple) -> np.ndarray:
    """An uninitialised array for `name`: a new one (solve), or in the training loop the
    layer's own from the step before (scratch, a dict the loop keeps for the layer), so
    that a long sequence's arrays are not faulted in afresh at every step."""
    if scratch is None:
        return np.empty(shape)
    arr = scratch.get(name)
    if arr is None or arr.shape != shape:
        arr = scratch[name] = np.empty(shape)
    return arr


def input_products(X: np.ndarray, p: dict, scratch=None) -> np.ndarray:
    """x_t Wxᵀ + b + bh for every step at once: (N, T, G·H), one product."""
    N, T, D = X.shape
    Wx = p["Wx"]
    xw = np.matmul(X.reshape(N * T, D), Wx.T, out=fresh(scratch, "a", (N * T, Wx.shape[0])))
    for key in ("b", "bh"):
        if key in p:
            xw += p[key]
    return xw.reshape(N, T, -1)


def output(H: np.ndarray, spec: RecurrentSpec) -> np.ndarray:
    """What the next layer sees of every h_t (N, T, H)."""
    N, T, Hd = H.shape
    return H[:, -1].copy() if spec.output == "last" else H.reshape(N * T, Hd)


def upstream(dout: np.ndarray, spec: RecurrentSpec, N: int, scratch=None) -> np.ndarray:
    """∂L/∂h_t from the layers above, every step (N, T, H): zero where they do not see."""
    if spec.output == "all":
        return dout.reshape(N, spec.steps, spec.hidden)
    d = fresh(scratch, "hout", (N, spec.steps, spec.hidden))
    d[:, :-1] = 0.0
    d[:, -1] = dout
    return d


def previous(H: np.ndarray, h0: np.ndarray, scratch=None) -> np.ndarray:
    """h_{t-1} for every t: (N, T, H), h_0 first."""
    out = fresh(scratch, "hprev", H.shape)
    out[:, 0], out[:, 1:] = h0, H[:, :-1]
    return out


def summed(dA: np.ndarray, V: np.ndarray, p: dict, r, W: str, b: str) -> dict:
    """A weight's and its bias's gradients summed over samples and steps, one product each:
    ∂L/∂W = Σ_t da_tᵀ v_t and ∂L/∂b = Σ_t da_t (when p has b). (W, b) = ("Wx", "b") with
    v_t = x_t and dA = ∂L/∂a; ("Wh", "bh") with v_t = h_{t-1} and dA the gradient of
    h_{t-1} Whᵀ + bh (∂L/∂a itself, except in a GRU's n gate)."""
    N, T, GH = dA.shape
    rows, r = dA.reshape(N * T, GH), r or unrounded
    dp = {W: r(rows.T @ V.reshape(N * T, -1))}
    if b in p:
        dp[b] = r(np.add.reduce(rows, axis=0))
    return dp


def settle(v: np.ndarray, r) -> np.ndarray:
    """v, computed in place, rounded as a person writes it when r is given (solve --round);
    untouched without r (the training loop and solve)."""
    if r is not None:
        v[...] = r(v)
    return v


def unrounded(value):
    return value


def input_gradient(dA: np.ndarray, p: dict, r) -> np.ndarray:
    """∂L/∂x_t = da_t Wx for every step, as x's rows (N, T·D): one product."""
    N, T, GH = dA.shape
    return (r or unrounded)(dA.reshape(N * T, GH) @ p["Wx"]).reshape(N, -1)


def follows_from_a(cache, spec) -> tuple[str, ...]:
    """Kind.follows of every cell: a finite a_t makes every gate, c_t (|c_t| <= |c_0| + t)
    and h_t finite, and x, h_0, c_0 are the file's; only "a" need be read."""
    return tuple(name for name in cache if name != "a")
