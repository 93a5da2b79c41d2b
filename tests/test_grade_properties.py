"""Properties of marking, on random networks and sheets (hypothesis), with the exact work
from the independent textbook code:

- correct work rounded at any precision the exercise allows (4 decimals or 3 significant
  figures by default; k decimals under --precision kdp) is fully credited, every answer
  `correct`;
- writing the exact work with fewer digits never raises the score;
- a number farther from its target than the exercise's precision is never credited, and
  no way of writing it (fewer digits, an exponent) changes that.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_grade_textbook import Textbook, sheet_text

import backprop_cli as bp

ACTIVATIONS = ["sigmoid", "tanh", "relu"]
SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


def _matrix(rng, rows, cols):
    return np.round(rng.uniform(-1, 1, (rows, cols)), 2).tolist()


@st.composite
def networks(draw):
    """A problem file's text: 1-3 layers of 1-3 units, a batch of 1-3, each loss."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    depth, batch = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    sizes = [draw(st.integers(1, 3)) for _ in range(depth + 1)]
    loss = draw(st.sampled_from(["cross_entropy", "bce", "mse", "sse_half"]))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    out = {"cross_entropy": "softmax", "bce": "sigmoid"}.get(
        loss, draw(st.sampled_from(ACTIVATIONS)))
    x = _matrix(rng, batch, sizes[0])
    if loss == "cross_entropy":
        y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], batch)].tolist()
    else:
        y = np.round(rng.uniform(0, 1, (batch, sizes[-1])), 1).tolist()
    lines = [f"x: {x}", f"y: {y}", f"loss: {loss}", "layers:"]
    for l in range(depth):
        act = out if l == depth - 1 else draw(st.sampled_from(ACTIVATIONS))
        lines.append(f"  - {{weights: {_matrix(rng, sizes[l + 1], sizes[l])}, "
                     f"bias: {_matrix(rng, 1, sizes[l + 1])[0]}, activation: {act}}}")
    lr = draw(st.sampled_from([0.1, 0.5, 1.0]))
    lines.append(f"optimizer: {{name: sgd, lr: {lr}}}")
    return "\n".join(lines) + "\n"


def _sf(v, k):
    v = np.asarray(v, dtype=float)
    with np.errstate(divide="ignore"):
        e = np.where(v == 0, 0, np.floor(np.log10(np.abs(v))))
    return np.round(v / 10.0 ** (e - k + 1)) * 10.0 ** (e - k + 1)


def _grade(tmp_path, text, sheet, number, *precision):
    problem = tmp_path / "p.yaml"
    problem.write_text(text)
    answers = tmp_path / "a.yaml"
    answers.write_text(sheet_text(sheet, number))
    p = precision[0] if precision else None
    return bp.grade(problem, answers, precision=p)


def _rounded(sheet, rnd):
    return {k: rnd(np.asarray(v)).tolist() for k, v in sheet.items()}


@SETTINGS
@given(text=networks(), k=st.integers(4, 9))
def test_exact_work_rounded_as_allowed_is_all_correct(tmp_path, text, k):
    exact = Textbook(text).sheet()
    for rnd, number, precision in [
            (lambda v: np.round(v, k), lambda v: f"{v:.{k}f}", ()),
            (lambda v: _sf(v, 3), lambda v: f"{v:.3g}", ()),
            (lambda v: np.round(v, 2), lambda v: f"{v:.2f}", ("2dp",))]:
        graded = _grade(tmp_path, text, _rounded(exact, rnd), number, *precision)
        row = graded.results[0]
        assert {r.verdict for r in row.rows} == {"correct"}, \
            [(r.path, r.given, r.expected) for r in row.rows if r.verdict != "correct"]
        assert row.score == row.max_score


@SETTINGS
@given(text=networks(), pick=st.integers(0, 10 ** 6))
def test_fewer_digits_never_score_more(tmp_path, text, pick):
    """One number of the exact work written with 0 to 8 decimals: fewer never score more.
    (A whole sheet rounded coarsely may be consistent with itself by chance, ŷ = y say:
    error carried forward credits that, and no rule of digits could tell.)"""
    exact = Textbook(text).sheet()
    path = list(exact)[pick % len(exact)]
    value = np.array(exact[path], dtype=float)
    i = pick // len(exact) % value.size
    problem, files = tmp_path / "p.yaml", []
    problem.write_text(text)
    for k in range(0, 9):  # one sheet each, marked together
        moved = value.copy()
        moved.flat[i] = np.round(value.flat[i], k)
        sheet = dict(exact, **{path: moved.tolist()})
        files.append(tmp_path / f"k{k}.yaml")
        files[-1].write_text(sheet_text(sheet, lambda v, k=k, m=moved.flat[i]:
                                        f"{v:.{k}f}" if v == m else f"{v:.17e}"))
    scores = [g.score for g in bp.grade(problem, files).results]
    assert scores == sorted(scores), (path, scores)


def _tolerance(t):
    t = abs(t)
    return max(0.5e-4, 0.5 * 10.0 ** (np.floor(np.log10(t)) - 2) if t > 0 else 0.0)


@SETTINGS
@given(text=networks(), pick=st.integers(0, 10 ** 6), factor=st.floats(1.05, 1e6),
       sign=st.sampled_from([-1.0, 1.0]), digits=st.integers(0, 17))
def test_a_number_beyond_the_precision_is_never_credited(tmp_path, text, pick, factor,
                                                          sign, digits):
    """Every number exact in full precision but one, moved by more than the exercise's
    precision and written with any number of digits: that answer loses that entry."""
    exact = Textbook(text).sheet()
    paths = [p for p in exact if p != "update.loss"]  # its tolerance has hidden steps
    path = paths[pick % len(paths)]
    value = np.array(exact[path], dtype=float)
    i = pick // len(paths) % value.size
    t = float(value.flat[i])
    moved = t + sign * factor * _tolerance(t)
    written = float(f"{moved:.{digits}e}")  # written with `digits` figures after the first
    if abs(written - t) <= _tolerance(t) * 1.0000001:
        return  # writing it coarsely brought it back within the precision
    value.flat[i] = written
    sheet = dict(exact, **{path: value.tolist()})
    graded = _grade(tmp_path, text, sheet,  # the others with all their digits
                    lambda v: f"{v:.{digits}e}" if v == written else f"{v:.17e}")
    row = next(r for r in graded.results[0].rows if r.path == path)
    assert row.verdict == "wrong", (path, row)
    assert row.points < row.max_points
    others = [r for r in graded.results[0].rows if r.path not in (path, "update.loss")]
    assert all(r.points == r.max_points for r in others)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_coarse_decimals_need_a_coarse_exercise(run, tmp_path, k):
    """The same exact work at k decimals: not all correct at the default precision, all
    correct under --precision kdp."""
    from test_grade_textbook import NETWORKS

    text = NETWORKS["classic"]
    exact = Textbook(text).sheet()
    rounded = _rounded(exact, lambda v: np.round(v, k))
    default = _grade(tmp_path, text, rounded, lambda v: f"{v:.{k}f}").results[0]
    assert default.score < default.max_score
    told = _grade(tmp_path, text, rounded, lambda v: f"{v:.{k}f}", f"{k}dp").results[0]
    assert told.score == told.max_score
