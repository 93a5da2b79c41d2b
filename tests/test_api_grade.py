"""bp.grade: `backprop grade` as a function, the command being the reference: the same
JSON, CSV, feedback and tables for the same sheets, the same error messages."""

import json

import pytest
from helpers import CLASSIC

import backprop_cli as bp
from backprop_cli.errors import ProblemError, UsageError

ADA = """student: ada
answers:
  loss: 0.8564
  sums.h1: 2.575
  gradients.b3.0: 0.2369
  update.loss: 0.0725
"""
BOB = """student: bob
answers:
  loss: 0.9
  forward.h1.0: 0.8227
  gradients.b3: [0.2369, 0.3384, 0.4247]
  update.loss: 0.0725
"""
CLASS = """student,loss,sums.h1,update.loss
cy,0.8564,2.575,0.0725
dee,0.8564,2.6,
"""


@pytest.fixture
def sheets(tmp_path):
    paths = {}
    for name, text in (("ada.yaml", ADA), ("bob.yaml", BOB), ("class.csv", CLASS)):
        paths[name] = tmp_path / name
        paths[name].write_text(text)
    return paths


def cli(run, *args):
    result = run("grade", CLASSIC, *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("names, kwargs, args", [
    (["ada.yaml"], {}, []),
    (["bob.yaml"], {}, []),
    (["class.csv"], {}, []),
    (["ada.yaml", "bob.yaml"], {}, []),
    (["bob.yaml"], {"expect": "loss,sums.a1"}, ["--expect", "loss,sums.a1"]),
    (["bob.yaml"], {"expect": ["loss", "sums.a1"]}, ["--expect", "loss", "--expect", "sums.a1"]),
    (["ada.yaml"], {"rtol": 1e-3}, ["--rtol", "0.001"]),
    (["bob.yaml"], {"lr": 0.5, "optimizer": "adam"}, ["--lr", "0.5", "--optimizer", "adam"]),
])
def test_grade_is_the_command(run, sheets, names, kwargs, args):
    paths = [sheets[n] for n in names]
    g = bp.grade(bp.load(CLASSIC), paths if len(paths) > 1 else str(paths[0]), **kwargs)
    files = [str(p) for p in paths]
    assert g.to_dict() == json.loads(cli(run, *files, *args, "--format", "json"))
    assert g.csv() == cli(run, *files, *args, "--format", "csv")
    assert g.markdown() == cli(run, *files, *args, "--format", "markdown")
    assert str(g) == cli(run, *files, *args) == repr(g)
    assert "verdict" in g._repr_html_() or "score" in g._repr_html_()


def test_a_scheme_weighs_the_answers(run, sheets, tmp_path):
    scheme = tmp_path / "scheme.yaml"
    scheme.write_text("points: {loss: 3}\ndefault: 1\n")
    g = bp.grade(CLASSIC, sheets["bob.yaml"], scheme=scheme)
    assert g.to_dict() == json.loads(cli(run, sheets["bob.yaml"], "--scheme", scheme,
                                         "--format", "json"))


def test_the_records_hold_the_marks(sheets):
    g = bp.grade(bp.example("classic"), [sheets["ada.yaml"], sheets["bob.yaml"]])
    ada, bob = g.results
    assert (ada.student, ada.score, ada.max_score) == ("ada", 4, 4)
    assert bob.student == "bob" and bob.score < bob.max_score
    assert {row.verdict for row in bob.rows} >= {"correct", "wrong"}


@pytest.mark.parametrize("answers", [None, 3, [], [3], {"loss": 0.8}])
def test_answers_are_sheet_paths(answers):
    with pytest.raises(UsageError, match="expected the path of an answer sheet"):
        bp.grade(CLASSIC, answers)


def test_a_bad_sheet_has_the_command_line_message(run, tmp_path):
    sheet = tmp_path / "bad.yaml"
    sheet.write_text("student: x\nanswers: {gradients.W9: 1.0}\n")
    result = run("grade", CLASSIC, sheet)
    assert result.exit_code == 2
    with pytest.raises(bp.BackpropError) as info:
        bp.grade(CLASSIC, sheet)
    assert str(info.value) == result.stderr.strip().removeprefix("Error: ")
    missing = str(tmp_path / "missing.yaml")
    with pytest.raises(ProblemError) as info:
        bp.grade(CLASSIC, missing)
    assert str(info.value) == run("grade", CLASSIC, missing).stderr.strip().removeprefix(
        "Error: ")
