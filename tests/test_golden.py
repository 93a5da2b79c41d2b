"""Agreement with PyTorch: golden files that float64 autograd and torch.optim computed
(tests/golden/make_golden.py regenerates them; CI only reads the JSON)."""

import json

import numpy as np
import pytest
from helpers import GOLDEN

ENGINE = sorted((GOLDEN / "engine").glob("*.json"))
OPTIM = sorted((GOLDEN / "optim").glob("*.json"))
RTOL = 1e-10


def close(actual, expected, what):
    """Elementwise |a - e| <= 1e-10 * max(|e|, 1e-6 scale of the whole quantity)."""
    a = np.asarray(actual, dtype=float)
    e = np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    scale = max(np.abs(e).max(initial=0.0), 1e-300)
    err = np.abs(a - e)
    ok = err <= RTOL * np.maximum(np.abs(e), 1e-6 * scale)
    assert ok.all(), f"{what}: max abs error {err.max()} ({a.ravel()[:4]} vs {e.ravel()[:4]})"


def write(tmp_path, problem, name="p.json"):
    path = tmp_path / name
    path.write_text(json.dumps(problem))
    return path


def test_there_are_enough_fixtures():
    assert len(ENGINE) >= 20 and len(OPTIM) >= 15


@pytest.mark.parametrize("fixture", ENGINE, ids=lambda p: p.stem)
def test_engine_matches_torch(fixture, tmp_path, solve_json):
    case = json.loads(fixture.read_text())
    expected = case["expected"]
    doc = solve_json(write(tmp_path, case["problem"]))
    assert set(doc["forward"]) == set(expected["forward"])
    for name, value in expected["forward"].items():
        close(doc["forward"][name], value, f"forward.{name}")
    close(doc["loss"], expected["loss"], "loss")
    assert list(doc["gradients"]) == list(expected["gradients"])
    for name, value in expected["gradients"].items():
        close(doc["gradients"][name], value, f"gradients.{name}")
    assert list(doc["update"]["parameters"]) == list(expected["update"]["parameters"])
    for name, value in expected["update"]["parameters"].items():
        close(doc["update"]["parameters"][name], value, f"update.parameters.{name}")
    close(doc["update"]["loss"], expected["update"]["loss"], "update.loss")


@pytest.mark.parametrize("fixture", OPTIM, ids=lambda p: p.stem)
def test_optimizer_trajectory_matches_torch(fixture, tmp_path, run):
    """One step at a time through the written problem file: every step's parameters."""
    case = json.loads(fixture.read_text())
    expected = case["expected"]
    path = write(tmp_path, case["problem"], "p.yaml")
    for i, params in enumerate(expected["parameters"]):
        result = run("step", path, "-o", path, "--format", "json")
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        close(doc["losses"][0], expected["losses"][i], f"loss before step {i + 1}")
        close(doc["losses"][1], expected["losses"][i + 1], f"loss after step {i + 1}")
        assert list(doc["parameters"]) == list(params)
        for name, value in params.items():
            close(doc["parameters"][name], value, f"step {i + 1}: {name}")
    assert set(doc["state"]) == set(expected["state"])
    for pname, entry in expected["state"].items():
        assert list(doc["state"][pname]) == list(entry), pname
        for key, value in entry.items():
            if key == "step":
                assert doc["state"][pname]["step"] == value
            else:
                close(doc["state"][pname][key], value, f"state.{pname}.{key}")


@pytest.mark.parametrize("fixture", OPTIM, ids=lambda p: p.stem)
def test_optimizer_steps_at_once_match_torch(fixture, tmp_path, run):
    case = json.loads(fixture.read_text())
    expected = case["expected"]
    path = write(tmp_path, case["problem"])
    result = run("step", path, "--steps", case["steps"], "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["steps"] == case["steps"]
    close(doc["losses"], expected["losses"], "losses")
    for name, value in expected["parameters"][-1].items():
        close(doc["parameters"][name], value, name)
