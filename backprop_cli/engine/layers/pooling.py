"""Max and average pooling (torch.nn.MaxPool2d, AvgPool2d: ceil_mode off, average
pooling counting the zero padding). Shapes: x (N, C·H·W), out (N, C·H'·W') (windows.py);
no parameters, no running statistics.

    max:  out = the window's largest cell (padding −inf); its gradient goes to that cell
          only (the first in row-major order on a tie, as torch), overlapping windows add;
          cache "argmax" (N, C, H', W'): the cell's index i·kW + j in its window
    avg:  out = (Σ window) / (kH·kW); each cell of the window gets dout / (kH·kW)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.functions.activations import masked
from backprop_cli.engine.layers import Kind
from backprop_cli.engine.layers.windows import Geometry, Windowed, padded, scatter


@dataclass(frozen=True)
class PoolSpec(Windowed):
    geometry: Geometry  # inp (C, H, W), kernel (the pool's size), stride, padding

    @property
    def out(self) -> tuple[int, int, int]:
        return (self.geometry.inp[0], *self.geometry.out_hw)


def _cells(x, g: Geometry, fill: float):
    """cell(i, j) -> (N, C, H', W'): cell (i, j) of every window of x (padded by fill), a
    strided view: a pool reads kH·kW of them instead of copying every window."""
    xp = padded(x.reshape(x.shape[0], *g.inp), g, fill)
    return lambda i, j: xp[g.cell(i, j)]


def max_forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C·H'·W'), {"argmax"})."""
    g = spec.geometry
    kH, kW = g.kernel
    cell = _cells(x, g, -np.inf)
    out = cell(0, 0).copy()
    for k in range(1, kH * kW):
        np.maximum(out, cell(k // kW, k % kW), out=out)
    # the first cell equal to the maximum, in row order (torch's choice on a tie): its
    # index is how many cells come before any equal one
    seen = cell(0, 0) == out
    # small integers: a quarter of intp's memory, which a large batch pays for in page faults
    argmax = np.zeros(out.shape, dtype=np.int16 if kH * kW < 2**15 else np.intp)
    for k in range(1, kH * kW):
        np.add(argmax, ~seen, out=argmax)
        seen |= cell(k // kW, k % kW) == out
    return out.reshape(x.shape[0], -1), {"argmax": argmax}


def max_backward(dout, cache, p, spec, r=None):
    """dout (N, C·H'·W') -> (dx, {}, {}): each window's gradient to its largest cell."""
    g, argmax = spec.geometry, cache["argmax"]
    d = dout.reshape(argmax.shape)
    kW = g.kernel[1]
    dx = scatter(lambda i, j: masked(d, argmax == i * kW + j), g, d.shape[0])
    return dx.reshape(dout.shape[0], -1), {}, {}


def avg_forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C·H'·W'), {}): the window's cells summed in row order,
    then divided by kH·kW."""
    g = spec.geometry
    kH, kW = g.kernel
    cell = _cells(x, g, 0.0)
    total = cell(0, 0).copy()
    for k in range(1, kH * kW):
        total += cell(k // kW, k % kW)
    return (total / (kH * kW)).reshape(x.shape[0], -1), {}


def avg_backward(dout, cache, p, spec, r=None):
    """dout (N, C·H'·W') -> (dx, {}, {}): every cell of a window gets dout / (kH·kW)."""
    g = spec.geometry
    kH, kW = g.kernel
    C, (Ho, Wo) = g.inp[0], g.out_hw
    share = dout.reshape(dout.shape[0], C, Ho, Wo) / (kH * kW)
    dx = scatter(lambda i, j: share, g, dout.shape[0])
    return dx.reshape(dout.shape[0], -1), {}, {}


def _follows(cache, spec):
    return tuple(cache)  # indices, or nothing


MAX = Kind("maxpool2d", (), max_forward, max_backward, None, (), _follows)
AVG = Kind("avgpool2d", (), avg_forward, avg_backward, None, (), _follows)
