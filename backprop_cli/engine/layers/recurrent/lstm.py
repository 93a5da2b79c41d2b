"""The LSTM cell (torch.nn.LSTM), gates stacked in torch's order i, f, g, o:
    a_t = x_t Wxᵀ + h_{t-1} Whᵀ + b + bh          (N, 4H)
    i = σ(a_i)  f = σ(a_f)  g = tanh(a_g)  o = σ(a_o)
    c_t = f ⊙ c_{t-1} + i ⊙ g                     h_t = o ⊙ tanh(c_t)
Backward, t = T..1, with dh_t = hout_t + hnext_t and the cell path cnext_t:
    dc_t = dh_t ⊙ o ⊙ tanh'(c_t) + cnext_t        cnext_{t-1} = dc_t ⊙ f_t
    do = dh_t ⊙ tanh(c_t)   di = dc_t ⊙ g   dg = dc_t ⊙ i   df = dc_t ⊙ c_{t-1}
    da = (σ'(a_i) di, σ'(a_f) df, tanh'(a_g) dg, σ'(a_o) do)
    hnext_{t-1} = da_t Wh
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions.activations import sigmoid_pair, tanh_backward
from backprop_cli.engine.layers import Kind
from backprop_cli.engine.layers.recurrent import (
    hidden_gradients,
    input_gradients,
    input_products,
    output,
    previous,
    sequence,
    unrounded,
    upstream,
)

GATES = "ifgo"


def forward(x, p, spec, r=None):
    r = r or unrounded
    X = sequence(x, spec)
    N, T = X.shape[:2]
    Hd = spec.hidden
    xw = input_products(X, p)
    h0, c0 = spec.start("h0", N), spec.start("c0", N)
    A = np.empty_like(xw)
    S = np.empty_like(xw)  # the gates' values: σ(a) for i, f, o; tanh(a_g) for g
    Sneg = np.empty_like(xw)  # σ(-a) for i, f, o: their derivative is σ(a) σ(-a)
    C, TC, H = (np.empty((N, T, Hd)) for _ in range(3))
    h, c, WhT = h0, c0, p["Wh"].T
    g = slice(2 * Hd, 3 * Hd)
    for t in range(T):
        a = A[:, t]
        a[...] = r(xw[:, t] + h @ WhT)
        s, sn = sigmoid_pair(a)
        s[:, g] = np.tanh(a[:, g])
        S[:, t], Sneg[:, t] = r(s), sn
        i, f, gg, o = (S[:, t, k * Hd:(k + 1) * Hd] for k in range(4))
        C[:, t] = c = r(f * c + i * gg)
        TC[:, t] = r(np.tanh(c))
        H[:, t] = h = r(o * TC[:, t])
    gates = {name: S[:, :, k * Hd:(k + 1) * Hd] for k, name in enumerate(GATES)}
    return output(H, spec), {"a": A, **gates, "c": C, "h": H, "_s": S, "_sneg": Sneg,
                             "_tc": TC, "_x": X, "_h0": h0, "_c0": c0}


def backward(dout, cache, p, spec, r=None):
    r = r or unrounded
    A, S, Sneg, C, TC, H, X = (cache[k] for k in ("a", "_s", "_sneg", "c", "_tc", "h", "_x"))
    N, T = A.shape[:2]
    Hd = spec.hidden
    hout = upstream(dout, spec, N)
    dH, hnext, dC, cnext = (np.zeros_like(H) for _ in range(4))
    dS, dA = np.empty_like(A), np.empty_like(A)
    Cprev = previous(C, cache["_c0"])
    Wh = p["Wh"]
    dh_next, dc_next = np.zeros((N, Hd)), np.zeros((N, Hd))
    q = [slice(k * Hd, (k + 1) * Hd) for k in range(4)]
    for t in range(T - 1, -1, -1):
        i, f, g, o = (S[:, t, k] for k in q)
        hnext[:, t], cnext[:, t] = dh_next, dc_next
        dh = dH[:, t] = r(hout[:, t] + dh_next)
        dc = dC[:, t] = r(tanh_backward(C[:, t], None, None, dh * o, None) + dc_next)
        ds = dS[:, t]
        ds[:, q[0]], ds[:, q[1]] = r(dc * g), r(dc * Cprev[:, t])
        ds[:, q[2]], ds[:, q[3]] = r(dc * i), r(dh * TC[:, t])
        da = dA[:, t]
        da[...] = ds * S[:, t] * Sneg[:, t]  # σ'(a) = σ(a) σ(-a) for i, f, o
        da[:, q[2]] = tanh_backward(A[:, t, q[2]], None, None, ds[:, q[2]], None)
        da[...] = r(da)
        dh_next = r(da @ Wh)
        dc_next = r(dc * f)
    Hprev = previous(H, cache["_h0"])
    dp = {**input_gradients(dA, X, p, r), **hidden_gradients(dA, Hprev, p, r)}
    dx = r(dA.reshape(N * T, -1) @ p["Wx"]).reshape(N, -1)
    gates = {name: dS[:, :, k * Hd:(k + 1) * Hd] for k, name in enumerate(GATES)}
    return dx, dp, {"h": dH, "hout": hout, "hnext": hnext, "c": dC, "cnext": cnext, **gates,
                    "a": dA, "h0": dh_next, "c0": dc_next}


KIND = Kind("lstm", ("Wx", "Wh", "b", "bh"), forward, backward, None,
            shown=(("a", "steps"), ("i", "steps"), ("f", "steps"), ("g", "steps"),
                   ("o", "steps"), ("c", "steps"), ("h", "steps")),
            backward_shown=(("h", "steps"), ("hout", "steps"), ("hnext", "steps"),
                            ("c", "steps"), ("cnext", "steps"), ("o", "steps"),
                            ("g", "steps"), ("f", "steps"), ("i", "steps"), ("a", "steps"),
                            ("h0", "sample"), ("c0", "sample")))
