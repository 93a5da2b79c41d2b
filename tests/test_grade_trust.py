"""Marks a TA can trust, on four kinds of network (sigmoid/softmax with cross-entropy, tanh/
sigmoid with BCE on a batch, ReLU/sigmoid with integers, one unit with a batch), with
sheets from the independent textbook code (test_grade_textbook.py):

- the precision is the exercise's: fewer digits never earn more credit, and what is written
  (0, 1e3, 7) never widens it; correctly rounded answers are correct;
- verdicts mean what they say: rounded work is correct, not carried;
- a quantity is one question, its points shared by its entries, however it is written;
- one slip, one mark: a fused output is judged from the person's own ∂L/∂ŷ; the Err
  convention costs one mark and its updates stay correct;
- the precision's sources: --precision, the problem's grading section, the default.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import CLASSIC
from test_grade_textbook import ALL, MAZUR, Textbook, sheet_text

FOUR = ["classic", "tanh_bce", "integer", "unit"]


def grade_doc(run, problem, text: str, tmp_path, *args, name="s.yaml"):
    sheet = tmp_path / name
    sheet.write_text(text)
    result = run("grade", problem, sheet, "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def problem_file(tmp_path, network: str, extra: str = ""):
    path = tmp_path / f"{network}.yaml"
    path.write_text(ALL[network] + extra)
    return path


def tolerance(t):
    """The default precision, written out again: 3 significant figures or 4 decimals."""
    t = abs(t)
    sf = 0.5 * 10.0 ** (np.floor(np.log10(t)) - 2) if t > 0 else 0.0
    return max(0.5e-4, sf)


def leaves(sheet: dict):
    for path, value in sheet.items():
        for i, v in enumerate(np.ravel(value)):
            index = np.unravel_index(i, np.shape(value))
            yield ".".join([path, *map(str, index)]) if np.ndim(value) else path, float(v)


# ------------------------------------------------------------ fewer digits, no more credit


@pytest.mark.parametrize("written", ["1e308", "0", "1", "2", "3", "1.1", "0.9", "1e0"])
def test_a_coarse_loss_is_not_credited(run, tmp_path, written):
    doc = grade_doc(run, CLASSIC, f"answers:\n  loss: {written}\n", tmp_path)
    assert doc["answers"]["loss"]["verdict"] == "wrong"
    assert doc["score"] == 0


@pytest.mark.parametrize("written", ["0.856", "0.8564", "0.85638", "0.856378564"])
def test_a_correctly_rounded_loss_is_correct(run, tmp_path, written):
    doc = grade_doc(run, CLASSIC, f"answers:\n  loss: {written}\n", tmp_path)
    assert doc["answers"]["loss"]["verdict"] == "correct"


@pytest.mark.parametrize("network", FOUR)
def test_whole_numbers_and_zeros_earn_only_what_rounds_so(run, tmp_path, network):
    """A sheet of zeros, or of the answers rounded to whole numbers: an answer is correct
    only where every entry is within the default precision of the exact value; a1, from
    the problem's numbers alone, earns exactly its entries that round so; anything else
    credited is carried, from a wrong answer before it (error carried forward)."""
    exact = Textbook(ALL[network]).sheet()
    problem = problem_file(tmp_path, network)
    for rounding in (lambda v: 0.0 * v, np.round):
        sheet = {k: rounding(np.asarray(v)).tolist() for k, v in exact.items()}
        doc = grade_doc(run, problem, sheet_text(sheet, lambda v: f"{v:.0f}"), tmp_path)
        for path, answer in doc["answers"].items():
            t = np.ravel(exact[path])
            g = np.ravel(rounding(np.asarray(exact[path])))
            right = np.array([abs(a - b) <= tolerance(b) for a, b in zip(g, t)])
            if path != "update.loss":  # widened by the forward pass no sheet shows
                assert (answer["verdict"] == "correct") == right.all(), (path, answer)
            if answer["verdict"] == "carried":
                assert answer["from"], (path, answer)
        a1 = doc["answers"]["forward.a1"]
        right = [abs(a - b) <= tolerance(b) for a, b in
                 zip(np.ravel(rounding(np.asarray(exact["forward.a1"]))),
                     np.ravel(exact["forward.a1"]))]
        assert a1["points"] == pytest.approx(np.mean(right))


def test_an_unchanged_bias_is_not_close_enough(run, tmp_path, solve_json):
    problem = problem_file(tmp_path, "unit")
    b = solve_json(problem)["update"]["parameters"]["b1"]
    assert abs(b[0] - 0.1) > 0.01  # 0.1 is the bias before the update
    doc = grade_doc(run, problem, "answers:\n  update.parameters.b1: [0.1]\n", tmp_path)
    answer = doc["answers"]["update.parameters.b1"]
    assert answer["verdict"] == "wrong"
    assert answer["slips"] == ["bias-not-updated"]


def test_integer_inputs_carry_the_exercises_precision_not_their_own(run, tmp_path):
    """h1 written wrong as whole numbers: a2 from them is 6 exactly; 7.5 is not carried."""
    problem = problem_file(tmp_path, "integer")
    W2, b2 = np.array([[1, -1, 2], [-2, 1, 1]]), np.array([0, 1])
    h1 = np.array([3, 1, 2])
    own = W2 @ h1 + b2
    assert own.tolist() == [6, -2]
    text = f"answers:\n  forward.h1: {h1.tolist()}\n  forward.a2: [7.5, -2]\n"
    answer = grade_doc(run, problem, text, tmp_path)["answers"]["forward.a2"]
    assert answer["verdict"] == "wrong"
    assert answer["own"] == [6, -2]
    text = f"answers:\n  forward.h1: {h1.tolist()}\n  forward.a2: [6, -2]\n"
    answer = grade_doc(run, problem, text, tmp_path)["answers"]["forward.a2"]
    assert answer["verdict"] == "carried"


# ------------------------------------------------------------ correct rounding is correct


def test_each_number_has_its_own_precision(run, tmp_path):
    # h1 = [0.59327, 0.59688]: 0.5933 (4 decimals) and 0.597 (3 figures) are both right
    problem = tmp_path / "mazur.yaml"
    problem.write_text(MAZUR)
    doc = grade_doc(run, problem, "answers:\n  forward.h1: [0.5933, 0.597]\n", tmp_path)
    assert doc["answers"]["forward.h1"]["verdict"] == "correct"
    doc = grade_doc(run, problem, "answers:\n  forward.h1: [0.5933, 0.5970]\n", tmp_path)
    assert doc["answers"]["forward.h1"]["verdict"] == "wrong"  # its 4th decimal is off


def test_the_published_worked_example_scores_its_right_numbers(run, tmp_path):
    """Mazur's step-by-step example, its numbers as published (9 digits): every one is
    right but the loss after the update (see test_grade_slips.py for its slip)."""
    problem = tmp_path / "mazur.yaml"
    problem.write_text(MAZUR)
    text = """answers:
  forward.h1: [0.593269992, 0.596884378]
  forward.h2: [0.75136507, 0.772928465]
  loss: 0.298371109
  update.parameters.W2: [[0.35891648, 0.408666186], [0.511301270, 0.561370121]]
  update.parameters.W1: [[0.149780716, 0.19956143], [0.24975114, 0.29950229]]
  update.loss: 0.291027924
"""
    doc = grade_doc(run, problem, text, tmp_path)
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    assert verdicts.pop("update.loss") == "wrong"
    assert set(verdicts.values()) == {"correct"}, verdicts
    assert (doc["score"], doc["max_score"]) == (5, 6)


@pytest.mark.parametrize("network", FOUR)
def test_solves_rounded_key_is_correct_everywhere(run, tmp_path, network):
    problem = problem_file(tmp_path, network)
    key = run("solve", problem, "--round", "4", "--format", "csv")
    assert key.exit_code == 0
    graded = run("grade", problem, "-", "--format", "json", input=key.stdout)
    assert graded.exit_code == 0, graded.stderr
    doc = json.loads(graded.stdout)
    assert {a["verdict"] for a in doc["answers"].values()} == {"correct"}
    assert doc["score"] == doc["max_score"]


# ----------------------------------------------------------------- one question, one mark


@pytest.mark.parametrize("network", FOUR)
def test_the_score_does_not_depend_on_how_answers_are_split(run, tmp_path, network):
    """The same work, with one wrong entry, written by quantity and entry by entry."""
    problem = problem_file(tmp_path, network)
    sheet = Textbook(ALL[network]).sheet()
    path = next(p for p, v in sheet.items() if p.startswith("gradients.W"))
    wrong = np.array(sheet[path])
    wrong.flat[0] += 0.5
    sheet[path] = wrong.tolist()
    whole = grade_doc(run, problem, sheet_text(sheet), tmp_path)
    split = dict(leaves(sheet))
    by_entry = grade_doc(run, problem, sheet_text(split), tmp_path, name="e.yaml")
    assert (whole["score"], whole["max_score"]) == \
        (pytest.approx(by_entry["score"]), by_entry["max_score"])
    assert whole["max_score"] == len(sheet)  # a point per quantity
    assert whole["score"] == pytest.approx(len(sheet) - 1 / wrong.size)
    assert whole["slips"] == by_entry["slips"]


def test_a_vector_is_one_question_whole_or_by_entry(run, tmp_path, solve_json):
    b2 = solve_json(CLASSIC)["gradients"]["b2"]
    whole = grade_doc(run, CLASSIC, f"answers:\n  gradients.b2: {b2}\n", tmp_path)
    parts = "answers:\n" + "".join(f"  gradients.b2.{i}: {v}\n" for i, v in enumerate(b2))
    split = grade_doc(run, CLASSIC, parts, tmp_path, name="parts.yaml")
    assert (whole["score"], whole["max_score"]) == (split["score"], split["max_score"]) == (1, 1)


@pytest.mark.parametrize("network", ["tanh_bce", "unit"])
def test_a_forgotten_one_over_n_costs_one_mark(run, tmp_path, network):
    """∂L/∂ŷ without 1/N, ∂L/∂a_L worked from it by the chain rule: only ∂L/∂ŷ is wrong."""
    book = Textbook(ALL[network])
    book.chain = True
    sheet = book.sheet("no-1/N")
    doc = grade_doc(run, problem_file(tmp_path, network), sheet_text(sheet), tmp_path)
    L = book.L
    wrong = [p for p, a in doc["answers"].items() if a["verdict"] == "wrong"]
    assert wrong == [f"gradients.h{L}"]
    assert doc["answers"][f"gradients.a{L}"]["verdict"] == "carried"
    assert doc["answers"][f"gradients.h{L}"]["slips"] == ["mean-vs-sum"]


@pytest.mark.parametrize("decimals", [None, 4])
@pytest.mark.parametrize("network", FOUR)
def test_the_err_convention_costs_one_mark_and_its_updates_are_correct(run, tmp_path,
                                                                        network, decimals):
    """Han & Kamber's Err is the negated gradient, and w ← w + η Err h: one sign slip, at
    the first gradient written; every later gradient carried; every update correct, in
    full precision and with each number rounded to 4 decimals."""
    number = (lambda v: f"{v:.17e}") if decimals is None else (lambda v: f"{v:.{decimals}f}")
    book = Textbook(ALL[network])
    sheet = book.sheet("err")
    if decimals is not None:
        sheet = {k: np.round(np.asarray(v), decimals).tolist() for k, v in sheet.items()}
    doc = grade_doc(run, problem_file(tmp_path, network), sheet_text(sheet, number), tmp_path)
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    first = f"gradients.h{book.L}"
    assert [p for p, v in verdicts.items() if v == "wrong"] == [first]
    assert doc["answers"][first]["slips"] == ["sign"]
    assert all(v == "carried" for p, v in verdicts.items()
               if p.startswith("gradients.") and p != first), verdicts
    assert all(v == "correct" for p, v in verdicts.items() if p.startswith("update.")), \
        verdicts
    exact = np.ravel(book.sheet()[first])
    lost = np.mean(~np.isclose(np.ravel(sheet[first]), exact, atol=1e-4))  # not -0 for 0
    assert doc["score"] == pytest.approx(doc["max_score"] - lost)


@pytest.mark.parametrize("slip", ["derivative-with-a", "derivative-at-h", "derivative-as-h",
                                  "derivative-missing"])
@pytest.mark.parametrize("network", ["tanh_bce", "unit", "classic"])
def test_derivative_slips_are_found_at_a_fused_output_worked_by_the_chain_rule(
        run, tmp_path, network, slip):
    book = Textbook(ALL[network])
    book.chain = True
    sheet = book.sheet(slip)
    exact = Textbook(ALL[network]).sheet()
    path = f"gradients.a{book.L}"
    moved = not np.allclose(sheet[path], exact[path], rtol=1e-9)
    doc = grade_doc(run, problem_file(tmp_path, network), sheet_text(sheet), tmp_path)
    answer = doc["answers"][path]
    if not moved:  # softmax: f' from a or h is the same Jacobian
        assert answer["verdict"] == "correct"
        return
    assert answer["verdict"] == "wrong"
    assert slip in answer["slips"], answer


@pytest.mark.parametrize("network", FOUR)
def test_a_sheet_of_zeros_is_not_carried_through_the_gradients(run, tmp_path, network):
    """0 times anything is 0: zeros after a wrong zero are not credited as carried."""
    exact = Textbook(ALL[network]).sheet()
    sheet = {k: (0.0 * np.asarray(v)).tolist() for k, v in exact.items()
             if k.startswith("gradients.")}
    doc = grade_doc(run, problem_file(tmp_path, network), sheet_text(sheet), tmp_path)
    for path, answer in doc["answers"].items():
        right = all(abs(t) <= tolerance(t) for t in np.ravel(exact[path]))
        assert answer["verdict"] == ("correct" if right else "wrong"), (path, answer)
