"""`backprop grade` on sequence exercises: the proof of the diagnosis for the recurrent
slips. For each slip (bptt-truncated, lstm-cell-path-missing, gru-form, time-sum-missing,
gate-order), on every network here where it can be made, a sheet worked with that slip
by the independent by-hand worker (seq_textbook.py: numpy step by step, not the
catalogue) is diagnosed as that slip in every quantity the slip changes, and every
quantity it does not change is correct, in full precision and written to 4 decimals.
The worker is checked against solve first.

Also: the exact sheet scores full marks (and solve's own document for every fixture of
tests/golden/seq/); a wrong h_1 (step 1's first entry) is the only wrong answer, carried
into every later step and everything after (error carried forward through time); the
paths are the JSON's names, entry by entry per step.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from helpers import GOLDEN, ROOT, assert_diagnosed
from seq_textbook import Seq
from test_grade_maps import answers_of, changed, number
from test_grade_textbook import sheet_text

from backprop_cli.engine import slips

# A tanh rnn over 3 steps, h0 given, softmax on h_T with class indices.
RNN = """
x: [[[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]], [[0.5, 0.0], [1.0, 1.0], [-1.0, 2.0]]]
y: [1, 0]
loss: cross_entropy
layers:
  - kind: rnn
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1]]
    wh: [[0.1, 0.0, 0.2], [0.3, -0.2, 0.1], [0.0, 0.1, -0.1]]
    bias: [0.1, 0.0, -0.1]
    h0: [0.1, 0.2, 0.3]
  - weights: [[1.0, 0.0, -1.0], [0.5, 0.5, 0.5]]
    activation: softmax
optimizer: {name: sgd, lr: 0.5}
"""
# An LSTM stacked in CS231n's order (ifog), h0 and c0, softmax at every step (output: all).
LSTM = """
x: [[[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]], [[0.5, 0.0], [1.0, 1.0], [-1.0, 2.0]]]
y: [[1, 0, 1], [0, 1, 1]]
loss: cross_entropy
layers:
  - kind: lstm
    gates: ifog
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.2, 0.3], [-0.4, 0.1], [0.3, 0.2],
         [0.1, -0.5], [0.0, 0.4]]
    wh: [[0.1, 0.0], [0.3, -0.2], [0.0, 0.1], [0.2, 0.2], [-0.1, 0.3], [0.4, 0.0],
         [0.1, -0.3], [0.2, 0.1]]
    bias: [0.1, 0.0, -0.1, 0.2, 0.3, 0.0, -0.2, 0.1]
    h0: [0.1, -0.2]
    c0: [0.2, 0.1]
    output: all
  - weights: [[1.0, -1.0], [0.5, 0.5]]
    bias: [0.0, 0.1]
    activation: softmax
optimizer: {name: sgd, lr: 0.5}
"""
# torch's GRU with a hidden bias (b_hn inside r ⊙ (…)), softmax on h_T.
GRU = """
x: [[[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]], [[0.5, 0.0], [1.0, 1.0], [-1.0, 2.0]]]
y: [1, 0]
loss: cross_entropy
layers:
  - kind: gru
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.2, 0.3], [-0.4, 0.1], [0.3, 0.2]]
    wh: [[0.1, 0.0], [0.3, -0.2], [0.0, 0.1], [0.2, 0.2], [-0.1, 0.3], [0.4, 0.0]]
    bias: [0.1, 0.0, -0.1, 0.2, 0.3, 0.0]
    bias_h: [0.05, -0.1, 0.2, 0.0, 0.1, -0.2]
    h0: [0.1, -0.2]
  - weights: [[1.0, -1.0], [0.5, 0.5]]
    activation: softmax
optimizer: {name: sgd, lr: 0.5}
"""
# Cho's GRU (r before Wh_n) with update: new, stacked zrn (Keras's order), mse at every
# step.
CHO = """
x: [[[1.0, 2.0], [0.0, 1.0], [3.0, -1.0]], [[0.5, 0.0], [1.0, 1.0], [-1.0, 2.0]]]
y: [[[0.5, -0.2], [0.1, 0.3], [0.0, 0.4]], [[-0.3, 0.2], [0.6, 0.0], [0.2, -0.1]]]
loss: mse
layers:
  - kind: gru
    form: cho
    update: new
    gates: zrn
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.2, 0.3], [-0.4, 0.1], [0.3, 0.2]]
    wh: [[0.1, 0.0], [0.3, -0.2], [0.0, 0.1], [0.2, 0.2], [-0.1, 0.3], [0.4, 0.0]]
    bias: [0.1, 0.0, -0.1, 0.2, 0.3, 0.0]
    h0: [0.1, -0.2]
    output: all
  - weights: [[1.0, -1.0], [0.5, 0.5]]
    activation: identity
optimizer: {name: sgd, lr: 0.3}
"""

NETWORKS = {"rnn": RNN, "lstm": LSTM, "gru": GRU, "cho": CHO}
# The slips of a recurrent layer, each with the variants the worker makes, by network.
CASES = [(n, "bptt-truncated", "") for n in NETWORKS] + \
    [("lstm", "lstm-cell-path-missing", "")] + \
    [(n, "gru-form", v) for n in ("gru", "cho") for v in ("", "forward", "backward")] + \
    [(n, "time-sum-missing", "") for n in NETWORKS] + \
    [("lstm", "gate-order", "ifgo"), ("lstm", "gate-order", "igfo"), ("gru", "gate-order", "zrn"),
     ("cho", "gate-order", "rzn")]
SEQ_SLIPS = {"bptt-truncated", "lstm-cell-path-missing", "gru-form", "time-sum-missing",
             "gate-order"}


def grade(run, tmp_path, network: str, text: str, *options) -> dict:
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS.get(network, network))
    answers = tmp_path / "answers.yaml"
    answers.write_text(text)
    result = run("grade", problem, answers, "--format", "json", *options)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("network", NETWORKS)
def test_without_a_slip_the_worker_gives_solves_numbers(solve_json, tmp_path, network):
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS[network])
    want = {k: v for k, v in answers_of(solve_json(problem)).items()
            if k not in ("parameters", "trainable") and not k.startswith("update.state")}
    sheet = Seq(NETWORKS[network]).sheet()
    assert set(sheet) == set(want)
    for path, value in sheet.items():
        assert np.shape(value) == np.shape(want[path]), path
        assert np.allclose(value, want[path], rtol=1e-9, atol=1e-12), path


def test_the_cases_cover_every_sequence_slip():
    assert {slip for _, slip, _ in CASES} == SEQ_SLIPS <= set(slips.SLIPS)


@pytest.mark.parametrize(("network", "slip", "variant"), [
    pytest.param(n, s, v, id=f"{n}-{s}-{v}".rstrip("-")) for n, s, v in CASES])
@pytest.mark.parametrize("decimals", [None, 4])
def test_a_sequence_slip_is_diagnosed(run, tmp_path, network, slip, variant, decimals):
    book = Seq(NETWORKS[network])
    exact, sheet = book.sheet(), book.sheet(slip, variant)
    moved = changed(sheet, exact)
    assert moved, "the slip should change something here"
    if decimals is not None:  # what rounding leaves of a move (a loss's 4th decimal) aside
        sheet = {k: np.round(np.asarray(v), decimals).tolist() for k, v in sheet.items()}
        moved = {k for k in moved if np.abs(np.subtract(sheet[k], exact[k])).max() >
                 2 * 10.0 ** -decimals}
    write = number if decimals is None else (lambda v: f"{v:.{decimals}f}")
    doc = grade(run, tmp_path, network, sheet_text(sheet, write))
    assert_diagnosed(doc, sheet, moved, slip)
    assert slip in doc["slips"]


def test_each_slip_moves_what_its_name_says():
    """bptt-truncated and the cell path change the backward pass only; time-sum-missing
    only the weight gradients and what the update makes of them."""
    book = Seq(LSTM)
    exact = book.sheet()
    for slip in ("bptt-truncated", "lstm-cell-path-missing"):
        moved = changed(book.sheet(slip), exact)
        assert not any(p.startswith(("forward", "sums", "loss")) for p in moved)
        assert "gradients.Wh1" in moved
    moved = changed(book.sheet("time-sum-missing"), exact)
    assert {p.split(".")[1] for p in moved if p.startswith("gradients")} <= {"Wx1", "Wh1",
                                                                           "b1"}


@pytest.mark.parametrize("decimals", [None, 4])
@pytest.mark.parametrize("network", NETWORKS)
def test_the_exact_sheet_scores_full_marks(run, tmp_path, network, decimals):
    sheet = Seq(NETWORKS[network]).sheet()
    if decimals is not None:
        sheet = {k: np.round(np.asarray(v), decimals).tolist() for k, v in sheet.items()}
    write = number if decimals is None else (lambda v: f"{v:.{decimals}f}")
    doc = grade(run, tmp_path, network, sheet_text(sheet, write))
    assert {p: a["verdict"] for p, a in doc["answers"].items()} == dict.fromkeys(sheet,
                                                                                   "correct")
    assert doc["slips"] == []


GOLDEN_SEQ = sorted((GOLDEN / "seq").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN_SEQ, ids=lambda p: p.stem)
def test_solves_own_document_scores_full_marks(run, solve_json, tmp_path, path):
    """Every sequence fixture (embeddings, named gates, in_out, one sample, upstream, L2,
    Adam and momentum): solve's document, every number of it, is right."""
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(json.loads(path.read_text())["problem"]))
    sheet = answers_of(solve_json(problem))
    doc = grade(run, tmp_path, problem.read_text(), json.dumps({"answers": sheet}))
    assert {p for p, a in doc["answers"].items() if a["verdict"] != "correct"} == set()
    assert doc["score"] == doc["max_score"]  # named gates: one quantity, several paths


def _steps_off(sheet: dict, path: str, at: tuple, by: float) -> dict:
    value = np.array(sheet[path])
    value[at] += by
    return {**sheet, path: value.tolist()}


@pytest.mark.parametrize("network", NETWORKS)
def test_a_wrong_h_is_carried_through_time(run, tmp_path, network):
    """h_1 of sample 0 off by 0.3 and everything after worked from it, written entry by
    entry as a blank sheet asks: that entry is the one wrong answer (arithmetic); h at the
    later steps and everything else that reads it are carried from it, not marked again;
    what does not read it (step 1's a, sample 1's steps) is correct."""
    book = Seq(NETWORKS[network])
    exact, worked = book.sheet(), book.sheet(bump=(0, 1, 0.3))
    entries = {}
    for path, value in worked.items():
        for index in np.ndindex(np.shape(value)):
            entries[".".join([path, *map(str, index)])] = float(np.asarray(value)[index])
    doc = grade(run, tmp_path, network, sheet_text(entries, number))
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    assert [p for p, v in verdicts.items() if v == "wrong"] == ["forward.h1.0.0.1"]
    assert doc["answers"]["forward.h1.0.0.1"]["slips"] == ["arithmetic"]
    carried = [p for p, v in verdicts.items() if v == "carried"]
    for later in ("forward.h1.0.1.", "forward.h1.0.2."):  # steps 2 and 3 from it
        assert any(p.startswith(later) for p in carried), later
    assert all(doc["answers"][p]["from"] == ["forward.h1.0.0.1"] for p in carried)
    assert verdicts["forward.a1.0.0.0"] == verdicts["forward.h1.1.1.0"] == "correct"
    moved = {p for p in changed(worked, exact)}
    assert "gradients.Wh1" in moved


def test_a_quantity_of_every_step_is_one_question(run, tmp_path):
    """forward.h1 written whole with one entry of step 2 wrong: wrong, and no other answer
    is marked wrong because of it; written per step (forward.h1.0.1) the same entry makes
    that step's answer wrong alone."""
    book = Seq(GRU)
    exact = book.sheet()
    sheet = _steps_off(exact, "forward.h1", (0, 1, 0), 0.25)
    doc = grade(run, tmp_path, "gru", sheet_text(sheet, number))
    wrong = [p for p, a in doc["answers"].items() if a["verdict"] == "wrong"]
    assert wrong == ["forward.h1"]
    h = np.array(exact["forward.h1"])
    text = sheet_text({"forward.h1.0.1": (h[0, 1] + [0.25, 0.0]).tolist(),
                       "forward.h1.0.2": h[0, 2].tolist(), "forward.h1.1": h[1].tolist()},
                      number)
    doc = grade(run, tmp_path, "gru", text)
    assert doc["answers"]["forward.h1.0.1"]["verdict"] == "wrong"
    assert doc["answers"]["forward.h1.0.2"]["verdict"] == "correct"  # not marked again
    assert doc["answers"]["forward.h1.1"]["verdict"] == "correct"


def test_named_gate_paths(run, tmp_path):
    """A recurrent parameter's gradient given by gate name: gradients.Wx1.f.1.0 is row 1,
    column 0 of the f gate's block, as solve writes it."""
    text = LSTM.replace("    gates: ifog\n", "")
    import yaml

    doc = yaml.safe_load(text)
    wx = doc["layers"][0]["wx"]
    doc["layers"][0]["wx"] = {g: wx[k * 2:(k + 1) * 2] for k, g in enumerate("ifgo")}
    problem = yaml.safe_dump(doc)
    p = tmp_path / "named.yaml"
    p.write_text(problem)
    result = run("solve", p, "--format", "json")
    solved = json.loads(result.stdout)
    value = solved["gradients"]["Wx1"]["f"][1][0]
    text = sheet_text({"gradients.Wx1.f.1.0": value, "gradients.Wx1.g":
                       (np.array(solved["gradients"]["Wx1"]["g"]) + 0.1).tolist()}, number)
    out = grade(run, tmp_path, problem, text)
    assert out["answers"]["gradients.Wx1.f.1.0"]["verdict"] == "correct"
    assert out["answers"]["gradients.Wx1.g"]["verdict"] == "wrong"



def test_a_sheet_may_give_parameters_by_gate_as_solve_writes_them(run, solve_json, tmp_path):
    """solve's JSON writes gates by name as a mapping; a sheet that copies it answers each
    gate (gradients.Wx1.i, ...), and one wrong gate is the only wrong answer."""
    problem = ROOT / "problems" / "lstm.yaml"  # gates by name
    doc = solve_json(problem)
    answers = {"gradients.Wx1": doc["gradients"]["Wx1"],
               "update.parameters.Wh1": doc["update"]["parameters"]["Wh1"]}
    answers["gradients.Wx1"]["f"][0][0] += 0.5
    sheet = tmp_path / "answers.yaml"
    sheet.write_text(yaml.safe_dump({"answers": answers}))
    result = run("grade", problem, sheet, "--format", "json")
    assert result.exit_code == 0, result.stderr
    marks = {path: a["verdict"] for path, a in json.loads(result.stdout)["answers"].items()}
    assert marks.pop("gradients.Wx1.f") == "wrong"
    assert set(marks) == {"gradients.Wx1.i", "gradients.Wx1.g", "gradients.Wx1.o",
                          "update.parameters.Wh1.i", "update.parameters.Wh1.f",
                          "update.parameters.Wh1.g", "update.parameters.Wh1.o"}
    assert set(marks.values()) == {"correct"}
