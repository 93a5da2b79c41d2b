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


def forward(x, p, spec, r=None, scratch=None):
    f = ACTIVATIONS[spec.nonlinearity].forward
    X = sequence(x, spec)
    N, T = X.shape[:2]
    A = input_products(X, p, scratch)  # x_t Wxᵀ + b + bh; h_{t-1} Whᵀ added step by step
    h0 = spec.start("h0", N)
    H = fresh(scratch, "h", (N, T, spec.hidden))
    hw = np.empty((N, spec.hidden))  # h_{t-1} Whᵀ
    h, WhT = h0, p["Wh"].T
    for t in range(T):
        a = settle(np.add(A[:, t], np.matmul(h, WhT, out=hw), out=A[:, t]), r)
        H[:, t] = f(a, None)[0]
        h = settle(H[:, t], r)
    return output(H, spec), {"a": A, "h": H, "_x": X, "_h0": h0, "_scratch": scratch}


def through_time(dout, cache, p, spec, r=None, keep=True):
    """Backward from T to 1: (∂L/∂a every step, the parameters' gradients, the
    intermediates' gradients); without keep (the training loop) ∂L/∂h_t and its parts are
    one step's scratch."""
    f = ACTIVATIONS[spec.nonlinearity]
    A, H, X, scratch = cache["a"], cache["h"], cache["_x"], cache["_scratch"]
    N, T = A.shape[:2]
    kept = T if keep else 1
    hout = upstream(dout, spec, N, scratch)
    dH, hnext = np.empty((N, kept, spec.hidden)), np.zeros((N, kept, spec.hidden))
    dA = fresh(scratch, "da", A.shape)
    Wh = p["Wh"]
    dnext = np.zeros((N, spec.hidden))
    for t in range(T - 1, -1, -1):
        u = t if keep else 0  # where step t's intermediates go
        hnext[:, u] = dnext
        dh = settle(np.add(hout[:, t], dnext, out=dH[:, u]), r)
        dA[:, t] = f.backward(A[:, t], H[:, t], None, dh, None)
        dnext = settle(settle(dA[:, t], r) @ Wh, r)
    Hprev = previous(H, cache["_h0"], scratch)
    dp = {**summed(dA, X, p, r, "Wx", "b"), **summed(dA, Hprev, p, r, "Wh", "bh")}
    return dA, dp, {"h": dH, "hout": hout, "hnext": hnext, "a": dA, "h0": dnext}


def backward(dout, cache, p, spec, r=None):
    dA, dp, inter = through_time(dout, cache, p, spec, r)
    return input_gradient(dA, p, r), dp, inter


def parameter_gradients(dout, cache, p, spec):
    return through_time(dout, cache, p, spec, keep=False)[1]


KIND = Kind("rnn", ("Wx", "Wh", "b", "bh"), forward, backward, None, keeps=True,
            shown=(("a", "steps"), ("h", "steps")),
            follows=follows_from_a, parameter_gradients=parameter_gradients,
            backward_shown=(("h", "steps"), ("hout", "steps"), ("hnext", "steps"),
                            ("a", "steps"), ("h0", "sample")))
