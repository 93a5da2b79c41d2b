"""`solve` on recurrent layers against the numbers courses and posts publish (tests/published/seq/:
README.md says where each number comes from; expected.json holds them verbatim, with the digits
the source prints and the path of each in the JSON document):

- Stanford CS231n, assignment 3 (RNN_Captioning.ipynb, LSTM_Captioning.ipynb): rnn_step_forward,
  rnn_forward, word_embedding_forward, lstm_step_forward, lstm_forward (8 decimals; layout in_out,
  CS231n's gate order i, f, o, g).
- deeplearning.ai course 5, week 1, "Building a Recurrent Neural Network - Step by Step" (2018,
  2020 and 2021 editions, and the 2021 public_tests.py): rnn/lstm cell and sequence forward,
  rnn_cell_backward (two editions), rnn_backward, lstm_backward (2021); columns are samples in
  the course, named LSTM gates on concat[a_prev, x] split into wh and wx.
- Aidan Gomez's "Backpropogating an LSTM: A Numerical Example" (2016): the forward pass.
- Arraymancer's torch references for nn.GRUCell and nn.GRU (form torch).

Each file goes through `backprop solve FILE --format json` (click's CliRunner on backprop_cli.cli,
the `solve_json` fixture); a number printed to d decimals (or s significant digits) is compared
within half a unit of its last digit (one unit where the source truncates, or the check's
abs_tol where the source carried rounded intermediates), plus a relative slack of 1e-13. Every
scalar check is also read back with `--get PATH`. The last test runs reproduce.py (numpy only,
no backprop_cli) so the transcription is checked without the package.
"""

from __future__ import annotations

import importlib.util
import json

import numpy as np
import pytest
from helpers import ROOT

SEQ = ROOT / "tests" / "published" / "seq"
EXPECTED = json.loads((SEQ / "expected.json").read_text())


def _reproduce():
    """tests/published/seq/reproduce.py under a name of its own (other folders have one too)."""
    spec = importlib.util.spec_from_file_location("seq_published_reproduce", SEQ / "reproduce.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _index(index):
    """expected.json's index: an int, null (every position) or [start, stop]."""
    return tuple(slice(None) if i is None else slice(*i) if isinstance(i, list) else i
                 for i in index)


def _at(doc: dict, check: dict) -> np.ndarray:
    value = doc
    for part in check["key"].split("."):
        value = value[part]
    value = np.asarray(value, dtype=float)
    if "index" in check:
        value = value[_index(check["index"])]
    return value


def _tolerance(check: dict, slack: float) -> np.ndarray:
    want = np.asarray(check["published"], dtype=float)
    if "abs_tol" in check:
        return np.full(want.shape, check["abs_tol"]) + slack * np.abs(want)
    unit = 1.0 if check.get("truncated") else 0.5
    if "decimals" in check:
        half = np.full(want.shape, unit * 10.0 ** -check["decimals"])
    else:
        exponent = np.floor(np.log10(np.where(want == 0, 1.0, np.abs(want))))
        half = unit * 10.0 ** (exponent - (check["significant"] - 1))
    return half + slack * np.abs(want)


def _compare(name, check, got, slack):
    where = f"{name}: {check['printed']} ({check['where']}) as {check['key']}"
    want = np.asarray(check["published"], dtype=float)
    got = np.asarray(got, dtype=float)
    assert got.shape == want.shape, f"{where}: shape {got.shape}, published {want.shape}"
    err = np.abs(got - want)
    tol = _tolerance(check, slack)
    assert np.all(err <= tol), (
        f"{where}: max |diff| {err.max():.3g} (allowed {tol.max():.3g}); got {got}")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_solve_matches_the_published_numbers(name, solve_json):
    case = EXPECTED[name]
    doc = solve_json(SEQ / name)
    compared = 0
    for check in case["checks"]:
        if check["key"] in ("x", "y"):  # the recipe's own inputs: reproduce.py checks them
            continue
        _compare(name, check, _at(doc, check), case["slack_rel"])
        compared += 1
    assert compared > 0


@pytest.mark.parametrize("name", sorted(n for n, c in EXPECTED.items()
                                        if any("get" in k and k["key"] not in ("x", "y")
                                               for k in c["checks"])))
def test_get_reads_each_published_scalar(name, run):
    case = EXPECTED[name]
    for check in case["checks"]:
        if "get" not in check or check["key"] in ("x", "y"):
            continue
        result = run("solve", SEQ / name, "--get", check["get"])
        assert result.exit_code == 0, result.stderr
        _compare(name, check, json.loads(result.stdout), case["slack_rel"])


def test_every_file_has_its_published_numbers():
    files = {p.name for p in SEQ.glob("*.yaml")}
    assert files == set(EXPECTED)


def test_reproduce_recomputes_every_published_number_with_numpy():
    """reproduce.py's own checks: every file is what its recipe writes, byte for byte;
    expected.json is the transcription; its numpy pass through time reproduces every
    published number (and the side checks no problem file can hold)."""
    rows = list(_reproduce().rows())
    bad = [r for r in rows if not r[-1]]
    assert not bad, bad
    assert len(rows) >= 95
