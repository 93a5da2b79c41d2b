"""The windows of the map kinds (conv2d, the pools) for values with any leading dimensions
(sheets, perturbations) before the engine's rows (N, C·H·W): engine/layers/windows.py's
geometry, and the slips' other ways of placing the windows.

A window (i, j) of the output covers the input's cells (i·sH + u, j·sW + v), u < kH,
v < kW, of the input padded by pH rows and pW columns on each side. Two slips move them:

    shift   (padding-ignored) no padding before the first row and column: window (i, j)
            starts at x's cell (i·sH, j·sW), the 2pH rows and 2pW columns of padding all
            after x (the map keeps its size; the windows run past x's end over the fill)
    unit    (stride-backward) the windows at unit steps, (i + u, j + v): the stride left
            out of the backward pass (the forward pass's windows are the stride's)
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from backprop_cli.engine.layers.windows import Geometry


def maps(rows, shape: tuple):
    """(…, N, C·H·W) -> (…, N, C, H, W)."""
    rows = np.asarray(rows)
    return rows.reshape(rows.shape[:-1] + tuple(shape))


def flat(m):
    """(…, N, C, H, W) -> (…, N, C·H·W)."""
    return m.reshape(m.shape[:-3] + (-1,))


def padded(m, g: Geometry, fill: float = 0.0, shift: bool = False):
    """m (…, C, H, W) with the padding of g (shift: all of it after x)."""
    pH, pW = g.padding
    if not (pH or pW):
        return m
    top, left = (0, 0) if shift else (pH, pW)
    widths = [(0, 0)] * (m.ndim - 2) + [(top, 2 * pH - top), (left, 2 * pW - left)]
    return np.pad(m, widths, constant_values=fill)


def windows(m, g: Geometry, fill: float = 0.0, shift: bool = False, unit: bool = False):
    """Every window of m (…, C, H, W): (…, C, H', W', kH, kW), a read-only view."""
    view = sliding_window_view(padded(m, g, fill, shift), g.kernel, axis=(-2, -1))
    (Ho, Wo), (sH, sW) = g.out_hw, ((1, 1) if unit else g.stride)
    return view[..., :(Ho - 1) * sH + 1:sH, :(Wo - 1) * sW + 1:sW, :, :]


def scatter(parts, g: Geometry, shift: bool = False, unit: bool = False):
    """The adjoint of windows(): parts (…, C, H', W', kH, kW), each window cell's share,
    added into the cells it covers -> (…, C, H, W) (the padding's shares dropped)."""
    C, H, W = g.inp
    (Ho, Wo), (kH, kW), (pH, pW) = g.out_hw, g.kernel, g.padding
    sH, sW = (1, 1) if unit else g.stride
    out = np.zeros(parts.shape[:-5] + (C, H + 2 * pH, W + 2 * pW))
    for i in range(kH):
        for j in range(kW):
            out[..., i:i + sH * (Ho - 1) + 1:sH, j:j + sW * (Wo - 1) + 1:sW] += \
                parts[..., i, j]
    top, left = (0, 0) if shift else (pH, pW)
    return out[..., top:top + H, left:left + W]


def moves(g: Geometry, shift: bool = False, unit: bool = False) -> bool:
    """Whether a slip's windows differ from the right ones (no padding: shift moves
    nothing; stride 1: unit steps are the stride)."""
    return (not shift or any(g.padding)) and (not unit or g.stride != (1, 1))
