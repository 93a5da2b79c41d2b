"""Teaching tools: seeded problems (new), the gradient check, answer keys (csv),
textbook rounding (--round) and the bundled examples."""

import csv
import io
import json

import numpy as np
import pytest
import yaml
from helpers import PROBLEMS

import backprop_cli.engine as engine_module
from backprop_cli.engine.rounding import round_half_away

CLASSIC_ARGS = ["new", "--layers", "3,3,3,3", "--seed", "0", "--x", "1,0,1", "--y", "2"]
EXAMPLES = sorted(p.stem for p in PROBLEMS.glob("*.yaml"))

# ---------------------------------------------------------------------- new


def test_new_reproduces_the_classic_exercise(run):
    made = run(*CLASSIC_ARGS, "--decimals", "8")
    assert made.exit_code == 0
    doc = yaml.safe_load(made.stdout)
    classic = yaml.safe_load((PROBLEMS / "classic.yaml").read_text())
    for mine, theirs in zip(doc["layers"], classic["layers"], strict=True):
        assert mine["weights"] == theirs["weights"] and mine["bias"] == theirs["bias"]
    loss = run("solve", "--get", "update.loss", input=made.stdout)
    assert float(loss.stdout) == pytest.approx(0.0725333007370964, abs=1e-12)


def test_new_at_full_precision(run):
    made = run(*CLASSIC_ARGS)
    loss = run("solve", "--get", "update.loss", input=made.stdout)
    assert float(loss.stdout) == pytest.approx(0.0725333008104706, abs=1e-12)
    np.random.seed(0)
    assert yaml.safe_load(made.stdout)["layers"][0]["weights"][0] == np.random.rand(3).tolist()


def test_new_draws_x_and_y_after_the_parameters(run):
    doc = yaml.safe_load(run("new", "--layers", "2,2", "--seed", "5").stdout)
    np.random.seed(5)
    np.random.rand(2 * 2 + 2)
    assert doc["x"] == np.random.rand(2).tolist()
    assert doc["y"] == int(np.random.randint(2))


def test_new_defaults_and_losses(run):
    doc = yaml.safe_load(run("new", "--layers", "2,3,2", "--loss", "mse", "--y", "1").stdout)
    assert [layer["activation"] for layer in doc["layers"]] == ["sigmoid", "sigmoid"]
    assert doc["y"] == [0, 1]  # the one-hot vector of the index
    doc = yaml.safe_load(run("new", "--layers", "2,3,2").stdout)
    assert [layer["activation"] for layer in doc["layers"]] == ["sigmoid", "softmax"]
    doc = yaml.safe_load(run("new", "--layers", "2,2", "--loss", "sse_half",
                             "--y", "0.5,-1").stdout)
    assert doc["y"] == [0.5, -1]


@pytest.mark.parametrize("init", ["xavier", "he"])
def test_new_scaled_inits_have_zero_biases(run, init):
    doc = yaml.safe_load(run("new", "--layers", "100,50,10", "--init", init).stdout)
    W1 = np.array(doc["layers"][0]["weights"])
    assert W1.shape == (50, 100)
    assert doc["layers"][0]["bias"] == [0.0] * 50
    if init == "xavier":
        assert np.abs(W1).max() <= np.sqrt(6 / 150)
    else:
        assert abs(W1.std() - np.sqrt(2 / 100)) < 0.02


def test_new_count_writes_variants(run, tmp_path):
    out = tmp_path / "variants"
    result = run("new", "--layers", "3,3,3", "--seed", "10", "--decimals", "2", "--count", "3",
                 "-o", out)
    assert result.exit_code == 0
    files = sorted(out.iterdir())
    assert [f.name for f in files] == ["variant-000.yaml", "variant-001.yaml",
                                       "variant-002.yaml"]
    for i, f in enumerate(files):
        same = run("new", "--layers", "3,3,3", "--seed", 10 + i, "--decimals", "2").stdout
        assert yaml.safe_load(f.read_text())["layers"] == yaml.safe_load(same)["layers"]
    key = run("solve", *files, "--format", "csv")
    assert len(key.stdout.splitlines()) == 4


@pytest.mark.parametrize("args, message", [
    (["--layers", "3"], "Invalid value for --layers"),
    (["--layers", "3,x"], "Invalid value for --layers"),
    (["--layers", "3,3", "--activations", "relu,relu"], "expected 1: one per layer"),
    (["--layers", "3,3", "--activations", "sigmoyd"], "found 'sigmoyd'"),
    (["--layers", "3,3", "--x", "1,2"], "expected 3 (the input size)"),
    (["--layers", "3,3", "--count", "2"], "--count needs -o DIR"),
    (["--layers", "3,3", "--activations", "sigmoid"],
     "Error: backprop new: layers[0].activation (h1): found sigmoid, expected softmax"),
    (["--layers", "3,3", "--y", "7"], "Error: backprop new: y: found 7, expected a class index"),
])
def test_new_errors(run, args, message):
    result = run("new", *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_list_examples(run):
    out = run("new", "--list-examples").stdout
    assert [line.split()[0] for line in out.splitlines()] == EXAMPLES
    assert "classic         Two sigmoid hidden layers, softmax output" in out


@pytest.mark.parametrize("name", EXAMPLES)
def test_solve_example_equals_the_file(run, name):
    by_name = run("solve", "--example", name, "--format", "json")
    by_path = run("solve", PROBLEMS / f"{name}.yaml", "--format", "json")
    assert by_name.exit_code == 0 and json.loads(by_name.stdout) == json.loads(by_path.stdout)


def test_unknown_example(run):
    result = run("solve", "--example", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --example nope: no such example, expected one of")


# -------------------------------------------------------------------- check


@pytest.mark.parametrize("name", EXAMPLES)
def test_check_passes_on_every_example(run, name):
    result = run("check", PROBLEMS / f"{name}.yaml")
    assert result.exit_code == 0, result.stdout
    assert "All analytic gradients agree with finite differences." in result.stdout
    assert "central differences, step 1e-06" in result.stdout


def test_check_fails_on_a_wrong_gradient(run, monkeypatch):
    real = engine_module.backward

    def wrong(*args, **kwargs):
        grads = real(*args, **kwargs)
        grads.params["b2"][1] += 1e-3  # one entry off
        return grads

    monkeypatch.setattr(engine_module, "backward", wrong)
    result = run("check", PROBLEMS / "classic.yaml", "--format", "json")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False
    assert doc["parameters"]["b2"]["failures"] == 1
    assert all(p["failures"] == 0 for n, p in doc["parameters"].items() if n != "b2")
    table = run("check", PROBLEMS / "classic.yaml")
    assert table.exit_code == 1 and "FAIL (1)" in table.stdout and "1 entry disagree" in \
        table.stdout


def test_check_skips_kinks(run):
    at_kink = """\
x: [1.0, -1.0]
y: [1.0]
loss: sse_half
layers:
  - {weights: [[1.0, 1.0], [0.5, -0.5]], bias: [0.0, 0.0], activation: relu}
  - {weights: [[1.0, 2.0]], bias: [0.5], activation: identity}
"""
    doc = json.loads(run("check", "-", "--format", "json", input=at_kink).stdout)
    assert doc["ok"] is True
    assert doc["parameters"]["W1"]["skipped"] == 2 and doc["parameters"]["b1"]["skipped"] == 1
    assert doc["parameters"]["W2"]["skipped"] == 0


# ---------------------------------------------------------------- answer keys


def test_csv_answer_key_equals_the_json(run):
    paths = [PROBLEMS / "classic.yaml", PROBLEMS / "batch_mse.yaml"]
    result = run("solve", *paths, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == ["file", "parameters", "sums.a1", "sums.h1", "sums.a2", "sums.h2",
                       "sums.a3", "sums.h3", "loss", "update.loss"]
    assert len(rows) == 3
    docs = json.loads(run("solve", *paths, "--format", "json").stdout)
    for row, doc, path in zip(rows[1:], docs, paths, strict=True):
        record = dict(zip(rows[0], row, strict=True))
        assert record["file"] == str(path)
        assert int(record["parameters"]) == doc["parameters"]
        assert float(record["loss"]) == doc["loss"]
        assert float(record["update.loss"]) == doc["update"]["loss"]
        for key, value in doc["sums"].items():
            assert float(record[f"sums.{key}"]) == value
    # batch_mse has two layers: its a3 and h3 cells are empty (the union of columns)
    assert rows[2][6:8] == ["", ""]


# ----------------------------------------------------------- textbook rounding

# The textbook's published answers for textbook_321.yaml, which it rounds to 3 decimals
# (outputs, net input, updated weights) and 4 (errors Err = -dE/da).
PUBLISHED = {
    "forward.h1.0": 0.332, "forward.h1.1": 0.525, "forward.a2.0": -0.105,
    "forward.h2.0": 0.474,
    "gradients.a1.0": 0.0087, "gradients.a1.1": 0.0065,  # Err4 = -0.0087, Err5 = -0.0065
    "update.parameters.W2.0.0": -0.261, "update.parameters.W2.0.1": -0.138,
    "update.parameters.W1.0.0": 0.192, "update.parameters.W1.1.0": -0.306,
    "update.parameters.W1.0.1": 0.4, "update.parameters.W1.1.1": 0.1,
    "update.parameters.W1.0.2": -0.508, "update.parameters.W1.1.2": 0.194,
    "update.parameters.b2.0": 0.218, "update.parameters.b1.1": 0.194,
    "update.parameters.b1.0": -0.408,
}


def _at(doc, path):
    for key in path.split("."):
        doc = doc[int(key)] if isinstance(doc, list) else doc[key]
    return doc


def _hand_round(v, k):
    from decimal import ROUND_HALF_UP, Decimal

    return float(Decimal(repr(v)).quantize(Decimal(1).scaleb(-k), rounding=ROUND_HALF_UP))


def test_round_4_reproduces_the_textbooks_answers(solve_json):
    doc = solve_json(PROBLEMS / "textbook_321.yaml", "--round", "4")
    assert doc["rounded"] == 4
    for path, published in PUBLISHED.items():
        decimals = len(repr(published).split(".")[1])
        assert _hand_round(_at(doc, path), decimals) == published, path
    # every carried value has at most 4 decimals
    assert doc["forward"]["h2"] == [0.4739] and doc["gradients"]["a2"] == [-0.1312]
    # (The book prints Err6 = 0.1311 because it multiplies its 3-decimal O6 = 0.474;
    # the exact value, -0.13117, rounds to 0.1312 at 4 decimals as this tool shows.)


def test_round_changes_values_and_default_is_exact(solve_json):
    exact = solve_json(PROBLEMS / "textbook_321.yaml")
    assert "rounded" not in exact
    assert exact["forward"]["h2"][0] == pytest.approx(0.47388889882398544, rel=1e-14)
    rounded = solve_json(PROBLEMS / "textbook_321.yaml", "--round", "2")
    # carried: h1 = [0.33, 0.52], a2 = -0.103 -> -0.10, h2 = 0.475 -> 0.48 (not 0.47)
    assert rounded["forward"]["a2"] == [-0.1] and rounded["forward"]["h2"] == [0.48]


def test_round_half_away_from_zero():
    rnd = round_half_away(2)
    assert rnd(2.675) == 2.68 and rnd(-2.675) == -2.68 and rnd(0.125) == 0.13
    assert rnd(np.array([[-0.004]])).tolist() == [[0.0]]
    assert str(rnd(-0.004)) == "0.0"
