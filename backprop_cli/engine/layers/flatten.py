"""Flatten (torch.nn.Flatten): a (C, H, W) map per sample into one row for the dense
layers after it. The engine already holds maps as rows in (C, H, W) order, so with
channels first it changes nothing; with channels last (Keras, TensorFlow) the row is in
(H, W, C) order, and the backward pass puts the gradient back in (C, H, W) order."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.layers import Kind


@dataclass(frozen=True)
class FlattenSpec:
    inp: tuple[int, int, int]  # (C, H, W)
    order: str = "first"  # "last": rows in (H, W, C) order

    out = None  # a row, not a map

    @property
    def units(self) -> int:
        return int(np.prod(self.inp))


def forward(x, p, spec, r=None):
    """x (N, C·H·W) -> (out (N, C·H·W), {})."""
    if spec.order == "first":
        return x.copy(), {}
    N = x.shape[0]
    return x.reshape(N, *spec.inp).transpose(0, 2, 3, 1).reshape(N, -1), {}


def backward(dout, cache, p, spec, r=None):
    """dout (N, C·H·W) in the row's order -> (dx in (C, H, W) order, {}, {})."""
    if spec.order == "first":
        return dout.copy(), {}, {}
    N, (C, H, W) = dout.shape[0], spec.inp
    return dout.reshape(N, H, W, C).transpose(0, 3, 1, 2).reshape(N, -1), {}, {}


KIND = Kind("flatten", (), forward, backward, None)
