"""Losses: each value next to its gradients, and their records (LOSSES).

Per sample: value(a, h, y, saved) -> (N,), grad_h(a, h, y) -> (N, K) of that per-sample
loss; saved is what the output activation's forward kept (None: recomputed from a).
grad_a, where a loss has one, is the fused derivative through its required output
activation: exact where the chain rule through a saturated h would give 0 * inf.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from backprop_cli.engine.functions.activations import _row_sums, log_softmax, softplus


def _safe_div(num, den):
    """num / den, with 0 where num == 0 (the 0 * log 0 = 0 convention), inf elsewhere."""
    out = np.zeros(np.broadcast_shapes(num.shape, den.shape))
    nz = num != 0
    with np.errstate(divide="ignore"):
        np.divide(num, den, out=out, where=nz)
    return out


def cross_entropy(a, h, y, saved=None):
    return -np.add.reduce(y * (log_softmax(a) if saved is None else saved), axis=-1)


def cross_entropy_grad_h(a, h, y):
    return -_safe_div(y, h)


def cross_entropy_grad_a(a, h, y):
    # softmax(a) * sum(y) - y: also right for soft targets that do not sum to 1
    return h * _row_sums(y) - y


def mse(a, h, y, saved=None):
    d = h - y
    return (d * d).mean(axis=-1)


def mse_grad_h(a, h, y):
    return 2.0 * (h - y) / h.shape[-1]


def sse_half(a, h, y, saved=None):
    d = h - y
    return 0.5 * (d * d).sum(axis=-1)


def sse_half_grad_h(a, h, y):
    return h - y


def bce(a, h, y, saved=None):
    # -[y log s(a) + (1-y) log(1-s(a))] = y softplus(-a) + (1-y) softplus(a): no log(0),
    # no cancellation when y is 0 or 1.
    return (y * softplus(-a) + (1.0 - y) * softplus(a)).mean(axis=-1)


def bce_grad_h(a, h, y):
    return (-_safe_div(y, h) + _safe_div(1.0 - y, 1.0 - h)) / h.shape[-1]


def bce_grad_a(a, h, y):
    return (h - y) / h.shape[-1]


def upstream(a, h, y, saved=None):
    # L = Σ y ⊙ ŷ: y is the upstream gradient ∂L/∂ŷ a unit-test exercise gives ("dout")
    return np.add.reduce(y * h, axis=-1)


def upstream_grad_h(a, h, y):
    return y + 0.0  # a new array: the caller may write into it


class Loss(NamedTuple):
    value: Callable
    grad_h: Callable
    grad_a: Callable | None
    output: str | None  # the output activation it requires
    # (one sample's loss, its ∂L/∂ŷ without the 1/K and batch factors) in TeX, with
    # `$yhat` and `$y` where the worked solutions write one output's prediction and target
    tex: tuple = ()


LOSSES: dict[str, Loss] = {
    "cross_entropy": Loss(cross_entropy, cross_entropy_grad_h, cross_entropy_grad_a, "softmax",
                          (r"-\sum_k $y \log $yhat", r"-\frac{$y}{$yhat}")),
    "mse": Loss(mse, mse_grad_h, None, None,
                (r"\frac{1}{K} \sum_k ($yhat - $y)^2", r"($yhat - $y)")),
    "sse_half": Loss(sse_half, sse_half_grad_h, None, None,
                     (r"\frac{1}{2} \sum_k ($yhat - $y)^2", r"($yhat - $y)")),
    "bce": Loss(bce, bce_grad_h, bce_grad_a, "sigmoid",
                (r"-\frac{1}{K} \sum_k \bigl[$y \log $yhat + (1 - $y) \log(1 - $yhat)\bigr]",
                 r"\left(\frac{1 - $y}{1 - $yhat} - \frac{$y}{$yhat}\right)")),
    "upstream": Loss(upstream, upstream_grad_h, None, None,
                     (r"\sum_k $y \, $yhat", r"$y")),
}

REDUCTIONS = ("mean", "sum")
