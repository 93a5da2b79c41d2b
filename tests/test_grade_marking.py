"""Marking: full marks for a right sheet, worked exactly or rounded at every step; the
exercise's precision, bounded by the digits written (or --rtol/--atol); missing answers;
marking schemes; the answer-sheet template; a class of 1,000 student by student."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import yaml
from helpers import CLASSIC
from test_grade_textbook import NETWORKS, Textbook, sheet_text


def grade_doc(run, *args):
    result = run("grade", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def write(tmp_path, name: str, text: str):
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize("network", NETWORKS)
def test_a_right_sheet_scores_full_marks(run, tmp_path, network):
    problem = write(tmp_path, "p.yaml", NETWORKS[network])
    sheet = Textbook(NETWORKS[network]).sheet()
    doc = grade_doc(run, problem, write(tmp_path, "s.yaml", sheet_text(sheet)))
    assert doc["score"] == doc["max_score"] == len(sheet)
    assert {a["verdict"] for a in doc["answers"].values()} == {"correct"}
    assert doc["slips"] == []


def _sf(v, k: int):
    """v rounded to k significant figures, entry by entry."""
    v = np.asarray(v, dtype=float)
    with np.errstate(divide="ignore"):
        e = np.where(v == 0, 0, np.floor(np.log10(np.abs(v))))
    return np.round(v / 10.0 ** (e - k + 1)) * 10.0 ** (e - k + 1)


ROUNDED = {  # worked by hand at a precision the exercise allows: (rnd, written, --precision)
    "4dp": (lambda v: np.round(v, 4), lambda v: f"{v:.4f}", ()),
    "3sf": (lambda v: _sf(v, 3), lambda v: f"{v:.3g}", ()),
    "3dp": (lambda v: np.round(v, 3), lambda v: f"{v:.3f}", ("--precision", "3dp")),
    "2sf": (lambda v: _sf(v, 2), lambda v: f"{v:.2g}", ("--precision", "2sf")),
}


@pytest.mark.parametrize("rounding", ROUNDED)
@pytest.mark.parametrize("network", NETWORKS)
def test_a_sheet_rounded_at_every_step_scores_full_marks(run, tmp_path, network, rounding):
    """Worked by hand: every value rounded before it is used, and written so, at the
    default precision (4 decimals or 3 significant figures) or the one the command sets:
    rounded work is correct, never merely carried."""
    rnd, number, precision = ROUNDED[rounding]
    problem = write(tmp_path, "p.yaml", NETWORKS[network])
    sheet = Textbook(NETWORKS[network]).sheet(rnd=rnd)
    doc = grade_doc(run, problem, write(tmp_path, "s.yaml", sheet_text(sheet, number)),
                    *precision)
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    assert set(verdicts.values()) == {"correct"}, verdicts
    assert doc["score"] == doc["max_score"] == len(sheet)


def test_the_precision_is_the_exercises_and_the_digits_written_bound_it_too(run, tmp_path):
    # a1's first entry is 1.5350183999999998; the default precision is 3 significant
    # figures or 4 decimals, the coarser: within 0.005 here
    cases = {"1.535": "correct", "1.5350": "correct", "1.5351": "wrong", "1.53502": "correct",
             "1.53503": "wrong", "1.54": "correct", "1.53": "wrong", "1.5": "wrong",
             "2": "wrong", "1.6": "wrong", "1.535e0": "correct", "15.35e-1": "correct",
             "15.36e-1": "wrong", "1.5350184": "correct", "1.5350185": "wrong",
             "0.1535e1": "correct", "1e3": "wrong", "1e308": "wrong"}
    for written, verdict in cases.items():
        sheet = write(tmp_path, "s.yaml", f"answers:\n  forward.a1.0: {written}\n")
        doc = grade_doc(run, CLASSIC, sheet)
        assert doc["answers"]["forward.a1.0"]["verdict"] == verdict, written


def test_steps_not_written_may_have_been_rounded_too(run, tmp_path):
    """The loss, 0.8563785642771483, from unwritten steps worked at 4 decimals may be a few
    units off in its last decimal; from the prediction written in full it may not."""
    alone = write(tmp_path, "alone.yaml", "answers:\n  loss: 0.8565\n")
    assert grade_doc(run, CLASSIC, alone)["answers"]["loss"]["verdict"] == "correct"
    far = write(tmp_path, "far.yaml", "answers:\n  loss: 0.8600\n")
    assert grade_doc(run, CLASSIC, far)["answers"]["loss"]["verdict"] == "wrong"
    h3 = json.loads(run("solve", CLASSIC, "--get", "forward.h3").stdout)
    given = write(tmp_path, "given.yaml", f"answers:\n  forward.h3: {h3}\n  loss: 0.8565\n")
    assert grade_doc(run, CLASSIC, given)["answers"]["loss"]["verdict"] == "wrong"


def test_rtol_and_atol_replace_the_decimals(run, tmp_path):
    sheet = write(tmp_path, "s.yaml", "answers:\n  loss: 0.86\n")
    assert grade_doc(run, CLASSIC, sheet, "--atol", "1e-3")["score"] == 0
    assert grade_doc(run, CLASSIC, sheet, "--atol", "0.01")["score"] == 1
    assert grade_doc(run, CLASSIC, sheet, "--rtol", "0.01")["score"] == 1
    assert grade_doc(run, CLASSIC, sheet, "--rtol", "0.001")["score"] == 0


def test_an_error_is_marked_once_and_carried(run, tmp_path):
    # h1 rounded wrongly (0.8228 for 0.82274), then a2 computed from it: a2 is carried
    a2 = np.array([[0.56804456, 0.92559664, 0.07103606], [0.0871293, 0.0202184, 0.83261985],
                   [0.77815675, 0.87001215, 0.97861834]]) @ [0.8238, 0.8790, 0.8733] \
        + [0.79915856, 0.46147936, 0.78052918]
    text = ("answers:\n  forward.h1: [0.8238, 0.8790, 0.8733]\n  forward.a2: ["
            + ", ".join(f"{v:.4f}" for v in a2) + "]\n  loss: 0.8564\n")
    doc = grade_doc(run, CLASSIC, write(tmp_path, "s.yaml", text))
    answers = doc["answers"]
    assert answers["forward.h1"]["verdict"] == "wrong"
    assert answers["forward.h1"]["slips"] == ["arithmetic"]
    assert answers["forward.a2"]["verdict"] == "carried"
    assert answers["forward.a2"]["from"] == ["forward.h1"]
    assert answers["forward.a2"]["own"] == pytest.approx(a2, abs=1e-3)
    assert answers["loss"]["verdict"] == "correct"  # judged on its own inputs: none given
    # h1 is one question: two of its three entries are right
    assert (doc["score"], doc["max_score"]) == (pytest.approx(2 + 2 / 3), 3)


def test_missing_answers_with_expect_and_with_a_template(run, tmp_path):
    sheet = write(tmp_path, "s.yaml", "answers:\n  loss: 0.8564\n  sums.h1: null\n")
    doc = grade_doc(run, CLASSIC, sheet, "--expect", "update.loss,forward.a1",
                    "--expect", "loss")
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    assert verdicts == {"loss": "correct", "sums.h1": "missing", "update.loss": "missing",
                        "forward.a1": "missing"}
    assert doc["answers"]["update.loss"]["given"] is None
    assert doc["answers"]["update.loss"]["expected"] == pytest.approx(0.0725333007370964)
    assert (doc["score"], doc["max_score"]) == (1, 4)
    # an expected path the sheet answers entry by entry is not missing
    parts = write(tmp_path, "parts.yaml", "answers:\n  forward.a1.0: 1.535\n")
    doc = grade_doc(run, CLASSIC, parts, "--expect", "forward.a1")
    assert list(doc["answers"]) == ["forward.a1.0"]


def test_a_marking_scheme_weighs_the_quantities(run, tmp_path):
    scheme = write(tmp_path, "scheme.yaml",
                   "points: {loss: 2, gradients.W3: 3, update.loss: 4}\ndefault: 0.5\n")
    text = ("answers:\n  loss: 0.8564\n  forward.a1: [1.535, 1.9825, 1.9301]\n"
            "  gradients.W3.0.0: 0.212\n  gradients.W3.0.1: 0.9\n  gradients.W3.0.2: 0.2261\n")
    doc = grade_doc(run, CLASSIC, write(tmp_path, "s.yaml", text), "--scheme", scheme)
    points = {p: (a["points"], a["max_points"]) for p, a in doc["answers"].items()}
    # gradients.W3 is listed, so all nine entries are asked: its 3 points, a third each
    third = pytest.approx(1 / 3)
    assert points == {"loss": (2, 2), "forward.a1": (0.5, 0.5), "gradients.W3.0.0":
                      (third, third), "gradients.W3.0.1": (0, third),
                      "gradients.W3.0.2": (third, third), "update.loss": (0, 4)}
    assert doc["answers"]["update.loss"]["verdict"] == "missing"
    assert (doc["score"], doc["max_score"]) == (pytest.approx(2.5 + 2 / 3), 9.5)


def test_the_template_lists_every_leaf_and_grades_as_missing(run, tmp_path):
    result = run("solve", CLASSIC, "--format", "sheet")
    assert result.exit_code == 0
    template = yaml.safe_load(result.stdout)
    assert template["student"] is None
    paths = list(template["answers"])
    assert paths[:4] == ["parameters", "trainable", "forward.a1.0", "forward.a1.1"]
    assert "update.loss" in paths and "gradients.W3.2.2" in paths
    assert not any(p.startswith("update.optimizer") for p in paths)
    doc = grade_doc(run, CLASSIC, write(tmp_path, "blank.yaml", result.stdout))
    assert {a["verdict"] for a in doc["answers"].values()} == {"missing"}
    quantities = {".".join(k for k in p.split(".") if not k.isdigit()) for p in paths}
    assert (doc["score"], doc["max_score"]) == (0, len(quantities))  # a point each
    assert doc["student"] == "blank.yaml"  # no name given: the file's


def test_the_template_of_expected_paths_keeps_their_shape(run):
    result = run("solve", CLASSIC, "--format", "sheet", "--expect", "forward.a1,loss",
                 "--expect", "gradients.W3")
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["answers"] == {
        "forward.a1": [None] * 3, "loss": None, "gradients.W3": [[None] * 3] * 3}


def _class_csv(students: int) -> tuple[str, list]:
    """A class answering every leaf of the classic exercise at 4 decimals, worked with
    textbook rounding; a few made a slip, some an arithmetic error, some left blanks."""
    book = Textbook(NETWORKS["classic"])
    rounded = lambda v: np.round(v, 4)  # noqa: E731
    sheets = {"": book.sheet(rnd=rounded),
              "updated-weights": book.sheet("updated-weights", rnd=rounded),
              "derivative-missing": book.sheet("derivative-missing", rnd=rounded)}
    leaves = {name: dict(_leaves(sheet)) for name, sheet in sheets.items()}
    paths = list(leaves[""])
    rng = np.random.default_rng(0)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["student", *paths])
    made = []
    for i in range(students):
        slip = ["", "updated-weights", "derivative-missing"][i % 3]
        row = [f"{leaves[slip][p]:.4f}" for p in paths]
        if i % 10 == 9:  # an arithmetic slip in one number
            j = int(rng.integers(len(paths)))
            row[j] = f"{float(row[j]) + 0.25:.4f}"
        if i % 7 == 6:
            row[int(rng.integers(len(paths)))] = ""
        writer.writerow([f"s{i}", *row])
        made.append(slip)
    return out.getvalue(), made


def _leaves(sheet: dict):
    for path, value in sheet.items():
        flat = np.ravel(value)
        if np.ndim(value) == 0:
            yield path, float(value)
        for i, v in enumerate(flat if np.ndim(value) else []):
            yield path + "." + ".".join(map(str, np.unravel_index(i, np.shape(value)))), v


def test_a_class_of_1000_is_marked_student_by_student(run, tmp_path):
    """(Its speed is measured in benchmarks/grade_scale.py, not asserted here.)"""
    text, made = _class_csv(1000)
    sheet = write(tmp_path, "class.csv", text)
    run("grade", CLASSIC, write(tmp_path, "warm.yaml", "answers: {loss: 0.8564}\n"))
    result = run("grade", CLASSIC, sheet, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 1000
    for row, slip in zip(rows, made):
        if slip:
            assert slip in row["slips"].split(";"), (row["student"], row["slips"])
        i = int(row["student"][1:])
        if i % 10 != 9 and i % 7 != 6:  # no arithmetic slip, no blank
            assert row["slips"] == slip
            assert (row["score"] == row["max_score"]) == (not slip)


def test_a_non_square_gradient_written_transposed_is_read_and_named(run, tmp_path,
                                                                    solve_json):
    problem = CLASSIC.parent / "frozen_bias.yaml"  # W1 is 2 x 3
    doc = solve_json(problem)
    dW1 = np.array(doc["gradients"]["W1"])
    W1_after = np.array(doc["update"]["parameters"]["W1"])
    text = (f"answers:\n  gradients.W1: {json.dumps(dW1.T.tolist())}\n"
            f"  update.parameters.W1: {json.dumps(W1_after.tolist())}\n")
    graded = grade_doc(run, problem, write(tmp_path, "s.yaml", text))
    answers = graded["answers"]
    assert answers["gradients.W1"]["verdict"] == "wrong"
    assert answers["gradients.W1"]["slips"] == ["transposed-gradient"]
    assert answers["gradients.W1"]["given"] == dW1.T.tolist()  # as written
    assert answers["update.parameters.W1"]["verdict"] == "correct"
