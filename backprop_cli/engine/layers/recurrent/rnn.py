"""The Elman cell (torch.nn.RNN): a_t = x_t Wxᵀ + h_{t-1} Whᵀ + b + bh, h_t = f(a_t),
f tanh or relu. Backward, t = T..1, with dh_t = hout_t + hnext_t:
    da_t = f'(a_t) ⊙ dh_t        hnext_{t-1} = da_t Wh   (∂L/∂h_0 at t = 1)
    ∂L/∂x_t = da_t Wx
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
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


def forward(x, p, spec, r=None):
    r = r or unrounded
    f = ACTIVATIONS[spec.nonlinearity].forward
    X = sequence(x, spec)
    N, T = X.shape[:2]
    xw = input_products(X, p)
    h0 = spec.start("h0", N)
    A, H = np.empty_like(xw), np.empty((N, T, spec.hidden))
    h, WhT = h0, p["Wh"].T
    for t in range(T):
        A[:, t] = r(xw[:, t] + h @ WhT)
        H[:, t] = r(f(A[:, t], None)[0])
        h = H[:, t]
    return output(H, spec), {"a": A, "h": H, "_x": X, "_h0": h0}


def backward(dout, cache, p, spec, r=None):
    r = r or unrounded
    f = ACTIVATIONS[spec.nonlinearity]
    A, H, X = cache["a"], cache["h"], cache["_x"]
    N, T = A.shape[:2]
    hout = upstream(dout, spec, N)
    dH, hnext, dA = np.empty_like(H), np.zeros_like(H), np.empty_like(A)
    Wh = p["Wh"]
    dnext = np.zeros((N, spec.hidden))
    for t in range(T - 1, -1, -1):
        hnext[:, t] = dnext
        dH[:, t] = r(hout[:, t] + dnext)
        dA[:, t] = r(f.backward(A[:, t], H[:, t], None, dH[:, t], None))
        dnext = r(dA[:, t] @ Wh)
    Hprev = previous(H, cache["_h0"])
    dp = {**input_gradients(dA, X, p, r), **hidden_gradients(dA, Hprev, p, r)}
    dx = r(dA.reshape(N * T, -1) @ p["Wx"]).reshape(N, -1)
    return dx, dp, {"h": dH, "hout": hout, "hnext": hnext, "a": dA, "h0": dnext}


KIND = Kind("rnn", ("Wx", "Wh", "b", "bh"), forward, backward, None,
            shown=(("a", "steps"), ("h", "steps")),
            backward_shown=(("h", "steps"), ("hout", "steps"), ("hnext", "steps"),
                            ("a", "steps"), ("h0", "sample")))
