"""`backprop solve --format json` against the numbers courses publish for batch norm, layer
norm, dropout, residual connections and L2 (tests/published/: README.md says where each
number comes from; expected.json holds them verbatim, with the digits the source prints).

A number printed to d decimals is compared within half a unit of its last digit; float32
sources within the course test's own tolerance (README.md); two exceptions are explained
where they are made.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import ROOT

PUBLISHED = ROOT / "tests" / "published"
EXPECTED = json.loads((PUBLISHED / "expected.json").read_text())
# deeplearning.ai computes its backward numbers from a cache it prints to 8 decimals: the
# cache's rounding (up to 5e-9, times weights of about 1.5) comes on top of the printed
# gradient's own, so they are checked within README.md's 1.5e-8 (≈ 3 half-units).
DLAI_GRADIENTS = EXPECTED["dlai_l2_backward.yaml"]["tolerance"]["abs"]


def _files(prefix: str) -> list[str]:
    return sorted(name for name in EXPECTED if name.startswith(prefix))


def _solve(run, name: str) -> dict:
    result = run("solve", PUBLISHED / name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _at(solution: dict, key: str) -> np.ndarray:
    value = solution
    for part in key.split("."):
        value = value[part]
    return np.asarray(value, dtype=float)


def _half_unit(case: dict, key: str) -> float:
    return 0.5 * 10.0 ** -case.get("digits_by_key", {}).get(key, case["digits"])


def _compare(got: np.ndarray, want: list, atol: float, rtol: float, where: str) -> None:
    want = np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{where}: shape {got.shape}, published {want.shape}"
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, err_msg=where)


def _check_decimals(run, name: str, gradient_atol: float | None = None) -> int:
    """Every published number of `name` (printed to a number of decimals) within half a
    unit of its last digit (gradients within gradient_atol, if given); deeplearning.ai's
    `times_m` quantities (dZ, dA, without the course's 1/m) are our gradient times m.
    Returns how many numbers were compared."""
    case, solution = EXPECTED[name], _solve(run, name)
    assert case["digits_kind"] == "decimals"
    m = len(solution["forward"]["a1"])
    count = 0
    for group, factor in (("expected", 1), ("times_m", m)):
        for key, want in case.get(group, {}).items():
            atol = _half_unit(case, key)
            if gradient_atol is not None and key.startswith("gradients."):
                atol = gradient_atol
            _compare(_at(solution, key) * factor, want, atol, 0.0, f"{name}: {key}")
            count += np.size(want)
    return count


@pytest.mark.parametrize("name", _files("dlai_"))
def test_deeplearning_ai_regularization(run, name):
    """deeplearning.ai Deep Learning Specialization, course 2 "Improving Deep Neural
    Networks" (https://www.coursera.org/learn/deep-neural-network), week 1, assignment
    "Regularization": testCases.py / public_tests.py and the notebook's "Expected Output"
    (public copy read: https://github.com/muellevin/ML_CV,
    3_Improving_ML_applications/1_regularization/testCases.py). L2 with λ/2m (lambd = 0.7),
    inverted dropout with keep_prob 0.7 (forward) and the backward test's cache (keep 0.5),
    mean binary cross-entropy; 8 decimals."""
    assert _check_decimals(run, name, gradient_atol=DLAI_GRADIENTS) > 0


@pytest.mark.parametrize("name", ["cs231n_a2_two_layer.yaml", "cs231n_a2_two_layer_reg.yaml"])
def test_cs231n_assignment2_two_layer_net(run, name):
    """Stanford CS231n (https://cs231n.github.io), assignment 2, FullyConnectedNets.ipynb,
    the TwoLayerNet cell (cs231n/classifiers/fc_net.py): N = 3, D = 5, H = 50, C = 7, all
    values from np.linspace; scores to 8 decimals, losses 3.4702243556 (reg = 0) and
    26.5948426952 (reg = 1.0, penalty ½·reg·ΣW², form lambda/2) to 10."""
    _check_decimals(run, name)


def test_cs231n_assignment1_toy_net(run):
    """Stanford CS231n (https://cs231n.github.io), assignment 1, two_layer_net.ipynb
    (cs231n/classifiers/neural_net.py): init_toy_model / init_toy_data, scores to 8
    decimals and loss 1.30378789133 at reg = 0.05 with the penalty reg·ΣW² (form lambda),
    to 11 decimals."""
    _check_decimals(run, "cs231n_a1_toy_reg.yaml")


@pytest.mark.parametrize("name", _files("dlsys_"))
def test_cmu_dlsys_hw2(run, name):
    """CMU 10-414/714 Deep Learning Systems, hw2 (https://github.com/dlsyscourse/hw2,
    tests/hw2/test_nn_and_optim.py at e2c293ae9c6ead4ebc2174800d07cbaf6ed6e13e):
    BatchNorm1d (forward, affine, backward, running_grad), LayerNorm1d, Dropout (p drops),
    Residual(Linear, ReLU, Linear). needle computes in float32, so the numbers are checked
    as the course's test checks them: allclose with its rtol = atol = 1e-5 (atol 1e-4 for
    the affine batch-norm backward, as that test has)."""
    case, solution = EXPECTED[name], _solve(run, name)
    assert case["digits_kind"].startswith("float32")
    tol = case["tolerance"]
    for key, want in case["expected"].items():
        _compare(_at(solution, key), want, tol["abs"], tol["rel"], f"{name}: {key}")


def test_every_published_file_is_checked():
    """No file of tests/published/ is left out, and each has an entry in expected.json."""
    files = {p.name for p in PUBLISHED.glob("*.yaml")}
    assert files == set(EXPECTED)
    checked = set(_files("dlai_")) | set(_files("dlsys_")) | {
        "cs231n_a2_two_layer.yaml", "cs231n_a2_two_layer_reg.yaml", "cs231n_a1_toy_reg.yaml"}
    assert checked == files
