"""Reductions: sums, means, the largest or smallest entry, the norm. Each forward rule
next to its vector-Jacobian product and the rule as the tables state it.

axis None reduces every entry to a scalar; axis k (negative from the end) removes that
dimension, as NumPy's and torch's do without keepdims. Ties of max and min split the
gradient evenly among the tied entries, as torch.max(x) and torch.amax(x, dim) do
(torch.max(x, dim) gives it to the first one instead).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.ops.domain import axis_of, overflow, shape


def _back(g, a, axis):
    """g (the reduced shape) as an array of a's shape, copied along the reduced axis."""
    g = np.asarray(g, dtype=float)
    return np.broadcast_to(g if axis is None else np.expand_dims(g, axis), a.shape)


def _sum(a, axis=None):
    axis = axis_of(a, axis, "sum")
    return overflow(np.sum(a, axis=axis), f"the sum of a {shape(a)} array"), None


def _sum_vjp(g, value, a, axis=None):
    return (_back(g, a, axis_of(a, axis, "sum")).copy(),)


def _sum_rule(i, a, d, ndims, out, axis=None):
    return f"{d}, copied to every entry" if axis is None else \
        f"{d}, copied along axis {axis}"


def _mean(a, axis=None):
    axis = axis_of(a, axis, "mean")
    # the sum inside overflows first: mean([1e308, 1e308]) is inf in NumPy and torch
    return overflow(np.mean(a, axis=axis), f"the mean of a {shape(a)} array"), None


def _count(a, axis):
    return a.size if axis is None else a.shape[axis]


def _mean_vjp(g, value, a, axis=None):
    axis = axis_of(a, axis, "mean")
    return (_back(g, a, axis) / _count(a, axis),)


def _mean_rule(i, a, d, ndims, out, axis=None):
    where = "every entry" if axis is None else f"along axis {axis}"
    return f"{d} / n, copied to {where}" if axis is None else f"{d} / n, copied {where}"


def _extreme(name, pick):
    def forward(a, axis=None):
        return pick(a, axis=axis_of(a, axis, name)), None

    def vjp(g, value, a, axis=None):
        axis = axis_of(a, axis, name)
        hit = a == _back(value, a, axis)  # every entry that ties for the extreme
        count = np.sum(hit, axis=axis, keepdims=axis is not None)
        return (np.where(hit, _back(g, a, axis) / count, 0.0),)

    def rule(i, a, d, ndims, out, axis=None):
        which = "largest" if name == "max" else "smallest"
        return f"{d} at the {which} entry" + ("" if axis is None else f" along axis {axis}") \
            + ", split evenly among ties; 0 elsewhere"

    return forward, vjp, rule


def _norm(a):
    squares = overflow(np.sum(a * a), f"the norm of a {shape(a)} array")
    return np.sqrt(squares), None


def _norm_vjp(g, value, a):
    # torch: 0 at the zero vector, where the norm has no derivative
    return (np.zeros_like(a) if value == 0 else g * a / value,)


def _norm_rule(i, a, d, ndims, out):
    return f"{d} · {a[0]} / ‖{a[0]}‖"
