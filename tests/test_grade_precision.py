"""Where the precision comes from: --rtol/--atol or --precision, the problem's `grading:`
section (with per-path precisions and points), the default; the errors each source gives;
the answer sheet that says what it expects."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from helpers import CLASSIC
from test_grade_textbook import NETWORKS, Textbook, sheet_text

EXACT = Textbook(NETWORKS["classic"]).sheet()
AT_2DP = sheet_text({k: np.round(np.asarray(v), 2).tolist() for k, v in EXACT.items()},
                    lambda v: f"{v:.2f}")


def problem(tmp_path, grading: str = "") -> str:
    path = tmp_path / "p.yaml"
    path.write_text(CLASSIC.read_text() + grading)
    return str(path)


def marks(run, *args) -> dict:
    result = run("grade", *args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(AT_2DP)
    return str(path)


def test_two_decimals_are_too_few_by_default_and_enough_when_the_exercise_says(
        run, tmp_path, sheet):
    default = marks(run, problem(tmp_path), sheet)
    assert default["score"] < default["max_score"]
    in_file = marks(run, problem(tmp_path, "grading: {precision: 2dp}\n"), sheet)
    assert in_file["score"] == in_file["max_score"] == len(EXACT)
    on_the_line = marks(run, problem(tmp_path), sheet, "--precision", "2dp")
    assert on_the_line["score"] == on_the_line["max_score"]


def test_a_path_may_have_its_own_precision(run, tmp_path):
    s = tmp_path / "s.yaml"
    s.write_text("answers:\n  loss: 0.86\n  forward.a1: [1.54, 1.98, 1.93]\n")
    doc = marks(run, problem(tmp_path, "grading: {precision: 2dp}\n"), s)
    assert doc["score"] == 2
    p = problem(tmp_path, "grading:\n  precision: 2dp\n  precisions: {loss: 4dp}\n")
    doc = marks(run, p, s)
    assert {k: a["verdict"] for k, a in doc["answers"].items()} == \
        {"loss": "wrong", "forward.a1": "correct"}  # 0.86 for 0.85638: not to 4 decimals


def test_the_command_line_is_stronger_than_the_file(run, tmp_path, sheet):
    p = problem(tmp_path, "grading: {precision: 2dp}\n")
    strict = marks(run, p, sheet, "--precision", "4dp")
    assert strict["score"] < strict["max_score"]
    loose = marks(run, p, sheet, "--atol", "0.01")
    assert loose["score"] == loose["max_score"]


def test_points_in_the_grading_section_and_a_scheme_over_them(run, tmp_path):
    p = problem(tmp_path, "grading:\n  points: {loss: 3, update.loss: 2}\n  default: 0.5\n")
    s = tmp_path / "s.yaml"
    s.write_text("answers:\n  loss: 0.8564\n  forward.a1: [1.535, 1.9825, 1.9301]\n")
    doc = marks(run, p, s)
    assert (doc["score"], doc["max_score"]) == (3.5, 5.5)  # update.loss asked, missing
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("points: {loss: 1}\n")
    doc = marks(run, p, s, "--scheme", scheme)
    assert (doc["score"], doc["max_score"]) == (2, 2)


BAD = [
    ("grading: {precision: 4 decimals}\n", "grading.precision: found '4 decimals', expected "
     "decimal places or significant figures, like 4dp, 3sf or '3sf or 4dp'"),
    ("grading: {precision: 4}\n", "grading.precision: found 4, expected decimal "
     "places or significant figures, like 4dp, 3sf or '3sf or 4dp'"),
    ("grading: {precisions: {loss: 0sf}}\n", "grading.precisions.loss: found '0sf', "
     "expected decimal places or significant figures, like 4dp, 3sf or '3sf or 4dp'"),
    ("grading: {colour: red}\n", "grading.colour: unknown key 'colour', expected one of "
     "precision, precisions, points, default"),
    ("grading: {points: {loss: -1}}\n", "grading.points.loss: found -1, expected a number "
     "of points >= 0"),
    ("grading: 3sf\n", "grading: found the string '3sf', expected a mapping with precision, "
     "precisions, points or default"),
]


@pytest.mark.parametrize(("section", "message"), BAD)
def test_a_bad_grading_section_is_one_error_line(run, tmp_path, section, message):
    p = problem(tmp_path, section)
    for command in (["solve", p], ["grade", p, str(CLASSIC)]):
        result = run(*command)
        assert result.exit_code == 2
        assert result.stderr == f"Error: {p}: {message}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["--precision", "4"], "--precision: found '4', expected decimal places or significant "
                           "figures, like 4dp, 3sf or '3sf or 4dp'"),
    (["--precision", "3sf", "--rtol", "0.01"], "--precision and --rtol/--atol are two ways "
                                               "to say one thing: give one"),
])
def test_bad_precision_options(run, tmp_path, sheet, args, message):
    result = run("grade", problem(tmp_path), sheet, *args)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"


def test_the_answer_sheet_says_what_precision_it_expects(run, tmp_path):
    p = problem(tmp_path, "grading:\n  precision: 3sf\n  precisions: {loss: 4dp}\n")
    result = run("solve", p, "--format", "sheet", "--expect", "loss")
    assert result.stdout.splitlines()[1:3] == [
        "# Answer to 3 significant figures, or more digits;", "#   loss: to 4 decimal places"]
    default = run("solve", CLASSIC, "--format", "sheet").stdout.splitlines()[1]
    assert default == ("# Answer to 3 significant figures or 4 decimal places (the coarser "
                       "for each number), or more digits;")


def test_step_keeps_the_grading_section(run, tmp_path):
    p = problem(tmp_path, "grading: {precision: 2dp, points: {loss: 2}}\n")
    stepped = yaml.safe_load(run("step", p, "-o", "-").stdout)
    assert stepped["grading"] == {"precision": "2dp", "points": {"loss": 2}}
