"""grade on every bundled example (layouts, batches, class targets, frozen parameters, a
layer without bias, leaky_relu, tanh) and with optimizers that keep state: the exact
numbers score full marks, and a sheet with wrong numbers is marked and explained in every
format without failing."""

from __future__ import annotations

import json

import pytest
from helpers import PROBLEMS

from backprop_cli.problem import load

# every example, the layer kinds' (batch norm, layer norm, dropout, residual, L2) too
EXAMPLES = sorted(PROBLEMS.glob("*.yaml"))
LAYERED = [p for p in EXAMPLES if load(str(p)).model.extended]


def leaves(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}.{i}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, value


def sheet_of(doc: dict, skew: float = 1.0) -> str:
    """Every number of solve's document, in full, by whole quantity (not the settings);
    gradients multiplied by skew."""
    lines = ["student: someone", "answers:"]
    for top in ("forward", "sums", "gradients"):
        for name, value in doc[top].items():
            if top == "gradients":
                value = json.loads(json.dumps(value).replace("null", "0"))
                value = _scaled(value, skew)
            parts = value.items() if isinstance(value, dict) else [(None, value)]
            for gate, part in parts:  # a recurrent layer's gates by name: a path each
                lines.append(f"  {top}.{name}{'' if gate is None else '.' + gate}: "
                             f"{json.dumps(part)}")
    lines.append(f"  loss: {doc['loss']!r}")
    for path, value in leaves(doc.get("loss_parts", {})):
        lines.append(f"  loss_parts.{path}: {value!r}")
    for path, value in leaves(doc["update"]):
        if not path.startswith("optimizer"):
            lines.append(f"  update.{path}: {value!r}")
    return "\n".join(lines) + "\n"


def _scaled(value, factor):
    if isinstance(value, dict):  # a recurrent layer's gates by name
        return {k: _scaled(v, factor) for k, v in value.items()}
    if isinstance(value, list):
        return [_scaled(v, factor) for v in value]
    return value * factor


@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop"])
@pytest.mark.parametrize("problem", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_marks_its_own_numbers_right(run, tmp_path, problem, optimizer):
    doc = json.loads(run("solve", problem, "--optimizer", optimizer, "--format",
                         "json").stdout)
    if any(v is None for _, v in leaves(doc["gradients"])):
        pytest.skip("a saturated output has no finite gradient to answer")
    sheet = tmp_path / "s.yaml"
    sheet.write_text(sheet_of(doc))
    result = run("grade", problem, sheet, "--optimizer", optimizer, "--format", "json")
    assert result.exit_code == 0, result.stderr
    graded = json.loads(result.stdout)
    assert graded["score"] == graded["max_score"]
    assert {a["verdict"] for a in graded["answers"].values()} == {"correct"}
    if optimizer != "sgd":
        assert any(p.startswith("update.state.") for p in graded["answers"])


@pytest.mark.parametrize("problem", EXAMPLES, ids=lambda p: p.stem)
def test_wrong_numbers_are_explained_in_every_format(run, tmp_path, problem):
    doc = json.loads(run("solve", problem, "--format", "json").stdout)
    sheet = tmp_path / "s.yaml"
    sheet.write_text(sheet_of(doc, skew=2.0))
    for fmt in ("table", "json", "csv", "gradescope", "markdown"):
        result = run("grade", problem, sheet, "--format", fmt)
        assert result.exit_code == 0, (fmt, result.stderr)
    graded = json.loads(run("grade", problem, sheet, "--format", "json").stdout)
    wrong = {p for p, a in graded["answers"].items() if a["verdict"] == "wrong"}
    assert wrong and graded["score"] < graded["max_score"]
    markdown = run("grade", problem, sheet, "--format", "markdown").stdout
    assert markdown.count("**The right formula, with your numbers:**") == len(wrong)


@pytest.mark.parametrize("problem", LAYERED, ids=lambda p: p.stem)
def test_every_quantity_of_the_layer_kinds_wrong_gets_its_formula(run, tmp_path, problem):
    # every number off by 0.5: each quantity wrong for the person's own inputs too, so the
    # feedback writes the right formula of every kind's quantity (μ, σ², x̂, mask, ...)
    doc = json.loads(run("solve", problem, "--format", "json").stdout)
    lines = ["student: someone", "answers:"]
    lines += [f"  {p}: {v + 0.5!r}" for top in ("forward", "gradients", "loss_parts")
              for p, v in leaves({top: doc.get(top, {})})]
    sheet = tmp_path / "s.yaml"
    sheet.write_text("\n".join(lines) + "\n")
    graded = json.loads(run("grade", problem, sheet, "--format", "json").stdout)
    wrong = [p for p, a in graded["answers"].items() if a["verdict"] == "wrong"]
    assert len(wrong) > (len(lines) - 2) / 2
    markdown = run("grade", problem, sheet, "--format", "markdown")
    assert markdown.exit_code == 0, markdown.stderr
    assert markdown.stdout.count("**The right formula, with your numbers:**") == len(wrong)
    names = {p.split(".")[1].rstrip("0123456789") for p in wrong if p.count(".") > 1}
    model = load(str(problem)).model
    maps = model.map_of(0) is not None  # a CNN: its maps and kernels
    own = {"a", "h", "W", "x"} if maps else {"hout", "hnext", "c", "Wh"} \
        if model.time is not None else {"mean", "var", "xhat", "mask"}  # or a sequence's
    assert names & own, names


def test_the_layer_kinds_examples_are_among_them():
    assert {p.stem for p in LAYERED} >= {"batchnorm", "dropout_l2", "layernorm_residual"}


HOSTILE = """answers:
  forward.a1: [1e308, -1e308, 0]
  forward.h1: [0, 1, -5]
  forward.h3: [0.0, -1.0, 2.0]
  loss: 1e300
  gradients.h3: [0, 0, 0]
  gradients.a3: [1e308, 1e308, -1e308]
  gradients.W3: [[1e308, 0, 0], [0, 0, 0], [0, 0, 1e-320]]
  update.parameters.W3: [[1e308, 1e308, 1e308], [0, 0, 0], [0, 0, 0]]
  update.loss: -1
"""


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "gradescope", "markdown"])
def test_absurd_numbers_are_wrong_not_a_crash(run, tmp_path, fmt):
    """Overflow, log of 0 and of negatives, subnormals: marked wrong (warnings are errors
    in the tests, so none may escape)."""
    sheet = tmp_path / "s.yaml"
    sheet.write_text(HOSTILE)
    result = run("grade", PROBLEMS / "classic.yaml", sheet, "--format", fmt)
    assert result.exit_code == 0, result.stderr
    if fmt == "json":
        verdicts = {p: a["verdict"] for p, a in json.loads(result.stdout)["answers"].items()}
        assert verdicts["loss"] == verdicts["update.loss"] == "wrong"
