"""The analytic gradients against central finite differences computed here.

The oracle is independent of the package: this file has its own forward pass (its own
activations and losses, written the plain textbook way) and its own central differences,
and only asks the package for the numbers under test (`forward`, `backward`). The
reference forward pass must first reproduce the package's a, h and loss, so a bug shared
by the package's forward and backward passes cannot hide behind a consistent pair.

Every gradient the package reports is checked: dL/dW_l and dL/db_l (every entry), and the
intermediate dL/da_l and dL/dh_l, by perturbing a_l or h_l and re-running the network from
there. Central differences are meaningless across a kink, so an entry whose perturbation
flips the sign of any relu/leaky_relu/elu pre-activation is skipped; the fixed cases are
sampled so that no entry is ever skipped (and so that both branches of every kinked layer
are exercised).

Tolerance. For a smooth loss L, the central difference (L(p+s) - L(p-s)) / 2s differs from
L'(p) by a truncation error s^2 |L'''| / 6 (~2e-13 for s = 1e-6 and O(1) derivatives) plus a
rounding error of about eps |L| / s (~1e-10 |L| for eps = 2.2e-16). With inputs O(1) and
outputs kept away from saturation (where L''' and 1/yhat blow up), the expected error is
~1e-10 * max(1, |L|); we accept |analytic - fd| <= 1e-8 * max(1, |L|) + 1e-6 * |analytic|,
two orders of magnitude of headroom, while an error of 1e-3 in a gradient entry (see
test_checker_catches_a_wrong_gradient) is five orders of magnitude outside it.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli.engine import LayerSpec, Model, backward, forward
from backprop_cli.engine.functions import ACTIVATIONS, LOSSES

STEP = 1e-6
RTOL = 1e-6
ATOL = 1e-8
KINKED = ("relu", "leaky_relu", "elu")
MARGIN = 1e-3  # kinked pre-activations in the fixed cases stay this far from 0

# ------------------------------------------------------------- the reference network


def act(name: str, a: np.ndarray, p: float | None) -> np.ndarray:
    """Textbook definitions; inputs here are O(1), so no overflow care is needed."""
    if name == "identity":
        return a.copy()
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    if name == "tanh":
        return np.tanh(a)
    if name == "relu":
        return np.where(a > 0, a, 0.0)
    if name == "leaky_relu":
        return np.where(a > 0, a, p * a)
    if name == "elu":
        return np.where(a > 0, a, p * (np.exp(np.minimum(a, 0.0)) - 1.0))
    if name == "softplus":
        return np.log(1.0 + np.exp(a))
    if name == "softmax":
        e = np.exp(a)
        return e / e.sum(axis=1, keepdims=True)
    raise AssertionError(name)


def per_sample_loss(loss: str, yhat: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The contract's per-sample losses, written in terms of yhat = h_L."""
    k = yhat.shape[1]
    if loss == "cross_entropy":
        return -(y * np.log(yhat)).sum(axis=1)
    if loss == "mse":
        return ((yhat - y) ** 2).sum(axis=1) / k
    if loss == "sse_half":
        return 0.5 * ((yhat - y) ** 2).sum(axis=1)
    if loss == "bce":
        return -(y * np.log(yhat) + (1.0 - y) * np.log(1.0 - yhat)).sum(axis=1) / k
    if loss == "upstream":  # y is the upstream gradient ∂L/∂ŷ: L = Σ y ŷ
        return (y * yhat).sum(axis=1)
    raise AssertionError(loss)


def reduce(model: Model, per: np.ndarray) -> float:
    return float(per.sum() if model.reduction == "sum" else per.sum() / per.shape[0])


def tail(model: Model, params: dict, l: int, h: np.ndarray, y: np.ndarray):
    """Run layers l+1..L from h_l; returns (loss, a_list, h_list, kink pattern).

    The kink pattern holds the signs of every relu-family pre-activation met on the way:
    two evaluations with equal patterns lie on the same smooth piece of the loss."""
    a_s, h_s, signs = [], [h], []
    for m in range(l + 1, len(model.layers) + 1):
        spec = model.layers[m - 1]
        a = h @ params[f"W{m}"].T
        if spec.bias:
            a = a + params[f"b{m}"]
        h = act(spec.activation, a, spec.param)
        if spec.activation in KINKED:
            signs.append(np.sign(a).ravel())
        a_s.append(a)
        h_s.append(h)
    loss = reduce(model, per_sample_loss(model.loss, h, y))
    pattern = np.concatenate(signs) if signs else np.zeros(0)
    return loss, a_s, h_s, pattern


def from_a(model: Model, params: dict, l: int, a: np.ndarray, y: np.ndarray):
    """(loss, pattern) from a given a_l: apply f_l, then the rest of the network."""
    spec = model.layers[l - 1]
    loss, _, _, pattern = tail(model, params, l, act(spec.activation, a, spec.param), y)
    if spec.activation in KINKED:
        pattern = np.concatenate([np.sign(a).ravel(), pattern])
    return loss, pattern


def central_diff(f, base: np.ndarray):
    """Central differences of the scalar f(array)[0] at base, entry by entry.

    f returns (loss, kink pattern); an entry is marked skipped when either evaluation
    point lies on another smooth piece than base (a kink inside [p - s, p + s])."""
    _, p0 = f(base)
    fd = np.zeros(base.shape)
    skipped = np.zeros(base.shape, dtype=bool)
    for idx in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[idx] += STEP
        minus[idx] -= STEP
        lp, pp = f(plus)
        lm, pm = f(minus)
        fd[idx] = (lp - lm) / (plus[idx] - minus[idx])  # the step actually taken
        skipped[idx] = not (np.array_equal(pp, p0) and np.array_equal(pm, p0))
    return fd, skipped


def compare(name: str, analytic: np.ndarray, fd: np.ndarray, skipped: np.ndarray,
            loss: float) -> list:
    """The entries where analytic and fd disagree, as (name, index, analytic, fd)."""
    assert analytic.shape == fd.shape, (name, analytic.shape, fd.shape)
    tol = ATOL * max(1.0, abs(loss)) + RTOL * np.abs(analytic)
    bad = ~skipped & ~(np.abs(analytic - fd) <= tol)  # a nan/inf analytic is bad too
    return [(name, idx, float(analytic[idx]), float(fd[idx])) for idx in zip(*np.nonzero(bad))]


def gradcheck(model: Model, params: dict, x: np.ndarray, y: np.ndarray, grads=None):
    """Check every gradient of `backward` (or of `grads` when given).

    Returns (mismatches, number of skipped entries)."""
    fwd = forward(model, params, x, y)
    if grads is None:
        grads = backward(model, params, fwd, y)
    L = len(model.layers)

    # The oracle's forward pass is the package's forward pass.
    loss, a_s, h_s, _ = tail(model, params, 0, x, y)
    assert np.isclose(fwd.loss, loss, rtol=1e-12, atol=1e-14), (fwd.loss, loss)
    for l in range(1, L + 1):
        np.testing.assert_allclose(fwd.a[l - 1], a_s[l - 1], rtol=1e-12, atol=1e-14)
        np.testing.assert_allclose(fwd.h[l], h_s[l], rtol=1e-12, atol=1e-14)

    mismatches, skipped = [], 0

    def check(name, analytic, f, base):
        nonlocal skipped
        fd, skip = central_diff(f, base)
        skipped += int(skip.sum())
        mismatches.extend(compare(name, analytic, fd, skip, loss))

    for name in model.parameter_names():
        assert set(grads.params) == set(model.parameter_names())

        def f(value, name=name):
            loss_, _, _, pattern = tail(model, params | {name: value}, 0, x, y)
            return loss_, pattern

        check(name, grads.params[name], f, params[name])

    for l in range(1, L + 1):
        check(f"a{l}", grads.a[l - 1], lambda a, l=l: from_a(model, params, l, a, y),
              fwd.a[l - 1])
        # At l = L this perturbs yhat itself in the per-sample formula written in yhat.
        check(f"h{l}", grads.h[l - 1],
              lambda h, l=l: tail(model, params, l, h, y)[::3], fwd.h[l])
    return mismatches, skipped


# ------------------------------------------------------------------ sampling cases


def make_params(rng, widths, specs):
    params = {}
    for l, spec in enumerate(specs, 1):
        n_in, n_out = widths[l - 1], widths[l]
        params[f"W{l}"] = rng.normal(0.0, 1.2 / np.sqrt(n_in), (n_out, n_in))
        if spec.bias:
            params[f"b{l}"] = rng.normal(0.0, 0.5, n_out)
    return params


def make_targets(rng, loss, n, k):
    if loss == "cross_entropy":
        if n == 1:  # one-hot
            return np.eye(k)[[rng.integers(k)]]
        return rng.uniform(0.0, 1.0, (n, k))  # soft targets that do not sum to 1
    if loss == "bce":
        y = rng.uniform(0.0, 1.0, (n, k))
        y.flat[0] = 0.0
        y.flat[-1] = 1.0  # hard 0 and 1 targets too
        return y
    return rng.normal(0.0, 1.0, (n, k))


def well_posed(model, params, x, y, margin=MARGIN, both_branches=False) -> bool:
    """Away from kinks and from saturated outputs, where finite differences mislead."""
    _, a_s, h_s, _ = tail(model, params, 0, x, y)
    if max(np.abs(v).max() for v in a_s + h_s) > 30:
        return False
    for spec, a in zip(model.layers, a_s):
        if spec.activation in KINKED:
            if np.abs(a).min() <= margin:
                return False
            if both_branches and not ((a > 0).any() and (a < 0).any()):
                return False
    if model.loss in ("cross_entropy", "bce"):
        yhat = h_s[-1]
        if min(yhat.min(), (1.0 - yhat).min()) < 1e-2:
            return False
    return True


def spec(name: str, **kw) -> LayerSpec:
    """'leaky_relu:0.3' is leaky_relu with slope 0.3, 'elu:0.5' elu with alpha 0.5."""
    act_name, _, p = name.partition(":")
    return LayerSpec(act_name, param=float(p) if p else None, **kw)


ALL = ["identity", "sigmoid", "tanh", "relu", "leaky_relu", "leaky_relu:0.3", "elu",
       "elu:0.5", "elu:2.5", "softplus", "softmax"]
COMBOS = [(o, loss) for loss in ("mse", "sse_half") for o in ALL]
COMBOS += [("softmax", "cross_entropy"), ("sigmoid", "bce"), ("tanh", "upstream")]
CASES = [(hid, out, loss, red) for hid in ALL for out, loss in COMBOS for red in ("mean", "sum")]


def fixed_case(hidden, output, loss, reduction, batch, attempt_seed):
    """batch 1: a 2-3-2 network; batch 3: 3-4-3-3 (two hidden layers, the middle one
    without bias, the first with frozen weights, which must not change the gradients)."""
    if batch == 1:
        widths = (2, 3, 2)
        specs = (spec(hidden), spec(output))
    else:
        widths = (3, 4, 3, 3)
        specs = (spec(hidden, frozen=frozenset({"weights"})), spec(hidden, bias=False),
                 spec(output))
    model = Model(specs, loss, reduction)
    rng = np.random.default_rng(attempt_seed)
    for _ in range(500):
        params = make_params(rng, widths, specs)
        x = rng.normal(0.0, 1.0, (batch, widths[0]))
        y = make_targets(rng, loss, batch, widths[-1])
        if well_posed(model, params, x, y, both_branches=True):
            return model, params, x, y
    raise AssertionError("no well-posed sample")  # pragma: no cover


# -------------------------------------------------------------------------- tests


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize(("hidden", "output", "loss", "reduction"), CASES)
def test_gradients_match_finite_differences(hidden, output, loss, reduction, batch):
    seed = zlib.crc32(f"{hidden}/{output}/{loss}/{reduction}/{batch}".encode())
    model, params, x, y = fixed_case(hidden, output, loss, reduction, batch, seed)
    mismatches, skipped = gradcheck(model, params, x, y)
    assert mismatches == []
    assert skipped == 0  # sampled away from every kink: nothing was left unchecked


def test_every_allowed_combination_is_covered():
    # against the engine's own tables: a new activation or loss must join the cases
    assert {n.partition(":")[0] for n in ALL} == set(ACTIVATIONS)
    assert {loss for _, loss in COMBOS} == set(LOSSES)
    for loss, rule in LOSSES.items():  # a loss that requires an output activation gets it
        if rule.output:
            assert (rule.output, loss) in COMBOS
    assert len(CASES) == len(ALL) * (2 * len(ALL) + 3) * 2


@st.composite
def networks(draw):
    depth = draw(st.integers(1, 3))
    widths = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    loss = draw(st.sampled_from(["cross_entropy", "mse", "sse_half", "bce"]))
    reduction = draw(st.sampled_from(["mean", "sum"]))
    batch = draw(st.integers(1, 4))
    param = st.one_of(st.none(), st.floats(0.05, 3.0))
    specs = []
    for l in range(1, depth + 1):
        if l == depth and loss == "cross_entropy":
            name = "softmax"
        elif l == depth and loss == "bce":
            name = "sigmoid"
        else:
            name = draw(st.sampled_from(sorted({n.partition(":")[0] for n in ALL})))
        p = draw(param) if name in ("leaky_relu", "elu") else None
        specs.append(LayerSpec(name, param=p, bias=draw(st.booleans())))
    seed = draw(st.integers(0, 2**32 - 1))
    return Model(tuple(specs), loss, reduction), widths, batch, seed


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(networks())
def test_property_gradients_match_finite_differences(net):
    model, widths, batch, seed = net
    rng = np.random.default_rng(seed)
    for _ in range(20):  # resample the numbers before giving the structure up
        params = make_params(rng, widths, model.layers)
        x = rng.normal(0.0, 1.0, (batch, widths[0]))
        y = make_targets(rng, model.loss, batch, widths[-1])
        if well_posed(model, params, x, y, margin=1e-4):
            break
    else:
        assume(False)
    mismatches, skipped = gradcheck(model, params, x, y)
    assert mismatches == []
    # A step of 1e-6 moves no pre-activation by 1e-4 in these networks: nothing skipped.
    assert skipped == 0


def test_checker_catches_a_wrong_gradient():
    """The comparison is not vacuous: a 1e-3 error in any one reported entry is found."""
    model, params, x, y = fixed_case("tanh", "softmax", "cross_entropy", "mean", 3, 1)
    fwd = forward(model, params, x, y)
    good = backward(model, params, fwd, y)
    assert gradcheck(model, params, x, y, good) == ([], 0)

    def tampered(kind, key, idx):
        a, h, p = list(good.a), list(good.h), dict(good.params)
        target = {"a": a, "h": h, "params": p}[kind]
        wrong = target[key].copy()
        wrong[idx] += 1e-3
        target[key] = wrong
        return type(good)(tuple(a), tuple(h), p)

    for kind, key, idx, name in [("params", "W1", (2, 1), "W1"), ("params", "b3", (0,), "b3"),
                                 ("a", 1, (1, 2), "a2"), ("h", 2, (0, 0), "h3")]:
        mismatches, _ = gradcheck(model, params, x, y, tampered(kind, key, idx))
        assert [(m[0], m[1]) for m in mismatches] == [(name, idx)]


def test_a_step_float64_cannot_take_is_skipped_not_divided(run, tmp_path):
    """x = 1.35e10 makes the step of W1's first column ~1e-16 of its entries: θ ± s rounds
    back to θ, so the entry is skipped (found by the fuzz test: a 0/0 there)."""
    (tmp_path / "p.yaml").write_text(
        "x: [13510798883.0, 0.0, 0.0]\ny: [0.0]\nloss: cross_entropy\nlayers:\n"
        "- {weights: [[0.0, 0.0, 0.0], [1.5, 0.0, 0.0]], activation: identity}\n"
        "- {weights: [[0.0, 0.0]], activation: softmax}\n")
    got = run("check", tmp_path / "p.yaml", "--format", "json")
    assert got.exit_code in (0, 1), got.stderr
    import json

    doc = json.loads(got.stdout)
    assert doc["parameters"]["W1"]["skipped"] == 1 and doc["ok"]
