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

from backprop_cli.engine.layers import Kind
from backprop_cli.engine.layers.windows import Geometry, padded, scatter, view


@dataclass(frozen=True)
class PoolSpec:
    geometry: Geometry  # inp (C, H, W), kernel (the pool's size), stride, padding

    @property
    def inp(self) -> tuple[int, int, int]:
        return self.geometry.inp

    @property
    def out(self) -> tuple[int, int, int]:
        return (self.geometry.inp[0], *self.geometry.out_hw)

    @property
    def units(self) -> int:
        return int(np.prod(self.out))

    owned = ()


def _windows(x, g: Geometry, fill: float):
    N = x.shape[0]
    (Ho, Wo), (kH, kW) = g.out_hw, g.kernel
    win = view(padded(x.reshape(N, *g.inp), g, fill), g)
    return win.reshape(N, g.inp[0], Ho, Wo, kH * kW)  # a copy when windows overlap or skip


def max_forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C·H'·W'), {"argmax"})."""
    cells = _windows(x, spec.geometry, -np.inf)
    argmax = cells.argmax(axis=-1)
    out = np.take_along_axis(cells, argmax[..., None], axis=-1)
    return out.reshape(x.shape[0], -1), {"argmax": argmax}


def max_backward(dout, cache, p, spec, r=None):
    """dout (N, C·H'·W') -> (dx, {}, {}): each window's gradient to its largest cell."""
    g, argmax = spec.geometry, cache["argmax"]
    d = dout.reshape(argmax.shape)
    kW = g.kernel[1]
    zero = np.zeros_like(d)
    dx = scatter(lambda i, j: np.where(argmax == i * kW + j, d, zero), g, d.shape[0])
    return dx.reshape(dout.shape[0], -1), {}, {}


def avg_forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C·H'·W'), {})."""
    kH, kW = spec.geometry.kernel
    cells = _windows(x, spec.geometry, 0.0)
    return (cells.sum(axis=-1) / (kH * kW)).reshape(x.shape[0], -1), {}


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
