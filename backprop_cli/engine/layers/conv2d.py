"""2-D convolution (torch.nn.Conv2d: a cross-correlation; dilation 1, one group, zero
padding), or a true convolution with `flip` (the kernel turned 180°, as some textbooks
define it).

Shapes: x (N, C·H·W) rows of (C, H, W) maps; W (C', C, kH, kW); b (C',); out
(N, C'·H'·W'). With K = C·kH·kW and P = H'·W' (windows.py):
    cols[n]  (K, P)    every window of x[n] as a column (im2col, from a strided view)
    out[n] = W_k cols[n] + b        W_k (C', K): W as rows, turned 180° with flip
Backward, from dout (N, C'·H'·W'):
    ∂L/∂b   = Σ_n,p dout[n, :, p]
    ∂L/∂W_k = Σ_n dout[n] cols[n]ᵀ    (the correlation of the input with dout)
    ∂L/∂x   = col2im(W_kᵀ dout[n])    (the full convolution of dout with the turned kernel)
cache: "cols". No running statistics.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.layers import Kind
from backprop_cli.engine.layers.windows import Geometry, padded, scatter, view


@dataclass(frozen=True)
class ConvSpec:
    geometry: Geometry  # inp (C, H, W), kernel, stride, padding
    out_channels: int  # C'
    flip: bool = False
    bias: bool = True

    @property
    def inp(self) -> tuple[int, int, int]:
        return self.geometry.inp

    @property
    def out(self) -> tuple[int, int, int]:
        return (self.out_channels, *self.geometry.out_hw)

    @property
    def units(self) -> int:
        return int(np.prod(self.out))

    @property
    def owned(self) -> tuple[str, ...]:
        return ("W", "b") if self.bias else ("W",)


def _kernel(W: np.ndarray, spec: ConvSpec) -> np.ndarray:
    """W as the (C', K) rows that multiply a window's column (turned 180° with flip)."""
    if spec.flip:
        W = W[:, :, ::-1, ::-1]
    return W.reshape(W.shape[0], -1)


def columns(x: np.ndarray, g: Geometry) -> np.ndarray:
    """x (N, C·H·W) -> cols (N, K, P): column p of cols[n] is window p's cells, in W's
    (c, i, j) order."""
    N = x.shape[0]
    win = view(padded(x.reshape(N, *g.inp), g), g)  # (N, C, H', W', kH, kW)
    C, (kH, kW), (Ho, Wo) = g.inp[0], g.kernel, g.out_hw
    return win.transpose(0, 1, 4, 5, 2, 3).reshape(N, C * kH * kW, Ho * Wo)


def forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C'·H'·W'), {"cols"}); r unused (the caller rounds out)."""
    cols = columns(x, spec.geometry)
    out = np.matmul(_kernel(p["W"], spec), cols)  # (N, C', P)
    if "b" in p:
        out += p["b"][:, None]
    return out.reshape(x.shape[0], -1), {"cols": cols}


def backward(dout, cache, p, spec, r=None):
    """dout (N, C'·H'·W') -> (dx (N, C·H·W), {"W", "b"}, {})."""
    g, cols, W = spec.geometry, cache["cols"], p["W"]
    N, K, P = cols.shape
    d = dout.reshape(N, spec.out_channels, P)
    dp = {"W": np.matmul(d, cols.transpose(0, 2, 1)).sum(axis=0).reshape(W.shape)}
    if spec.flip:
        dp["W"] = np.ascontiguousarray(dp["W"][:, :, ::-1, ::-1])
    if "b" in p:
        dp["b"] = d.sum(axis=(0, 2))
    C, (kH, kW), (Ho, Wo) = g.inp[0], g.kernel, g.out_hw
    dcols = np.matmul(_kernel(W, spec).T, d).reshape(N, C, kH, kW, Ho, Wo)
    dx = scatter(lambda i, j: dcols[:, :, i, j], g, N)
    return dx.reshape(N, -1), dp, {}


def _follows(cache, spec):
    return ("cols",)  # x's cells, finite with x


KIND = Kind("conv2d", ("W", "b"), forward, backward, None, (), _follows)
