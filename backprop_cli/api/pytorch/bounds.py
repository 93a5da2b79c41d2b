"""What a correct torch run in a low-precision dtype can reach: for every quantity that
bp.compare compares, a bound on |torch − exact| entry by entry, from standard forward error
analysis. Numpy only: the bounds are computed from backprop's float64 values.

Torch's arithmetic in a dtype of unit roundoff u (float32 2^-24, float16 2^-11, bfloat16
2^-8): every result is rounded to the dtype (relative error <= u; an elementwise function
such as exp or tanh <= C·u); sums and dot products accumulate in float32 (torch's
accumulation type for float16 and bfloat16), so a sum of n terms is off by at most
γ_n·Σ|terms|, γ_n = n·v/(1 − n·v), v = 2^-24. The errors already in the operands carry
through to first order (second order where it is cheap), using the magnitudes backprop
computes: a_l = h_{l−1} W_lᵀ + b_l is off by at most

    E(a_l) = (γ_{n+1} + u)·(|h_{l−1}| |W_l|ᵀ + |b_l|) + E(h_{l−1}) |W_l|ᵀ + (terms in E(W_l))

h_l = f(a_l) by sup|f'|·E(a_l) + C·u·|h_l|, and likewise through the loss, the backward pass
(∂L/∂h_{l−1} = δ_l W_l, ∂L/∂W_l = δ_lᵀ h_{l−1}, ∂L/∂b_l = Σ δ_l: sums over the fan-out and
the N samples) and the optimizer step (the step taken across each gradient's interval).
Convolutions, pools and flatten: bounds_maps.py.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from backprop_cli.api.pytorch import bounds_maps
from backprop_cli.engine import network, optimizers
from backprop_cli.engine.functions import ACTIVATIONS

UNITS = {"float32": 2.0 ** -24, "float16": 2.0 ** -11, "bfloat16": 2.0 ** -8}
# underflow: half the smallest subnormal, what rounding may add to any result
FLOORS = {"float32": 2.0 ** -150, "float16": 2.0 ** -25, "bfloat16": 2.0 ** -134}
ACCUMULATE = 2.0 ** -24  # float32: where torch sums float16 and bfloat16 (and float32)
C = 8  # an elementwise function or a short formula: within C·u of its value
# where the optimizer step is taken in each gradient's interval g + t·E(g): its ends and
# points toward g at every half binade (Adam's step turns where g' is near sqrt(v))
SQUARES = ("sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq")
SAMPLES = np.concatenate([s * 2.0 ** -np.arange(0, 40, 0.5) for s in (1.0, -1.0)])


class Precision(NamedTuple):
    u: float  # the dtype's unit roundoff
    eta: float = 0.0  # its underflow: fl(x) = x(1 + δ) + η, |δ| <= u, |η| <= eta
    v: float = ACCUMULATE

    def gamma(self, n: int) -> float:
        """γ_n: a sum of n terms accumulated in float32 is within γ_n·Σ|terms|."""
        nv = n * self.v
        return nv / (1.0 - nv) if nv < 1.0 else np.inf

    def sum(self, n: int) -> float:
        """A sum of n terms, accumulated and rounded to the dtype: relative to Σ|terms|."""
        return self.gamma(n) + self.u

    def floor(self, n: int = 1) -> float:
        """What underflow may add to a sum of n products (in float32) or a result."""
        return n * FLOORS["float32"] + C * self.eta


def _slopes(activation: str, p) -> tuple[float, float, float]:
    """(sup |f'|, sup |f''|, the jump of f' at 0) of an elementwise activation."""
    p = abs(p) if p is not None else 1.0
    return {"identity": (1.0, 0.0, 0.0), "sigmoid": (0.25, 0.0963, 0.0),
            "tanh": (1.0, 0.7699, 0.0), "relu": (1.0, 0.0, 1.0),
            "softplus": (1.0, 0.25, 0.0), "leaky_relu": (max(1.0, p), 0.0, abs(1.0 - p)),
            "elu": (max(1.0, p), p, abs(1.0 - p))}[activation]


def _over(num, den):
    """num / den, 0 where num is 0 (a target's term that is absent), inf where den is."""
    return np.divide(num, den, out=np.zeros(np.broadcast_shapes(num.shape, den.shape)),
                     where=num != 0)


def _rows(v):
    return v.sum(axis=-1, keepdims=True)


def activation(spec, h, Ea, pr: Precision):
    """E(h) from E(a): softmax's Jacobian, else the largest slope."""
    if spec.activation == "softmax":
        return h * (Ea + _rows(h * Ea)) + (pr.sum(h.shape[-1]) + C * pr.u) * h + pr.floor()
    return _slopes(spec.activation, spec.param)[0] * Ea + C * pr.u * np.abs(h) + pr.floor()


def activation_backward(spec, a, h, saved, dh, da, Edh, Ea, Eh, pr: Precision):
    """E(∂L/∂a) from E(∂L/∂h): the error of f'(a) where torch evaluates it at its own a."""
    if spec.activation == "softmax":  # da = s ⊙ (dh − Σ s dh)
        c = _rows(h * dh)
        Ec = _rows(h * Edh + np.abs(dh) * Eh) + pr.sum(h.shape[-1]) * _rows(np.abs(h * dh))
        return Eh * np.abs(dh - c) + (h + Eh) * (Edh + Ec) + C * pr.u * np.abs(da) \
            + pr.floor(h.shape[-1])
    slope = np.abs(ACTIVATIONS[spec.activation].backward(a, h, saved, np.ones_like(a),
                                                          spec.param))
    _, curve, jump = _slopes(spec.activation, spec.param)
    Ef = curve * Ea + jump * (np.abs(a) <= Ea) + C * pr.u * (slope + 2 * np.abs(h)) \
        + pr.floor()
    return slope * Edh + np.abs(dh) * Ef + Edh * Ef + pr.u * np.abs(da) + pr.floor()


def forward(model, params: dict, errors: dict, x, y, pr: Precision):
    """(engine forward, [E(a_l)], [E(h_l)] from E(h_0) = 0) with parameters off by
    `errors` (zeros where torch's are backprop's)."""
    fwd = network.forward(model, params, x, y)
    Ea, Eh = [], [np.zeros_like(x)]
    for l, spec in enumerate(model.layers, 1):
        h, E = fwd.h[l - 1], Eh[-1]
        if spec.kind != "dense":  # a map layer (bounds_maps.py)
            Ea.append(bounds_maps.forward(spec, l, params, errors, h, E, pr))
            Eh.append(activation(spec, fwd.h[l], Ea[-1], pr))
            continue
        W, EW = params[f"W{l}"], errors[f"W{l}"]
        size, products = np.abs(h) @ np.abs(W).T, np.abs(h) @ EW.T + E @ (np.abs(W) + EW).T
        if spec.bias:
            size, products = size + np.abs(params[f"b{l}"]), products + errors[f"b{l}"]
        Ea.append(pr.sum(W.shape[1] + 1) * size + products + pr.floor(W.shape[1] + 1))
        Eh.append(activation(spec, fwd.h[l], Ea[-1], pr))
    return fwd, Ea, Eh


def loss(model, fwd, Ea, Eh, y, dz, pr: Precision, logits: bool):
    """(E(L), E(∂L/∂z)): z is a_L where the torch loss takes logits, else h_L; dz is
    backprop's ∂L/∂z."""
    a, h, (N, K) = fwd.a[-1], fwd.h[-1], y.shape
    scale = 1.0 / N if model.reduction == "mean" else 1.0
    Ez, rounded = (Ea[-1], Eh[-1]) if logits else (Eh[-1], Eh[-1])
    with np.errstate(all="ignore"):
        first = np.sum(np.abs(dz) * Ez)
        if model.loss == "cross_entropy":  # log softmax: sizes of a, its max and log Σ e^a
            big = np.abs(a).max(axis=-1, keepdims=True)
            size = np.sum(np.abs(y) * (np.abs(a) + 3 * big + np.log(K) + 1)) * scale
            EL = first + 0.5 * np.sum(Ez ** 2) * scale + (pr.sum(N + K + 4) + C * pr.u) * size
            Edz = np.abs(_rows(y)) * rounded * scale
        elif logits:  # bce on logits: (1 − y)·a + log(1 + e^−a) per entry
            size = np.sum(np.abs(a) * (1 + np.abs(y)) + 1) * scale / K
            EL = first + 0.5 * np.sum(Ez ** 2) * scale / K + (pr.sum(N * K + 4)
                                                              + C * pr.u) * size
            Edz = rounded * scale / K
        else:  # on h: mse, sse_half or bce, each entry's term >= 0
            curve = {"mse": 2.0 / K, "sse_half": 1.0}.get(model.loss)
            if curve is None:  # bce: 1/h² or 1/(1 − h)² at the interval's worst end; where
                # h may round to 0 or 1, torch's (h − y)/max(h(1 − h), 1e-12) jumps: no bound
                low, high = np.maximum(h - Ez, 0.0), 1.0 - np.minimum(h + Ez, 1.0)
                curve = (_over(np.abs(y), low ** 2) + _over(np.abs(1 - y), high ** 2)) / K
                curve = np.where((low == 0) | (high == 0), np.inf, curve)
            EL = first + 0.5 * np.sum(curve * Ez ** 2) * scale \
                + (pr.sum(N * K + 2) + C * pr.u) * abs(fwd.loss)
            Edz = curve * Ez * scale
        Edz = Edz + C * pr.u * np.abs(dz) + pr.floor()
    return float(EL + pr.floor(N * K + 4)), Edz


def backward(model, params, fwd, grads, Ea, Eh, Edz, pr: Precision, logits: bool) -> dict:
    """E of every gradient, by name: h{l}, a{l} (per sample), x, W{l}, b{l}."""
    L, N, out = len(model.layers), fwd.h[0].shape[0], {}
    spec = model.layers[-1]
    if logits:
        Eda = Edz
    else:
        out[f"h{L}"] = Edz
        Eda = activation_backward(spec, fwd.a[-1], fwd.h[-1], fwd.saved[-1], grads.h[-1],
                                  grads.a[-1], Edz, Ea[-1], Eh[-1], pr)
    for l in range(L, 0, -1):
        da, h, Eh_in, spec = grads.a[l - 1], fwd.h[l - 1], Eh[l - 1], model.layers[l - 1]
        out[f"a{l}"] = Eda
        if spec.kind != "dense":  # a map layer (bounds_maps.py)
            Edh = bounds_maps.backward(spec, l, params, h, Eh_in, da, Eda, pr, out)
        else:
            W = params[f"W{l}"]
            out[f"W{l}"] = pr.sum(N) * (np.abs(da).T @ np.abs(h)) \
                + Eda.T @ (np.abs(h) + Eh_in) + np.abs(da).T @ Eh_in + pr.floor(N)
            if spec.bias:
                out[f"b{l}"] = pr.sum(N) * np.abs(da).sum(axis=0) + Eda.sum(axis=0) \
                    + pr.floor(N)
            Edh = pr.sum(W.shape[0]) * (np.abs(da) @ np.abs(W)) + Eda @ np.abs(W) \
                + pr.floor(W.shape[0])
        if l == 1:  # ∂L/∂x, which every solution shows
            out["x"] = Edh
            break
        out[f"h{l - 1}"] = Edh
        Eda = activation_backward(model.layers[l - 2], fwd.a[l - 2], fwd.h[l - 1],
                                  fwd.saved[l - 2], grads.h[l - 2], grads.a[l - 2], Edh,
                                  Ea[l - 2], Eh[l - 1], pr)
    return out


def _inputs(problem, names, grads: dict, Egrads: dict, pr: Precision):
    """Every (parameters, gradients, state) the step is taken at: each gradient across
    [g − E'(g), g + E'(g)], E'(g) = E(g) + C·u·|g| (at its ends, at points toward g every
    half binade, and at 0 where the interval holds it), the state off by ±C·u (relative:
    the roundings of torch's running averages) and, with weight decay, the parameters by
    ±u (its rounding of p·wd or p·(1 − lr·wd))."""
    params = {n: problem.params[n] for n in names}
    state = {n: problem.state[n] for n in names if n in problem.state}
    spread = {n: Egrads[n] + C * pr.u * np.abs(grads[n]) + pr.floor() for n in names}
    decay = problem.hyper.get("weight_decay", 0) != 0
    for t in [*SAMPLES, None]:
        g = {n: grads[n] + t * spread[n] if t is not None else
             np.where(np.abs(grads[n]) <= spread[n], 0.0, grads[n]) for n in names}
        for s_sign, p_sign in ((1, 1), (-1, -1), (1, -1), (-1, 1)):
            yield ({n: p * (1 + p_sign * pr.u) if decay else p for n, p in params.items()},
                   g, {n: {k: _off(k, v, s_sign, pr) for k, v in entry.items()}
                       for n, entry in state.items()})


def _off(key: str, value, sign: int, pr: Precision):
    """A state value off by its roundings (squared-gradient sums stay >= 0, as torch's)."""
    if key == "step":
        return value
    off = np.multiply(value, 1 + sign * C * pr.u) + sign * pr.floor()
    return np.maximum(off, 0.0) if key in SQUARES else off


def update(problem, grads: dict, Egrads: dict, pr: Precision) -> tuple[dict, dict, dict]:
    """(every parameter after the step, E of each, E of the optimizer state): the step
    (elementwise) taken at every point _inputs gives, plus its own roundings."""
    names = problem.model.trainable_names()
    params = {n: problem.params[n] for n in names}
    state = {n: problem.state[n] for n in names if n in problem.state}
    rule = problem.optimizer, problem.hyper
    base, base_state = optimizers.step(*rule, params, {n: grads[n] for n in names}, state)
    spread = {n: np.zeros_like(p) for n, p in params.items()}
    spread_state = {n: {k: np.zeros_like(np.asarray(v, dtype=float)) for k, v in s.items()}
                    for n, s in base_state.items()}
    with np.errstate(all="ignore"):  # inf and nan steps are no bound: kept as such
        for at in _inputs(problem, names, grads, Egrads, pr):
            new, new_state = optimizers.step(*rule, *at)
            for n in names:
                spread[n] = np.maximum(spread[n], np.abs(new[n] - base[n]))  # nan: no bound
                for k, v in new_state.get(n, {}).items():
                    spread_state[n][k] = np.maximum(spread_state[n][k],
                                                    np.abs(np.subtract(v, base_state[n][k])))
    Ep = {n: np.zeros_like(p) for n, p in problem.params.items()}  # frozen: exact
    for n in names:
        Ep[n] = spread[n] + pr.u * np.abs(base[n]) + C * pr.u * np.abs(base[n] - params[n]) \
            + pr.floor()
    Es = {n: {k: 0.0 if k == "step" else spread_state[n][k] + pr.floor() + C * pr.u * (
        np.abs(v) + np.abs(state.get(n, {}).get(k, 0.0))) for k, v in s.items()}
        for n, s in base_state.items()}
    return {**problem.params, **base}, Ep, Es


def allowed(problem, dtype: str, logits: bool) -> dict:
    """The bound of every quantity by its --get path, in the engine's shapes ((N, k) per
    sample, (out, in) weights); logits: the torch loss takes a_L (and forms h_L itself)."""
    pr, model, x, y = Precision(UNITS[dtype], FLOORS[dtype]), problem.model, problem.x, \
        problem.y
    exact = {n: np.zeros_like(p) for n, p in problem.params.items()}
    with np.errstate(all="ignore"):
        fwd, Ea, Eh = forward(model, problem.params, exact, x, y, pr)
        grads = network.backward(model, problem.params, fwd, y)
        EL, Edz = loss(model, fwd, Ea, Eh, y, grads.a[-1] if logits else grads.h[-1], pr,
                       logits)
        Eg = backward(model, problem.params, fwd, grads, Ea, Eh, Edz, pr, logits)
        found = {f"forward.a{l}": e for l, e in enumerate(Ea, 1)}
        found.update({f"forward.h{l}": e for l, e in enumerate(Eh[1:], 1)}, loss=EL)
        found.update({f"gradients.{name}": e for name, e in Eg.items()})
        new, Ep, Es = update(problem, grads.params, Eg, pr)
        found.update({f"update.parameters.{n}": e for n, e in Ep.items()})
        found.update({f"update.state.{n}.{k}": e for n, s in Es.items() for k, e in s.items()})
        after, Ea, Eh = forward(model, new, Ep, x, y, pr)
        again = network.backward(model, new, after, y)
        found["update.loss"] = loss(model, after, Ea, Eh, y, again.a[-1] if logits
                                    else again.h[-1], pr, logits)[0]
    return {k: np.where(np.isnan(e), np.inf, e) for k, e in found.items()}
