"""`backprop grade`'s tables fit the terminal by solve's rules: no line wider than the
terminal, no matrix row split across lines, every path, slip name, student name and file
name whole. One student (matrices of 8 columns, long slip names) and a class, at 60, 80,
100 and 200 columns."""

from __future__ import annotations

import json
import re

import pytest
from rich.cells import cell_len

WIDTHS = [80, 100, 60, 200]
NAMES = ["Ada Lovelace-Byron, Countess of Lovelace and Enchantress of Numbers",
         "Bartholomew-Montgomery-Fitzwilliam-Smythe", "Cy"]


def _rounded(value, decimals=4):
    if isinstance(value, list):
        return [_rounded(v, decimals) for v in value]
    return round(value, decimals)


def _answers(doc: dict, params: dict, variant: int) -> dict:
    """A sheet with slips: ∂L/∂W2 written transposed, the activation's derivative left out
    at a2, biases not updated, the update added; worked to 4 decimals."""
    g, new = doc["gradients"], doc["update"]["parameters"]
    answers = {
        "forward.h1": _rounded(doc["forward"]["h1"]),
        "forward.a2": _rounded(doc["forward"]["a2"]),
        "loss": _rounded(doc["loss"]),
        "gradients.h2": _rounded(g["h2"]),
        "gradients.a2": _rounded(g["h2"]),  # derivative-missing
        "gradients.W2": _rounded([list(col) for col in zip(*g["W2"])]),  # transposed
        "update.parameters.W2": _rounded([[2 * p - n for p, n in zip(pr, nr)] for pr, nr in
                                          zip(params["W2"], new["W2"])]),  # added
        "update.parameters.b3": _rounded(params["b3"]),  # not updated
        "update.loss": _rounded(doc["update"]["loss"]),
    }
    if variant == 1:
        answers.pop("gradients.W2")
    if variant == 2:
        answers["loss"] = 0.5
    return answers


@pytest.fixture
def files(tmp_path, monkeypatch, run, solve_json):
    monkeypatch.chdir(tmp_path)
    made = run("new", "--layers", "4,8,8,3", "--seed", "3", "--decimals", "2",
               "-o", "wide.yaml")
    assert made.exit_code == 0, made.stderr
    doc, params = solve_json("wide.yaml"), _parameters(run)
    sheets = []
    for i, name in enumerate(NAMES):
        sheet = f"sheet-of-student-number-{i}-handed-in-late.json"
        (tmp_path / sheet).write_text(json.dumps({"student": name,
                                                  "answers": _answers(doc, params, i)}))
        sheets.append(sheet)
    return sheets


def _parameters(run) -> dict:
    """The problem's parameters (an update with lr 0 leaves them as they are)."""
    got = run("solve", "wide.yaml", "--format", "json", "--optimizer", "sgd", "--lr", "0")
    assert got.exit_code == 0, got.stderr
    return json.loads(got.stdout)["update"]["parameters"]


def _graded(run, *args) -> list:
    result = run("grade", "wide.yaml", *args, "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    doc = json.loads(result.stdout)
    return doc if isinstance(doc, list) else [doc]


def _table(run, monkeypatch, width: int, *args) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(width))
    result = run("grade", "wide.yaml", *args)
    assert result.exit_code in (0, 1), result.stderr
    return result.stdout.splitlines()


def _whole(word: str, text: str) -> bool:
    """word appears with no path or name character glued to either end."""
    return re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w.-])", text) is not None


def _fits(lines: list[str], width: int) -> None:
    for line in lines:
        assert cell_len(line) <= width, f"wider than {width}: {line!r}"
        assert line.count("[") == line.count("]"), f"a matrix row split: {line!r}"


@pytest.mark.parametrize("width", WIDTHS)
def test_one_student(run, files, monkeypatch, width):
    lines = _table(run, monkeypatch, width, files[0])
    _fits(lines, width)
    text = "\n".join(lines)
    graded = _graded(run, files[0])[0]
    slips = {s for a in graded["answers"].values() for s in a["slips"]}
    assert len([s for s in slips if "-" in s]) >= 2, slips  # long names, to be kept whole
    for word in [*graded["answers"], *slips, files[0]]:
        assert _whole(word, text), f"{word} not whole at {width} columns:\n{text}"
    rows = [line for line in lines if "[" in line]
    assert len(rows) >= 2 * 8, "every row of the two 8 x 8 matrices"


@pytest.mark.parametrize("width", WIDTHS)
def test_a_class(run, files, monkeypatch, width):
    lines = _table(run, monkeypatch, width, *files)
    _fits(lines, width)
    text = "\n".join(lines)
    slips = {s for g in _graded(run, *files) for s in g["slips"]}
    assert len([s for s in slips if "-" in s]) >= 2, slips
    for word in [*slips, *files, *(n for n in NAMES if " " not in n)]:
        assert _whole(word, text), f"{word} not whole at {width} columns:\n{text}"
    spaced = " ".join(text.split())
    for name in NAMES:
        assert name in spaced or name in text
