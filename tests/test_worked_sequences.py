"""Worked solutions (solve --format markdown|latex) of sequence exercises: an embedding
and an rnn, lstm or gru (torch's and Cho's forms) unrolled over T steps. Every step's
quantity shown (a^{(t)} or each gate's pre-activation, the gates, c^{(t)}, h^{(t)}; ∂L/∂h^{(t)}
and its two parts, ∂L/∂c^{(t)}, the gates' gradients and δ, ∂L/∂x^{(t)}, ∂L/∂h^{(0)}; the
weight gradients summed over time, gate by gate; the parameters after the update) is the
JSON solution's value correctly rounded, read from the document by this test's own
reading of the file's gate order and layout; every worked entry (one pre-activation per
step, one weight-gradient entry) adds up; the formulas are there (the part from step t + 1,
the LSTM's cell path, the GRU's form, Σ_t); the LaTeX compiles without an overfull line.
And the checks bite: a worked solution of a document whose ∂L/∂h^{(t)} lost its part from
step t + 1 fails them.

Problems: the issue's rnn example (two samples, h0 given), an LSTM by gate name with c0
(one sample), a Cho GRU (update new) stacked zrn in a batch, an embedding before an LSTM
that outputs every step (in_out), a ReLU rnn of one sample that outputs every step, every
golden sequence fixture (tests/golden/seq/), the bundled sequence examples and the
published ones (tests/published/seq/: CS231n, deeplearning.ai, Gomez's LSTM, Arraymancer's
GRU).
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import yaml
from helpers import GOLDEN, PROBLEMS, ROOT, assert_markdown_well_formed, compile_latex
from test_worked import NEEDS_PDFLATEX, assert_every_number
from test_worked_kinds import assert_shows, elided, values
from test_worked_maps import assert_sums_add_up

from backprop_cli.output import worked
from backprop_cli.output.worked.maps import MOST_TERMS
from backprop_cli.problem import load

RNN = {  # the example: two samples of three steps, h0 given, output last
    "x": [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]], "y": [1, 0],
    "loss": "cross_entropy",
    "layers": [{"kind": "rnn", "wx": [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1]],
                "wh": [[0.1, 0.0, 0.2], [0.3, -0.2, 0.1], [0.0, 0.1, -0.1]],
                "bias": [0.1, 0.0, -0.1], "h0": [0.1, 0.2, 0.3]},
               {"weights": [[1, 0, -1], [0.5, 0.5, 0.5]], "activation": "softmax"}],
    "optimizer": {"name": "sgd", "lr": 0.5}}
LSTM = {  # one sample, gates by name, c0 given, the hidden state straight to an mse
    "x": [[0.5, -1.0], [1.0, 0.25]], "y": [0.2, -0.1],
    "loss": "mse",
    "layers": [{"kind": "lstm",
                "wx": {"i": [[0.3, -0.2], [0.1, 0.4]], "f": [[0.5, 0.1], [-0.3, 0.2]],
                       "g": [[-0.4, 0.6], [0.2, -0.1]], "o": [[0.1, 0.3], [0.4, -0.5]]},
                "wh": {"i": [[0.2, 0.1], [-0.1, 0.3]], "f": [[0.0, 0.2], [0.1, -0.2]],
                       "g": [[0.3, -0.3], [0.2, 0.1]], "o": [[-0.2, 0.1], [0.3, 0.2]]},
                "bias": {"i": [0.1, 0.0], "f": [1.0, 0.5], "g": [0.0, -0.1], "o": [0.2, 0.1]},
                "h0": [0.1, -0.2], "c0": [0.3, 0.1]}],
    "optimizer": {"name": "sgd", "lr": 0.1}}
GRU_CHO = {  # Cho's form, z taking the new state, gates stacked z, r, n, a bias_h
    "x": [[[1.0, 0.0], [0.5, -0.5], [-1.0, 1.0]], [[0.0, 1.0], [1.0, 1.0], [0.2, -0.3]]],
    "y": [[0.1, 0.3], [-0.2, 0.4]], "loss": "mse",
    "layers": [{"kind": "gru", "form": "cho", "update": "new", "gates": "zrn",
                "wx": [[0.2, -0.1], [0.4, 0.3], [-0.3, 0.2], [0.1, 0.5], [0.6, -0.2],
                       [-0.1, 0.3]],
                "wh": [[0.1, 0.2], [-0.2, 0.1], [0.3, -0.1], [0.2, 0.2], [-0.4, 0.1],
                       [0.1, 0.3]],
                "bias": [0.1, -0.1, 0.0, 0.2, 0.05, -0.05],
                "bias_h": [0.0, 0.1, -0.1, 0.0, 0.2, 0.1]},
               {"weights": [[1.0, -0.5], [0.3, 0.8]], "bias": [0.0, 0.1],
                "activation": "identity"}],
    "optimizer": {"name": "adam", "lr": 0.01}}
EMBEDDING = {  # token indices, an embedding, an LSTM seen at every step, layout in_out
    "layout": "in_out",
    "x": [[0, 2, 1], [1, 1, 3]], "y": [[1, 0, 1], [0, 1, 1]], "loss": "cross_entropy",
    "layers": [{"kind": "embedding", "table": [[0.1, -0.2], [0.4, 0.3], [-0.5, 0.2],
                                               [0.3, 0.3]]},
               {"kind": "lstm", "output": "all",
                "wx": [[0.1, 0.2, -0.1, 0.3, 0.2, -0.2, 0.1, 0.4],
                       [0.3, -0.1, 0.2, 0.1, -0.3, 0.2, 0.4, -0.1]],
                "wh": [[0.2, 0.1, -0.2, 0.1, 0.3, 0.0, -0.1, 0.2],
                       [0.0, -0.1, 0.3, 0.2, 0.1, -0.2, 0.2, 0.1]],
                "bias": [0.0, 0.1, 1.0, 0.5, 0.0, -0.1, 0.2, 0.0]},
               {"weights": [[0.5, -0.4], [-0.3, 0.6]], "bias": [0.1, -0.1],
                "activation": "softmax"}],
    "optimizer": {"name": "sgd", "lr": 0.5}}
RELU_ALL = {  # one sample, relu, every step to the output layer, mean squared error
    "x": [[1.0, -1.0], [0.5, 2.0], [-1.5, 0.5]], "y": [[0.5], [-0.2], [0.3]], "loss": "mse",
    "layers": [{"kind": "rnn", "activation": "relu", "output": "all",
                "wx": [[0.4, -0.3], [0.2, 0.5]], "wh": [[0.3, -0.2], [0.1, 0.4]],
                "bias": [0.1, 0.05]},
               {"weights": [[0.6, -0.7]], "bias": [0.05], "activation": "identity"}],
    "optimizer": {"name": "sgd", "lr": 0.1}}
INLINE = {"rnn": RNN, "lstm": LSTM, "gru_cho": GRU_CHO, "embedding": EMBEDDING,
          "relu_all": RELU_ALL}
FIXTURES = sorted((GOLDEN / "seq").glob("*.json"))
# the bundled sequence examples and the published ones (CS231n, deeplearning.ai, Gomez's
# LSTM, Arraymancer's GRU: tests/published/seq/README.md)
BUNDLED = [p for p in sorted(PROBLEMS.glob("*.yaml")) if load(str(p)).model.time is not None]
PUBLISHED = sorted((ROOT / "tests" / "published" / "seq").glob("*.yaml"))
FORMATS = ["markdown", "latex"]
TORCH = {"rnn": "a", "lstm": "ifgo", "gru": "rzn"}


@pytest.fixture(params=[*INLINE, *FIXTURES, *BUNDLED, *PUBLISHED],
                ids=lambda p: getattr(p, "stem", p))
def source(request, tmp_path):
    """The problem as a YAML file."""
    name = request.param
    if name not in INLINE and name.suffix == ".yaml":
        return name
    doc = INLINE[name] if name in INLINE else json.loads(name.read_text())["problem"]
    path = tmp_path / f"{getattr(name, 'stem', name)}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def worked_text(run, source, fmt) -> tuple[str, dict]:
    got = run("solve", source, "--format", fmt)
    assert got.exit_code == 0, got.stderr
    return got.stdout, json.loads(run("solve", source, "--format", "json").stdout)


# ------------------------------------------------------------------ the JSON, read here


def d(sym: str) -> str:
    return rf"\frac{{\partial L}}{{\partial {sym}}}"


def per_step(problem, value, T: int) -> np.ndarray:
    """A document's steps as (N, T, k)."""
    arr = np.array(value, dtype=float)
    arr = arr if problem.batched else arr[None]
    return arr.reshape(arr.shape[0], T, -1)


def blocks(problem, spec, value) -> dict:
    """A recurrent parameter as the document writes it (by name, or stacked in the file's
    order; in the file's layout) -> {gate: block as the file writes it}."""
    s = spec.settings
    if isinstance(value, dict):
        return {g: np.array(v, dtype=float) for g, v in value.items()}
    arr = np.array(value, dtype=float)
    H = s.hidden
    turn = arr.ndim == 2 and problem.layout == "in_out"
    arr = arr.T if turn else arr
    out = {g: arr[k * H:(k + 1) * H] for k, g in enumerate(s.gates)}
    return {g: (b.T if turn else b) for g, b in out.items()}


def expected(problem, doc: dict) -> dict:
    """TeX left-hand side -> the array its chains end with (the last one of each)."""
    model = problem.model
    k = model.recurrent
    spec = model.layers[k - 1]
    s, T = spec.settings, model.time
    cap = problem.batched

    def sym(name, t, sub=""):
        base = {"delta": r"\delta"}.get(name, name)
        if cap:
            base = {"a": "A", "h": "H", "x": "X", "c": "C", "delta": r"\Delta"}.get(name, base)
        return base + (f"_{{{sub}}}" if sub else "") + f"^{{({t})}}"

    fwd, grads = doc["forward"], doc["gradients"]
    out = {}
    order = TORCH[s.cell] if s.named else s.gates
    a = per_step(problem, fwd[f"a{k}"], T)
    da = per_step(problem, grads[f"a{k}"], T)
    H = s.hidden
    for t in range(1, T + 1):
        out[sym("h", t)] = per_step(problem, fwd[f"h{k}"], T)[:, t - 1]
        out[d(sym("h", t))] = per_step(problem, grads[f"h{k}"], T)[:, t - 1]
        for j, g in enumerate(order):
            sub = "" if s.cell == "rnn" else g
            out[sym("a", t, sub)] = a[:, t - 1, j * H:(j + 1) * H]
            out[sym("delta", t, sub)] = da[:, t - 1, j * H:(j + 1) * H]
            if s.cell != "rnn":
                out[f"{g}^{{({t})}}"] = per_step(problem, fwd[f"{g}{k}"], T)[:, t - 1]
                out[d(f"{g}^{{({t})}}")] = per_step(problem, grads[f"{g}{k}"], T)[:, t - 1]
        if s.cell == "lstm":
            out[sym("c", t)] = per_step(problem, fwd[f"c{k}"], T)[:, t - 1]
            out[d(sym("c", t))] = per_step(problem, grads[f"c{k}"], T)[:, t - 1]
        into = "x" if k == 1 else f"h{k - 1}"
        if into in grads:
            out[d(sym("x", t))] = per_step(problem, grads[into], T)[:, t - 1]
        if k > 1:  # the embedding's rows
            out[sym("x", t)] = per_step(problem, fwd[f"h{k - 1}"], T)[:, t - 1]
    out[d(sym("h", 0))] = np.array(grads["h0"], dtype=float)
    if s.cell == "lstm":
        out[d(sym("c", 0))] = np.array(grads["c0"], dtype=float)
    new = doc["update"]["parameters"]
    for what, side in (("Wx", "x"), ("Wh", "h"), ("b", ""), ("bh", "h")):
        name = f"{what}{k}"
        if name not in grads:
            continue
        letter = "W" if what[0] == "W" else "b"
        for g, grad in blocks(problem, spec, grads[name]).items():
            sub = side + ("" if s.cell == "rnn" else (" " if side else "") + g)
            p = letter + (f"_{{{sub}}}" if sub else "")
            out[d(p)] = grad
            out[p] = blocks(problem, spec, new[name])[g]  # after the update
    if k > 1:
        out[d("E_{1}")] = np.array(grads["E1"], dtype=float)
        out["E_{1}"] = np.array(new["E1"], dtype=float)
    return out


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_step_is_the_json_value(run, source, fmt):
    text, doc = worked_text(run, source, fmt)
    problem = load(str(source))
    for lhs, value in expected(problem, doc).items():
        terms = values(lhs, text)
        assert terms, f"{lhs} is not worked"
        assert_shows_term(terms[-1], value, lhs)
    if not elided(doc):
        assert_every_number(text, doc, 4)


def assert_shows_term(term: str, value, where: str):
    from test_worked_kinds import grid
    assert_shows(grid(term), np.asarray(value, dtype=float).reshape(-1, np.shape(value)[-1])
                 if np.ndim(value) else value, where)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_worked_entry_adds_up(run, source, fmt):
    text, _ = worked_text(run, source, fmt)
    problem = load(str(source))
    # a pre-activation entry per gate and step, and ∂L/∂W_x[0, 0]'s sum over time (unless
    # its N·T products are elided)
    model = problem.model
    gates = {"rnn": 1, "lstm": 4, "gru": 2}[model.layers[model.recurrent - 1].settings.cell]
    whole = problem.x.shape[0] * model.time <= MOST_TERMS
    assert assert_sums_add_up(text) >= gates * model.time + whole

def formulas(problem) -> list[str]:
    model = problem.model
    s = model.layers[model.recurrent - 1].settings
    T = model.time
    h, c = ("H", "C") if problem.batched else ("h", "c")
    out = ["Back through time", r"\Big|_{\text{above}}", r"\quad \text{(no step } T + 1)",
           rf"\sum_{{t=1}}^{{{T}}}", "What step 1 sends back to the initial state"]
    if T > 1:
        nxt = {"rnn": r"+ \Delta^{(2)} W_h" if problem.batched else r"W_h^\top \delta^{(2)}",
               "lstm": r"W_h", "gru": r"\odot \frac{\partial L}{\partial " + f"{h}^{{(2)}}"}
        out.append(nxt[s.cell])
    if s.cell == "lstm":
        out += [rf"\odot o^{{(1)}} \odot (1 - \tanh^2 {c}^{{(1)}})",
                rf"f^{{(1)}} \odot {c}^{{(0)}} + i^{{(1)}} \odot g^{{(1)}}",
                rf"o^{{(1)}} \odot \tanh({c}^{{(1)}})"]
        if T > 1:  # the cell path from step 2
            out.append(rf"+ \frac{{\partial L}}{{\partial {c}^{{(2)}}}} \odot f^{{(2)}}")
    if s.cell == "gru":
        out.append(rf"(1 - z^{{(1)}}) \odot n^{{(1)}} + z^{{(1)}} \odot {h}^{{(0)}}"
                   if s.update == "old" else
                   rf"(1 - z^{{(1)}}) \odot {h}^{{(0)}} + z^{{(1)}} \odot n^{{(1)}}")
        if s.form == "torch":
            out.append(r"r^{(1)} \odot q^{(1)}")
    if model.layers[0].kind == "embedding":
        out += ["The embedding only copies rows", r"E_{1}["]
    return out


def test_each_formula_appears(run, source):
    text, _ = worked_text(run, source, "markdown")
    assert_markdown_well_formed(text)
    problem = load(str(source))
    missing = [piece for piece in formulas(problem) if piece not in text]
    assert not missing, "missing formulas:\n" + "\n".join(missing)


@NEEDS_PDFLATEX
def test_latex_compiles(run, source, tmp_path):
    got = run("solve", source, "--format", "latex")
    assert got.exit_code == 0, got.stderr
    log = compile_latex(tmp_path, got.stdout)
    assert "Overfull \\hbox" not in log, "a display is wider than the page"
    # text pdflatex's fonts lack (a superscript in free text) would print as "?"
    body = [line for line in got.stdout.splitlines() if "LARGE" not in line
            and "Problem file" not in line]
    assert not [line for line in body if "?" in line]


def test_a_missing_part_from_the_next_step_is_caught(tmp_path):
    # ∂L/∂h^{(t)} without what step t + 1 sends back (bptt-truncated) shows other numbers
    path = tmp_path / "rnn.yaml"
    path.write_text(yaml.safe_dump(RNN))
    problem = load(str(path))
    from backprop_cli import engine
    from backprop_cli.output import report

    doc = report.solve_document(problem, engine.solve(problem.inputs))
    bad = copy.deepcopy(doc)
    bad["gradients"]["h1"] = bad["gradients"]["hout1"]
    text = worked.markdown(problem, bad, 4)
    with pytest.raises(AssertionError):
        for lhs, value in expected(problem, doc).items():
            assert_shows_term(values(lhs, text)[-1], value, lhs)

