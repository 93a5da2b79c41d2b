"""Max and average pooling in the marking graph (engine/layers/pooling.py computes the
same), no parameters:

    max  a{l} = each window's largest cell (padding −inf), from h_{l−1} (x)
         ∂L/∂h_{l−1}: each window's δ to its largest cell of the person's own h_{l−1}
         (the first in row-major order on a tie, as torch), overlapping windows adding
    avg  a{l} = Σ window / (kH·kW) (padding 0, counted)
         ∂L/∂h_{l−1}: every cell of a window gets δ / (kH·kW)

The slips' forms (engine/slips/maps.py): `shift` the windows placed without the padding
before x (padding-ignored); `spread` a max pool's δ given to every cell of its window
("every") or shared among them ("average") (maxpool-gradient-spread); `divide` False:
an average pool without its 1/(kH·kW) (avgpool-no-divide); `unit` the backward pass's
windows at unit steps (stride-backward, average pooling).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.grading.layers import GradedKind, on_input, spec
from backprop_cli.engine.grading.layers.windows import maps, moves, scatter, windows


def _cells(h, s, fill: float, shift: bool):
    """(…, N, C, H', W', kH·kW): each window's cells in row-major order."""
    win = windows(maps(h, s.inp), s.geometry, fill, shift)
    return win.reshape(win.shape[:-2] + (-1,))


def _rows(m):
    """(…, N, C, H', W') -> (…, N, C·H'·W')."""
    return m.reshape(m.shape[:-3] + (-1,))


def _scatter(shares, s, shift=False, unit=False):
    """shares (…, N, C, H', W', kH·kW) into ∂L/∂h_{l−1} (…, N, C·H·W)."""
    dx = scatter(shares.reshape(shares.shape[:-1] + s.geometry.kernel), s.geometry, shift,
                 unit)
    return dx.reshape(dx.shape[:-3] + (-1,))


def _count(s) -> int:
    kH, kW = s.geometry.kernel
    return kH * kW


def forward_nodes(ctx, l: int) -> list:
    return []


def backward_nodes(ctx, l: int) -> list:
    return []


# ------------------------------------------------------------------ max pooling


def maximum(h, s, shift=False):
    return _rows(_cells(h, s, -np.inf, shift).max(axis=-1))


def _largest_spread(v, w, s, shift):
    """The uncertainty of each window's maximum: that of its largest cell (the largest
    such on a tie)."""
    cells = _cells(v[0], s, -np.inf, shift)
    top = cells == cells.max(axis=-1, keepdims=True)
    return _rows(np.where(top, _cells(w[0], s, 0.0, shift), 0.0).max(axis=-1))


def max_output(shift=False):
    def factory(ctx, node):
        l, s = node.layer, spec(ctx, node.layer)
        if not moves(s.geometry, shift):
            return None
        return on_input(ctx, l, (), lambda h: maximum(h, s, shift),
                        spread=lambda v, w: _largest_spread(v, w, s, shift))
    return factory


def routed(h, da, s, shift=False, spread=None):
    """∂L/∂h_{l−1} of a max pool: each window's δ to its largest cell of h; spread
    "every": to each of its cells, "average": δ / (kH·kW) to each."""
    d = maps(da, s.out)[..., None]  # (…, N, C, H', W', 1)
    k = _count(s)
    if spread == "every":
        shares = np.broadcast_to(d, d.shape[:-1] + (k,))
    elif spread == "average":
        shares = np.broadcast_to(d / k, d.shape[:-1] + (k,))
    else:
        first = _cells(h, s, -np.inf, shift).argmax(axis=-1)[..., None]
        shares = np.where(np.arange(k) == first, d, 0.0)
    return _scatter(shares, s, shift)


def max_input_gradient(shift=False, spread=None):
    """∂L/∂h_{l−1}'s factory (node layer l − 1): from ∂L/∂a_l and h_{l−1}, whose largest
    cells take the gradient (linear in δ: its spread routes δ's uncertainty the same way;
    a rounding of h that keeps each window's largest cell moves nothing)."""
    def factory(ctx, node):
        l = node.layer + 1
        s = spec(ctx, l)
        if not moves(s.geometry, shift) or (spread and _count(s) == 1):
            return None
        return on_input(ctx, l, (f"da{l}",), lambda h, da: routed(h, da, s, shift, spread),
                        spread=lambda v, w: routed(v[0], w[1], s, shift, spread))
    return factory


# -------------------------------------------------------------- average pooling


def average(h, s, shift=False, divide=True):
    total = _cells(h, s, 0.0, shift).sum(axis=-1)
    return _rows(total / _count(s) if divide else total)


def avg_output(shift=False, divide=True):
    def factory(ctx, node):
        l, s = node.layer, spec(ctx, node.layer)
        if not moves(s.geometry, shift) or (not divide and _count(s) == 1):
            return None
        return on_input(ctx, l, (), lambda h: average(h, s, shift, divide),
                        spread=lambda v, w: average(w[0], s, shift, divide))
    return factory


def shared(da, s, shift=False, divide=True, unit=False):
    """∂L/∂h_{l−1} of an average pool: δ / (kH·kW) to every cell of its window."""
    d = maps(da, s.out)[..., None]
    k = _count(s)
    return _scatter(np.broadcast_to(d / k if divide else d, d.shape[:-1] + (k,)), s, shift,
                    unit)


def avg_input_gradient(shift=False, divide=True, unit=False):
    def factory(ctx, node):
        l = node.layer + 1
        s = spec(ctx, l)
        if not moves(s.geometry, shift, unit) or (not divide and _count(s) == 1):
            return None
        return Rule((f"da{l}",), lambda da: shared(da, s, shift, divide, unit),
                    spread=lambda v, w: shared(w[0], s, shift, divide, unit))
    return factory


def max_run(ctx, l: int, h, params: dict, shift: bool = False):
    return maximum(h, spec(ctx, l), shift)


def avg_run(ctx, l: int, h, params: dict, shift: bool = False, divide: bool = True):
    return average(h, spec(ctx, l), shift, divide)


def exact(node, sol):
    return None


MAX = GradedKind(forward_nodes, "a_maxpool", backward_nodes, "dh_maxpool",
                 {"a_maxpool": max_output(), "dh_maxpool": max_input_gradient()}, max_run,
                 exact)
AVG = GradedKind(forward_nodes, "a_avgpool", backward_nodes, "dh_avgpool",
                 {"a_avgpool": avg_output(), "dh_avgpool": avg_input_gradient()}, avg_run,
                 exact)
