"""What the engine computes with and what it returns: the network's shape (Model,
LayerSpec) and frozen result records. Arrays are float64, one row per sample:
    h[0] = x            (N, n_0)
    a[l] = h[l-1] W_l^T + b_l     W_l (n_l, n_{l-1}), b_l (n_l,)   (torch.nn.Linear)
    h[l] = f_l(a[l])    (N, n_l)
Parameters live in a dict {"W1": ..., "b1": ..., ...}, always in this out_in layout; the
problem package transposes for files written in_out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES


@dataclass(frozen=True)
class LayerSpec:
    activation: str
    param: float | None = None  # leaky_relu's slope / elu's alpha
    bias: bool = True
    frozen: frozenset = frozenset()  # subset of {"weights", "bias"}

    def __post_init__(self):
        if self.param is None:  # the activation's default slope/alpha
            object.__setattr__(self, "param", ACTIVATIONS[self.activation].default)


class Step(NamedTuple):
    """What computing layer l needs, looked up once per model rather than once per step."""

    W: str  # "W{l}"
    b: str | None  # "b{l}", None without a bias
    forward: object  # the activation's (a, p) -> (h, saved)
    backward: object  # its (a, h, saved, dh, p) -> da
    param: float | None
    contracts: bool  # |f'| <= 1: a finite dh gives a finite da
    grows: bool  # a finite a can give an infinite h (|f(a)| / |a| > 1: a steep leaky_relu)


@dataclass(frozen=True)
class Model:
    layers: tuple[LayerSpec, ...]
    loss: str
    reduction: str = "mean"

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        steps = []
        for l, spec in enumerate(self.layers, 1):
            act = ACTIVATIONS[spec.activation]
            steps.append(Step(f"W{l}", f"b{l}" if spec.bias else None, act.forward,
                              act.backward, spec.param, act.slope(spec.param) <= 1.0,
                              act.gain(spec.param) > 1.0))
        return tuple(steps)

    @cached_property
    def trainable(self) -> frozenset:
        return frozenset(self.trainable_names())

    def parameter_names(self) -> list[str]:
        names = []
        for l, spec in enumerate(self.layers, 1):
            names.append(f"W{l}")
            if spec.bias:
                names.append(f"b{l}")
        return names

    def trainable_names(self) -> list[str]:
        names = []
        for l, spec in enumerate(self.layers, 1):
            if "weights" not in spec.frozen:
                names.append(f"W{l}")
            if spec.bias and "bias" not in spec.frozen:
                names.append(f"b{l}")
        return names


@dataclass(frozen=True)
class Inputs:
    """What the engine computes from: the network, its parameters (by name, out_in
    layout), a batch x (N, n_0) with its targets y (N, n_L), and the optimizer's name,
    settings (every one, defaults filled in) and state (by parameter name)."""
    model: Model
    params: dict
    x: np.ndarray
    y: np.ndarray
    optimizer: str
    hyper: dict
    state: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return len(self.model.layers)

    @property
    def fused(self) -> bool:
        """∂L/∂a_L comes from ŷ and y directly (softmax + cross-entropy, sigmoid + BCE)."""
        return LOSSES[self.model.loss].grad_a is not None

    @property
    def scale(self) -> float:
        """The loss's factor per sample: 1/N for a mean, 1 for a sum."""
        return 1.0 if self.model.reduction == "sum" else 1.0 / self.x.shape[0]

    def units(self, l: int) -> int:
        """n_l: the width of h_l (h_0 = x)."""
        return self.x.shape[1] if l == 0 else self.params[f"W{l}"].shape[0]


@dataclass(frozen=True)
class Forward:
    a: tuple[np.ndarray, ...]  # a[l-1] is a_l, (N, n_l)
    h: tuple[np.ndarray, ...]  # h[0] is x, h[l] is h_l
    saved: tuple  # saved[l-1]: what layer l's activation keeps for backward (or None)
    loss: float


@dataclass(frozen=True)
class Gradients:
    a: tuple[np.ndarray, ...]  # dL/da_l, index l-1
    h: tuple  # dL/dh_l, index l-1; h_L's may hold inf where h saturated (None in training)
    params: dict  # dL/dW_l, dL/db_l by name


@dataclass(frozen=True)
class Update:
    optimizer: str
    hyper: dict
    params: dict  # every parameter after the update (frozen ones unchanged)
    state: dict  # optimizer state after the update, by parameter name
    loss: float  # the loss the updated parameters give


@dataclass(frozen=True)
class Solution:
    forward: Forward
    gradients: Gradients
    update: Update


@dataclass(frozen=True)
class Training:
    losses: tuple[float, ...]  # before each step and after the last: steps + 1 values
    params: dict
    state: dict


def count_parameters(params: dict, names) -> int:
    return int(sum(params[n].size for n in names))
