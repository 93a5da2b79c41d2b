"""Dropout with a given mask (torch.nn.Dropout, the mask drawn by the person or the file).

Shapes: x, out, dout, mask (N, n). keep = 1 − p is the probability of keeping a unit.

    train:  out = x ⊙ mask · scale    scale = 1/keep (inverted, torch's default) or 1 (none)
    eval:   out = x                   the identity: mask all ones, scale 1

cache: "mask" (the mask that acted: all ones in eval mode), "scale". Backward:
∂L/∂x = ∂L/∂out ⊙ mask · scale: the units dropped forward pass no gradient back. No
parameters and no running statistics.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from backprop_cli.engine.layers import Kind

MODES, SCALES = ("train", "eval"), ("inverted", "none")


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value
class DropoutSpec:
    mask: np.ndarray  # (N, n) of 0/1: 1 keeps the unit; stored as float64
    keep: float  # 1 − p
    scale: str = "inverted"
    mode: str = "train"

    def __post_init__(self):
        if self.mode not in MODES or self.scale not in SCALES:
            raise ValueError(f"dropout: mode {self.mode!r}, scale {self.scale!r}")
        object.__setattr__(self, "mask", np.asarray(self.mask, dtype=np.float64))

    @property
    def factor(self) -> float:
        """The train mode's scale: 1/keep (inverted) or 1."""
        return 1.0 / self.keep if self.scale == "inverted" else 1.0

    @cached_property
    def scaled(self) -> np.ndarray:
        """mask · scale, made once for every pass that uses this mask (the same bits)."""
        return self.mask * self.factor


def forward(x, p, spec, r=None):
    """x (N, n) -> (out (N, n), cache {"mask", "scale"}); r unused: no intermediates (the
    caller rounds out)."""
    if spec.mode == "eval":
        return x.copy(), {"mask": np.ones_like(x), "scale": 1.0}
    # x ⊙ (mask · scale): torch's nn.Dropout scales the mask first, so the same bits
    return x * spec.scaled, {"mask": spec.mask, "scale": spec.factor}


def backward(dout, cache, p, spec, r=None):
    """dout (N, n) -> (dx (N, n), {}, {}): the forward pass's mask · scale again."""
    if spec.mode == "eval":
        return dout.copy(), {}, {}
    return dout * spec.scaled, {}, {}


KIND = Kind("dropout", (), forward, backward, None, (("mask", "sample"), ("scale", "number")))
