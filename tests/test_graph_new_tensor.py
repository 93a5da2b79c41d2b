"""`backprop new --graph` with vectors and matrices: shapes from --shape or an exercise
file, values drawn in them from numpy's default_rng(seed) (the oracle here draws them
again by the documented order: inputs in the expression's order, entries row by row, then
the upstream gradient), class indices within the logits' classes, an upstream gradient in
the output's shape, files that read back and an answer key whose numbers match the
matrix-calculus formulas computed here with numpy."""

import csv
import io
import json

import numpy as np
import pytest
import yaml

CS231N = "sum((W @ x) ** 2)"  # CS231n's ‖Wx‖²: ∂/∂W = 2(Wx)xᵀ, ∂/∂x = 2Wᵀ(Wx)


def new(run, *args, input=None):
    result = run("new", "--graph", *args, input=input)
    assert result.exit_code == 0, result.stderr
    return result


def drawn(run, *args):
    return yaml.safe_load(new(run, *args).stdout)


def rng_whole(seed, *shapes, low=-5, high=5):
    rng = np.random.default_rng(seed)
    return [rng.integers(low, high, endpoint=True, size=s).tolist() for s in shapes]


def graph_json(run, path):
    result = run("graph", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def close(a, b):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                               rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ shapes and draws


def test_shapes_drawn_from_the_seed_in_order(run):
    args = (CS231N, "--shape", "W=2x3", "--shape", "x=3", "--seed", "4")
    first = new(run, *args)
    doc = yaml.safe_load(first.stdout)
    assert list(doc) == ["title", "expression", "values"]  # a scalar result: no upstream
    assert doc["title"] == "Seeded exercise (seed 4)" and doc["expression"] == CS231N
    assert list(doc["values"]) == ["W", "x"]
    assert [doc["values"]["W"], doc["values"]["x"]] == rng_whole(4, (2, 3), (3,))
    assert new(run, *args).stdout == first.stdout  # the same seed, the same file


def test_scalars_draw_as_before_and_unnamed_inputs_stay_scalars(run):
    doc = drawn(run, "(x + y) * z", "--seed", "7")
    rng = np.random.default_rng(7)
    assert list(doc["values"].values()) == [int(rng.integers(-5, 5, endpoint=True))
                                            for _ in range(3)]
    mixed = drawn(run, "W @ x * c", "--shape", "W=3x2", "--shape", "x=2", "--seed", "1")
    assert isinstance(mixed["values"]["c"], int)
    assert [np.shape(v) for v in mixed["values"].values()] == [(3, 2), (2,), ()]


def test_a_variant_is_its_seed_alone(run, tmp_path):
    out = tmp_path / "v"
    new(run, CS231N, "--shape", "W=3x2", "--shape", "x=2", "--seed", "20", "--count", "3",
        "-o", out)
    for i in range(3):
        doc = yaml.safe_load((out / f"variant-{i:03d}.yaml").read_text())
        alone = drawn(run, CS231N, "--shape", "W=3x2", "--shape", "x=2", "--seed", 20 + i)
        assert doc["values"] == alone["values"] and doc["title"] == f"Variant {i} (seed {20 + i})"


def test_decimals_in_a_matrix(run):
    doc = drawn(run, CS231N, "--shape", "W=2x2", "--shape", "x=2", "--low", "-1", "--high",
                "1", "--decimals", "2", "--seed", "3")
    rng = np.random.default_rng(3)
    expected = [[round(v, 2) + 0.0 for v in row] for row in rng.uniform(-1, 1, (2, 2)).tolist()]
    assert doc["values"]["W"] == expected
    assert all(isinstance(v, float) and -1 <= v <= 1 for v in doc["values"]["x"])


def test_values_are_drawn_again_where_an_entry_has_no_answer(run):
    doc = drawn(run, "sum(log(x))", "--shape", "x=4", "--low", "-2", "--high", "3",
                "--seed", "2")
    rng = np.random.default_rng(2)
    while True:  # the first draw of seed 2 with every entry in log's domain
        x = rng.integers(-2, 3, endpoint=True, size=4)
        if (x > 0).all():
            break
    assert doc["values"]["x"] == x.tolist()


def test_a_matrix_argument_can_be_written_2_times_3(run):
    doc = drawn(run, CS231N, "--shape", "W = 2×3", "--shape", "x=3")
    assert np.shape(doc["values"]["W"]) == (2, 3)


# ------------------------------------------------------------------ class indices


def test_class_indices_are_within_the_classes(run, tmp_path):
    out = tmp_path / "ce"
    new(run, "cross_entropy(Z, y)", "--shape", "Z=4x3", "--shape", "y=4", "--count", "15",
        "-o", out)
    seen = set()
    for i, f in enumerate(sorted(out.glob("*.yaml"))):
        doc = yaml.safe_load(f.read_text())
        y = doc["values"]["y"]
        rng = np.random.default_rng(i)  # Z's entries, then y's classes: integers(0, K)
        assert doc["values"]["Z"] == rng.integers(-5, 5, endpoint=True, size=(4, 3)).tolist()
        assert y == rng.integers(0, 3, size=4).tolist()
        assert len(y) == 4 and all(isinstance(c, int) and 0 <= c < 3 for c in y)
        seen.update(y)
        # read back: ∂L/∂Z = (softmax(Z) − onehot(y)) / N, torch's mean over the rows
        z = np.asarray(doc["values"]["Z"], dtype=float)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        close(graph_json(run, f)["gradients"]["Z"], (p - np.eye(3)[y]) / 4)
    assert seen == {0, 1, 2}  # 60 draws: every class comes


def test_a_scalar_class_index_for_logits_from_a_product(run):
    classes = set()
    for seed in range(12):
        doc = drawn(run, "cross_entropy(W @ x, t)", "--shape", "W=5x2", "--shape", "x=2",
                    "--seed", seed)
        t = doc["values"]["t"]
        assert isinstance(t, int) and 0 <= t < 5
        rng = np.random.default_rng(seed)
        rng.integers(-5, 5, endpoint=True, size=(5, 2)), rng.integers(-5, 5, endpoint=True,
                                                                       size=2)
        assert t == rng.integers(0, 5)
        classes.add(t)
    assert len(classes) > 2


def test_a_target_of_the_logits_shape_is_one_hot_rows(run):
    doc = drawn(run, "cross_entropy(Z, Y)", "--shape", "Z=3x4", "--shape", "Y=3x4", "--seed",
                "6")
    y = np.asarray(doc["values"]["Y"])
    assert y.shape == (3, 4) and set(y.ravel()) <= {0, 1} and (y.sum(axis=1) == 1).all()
    rng = np.random.default_rng(6)
    rng.integers(-5, 5, endpoint=True, size=(3, 4))
    assert y.argmax(axis=1).tolist() == rng.integers(0, 4, size=3).tolist()


# ------------------------------------------------------------------ upstream gradients


def test_an_upstream_gradient_in_the_output_shape(run, tmp_path):
    doc = drawn(run, "W @ x", "--shape", "W=2x3", "--shape", "x=3", "--seed", "11")
    w, x, u = rng_whole(11, (2, 3), (3,), (2,))
    assert doc["values"] == {"W": w, "x": x} and doc["upstream"] == u
    path = tmp_path / "e.yaml"
    path.write_text(new(run, "W @ x", "--shape", "W=2x3", "--shape", "x=3", "--seed",
                        "11").stdout)
    g = graph_json(run, path)["gradients"]  # L = uᵀ(Wx): ∂L/∂W = u xᵀ, ∂L/∂x = Wᵀu
    close(g["W"], np.outer(u, x))
    close(g["x"], np.asarray(w).T @ u)


def test_an_attention_output_gets_a_matrix_upstream(run):
    doc = drawn(run, "softmax(Q @ K.T / sqrt(2)) @ V", "--shape", "Q=2x2", "--shape", "K=3x2",
                "--shape", "V=3x2", "--decimals", "1", "--low", "-1", "--high", "1")
    assert np.shape(doc["upstream"]) == (2, 2)
    assert all(isinstance(v, float) for row in doc["upstream"] for v in row)


# ------------------------------------------------------------------ from an exercise file

EXERCISE = """\
title: Attention, backward
expression: A = softmax(Q @ K.T / sqrt(2)); O = A @ V
values:
  Q: [[1, 0], [0, 1]]
  K: [[1, 2], [0, 1], [1, 1]]
  V: [[1, 0], [0, 1], [2, 2]]
inputs: [Q, V]
upstream: [[1, 0], [0, 1]]
"""


def test_variants_of_an_exercise_file(run, tmp_path):
    source = tmp_path / "attention.yaml"
    source.write_text(EXERCISE)
    kept = yaml.safe_load(EXERCISE)
    out = tmp_path / "variants"
    result = new(run, source, "--count", "4", "--seed", "5", "-o", out)
    assert result.stderr.startswith("wrote 4 exercises to ")
    files = sorted(out.glob("*.yaml"))
    docs = [yaml.safe_load(f.read_text()) for f in files]
    for doc in docs:
        assert {k: doc[k] for k in ("title", "expression", "inputs", "upstream")} == \
            {k: kept[k] for k in ("title", "expression", "inputs", "upstream")}
        assert {k: np.shape(v) for k, v in doc["values"].items()} == \
            {k: np.shape(v) for k, v in kept["values"].items()}
    assert docs[0]["values"] == dict(zip("QKV", rng_whole(5, (2, 2), (3, 2), (3, 2))))
    assert len({str(d["values"]) for d in docs}) == 4
    key = run("graph", *files, "--format", "csv")
    assert key.exit_code == 0, key.stderr
    rows = list(csv.DictReader(io.StringIO(key.stdout)))
    assert len(rows) == 4 and "gradients.V.2.1" in rows[0] and "gradients.K.0.0" not in rows[0]
    for doc, row in zip(docs, rows):  # ∂L/∂V = Aᵀ · upstream
        q, k = (np.asarray(doc["values"][n], dtype=float) for n in "QK")
        s = q @ k.T / np.sqrt(2)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        dv = a.T @ np.asarray(kept["upstream"], dtype=float)
        close([float(row[f"gradients.V.{i}.{j}"]) for i in range(3) for j in range(2)],
              dv.ravel())


def test_a_file_on_standard_input_and_its_title_replaced(run):
    doc = yaml.safe_load(new(run, "-", "--title", "Quiz 3", input=EXERCISE).stdout)
    assert doc["title"] == "Quiz 3" and np.shape(doc["values"]["K"]) == (3, 2)


# ------------------------------------------------------------------ the answer key


def test_an_answer_key_for_matrix_variants(run, tmp_path):
    out = tmp_path / "v"
    new(run, CS231N, "--shape", "W=2x3", "--shape", "x=3", "--count", "5", "-o", out)
    files = sorted(out.glob("*.yaml"))
    key = run("graph", *files, "--format", "csv")
    assert key.exit_code == 0, key.stderr
    rows = list(csv.DictReader(io.StringIO(key.stdout)))
    assert len(rows) == 5
    for f, row in zip(files, rows):
        values = yaml.safe_load(f.read_text())["values"]
        w, x = np.asarray(values["W"], float), np.asarray(values["x"], float)
        close(float(row["value"]), np.sum((w @ x) ** 2))
        close([float(row[f"gradients.W.{i}.{j}"]) for i in range(2) for j in range(3)],
              (2 * np.outer(w @ x, x)).ravel())
        close([float(row[f"gradients.x.{j}"]) for j in range(3)], 2 * w.T @ (w @ x))


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(("args", "message"), [
    (["--shape", "1x=3"], "--shape 1x=3: found no NAME=, expected NAME=SHAPE like W=2x3 or x=3"),
    (["--shape", "W"], "--shape W: found no NAME=, expected NAME=SHAPE like W=2x3 or x=3"),
    (["--shape", "W=2x"], "--shape W=2x: found '2x', expected a shape like 3 (a vector) or 2x3 "
                          "(a matrix of 2 rows and 3 columns)"),
    (["--shape", "W=-2"], "--shape W=-2: found '-2', expected a shape like 3 (a vector) or "
                          "2x3 (a matrix of 2 rows and 3 columns)"),
    (["--shape", "W=2x3x4"], "--shape W=2x3x4: found 3 sizes, expected a shape like 3 (a "
                             "vector) or 2x3 (a matrix of 2 rows and 3 columns): a value is a "
                             "number, a vector or a matrix"),
    (["--shape", "W=0x3"], "--shape W=0x3: found a size of 0, expected sizes from 1 to 1000"),
    (["--shape", "w=2x3"], "--shape w=2x3: found w, which the expression does not use, "
                           "expected shapes for W, x only (did you mean W?)"),
    (["--shape", "W=2x3", "--shape", "W=3"],
     "--shape W=3: found W a second time, expected one shape for each input"),
])
def test_bad_shapes(run, args, message):
    result = run("new", "--graph", "W @ x", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("expression", "shapes", "values"), [
    ("W @ x", ["W=3x3", "x=2"], ["W=[[1,2,3],[1,2,3],[1,2,3]]", "x=[1,2]"]),
    ("W @ x + b", ["W=2x3", "x=3", "b=3"], ["W=[[1,2,3],[1,2,3]]", "x=[1,2,3]", "b=[1,2,3]"]),
    ("W @ x", ["x=3"], ["W=2", "x=[1,2,3]"]),
    ("cross_entropy(Z, y)", ["Z=2x3", "y=3"], ["Z=[[1,2,3],[1,2,3]]", "y=[0,1,2]"]),
    ("softmax(z)", [], ["z=1"]),
])
def test_shapes_that_do_not_fit_are_the_engines_message(run, expression, shapes, values):
    """The message `backprop graph` gives for values of those shapes, at --graph."""
    result = run("new", "--graph", expression, *[a for s in shapes for a in ("--shape", s)])
    assert (result.exit_code, result.stdout) == (2, "")
    engine = run("graph", expression, *values)
    assert engine.exit_code == 2
    assert result.stderr == engine.stderr.replace("Error: expression: ", "Error: --graph: ")


@pytest.mark.parametrize(("args", "message"), [
    (["--shape", "x=3"], "--shape goes with --graph EXPRESSION"),
    (["--graph", "x * y", "--batch", "2"], "--batch does not go with --graph"),
    (["--graph", "x * y", "--low", "-inf", "--decimals", "1"],
     "--low: found -inf, expected a number from -1e15 to 1e15"),
    (["--graph", "x * y", "--high", "1e30"],
     "--high: found 1e+30, expected a number from -1e15 to 1e15"),
])
def test_bad_options(run, args, message):
    result = run("new", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message}\n"


def test_a_shape_for_an_exercise_file_is_refused(run, tmp_path):
    path = tmp_path / "e.yaml"
    path.write_text(EXERCISE)
    result = run("new", "--graph", path, "--shape", "Q=3")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: --shape Q=3: found the exercise file {path}, expected an "
                             "expression (a file's values give each input's shape)\n")
