"""`backprop check`: every analytic parameter gradient against central differences.

For each entry θ_i: numeric = (L(θ + s e_i) − L(θ − s e_i)) / 2s, and the two agree when
|analytic − numeric| ≤ atol·max(1, |L|) + rtol·|numeric|. With s = 1e-6 the difference
quotient's truncation error is O(s²) ≈ 1e-12 and its rounding error about ε|L|/s ≈ 2e-10|L|,
so the default tolerances (atol 1e-7, rtol 1e-5) leave a wide margin and still catch any
real mistake. An entry whose ± perturbation moves a relu-family pre-activation across 0 sits
at a kink, where the one-sided derivatives differ: it is skipped and counted, not compared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli import engine
from backprop_cli.engine.functions import ACTIVATIONS

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
    def ok(self) -> bool:
        return all(p.ok for p in self.parameters)


def _kink_pattern(model, fwd) -> list:
    return [a > 0 for spec, a in zip(model.layers, fwd.a) if ACTIVATIONS[spec.activation].kinked]


def check(model, params, x, y, step=STEP, atol=ATOL, rtol=RTOL) -> Check:
    base = engine.forward(model, params, x, y)
    grads = engine.backward(model, params, base, y)
    pattern = _kink_pattern(model, base)
    tol_abs = atol * max(1.0, abs(base.loss))
    results = []
    for name in model.parameter_names():
        analytic = grads.params[name]
        value = params[name]
        errors, rel, skipped, failures = [], [], 0, 0
        for idx in np.ndindex(value.shape):
            losses = []
            kink = False
            for sign in (1.0, -1.0):
                shifted = value.copy()
                shifted[idx] += sign * step
                fwd = engine.forward(model, {**params, name: shifted}, x, y)
                moved = zip(pattern, _kink_pattern(model, fwd))
                kink = kink or any((p != q).any() for p, q in moved)
                losses.append(fwd.loss)
            if kink:
                skipped += 1
                continue
            numeric = (losses[0] - losses[1]) / (2.0 * step)
            err = abs(analytic[idx] - numeric)
            errors.append(float(err))
            scale = max(abs(numeric), abs(analytic[idx]))
            rel.append(err / scale if scale else 0.0)
            failures += int(err > tol_abs + rtol * abs(numeric))
        results.append(ParameterCheck(name, len(errors), skipped, max(errors, default=0.0),
                                      max(rel, default=0.0), failures))
    return Check(step, atol, rtol, base.loss, tuple(results))
