"""`solve` and `step` on convolution and pooling (conv2d, maxpool2d, avgpool2d, flatten,
channels first and last, one sample or a batch) against PyTorch float64: every fixture of
tests/golden/conv/ (made by tests/golden/make_golden_conv.py with F.conv2d, F.max_pool2d,
F.avg_pool2d, torch.flatten and torch.optim), every number of the solution, and three
chained steps of `engine.train` and of `backprop step`. The fixtures' forward pass and loss
are also recomputed here with plain numpy loops, so a layout slip shared by the oracle's two
torch passes (channels last, flatten order, flip) cannot hide."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import GOLDEN

from backprop_cli import engine
from backprop_cli.output.report import solve_document, step_document
from backprop_cli.problem import from_document

FIXTURES = sorted((GOLDEN / "conv").glob("*.json"))
RTOL, ATOL = 1e-10, 1e-12


def _close(got, want, where):
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{where}: shape {got.shape}, torch {want.shape}"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)


def _case(path):
    case = json.loads(path.read_text())
    return case, from_document(case["problem"], path.name)


def test_the_fixtures_are_there():
    assert len(FIXTURES) >= 14


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_solve_matches_torch(path):
    case, problem = _case(path)
    want = case["expected"]
    doc = solve_document(problem, engine.solve(problem.inputs))
    assert set(doc["forward"]) >= set(want["forward"])
    for name, value in want["forward"].items():
        _close(doc["forward"][name], value, f"forward.{name}")
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
    assert set(doc["update"].get("state") or {}) == set(update.get("state", {}))
    for param, entry in update.get("state", {}).items():
        assert set(doc["update"]["state"][param]) == set(entry), f"update.state.{param}"
        for key, value in entry.items():
            _close(doc["update"]["state"][param][key], value, f"update.state.{param}.{key}")
    _close(doc["update"]["loss"], update["loss"], "update.loss")
    if "loss_parts" in update:
        for part in ("data", "penalty"):
            _close(doc["update"]["loss_parts"][part], update["loss_parts"][part],
                   f"update.loss_parts.{part}")


def _check_steps(doc, steps, where):
    assert doc["steps"] == steps["count"], where
    _close(doc["losses"], steps["losses"], f"{where} losses")
    assert set(doc["parameters"]) == set(steps["parameters"])
    for name, value in steps["parameters"].items():
        _close(doc["parameters"][name], value, f"{where} parameters.{name}")
    for param, entry in steps.get("state", {}).items():
        for key, value in entry.items():
            _close(doc["state"][param][key], value, f"{where} state.{param}.{key}")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_three_steps_match_torch(path):
    """engine.train's losses (before each step and after the last), parameters and optimizer
    state after three steps are torch.optim's."""
    case, problem = _case(path)
    steps = case["expected"]["steps"]
    run = engine.train(problem.inputs, steps["count"])
    _check_steps(step_document(problem, run), steps, "engine.train")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_step_command_matches_torch(run, tmp_path, path):
    case = json.loads(path.read_text())
    steps = case["expected"]["steps"]
    source = tmp_path / f"{path.stem}.json"
    source.write_text(json.dumps(case["problem"]))
    result = run("step", source, "--steps", steps["count"], "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    _check_steps(json.loads(result.stdout), steps, "backprop step")


# --- the fixtures themselves, by numpy loops -------------------------------------------------
def _pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def _window_out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def _conv(x, W, b, stride, padding):
    """x (C,H,W), W (C_out,C_in,kH,kW): cross-correlation, element by element."""
    (sH, sW), (pH, pW) = _pair(stride), _pair(padding)
    C, H, Wd = x.shape
    kH, kW = W.shape[2:]
    xp = np.zeros((C, H + 2 * pH, Wd + 2 * pW))
    xp[:, pH:pH + H, pW:pW + Wd] = x
    out = np.zeros((W.shape[0], _window_out(H, kH, sH, pH), _window_out(Wd, kW, sW, pW)))
    for o, i, j in np.ndindex(*out.shape):
        out[o, i, j] = np.sum(W[o] * xp[:, i * sH:i * sH + kH, j * sW:j * sW + kW])
        out[o, i, j] += 0.0 if b is None else b[o]
    return out


def _pool(x, kind, size, stride, padding):
    (kH, kW) = _pair(size)
    (sH, sW), (pH, pW) = _pair(stride if stride is not None else size), _pair(padding)
    C, H, Wd = x.shape
    xp = np.full((C, H + 2 * pH, Wd + 2 * pW), -np.inf if kind == "maxpool2d" else 0.0)
    xp[:, pH:pH + H, pW:pW + Wd] = x
    out = np.zeros((C, _window_out(H, kH, sH, pH), _window_out(Wd, kW, sW, pW)))
    for c, i, j in np.ndindex(*out.shape):
        window = xp[c, i * sH:i * sH + kH, j * sW:j * sW + kW]
        out[c, i, j] = window.max() if kind == "maxpool2d" else window.sum() / (kH * kW)
    return out


def _activate(a, f):
    if f == "relu":
        return np.maximum(a, 0)
    if f == "tanh":
        return np.tanh(a)
    if f == "sigmoid":
        return 1 / (1 + np.exp(-a))
    if f == "softmax":
        e = np.exp(a - a.max())
        return e / e.sum()
    assert f == "identity", f
    return a


def _numpy_sample(prob, x):
    """One sample (C,H,W) channels first: ({a1, h1, ...} per sample as the file shows them)."""
    last = prob.get("channels", "first") == "last"
    h, out = x, {}
    for l, layer in enumerate(prob["layers"], 1):
        kind = layer.get("kind", "dense")
        if kind == "conv2d":
            W = np.asarray(layer["weights"], dtype=float)
            W = W.transpose(3, 2, 0, 1) if last else W
            W = W[:, :, ::-1, ::-1] if layer.get("flip", False) else W
            b = np.asarray(layer["bias"]) if "bias" in layer else None
            a = _conv(h, W, b, layer.get("stride", 1), layer.get("padding", 0))
        elif kind in ("maxpool2d", "avgpool2d"):
            a = _pool(h, kind, layer["size"], layer.get("stride"), layer.get("padding", 0))
        elif kind == "flatten":
            a = (h.transpose(1, 2, 0) if last else h).reshape(-1)
        else:
            a = np.asarray(layer["weights"]) @ h + np.asarray(layer.get("bias", 0.0))
        h = _activate(a, layer.get("activation", "identity"))
        for name, v in ((f"a{l}", a), (f"h{l}", h)):
            out[name] = v.transpose(1, 2, 0) if v.ndim == 3 and last else v
    return out


def _numpy_loss(prob, hL, y, n):
    kind = prob["loss"]
    if kind == "upstream":
        return float(np.sum(np.asarray(y) * hL))
    if kind == "cross_entropy":
        Y = np.stack([np.eye(hL.shape[-1])[t] if np.ndim(t) == 0 else np.asarray(t)
                      for t in y])
        return float(-np.sum(Y * np.log(hL)) / n)
    if kind == "mse":
        return float(np.mean((hL - np.asarray(y)) ** 2))
    assert kind == "bce", kind
    y = np.asarray(y, dtype=float)
    return float(-np.mean(y * np.log(hL) + (1 - y) * np.log(1 - hL)))


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_forward_and_loss_by_numpy(path):
    case = json.loads(path.read_text())
    prob, want = case["problem"], case["expected"]
    last = prob.get("channels", "first") == "last"
    x = np.asarray(prob["x"], dtype=float)
    batch = x.ndim == 4
    samples = {4: x, 3: x[None], 2: x[None, :, :, None] if last else x[None, None]}[x.ndim]
    samples = samples.transpose(0, 3, 1, 2) if last else samples
    outs = [_numpy_sample(prob, s) for s in samples]
    got = {k: np.stack([o[k] for o in outs]) if batch else outs[0][k] for k in outs[0]}
    for name, value in want["forward"].items():
        np.testing.assert_allclose(got[name], value, rtol=1e-12, atol=1e-13, err_msg=name)
    L = len(prob["layers"])
    y = prob["y"] if batch else [prob["y"]]
    hL = got[f"h{L}"] if batch else got[f"h{L}"][None]
    data = _numpy_loss(prob, hL, y, len(samples))
    if "l2" in prob:
        from_form = {"lambda/2": 0.5, "lambda/2m": 0.5 / len(samples), "lambda": 1.0,
                     "lambda/m": 1.0 / len(samples)}
        coef = prob["l2"]["lambda"] * from_form[prob["l2"].get("form", "lambda/2")]
        penalty = coef * sum(np.sum(np.square(layer["weights"])) for layer in prob["layers"]
                             if "weights" in layer)
        np.testing.assert_allclose(want["loss_parts"]["penalty"], penalty, rtol=1e-12)
        data += penalty
    np.testing.assert_allclose(want["loss"], data, rtol=1e-12)
