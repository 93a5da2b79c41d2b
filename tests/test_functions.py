"""Activations and losses at the extremes: exact where float64 allows, never a warning
(pytest turns RuntimeWarnings into errors), never NaN from log(0)."""

import json
from decimal import Decimal, getcontext

import numpy as np
import pytest

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES, log_softmax, sigmoid

getcontext().prec = 60
A = np.array([[-1000.0, -745.5, -40.0, -1.0, -1e-9, 0.0, 1e-9, 1.0, 40.0, 745.5, 1000.0]])


def d_exp(v):
    return Decimal(v).exp()


REFERENCE = {  # high-precision definitions, independent of the implementation
    "sigmoid": lambda v: 1 / (1 + d_exp(-v)),
    "tanh": lambda v: (d_exp(2 * v) - 1) / (d_exp(2 * v) + 1) if v < 0 else
    (1 - d_exp(-2 * v)) / (1 + d_exp(-2 * v)),
    "softplus": lambda v: (1 + d_exp(v)).ln(),
    "elu": lambda v: Decimal(v) if v > 0 else d_exp(v) - 1,
    "relu": lambda v: max(Decimal(v), Decimal(0)),
    "leaky_relu": lambda v: Decimal(v) if v > 0 else Decimal(v) * Decimal(0.01),
    "identity": Decimal,
}


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_activation_values_at_extremes(name):
    act = ACTIVATIONS[name]
    h, _ = act.forward(A, act.default)
    expected = np.array([[float(REFERENCE[name](float(v))) for v in A[0]]])
    np.testing.assert_allclose(h, expected, rtol=1e-15, atol=0)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_derivatives_are_finite_at_extremes(name):
    act = ACTIVATIONS[name]
    h, saved = act.forward(A, act.default)
    da = act.backward(A, h, saved, np.ones_like(A), act.default)
    assert np.all(np.isfinite(h)) and np.all(np.isfinite(da))


HUGE = np.array([[-1.7976931348623157e308, -1e300, -1e154, -800.0, 0.0, 5e-324, 800.0, 1e154,
                  1e300, 1.7976931348623157e308]])


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
@pytest.mark.parametrize("param", ["default", "steep"])
def test_finite_in_finite_out_the_training_watch_relies_on_it(name, param):
    # The training loop's watch never reads h (a finite a must give a finite h), nor da
    # where the activation contracts (|f'| <= 1: a finite dh must give a finite da).
    act = ACTIVATIONS[name]
    p = act.default if param == "default" or act.param is None else 3.0
    with np.errstate(all="ignore"):
        h, saved = act.forward(HUGE, p)
        da = act.backward(HUGE, h, saved, np.flip(HUGE, axis=-1), p)
    assert np.isfinite(h).all() or act.gain(p) > 1.0
    assert np.isfinite(da).all() or act.slope(p) > 1.0


def test_sigmoids_pair_is_two_sigmoids_bit_for_bit():
    # one exponential for sigmoid(a) and sigmoid(-a), swapped by a's sign: the same bits
    # as the plain formula, signed zeros, nan and infinities included
    rng = np.random.default_rng(7)
    special = [0.0, -0.0, np.nan, np.inf, -np.inf, 5e-324, -5e-324, 36.9, -36.9, 745.2,
               -745.2]
    for a in (np.array([special]), rng.standard_normal((16, 9)) * 30):
        h, saved = ACTIVATIONS["sigmoid"].forward(a, None)
        with np.errstate(invalid="ignore"):
            plain = sigmoid(a), sigmoid(-a)
        assert h.tobytes() == plain[0].tobytes() and saved.tobytes() == plain[1].tobytes()


def test_softmax_keeps_log_softmax_for_cross_entropy():
    a = np.array([[1000.0, -1000.0, 0.0], [0.5, 0.25, -3.0]])
    h, saved = ACTIVATIONS["softmax"].forward(a, None)
    assert saved.tobytes() == log_softmax(a).tobytes()
    y = np.array([[0.0, 1.0, 0.0], [0.2, 0.3, 0.5]])
    ce = LOSSES["cross_entropy"].value
    assert ce(a, h, y, saved).tobytes() == ce(a, h, y).tobytes()


def test_kink_derivatives_are_torchs():
    a = np.zeros((1, 1))
    one = np.ones((1, 1))
    assert ACTIVATIONS["relu"].backward(a, a, None, one, None)[0, 0] == 0.0
    assert ACTIVATIONS["leaky_relu"].backward(a, a, None, one, 0.2)[0, 0] == 0.2
    assert ACTIVATIONS["elu"].backward(a, a, None, one, 0.5)[0, 0] == 0.5


def test_softmax_and_cross_entropy_at_extremes():
    a = np.array([[1000.0, -1000.0, 0.0]])
    h, _ = ACTIVATIONS["softmax"].forward(a, None)
    assert h.tolist() == [[1.0, 0.0, 0.0]]
    y = np.array([[0.0, 1.0, 0.0]])
    assert LOSSES["cross_entropy"].value(a, h, y).tolist() == [2000.0]  # not inf, not nan
    assert LOSSES["cross_entropy"].grad_a(a, h, y).tolist() == [[1.0, -1.0, 0.0]]
    # the output gradient -y/h is honestly infinite where h underflowed to 0
    assert LOSSES["cross_entropy"].grad_h(a, h, y)[0, 1] == -np.inf


def test_bce_from_the_logits():
    a = np.array([[1000.0, -1000.0, 30.0, -30.0]])
    h, _ = ACTIVATIONS["sigmoid"].forward(a, None)
    y = np.array([[0.0, 1.0, 1.0, 0.0]])
    per_element = [1000.0, 1000.0, float((1 + d_exp(-30)).ln()), float((1 + d_exp(-30)).ln())]
    expected = float(sum(Decimal(v) for v in per_element) / 4)
    assert LOSSES["bce"].value(a, h, y)[0] == pytest.approx(expected, rel=1e-15)


SATURATED = """\
x: [1.0]
y: [0.0]
loss: bce
layers:
  - {weights: [[1000.0]], bias: [0.0], activation: sigmoid}
optimizer: {name: sgd, lr: 0.001}
"""


def test_saturated_output_gives_null_only_for_dl_dh(run):
    result = run("solve", "-", "--format", "json", input=SATURATED)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["loss"] == 1000.0
    assert doc["gradients"]["h1"] == [None]
    assert doc["gradients"]["a1"] == [1.0]
    assert doc["gradients"]["W1"] == [[1.0]]
    assert "NaN" not in result.stdout and "Infinity" not in result.stdout
    table = run("solve", "-", input=SATURATED)
    assert " ∂L/∂h1   [ inf]" in table.stdout  # the sign kept, unlike JSON's null
