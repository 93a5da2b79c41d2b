"""bounds.py through the map layers: conv2d, maxpool2d, avgpool2d and flatten, with the
engine's own window code run on magnitudes (|h|, |W|, E(h)), maps held as rows.

How torch may sum: a convolution is a dot product of K = C_in·kH·kW terms per output
(oneDNN's direct convolution, or im2col and a GEMM), its gradients sums over the batch
and the windows. Either path may split a sum into m stages: partial sums of n terms in
float32, each rounded to the dtype and added to the running total (the im2col path's
col2im, or ∂L/∂W accumulated sample by sample). chained(n, m) bounds every such order
relative to Σ|terms|, and one float32 sum of n·m terms too:

    chained(n, m) = ((1 + γ_{n+1})·(1 + u))^m − 1

A max pool is exact, but torch sends each window's gradient to its own largest cell:
where a window's cells lie within their bounds of its largest (h_j + E_j >= max(h − E)),
torch may pick any of them, and each such cell's gradient is off by up to |δ| + E(δ).
Not covered: Winograd or FFT convolutions (NNPACK, cuDNN) and cuDNN's TF32, which
torch_run.uncovered refuses.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers import KINDS
from backprop_cli.engine.layers.conv2d import columns
from backprop_cli.engine.layers.windows import padded, scatter, view


def chained(pr, n: int, m: int) -> float:
    """m stages of a float32 sum of n terms plus the running total, each rounded to the
    dtype: the error relative to Σ|terms| (one float32 sum of n·m terms is within it)."""
    return float(((1.0 + pr.gamma(n + 1)) * (1.0 + pr.u)) ** m - 1.0)


def _overlaps(g) -> int:
    """The most windows one input cell is in."""
    (kH, kW), (sH, sW) = g.kernel, g.stride
    return -(-kH // sH) * -(-kW // sW)


def _conv(x, W, b, s):
    p = {"W": W} if b is None else {"W": W, "b": b}
    return KINDS["conv2d"].forward(x, p, s)[0]


def forward(spec, l: int, params: dict, errors: dict, h, E, pr):
    """E(a_l) of a map layer from h_{l−1} and E(h_{l−1}) (rows), its parameters off by
    `errors`."""
    s = spec.settings
    if spec.kind == "flatten":  # a copy (channels first: the same order)
        return E.copy()
    if spec.kind == "maxpool2d":  # max is 1-Lipschitz: the window's largest E
        return KINDS["maxpool2d"].forward(E, {}, s)[0]
    if spec.kind == "avgpool2d":  # a float32 sum of k cells, divided, rounded
        k = int(np.prod(s.geometry.kernel))
        avg = KINDS["avgpool2d"].forward
        return pr.sum(k + 1) * avg(np.abs(h), {}, s)[0] + avg(E, {}, s)[0] + pr.floor(k + 1)
    W, EW = np.abs(params[f"W{l}"]), errors[f"W{l}"]
    b, Eb = (np.abs(params[f"b{l}"]), errors[f"b{l}"]) if spec.bias else (None, None)
    K = int(np.prod(W.shape[1:]))
    size = _conv(np.abs(h), W, b, s)
    products = _conv(np.abs(h), EW, None, s) + _conv(E, W + EW, Eb, s)
    return pr.sum(K + 1) * size + products + pr.floor(K + 1)


def _conv_backward(spec, l, params, h, Eh, da, Eda, pr, out: dict):
    s, g = spec.settings, spec.settings.geometry
    W, (N, P) = np.abs(params[f"W{l}"]), (h.shape[0], int(np.prod(g.out_hw)))
    back = KINDS["conv2d"].backward
    p = {"W": W, "b": np.zeros(W.shape[0])}
    dx_size, dp_size, _ = back(np.abs(da), {"cols": columns(np.abs(h), g)}, p, s)
    dx_err, dp_err, _ = back(Eda, {"cols": columns(np.abs(h) + Eh, g)}, p, s)
    dW_in = back(np.abs(da), {"cols": columns(Eh, g)}, p, s)[1]["W"]
    over = chained(pr, P, N)
    out[f"W{l}"] = over * dp_size["W"] + dp_err["W"] + dW_in + pr.floor(N * P)
    if spec.bias:
        out[f"b{l}"] = over * dp_size["b"] + dp_err["b"] + pr.floor(N * P)
    C_out, m = W.shape[0], _overlaps(g)
    return chained(pr, C_out, m) * dx_size + dx_err + pr.floor(C_out * m)


def _routes(h, E, g):
    """(each window's cells torch may send its gradient to (N, C, H', W', k) — only the
    largest where no other is within the bounds —, whether it may be another)."""
    N, (Ho, Wo), k = h.shape[0], g.out_hw, int(np.prod(g.kernel))

    def cells(v, fill):
        return view(padded(v.reshape(N, *g.inp), g, fill), g).reshape(N, g.inp[0], Ho, Wo, k)

    values, bounds = cells(h, -np.inf), cells(E, 0.0)
    low = (values - bounds).max(axis=-1, keepdims=True)
    near = values + bounds >= low
    largest = np.arange(k) == values.argmax(axis=-1)[..., None]  # the first, as torch
    many = near.sum(axis=-1, keepdims=True) > 1
    return np.where(many, near, largest), many


def _maxpool_backward(spec, h, Eh, da, Eda, pr):
    g = spec.settings.geometry
    route, many = _routes(h, Eh, g)
    shape = route.shape[:-1] + (1,)
    d, Ed = np.abs(da).reshape(shape), Eda.reshape(shape)
    size = route * (d + Ed)
    err = np.where(many, size, route * Ed)
    kW, N = g.kernel[1], h.shape[0]
    spread = [scatter(lambda i, j, a=a: a[..., i * kW + j], g, N).reshape(N, -1)
              for a in (size, err)]
    return spread[1] + chained(pr, 0, _overlaps(g)) * spread[0] + pr.floor(_overlaps(g))


def backward(spec, l: int, params: dict, h, Eh, da, Eda, pr, out: dict):
    """E(∂L/∂h_{l−1}) of a map layer from ∂L/∂a_l and E(∂L/∂a_l); a convolution's E(∂L/∂W_l)
    and E(∂L/∂b_l) into out."""
    s = spec.settings
    if spec.kind == "flatten":
        return Eda.copy()
    if spec.kind == "conv2d":
        return _conv_backward(spec, l, params, h, Eh, da, Eda, pr, out)
    if spec.kind == "maxpool2d":
        return _maxpool_backward(spec, h, Eh, da, Eda, pr)
    back, m = KINDS["avgpool2d"].backward, _overlaps(s.geometry)  # dout / k, summed
    size, err = (back(v, {}, {}, s)[0] for v in (np.abs(da), Eda))
    return chained(pr, 1, m) * size + err + pr.floor(m)
