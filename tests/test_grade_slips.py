"""The proof of the diagnosis: for every slip of the catalogue, on the three networks, a
sheet worked with that slip by the independent textbook code (test_grade_textbook.py, not
the catalogue) is diagnosed as that slip, or a tie that includes it, in every quantity the
slip changes, and every quantity it does not change is correct. Where a slip cannot be
made on a network (CANNOT says why), its sheet changes nothing and all of it is correct.

Also: one wrong value in h1 is the only wrong answer (arithmetic), everything after it
carried; and the published post-update error of the 2-2-2 example is `updated-weights`.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import assert_diagnosed
from test_grade_kinds import KIND_SLIPS
from test_grade_maps import MAP_SLIPS
from test_grade_sequences import SEQ_SLIPS
from test_grade_textbook import CANNOT, CASES, NETWORKS, Textbook, sheet_text

from backprop_cli.engine.slips import SLIPS


def grade(run, tmp_path, network: str, sheet: dict) -> dict:
    """The JSON document of `backprop grade` for one full-precision sheet."""
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS[network])
    answers = tmp_path / "answers.yaml"
    answers.write_text(sheet_text(sheet))
    result = run("grade", problem, answers, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def changed(sheet: dict, exact: dict) -> set:
    return {k for k in exact if not np.allclose(sheet[k], exact[k], rtol=1e-9, atol=1e-12)}


def test_every_slip_of_the_catalogue_is_tested():
    assert {slip for slip, _ in CASES} | KIND_SLIPS | MAP_SLIPS | SEQ_SLIPS == set(SLIPS)


@pytest.mark.parametrize(("network", "slip", "variant"),
                         [(n, s, v) for n in NETWORKS for s, v in CASES],
                         ids=[f"{n}-{s}-{v}".rstrip("-") for n in NETWORKS for s, v in CASES])
def test_a_slip_is_diagnosed_where_it_changes_a_quantity(run, tmp_path, network, slip,
                                                         variant):
    book = Textbook(NETWORKS[network])
    exact, sheet = book.sheet(), book.sheet(slip, variant)
    moved = changed(sheet, exact)
    reason = CANNOT.get((network, slip, variant))
    if reason is not None:
        assert not moved, reason
    else:
        assert moved, "the slip should change something here"
    doc = grade(run, tmp_path, network, sheet)
    assert_diagnosed(doc, sheet, moved, slip)
    assert doc["score"] == pytest.approx(sum(a["points"] for a in doc["answers"].values()))
    assert (slip in doc["slips"]) == bool(moved)


@pytest.mark.parametrize("network", NETWORKS)
def test_one_wrong_h1_is_the_only_wrong_answer(run, tmp_path, network):
    book = Textbook(NETWORKS[network])
    sheet = book.sheet("arithmetic")  # h1's first entry off by 0.05, the rest from it
    doc = grade(run, tmp_path, network, sheet)
    verdicts = {path: a["verdict"] for path, a in doc["answers"].items()}
    assert [p for p, v in verdicts.items() if v == "wrong"] == ["forward.h1"]
    assert doc["answers"]["forward.h1"]["slips"] == ["arithmetic"]
    after = changed(sheet, book.sheet()) - {"forward.h1"}  # all that h1 feeds
    assert {"forward.a2", "loss", "gradients.W1", "update.loss"} <= after
    assert all(verdicts[p] == "carried" for p in after), verdicts
    assert all(doc["answers"][p]["from"] == ["forward.h1"] for p in after)
    # what h1 does not feed: a1 before it, the sum of a softmax, frozen biases
    assert all(v == "correct" for p, v in verdicts.items() if p not in after | {"forward.h1"})
    assert doc["slips"] == ["arithmetic"]


def test_the_published_post_update_error_is_updated_weights(run, tmp_path, solve_json):
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS["mazur"])
    assert solve_json(problem)["update"]["loss"] == pytest.approx(0.29102777369, abs=5e-12)
    answers = tmp_path / "post.yaml"
    answers.write_text("student: the post\nanswers:\n  update.loss: 0.291027924\n")
    result = run("grade", problem, answers, "--format", "json")
    assert result.exit_code == 0
    answer = json.loads(result.stdout)["answers"]["update.loss"]
    assert answer["verdict"] == "wrong"
    assert answer["slips"] == ["updated-weights"]
