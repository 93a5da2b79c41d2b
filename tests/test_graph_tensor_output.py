"""`backprop graph` with vectors and matrices: the tables, the JSON document, --get paths,
CSV answer keys, --upstream and `upstream:`, class-index labels, and bp.graph with numpy
arrays and torch tensors. The numbers are CS231n's published ‖W·x‖² example (lecture 4,
"A vectorized example"), checked by hand, and the matrix calculus they follow."""

import json

import numpy as np
import pytest
from helpers import PROBLEMS, as_shown

import backprop_cli as bp

CS231N = ("sum((W @ x) ** 2)", "W=[[0.1, 0.5], [-0.3, 0.8]]", "x=[0.2, 0.4]")
TABLE = """\
Expression  sum((W @ x) ** 2)
Values      W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]

Forward pass: each node's value
 node   operation   shape                value
───────────────────────────────────────────────
 W      input       2×2      [ 0.1000  0.5000]
                             [-0.3000  0.8000]
 x      input       2        [ 0.2000  0.4000]
 n1     W @ x       2        [ 0.2200  0.2600]
 n2     n1 ** 2     2        [ 0.0484  0.0676]
 f      sum(n2)     scalar              0.1160

Backward pass: upstream ∂f/∂node ⊙ local ∂node/∂input entry by entry, or the operation's rule;
summed over broadcast axes and for each input
 edge                                                            value
───────────────────────────────────────────────────────────────────────
 f → n2    rule                 ∂f/∂n2 += ∂f/∂f, copied to every entry
           upstream ∂f/∂f                                       1.0000
           product                                   [ 1.0000  1.0000]
           ∂f/∂n2 so far                             [ 1.0000  1.0000]

 n2 → n1   local ∂node/∂input                        [ 0.4400  0.5200]
           upstream ∂f/∂n2                           [ 1.0000  1.0000]
           product                                   [ 0.4400  0.5200]
           ∂f/∂n1 so far                             [ 0.4400  0.5200]

 n1 → W    rule                                   ∂f/∂W += ∂f/∂n1 · xᵀ
           upstream ∂f/∂n1                           [ 0.4400  0.5200]
           product                                   [ 0.0880  0.1760]
                                                     [ 0.1040  0.2080]
           ∂f/∂W so far                              [ 0.0880  0.1760]
                                                     [ 0.1040  0.2080]

 n1 → x    rule                                   ∂f/∂x += Wᵀ · ∂f/∂n1
           upstream ∂f/∂n1                           [ 0.4400  0.5200]
           product                                   [-0.1120  0.6360]
           ∂f/∂x so far                              [-0.1120  0.6360]

Result
                     value
───────────────────────────
 f                  0.1160
 ∂f/∂W   [ 0.0880  0.1760]
         [ 0.1040  0.2080]
 ∂f/∂x   [-0.1120  0.6360]
"""


def graph_json(run, *args):
    result = run("graph", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_tables_of_cs231n_example(run):
    result = run("graph", *CS231N)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == TABLE


def test_json_keeps_shapes_rules_and_names(run):
    doc = graph_json(run, *CS231N)
    assert doc["shape"] == [] and doc["value"] == pytest.approx(0.116, rel=1e-12)
    nodes = {n["name"]: n for n in doc["nodes"]}
    assert nodes["W"]["shape"] == [2, 2] and nodes["x"]["shape"] == [2]
    assert nodes["n1"]["local"] == {"W": None, "x": None}
    assert nodes["n1"]["rules"] == {"W": "∂f/∂n1 · xᵀ", "x": "Wᵀ · ∂f/∂n1"}
    assert nodes["n2"]["local"]["n1"] == pytest.approx([0.44, 0.52], rel=1e-12)
    assert "rules" not in nodes["n2"]  # element-wise: a local derivative per entry
    assert doc["forward"]["n1"] == pytest.approx([0.22, 0.26], rel=1e-12)
    assert doc["backward"]["n1"] == pytest.approx([0.44, 0.52], rel=1e-12)
    assert np.allclose(doc["gradients"]["W"], [[0.088, 0.176], [0.104, 0.208]], rtol=1e-12)
    assert np.allclose(doc["gradients"]["x"], [-0.112, 0.636], rtol=1e-12)


@pytest.mark.parametrize(("path", "expected"), [
    ("gradients.W.1.0", 0.104), ("gradients.x.-1", 0.636), ("forward.n1.0", 0.22),
    ("backward.n2.1", 1.0), ("nodes.2.value.1", 0.26),
])
def test_get_reaches_entries(run, path, expected):
    result = run("graph", *CS231N, "--get", path)
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(expected, rel=1e-12)


def test_csv_gives_each_entry_a_column(run):
    result = run("graph", *CS231N, "--format", "csv")
    header, row = result.stdout.splitlines()
    assert header == ("file,value,gradients.W.0.0,gradients.W.0.1,gradients.W.1.0,"
                      "gradients.W.1.1,gradients.x.0,gradients.x.1")
    assert np.allclose([float(v) for v in row.split(",")[1:]],
                       [0.116, 0.088, 0.176, 0.104, 0.208, -0.112, 0.636], rtol=1e-12)


def test_upstream_on_the_command_line_and_in_a_file(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    args = ("W @ x", "W=[[1, 2], [3, 4]]", "x=[1, -1]")
    doc = graph_json(run, *args, "--upstream", "[1, 0]")
    # L = upstream · (W x): ∂L/∂W = upstream xᵀ, ∂L/∂x = Wᵀ upstream
    assert doc["upstream"] == [1.0, 0.0] and doc["shape"] == [2]
    assert doc["gradients"] == {"W": [[1.0, -1.0], [0.0, 0.0]], "x": [1.0, 2.0]}
    (tmp_path / "layer.yaml").write_text(
        "expression: W @ x\nvalues: {W: [[1, 2], [3, 4]], x: [1, -1]}\nupstream: [1, 0]\n")
    assert graph_json(run, "layer.yaml") == doc
    table = run("graph", *args, "--upstream", "[1, 0]").stdout
    assert "Upstream    ∂L/∂f = [1, 0]" in table and "∂L/∂W" in table


def test_upstream_goes_with_an_expression(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "e.yaml").write_text("expression: x * y\nvalues: {x: 1, y: 2}\n")
    result = run("graph", "e.yaml", "--upstream", "1")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: --upstream: found a value after an exercise file, "
                             "expected --upstream only with an expression (a file gives its "
                             "own: upstream: in the file)\n")


def test_class_indices_are_labels_without_a_gradient(run):
    args = ("cross_entropy(Z, y)", "Z=[[1, 2, 3], [1, 1, 1]]", "y=[2, 0]")
    doc = graph_json(run, *args)
    assert list(doc["gradients"]) == ["Z"]
    assert doc["backward"]["y"] is None and doc["nodes"][1]["upstream"] is None
    # torch's mean over rows: (softmax(Z) − one_hot(y)) / 2
    e = np.exp([[1, 2, 3], [1, 1, 1]])
    p = e / e.sum(axis=1, keepdims=True)
    assert np.allclose(doc["gradients"]["Z"], (p - [[0, 0, 1], [1, 0, 0]]) / 2, rtol=1e-12)
    assert doc["value"] == pytest.approx(-(np.log(p[0, 2]) + np.log(p[1, 0])) / 2, rel=1e-12)
    assert "Labels      y (class indices: no gradient)" in run("graph", *args).stdout
    key = run("graph", *args, "--format", "csv").stdout.splitlines()[0]
    assert "gradients.y" not in key


def test_scalars_as_one_by_one_arrays_give_the_same_numbers(run):
    scalar = graph_json(run, "sigmoid(w * x + b)", "w=2", "x=-1", "b=0.5")
    arrays = graph_json(run, "sum(sigmoid(w * x + b))", "w=[[2]]", "x=[-1]", "b=[0.5]")
    assert arrays["value"] == pytest.approx(scalar["value"], rel=1e-15)
    for name in ("w", "x", "b"):
        assert np.ravel(arrays["gradients"][name])[0] == pytest.approx(
            scalar["gradients"][name], rel=1e-15)


def test_tables_round_what_json_holds(run):
    args = ("A = softmax(Q @ K.T / sqrt(2)); O = A @ V", "Q=[[1, 0], [0, 1]]",
            "K=[[1, 2], [0, 1]]", "V=[[1, -1], [2, 0]]", "--upstream", "[[1, 0], [0, 1]]")
    doc = graph_json(run, *args)
    table = run("graph", *args).stdout
    result = table[table.index("Result"):]
    shown = " ".join(f"{v:.4f}" for v in np.ravel(doc["gradients"]["V"]))
    assert as_shown(result, shown)
    assert "∂L/∂n3 += A ⊙ (∂L/∂A − Σ ∂L/∂A ⊙ A), Σ along axis -1" in " ".join(table.split())


def test_the_api_takes_arrays_lists_and_tensors():
    torch = pytest.importorskip("torch")
    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    from_numpy = bp.graph("sum((W @ x) ** 2)", W=W, x=np.array([0.2, 0.4]))
    from_lists = bp.graph("sum((W @ x) ** 2)", W=W.tolist(), x=[0.2, 0.4])
    from_torch = bp.graph("sum((W @ x) ** 2)", W=torch.tensor(W, requires_grad=True),
                          x=torch.tensor([0.2, 0.4], dtype=torch.float64))
    for g in (from_numpy, from_lists, from_torch):
        assert isinstance(g.gradients["W"], np.ndarray) and g.gradients["W"].shape == (2, 2)
        assert np.allclose(g.gradients["W"], [[0.088, 0.176], [0.104, 0.208]], rtol=1e-12)
        assert g.node("n1").shape == (2,)
    layer = bp.graph("W @ x", W=W, x=[0.2, 0.4], upstream=np.array([1.0, 0.0]))
    assert np.allclose(layer.gradients["x"], W.T @ [1.0, 0.0], rtol=1e-15)
    assert layer.get("upstream") == [1.0, 0.0]


def test_a_blank_sheet_asks_every_step_and_grades_full_when_filled(run):
    import yaml

    exercise = PROBLEMS / "graphs" / "vectorized.yaml"
    result = run("graph", exercise, "--format", "sheet")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# Answer sheet: CS231n's vectorized example, f = ‖W·x‖²"
    sheet = yaml.safe_load(result.stdout)
    assert sheet["student"] is None
    assert list(sheet["answers"]) == [
        "value", "forward.q.0", "forward.q.1", "forward.n1.0", "forward.n1.1",
        "backward.q.0", "backward.q.1", "backward.n1.0", "backward.n1.1",
        "gradients.W.0.0", "gradients.W.0.1", "gradients.W.1.0", "gradients.W.1.1",
        "gradients.x.0", "gradients.x.1"]
    # filled with CS231n's published numbers (q = Wx, n1 = q², ∂f/∂q = 2q): full marks
    published = [0.116, 0.22, 0.26, 0.0484, 0.0676, 0.44, 0.52, 1, 1,
                 0.088, 0.176, 0.104, 0.208, -0.112, 0.636]
    sheet = {"student": "Ada", "answers": dict(zip(sheet["answers"], published))}
    graded = run("grade", exercise, "-", "--format", "json", input=yaml.safe_dump(sheet))
    assert graded.exit_code == 0, graded.stderr
    doc = json.loads(graded.stdout)
    doc = doc[0] if isinstance(doc, list) else doc
    assert doc["score"] == doc["max_score"] > 0


def test_a_sheet_is_for_one_exercise(run):
    result = run("graph", PROBLEMS / "graphs" / "vectorized.yaml",
                 PROBLEMS / "graphs" / "attention.yaml", "--format", "sheet")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: --format sheet writes one exercise's answer sheet: give "
                             "one expression or one exercise file\n")


@pytest.mark.parametrize(("expression", "shown"), [
    ("x / (2 * 3)", "x / 6"),  # arithmetic of numbers: its value
    ("x / sqrt(2)", "x / sqrt(2)"),  # a call: as written, its value no short number
    ("x * (1 / np.sqrt(2))", "x * (1 / sqrt(2))"),
    ("(-sqrt(3)) * x", "(-sqrt(3)) * x"),
    ("d = sqrt(2); f = x / d", "x / sqrt(2)"),  # a constant step, where it is used
])
def test_folded_constants_as_the_tables_write_them(run, expression, shown):
    doc = graph_json(run, expression, "x=2")
    node = doc["nodes"][-1]
    assert all(isinstance(a, (str, float)) for a in node["inputs"])  # JSON keeps numbers
    table = run("graph", expression, "x=2").stdout
    assert f" {shown} " in table
