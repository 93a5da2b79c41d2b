"""Forward pass, loss, backward pass and updates for a fully connected network.

Numpy only; nothing here prints. Shapes (N samples, layer l with n_l units):
    h[0] = x            (N, n_0)
    a[l] = h[l-1] W_l^T + b_l     W_l (n_l, n_{l-1}), b_l (n_l,)   (torch.nn.Linear)
    h[l] = f_l(a[l])    (N, n_l)
Parameters live in a dict {"W1": ..., "b1": ..., ...}, always in this out_in layout; the
problem module transposes for files written in_out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from backprop_cli import optimizers
from backprop_cli.functions import ACTIVATIONS, LOSSES


class NumericalError(ValueError):
    """A value left float64's range (overflow, nan) where no finite answer exists."""


def round_half_away(decimals: int):
    """Rounding as people do it by hand: to `decimals` places of the printed decimal value,
    halves away from zero (2.675 -> 2.68, though the float is a hair below 2.675)."""
    from decimal import ROUND_HALF_UP, Context, Decimal  # only for --round

    quantum = Decimal(1).scaleb(-decimals)
    context = Context(prec=400)  # room for any float's integer digits plus the decimals

    def one(v: float) -> float:
        if not math.isfinite(v):
            return v
        exact = Decimal(repr(v)).quantize(quantum, rounding=ROUND_HALF_UP, context=context)
        return float(exact) + 0.0  # + 0.0: a rounded -0.0 is 0.0

    def rnd(value):
        if isinstance(value, np.ndarray):
            return np.array([one(v) for v in value.ravel().tolist()]).reshape(value.shape)
        return one(value)

    return rnd


@dataclass(frozen=True)
class LayerSpec:
    activation: str
    param: float | None = None  # leaky_relu's slope / elu's alpha
    bias: bool = True
    frozen: frozenset = frozenset()  # subset of {"weights", "bias"}

    def __post_init__(self):
        if self.param is None:  # the activation's default slope/alpha
            object.__setattr__(self, "param", ACTIVATIONS[self.activation].default)


@dataclass(frozen=True)
class Model:
    layers: tuple[LayerSpec, ...]
    loss: str
    reduction: str = "mean"

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
class Forward:
    a: tuple[np.ndarray, ...]  # a[l-1] is a_l, (N, n_l)
    h: tuple[np.ndarray, ...]  # h[0] is x, h[l] is h_l
    loss: float


@dataclass(frozen=True)
class Gradients:
    a: tuple[np.ndarray, ...]  # dL/da_l, index l-1
    h: tuple[np.ndarray, ...]  # dL/dh_l, index l-1; h_L's may hold inf where h saturated
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


def count_parameters(params: dict, names) -> int:
    return int(sum(params[n].size for n in names))


def _check(name: str, value, when: str = "") -> None:
    if not np.all(np.isfinite(value)):
        where = f" {when}" if when else ""
        raise NumericalError(f"{name} is not finite in float64{where}")


def _same(value):
    return value


def reduce_loss(per_sample: np.ndarray, reduction: str) -> float:
    """Combine the (N,) per-sample losses: their sum, or their mean (the same bits as
    numpy's mean, without its overhead)."""
    total = float(np.add.reduce(per_sample))
    return total if reduction == "sum" else total / per_sample.shape[0]


def forward(model: Model, params: dict, x: np.ndarray, y: np.ndarray, when: str = "",
            rounding=None) -> Forward:
    """x (N, n_0), y (N, n_L) targets. Fails with NumericalError on overflow.
    rounding, when given, is applied to every value as it is computed (textbook rounding)."""
    r = rounding or _same
    a_s, h_s = [], [x]
    h = x
    with np.errstate(all="ignore"):  # overflow is detected below and reported by name
        for l, spec in enumerate(model.layers, 1):
            a = h @ params[f"W{l}"].T
            if spec.bias:
                a += params[f"b{l}"]
            a = r(a)
            _check(f"a{l}", a, when)
            h = r(ACTIVATIONS[spec.activation].forward(a, spec.param))
            _check(f"h{l}", h, when)
            a_s.append(a)
            h_s.append(h)
        loss = r(reduce_loss(LOSSES[model.loss].value(a, h, y), model.reduction))
    _check("the loss", loss, when)
    return Forward(tuple(a_s), tuple(h_s), loss)


def backward(model: Model, params: dict, fwd: Forward, y: np.ndarray, when: str = "",
             rounding=None) -> Gradients:
    r = rounding or _same
    L = len(model.layers)
    n = y.shape[0]
    scale = 1.0 if model.reduction == "sum" else 1.0 / n
    loss = LOSSES[model.loss]
    a, h = fwd.a[-1], fwd.h[-1]
    da_s: list = [None] * L
    dh_s: list = [None] * L
    grads = {}
    with np.errstate(all="ignore"):
        dh = r(loss.grad_h(a, h, y) * scale)
        dh_s[L - 1] = dh  # may be inf at saturation: reported as null, never used below
        if loss.grad_a is not None:
            da = r(loss.grad_a(a, h, y) * scale)
        else:
            da = r(_activation_backward(model.layers[-1], a, h, dh))
        for l in range(L, 0, -1):
            spec = model.layers[l - 1]
            _check(f"the gradient of a{l}", da, when)
            da_s[l - 1] = da
            grads[f"W{l}"] = r(da.T @ fwd.h[l - 1])
            if spec.bias:
                grads[f"b{l}"] = r(da.sum(axis=0))
            if l == 1:
                break
            dh = r(da @ params[f"W{l}"])
            _check(f"the gradient of h{l - 1}", dh, when)
            dh_s[l - 2] = dh
            da = r(_activation_backward(model.layers[l - 2], fwd.a[l - 2], fwd.h[l - 1], dh))
        for name, g in grads.items():
            _check(f"the gradient of {name}", g, when)
    return Gradients(tuple(da_s), tuple(dh_s), grads)


def _activation_backward(spec: LayerSpec, a, h, dh):
    return ACTIVATIONS[spec.activation].backward(a, h, dh, spec.param)


def apply_update(
    model: Model, params: dict, grads: dict, optimizer: str, hyper: dict, state: dict,
    when: str = "", rounding=None,
) -> tuple[dict, dict]:
    """One optimizer step on the trainable parameters; returns new (params, state)."""
    names = model.trainable_names()
    with np.errstate(all="ignore"):
        new, new_state = optimizers.step(
            optimizer, hyper,
            {n: params[n] for n in names}, {n: grads[n] for n in names},
            {n: state[n] for n in names if n in state},
        )
    if rounding is not None:
        new = {n: rounding(v) for n, v in new.items()}
        new_state = {n: {k: v if k == "step" else rounding(v) for k, v in s.items()}
                     for n, s in new_state.items()}
    for name, value in new.items():
        _check(name, value, when)
    for name, entry in new_state.items():
        for key, value in entry.items():
            if key != "step":
                _check(f"the optimizer state {name}.{key}", value, when)
    return {**params, **new}, new_state


def solve(model: Model, params: dict, x, y, optimizer: str, hyper: dict, state: dict,
          rounding=None) -> Solution:
    fwd = forward(model, params, x, y, rounding=rounding)
    grads = backward(model, params, fwd, y, rounding=rounding)
    when = "after the update"
    new_params, new_state = apply_update(model, params, grads.params, optimizer, hyper, state,
                                         when, rounding)
    after = forward(model, new_params, x, y, when, rounding)
    return Solution(fwd, grads, Update(optimizer, hyper, new_params, new_state, after.loss))


@dataclass(frozen=True)
class Training:
    losses: tuple[float, ...]  # before each step and after the last: steps + 1 values
    params: dict
    state: dict


def train(model: Model, params: dict, x, y, optimizer: str, hyper: dict, state: dict,
          steps: int, progress=None) -> Training:
    """`steps` updates; progress(i) is called after step i when given."""
    losses = []
    for i in range(1, steps + 1):
        when = f"in step {i}"
        fwd = forward(model, params, x, y, when)
        losses.append(fwd.loss)
        grads = backward(model, params, fwd, y, when)
        params, state = apply_update(model, params, grads.params, optimizer, hyper, state, when)
        if progress is not None:
            progress(i)
    losses.append(forward(model, params, x, y, f"after step {steps}").loss)
    return Training(tuple(losses), params, state)
