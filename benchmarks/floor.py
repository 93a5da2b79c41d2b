"""The floor under any numpy engine: a training step's matrix products alone, in numpy,
the same shapes, into preallocated buffers.

    python floor.py PROBLEM.json STEPS      (goal 2 with --threads 1 times it as a child)

Per dense layer: forward h W^T; backward dA^T h (dW) and dA W (dL/dh of the layer below),
but no dL/dx, which neither side's training computes. A batch norm or dropout layer keeps
its input's width and adds no product. A conv2d layer is the same three products on its
im2col matrix (one row per output pixel of the batch, C_in·kH·kW columns) and its kernel
as a (C_out, C_in·kH·kW) matrix: forward cols W^T, backward dA^T cols (dW) and dA W
(d cols, what col2im folds back into dL/dh of the layer below; again not below the first
layer with weights). im2col, col2im, pools and flatten are no products: they are not in
the floor. A recurrent layer (rnn, lstm, gru; G gates of H units stacked) is x_t Wx^T for
every step as one (N·T, D) product, h_{t-1} Wh^T at each of the T steps forward and
dA_t Wh at each step backward, and dA^T X, dA^T H_prev (dWx, dWh) over all steps at once.
numpy only, so the child loads the same BLAS as ours and nothing else.
"""

from __future__ import annotations

import json
import sys

import numpy as np

MAPS = ("conv2d", "maxpool2d", "avgpool2d")
RECURRENT = ("rnn", "lstm", "gru")


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _input_shape(doc: dict) -> tuple[int, ...]:
    """x's shape as the first layer reads it: (N, C, H, W) for maps, else (N, n)."""
    shape = np.shape(doc["x"])
    if doc["layers"][0].get("kind", "dense") in RECURRENT:
        return shape if len(shape) == 3 else (1, *shape)
    if doc["layers"][0].get("kind", "dense") not in MAPS:
        return shape if len(shape) == 2 else (1, *shape)
    if len(shape) == 2:
        return (1, 1, *shape)
    n, *rest = shape if len(shape) == 4 else (1, *shape)
    if doc.get("channels", "first") == "last":
        return (n, rest[2], rest[0], rest[1])
    return (n, *rest)


def _conv_matrix(layer: dict, last: bool) -> np.ndarray:
    """The kernel as (C_out, C_in·kH·kW)."""
    w = np.asarray(layer["weights"], dtype=np.float64)
    if last:
        w = w.transpose(3, 2, 0, 1)
    return np.ascontiguousarray(w.reshape(w.shape[0], -1))


def _after(layer: dict, shape: tuple[int, ...], last: bool) -> tuple[int, ...]:
    """A map layer's (or flatten's) output shape, (N, C, H, W) or (N, n)."""
    kind = layer.get("kind", "dense")
    if kind == "flatten":
        return (shape[0], int(np.prod(shape[1:])))
    n, c, height, width = shape
    if kind == "conv2d":
        w = np.shape(layer["weights"])
        c, (kh, kw) = (w[3], w[:2]) if last else (w[0], w[2:])
        stride = layer.get("stride", 1)
    else:
        kh, kw = _pair(layer["size"])
        stride = layer.get("stride", layer["size"])
    (sh, sw), (ph, pw) = _pair(stride), _pair(layer.get("padding", 0))
    return (n, c, (height + 2 * ph - kh) // sh + 1, (width + 2 * pw - kw) // sw + 1)


def _recurrent(layer: dict, shape, first: bool, forward: list, backward: list, rng):
    """A recurrent layer's products on x (N, T, D); (forward, backward, what comes next
    reads: h_T (N, H), or every step as (N·T, H) rows with output all)."""
    n, steps, d = shape
    wx, wh = (np.asarray(layer[k], dtype=np.float64) for k in ("wx", "wh"))
    gh, hidden = wh.shape
    x = rng.random((n * steps, d))
    hs = rng.random((steps, n, hidden))  # h_{t-1}, step by step
    a, da = np.empty((n * steps, gh)), np.empty((steps, n, gh))
    dh = np.empty((n, hidden))
    step_fwd = [(hs[t], wh.T, da[t]) for t in range(steps)]  # stands in for a_t's buffer
    forward = [*forward, (x, wx.T, a), *step_fwd]
    step_bwd = [(da[t], wh, dh) for t in range(steps - 1, -1, -1)]
    rows, hprev = da.reshape(-1, gh), hs.reshape(-1, hidden)
    sums = [(rows.T, x, np.empty_like(wx)), (rows.T, hprev, np.empty_like(wh))]
    if not first:
        sums.append((rows, wx, np.empty_like(x)))  # dL/dx_t, all steps
    last = layer.get("output", "last") == "last"
    h = rng.random((n, hidden) if last else (n * steps, hidden))
    return forward, [*step_bwd, *sums, *backward], h


def products(doc: dict):
    """A function that runs one step's products, for a problem document (x, the shapes of
    its layers, the weights of its dense and conv2d layers)."""
    rng = np.random.default_rng(0)
    last = doc.get("channels", "first") == "last"
    shape = _input_shape(doc)
    x = np.asarray(doc["x"], dtype=np.float64).reshape(shape[0], -1)  # dense inputs' h
    forward, backward = [], []  # (a, b, out): np.matmul(a, b, out=out)
    h, first = x, True
    for layer in doc["layers"]:
        kind = layer.get("kind", "dense")
        if kind == "conv2d":
            w = _conv_matrix(layer, last)
            out = _after(layer, shape, last)
            pixels = out[0] * out[2] * out[3]
            cols = rng.random((pixels, w.shape[1]))  # im2col of the layer's input
            a = np.empty((pixels, w.shape[0]))
            forward.append((cols, w.T, a))
            step = [(a.T, cols, np.empty_like(w))]  # dA^T cols
            if not first:
                step.append((a, w, np.empty_like(cols)))  # dA W: d cols
            backward[:0] = step
            shape, first = out, False
            h = rng.random((out[0], int(np.prod(out[1:]))))  # whatever comes next reads
        elif kind in RECURRENT:
            forward, backward, h = _recurrent(layer, shape, first, forward, backward, rng)
            shape, first = h.shape, False
        elif kind in MAPS or kind == "flatten":
            shape = _after(layer, shape, last)
            h = rng.random((shape[0], int(np.prod(shape[1:]))))
        elif "weights" in layer and kind == "dense":
            w = np.asarray(layer["weights"], dtype=np.float64)
            a = np.empty((h.shape[0], w.shape[0]))
            forward.append((h, w.T, a))
            step = [(a.T, h, np.empty_like(w))]  # stands in for dA^T h
            if not first:
                step.append((a, w, np.empty_like(h)))  # dA W
            backward[:0] = step
            h, shape, first = a, a.shape, False
    ops = forward + backward

    def step() -> None:
        for a, b, out in ops:
            np.matmul(a, b, out=out)
    return step


def main(path: str, steps: int) -> None:
    with open(path, encoding="utf-8") as f:
        step = products(json.load(f))
    for _ in range(steps):
        step()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
