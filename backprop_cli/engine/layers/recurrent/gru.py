"""The GRU cell, gates stacked r, z, n. Where the reset gate acts is the file's `form`:
torch (torch.nn.GRU, TensorFlow's reset_after):
    r = σ(x Wx_rᵀ + b_r + h Wh_rᵀ + bh_r)     z likewise
    n = tanh(x Wx_nᵀ + b_n + r ⊙ (h Wh_nᵀ + bh_n))
cho (Cho et al. 2014, d2l): r, z as torch,
    n = tanh(x Wx_nᵀ + b_n + (r ⊙ h) Wh_nᵀ + bh_n)
and which state z keeps is its `update`:
    old (torch, Cho et al.):        h_t = (1 − z) ⊙ n + z ⊙ h_{t-1}
    new (Chung et al., Colah):      h_t = (1 − z) ⊙ h_{t-1} + z ⊙ n
a_t stacks the three gates' arguments. Backward with dh_t = hout_t + hnext_t:
    old: dn = dh (1 − z)   dz = dh (h_{t-1} − n)   direct path dh ⊙ z
    new: dn = dh z         dz = dh (n − h_{t-1})   direct path dh ⊙ (1 − z)
    da_n = tanh'(a_n) dn; torch: dr = da_n ⊙ (h Wh_nᵀ + bh_n), the hidden side's n part
    is r ⊙ da_n; cho: d(r⊙h) = da_n Wh_n, dr = d(r⊙h) ⊙ h_{t-1}, h_{t-1} gets d(r⊙h) ⊙ r
    da_r = σ'(a_r) dr   da_z = σ'(a_z) dz
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
    summed,
    unrounded,
    upstream,
)

GATES = "rzn"


def forward(x, p, spec, r=None, scratch=None):
    r = r or unrounded
    X = sequence(x, spec)
    N, T = X.shape[:2]
    Hd = spec.hidden
    rz, nn = slice(0, 2 * Hd), slice(2 * Hd, 3 * Hd)
    xw = input_products(X, {k: v for k, v in p.items() if k != "bh"}, scratch)  # bh inside
    bh = p.get("bh")
    h0 = spec.start("h0", N)
    A, S, Sneg = (fresh(scratch, name, xw.shape) for name in ("pre", "s", "sneg"))
    HN = fresh(scratch, "hn", (N, T, Hd))  # torch: h Wh_nᵀ + bh_n; cho: (r ⊙ h) Wh_nᵀ + bh_n
    RH = fresh(scratch, "rh", (N, T, Hd))  # cho: r ⊙ h_{t-1}
    H = fresh(scratch, "h", (N, T, Hd))
    h, Wh = h0, p["Wh"]
    cho, new = spec.form == "cho", spec.update == "new"
    for t in range(T):
        a = A[:, t]
        if cho:
            a[:, rz] = xw[:, t, rz] + h @ Wh[rz].T + (0.0 if bh is None else bh[rz])
        else:
            hw = h @ Wh.T
            if bh is not None:
                hw += bh
            a[:, rz] = xw[:, t, rz] + hw[:, rz]
        a[:, rz] = r(a[:, rz])
        s, sn = sigmoid_pair(a[:, rz])
        S[:, t, rz], Sneg[:, t, rz] = r(s), sn
        rr, z = S[:, t, :Hd], S[:, t, Hd:2 * Hd]
        if cho:
            RH[:, t] = r(rr * h)
            HN[:, t] = r(RH[:, t] @ Wh[nn].T + (0.0 if bh is None else bh[nn]))
            a[:, nn] = r(xw[:, t, nn] + HN[:, t])
        else:
            HN[:, t] = r(hw[:, nn])
            a[:, nn] = r(xw[:, t, nn] + rr * HN[:, t])
        n = S[:, t, nn] = r(np.tanh(a[:, nn]))
        H[:, t] = h = r((1.0 - z) * h + z * n if new else (1.0 - z) * n + z * h)
    gates = {name: S[:, :, k * Hd:(k + 1) * Hd] for k, name in enumerate(GATES)}
    return output(H, spec), {"a": A, **gates, "h": H, "_s": S, "_sneg": Sneg, "_hn": HN,
                             "_rh": RH, "_x": X, "_h0": h0, "_scratch": scratch}


def through_time(dout, cache, p, spec, r=None):
    """Backward from T to 1: (∂L/∂a every step, the parameters' gradients, the
    intermediates' gradients): everything but ∂L/∂x."""
    r = r or unrounded
    A, S, Sneg, HN, RH, H, X = (cache[k] for k in ("a", "_s", "_sneg", "_hn", "_rh", "h",
                                                    "_x"))
    N, T = A.shape[:2]
    Hd = spec.hidden
    rz, nn = slice(0, 2 * Hd), slice(2 * Hd, 3 * Hd)
    cho, new = spec.form == "cho", spec.update == "new"
    scratch = cache["_scratch"]
    hout = upstream(dout, spec, N, scratch)
    dH, hnext = np.zeros_like(H), np.zeros_like(H)
    dS, dA, dAh = (fresh(scratch, name, A.shape) for name in ("ds", "da", "dah"))
    Hprev = previous(H, cache["_h0"], scratch)
    Wh = p["Wh"]
    dnext = np.zeros((N, Hd))
    for t in range(T - 1, -1, -1):
        rr, z, n = (S[:, t, k * Hd:(k + 1) * Hd] for k in range(3))
        hp = Hprev[:, t]
        hnext[:, t] = dnext
        dh = dH[:, t] = r(hout[:, t] + dnext)
        ds = dS[:, t]
        ds[:, nn] = r(dh * z if new else dh * (1.0 - z))
        ds[:, Hd:2 * Hd] = r(dh * (n - hp) if new else dh * (hp - n))
        da = dA[:, t]
        da[:, nn] = r(tanh_backward(A[:, t, nn], None, None, ds[:, nn], None))
        if cho:
            drh = r(da[:, nn] @ Wh[nn])
            ds[:, :Hd] = r(drh * hp)
        else:
            ds[:, :Hd] = r(da[:, nn] * HN[:, t])
        da[:, rz] = r(ds[:, rz] * S[:, t, rz] * Sneg[:, t, rz])
        dah = dAh[:, t]
        dah[:, rz] = da[:, rz]
        dah[:, nn] = da[:, nn] if cho else r(rr * da[:, nn])
        direct = dh * (1.0 - z) if new else dh * z
        if cho:
            dnext = r(direct + drh * rr + da[:, rz] @ Wh[rz])
        else:
            dnext = r(direct + dah @ Wh)
    dp = summed(dA, X, p, r, "Wx", "b")
    if cho:  # Wh_r, Wh_z multiply h_{t-1}; Wh_n multiplies r ⊙ h_{t-1}
        top = summed(dAh[:, :, rz], Hprev, {}, r, "Wh", "bh")["Wh"]
        low = summed(dAh[:, :, nn], RH, {}, r, "Wh", "bh")["Wh"]
        dp["Wh"] = np.concatenate([top, low])
        if "bh" in p:
            dp["bh"] = r(np.add.reduce(dAh.reshape(N * T, -1), axis=0))
    else:
        dp.update(summed(dAh, Hprev, p, r, "Wh", "bh"))
    gates = {name: dS[:, :, k * Hd:(k + 1) * Hd] for k, name in enumerate(GATES)}
    return dA, dp, {"h": dH, "hout": hout, "hnext": hnext, **gates, "a": dA, "h0": dnext}


def backward(dout, cache, p, spec, r=None):
    dA, dp, inter = through_time(dout, cache, p, spec, r)
    return input_gradient(dA, p, r), dp, inter


def parameter_gradients(dout, cache, p, spec):
    return through_time(dout, cache, p, spec)[1]


KIND = Kind("gru", ("Wx", "Wh", "b", "bh"), forward, backward, None, keeps=True,
            shown=(("a", "steps"), ("r", "steps"), ("z", "steps"), ("n", "steps"),
                   ("h", "steps")),
            follows=follows_from_a, parameter_gradients=parameter_gradients,
            backward_shown=(("h", "steps"), ("hout", "steps"), ("hnext", "steps"),
                            ("n", "steps"), ("z", "steps"), ("r", "steps"), ("a", "steps"),
                            ("h0", "sample")))
