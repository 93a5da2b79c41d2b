"""`backprop check`: every analytic parameter gradient against central differences.

For each entry θ_i: numeric = (L(θ + s_i e_i) − L(θ − s_i e_i)) / (2 s_i), and the two agree
when |analytic − numeric| ≤ atol·max(1, |L|) + rtol·|numeric|.

The step scales with the problem: s_i = step · max(1, |θ_i|) / max(1, |input_i|), where
input_i is the largest value (over the batch) that θ_i multiplies (1 for a bias). A weight
multiplying inputs of 10⁴ moves its pre-activation 10⁴ times faster than its own change,
so an unscaled step's truncation error (∝ s² times the third derivative, which grows as
the input cubed) would swamp the tolerance; dividing by the input keeps the change of the
pre-activation at about `step`, where the truncation error is O(step²) ≈ 1e-12 and the
rounding error about ε|L|/step ≈ 2e-10|L|. Multiplying by |θ_i| keeps θ_i ± s_i distinct
from θ_i beyond rounding. The quotient divides by the difference of the two perturbed
values as float64 holds them, not by 2 s_i. With the default tolerances (atol 1e-7,
rtol 1e-5) that leaves a wide margin and still catches any real mistake.

An entry whose ± perturbation moves a relu-family pre-activation across 0 sits at a kink,
where the one-sided derivatives differ: it is skipped and counted, not compared. When every
entry is skipped, nothing was verified: the check is not ok.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli import engine
from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.model import layer_of

STEP, ATOL, RTOL = 1e-6, 1e-7, 1e-5


@dataclass(frozen=True)
class ParameterCheck:
    name: str
    checked: int  # entries compared
    skipped: int  # entries at a kink
    max_abs: float  # largest |analytic − numeric| over the compared entries
    max_rel: float  # largest |analytic − numeric| / max(|analytic|, |numeric|)
    failures: int  # entries beyond the tolerance

    @property
    def ok(self) -> bool:
        return self.failures == 0


@dataclass(frozen=True)
class Check:
    step: float
    atol: float
    rtol: float
    loss: float
    parameters: tuple[ParameterCheck, ...]

    @property
    def compared(self) -> int:
        return sum(p.checked for p in self.parameters)

    @property
    def ok(self) -> bool:
        """Every compared entry agrees, and at least one entry was compared."""
        return self.compared > 0 and all(p.ok for p in self.parameters)


def _kink_pattern(model, fwd) -> list:
    """What a kink changes: the sign pattern of each kinked activation's input, and which
    cell wins each max-pooling window."""
    return [a > 0 for spec, a in zip(model.layers, fwd.a) if ACTIVATIONS[spec.activation].kinked] \
        + [cache["argmax"] for cache in fwd.caches if cache and "argmax" in cache] \
        + [cache["a"] > 0 for spec, cache in zip(model.layers, fwd.caches)
           if spec.kind == "rnn" and ACTIVATIONS[spec.settings.nonlinearity].kinked]


def _input_scale(name: str, fwd, value: np.ndarray) -> np.ndarray | float:
    """max(1, |input|) for each entry of parameter `name`: W_l[j, i] multiplies column i of
    h_{l-1} (its largest magnitude over the batch); a bias multiplies 1."""
    if not name.startswith("W"):  # a bias, gamma (times x̂, about 1), beta, x itself
        return 1.0
    l = layer_of(name)
    if name[1] in "xh":  # a recurrent layer's Wx (times x_t) or Wh (times h_{t-1})
        cache = fwd.caches[l - 1]
        seen = cache["_x"] if name[1] == "x" else np.concatenate(
            [cache["_h0"][:, None], cache["h"]], axis=1)
        return np.maximum(1.0, np.abs(seen).max(axis=(0, 1)))[None, :]
    h = fwd.h[l - 1]
    if value.ndim == 4:  # a convolution's kernel meets every cell of its input
        return max(1.0, float(np.abs(h).max()))
    return np.maximum(1.0, np.abs(h).max(axis=0))[None, :]  # broadcasts over W's rows


def check(inputs, step=STEP, atol=ATOL, rtol=RTOL) -> Check:
    """Every parameter's gradient against central differences of the loss (inputs: an
    engine Inputs; its optimizer is not used)."""
    model, params, x, y = inputs.model, inputs.params, inputs.x, inputs.y
    base = engine.forward(model, params, x, y)
    grads = engine.backward(model, params, base, y)
    pattern = _kink_pattern(model, base)
    tol_abs = atol * max(1.0, abs(base.loss))
    results = []
    # ∂L/∂x: every solution shows it (token indices have none)
    names = model.parameter_names() + ["x"] * (grads.x is not None)
    for name in names:
        value = x if name == "x" else params[name]
        steps = step * np.maximum(1.0, np.abs(value)) / _input_scale(name, base, value)
        analytic = grads.x if name == "x" else grads.params[name]
        results.append(_check_parameter(model, params, x, y, name, analytic, steps,
                                        pattern, tol_abs, rtol))
    return Check(step, atol, rtol, base.loss, tuple(results))


def _check_parameter(model, params, x, y, name, analytic, steps, pattern, tol_abs, rtol):
    """One parameter's entries (or x's: the input is checked as a parameter is)."""
    value = x if name == "x" else params[name]
    errors, rel, skipped, failures = [], [], 0, 0
    for idx in np.ndindex(value.shape):
        losses, ends, kink = [], [], False
        for sign in (1.0, -1.0):
            shifted = value.copy()
            shifted[idx] += sign * steps[idx]
            ends.append(shifted[idx])
            fwd = engine.forward(model, params, shifted, y) if name == "x" else \
                engine.forward(model, {**params, name: shifted}, x, y)
            kink = kink or any((p != q).any() for p, q in
                               zip(pattern, _kink_pattern(model, fwd)))
            losses.append(fwd.loss)
        if kink or ends[0] == ends[1]:  # a kink between, or a step float64 cannot take
            skipped += 1
            continue
        numeric = (losses[0] - losses[1]) / (ends[0] - ends[1])
        err = abs(analytic[idx] - numeric)
        errors.append(float(err))
        scale = max(abs(numeric), abs(analytic[idx]))
        rel.append(err / scale if scale else 0.0)
        failures += int(err > tol_abs + rtol * abs(numeric))
    return ParameterCheck(name, len(errors), skipped, max(errors, default=0.0),
                          max(rel, default=0.0), failures)
