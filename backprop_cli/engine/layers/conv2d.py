"""2-D convolution (torch.nn.Conv2d: a cross-correlation; dilation 1, one group, zero
padding), or a true convolution with `flip` (the kernel turned 180°, as some textbooks
define it).

Shapes: x (N, C·H·W) rows of (C, H, W) maps; W (C', C, kH, kW); b (C',); out
(N, C'·H'·W'). With K = C·kH·kW and P = H'·W' (windows.py):
    cols  (K, N·P)     every window of the batch as a column (im2col, from a strided view)
    out = W_k cols + b               W_k (C', K): W as rows, turned 180° with flip
Backward, from dout as d (C', N·P):
    ∂L/∂b   = Σ_columns d
    ∂L/∂W_k = d colsᵀ                 (the correlation of the input with dout)
    ∂L/∂x   = col2im(W_kᵀ d)          (the full convolution of dout with the turned kernel)
cache: "cols". No running statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.layers import Kind
from backprop_cli.engine.layers.windows import Geometry, Windowed, padded, scatter, view


@dataclass(frozen=True)
class ConvSpec(Windowed):
    geometry: Geometry  # inp (C, H, W), kernel, stride, padding
    out_channels: int  # C'
    flip: bool = False
    bias: bool = True

    @property
    def out(self) -> tuple[int, int, int]:
        return (self.out_channels, *self.geometry.out_hw)

    @property
    def owned(self) -> tuple[str, ...]:
        return ("W", "b") if self.bias else ("W",)


def _kernel(W: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """W as the (C', K) rows that multiply a window's column (turned 180° with flip)."""
    if spec.flip:
        W = W[:, :, ::-1, ::-1]
    return W.reshape(W.shape[0], -1)


def columns(x: np.ndarray, g: Geometry) -> np.ndarray:
    """x (N, C·H·W) -> cols (K, N·P): column (n, p) is sample n's window p, its cells in
    W's (c, i, j) order. One matrix for the whole batch: one product per pass."""
    N = x.shape[0]
    win = view(padded(x.reshape(N, *g.inp), g), g)  # (N, C, H', W', kH, kW)
    C, (kH, kW), (Ho, Wo) = g.inp[0], g.kernel, g.out_hw
    return win.transpose(1, 4, 5, 0, 2, 3).reshape(C * kH * kW, N * Ho * Wo)


def forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C'·H'·W'), {"cols"}); r unused (the caller rounds out)."""
    cols = columns(x, spec.geometry)
    out = _kernel(p["W"], spec) @ cols  # (C', N·P)
    if "b" in p:
        out += p["b"][:, None]
    N = x.shape[0]
    return out.reshape(spec.out_channels, N, -1).transpose(1, 0, 2).reshape(N, -1), \
        {"cols": cols}


def _upstream(dout, spec) -> np.ndarray:
    """dout (N, C'·P) as (C', N·P), the columns' order."""
    N = dout.shape[0]
    return dout.reshape(N, spec.out_channels, -1).transpose(1, 0, 2).reshape(
        spec.out_channels, -1)


def parameter_gradients(dout, cache, p, spec, d=None) -> dict:
    """∂L/∂W (W's shape) and ∂L/∂b: what the first layer's backward pass is for in the
    training loop, which never reads ∂L/∂x."""
    d = _upstream(dout, spec) if d is None else d
    dW = (d @ cache["cols"].T).reshape(p["W"].shape)
    dp = {"W": np.ascontiguousarray(dW[:, :, ::-1, ::-1]) if spec.flip else dW}
    if "b" in p:
        dp["b"] = d.sum(axis=1)
    return dp


def backward(dout, cache, p, spec, r=None):
    """dout (N, C'·H'·W') -> (dx (N, C·H·W), {"W", "b"}, {})."""
    g, N = spec.geometry, dout.shape[0]
    d = _upstream(dout, spec)
    dp = parameter_gradients(dout, cache, p, spec, d)
    C, (kH, kW), (Ho, Wo) = g.inp[0], g.kernel, g.out_hw
    dcols = (_kernel(p["W"], spec).T @ d).reshape(C, kH, kW, N, Ho, Wo)
    dx = scatter(lambda i, j: dcols[:, i, j].transpose(1, 0, 2, 3), g, N)
    return dx.reshape(N, -1), dp, {}


def _follows(cache, spec):
    return ("cols",)  # x's cells, finite with x


KIND = Kind("conv2d", ("W", "b"), forward, backward, None, (), _follows, parameter_gradients)
