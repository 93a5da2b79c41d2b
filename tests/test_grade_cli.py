"""`backprop grade` on the command line: every format with its exact output, a class, and
the error paths (one `Error:` line, exit 2)."""

from __future__ import annotations

import json

import pytest
from helpers import as_shown
from test_grade_textbook import MAZUR

# The 2-2-2 example, worked at 4 decimals with ∂L/∂h1 through the updated W2.
MATT = """student: Matt
answers:
  forward.h2: [0.7514, 0.7729]
  loss: 0.2984
  gradients.h1: [0.0302, 0.0352]
  gradients.a1: [0.0073, 0.0085]
  update.loss: 0.2910
  sums.h1: null
"""

CLASS = """student,loss,gradients.h1.0,gradients.h1.1,update.loss
Ada,0.2984,0.0364,0.0414,0.2910
Bob,0.2984,0.0302,0.0352,0.291027924
Cy,0.5968,,0.0414,0.2910
"""


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # files named as a user types them
    (tmp_path / "p.yaml").write_text(MAZUR)
    (tmp_path / "matt.yaml").write_text(MATT)
    (tmp_path / "class.csv").write_text(CLASS)
    return tmp_path


def lines(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [line.rstrip() for line in result.stdout.splitlines()]


TABLE = """\
Student  Matt
Answers  matt.yaml
Problem  p.yaml
 path           given               expected                  verdict   diagnosis
────────────────────────────────────────────────────────────────────────────────────────────────────
 forward.h2     [ 0.7514  0.7729]   [ 0.75137  0.77293]       correct
 loss           0.2984              0.29837                   correct
 gradients.h1   [ 0.0302  0.0352]   [ 0.03635  0.04137]       wrong     updated-weights
 gradients.a1   [ 0.0073  0.0085]   [ 0.00877  0.00995]       carried   from gradients.h1:
                                    own [ 0.00729  0.00847]             updated-weights
 update.loss    0.2910              0.29103                   correct
 sums.h1                            1.1902                    missing
Score 4 of 6; slips: updated-weights"""


def test_tables(run, files):
    assert lines(run("grade", "p.yaml", "matt.yaml")) == TABLE.splitlines()


def test_json(run, files):
    printed = run("grade", "p.yaml", "matt.yaml", "--format", "json").stdout
    # numbers to rel 1e-14: their last bits depend on the BLAS kernel
    expected = json.dumps({
        "student": "Matt", "file": "matt.yaml", "score": 4, "max_score": 6,
        "answers": {
            "forward.h2": {"given": [0.7514, 0.7729],
                           "expected": [0.7513650695523157, 0.7729284653214625],
                           "verdict": "correct", "slips": [], "points": 1, "max_points": 1},
            "loss": {"given": 0.2984, "expected": 0.2983711087600027, "verdict": "correct",
                     "slips": [], "points": 1, "max_points": 1},
            "gradients.h1": {"given": [0.0302, 0.0352],
                             "expected": [0.036350306393144696, 0.041370322648744726],
                             "verdict": "wrong", "slips": ["updated-weights"],
                             "own": [0.03634352394790002, 0.041362797011250015],
                             "points": 0, "max_points": 1},
            "gradients.a1": {"given": [0.0073, 0.0085],
                             "expected": [0.008771354689486938, 0.009954254705217202],
                             "verdict": "carried", "slips": ["updated-weights"],
                             "own": [0.007287281398884223, 0.008469592287172489],
                             "from": ["gradients.h1"], "points": 1, "max_points": 1},
            "update.loss": {"given": 0.291, "expected": 0.29102777369359933,
                            "verdict": "correct", "slips": [], "points": 1, "max_points": 1},
            "sums.h1": {"given": None, "expected": 1.1901543703669542, "verdict": "missing",
                        "slips": [], "points": 0, "max_points": 1}},
        "slips": ["updated-weights"]}, sort_keys=True)
    assert as_shown(json.dumps(json.loads(printed), sort_keys=True), expected) == expected


def test_csv(run, files):
    assert lines(run("grade", "p.yaml", "matt.yaml", "--format", "csv")) == [
        "student,file,score,max_score,slips,forward.h2,loss,gradients.h1,gradients.a1,"
        "update.loss,sums.h1",
        "Matt,matt.yaml,4,6,updated-weights,correct,correct,wrong,carried,correct,missing"]


MARKDOWN = r"""# Feedback: Matt

*p.yaml* — answers from `matt.yaml`: score **4 of 6**.

| answer | yours | right | verdict |
|---|---|---|---|
| `forward.h2` | [0.7514, 0.7729] | [0.75137, 0.77293] | correct |
| `loss` | 0.2984 | 0.29837 | correct |
| `gradients.h1` | [0.0302, 0.0352] | [0.03635, 0.04137] | **wrong** (updated-weights) |
| `gradients.a1` | [0.0073, 0.0085] | [0.00877, 0.00995] | carried (from `gradients.h1`) |
| `update.loss` | 0.2910 | 0.29103 | correct |
| `sums.h1` |  | 1.1902 | missing |

*Carried* answers are right for the numbers you used: the mistake they follow is marked once, where it was made.

## `gradients.h1`: wrong

You wrote [0.0302, 0.0352]; the right value is [0.03635, 0.04137].

**The slip (updated-weights):** ∂L/∂h_{l−1} computed with the already-updated W_l.

**The right formula, with your numbers:**

$$\frac{\partial L}{\partial h_{1}} = W_2^\top \delta_2 = \begin{bmatrix} 0.40000 & 0.45000 \\ 0.50000 & 0.55000 \end{bmatrix}^\top \begin{bmatrix} 0.13849 \\ -0.03811 \end{bmatrix} = \begin{bmatrix} 0.03634 \\ 0.04136 \end{bmatrix}$$
"""  # noqa: E501


def test_markdown(run, files):
    result = run("grade", "p.yaml", "matt.yaml", "--format", "markdown")
    assert result.exit_code == 0
    assert result.stdout == MARKDOWN


def test_a_class(run, files):
    assert lines(run("grade", "p.yaml", "class.csv")) == [
        "Answers  class.csv (3 students)",
        "Problem  p.yaml",
        " student   score   of   slips",
        "────────────────────────────────────────",
        " Ada           3    3",  # gradients.h1 is one question, answered by entry
        " Bob           2    3   updated-weights",
        " Cy          1.5    3   factor-2",
        "Slips, most common first: updated-weights: 1 student; factor-2: 1 student"]
    assert lines(run("grade", "p.yaml", "class.csv", "--format", "csv")) == [
        "student,file,score,max_score,slips,loss,gradients.h1.0,gradients.h1.1,update.loss",
        "Ada,class.csv,3,3,,correct,correct,correct,correct",
        "Bob,class.csv,2,3,updated-weights,correct,wrong,wrong,carried",
        "Cy,class.csv,1.5,3,factor-2,wrong,missing,correct,correct"]
    docs = json.loads(run("grade", "p.yaml", "class.csv", "--format", "json").stdout)
    assert [d["student"] for d in docs] == ["Ada", "Bob", "Cy"]


def test_several_sheets_standard_input_and_a_bundled_problem(run, files):
    both = lines(run("grade", "p.yaml", "matt.yaml", "class.csv", "--format", "csv"))
    assert [row.split(",")[0] for row in both[1:]] == ["Matt", "Ada", "Bob", "Cy"]
    piped = run("grade", "p.yaml", "-", "--format", "csv", input=MATT)
    assert lines(piped)[1].startswith("Matt,<stdin>,4,6,")
    result = run("grade", "--example", "classic", "-", "--format", "json",
                 input="answers: {loss: 0.8564}\n")
    assert json.loads(result.stdout)["score"] == 1


ERRORS = [
    ("answers:\n  forward.a9: 1\n", "s.yaml: answers.forward.a9: no 'a9' in forward, "
     "expected one of a1, h1, a2, h2"),
    ("answers:\n  forward.a1.5: 1\n", "s.yaml: answers.forward.a1.5: no '5' in forward.a1, "
     "expected a position 0..1"),
    ("answers:\n  forward.a1: [1, null]\n", "s.yaml: answers.forward.a1[1]: found null among "
     "numbers, expected a number (or null for the whole answer, to leave it blank)"),
    ("answers:\n  forward.a1: [1, 2, 3]\n", "s.yaml: answers.forward.a1: found a list of 3 "
     "numbers, expected a list of 2 numbers"),
    ("answers:\n  update.optimizer.name: 1\n", "s.yaml: answers.update.optimizer.name: "
     "found 'sgd' there, expected a path to numbers to mark"),
    ("answers:\n  forward.a1: [1, 2]\n  forward.a1.0: 1\n", "s.yaml: answers.forward.a1.0: "
     "gives entries forward.a1 gives too, expected each number once"),
    ("answers:\n  loss: {a: 1}\n", "s.yaml: answers.loss.a: no 'a' in loss, expected "
     "nothing further: it is a single value"),
    ("answers:\n  loss: {}\n", "s.yaml: answers.loss: found a mapping, expected a "
     "number or a list of numbers"),
    ("answer:\n  loss: 1\n", "s.yaml: answer: unknown key 'answer', expected one of "
     "student, layout, answers (did you mean answers?)"),
]


@pytest.mark.parametrize(("sheet", "message"), ERRORS)
def test_a_bad_sheet_is_one_error_line(run, files, sheet, message):
    (files / "s.yaml").write_text(sheet)
    result = run("grade", "p.yaml", "s.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


CSV_ERRORS = [
    ("student,loss\nA,0.3\nB,0.3,4\n", "c.csv: line 3: found 3 fields, expected 2 like the "
     "header"),
    ("student,forward.a9.0\nA,1\n", "c.csv: column forward.a9.0: no 'a9' in forward, "
     "expected one of a1, h1, a2, h2"),
    ("email,loss\nA,1\n", "c.csv: line 1: expected a student column and a column per path, "
     "like student,loss,forward.a1.0"),
    ("student,loss,loss\nA,1,1\n", "c.csv: line 1, column 3: found 'loss' twice, expected "
     "each column once"),
    ("student,loss\n", "c.csv: found no students, expected a line per student under the "
     "header"),
]


@pytest.mark.parametrize(("text", "message"), CSV_ERRORS)
def test_a_bad_class_csv_is_one_error_line(run, files, text, message):
    (files / "c.csv").write_text(text)
    result = run("grade", "p.yaml", "c.csv")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("args", "message"), [
    ((), "no answer sheet given: backprop grade PROBLEM ANSWERS... (a YAML or JSON sheet, "
         "or a class .csv; backprop solve PROBLEM --format sheet writes a blank one)"),
    (("class.csv", "--format", "gradescope"), "--format gradescope writes one student's "
     "results.json, found 3 students: give one sheet"),
    (("matt.yaml", "--expect", "nope"), "--expect nope: no 'nope' in the document, expected "
     "one of parameters, trainable, forward, sums, loss, gradients, update"),
    (("nothere.yaml",), "nothere.yaml: cannot read: No such file or directory"),
    (("-", "-"), "standard input (-) can be read once: name the other files"),
])
def test_usage_errors(run, files, args, message):
    result = run("grade", "p.yaml", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("scheme", "message"), [
    ("points: {loss: -1}\n", "s.yaml: points.loss: found -1, expected a number of points "
                             ">= 0"),
    ("points: {nope: 1}\n", "s.yaml: points.nope: no 'nope' in the document, expected one "
                            "of parameters, trainable, forward, sums, loss, gradients, update"),
    ("points: [1]\n", "s.yaml: points: found a list of 1, expected a mapping of paths to "
                      "points, like loss: 2"),
])
def test_a_bad_marking_scheme_is_one_error_line(run, files, scheme, message):
    (files / "s.yaml").write_text(scheme)
    result = run("grade", "p.yaml", "matt.yaml", "--scheme", "s.yaml")
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message}\n"


def test_the_sheet_format_refuses_what_does_not_go_with_it(run, files):
    result = run("solve", "p.yaml", "--expect", "loss")
    assert result.exit_code == 2
    assert result.stderr == "Error: --expect lists the paths of an answer sheet: add " \
                            "--format sheet\n"
    result = run("solve", "p.yaml", "p.yaml", "--format", "sheet")
    assert result.stderr == "Error: --format sheet writes one problem's answer sheet: give " \
                            "one PROBLEM\n"
    result = run("solve", "p.yaml", "--format", "sheet", "--expect", "update.optimizer")
    assert result.stderr.startswith("Error: --expect update.optimizer: not numbers to answer")
