"""`solve` on convolution and pooling against the numbers two courses publish (tests/published/
conv/: README.md says where each number comes from; expected.json holds them verbatim, with
the digits the source prints):

- Stanford CS231n, assignment 2, ConvolutionalNetworks.ipynb: conv_forward_naive and
  max_pool_forward_naive (`correct_out`, 8 decimals), channels first.
- deeplearning.ai course 4, week 1, "Convolution model - Step by Step" (four editions,
  2017-2021): zero_pad, conv_single_step, conv_forward, pool_forward (max and average),
  conv_backward (dA, dW, db means with dZ = Z) and pool_backward (dA_prev[1,1]), channels last.

Each file goes through backprop_cli.problem.load, engine.solve and report.solve_document; a
number printed to d decimals (or s significant digits) is compared within half a unit of its
last digit, plus a relative slack of 1e-13 for the numbers printed in full. The last test runs
reproduce.py (numpy only, no backprop_cli) so the transcription is checked without the package.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from helpers import ROOT

from backprop_cli import engine
from backprop_cli.output.report import solve_document
from backprop_cli.problem import load

CONV = ROOT / "tests" / "published" / "conv"
EXPECTED = json.loads((CONV / "expected.json").read_text())


def _reproduce():
    """tests/published/conv/reproduce.py under a name of its own (tests/published/ has a
    reproduce.py too)."""
    spec = importlib.util.spec_from_file_location("conv_published_reproduce",
                                                  CONV / "reproduce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _at(doc: dict, check: dict) -> np.ndarray:
    value = doc
    for part in check["key"].split("."):
        value = value[part]
    value = np.asarray(value, dtype=float)
    if "index" in check:
        value = value[tuple(check["index"])]
    return value.mean() if check.get("reduce") == "mean" else value


def _tolerance(check: dict, slack: float) -> np.ndarray:
    """Half a unit of the last printed digit, element by element, plus the relative slack."""
    want = np.asarray(check["published"], dtype=float)
    if "decimals" in check:
        half = np.full(want.shape, 0.5 * 10.0 ** -check["decimals"])
    else:
        exponent = np.floor(np.log10(np.where(want == 0, 1.0, np.abs(want))))
        half = 0.5 * 10.0 ** (exponent - (check["significant"] - 1))
    return half + slack * np.abs(want)


# The v2 (2018) notebook pools a 4x4 map with f 3, stride 2: (4 - 3)/2 + 1 = 1.5 windows a row,
# which the course (int(1 + (n_H_prev - f) / stride)) and torch (F.max_pool2d, ceil_mode False)
# floor to 1. The tool refuses windows that do not tile the input, by choice (docs/
# convolution.md, "Windows must fit"); strict, so the mark goes if that choice changes.
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_solve_matches_the_published_numbers(name):
    case = EXPECTED[name]
    problem = load(str(CONV / name))
    doc = solve_document(problem, engine.solve(problem.inputs))
    compared = 0
    for check in case["checks"]:
        if check["key"] in ("x", "y"):  # the recipe's own inputs: reproduce.py checks them
            continue
        where = f"{name}: {check['printed']} ({check['where']}) as {check['key']}"
        got, want = _at(doc, check), np.asarray(check["published"], dtype=float)
        assert got.shape == want.shape, f"{where}: shape {got.shape}, published {want.shape}"
        err = np.abs(got - want)
        tol = _tolerance(check, case["slack_rel"])
        assert np.all(err <= tol), (
            f"{where}: max |diff| {err.max():.3g} (allowed {tol.max():.3g}); got {got}")
        compared += 1
    assert compared > 0


def test_every_file_has_its_published_numbers():
    files = {p.name for p in CONV.glob("*.yaml")}
    assert files == set(EXPECTED)


def test_reproduce_recomputes_every_published_number_with_numpy():
    """reproduce.py's own checks: every file is what its recipe writes, byte for byte;
    expected.json is the transcription; numpy loops reproduce every published number."""
    rows = list(_reproduce().rows())
    bad = [r for r in rows if not r[-1]]
    assert not bad, bad
    assert len(rows) >= 40
