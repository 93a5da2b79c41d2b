"""What the engine computes with and what it returns: the network's shape (Model,
LayerSpec) and frozen result records. Arrays are float64, one row per sample:
    h[0] = x            (N, n_0)
    a[l] = h[l-1] W_l^T + b_l     W_l (n_l, n_{l-1}), b_l (n_l,)   (torch.nn.Linear)
           (+ h[k] with `residual: k`)
         = kind_l(h[l-1])         another kind (layers/: batch norm, layer norm, dropout,
                                  n_l = n_{l-1}, parameters gamma_l, beta_l (n_l,); conv2d,
                                  W_l (C_l, C_{l-1}, kH, kW), b_l (C_l,); pooling; flatten)
A feature map (C, H, W) is a row of C·H·W numbers in that order: h_l (N, C·H·W).
T steps of D features are a row of T·D numbers (x, an embedding's output); a recurrent
layer (Wx_l, Wh_l, b_l, bh_l, gates stacked) gives h_T (N, H) or, every step, N·T rows
(N·T, H), which the dense layers after it and the loss take as rows.
    h[l] = f_l(a[l])    (N, n_l)
Parameters live in a dict {"W1": ..., "b1": ..., "gamma2": ..., ...}, always in this
out_in layout; the problem package transposes for files written in_out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.engine.layers import KINDS, MAPS, RECURRENT, SEQUENCES

DENSE = "dense"
FROZEN_KEYS = {"weights": "W", "bias": "b", "gamma": "gamma", "beta": "beta",
               "wx": "Wx", "wh": "Wh", "bias_h": "bh", "table": "E"}


@dataclass(frozen=True)
class LayerSpec:
    activation: str
    param: float | None = None  # leaky_relu's slope / elu's alpha
    bias: bool = True
    frozen: frozenset = frozenset()  # subset of {"weights", "bias", "gamma", "beta"}
    kind: str = DENSE  # or a key of layers.KINDS
    settings: object = None  # the kind's frozen settings (layers/: BatchNormSpec, ...)
    residual: int | None = None  # dense only: h_k added to a_l (k = 0: x)

    def __post_init__(self):
        if self.param is None:  # the activation's default slope/alpha
            object.__setattr__(self, "param", ACTIVATIONS[self.activation].default)

    def names(self, l: int) -> list[str]:
        """Layer l's parameters: W{l}, b{l} (dense), gamma{l}, beta{l} (affine norms)."""
        if self.kind == DENSE:
            return [f"W{l}"] + ([f"b{l}"] if self.bias else [])
        if not getattr(self.settings, "affine", True):
            return []
        owned = getattr(self.settings, "owned", KINDS[self.kind].params)  # conv's bias
        return [f"{p}{l}" for p in owned]

    def label(self) -> str:
        """The layer as a header lists it: its activation; another kind's name before it;
        a residual's h_k (x) after it."""
        if self.kind in RECURRENT:
            s = self.settings
            return " ".join([self.kind] + [s.nonlinearity] * (self.kind == "rnn")
                            + [s.form] * (s.form != "torch")
                            + ["(every step)"] * (s.output == "all"))
        if self.kind != DENSE:
            return self.kind if self.activation == "identity" else \
                f"{self.kind} {self.activation}"
        if self.residual is None:
            return self.activation
        return f"{self.activation} + {'x' if self.residual == 0 else f'h{self.residual}'}"

    def trainable(self, l: int) -> list[str]:
        frozen = {f"{FROZEN_KEYS[k]}{l}" for k in self.frozen}
        return [name for name in self.names(l) if name not in frozen]


class Step(NamedTuple):
    """What computing layer l needs, looked up once per model rather than once per step."""

    W: str | None  # "W{l}"; None for another kind
    b: str | None  # "b{l}", None without a bias
    forward: object  # the activation's (a, p) -> (h, saved)
    backward: object  # its (a, h, saved, dh, p) -> da
    param: float | None
    contracts: bool  # |f'| <= 1: a finite dh gives a finite da
    grows: bool  # a finite a can give an infinite h (|f(a)| / |a| > 1: a steep leaky_relu)
    kind: object = None  # layers.Kind of a layer that is not dense
    settings: object = None  # its settings
    params: dict = {}  # its parameters' short names -> names: {"gamma": "gamma2", ...}
    residual: int | None = None  # dense: a_l gets h_k


class Penalty(NamedTuple):
    """An L2 term in the loss: penalty.FORMS[form] with λ, on every dense weight."""

    form: str
    lam: float


@dataclass(frozen=True)
class Model:
    layers: tuple[LayerSpec, ...]
    loss: str
    reduction: str = "mean"
    penalty: Penalty | None = None

    @cached_property
    def steps(self) -> tuple[Step, ...]:
        steps = []
        for l, spec in enumerate(self.layers, 1):
            act = ACTIVATIONS[spec.activation]
            dense = spec.kind == DENSE
            kind = None if dense else KINDS[spec.kind]
            steps.append(Step(f"W{l}" if dense else None,
                              f"b{l}" if dense and spec.bias else None, act.forward,
                              act.backward, spec.param, act.slope(spec.param) <= 1.0,
                              act.gain(spec.param) > 1.0, kind, spec.settings,
                              {} if dense else {n[:-len(str(l))]: n for n in spec.names(l)},
                              spec.residual))
        return tuple(steps)

    @cached_property
    def trainable(self) -> frozenset:
        return frozenset(self.trainable_names())

    @cached_property
    def plain(self) -> bool:
        """Dense layers only, no residual, no penalty: what the training loop's cheap
        watch proves finite by its bounds (watch.py)."""
        return self.penalty is None and all(
            spec.kind == DENSE and spec.residual is None for spec in self.layers)

    @cached_property
    def extended(self) -> bool:
        """A layer-kinds exercise: another kind, a residual, a penalty or `loss: upstream`."""
        return not self.plain or self.loss == "upstream"

    def parameter_names(self) -> list[str]:
        return [n for l, spec in enumerate(self.layers, 1) for n in spec.names(l)]

    def trainable_names(self) -> list[str]:
        return [n for l, spec in enumerate(self.layers, 1) for n in spec.trainable(l)]

    def widths(self, params: dict, n_in: int) -> list[int]:
        """n_1 ... n_L: a dense layer's W rows, a map kind's C·H·W, another kind keeps its
        input's width."""
        out, n = [], n_in
        for l, spec in enumerate(self.layers, 1):
            n = params[f"W{l}"].shape[0] if spec.kind == DENSE else \
                getattr(spec.settings, "units", n)
            out.append(n)
        return out

    def map_of(self, l: int) -> tuple[int, int, int] | None:
        """(C, H, W) of h_l when it is a feature map (x before a map kind, a convolution's
        or a pool's output), else None (rows)."""
        spec = self.layers[0] if l == 0 else self.layers[l - 1]
        return getattr(spec.settings, "inp" if l == 0 else "out", None) \
            if spec.kind in MAPS else None

    @cached_property
    def time(self) -> int | None:
        """T, the steps of a sequence exercise (an embedding or a recurrent layer first),
        else None."""
        first = self.layers[0]
        return first.settings.steps if first.kind in SEQUENCES else None

    @cached_property
    def recurrent(self) -> int | None:
        """l of the recurrent layer (there is at most one), else None."""
        return next((l for l, spec in enumerate(self.layers, 1) if spec.kind in RECURRENT),
                    None)

    def sequence(self, l: int) -> bool:
        """h_l (l = 0: x) holds T steps per sample: x before a recurrent layer, an
        embedding's output, a recurrent layer's with output "all" and the dense layers
        after it (as N·T rows). An embedding's x (token indices) is not one."""
        if self.time is None:
            return False
        first = self.layers[0].kind
        if l == 0:
            return first in RECURRENT
        k = self.recurrent
        if k is None or l < k:
            return True  # the embedding's output
        return self.layers[k - 1].settings.output == "all"

    @cached_property
    def weights(self) -> tuple[str, ...]:
        """The weights an L2 penalty covers: every W_l, dense or convolution, and a
        recurrent layer's Wx_l and Wh_l."""
        return tuple(n for n in self.parameter_names() if n.startswith("W"))


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
        """The loss's factor per row of y: 1/N for a mean (1/(N·T) over every step of a
        sequence), 1 for a sum."""
        return 1.0 if self.model.reduction == "sum" else 1.0 / self.y.shape[0]

    def units(self, l: int) -> int:
        """n_l: the width of h_l (h_0 = x)."""
        return self.x.shape[1] if l == 0 else self.model.widths(self.params, self.x.shape[1])[l - 1]


@dataclass(frozen=True)
class Forward:
    a: tuple[np.ndarray, ...]  # a[l-1] is a_l, (N, n_l)
    h: tuple[np.ndarray, ...]  # h[0] is x, h[l] is h_l
    saved: tuple  # saved[l-1]: what layer l's activation keeps for backward (or None)
    loss: float  # the whole objective: the data loss plus the penalty
    caches: tuple = ()  # caches[l-1]: a kind's named intermediates (None for dense)
    parts: tuple = ()  # with an L2 penalty: (the data loss, the penalty), loss their sum


@dataclass(frozen=True)
class Gradients:
    a: tuple[np.ndarray, ...]  # dL/da_l, index l-1
    h: tuple  # dL/dh_l, index l-1; h_L's may hold inf where h saturated (None in training)
    params: dict  # dL/dW_l, dL/db_l, dL/dgamma_l, dL/dbeta_l by name
    x: np.ndarray | None = None  # dL/dx (N, n_0); None in the training loop
    inter: tuple = ()  # inter[l-1]: the gradients of a kind's named intermediates


@dataclass(frozen=True)
class Update:
    optimizer: str
    hyper: dict
    params: dict  # every parameter after the update (frozen ones unchanged)
    state: dict  # optimizer state after the update, by parameter name
    loss: float  # the loss the updated parameters give
    running: dict = field(default_factory=dict)  # batch norm's running_mean{l}, running_var{l}
    parts: tuple = ()  # with an L2 penalty: (the data loss, the penalty)


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
    running: dict = field(default_factory=dict)  # batch norm's running statistics after


def layer_of(name: str) -> int:
    """l of a parameter's name: W12 -> 12, gamma2 -> 2, Wx1 -> 1."""
    return int(name[len(name.rstrip("0123456789")):])


def count_parameters(params: dict, names) -> int:
    return int(sum(params[n].size for n in names))
