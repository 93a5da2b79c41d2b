"""The classic exercise: every number the exercise publishes (../shared/reference)."""

import pytest

CLASSIC = "problems/classic.yaml"


@pytest.fixture
def doc(solve_json, monkeypatch):
    from helpers import ROOT

    monkeypatch.chdir(ROOT)
    return solve_json(CLASSIC)


def test_parameter_count(doc):
    assert doc["parameters"] == 36
    assert doc["trainable"] == 36


def test_forward_sums_as_published(doc):
    assert round(doc["sums"]["a1"], 4) == 5.4477
    assert round(doc["sums"]["h1"], 4) == 2.5750
    assert [round(v, 4) for v in doc["forward"]["a2"]] == [2.1421, 1.2780, 3.0400]
    # printed in full by the notebook
    assert doc["sums"]["a2"] == pytest.approx(6.460166777022406, rel=1e-14)
    assert doc["sums"]["h2"] == pytest.approx(2.6313930964242145, rel=1e-14)
    assert doc["sums"]["a3"] == pytest.approx(4.874920995857018, rel=1e-14)


def test_loss_and_gradients_as_published(doc):
    assert round(doc["loss"], 4) == 0.8564
    assert [round(v, 4) for v in doc["gradients"]["a3"]] == [0.2369, 0.3384, -0.5753]
    assert [round(v, 4) for v in doc["gradients"]["b2"]] == [0.0184, -0.0200, -0.0038]


def test_post_update_loss_as_published(doc):
    assert doc["update"]["loss"] == pytest.approx(0.0725333007370964, abs=1e-12)
    assert doc["update"]["optimizer"]["name"] == "sgd"
    assert doc["update"]["optimizer"]["lr"] == 1.0
    assert doc["update"]["state"] == {}


def test_class_index_target_is_the_same_problem(run, solve_json, monkeypatch, tmp_path):
    from helpers import ROOT

    text = (ROOT / CLASSIC).read_text().replace("y: [0, 0, 1]", "y: 2")
    assert "y: 2" in text
    (tmp_path / "p.yaml").write_text(text)
    doc = solve_json(tmp_path / "p.yaml")
    assert doc["update"]["loss"] == pytest.approx(0.0725333007370964, abs=1e-12)
