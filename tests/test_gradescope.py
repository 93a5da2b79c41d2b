"""`backprop grade --format gradescope`: Gradescope's results.json, always written for a
submission (an unreadable one gets its reason and a score of 0), the key hidden unless
--reveal, Markdown feedback with the slip and the rule, and Gradescope's visibility
settings. Errors of the instructor's (the problem, the options) stay errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from test_grade_cli import MATT
from test_grade_textbook import MAZUR

RULE = (r"$$\frac{\partial L}{\partial h_{1}} = W_2^\top \delta_2 = \begin{bmatrix} "
        r"0.4000 & 0.4500 \\ 0.5000 & 0.5500 \end{bmatrix}^\top \begin{bmatrix} 0.1385 \\ "
        r"-0.0381 \end{bmatrix}")
SLIP = ("**The slip (updated-weights):** ∂L/∂h_{l−1} computed with the already-updated "
        "W_l.")
CORRECT = {"score": 1, "max_score": 1, "status": "passed", "output": "Correct.",
           "output_format": "md"}


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(MAZUR)
    (tmp_path / "matt.yaml").write_text(MATT)
    return tmp_path


def results(result) -> dict:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_results_json_hides_the_key(run, files):
    doc = results(run("grade", "p.yaml", "matt.yaml", "--format", "gradescope"))
    assert doc == {"score": 4, "output": "Score 4 of 6; slips: updated-weights",
                   "output_format": "md", "tests": [
        {"name": "forward.h2", **CORRECT},
        {"name": "loss", **CORRECT},
        {"name": "gradients.h1", "score": 0, "max_score": 1, "status": "failed",
         "output": f"**Wrong.** You wrote [0.0302, 0.0352].\n\n{SLIP}\n\n**The rule, with "
                   f"your numbers:**\n\n{RULE}$$", "output_format": "md"},
        {"name": "gradients.a1", "score": 1, "max_score": 1, "status": "passed",
         "output": "Right for your own earlier numbers: it follows from `gradients.h1`, "
                   "where the mistake is marked.", "output_format": "md"},
        {"name": "update.loss", **CORRECT},
        {"name": "sums.h1", "score": 0, "max_score": 1, "status": "failed",
         "output": "Not answered.", "output_format": "md"}]}
    assert "0.0363" not in json.dumps(doc)  # what the rule gives: the key here


def test_reveal_shows_the_right_values(run, files):
    doc = results(run("grade", "p.yaml", "matt.yaml", "--format", "gradescope", "--reveal"))
    tests = {t["name"]: t["output"] for t in doc["tests"]}
    assert tests["gradients.h1"] == (
        "**Wrong.** You wrote [0.0302, 0.0352]. The right value is [0.0364, 0.0414].\n\n"
        f"{SLIP}\n\n**The rule, with your numbers:**\n\n{RULE} = \\begin{{bmatrix}} 0.0363 "
        "\\\\ 0.0414 \\end{bmatrix}$$")
    assert tests["sums.h1"] == "Not answered. The right value is 1.1902."


def test_visibility_for_the_results_for_paths_and_for_stdout(run, files):
    doc = results(run("grade", "p.yaml", "matt.yaml", "--format", "gradescope",
                      "--visibility", "after_due_date", "--visibility", "gradients=visible",
                      "--visibility", "gradients.a1=hidden", "--stdout-visibility",
                      "after_published"))
    assert (doc["visibility"], doc["stdout_visibility"]) == ("after_due_date",
                                                             "after_published")
    assert {t["name"]: t.get("visibility") for t in doc["tests"]} == {
        "forward.h2": None, "loss": None, "gradients.h1": "visible",
        "gradients.a1": "hidden", "update.loss": None, "sums.h1": None}


@pytest.mark.parametrize(("args", "message"), [
    (("--visibility", "later"), "--visibility later: expected one of hidden, after_due_date, "
                                "after_published, visible, or PATH=WHEN for the answers at or "
                                "under PATH"),
    (("--stdout-visibility", "loss=hidden"), "--stdout-visibility loss=hidden: expected one "
                                             "of hidden, after_due_date, after_published, "
                                             "visible"),
])
def test_a_bad_visibility_is_a_usage_error(run, files, args, message):
    result = run("grade", "p.yaml", "matt.yaml", "--format", "gradescope", *args)
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}\n")


@pytest.mark.parametrize("option", [("--reveal",), ("--visibility", "hidden"),
                                    ("--stdout-visibility", "visible")])
def test_gradescope_options_need_the_gradescope_format(run, files, option):
    result = run("grade", "p.yaml", "matt.yaml", *option)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"Error: {option[0]} is for Gradescope's results.json: add "
                             "--format gradescope\n")


@pytest.mark.parametrize(("sheet", "reason"), [
    ("answers:\n  loss: [0.2984\n", "s.yaml: line 3, column 1: did not find expected ',' or "
                                    "']', expected valid YAML"),
    ("answers:\n  forward.a9: 1\n", "s.yaml: answers.forward.a9: no 'a9' in forward, "
                                    "expected one of a1, h1, a2, h2"),
    (None, "s.yaml: cannot read: No such file or directory"),
])
def test_an_unreadable_submission_still_gets_results_json(run, files, sheet, reason):
    if sheet is not None:
        (files / "s.yaml").write_text(sheet)
    result = run("grade", "p.yaml", "s.yaml", "--format", "gradescope")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {
        "score": 0, "output": f"Your answers could not be read, so nothing was marked: "
                              f"{reason}. Fix the file and resubmit.",
        "output_format": "md", "tests": []}
    assert result.stderr == f"Warning: {reason}\n"


def test_a_submission_read_in_part_gets_its_partial_score(run, files):
    (files / "s.yaml").write_text("answers:\n  loss: 0,2984\n  forward.h2: [0.7514, "
                                  "O.7729]\n")
    result = run("grade", "p.yaml", "s.yaml", "--format", "gradescope", "--visibility",
                 "after_published")
    doc = results(result)
    assert doc["score"] == 1
    assert doc["visibility"] == "after_published"
    assert doc["tests"] == [
        {"name": "loss", **CORRECT},
        {"name": "forward.h2", "score": 0, "max_score": 1, "status": "failed",
         "output": "Could not be read as a number: you wrote `[0.7514, O.7729]`.",
         "output_format": "md"}]
    assert result.stderr == ("Warning: s.yaml: line 3, answers.forward.h2[1]: found "
                             "'O.7729', expected a number: marked unreadable\n")


@pytest.mark.parametrize(("args", "message"), [
    (("nope.yaml", "matt.yaml"), "nope.yaml: cannot read: No such file or directory"),
    (("p.yaml", "matt.yaml", "--scheme", "nope.yaml"), "nope.yaml: cannot read: No such "
                                                       "file or directory"),
    (("p.yaml", "matt.yaml", "--expect", "nope"), "--expect nope: no 'nope' in the document, "
     "expected one of parameters, trainable, forward, sums, loss, gradients, update"),
    (("p.yaml", "matt.yaml", "matt.yaml"), "--format gradescope writes one student's "
                                           "results.json, found 2 sheets: give one"),
])
def test_the_instructors_errors_stay_errors(run, files, args, message):
    result = run("grade", *args, "--format", "gradescope")
    assert (result.exit_code, result.stdout, result.stderr) == (2, "", f"Error: {message}\n")


def test_a_class_csv_is_not_one_submission(run, files):
    (files / "c.csv").write_text("student,loss\nAda,0.2984\nBob,0.2984\n")
    result = run("grade", "p.yaml", "c.csv", "--format", "gradescope")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == ("Error: --format gradescope writes one student's results.json, "
                             "found 2 students: give one sheet\n")
