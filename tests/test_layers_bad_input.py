"""Bad input in the layer kinds (batch norm, layer norm, dropout), a dense layer's
`residual`, the `l2` section and `loss: upstream`: one exact `Error:` line naming the file,
the place and what was expected; exit status 2; no traceback; nothing on stdout.

Each row edits BASE (or UPSTREAM) as a person might get it wrong; the catalogue and its
helpers are tests/test_bad_input.py's.
"""

from __future__ import annotations

import json

import pytest
from test_bad_input import _one_error_line, _write, edit

# 2 samples of 3 features through every kind: dense (relu), batch norm, dropout, layer norm
# (tanh), and a dense softmax layer with h4 added to its pre-activation; an L2 penalty.
BASE = """\
title: Layer kinds
x: [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]
y: [0, 2]
loss: cross_entropy
layers:
  - weights: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9]]
    bias: [0.1, 0.2, 0.3]
    activation: relu
  - kind: batchnorm
    gamma: [1.0, 0.5, 2.0]
    beta: [0.0, 0.1, -0.1]
    running_mean: [0.0, 0.0, 0.0]
    running_var: [1.0, 1.0, 1.0]
  - kind: dropout
    mask: [[1, 0, 1], [1, 1, 0]]
    p: 0.25
  - kind: layernorm
    gamma: [1.0, 1.0, 1.0]
    beta: [0.0, 0.0, 0.0]
    activation: tanh
  - weights: [[0.1, -0.2, 0.3], [0.0, 0.5, -0.6], [0.7, 0.1, 0.2]]
    bias: [0.0, 0.1, 0.2]
    residual: 4
    activation: softmax
l2: {lambda: 0.1, form: lambda/2}
"""

# The "given dout" form: one batch-norm layer, y is ∂L/∂ŷ.
UPSTREAM = """\
x: [[1.0, 2.0], [3.0, 5.0]]
y: [[0.5, -1.0], [2.0, 0.0]]
loss: upstream
layers:
  - kind: batchnorm
"""

# One sample: batch norm must be in eval mode, the mask is one row.
SINGLE = edit(BASE, "x: [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]", "x: [1.0, 2.0, 3.0]",
              "y: [0, 2]", "y: 0", "mask: [[1, 0, 1], [1, 1, 0]]", "mask: [1, 0, 1]",
              "running_var: [1.0, 1.0, 1.0]", "running_var: [1.0, 1.0, 1.0]\n    mode: eval")

BN_KEYS = ("kind, activation, slope, alpha, gamma, beta, eps, momentum, running_mean, "
           "running_var, mode, variance, frozen")
DROPOUT_KEYS = "kind, activation, slope, alpha, mask, p, keep, scale, mode"
KINDS = ("dense | batchnorm | layernorm | dropout | conv2d | maxpool2d | avgpool2d | "
         "flatten | embedding | rnn | lstm | gru")
FORMS = "lambda/2 | lambda/2m | lambda | lambda/m"
MASK = "mask: [[1, 0, 1], [1, 1, 0]]"
BOTH = ("expected both (learnable, torch's affine=True) or neither (gamma 1 and beta 0, "
        "frozen)")
ONE_SAMPLE = ("expected mode: eval or a batch of 2 or more: batch norm's statistics in train "
              "mode come from the batch (torch's rule)")
# Layer 5 with 2 units, so h4's 3 features do not fit it.
NARROW = ("[[0.1, -0.2, 0.3], [0.0, 0.5, -0.6], [0.7, 0.1, 0.2]]",
          "[[0.1, -0.2, 0.3], [0.0, 0.5, -0.6]]", "bias: [0.0, 0.1, 0.2]", "bias: [0.0, 0.1]",
          "y: [0, 2]", "y: [0, 1]")

ROWS: list = []


def add(category, content, message, command="solve"):
    ROWS.append(pytest.param(command, content, message, id=f"{category}-{len(ROWS)}"))


# ------------------------------------------------------------------ dropout's mask
add("mask", edit(BASE, MASK, "mask: [[1, 0], [1, 1]]"),
    "layers[2].mask: shape (2, 2), expected (2, 3): the layer's input has 2 samples; layer 2 "
    "has 3 units")
add("mask", edit(BASE, MASK, "mask: [[1, 0, 1]]"),
    "layers[2].mask: shape (1, 3), expected (2, 3): the layer's input has 2 samples; layer 2 "
    "has 3 units", command="step")
add("mask", edit(SINGLE, "mask: [1, 0, 1]", "mask: [1, 0]"),
    "layers[2].mask: shape (2,), expected (3,): the layer's input has 1 sample; layer 2 has "
    "3 units")
add("mask", edit(SINGLE, "mask: [1, 0, 1]", "mask: [[1, 0, 1]]"),
    "layers[2].mask: found a list of rows, expected one mask of 3 numbers: x is one sample "
    "(a batch writes x as a list of rows too)")
add("mask", edit(BASE, MASK, "mask: [[1, 0, 1], [1, 0.5, 0]]"),
    "layers[2].mask[1][1]: found 0.5, expected 0 (dropped) or 1 (kept)")
add("mask", edit(BASE, MASK, "mask: [[1, 0, 2], [1, 1, 0]]"),
    "layers[2].mask[0][2]: found 2, expected 0 (dropped) or 1 (kept)", command="check")
add("mask", edit(SINGLE, "mask: [1, 0, 1]", "mask: [1, 0, -1]"),
    "layers[2].mask[2]: found -1, expected 0 (dropped) or 1 (kept)")
add("mask", edit(BASE, MASK, "mask: [[true, 0, 1], [1, 1, 0]]"),
    "layers[2].mask[0][0]: found the boolean true, expected a number")
add("mask", edit(BASE, f"    {MASK}\n", ""),
    "layers[2].mask: missing, expected the mask of 0s and 1s, one row per sample (the shape "
    "of the layer's input), or mode: eval")

# --------------------------------------------------------------- dropout's p and keep
add("p-keep", edit(BASE, "p: 0.25", "p: 0.25\n    keep: 0.75"),
    "layers[2].keep: found both p and keep, expected one: p drops a unit (torch), keep = 1 - p "
    "keeps it")
add("p-keep", edit(BASE, "p: 0.25", "p: 1"),
    "layers[2].p: found 1, expected a probability of dropping a unit, from 0 up to (not "
    "including) 1")
add("p-keep", edit(BASE, "p: 0.25", "p: -0.1"),
    "layers[2].p: found -0.1, expected a probability of dropping a unit, from 0 up to (not "
    "including) 1", command="step")
add("p-keep", edit(BASE, "p: 0.25", "keep: 0"),
    "layers[2].keep: found 0, expected a probability of keeping a unit, above 0 and at most 1")
add("p-keep", edit(BASE, "p: 0.25", "keep: 1.5"),
    "layers[2].keep: found 1.5, expected a probability of keeping a unit, above 0 and at most 1")
add("p-keep", edit(BASE, "p: 0.25", "p: 25%"),
    "layers[2].p: found the string '25%', expected a probability of dropping a unit, from 0 up "
    "to (not including) 1")

# ------------------------------------------------------- eps and the running statistics
add("eps", edit(BASE, "running_mean: [0.0", "eps: 0\n    running_mean: [0.0"),
    "layers[1].eps: found 0, expected a number above 0 (inside the square root)")
add("eps", edit(BASE, "    activation: tanh", "    eps: -1.0e-5\n    activation: tanh"),
    "layers[3].eps: found -1e-05, expected a number above 0 (inside the square root)")
add("running", edit(BASE, "running_var: [1.0, 1.0, 1.0]", "running_var: [1.0, 0.0, 1.0]"),
    "layers[1].running_var[1]: found 0.0, expected a variance above 0")
add("running", edit(BASE, "running_var: [1.0, 1.0, 1.0]", "running_var: [1, 1, -2]"),
    "layers[1].running_var[2]: found -2, expected a variance above 0", command="step")

# ------------------------------------------- gamma, beta, running_mean: lengths and pairs
add("per-feature", edit(BASE, "gamma: [1.0, 0.5, 2.0]", "gamma: [1.0, 0.5]"),
    "layers[1].gamma (gamma2): shape (2,), expected (3,): layer 1 has 3 units")
add("per-feature", edit(BASE, "beta: [0.0, 0.1, -0.1]", "beta: [0.0, 0.1, -0.1, 0.2]"),
    "layers[1].beta (beta2): shape (4,), expected (3,): layer 1 has 3 units")
add("per-feature", edit(BASE, "running_mean: [0.0, 0.0, 0.0]", "running_mean: [0.0, 0.0]"),
    "layers[1].running_mean: shape (2,), expected (3,): layer 1 has 3 units")
add("per-feature", edit(BASE, "gamma: [1.0, 1.0, 1.0]", "gamma: [1.0, 1.0]"),
    "layers[3].gamma (gamma4): shape (2,), expected (3,): layer 3 has 3 units", command="check")
add("per-feature", edit(BASE, "    beta: [0.0, 0.1, -0.1]\n", ""),
    f"layers[1].gamma: found gamma without beta, {BOTH}")
add("per-feature", edit(BASE, "    gamma: [1.0, 1.0, 1.0]\n", ""),
    f"layers[3].beta: found beta without gamma, {BOTH}")

# ------------------------------------------------------------------------ residual
add("residual", edit(BASE, "residual: 4", "residual: 7"),
    "layers[4].residual: found 7, expected a layer before this one: 1..4, or 0 for x")
add("residual", edit(BASE, "residual: 4", "residual: 5"),
    "layers[4].residual: found 5, expected a layer before this one: 1..4, or 0 for x")
add("residual", edit(BASE, "residual: 4", "residual: -1"),
    "layers[4].residual: found -1, expected a layer before this one: 1..4, or 0 for x")
add("residual", edit(BASE, "residual: 4", "residual: x"),
    "layers[4].residual: found the string 'x', expected a layer before this one: 1..4, or 0 "
    "for x")
add("residual", edit(BASE, "    activation: relu", "    activation: relu\n    residual: 1"),
    "layers[0].residual: found 1, expected 0 (x): layer 1 has only x before it")
add("residual", edit(BASE, *NARROW),
    "layers[4].residual: h4 has 3 features, expected 2: a5 has 2 units and gets it added",
    command="step")
add("residual", edit(BASE, *NARROW, "residual: 4", "residual: 0"),
    "layers[4].residual: x has 3 features, expected 2: a5 has 2 units and gets it added")

# ---------------------------------------------------------------------- the kind
add("kind", edit(BASE, "kind: batchnorm", "kind: batchnorm1d"),
    f"layers[1].kind: found the string 'batchnorm1d', expected a layer kind: {KINDS} (did you "
    "mean batchnorm?)")
add("kind", edit(BASE, "kind: layernorm", "kind: layer_norm"),
    f"layers[3].kind: found the string 'layer_norm', expected a layer kind: {KINDS} (did you "
    "mean layernorm?)", command="check")
add("kind", edit(BASE, "kind: dropout", "kind: Dropout"),
    f"layers[2].kind: found the string 'Dropout', expected a layer kind: {KINDS} (did you "
    "mean dropout?)")
add("kind", edit(BASE, "kind: batchnorm", "kind: 3"),
    f"layers[1].kind: found 3, expected a layer kind: {KINDS}")

# ---------------------------------------------------------------- loss: upstream
add("upstream", edit(UPSTREAM, "y: [[0.5, -1.0], [2.0, 0.0]]",
                     "y: [[0.5, -1.0, 1.0], [2.0, 0.0, 1.0]]"),
    "y: shape (2, 3), expected (2, 2): layer 1 has 2 units")
add("upstream", edit(UPSTREAM, "y: [[0.5, -1.0], [2.0, 0.0]]", "y: [[0.5, -1.0]]"),
    "y: 1 row, expected 2: x has 2 samples", command="step")
add("upstream", UPSTREAM + "reduction: mean\n",
    "reduction: found mean, expected sum: with loss upstream, y is ∂L/∂ŷ itself and "
    "L = Σ y ⊙ ŷ")

# ------------------------------------------------- batch norm in train mode, one sample
add("one-sample", edit(SINGLE, "    mode: eval\n", ""),
    f"layers[1].mode: found train (the default) with x of 1 sample, {ONE_SAMPLE}")
add("one-sample", edit(SINGLE, "mode: eval", "mode: train"),
    f"layers[1].mode: found train with x of 1 sample, {ONE_SAMPLE}", command="step")
add("one-sample", edit(BASE, "x: [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]]", "x: [[1.0, 2.0, 3.0]]",
                       "y: [0, 2]", "y: [0]", MASK, "mask: [[1, 0, 1]]"),
    f"layers[1].mode: found train (the default) with x of 1 sample, {ONE_SAMPLE}")

# --------------------------------------------------- unknown keys on a kind's layer
add("unknown-key", edit(BASE, "kind: batchnorm", "kind: batchnorm\n    epsilon: 1.0e-5"),
    f"layers[1].epsilon: unknown key 'epsilon', expected one of {BN_KEYS} (did you mean eps?)")
add("unknown-key", edit(BASE, "kind: batchnorm", "kind: batchnorm\n    weights: [[1.0]]"),
    f"layers[1].weights: unknown key 'weights', expected one of {BN_KEYS}")
add("unknown-key", edit(BASE, "kind: dropout", "kind: dropout\n    rate: 0.5"),
    f"layers[2].rate: unknown key 'rate', expected one of {DROPOUT_KEYS}", command="step")
add("unknown-key", edit(BASE, "kind: dropout", "kind: dropout\n    residual: 1"),
    f"layers[2].residual: unknown key 'residual', expected one of {DROPOUT_KEYS}")

# ------------------------------------------------------------------------- frozen
add("frozen", edit(BASE, "    gamma: [1.0, 0.5, 2.0]\n    beta: [0.0, 0.1, -0.1]\n",
                   "    frozen: [gamma]\n"),
    "layers[1].frozen[0]: found gamma, expected no frozen: without gamma and beta the layer has "
    "nothing to learn")
add("frozen", edit(BASE, "    gamma: [1.0, 1.0, 1.0]\n    beta: [0.0, 0.0, 0.0]\n",
                   "    frozen: beta\n"),
    "layers[3].frozen[0]: found beta, expected no frozen: without gamma and beta the layer has "
    "nothing to learn", command="step")
add("frozen", edit(BASE, "kind: batchnorm", "kind: batchnorm\n    frozen: [weights]"),
    "layers[1].frozen[0]: found the string 'weights', expected a parameter: gamma | beta")

# ----------------------------------------------------------------------------- l2
L2 = "l2: {lambda: 0.1, form: lambda/2}"
add("l2", edit(BASE, L2, "l2: {form: lambda/2}"), "l2.lambda: missing, expected the penalty's λ")
add("l2", edit(BASE, L2, "l2: {lambda: 0.1, form: lambda/2n}"),
    f"l2.form: found the string 'lambda/2n', expected a form: {FORMS} (did you mean lambda/2?)",
    command="step")
add("l2", edit(BASE, L2, "l2: {lambda: 0.1, form: 0.5}"),
    f"l2.form: found 0.5, expected a form: {FORMS}")
add("l2", edit(BASE, L2, "l2: {lambda: -0.1}"),
    "l2.lambda: found -0.1, expected a number, 0 or more", command="check")
add("l2", edit(BASE, L2, "l2: 0.1"), "l2: found 0.1, expected a mapping with lambda and form")
add("l2", edit(BASE, L2, "l2: {lambda: 0.1, lamda: 2}"),
    "l2.lamda: unknown key 'lamda', expected one of lambda, form (did you mean lambda?)")

# -------------------------------------------------- the other conventions' choices
add("choice", edit(BASE, "running_mean: [0.0", "momentum: 1.5\n    running_mean: [0.0"),
    "layers[1].momentum: found 1.5, expected a number from 0 to 1 (the new batch's weight, "
    "torch's)")
add("choice", edit(BASE, "running_mean: [0.0", "mode: test\n    running_mean: [0.0"),
    "layers[1].mode: found the string 'test', expected a mode: train | eval")
add("choice", edit(BASE, "running_mean: [0.0", "variance: bessel\n    running_mean: [0.0"),
    "layers[1].variance: found the string 'bessel', expected a variance: biased | unbiased")
add("choice", edit(BASE, "p: 0.25", "p: 0.25\n    scale: inverse"),
    "layers[2].scale: found the string 'inverse', expected a scale: inverted | none (did you "
    "mean inverted?)")


@pytest.mark.parametrize("command, content, message", ROWS)
def test_bad_layer_kind_input(run, tmp_path, command, content, message):
    path = tmp_path / "p.yaml"
    _write(path, content)
    _one_error_line(run(command, path), path, message)


@pytest.mark.parametrize("command, content, message", ROWS[:3] + ROWS[-8:])
def test_from_stdin_the_file_is_stdin(run, command, content, message):
    _one_error_line(run(command, "-", input=content), "<stdin>", message)


def test_the_catalogue_covers_every_mistake_the_issue_lists():
    categories = {p.id.rsplit("-", 1)[0] for p in ROWS}
    assert categories == {"mask", "p-keep", "eps", "running", "per-feature", "residual", "kind",
                          "upstream", "one-sample", "unknown-key", "frozen", "l2", "choice"}
    assert len({p.values[1] for p in ROWS}) == len(ROWS)  # every row a different file
    assert {p.values[0] for p in ROWS} == {"solve", "step", "check"}


@pytest.mark.parametrize("text", [
    BASE, UPSTREAM, SINGLE,
    edit(BASE, "p: 0.25", "keep: 1"),  # keep 1: nothing dropped
    edit(BASE, "p: 0.25", "p: 0"),
    edit(BASE, "residual: 4", "residual: 0"),  # x has the width of a5
    edit(BASE, L2, "l2: {lambda: 0}"),
    edit(BASE, "gamma: [1.0, 0.5, 2.0]", "gamma: [1.0, 0.5, 2.0]\n    frozen: [gamma]"),
])
def test_the_valid_neighbours_solve(run, tmp_path, text):
    """The rows' starting points and the edges of each range are accepted: the errors come
    from the edits, not from the files they edit."""
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("solve", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert "gradients" in json.loads(result.stdout)
