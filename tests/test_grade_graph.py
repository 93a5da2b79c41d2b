"""`backprop grade EXERCISE.yaml SHEETS`: graph exercises marked node by node, error carried
forward, each slip recognised.

The oracles are independent of the engine: published numbers (CS231n's ‖Wx‖² and
(x + y)·z examples) and a plain numpy worker below that computes a scaled dot-product
attention forward and backward by hand, optionally making one slip. Each slip test hands
the command a sheet that worker computed with exactly that slip.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml

# ------------------------------------------------------------------ the independent worker

Q = np.array([[1.0, 0.5], [-0.3, 0.8], [0.2, -1.0]])
K = np.array([[0.4, -0.6], [1.2, 0.3], [-0.5, 0.9]])
V = np.array([[0.7, -0.2], [0.1, 0.9], [-0.4, 0.3]])
G = np.array([[1.0, -0.5], [0.3, 0.8], [-0.7, 0.2]])
ATTENTION = {
    "title": "Scaled dot-product attention",
    "expression": "S = Q @ K.T / sqrt(2)\nA = softmax(S)\nO = A @ V\nf = sum(O * G)\n",
    "values": {"Q": Q.tolist(), "K": K.tolist(), "V": V.tolist(), "G": G.tolist()},
}


def _softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def attention(scale=True, scale_back=True, axis=1, axis_back=None, diagonal=False) -> dict:
    """Every quantity of the attention exercise as a person works it, by --get path
    (n2 = Q Kᵀ, as graph names it); each keyword one slip."""
    axis_back = axis if axis_back is None else axis_back
    n2 = Q @ K.T
    S = n2 / np.sqrt(2) if scale else n2
    A = _softmax(S, axis)
    O = A @ V
    dA = G @ V.T
    if diagonal:
        dS = dA * A * (1 - A)
    else:  # the softmax Jacobian's product, row by row (or column by column)
        dS = A * (dA - (dA * A).sum(axis=axis_back, keepdims=True))
    dn2 = dS / np.sqrt(2) if scale_back else dS
    return {"forward.n2": n2, "forward.S": S, "forward.A": A, "forward.O": O,
            "value": (O * G).sum(), "backward.A": dA, "backward.S": dS, "backward.n2": dn2,
            "gradients.Q": dn2 @ K, "gradients.K": dn2.T @ Q, "gradients.V": A.T @ G}


def sheet(path, answers: dict, decimals: int = 6, student: str = "Ada"):
    """A YAML sheet of numbers rounded as a person writes them."""
    rounded = {k: np.round(np.asarray(v, dtype=float), decimals).tolist()
               for k, v in answers.items()}
    path.write_text(yaml.safe_dump({"student": student, "answers": rounded}, sort_keys=False))
    return path


@pytest.fixture
def exercise(tmp_path):
    def write(doc: dict, name: str = "exercise.yaml"):
        path = tmp_path / name
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path
    return write


def graded(run, *args) -> dict:
    result = run("grade", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ------------------------------------------------------------------ right answers


@pytest.mark.parametrize("decimals", [4, 6])
def test_the_worked_attention_is_full_marks_and_its_expected_values_are_the_workers(
        run, exercise, tmp_path, decimals):
    truth = attention()
    doc = graded(run, exercise(ATTENTION), sheet(tmp_path / "ada.yaml", truth, decimals))
    assert doc["score"] == doc["max_score"] == len(truth)
    assert doc["slips"] == []
    for path, answer in doc["answers"].items():
        assert answer["verdict"] == "correct", path
        np.testing.assert_allclose(answer["expected"], truth[path], rtol=1e-12, atol=1e-15)


def test_cs231n_published_numbers_are_correct(run, exercise, tmp_path):
    # CS231n, "Derivatives, Backpropagation, and Vectorization" / the ‖Wx‖² example
    ex = exercise({"expression": "sum((W @ x) ** 2)",
                   "values": {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]}})
    answers = {"value": 0.116, "forward.n1": [0.22, 0.26],
               "gradients.W": [[0.088, 0.176], [0.104, 0.208]],
               "gradients.x": [-0.112, 0.636]}
    doc = graded(run, ex, sheet(tmp_path / "s.yaml", answers))
    assert {k: a["verdict"] for k, a in doc["answers"].items()} == dict.fromkeys(answers,
                                                                                "correct")


@pytest.mark.parametrize("doc", [ATTENTION, {"expression": "sum((W @ x) ** 2)", "values": {
    "W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]}}], ids=["attention", "cs231n"])
def test_the_graph_commands_answer_key_grades_as_full_marks(run, exercise, doc):
    ex = exercise(doc)
    key = run("graph", ex, "--format", "csv")
    assert key.exit_code == 0, key.stderr
    result = run("grade", ex, "-", "--format", "csv", input=key.stdout)
    assert result.exit_code == 0 and result.stderr == ""
    header, row = result.stdout.splitlines()
    columns = header.split(",")
    assert columns[:5] == ["student", "file", "score", "max_score", "slips"]
    assert columns[5:] == key.stdout.splitlines()[0].split(",")[1:]  # every path, marked
    cells = row.split(",")
    quantities = {".".join(c.split(".")[:2]) for c in columns[5:]}  # a point each
    assert cells[2] == cells[3] == str(len(quantities)) and cells[4] == ""
    assert set(cells[5:]) == {"correct"}


# ------------------------------------------------------------------ a scalar exercise


SCALAR = {"expression": "(x + y) * z", "values": {"x": -2, "y": 5, "z": -4}}


def test_a_scalar_exercise_carries_a_wrong_node_forward(run, exercise, tmp_path):
    # CS231n: q = x + y = 3, f = q z = -12, ∂f/∂x = ∂f/∂y = z = -4, ∂f/∂z = q = 3.
    # The person adds wrong (q = 4): f = -16 and ∂f/∂z = 4 follow from it, carried;
    # ∂f/∂q = z is right whatever q is.
    answers = {"forward.n1": 4, "value": -16, "backward.n1": -4, "gradients.x": -4,
               "gradients.y": -4, "gradients.z": 4}
    doc = graded(run, exercise(SCALAR), sheet(tmp_path / "s.yaml", answers))
    verdicts = {k: (a["verdict"], a.get("from", [])) for k, a in doc["answers"].items()}
    assert verdicts == {"forward.n1": ("wrong", []), "value": ("carried", ["forward.n1"]),
                        "backward.n1": ("correct", []), "gradients.x": ("correct", []),
                        "gradients.y": ("correct", []),
                        "gradients.z": ("carried", ["forward.n1"])}
    assert doc["answers"]["forward.n1"]["slips"] == ["arithmetic"]
    assert doc["score"] == 5 and doc["max_score"] == 6


def test_a_gradient_is_judged_by_the_chain_rule_from_the_persons_own_upstream(
        run, exercise, tmp_path):
    # ∂f/∂q written as 4 (wrong): ∂f/∂x = ∂f/∂q · 1 = 4 is carried, not wrong
    answers = {"backward.n1": 4, "gradients.x": 4, "gradients.y": -4}
    doc = graded(run, exercise(SCALAR), sheet(tmp_path / "s.yaml", answers))
    assert doc["answers"]["gradients.x"]["verdict"] == "carried"
    assert doc["answers"]["gradients.x"]["from"] == ["backward.n1"]
    assert doc["answers"]["gradients.y"]["verdict"] == "correct"


# ------------------------------------------------------------------ the slips


@pytest.mark.parametrize("slip, kwargs, wrong", [
    ("attention-no-scale", {"scale": False, "scale_back": True}, {"forward.S"}),
    ("attention-no-scale", {"scale": False, "scale_back": False},
     {"forward.S", "backward.n2"}),
    ("softmax-axis", {"axis": 0}, {"forward.A", "backward.S"}),
    ("softmax-axis", {"axis": 0, "axis_back": 1}, {"forward.A"}),
    ("softmax-diagonal", {"diagonal": True}, {"backward.S"}),
], ids=["no-scale-forward", "no-scale-both", "axis-both", "axis-forward", "diagonal"])
def test_each_attention_slip_is_named_where_it_was_made_and_carried_after(
        run, exercise, tmp_path, slip, kwargs, wrong):
    answers = attention(**kwargs)
    doc = graded(run, exercise(ATTENTION), sheet(tmp_path / "s.yaml", answers))
    for path, answer in doc["answers"].items():
        if path in wrong:
            assert (answer["verdict"], answer["slips"]) == ("wrong", [slip]), path
        else:
            assert answer["verdict"] in ("correct", "carried"), path
            if answer["verdict"] == "carried":
                assert answer["slips"] == [slip], path
    assert doc["slips"] == [slip]
    assert doc["score"] == len(answers) - len(wrong)


@pytest.mark.parametrize("slip, kwargs", [("softmax-diagonal", {"diagonal": True}),
                                          ("softmax-axis", {"axis": 0}),
                                          ("attention-no-scale", {"scale": False})])
def test_a_slip_is_recognised_from_the_final_gradients_alone(run, exercise, tmp_path, slip,
                                                             kwargs):
    answers = {k: v for k, v in attention(**kwargs).items() if k.startswith("gradients.Q")}
    doc = graded(run, exercise(ATTENTION), sheet(tmp_path / "s.yaml", answers))
    assert doc["answers"]["gradients.Q"]["verdict"] == "wrong"
    assert doc["answers"]["gradients.Q"]["slips"] == [slip]


def test_a_square_gradient_given_as_x_g_transposed_is_transposed_gradient(
        run, exercise, tmp_path):
    W, x = np.array([[0.1, 0.5], [-0.3, 0.8]]), np.array([0.2, 0.4])
    g = 2 * (W @ x)
    ex = exercise({"expression": "sum((W @ x) ** 2)",
                   "values": {"W": W.tolist(), "x": x.tolist()}})
    answers = {"backward.n1": g, "gradients.W": np.outer(x, g)}  # the product's order flipped
    doc = graded(run, ex, sheet(tmp_path / "s.yaml", answers))
    assert doc["answers"]["backward.n1"]["verdict"] == "correct"
    assert doc["answers"]["gradients.W"]["verdict"] == "wrong"
    assert doc["answers"]["gradients.W"]["slips"] == ["transposed-gradient"]


def test_a_matrix_gradient_of_the_other_shape_is_transposed_gradient(run, exercise, tmp_path):
    answers = attention()
    answers["gradients.Q"] = answers["gradients.Q"].T  # 2×3 for 3×2: Kᵀ dS'ᵀ
    doc = graded(run, exercise(ATTENTION), sheet(tmp_path / "s.yaml", answers))
    q = doc["answers"]["gradients.Q"]
    assert (q["verdict"], q["slips"]) == ("wrong", ["transposed-gradient"])
    assert np.shape(q["given"]) == (2, 3)  # shown as written
    assert doc["score"] == len(answers) - 1


@pytest.mark.parametrize("use", [0, 1])
def test_a_value_used_twice_given_one_uses_gradient_is_no_fan_out_sum(
        run, exercise, tmp_path, use):
    # f = (x + y) x: ∂f/∂x = 1·x (through x + y) + (x + y) (through the product)
    x, y = 3.0, -1.0
    ex = exercise({"expression": "(x + y) * x", "values": {"x": x, "y": y}})
    answers = {"gradients.x": [x, x + y][use], "gradients.y": x}
    doc = graded(run, ex, sheet(tmp_path / "s.yaml", answers))
    assert doc["answers"]["gradients.x"]["slips"] == ["no-fan-out-sum"]
    assert doc["answers"]["gradients.y"]["verdict"] == "correct"


def test_no_fan_out_sum_is_found_through_an_unwritten_vector(run, exercise, tmp_path):
    # s = W x is used twice in f = Σ s ⊙ σ(s); through σ(s)'s use alone ∂f/∂s = s σ(s)(1-σ(s))
    W, x = np.array([[0.5, -1.0], [0.3, 0.2], [-0.4, 0.9]]), np.array([1.5, -0.5])
    s = W @ x
    sig = 1 / (1 + np.exp(-s))
    ex = exercise({"expression": "s = W @ x; f = sum(s * sigmoid(s))",
                   "values": {"W": W.tolist(), "x": x.tolist()}})
    one_use = s * sig * (1 - sig)
    doc = graded(run, ex, sheet(tmp_path / "s.yaml", {"gradients.W": np.outer(one_use, x)}))
    assert doc["answers"]["gradients.W"]["slips"] == ["no-fan-out-sum"]
    right = sig + s * sig * (1 - sig)
    doc = graded(run, ex, sheet(tmp_path / "t.yaml", {"gradients.W": np.outer(right, x)}))
    assert doc["answers"]["gradients.W"]["verdict"] == "correct"


# ------------------------------------------------------------------ formats


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "gradescope", "markdown"])
def test_every_format_marks_a_graph_sheet(run, exercise, tmp_path, fmt):
    answers = attention(diagonal=True)
    result = run("grade", exercise(ATTENTION), sheet(tmp_path / "s.yaml", answers),
                 "--format", fmt)
    assert result.exit_code == 0 and result.stderr == ""
    out = result.stdout
    if fmt == "json":
        assert json.loads(out)["slips"] == ["softmax-diagonal"]
    elif fmt == "csv":
        header, row = out.splitlines()
        marks = dict(zip(header.split(","), row.split(",")))
        assert (marks["score"], marks["max_score"], marks["slips"]) == ("10", "11",
                                                                         "softmax-diagonal")
        assert marks["backward.S"] == "wrong" and marks["gradients.Q"] == "carried"
    elif fmt == "gradescope":
        doc = json.loads(out)
        assert doc["score"] == 10
        test = next(t for t in doc["tests"] if t["name"] == "backward.S")
        assert test["status"] == "failed" and "softmax-diagonal" in test["output"]
        assert "0.2142" not in out  # the key stays hidden
    elif fmt == "markdown":
        assert out.startswith("# Feedback: Ada\n")
        assert "## `backward.S`: wrong" in out and "(softmax-diagonal)" in out
        assert "`∂f/∂S = ∂f/∂A · ∂(softmax(S))/∂S`" in out
    else:
        assert "Score 10 of 11; slips: softmax-diagonal" in out
        assert "Scaled dot-product attention" in out


def test_a_class_csv_marks_each_student(run, exercise, tmp_path):
    ex = exercise(SCALAR)
    (tmp_path / "class.csv").write_text(
        "student,value,backward.n1,gradients.x,gradients.y,gradients.z\n"
        "Ada,-12,-4,-4,-4,3\nBo,-12,-4,-4,-4,-3\nCy,,1,1,1,\n")
    result = run("grade", ex, tmp_path / "class.csv", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[1:] == [
        f"Ada,{tmp_path / 'class.csv'},5,5,,correct,correct,correct,correct,correct",
        f"Bo,{tmp_path / 'class.csv'},4,5,arithmetic,correct,correct,correct,correct,wrong",
        f"Cy,{tmp_path / 'class.csv'},2,5,arithmetic,missing,wrong,carried,carried,missing",
    ]


def test_the_python_api_grades_an_exercise_file(exercise, tmp_path):
    import backprop_cli.api as bp

    grades = bp.grade(exercise(ATTENTION), sheet(tmp_path / "s.yaml", attention(axis=0)))
    assert grades.to_dict()["slips"] == ["softmax-axis"]
    assert "## `forward.A`: wrong" in str(grades.markdown())


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("answers, message", [
    ({"forward.s": 1}, "answers.forward.s: no node 's' in forward (did you mean S?), "
                       "expected one of Q, K, V, G, n1, n2, S, A, O, n3, f"),
    ({"gradients.A": 1}, "answers.gradients.A: no input 'A' in gradients, expected one of "
                         "Q, K, V, G"),
    ({"gradients.Q": [1, 2]}, "answers.gradients.Q: found a list of 2 numbers, expected "
                              "3 rows of 2"),
    ({"forward.A.3": [1, 2, 3]}, "answers.forward.A.3: no '3' in forward.A, expected a "
                                 "position 0..2"),
    ({"expression": 1}, "answers.expression: no 'expression' to mark, expected value, "
                        "forward.NODE, backward.NODE or gradients.INPUT"),
])
def test_a_sheet_naming_what_is_not_there_is_a_located_error(run, exercise, tmp_path,
                                                             answers, message):
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"answers": answers}))
    result = run("grade", exercise(ATTENTION), path)
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: {path}: {message}\n"


def test_network_options_are_refused_for_a_graph_exercise(run, exercise, tmp_path):
    ex = exercise(SCALAR)
    result = run("grade", ex, sheet(tmp_path / "s.yaml", {"value": -12}), "--lr", "0.1")
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == (f"Error: --lr is for network problems: {ex} is a graph "
                             "exercise (it has an expression)\n")


def test_an_unreadable_number_is_marked_so_and_the_rest_is_marked(run, exercise, tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text("answers: {value: abc, gradients.x: -4}\n")
    result = run("grade", exercise(SCALAR), path, "--format", "csv")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[1] == f"u.yaml,{path},1,2,,unreadable,correct"
    assert result.stderr == (f"Warning: {path}: line 1, answers.value: found 'abc', expected "
                             "a number: marked unreadable\n")


def test_gradescope_gets_a_zero_and_the_reason_for_a_sheet_it_cannot_read(
        run, exercise, tmp_path):
    path = tmp_path / "u.yaml"
    path.write_text("answers: {valu: 1}\n")
    result = run("grade", exercise(SCALAR), path, "--format", "gradescope")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    assert doc["score"] == 0 and doc["tests"] == []
    assert "u.yaml: answers.valu: no 'valu' to mark (did you mean value?)" in doc["output"]
