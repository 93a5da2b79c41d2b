"""The feature-map kinds through solve, step, check and --get: maps keep the file's shape
(channels first or last, one sample or a batch, x written (H, W)); the tables show one
matrix per sample and channel with the JSON's numbers; the updated file reads back as the
same parameters and state; overflow is one located error line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from backprop_cli import engine
from backprop_cli.problem import from_document, load

FIRST = {
    "x": [[[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]],
          [[[0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 0, 2], [0, 2, 1, 0]]]],
    "y": [1, 0],
    "loss": "cross_entropy",
    "layers": [
        {"kind": "conv2d", "weights": [[[[1, 0], [0, -1]]], [[[0.5, 1], [-1, 0.25]]]],
         "bias": [0.1, -0.2], "activation": "relu"},
        {"kind": "avgpool2d", "size": 2, "stride": 1},
        {"kind": "flatten"},
        {"weights": [[0.1, 0.2, -0.1, 0.3, 0.2, -0.3, 0.1, 0.4],
                     [0.2, -0.1, 0.3, 0.1, -0.2, 0.1, 0.3, -0.1]],
         "bias": [0, 0.1], "activation": "softmax"}],
    "optimizer": {"name": "adam", "lr": 0.1},
}


def _last(doc: dict) -> dict:
    """The same problem written channels last: x (N, H, W, C), kernels (kH, kW, C_in, C_out);
    flatten then takes (H, W, C) order, so the dense weights' columns are permuted to match."""
    x = np.array(doc["x"], float).transpose(0, 2, 3, 1)
    W = np.array(doc["layers"][0]["weights"], float).transpose(2, 3, 1, 0)
    D = np.array(doc["layers"][3]["weights"], float)
    D = D.reshape(2, 2, 2, 2).transpose(0, 2, 3, 1).reshape(2, 8)  # (c, h, w) -> (h, w, c)
    layers = [dict(layer) for layer in doc["layers"]]
    layers[0]["weights"], layers[3]["weights"] = W.tolist(), D.tolist()
    return {**doc, "channels": "last", "x": x.tolist(), "layers": layers}


def _solved(doc):
    from backprop_cli.output.report import solve_document

    problem = from_document(doc, "p.yaml")
    return problem, solve_document(problem, engine.solve(problem.inputs))


def test_channels_last_is_the_same_network_in_another_order():
    _, first = _solved(FIRST)
    _, last = _solved(_last(FIRST))
    assert first["loss"] == pytest.approx(last["loss"], rel=1e-14)
    a1 = np.array(first["forward"]["a1"])
    assert a1.shape == (2, 2, 3, 3)
    np.testing.assert_allclose(np.array(last["forward"]["a1"]), a1.transpose(0, 2, 3, 1),
                               rtol=1e-14)
    np.testing.assert_allclose(np.array(last["gradients"]["x"]),
                               np.array(first["gradients"]["x"]).transpose(0, 2, 3, 1),
                               rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(np.array(last["gradients"]["W1"]),
                               np.array(first["gradients"]["W1"]).transpose(2, 3, 1, 0),
                               rtol=1e-13, atol=1e-15)
    assert np.array(last["update"]["parameters"]["W1"]).shape == (2, 2, 1, 2)


@pytest.mark.parametrize("x, shape", [
    ([[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]], (4, 4)),  # (H, W)
    ([[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]], (1, 4, 4)),  # (C, H, W)
])
def test_one_sample_keeps_the_rank_it_is_written_in(x, shape):
    problem, doc = _solved({**FIRST, "x": x, "y": 1})
    assert not problem.batched
    assert np.array(doc["gradients"]["x"]).shape == shape
    assert np.array(doc["forward"]["h1"]).shape == (2, 3, 3)
    assert np.array(doc["forward"]["a3"]).shape == (8,)


def test_step_writes_a_file_that_reads_back_as_the_same_parameters_and_state(run, tmp_path):
    for doc in (FIRST, _last(FIRST)):
        path = tmp_path / "p.yaml"
        path.write_text(yaml.safe_dump(doc))
        out = run("step", path, "--steps", "2")
        assert out.exit_code == 0, out.stderr
        again = tmp_path / "again.yaml"
        again.write_text(out.stdout)
        problem = load(str(again))
        trained = engine.train(load(str(path)).inputs, 2)
        for name, value in trained.params.items():
            np.testing.assert_array_equal(problem.params[name], value)
        for name, entry in trained.state.items():
            for key, value in entry.items():
                np.testing.assert_array_equal(problem.state[name][key], value)
        # a third step from the file equals three steps at once
        three = engine.train(load(str(path)).inputs, 3)
        one = engine.train(problem.inputs, 1)
        assert one.losses[-1] == pytest.approx(three.losses[-1], rel=1e-12)


def test_get_paths_reach_maps_and_kernels(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(FIRST))
    _, doc = _solved(FIRST)
    kernel = run("solve", path, "--get", "gradients.W1.1.0")
    assert kernel.exit_code == 0
    assert json.loads(kernel.stdout) == doc["gradients"]["W1"][1][0]
    cell = run("solve", path, "--get", "forward.h1.0.1.2.0")
    assert float(cell.stdout) == doc["forward"]["h1"][0][1][2][0]


def test_tables_show_each_map_with_the_documents_numbers(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(FIRST))
    _, doc = _solved(FIRST)
    out = run("solve", path, "--decimals", "4")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any("1×4×4 → 2×3×3 → 2×2×2 → 8 → 2" in line for line in lines)
    for label in ("h0 = x[0, 0]", "h0 = x[1, 0]", "a1[0, 0]", "a1[1, 1]", "h2[1, 1]",
                  "∂L/∂W1[1, 0]", "∂L/∂x[1, 0]", "W1[0, 0]  new",
                  "state W1.exp_avg[1, 0]"):
        assert any(line.lstrip().startswith(label) for line in lines), label
    at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("a1[1, 1]"))
    for r, row in enumerate(doc["forward"]["a1"][1][1]):
        shown = lines[at + r].split("[")[-1].rstrip("] ").split()
        assert [float(v) for v in shown] == [round(v, 4) for v in row]


def test_check_agrees_on_every_kernel_entry(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(FIRST))
    out = run("check", path)
    assert out.exit_code == 0, out.stdout
    assert "All analytic gradients agree with finite differences." in out.stdout


def test_rounding_rounds_each_map_value(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(FIRST))
    out = run("solve", path, "--round", "2", "--format", "json")
    doc = json.loads(out.stdout)
    for value in np.ravel(doc["forward"]["a2"]).tolist() + np.ravel(
            doc["gradients"]["W1"]).tolist():
        assert value == round(value, 2)


def test_overflow_in_a_convolution_is_one_located_error(run, tmp_path):
    big = [[[[1e300, 1e300], [1e300, 1e300]]], [[[1e300, 1e300], [1e300, 1e300]]]]
    doc = {**FIRST, "layers": [dict(FIRST["layers"][0], weights=big), *FIRST["layers"][1:]]}
    doc["x"] = (np.array(FIRST["x"], float) * 1e10).tolist()
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(doc))
    out = run("solve", path)
    assert out.exit_code == 2
    assert out.stderr == (f"Error: {path}: a1 is not finite in float64, expected finite "
                          "values (try a smaller learning rate or smaller weights)\n")


def test_layout_in_out_turns_the_dense_weights_only():
    # the dense layer after flatten written (in, out); the kernels keep (C_out, C_in, kH, kW)
    layers = [dict(layer) for layer in FIRST["layers"]]
    layers[3]["weights"] = np.array(layers[3]["weights"]).T.tolist()
    _, out_in = _solved(FIRST)
    _, in_out = _solved({**FIRST, "layout": "in_out", "layers": layers})
    assert in_out["loss"] == out_in["loss"]
    assert in_out["gradients"]["W1"] == out_in["gradients"]["W1"]
    assert np.array(in_out["gradients"]["W4"]).shape == (8, 2)
    np.testing.assert_array_equal(np.array(in_out["gradients"]["W4"]),
                                  np.array(out_in["gradients"]["W4"]).T)


def test_targets_follow_the_samples_not_the_maps():
    # target rows (N, n_L) after an image batch, and one target vector after one image
    rows = {**FIRST, "loss": "mse", "y": [[0.5, -0.5], [1.0, 0.0]],
            "layers": [*FIRST["layers"][:3], dict(FIRST["layers"][3], activation="identity")]}
    problem, doc = _solved(rows)
    assert problem.y.shape == (2, 2)
    one = {**rows, "x": FIRST["x"][0], "y": [0.5, -0.5]}
    problem, doc = _solved(one)
    assert problem.y.shape == (1, 2) and np.array(doc["forward"]["h4"]).shape == (2,)
