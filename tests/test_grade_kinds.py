"""The proof of the diagnosis for the layer kinds: for each slip of batch norm, layer norm,
dropout, residual connections and the L2 penalty, on every network here where it can be
made, a sheet worked with that slip by the independent by-hand worker (kinds_textbook.py,
not the catalogue) is diagnosed as that slip in every quantity the slip changes, and every
quantity it does not change is correct. The worker is checked against solve first.

Also: the exact sheet scores full marks, in full precision and rounded to 4 decimals; one
wrong number early (forward.var2 off by 0.1, …) is the only wrong answer (arithmetic),
everything worked from it carried.

A forward slip made again after the update is diagnosed there too, and a sum that is zero
up to its terms' rounding stays correct after a wrong number.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import PROBLEMS, assert_diagnosed
from kinds_textbook import FORMS, Kinds
from test_grade_textbook import sheet_text

# Every layer kind at once: a batch norm with Bessel's N − 1 and its own running statistics,
# dropout with keep given, a residual connection from x, an L2 penalty in the form λ/2.
MIXED = """
x: [[0.8, -0.4], [-0.2, 1.1], [1.5, 0.3], [-0.9, -0.6]]
y: [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [0.0, 0.0]]
loss: bce
layers:
  - {weights: [[0.6, -0.2], [0.3, 0.5], [-0.4, 0.7]], bias: [0.1, -0.1, 0.05],
     activation: tanh}
  - {kind: batchnorm, gamma: [1.2, 0.8, 1.0], beta: [0.1, 0.0, -0.2], variance: unbiased,
     momentum: 0.2, running_mean: [0.1, 0.0, -0.1], running_var: [1.5, 1.0, 0.5]}
  - {kind: dropout, mask: [[1, 0, 1], [1, 1, 1], [0, 1, 1], [1, 1, 0]], keep: 0.75}
  - {weights: [[0.5, -0.3, 0.2], [-0.1, 0.4, 0.6]], bias: [0.0, 0.1], residual: 0,
     activation: sigmoid}
l2: {lambda: 0.05, form: lambda/2}
optimizer: {name: sgd, lr: 0.3}
"""

# A unit-test exercise: one batch-norm layer and the upstream gradient ("dout") as y.
UPSTREAM = """
x: [[1.0, -2.0], [0.5, 0.5], [-1.0, 1.5]]
y: [[0.3, -0.6], [1.0, 0.2], [-0.5, 0.4]]
loss: upstream
layers:
  - {kind: batchnorm, gamma: [1.5, 0.5], beta: [0.2, -0.1]}
optimizer: {name: sgd, lr: 0.1}
"""

NETWORKS = {name: (PROBLEMS / f"{name}.yaml").read_text()
            for name in ("batchnorm", "dropout_l2", "layernorm_residual")}
NETWORKS.update(mixed=MIXED, upstream=UPSTREAM)

# The slips of the layer kinds, each with the variants the worker makes.
VARIANTS = {"bn-variance": [""], "bn-mean-path-missing": ["xhat", "no mean"],
            "dropout-no-scale": ["", "forward", "backward"],
            "dropout-mask-backward": ["scale", "neither"], "l2-gradient-missing": [""],
            "l2-form": list(FORMS), "residual-path-missing": ["forward", "backward"]}
KIND_SLIPS = set(VARIANTS)


def applies(text: str, slip: str, variant: str) -> bool:
    """Whether the network has what the slip touches (l2-form: another form than its own)."""
    book = Kinds(text)
    kinds = [book.kind(l) for l in range(1, len(book.layers) + 1)]
    return {"bn-variance": "batchnorm" in kinds,
            "bn-mean-path-missing": "batchnorm" in kinds or "layernorm" in kinds,
            "dropout-no-scale": "dropout" in kinds, "dropout-mask-backward": "dropout" in kinds,
            "l2-gradient-missing": book.l2 is not None,
            "l2-form": book.l2 is not None and variant != book.l2[1],
            "residual-path-missing": any("residual" in layer for layer in book.layers)}[slip]


CASES = [(n, s, v) for n in NETWORKS for s, vs in VARIANTS.items() for v in vs
         if applies(NETWORKS[n], s, v)]
# The slips of the forward pass: a person who makes one makes it again in the forward pass
# after the update, and grade redoes that pass with the slip too (update.loss, with l2
# update.loss_parts.data, diagnosed as the slip); below also made before the update only.
FORWARD = {("bn-variance", ""), ("dropout-no-scale", ""), ("dropout-no-scale", "forward"),
           ("residual-path-missing", "forward")}


def grade(run, tmp_path, network: str, text: str) -> dict:
    """The JSON document of `backprop grade` for one sheet's text (network: a name of
    NETWORKS, or a problem's text)."""
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS.get(network, network))
    answers = tmp_path / "answers.yaml"
    answers.write_text(text)
    result = run("grade", problem, answers, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def changed(sheet: dict, exact: dict) -> set:
    return {k for k in exact if not np.allclose(sheet[k], exact[k], rtol=1e-9, atol=1e-12)}


def leaves(doc, prefix=""):
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from leaves(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], doc


@pytest.mark.parametrize("network", NETWORKS)
def test_without_a_slip_the_worker_gives_solves_numbers(solve_json, tmp_path, network):
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS[network])
    doc = solve_json(problem)
    del doc["update"]["optimizer"]
    want = {k: v for k, v in leaves(doc) if k not in ("title", "parameters", "trainable")}
    sheet = Kinds(NETWORKS[network]).sheet()
    assert set(sheet) == set(want)  # every quantity, nothing else
    for path, value in sheet.items():
        assert np.allclose(value, want[path], rtol=1e-9, atol=1e-12), path


def test_the_networks_cover_every_kind_slip():
    assert {slip for _, slip, _ in CASES} == KIND_SLIPS
    assert all(any(n == network for n, _, _ in CASES) for network in NETWORKS)


@pytest.mark.parametrize(("network", "slip", "variant"), [
    pytest.param(n, s, v, id=f"{n}-{s}-{v}".rstrip("-")) for n, s, v in CASES])
def test_a_kind_slip_is_diagnosed_where_it_changes_a_quantity(run, tmp_path, network, slip,
                                                              variant):
    check_diagnosis(run, tmp_path, network, slip, variant, again=True)


@pytest.mark.parametrize(("network", "slip", "variant"),
                         [c for c in CASES if c[1:] in FORWARD],
                         ids=[f"{n}-{s}-{v}".rstrip("-") for n, s, v in CASES
                              if (s, v) in FORWARD])
def test_a_forward_slip_made_before_the_update_only_is_diagnosed(run, tmp_path, network,
                                                                 slip, variant):
    """The sheets above, with the forward pass after the update worked without the slip:
    update.loss is then carried, and every other quantity diagnosed as above."""
    check_diagnosis(run, tmp_path, network, slip, variant, again=False)


def check_diagnosis(run, tmp_path, network, slip, variant, again):
    book = Kinds(NETWORKS[network])
    exact, sheet = book.sheet(), book.sheet(slip, variant, again=again)
    moved = changed(sheet, exact)
    assert moved, "the slip should change something here"
    doc = grade(run, tmp_path, network, sheet_text(sheet))
    assert_diagnosed(doc, sheet, moved, slip)
    assert (slip in doc["slips"]) == bool(moved)


@pytest.mark.parametrize("decimals", [None, 4])
@pytest.mark.parametrize("network", NETWORKS)
def test_the_exact_sheet_scores_full_marks(run, tmp_path, network, decimals):
    sheet = Kinds(NETWORKS[network]).sheet()
    number = (lambda v: f"{v:.17e}") if decimals is None else (lambda v: f"{v:.{decimals}f}")
    if decimals is not None:
        sheet = {k: np.round(np.asarray(v), decimals).tolist() for k, v in sheet.items()}
    doc = grade(run, tmp_path, network, sheet_text(sheet, number))
    assert {p: a["verdict"] for p, a in doc["answers"].items()} == dict.fromkeys(sheet,
                                                                                   "correct")
    assert doc["score"] == doc["max_score"] == len(sheet)
    assert doc["slips"] == []


@pytest.mark.parametrize(("network", "name"), [
    ("batchnorm", "var2"), ("layernorm_residual", "var2"), ("mixed", "var2"),
    ("dropout_l2", "a2"), ("upstream", "mean1"), ("batchnorm", "xhat2")])
def test_one_wrong_number_early_is_the_only_wrong_answer(run, tmp_path, network, name):
    book = Kinds(NETWORKS[network])
    # its first entry off by 0.1 (x̂: 0.5, for ReLU to pass it), the rest worked from it
    sheet = book.sheet(bump=(name, 0.5 if name.startswith("xhat") else 0.1))
    path = f"forward.{name}"
    doc = grade(run, tmp_path, network, sheet_text(sheet))
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    assert [p for p, v in verdicts.items() if v == "wrong"] == [path]
    assert doc["answers"][path]["slips"] == ["arithmetic"]
    after = changed(sheet, book.sheet()) - {path}  # all that it feeds
    assert {"loss", "update.loss", "gradients.x"} <= after
    assert all(verdicts[p] == "carried" for p in after), verdicts
    assert all(doc["answers"][p]["from"] == [path] for p in after)
    assert all(v == "correct" for p, v in verdicts.items() if p not in after | {path})
    assert doc["slips"] == ["arithmetic"]


def test_a_sum_that_is_zero_whatever_the_variance_stays_correct(run, tmp_path):
    text = MIXED.replace("beta: [0.1, 0.0, -0.2]", "beta: [0.1, 0.0, -0.1]")
    sheet = Kinds(text).sheet(bump=("var2", 0.1))
    assert abs(sheet["sums.a2"]) < 1e-14
    doc = grade(run, tmp_path, text, sheet_text(sheet))
    assert doc["answers"]["forward.var2"]["verdict"] == "wrong"
    assert doc["answers"]["sums.a2"]["verdict"] == "correct", doc["answers"]["sums.a2"]
