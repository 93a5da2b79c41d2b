"""`backprop grade` reading what people type: minus signs, numbers as strings, decimal
commas, spreadsheet exports (delimiters, name columns, platform columns, trailing empty
columns), unreadable answers (marked, never stopping the class), and sheets in the other
weight layout. Each test asserts the exit status and the exact output and warnings."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import same_output
from test_grade_textbook import MAZUR

# Mazur's 2-2-2 network at 4 decimals: h2 = [0.75137, 0.77293], L = 0.29837,
# ∂L/∂a2 = [0.138499, -0.038098].
GOOD = {"forward.h2": "correct", "loss": "correct", "gradients.a2": "correct"}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(MAZUR)
    return tmp_path


def graded(result, status: int = 0) -> list:
    """The JSON document's students, after checking the exit status."""
    assert result.exit_code == status, result.stderr
    doc = json.loads(result.stdout)
    return doc if isinstance(doc, list) else [doc]


def verdicts(student: dict) -> dict:
    return {path: a["verdict"] for path, a in student["answers"].items()}


# ------------------------------------------------------------ what people type


def test_a_typeset_minus_numbers_as_strings_and_spaces_are_read(run, files):
    (files / "s.yaml").write_text(
        "answers:\n"
        "  forward.h2: ['0.7514', ' 0.7729 ']\n"   # strings, one with spaces
        "  loss: \"0.2984\"\n"
        "  gradients.a2: [0.1385, −0.0381]\n")     # U+2212 minus
    (s,) = graded(run("grade", "p.yaml", "s.yaml", "--format", "json"))
    assert verdicts(s) == GOOD
    assert s["answers"]["gradients.a2"]["given"] == [0.1385, -0.0381]
    assert s["answers"]["forward.h2"]["given"] == [0.7514, 0.7729]


def test_numbers_as_strings_in_json(run, files):
    (files / "s.json").write_text(json.dumps({"answers": {
        "forward.h2": ["0.7514", "0.7729"], "loss": "0,2984", "gradients.a2":
        ["0.1385", "\u22120.0381"]}}))
    (s,) = graded(run("grade", "p.yaml", "s.json", "--format", "json"))
    assert verdicts(s) == GOOD
    assert s["answers"]["loss"]["given"] == 0.2984


def test_a_decimal_comma_in_a_quoted_cell_and_a_typeset_minus(run, files):
    (files / "c.csv").write_text('student,loss,gradients.a2.1\nAda,"0,2984",−0.0381\n')
    result = run("grade", "p.yaml", "c.csv", "--format", "csv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1] == "Ada,c.csv,2,2,,correct,correct"


def test_a_semicolon_export_with_decimal_commas(run, files):
    (files / "c.csv").write_text("Student;loss;gradients.a2.1\nAda;0,2984;-0,0381\n"
                                 "Bob;0,5968;-0,0381\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "csv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1:] == ["Ada,c.csv,2,2,,correct,correct",
                                              "Bob,c.csv,1,2,factor-2,wrong,correct"]


@pytest.mark.parametrize("name", ["Student", "NAME", "id", "File"])
def test_the_student_column_is_found_in_any_case(run, files, name):
    (files / "c.csv").write_text(f"{name},loss\nAda,0.2984\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "csv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1] == "Ada,c.csv,1,1,,correct"


def test_platform_columns_are_left_out_with_one_note(run, files):
    (files / "c.csv").write_text(
        "Name,ID,Email,Submitted at,loss,gradients.a2.1\n"
        "Ada Lovelace,17,ada@example.org,2024-03-01 10:00,0.2984,-0.0381\n"
        "Charles Babbage,18,cb@example.org,2024-03-01 10:05,0.2984,-0.0381\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "csv")
    assert result.exit_code == 0
    assert result.stderr == ("Warning: c.csv: left out the columns ID, Email, Submitted at "
                             "(not answers: a column of answers is a path like loss or "
                             "forward.a1.0)\n")
    assert [line.split(",")[0] for line in result.stdout.splitlines()[1:]] == [
        "Ada Lovelace", "Charles Babbage"]


def test_id_column_names_the_students(run, files):
    (files / "c.csv").write_text("Name,Email,loss\nAda,ada@example.org,0.2984\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "csv", "--id-column", "email")
    assert result.exit_code == 0
    assert result.stderr == ("Warning: c.csv: left out the columns Name (not answers: a "
                             "column of answers is a path like loss or forward.a1.0)\n")
    assert result.stdout.splitlines()[1] == "ada@example.org,c.csv,1,1,,correct"
    result = run("grade", "p.yaml", "c.csv", "--id-column", "login")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: c.csv: line 1: no column 'login' (--id-column), "
                             "expected one of Name, Email, loss\n")


def test_excel_trailing_empty_columns_are_dropped(run, files):
    (files / "c.csv").write_text("student,loss,,\r\nAda,0.2984,,\r\nBob,0.2984,,\r\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "csv")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines()[1:] == ["Ada,c.csv,1,1,,correct",
                                              "Bob,c.csv,1,1,,correct"]


def test_a_name_given_twice_is_reported_and_both_are_marked(run, files):
    (files / "c.csv").write_text("student,loss\nAda,0.2984\nBob,0.2984\nAda,0.5968\n")
    (files / "ada.yaml").write_text("student: Bob\nanswers: {loss: 0.2984}\n")
    result = run("grade", "p.yaml", "c.csv", "ada.yaml", "--format", "csv")
    assert result.exit_code == 0
    assert result.stderr == (
        "Warning: the student 'Ada' appears 2 times (c.csv line 2, c.csv line 4): each is "
        "marked on its own\n"
        "Warning: the student 'Bob' appears 2 times (c.csv line 3, ada.yaml): each is marked "
        "on its own\n")
    assert len(result.stdout.splitlines()) == 5


# ------------------------------------------------------------ unreadable answers


def test_an_unreadable_cell_is_marked_and_the_class_is_graded(run, files):
    (files / "c.csv").write_text("student,loss,gradients.a2.1\nAda,0.2984,-0.0381\n"
                                 "Bob,0.29.84,-0.0381\nCy,0.2984,1/3\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "csv")
    assert result.exit_code == 1
    assert result.stdout.splitlines() == [
        "student,file,score,max_score,slips,loss,gradients.a2.1",
        "Ada,c.csv,2,2,,correct,correct",
        "Bob,c.csv,1,2,,unreadable,correct",
        "Cy,c.csv,1,2,,correct,unreadable"]
    assert result.stderr == (
        "Warning: c.csv: line 3, column loss: found '0.29.84', expected a number: marked "
        "unreadable\n"
        "Warning: c.csv: line 4, column gradients.a2.1: found '1/3', expected a number: "
        "marked unreadable\n")
    bob = graded(run("grade", "p.yaml", "c.csv", "--format", "json"), 1)[1]
    assert same_output(json.dumps(bob["answers"]["loss"], sort_keys=True), json.dumps({
        "given": "0.29.84", "expected": 0.2983711087600027, "verdict": "unreadable",
        "slips": [], "points": 0, "max_points": 1}, sort_keys=True))  # numbers to rel 1e-14


def test_unreadable_values_in_a_yaml_sheet(run, files):
    (files / "s.yaml").write_text("student: Ada\nanswers:\n"
                                  "  forward.h2: [0.7514, zero point 77]\n"
                                  "  loss: yes\n"
                                  "  gradients.a2: [0.1385, -0.0381]\n"
                                  "  gradients.h1: .nan\n")
    result = run("grade", "p.yaml", "s.yaml", "--format", "json")
    (s,) = graded(result, 1)
    assert verdicts(s) == {"forward.h2": "unreadable", "loss": "unreadable",
                           "gradients.a2": "correct", "gradients.h1": "unreadable"}
    assert [s["answers"][k]["given"] for k in ("forward.h2", "loss", "gradients.h1")] == [
        [0.7514, "zero point 77"], "yes", ".nan"]
    assert (s["score"], s["max_score"]) == (1, 4)
    assert result.stderr == (
        "Warning: s.yaml: line 3, answers.forward.h2[1]: found 'zero point 77', expected a "
        "number: marked unreadable\n"
        "Warning: s.yaml: line 4, answers.loss: found 'yes', expected a number: marked "
        "unreadable\n"
        "Warning: s.yaml: line 6, answers.gradients.h1: found '.nan', expected a number: "
        "marked unreadable\n")


def test_an_unreadable_answer_shows_its_text_in_the_tables(run, files):
    (files / "s.yaml").write_text("student: Ada\nanswers:\n  loss: 0.29 84\n"
                                  "  forward.h2: [0.7514, 0.7729]\n")
    result = run("grade", "p.yaml", "s.yaml")
    assert result.exit_code == 1
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines()[4:6]}
    assert rows["loss"] == ["loss", "0.29", "84", "0.2984", "unreadable"]
    assert result.stdout.splitlines()[-1] == "Score 1 of 2"


def test_what_is_wrong_with_a_sheets_shape_is_still_an_error(run, files):
    (files / "s.yaml").write_text("answers:\n  forward.h2: [0.7514, [1, 2]]\n")
    result = run("grade", "p.yaml", "s.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: s.yaml: answers.forward.h2[1]: found a list of 2, "
                             "expected a number like answers.forward.h2[0]\n")


# ------------------------------------------------------------ the other layout

# 3 inputs, 2 tanh units, 1 sigmoid output: no weight matrix is square.
NARROW = """
x: [1.0, 2.0, -1.0]
y: [1.0]
loss: sse_half
layers:
  - {weights: [[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], bias: [0.1, -0.1], activation: tanh}
  - {weights: [[0.7, -0.8]], bias: [0.2], activation: sigmoid}
optimizer: {name: sgd, lr: 0.5}
"""


def narrow_gradients() -> tuple:
    """∂L/∂W1 (2, 3) and ∂L/∂W2 (1, 2) by hand, a = W h + b."""
    x = np.array([1.0, 2.0, -1.0])
    W1, b1 = np.array([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]]), np.array([0.1, -0.1])
    W2, b2 = np.array([[0.7, -0.8]]), np.array([0.2])
    h1 = np.tanh(W1 @ x + b1)
    h2 = 1.0 / (1.0 + np.exp(-(W2 @ h1 + b2)))
    da2 = (h2 - 1.0) * h2 * (1.0 - h2)
    da1 = (W2.T @ da2) * (1.0 - h1 ** 2)
    return np.outer(da1, x), np.outer(da2, h1)


@pytest.fixture
def narrow(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "n.yaml").write_text(NARROW)
    return tmp_path


def test_a_sheet_in_the_other_layout_is_told_by_its_shapes(run, narrow):
    dW1, dW2 = narrow_gradients()
    (narrow / "s.yaml").write_text(json.dumps({"answers": {
        "gradients.W1": dW1.T.tolist(), "gradients.W2": dW2.T.tolist()}}))
    result = run("grade", "n.yaml", "s.yaml", "--format", "json")
    (s,) = graded(result)
    assert verdicts(s) == {"gradients.W1": "correct", "gradients.W2": "correct"}
    np.testing.assert_allclose(s["answers"]["gradients.W1"]["given"], dW1, rtol=1e-14)
    assert result.stderr == ("Warning: s.yaml: read in the in_out layout, as its matrices' "
                             "shapes show (the problem's is out_in); write layout: in_out in "
                             "the sheet to say so\n")


def test_a_declared_layout_turns_entries_and_rows(run, narrow):
    dW1, dW2 = narrow_gradients()
    (narrow / "s.yaml").write_text(json.dumps({"layout": "in_out", "answers": {
        "gradients.W1.2.1": dW1[1, 2], "gradients.W1.0": dW1[:, 0].tolist(),
        "gradients.W2": dW2.T.tolist()}}))
    result = run("grade", "n.yaml", "s.yaml", "--format", "json")
    (s,) = graded(result)
    assert result.stderr == ""
    assert verdicts(s) == {"gradients.W1.1.2": "correct", "gradients.W1.0.0": "correct",
                           "gradients.W1.1.0": "correct", "gradients.W2": "correct"}


def test_a_class_csv_in_the_other_layout_by_option(run, narrow):
    dW1, _ = narrow_gradients()
    (narrow / "c.csv").write_text(f"student,gradients.W1.2.1\nAda,{float(dW1[1, 2])!r}\n")
    result = run("grade", "n.yaml", "c.csv", "--format", "csv", "--layout", "in_out")
    assert (result.exit_code, result.stderr) == (0, "")
    assert result.stdout.splitlines() == ["student,file,score,max_score,slips,"
                                          "gradients.W1.1.2", "Ada,c.csv,1,1,,correct"]
    result = run("grade", "n.yaml", "c.csv", "--layout", "rows")
    assert (result.exit_code, result.stderr) == (2, "Error: --layout rows: expected out_in or "
                                                    "in_out\n")


def test_a_single_matrix_the_other_way_beside_ones_the_problems_way_is_a_slip(run, narrow):
    dW1, dW2 = narrow_gradients()
    (narrow / "s.yaml").write_text(json.dumps({"answers": {
        "gradients.W1": dW1.T.tolist(), "gradients.W2": dW2.tolist()}}))
    (s,) = graded(run("grade", "n.yaml", "s.yaml", "--format", "json"))
    assert verdicts(s) == {"gradients.W1": "wrong", "gradients.W2": "correct"}
    assert s["answers"]["gradients.W1"]["slips"] == ["transposed-gradient"]


def test_an_out_in_sheet_for_an_in_out_problem(run, narrow, solve_json):
    doc = solve_json("--example", "in_out")
    W1, W2 = (np.array(doc["gradients"][w]) for w in ("W1", "W2"))  # in_out: (in, out)
    (narrow / "s.yaml").write_text(json.dumps({"answers": {"gradients.W2": W2.T.tolist()}}))
    (s,) = graded(run("grade", "--example", "in_out", "s.yaml", "--format", "json"))
    assert verdicts(s) == {"gradients.W2": "correct"}
    (narrow / "s.yaml").write_text(json.dumps({"layout": "out_in", "answers": {
        "gradients.W2": W2.T.tolist(), "gradients.W1.1.0": W1[0, 1]}}))
    (s,) = graded(run("grade", "--example", "in_out", "s.yaml", "--format", "json"))
    assert verdicts(s) == {"gradients.W2": "correct", "gradients.W1.0.1": "correct"}


def test_a_batch_in_an_in_out_problem_has_a_row_per_sample(run, narrow, solve_json):
    (narrow / "b.yaml").write_text(
        "layout: in_out\nx: [[0.5, -1.0], [1.5, 0.2], [-0.3, 0.8]]\n"
        "y: [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]]\nloss: mse\nlayers:\n"
        "  - {weights: [[0.2, 0.7], [-0.4, 0.1]], bias: [0.1, -0.1], activation: relu}\n"
        "  - {weights: [[0.6, 0.4], [-0.2, 0.5]], bias: [0.0, 0.1], activation: sigmoid}\n")
    a1 = solve_json("b.yaml")["forward"]["a1"]  # 3 samples of 2 units
    (narrow / "s.yaml").write_text(json.dumps({"answers": {"forward.a1": a1,
                                                           "forward.a1.2": a1[2]}}))
    result = run("grade", "b.yaml", "s.yaml", "--format", "json")
    assert result.stderr.startswith("Error: s.yaml: answers.forward.a1.2: gives entries")
    (narrow / "s.yaml").write_text(json.dumps({"answers": {"forward.a1": a1}}))
    (s,) = graded(run("grade", "b.yaml", "s.yaml", "--format", "json"))
    assert verdicts(s) == {"forward.a1": "correct"}


def test_a_platform_export_on_standard_input_is_a_class(run, files):
    result = run("grade", "p.yaml", "-", "--format", "csv",
                 input="Timestamp;Name;loss\n2024-03-01 10:00;Ada;0,2984\n")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1] == "Ada,<stdin>,1,1,,correct"
    assert result.stderr == ("Warning: <stdin>: left out the columns Timestamp (not answers: "
                             "a column of answers is a path like loss or forward.a1.0)\n")


def test_a_layout_that_is_none_is_an_error(run, narrow):
    (narrow / "s.yaml").write_text("layout: rows\nanswers: {loss: 0.1}\n")
    result = run("grade", "n.yaml", "s.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: s.yaml: layout: found the string 'rows', expected the "
                             "layout its matrices are written in: out_in | in_out\n")


def test_a_row_in_the_other_layout_must_be_as_long_as_the_problems_column(run, narrow):
    (narrow / "s.yaml").write_text("layout: in_out\nanswers:\n  gradients.W1.2: [1, 2, 3]\n")
    result = run("grade", "n.yaml", "s.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: s.yaml: answers.gradients.W1.2: found a list of 3, "
                             "expected a list of 2 numbers (a row, in the in_out layout)\n")
