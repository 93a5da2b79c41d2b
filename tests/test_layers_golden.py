"""`solve` on the layer kinds (batch norm, layer norm, dropout, residual connections, L2,
`loss: upstream`) against PyTorch float64: every fixture of tests/golden/layers/ (made by
tests/golden/make_golden_layers.py with F.batch_norm, F.layer_norm, masks, residual sums,
the penalty in the loss and torch.optim), every number of the solution; and `step`'s
chained updates, running statistics included."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import GOLDEN, one_step_is_solves_update

from backprop_cli import engine
from backprop_cli.output.report import solve_document, step_document
from backprop_cli.problem import from_document

FIXTURES = sorted((GOLDEN / "layers").glob("*.json"))
RTOL, ATOL = 1e-10, 1e-12


def _close(got, want, where):
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(want, dtype=float),
                               rtol=RTOL, atol=ATOL, err_msg=where)


def _solved(path):
    case = json.loads(path.read_text())
    problem = from_document(case["problem"], path.name)
    return case["expected"], solve_document(problem, engine.solve(problem.inputs))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_solve_matches_torch(path):
    want, doc = _solved(path)
    for name, value in want["forward"].items():
        _close(doc["forward"][name], value, f"forward.{name}")
    for name, value in want.get("intermediates", {}).items():
        _close(doc["forward"][name], value, f"forward.{name} (intermediate)")
    _close(doc["loss"], want["loss"], "loss")
    if "loss_parts" in want:
        for part in ("data", "penalty"):
            _close(doc["loss_parts"][part], want["loss_parts"][part], f"loss_parts.{part}")
    assert set(doc["gradients"]) == set(want["gradients"])
    for name, value in want["gradients"].items():
        _close(doc["gradients"][name], value, f"gradients.{name}")
    update = want["update"]
    assert set(doc["update"]["parameters"]) == set(update["parameters"])
    for name, value in update["parameters"].items():
        _close(doc["update"]["parameters"][name], value, f"update.parameters.{name}")
    for name, value in update.get("running", {}).items():
        _close(doc["update"]["running"][name], value, f"update.running.{name}")
    for param, entry in update.get("state", {}).items():
        for key, value in entry.items():
            _close(doc["update"]["state"][param][key], value, f"update.state.{param}.{key}")
    _close(doc["update"]["loss"], update["loss"], "update.loss")
    if "loss_parts" in update:
        _close(doc["update"]["loss_parts"]["penalty"], update["loss_parts"]["penalty"],
               "update.loss_parts.penalty")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_one_step_is_solves_update_and_steps_chain(path):
    """engine.train's first step is solve's update (running statistics too), and steps
    written back and read again continue as one run."""
    from dataclasses import replace

    from backprop_cli.problem.writer import updated_document

    case = json.loads(path.read_text())
    problem = from_document(case["problem"], path.name)
    one = one_step_is_solves_update(problem.inputs)
    again = from_document(updated_document(problem, one.params, one.state, one.running),
                          path.name)
    chained = engine.train(again.inputs, 2)
    whole = engine.train(problem.inputs, 3)
    np.testing.assert_allclose(chained.losses, whole.losses[1:], rtol=1e-13)
    for name in whole.params:
        np.testing.assert_allclose(chained.params[name], whole.params[name], rtol=1e-13,
                                   atol=1e-15)
    for name in whole.running:
        np.testing.assert_allclose(chained.running[name], whole.running[name], rtol=1e-13)
    doc = step_document(replace(problem), whole)
    assert ("running" in doc) == bool(whole.running)
