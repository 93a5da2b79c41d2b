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
    follows_from_a,
    fresh,
    input_gradient,
    input_products,
    output,
    previous,
    sequence,
    settle,
    summed,
    upstream,
)

GATES = "ifgo"


def forward(x, p, spec, r=None, scratch=None):
    X = sequence(x, spec)
    N, T = X.shape[:2]
    Hd = spec.hidden
    A = input_products(X, p, scratch)  # x_t Wxᵀ + b + bh; h_{t-1} Whᵀ added step by step
    h0, c0 = spec.start("h0", N), spec.start("c0", N)
    S = fresh(scratch, "s", A.shape)  # the gates' values: σ(a) for i, f, o; tanh(a_g) for g
    Sneg = fresh(scratch, "sneg", A.shape)  # σ(-a) for i, f, o: σ'(a) = σ(a) σ(-a)
    C, TC, H = (fresh(scratch, name, (N, T, Hd)) for name in ("c", "tc", "h"))
    hw = np.empty((N, 4 * Hd))  # h_{t-1} Whᵀ
    h, c, WhT = h0, c0, p["Wh"].T
    g = slice(2 * Hd, 3 * Hd)
    for t in range(T):
        a = settle(np.add(A[:, t], np.matmul(h, WhT, out=hw), out=A[:, t]), r)
        s, Sneg[:, t] = sigmoid_pair(a)
        np.tanh(a[:, g], out=s[:, g])
        S[:, t] = settle(s, r)
        i, f, gg, o = (S[:, t, k * Hd:(k + 1) * Hd] for k in range(4))
        c = settle(np.add(np.multiply(f, c, out=C[:, t]), i * gg, out=C[:, t]), r)
        settle(np.tanh(c, out=TC[:, t]), r)
        h = settle(np.multiply(o, TC[:, t], out=H[:, t]), r)
    gates = {name: S[:, :, k * Hd:(k + 1) * Hd] for k, name in enumerate(GATES)}
    return output(H, spec), {"a": A, **gates, "c": C, "h": H, "_s": S, "_sneg": Sneg,
                             "_tc": TC, "_x": X, "_h0": h0, "_c0": c0, "_scratch": scratch}


def through_time(dout, cache, p, spec, r=None, keep=True):
    """Backward from T to 1: (∂L/∂a every step (N, T, 4H), the parameters' gradients,
    the intermediates' gradients): everything but ∂L/∂x. Without keep (the training
    loop) the intermediates are one step's scratch, overwritten step by step."""
    A, S, Sneg, C, TC, H, X = (cache[k] for k in ("a", "_s", "_sneg", "c", "_tc", "h", "_x"))
    scratch = cache["_scratch"]
    N, T = A.shape[:2]
    Hd, kept = spec.hidden, T if keep else 1
    q = [slice(k * Hd, (k + 1) * Hd) for k in range(4)]
    hout = upstream(dout, spec, N, scratch)
    dH, hnext, dC, cnext = (np.zeros((N, kept, Hd)) for _ in range(4))
    dS = np.empty((N, kept, 4 * Hd))
    # the training loop reads σ(-a_t) for the last time where da_t is made: da_t takes its
    # place (a fresh array of the whole sequence costs its page faults at every step)
    dA = np.empty_like(A) if keep else Sneg
    Wh = p["Wh"]
    dh_next, dc_next = np.zeros((N, Hd)), np.zeros((N, Hd))
    for t in range(T - 1, -1, -1):
        i, f, g, o = (S[:, t, k] for k in q)
        u = t if keep else 0  # where step t's intermediates go
        hnext[:, u], cnext[:, u] = dh_next, dc_next
        dh = settle(np.add(hout[:, t], dh_next, out=dH[:, u]), r)
        dc = dC[:, u]
        settle(np.add(tanh_backward(C[:, t], None, None, dh * o, None), dc_next, out=dc), r)
        ds = dS[:, u]
        np.multiply(dc, g, out=ds[:, q[0]])
        np.multiply(dc, C[:, t - 1] if t else cache["_c0"], out=ds[:, q[1]])
        np.multiply(dc, i, out=ds[:, q[2]])
        np.multiply(dh, TC[:, t], out=ds[:, q[3]])
        settle(ds, r)
        da = np.multiply(ds * S[:, t], Sneg[:, t], out=dA[:, t])
        da[:, q[2]] = tanh_backward(A[:, t, q[2]], None, None, ds[:, q[2]], None)  # g: tanh'
        settle(da, r)
        dh_next = settle(da @ Wh, r)
        dc_next = settle(dc * f, r)
    Hprev = previous(H, cache["_h0"], scratch)
    dp = {**summed(dA, X, p, r, "Wx", "b"), **summed(dA, Hprev, p, r, "Wh", "bh")}
    gates = {name: dS[:, :, k * Hd:(k + 1) * Hd] for k, name in enumerate(GATES)}
    return dA, dp, {"h": dH, "hout": hout, "hnext": hnext, "c": dC, "cnext": cnext,
                    **gates, "a": dA, "h0": dh_next, "c0": dc_next}


def backward(dout, cache, p, spec, r=None):
    dA, dp, inter = through_time(dout, cache, p, spec, r)
    return input_gradient(dA, p, r), dp, inter


def parameter_gradients(dout, cache, p, spec):
    return through_time(dout, cache, p, spec, keep=False)[1]


KIND = Kind("lstm", ("Wx", "Wh", "b", "bh"), forward, backward, None, keeps=True,
            shown=(("a", "steps"), ("i", "steps"), ("f", "steps"), ("g", "steps"),
                   ("o", "steps"), ("c", "steps"), ("h", "steps")),
            follows=follows_from_a, parameter_gradients=parameter_gradients,
            backward_shown=(("h", "steps"), ("hout", "steps"), ("hnext", "steps"),
                            ("c", "steps"), ("cnext", "steps"), ("o", "steps"),
                            ("g", "steps"), ("f", "steps"), ("i", "steps"), ("a", "steps"),
                            ("h0", "sample"), ("c0", "sample")))
