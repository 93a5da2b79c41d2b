"""Sequence exercises through solve, step, check and --get: values keep (N, T, ·) or one
sample's (T, ·); the tables go step by step with the JSON's numbers and ∂L/∂h_t's two
parts; step writes the gates back in the file's own form (by name, or stacked in its order,
in its layout) with the optimizer state, and the file reads back as the same parameters;
saturation at ±1000 stays finite; overflow is one located error line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

from backprop_cli import engine
from backprop_cli.problem import from_document, load

LSTM = {
    "x": [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]],
    "y": [[1, 0, 1], [0, 0, 1]],
    "loss": "cross_entropy",
    "layout": "in_out",
    "layers": [
        {"kind": "lstm", "gates": "ifog", "output": "all",  # CS231n's order and layout
         "wx": [[0.1, 0.2, -0.3, 0.4, 0.5, -0.1, 0.2, 0.3],
                [0.3, -0.1, 0.2, 0.1, -0.2, 0.4, 0.1, -0.3]],
         "wh": [[0.1, 0.0, 0.2, 0.1, 0.3, -0.1, 0.0, 0.2],
                [0.0, 0.1, 0.1, 0.2, -0.1, 0.0, 0.2, 0.1]],
         "bias": [0, 0, 1, 1, 0, 0, 0, 0], "h0": [0.1, -0.1], "c0": [[0.2, 0], [0, 0.2]]},
        {"weights": [[1, 0.5], [-1, 0.5]], "bias": [0, 0.1], "activation": "softmax"}],
    "optimizer": {"name": "adam", "lr": 0.1},
}
GRU = {
    "x": [[1, 0.5], [0, -1]],
    "y": [0.5, -0.5],
    "loss": "upstream",
    "layers": [{"kind": "gru", "form": "cho", "update": "new",
                "wx": {"r": [[0.1, 0.2], [0.3, -0.1]], "z": [[0.2, 0.1], [-0.1, 0.3]],
                       "n": [[0.5, -0.2], [0.1, 0.4]]},
                "wh": {"r": [[0.1, 0], [0, 0.1]], "z": [[0.2, 0], [0.1, 0.1]],
                       "n": [[0.3, -0.1], [0.2, 0]]}}],
    "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9},
}


def _solved(doc):
    from backprop_cli.output.report import solve_document

    problem = from_document(doc, "p.yaml")
    return problem, solve_document(problem, engine.solve(problem.inputs))


def _write(tmp_path, doc, name="p.yaml"):
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc))
    return path


def test_every_step_is_kept_in_the_documents_shapes():
    _, doc = _solved(LSTM)
    for name in ("a1",):
        assert np.shape(doc["forward"][name]) == (2, 3, 8)
    for name in ("i1", "f1", "g1", "o1", "c1", "h1"):
        assert np.shape(doc["forward"][name]) == (2, 3, 2)
    assert np.shape(doc["forward"]["h2"]) == (2, 3, 2)  # the dense layer at every step
    g = doc["gradients"]
    for name in ("h1", "hout1", "hnext1", "c1", "cnext1", "i1", "x"):
        assert np.shape(g[name]) == ((2, 3, 2))
    assert np.shape(g["h0"]) == np.shape(g["c0"]) == (2, 2)
    np.testing.assert_allclose(np.add(g["hout1"], g["hnext1"]), g["h1"], rtol=1e-15)
    assert np.all(np.array(g["hnext1"])[:, -1] == 0) and np.all(np.array(g["cnext1"])[:, -1] == 0)
    # stacked parameters and their gradients in the file's order (ifog) and layout (D, 4H)
    assert np.shape(g["Wx1"]) == (2, 8) and np.shape(doc["update"]["parameters"]["Wh1"]) == (2, 8)


def test_the_stacked_pre_activations_follow_the_files_gate_order():
    problem, doc = _solved(LSTM)
    a = np.array(doc["forward"]["a1"])  # i, f, o, g as the file stacks them
    i, f, o, g = (a[..., k * 2:(k + 1) * 2] for k in range(4))
    np.testing.assert_allclose(1 / (1 + np.exp(-i)), doc["forward"]["i1"], rtol=1e-14)
    np.testing.assert_allclose(1 / (1 + np.exp(-o)), doc["forward"]["o1"], rtol=1e-14)
    np.testing.assert_allclose(np.tanh(g), doc["forward"]["g1"], rtol=1e-14)
    np.testing.assert_allclose(1 / (1 + np.exp(-f)), doc["forward"]["f1"], rtol=1e-14)


def test_one_sample_drops_the_sample_axis():
    _, doc = _solved(GRU)
    assert np.shape(doc["forward"]["h1"]) == (2, 2)
    assert np.shape(doc["gradients"]["x"]) == (2, 2) and np.shape(doc["gradients"]["h0"]) == (2,)
    assert set(doc["gradients"]["Wx1"]) == {"r", "z", "n"}  # by gate, as written


@pytest.mark.parametrize("doc", [LSTM, GRU], ids=["stacked-ifog-in_out", "named"])
def test_step_writes_a_file_that_reads_back_as_the_same_parameters_and_state(run, tmp_path,
                                                                             doc):
    path = _write(tmp_path, doc)
    out = run("step", path, "--steps", "2")
    assert out.exit_code == 0, out.stderr
    written = yaml.safe_load(out.stdout)
    layer = written["layers"][0]
    assert type(layer["wx"]) is type(doc["layers"][0]["wx"])  # the file's own form
    assert layer.get("gates") == doc["layers"][0].get("gates")
    again = _write(tmp_path, written, "again.yaml")
    problem = load(str(again))
    trained = engine.train(load(str(path)).inputs, 2)
    for name, value in trained.params.items():
        np.testing.assert_array_equal(problem.params[name], value)
    for name, entry in trained.state.items():
        for key, value in entry.items():
            np.testing.assert_array_equal(problem.state[name][key], value)
    three = engine.train(load(str(path)).inputs, 3)
    one = engine.train(problem.inputs, 1)
    assert one.losses[-1] == pytest.approx(three.losses[-1], rel=1e-12)


def test_get_paths_reach_steps_and_gates(run, tmp_path):
    _, doc = _solved(GRU)
    path = _write(tmp_path, GRU)
    gate = run("solve", path, "--get", "gradients.Wh1.n.1")
    assert gate.exit_code == 0
    assert json.loads(gate.stdout) == doc["gradients"]["Wh1"]["n"][1]
    cell = run("solve", path, "--get", "forward.z1.1.0")
    assert float(cell.stdout) == doc["forward"]["z1"][1][0]


def test_tables_go_step_by_step_with_the_documents_numbers(run, tmp_path):
    _, doc = _solved(LSTM)
    out = run("solve", _write(tmp_path, LSTM), "--decimals", "4")
    assert out.exit_code == 0, out.stderr
    lines = out.stdout.splitlines()
    assert any("3×2 → 3×2 → 3×2  (lstm (every step), softmax)" in line for line in lines)
    titles = [line for line in lines if line.startswith("Step ")]
    assert [t.split(":")[0] for t in titles[:3]] == [f"Step 1 · Forward pass, t = {t}"
                                                     for t in (1, 2, 3)]
    backward = [t for t in titles if t.startswith("Step 3 · Gradients, t =")]
    assert backward == [f"Step 3 · Gradients, t = {t}" for t in (3, 2, 1)]
    at = lines.index("Step 3 · Gradients, t = 2")
    body = lines[at:]

    def row(label):  # the first matrix row after the label, as numbers
        k = next(i for i, line in enumerate(body) if line.lstrip().startswith(label))
        return [float(v) for v in body[k].split("[")[-1].rstrip("] ").split()]

    g = doc["gradients"]
    assert row("∂L/∂h1 from the output") == [round(v, 4) for v in g["hout1"][0][1]]
    assert row("+ from step 3") == [round(v, 4) for v in g["hnext1"][0][1]]
    assert row("= ∂L/∂h1") == [round(v, 4) for v in g["h1"][0][1]]


def test_check_agrees_on_every_entry(run, tmp_path):
    for doc in (LSTM, GRU):
        out = run("check", _write(tmp_path, doc))
        assert out.exit_code == 0, out.stdout
        assert "All analytic gradients agree with finite differences." in out.stdout


def test_rounding_rounds_each_step(run, tmp_path):
    out = run("solve", _write(tmp_path, LSTM), "--round", "2", "--format", "json")
    doc = json.loads(out.stdout)
    for name in ("c1", "h1", "a1"):
        assert all(v == round(v, 2) for v in np.ravel(doc["forward"][name]).tolist())
    assert all(v == round(v, 2) for v in np.ravel(doc["gradients"]["Wx1"]).tolist())


def test_saturated_gates_stay_finite():
    doc = json.loads(json.dumps(LSTM))
    doc["x"] = (np.array(doc["x"], float) * 1000).tolist()
    problem = from_document(doc, "p.yaml")
    sol = engine.solve(problem.inputs)
    assert np.isfinite(sol.forward.loss)
    assert all(np.isfinite(g).all() for g in sol.gradients.params.values())


def test_overflow_is_one_located_error(run, tmp_path):
    doc = json.loads(json.dumps(GRU))
    doc["x"] = [[1e308, 1e308], [1e308, -1e308]]
    doc["layers"][0]["wx"]["n"] = [[1e10, 1e10], [1e10, 1e10]]
    out = run("solve", _write(tmp_path, doc))
    assert out.exit_code == 2
    assert out.stderr.startswith(f"Error: {tmp_path / 'p.yaml'}: ")
    assert out.stderr.endswith("a1 is not finite in float64, expected finite values (try a "
                               "smaller learning rate or smaller weights)\n")


@pytest.mark.parametrize("doc", [LSTM, GRU], ids=["stacked-ifog-in_out", "named"])
def test_the_python_api_holds_the_documents_numbers(doc):
    """bp.solve's arrays are the JSON document's, every step and gate as it shows them."""
    import backprop_cli as bp

    s = bp.solve(bp.load(doc))
    d = s.to_dict()
    model = s.problem.model
    for l in range(1, len(model.layers) + 1):
        np.testing.assert_array_equal(s.a(l), d["forward"][f"a{l}"])
        np.testing.assert_array_equal(s.h(l), d["forward"][f"h{l}"])
    for name, value in d["gradients"].items():
        got = s.gradients[name]
        if isinstance(value, dict):  # gates by name
            assert set(got) == set(value)
            for gate, v in value.items():
                np.testing.assert_array_equal(got[gate], v)
        else:
            np.testing.assert_array_equal(got, value)
    for name, value in d["update"]["parameters"].items():
        got = s.update.parameters[name]
        for key in (value if isinstance(value, dict) else [None]):
            np.testing.assert_array_equal(got if key is None else got[key],
                                          value if key is None else value[key])


def test_a_saturated_output_at_a_step_is_null_in_json_and_inf_in_the_table(run, tmp_path):
    """Contract §2: gradients.h{L} may hold null where ∂L/∂ŷ is not finite (a sigmoid
    output saturated to 1 under bce), at every step too; the table shows its sign."""
    doc = {"x": [[[1], [2]]], "y": [[[1], [0]]], "loss": "bce",
           "layers": [{"kind": "rnn", "wx": [[1]], "wh": [[1]], "output": "all"},
                      {"weights": [[800]], "activation": "sigmoid"}]}
    path = _write(tmp_path, doc)
    out = run("solve", path, "--format", "json")
    assert out.exit_code == 0, out.stderr
    assert json.loads(out.stdout)["gradients"]["h2"] == [[[-0.5], [None]]]
    table = run("solve", path)
    assert table.exit_code == 0, table.stderr
    assert [line.split() for line in table.stdout.splitlines()
            if line.lstrip().startswith("∂L/∂h2")] == [["∂L/∂h2", "[", "inf]"],
                                                        ["∂L/∂h2", "[-0.5000]"]]
