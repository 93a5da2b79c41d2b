"""Bad and hostile input through the command line: one exact `Error:` line, exit 2, no
traceback, nothing written; huge files, alias bombs and python tags cost nothing and run
nothing; a step that overflows says where and writes nothing.

The table below is the catalogue of mistakes: each row is a file as a person (or a
stranger) might write it, the command it goes through, and the exact message after
`Error: <file>: `. Rows are grouped by the category of the mistake.
"""

import json
import os
import time
import tracemalloc
from pathlib import Path

import pytest
from helpers import PROBLEMS

CLASSIC = PROBLEMS / "classic.yaml"

# A two-layer problem every row edits: 2 inputs, 3 sigmoid units, 2 softmax outputs.
BASE = """\
title: Base problem
x: [1.0, 2.0]
y: [0.0, 1.0]
loss: cross_entropy
layers:
  - weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    bias: [0.1, 0.2, 0.3]
    activation: sigmoid
  - weights: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    bias: [0.0, 0.1]
    activation: softmax
optimizer: {name: sgd, lr: 0.5}
"""

# The same network on a batch of two samples, with a summed squared error.
BATCH = """\
x: [[1.0, 2.0], [3.0, 4.0]]
y: [[0.0, 1.0], [1.0, 0.0]]
loss: sse_half
layers:
  - weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]
    bias: [0.1, 0.2, 0.3]
    activation: tanh
  - weights: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]
    bias: [0.0, 0.1]
    activation: sigmoid
"""

BASE_JSON = json.dumps({
    "x": [1.0, 2.0], "y": [0.0, 1.0], "loss": "cross_entropy",
    "layers": [{"weights": [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "bias": [0.1, 0.2, 0.3],
                "activation": "sigmoid"},
               {"weights": [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], "activation": "softmax"}],
})

ADAM = BASE.replace("{name: sgd, lr: 0.5}", "{name: adam, lr: 0.1, state: STATE}")
ADAM_STATE_W2 = "W2: {step: 1, exp_avg: [[0, 0, 0], [0, 0, 0]], exp_avg_sq: EXP_AVG_SQ}"
MOMENTUM = BASE.replace("{name: sgd, lr: 0.5}", "{name: sgd, momentum: 0.9, state: STATE}")

TOP_KEYS = "title, x, y, loss, reduction, layout, channels, layers, l2, optimizer, grading"
LAYER_KEYS = "kind, weights, bias, activation, slope, alpha, frozen, residual"
SGD_KEYS = "lr, momentum, dampening, weight_decay, nesterov, maximize"
ADAM_KEYS = "lr, betas, eps, weight_decay, amsgrad, maximize"
ACTIVATIONS = "identity | sigmoid | tanh | relu | leaky_relu | elu | softplus | softmax"
LOSSES = "cross_entropy | mse | sse_half | bce | upstream"
TOP = "expected a mapping of x, y, loss, layers, ..."
TAGS = "expected plain YAML (tags that build objects are not allowed)"
BIG = "9" * 5000  # beyond Python's integer-string limit


def edit(text: str, *pairs: str) -> str:
    """text with each (old, new) pair replaced once; old must be there."""
    for old, new in zip(pairs[::2], pairs[1::2]):
        assert old in text, old
        text = text.replace(old, new, 1)
    return text


ROWS: list = []
STDIN_ROWS: list = []  # also read from standard input, where the file is <stdin>


def add(category, content, message, command="solve", name="p.yaml", args=(), stdin=False):
    param = pytest.param(command, name, content, message, tuple(args),
                         id=f"{category}-{len(ROWS)}")
    ROWS.append(param)
    if stdin:
        STDIN_ROWS.append(param)


# --------------------------------------------------------------- missing keys
add("missing", edit(BASE, "y: [0.0, 1.0]\n", ""), "y: missing, expected it at the top level",
    stdin=True)
add("missing", BASE[:BASE.index("layers:")], "layers: missing, expected it at the top level",
    command="step")
add("missing", "title: only a title\n", "x: missing, expected it at the top level")
add("missing", edit(BASE, "  - weights: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]\n    bias",
                    "  - bias"),
    "layers[1].weights: missing, expected it in layer 2")
add("missing", edit(BASE, "    activation: sigmoid\n", ""),
    "layers[0].activation: missing, expected it in layer 1", command="check")

# ----------------------------------------------------------------- wrong shapes
add("shape", edit(BASE, "[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]]", "[[0.1, 0.2], [0.4, 0.5]]"),
    "layers[1].weights (W2): shape (2, 2), expected (2, 3): layer 1 has 3 units")
add("shape", edit(BASE, "bias: [0.1, 0.2, 0.3]", "bias: [0.1, 0.2]"),
    "layers[0].bias (b1): shape (2,), expected (3,): layer 1 has 3 units", stdin=True)
add("shape", edit(BASE, "bias: [0.0, 0.1]", "bias: [[0.0, 0.1]]"),
    "layers[1].bias[0] (b2): found a list of 2, expected a number")
add("shape", edit(BASE, "y: [0.0, 1.0]", "y: [0.0, 1.0, 0.0]"),
    "y: shape (3,), expected (2,): layer 2 has 2 units")
add("shape", edit(BATCH, "y: [[0.0, 1.0], [1.0, 0.0]]", "y: [[0.0, 1.0]]"),
    "y: 1 row, expected 2: x has 2 samples")
add("shape", edit(BATCH, "y: [[0.0, 1.0], [1.0, 0.0]]", "y: [[0.0, 1.0], [1.0, 0.0, 0.5]]"),
    "y[1]: row 1 has 3 numbers, expected 2 like row 0")
add("shape", edit(BATCH, "x: [[1.0, 2.0], [3.0, 4.0]]", "x: [[1.0, 2.0], [3.0]]"),
    "x[1]: row 1 has 1 number, expected 2 like row 0", command="step")
add("shape", edit(BATCH, "x: [[1.0, 2.0], [3.0, 4.0]]", "x: [[1.0, 2.0], 3.0]"),
    "x: found a list of 2, expected a list of rows (lists of numbers)")
add("shape", edit(BASE, "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", "[[0.1, 0.2], [], [0.5, 0.6]]"),
    "layers[0].weights[1] (W1): row 1 has 0 numbers, expected 2 like row 0")
add("shape", edit(BASE, "x: [1.0, 2.0]", "x: []"),
    "x: found a list of 0, expected a non-empty list of numbers")
add("shape", edit(BASE, "x: [1.0, 2.0]", "x: [[]]"), "x[0]: found an empty row, expected numbers")
add("shape", edit(BASE, "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", "[]"),
    "layers[0].weights (W1): found a list of 0, expected a list of rows (lists of numbers)")
add("shape", edit(BASE, "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]", "[0.1, 0.2]"),
    "layers[0].weights (W1): found a list of 2, expected a list of rows (lists of numbers)")
add("shape", BASE[:BASE.index("  - weights")] + "  []\n",
    "layers: found a list of 0, expected a list of layers, input to output")
add("shape", edit(BASE, "layers:\n", "layers:\n  - 5\n"),
    "layers[0]: found 5, expected a mapping with weights, bias, activation")
add("shape", edit(BASE, "x: [1.0, 2.0]", "x: [1.0, 2.0, 3.0]"),
    "layers[0].weights (W1): shape (3, 2), expected (3, 3): x has 3 features")

# ------------------------------------------------------- names with suggestions
add("name", edit(BASE, "activation: sigmoid", "activation: sigmoyd"),
    f"layers[0].activation (h1): found the string 'sigmoyd', expected an activation: "
    f"{ACTIVATIONS} (did you mean sigmoid?)", stdin=True)
add("name", edit(BASE, "activation: softmax", "activation: Softmax"),
    f"layers[1].activation (h2): found the string 'Softmax', expected an activation: "
    f"{ACTIVATIONS} (did you mean softmax?)", command="step")
add("name", edit(BASE, "loss: cross_entropy", "loss: cross-entropy"),
    f"loss: found the string 'cross-entropy', expected a loss: {LOSSES} "
    "(did you mean cross_entropy?)")
add("name", edit(BASE, "name: sgd", "name: Adam"),
    "optimizer.name: found the string 'Adam', expected an optimizer: sgd | adagrad | rmsprop "
    "| adam | adamw (did you mean adam?)")
add("name", BASE + "reduction: means\n",
    "reduction: found the string 'means', expected a reduction: mean | sum (did you mean mean?)")
add("name", BASE + "layout: in-out\n",
    "layout: found the string 'in-out', expected a layout: out_in | in_out "
    "(did you mean in_out?)")
add("name", edit(BASE, "activation: sigmoid", "activation: [sigmoid]"),
    f"layers[0].activation (h1): found a list of 1, expected an activation: {ACTIVATIONS} "
    "(did you mean sigmoid?)")

# ---------------------------------------------------------------- unknown keys
add("unknown-key", BASE + "learning_rate: 0.1\n",
    f"learning_rate: unknown key 'learning_rate', expected one of {TOP_KEYS}")
add("unknown-key", BASE + "Layers: []\n",
    f"Layers: unknown key 'Layers', expected one of {TOP_KEYS} (did you mean layers?)")
add("unknown-key", edit(BASE, "bias: [0.1, 0.2, 0.3]", "biases: [0.1, 0.2, 0.3]"),
    f"layers[0].biases: unknown key 'biases', expected one of {LAYER_KEYS} (did you mean bias?)",
    command="check")
add("unknown-key", edit(BASE, "{name: sgd, lr: 0.5}", "{name: sgd, lr: 0.5, betas: [0.9, 0.99]}"),
    f"optimizer.betas: unknown key 'betas' for sgd, expected one of {SGD_KEYS}")
add("unknown-key", edit(BASE, "{name: sgd, lr: 0.5}", "{name: adam, learning_rate: 0.1}"),
    f"optimizer.learning_rate: unknown key 'learning_rate' for adam, expected one of "
    f"{ADAM_KEYS}")
add("unknown-key", BASE + "null: 1\n", f"null: unknown key null, expected one of {TOP_KEYS}")
add("unknown-key", BASE + '"\\e[2J": 1\n',
    f"'\\x1b[2J': unknown key '\\x1b[2J', expected one of {TOP_KEYS}")

# ------------------------------------------------------------ transposed weights
add("transposed", edit(BASE, "[[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]]",
                       "[[0.1, 0.3, 0.5], [0.2, 0.4, 0.6]]"),
    "layers[0].weights (W1): shape (2, 3), expected (3, 2): x has 2 features; the weights "
    "look transposed: use layout: in_out")
add("transposed", BASE + "layout: in_out\n",
    "layers[0].weights (W1): shape (3, 2), expected (2, 3): x has 2 features; the weights "
    "look transposed: use layout: out_in")

# --------------------------------------------------- class index versus one-hot
add("targets", edit(BATCH, "y: [[0.0, 1.0], [1.0, 0.0]]", "y: [1, 0]"),
    "y: found class indices, expected target vectors of 2 numbers: class indices need loss "
    "cross_entropy")
add("targets", edit(BASE, "y: [0.0, 1.0]", "y: [1]"),
    "y: shape (1,), expected (2,): layer 2 has 2 units; for class indices write y: 1")
add("targets", edit(BASE, "x: [1.0, 2.0]", "x: [[1.0, 2.0], [3.0, 4.0]]",
                    "y: [0.0, 1.0]", "y: [[1], [0]]"),
    "y: shape (2, 1), expected (2, 2): layer 2 has 2 units; for class indices write y: [1, 0]")
add("targets", edit(BASE, "y: [0.0, 1.0]", "y: 2"),
    "y: found 2, expected a class index, an integer 0..1: layer 2 has 2 units")
add("targets", edit(BASE, "y: [0.0, 1.0]", "y: [[0.0, 1.0]]"),
    "y: found a list of rows, expected one target vector of 2 numbers: x is one sample (a batch "
    "writes x as a list of rows too)")
add("targets", edit(BATCH, "y: [[0.0, 1.0], [1.0, 0.0]]", "y: [0.5, 0.25]"),
    "y: found a list of 2 numbers, expected 2 target rows of 2 numbers: x is a batch of 2 (a "
    "list of rows), so y is too")
add("targets", edit(CLASSIC.read_text(), "x: [1.0, 0.0, 1.0]", "x: [[1.0, 0.0, 1.0], [0, 1, 0]]"),
    "y: 3 class indices, expected 2: x has 2 samples; this looks like one one-hot vector: a "
    "batch needs one per sample, as a list of rows")
add("targets", edit(BASE, "y: [0.0, 1.0]", "y: null"),
    "y: found null, expected a class index 0..1 or a target vector of 2 numbers: layer 2 has "
    "2 units")

# ------------------------------------------------------- not numbers where numbers belong
add("not-a-number", edit(BASE, "x: [1.0, 2.0]", "x: [1.0, two]"),
    "x[1]: found the string 'two', expected a number")
add("not-a-number", edit(BASE, "x: [1.0, 2.0]", "x: [1.0, '2.0']"),
    "x[1]: found the string '2.0', expected a number")
add("not-a-number", edit(BASE, "x: [1.0, 2.0]", "x: [yes, 2.0]"),
    "x[0]: found the boolean true, expected a number")
add("not-a-number", edit(BASE, "bias: [0.1, 0.2, 0.3]", "bias: [0.1, null, 0.3]"),
    "layers[0].bias[1] (b1): found null, expected a number", command="step")
add("not-a-number", edit(BASE, "[[0.1, 0.2], [0.3, 0.4]", "[[0.1, [0.2]], [0.3, 0.4]"),
    "layers[0].weights[0][1] (W1): found a list of 1, expected a number")
add("not-a-number", edit(BASE, "[0.4, 0.5, 0.6]", "[0.4, {a: 1}, 0.6]"),
    "layers[1].weights[1][1] (W2): found a mapping, expected a number")
add("not-a-number", edit(BASE, "lr: 0.5", "lr: fast"),
    "optimizer.lr: found the string 'fast', expected a finite number")
add("not-a-number", edit(BASE, "bias: [0.1, 0.2, 0.3]", "bias: null"),
    "layers[0].bias (b1): found null, expected a non-empty list of numbers")

# ------------------------------------------- octal, sexagesimal, hex and other spellings
add("spelling", edit(BASE, "x: [1.0, 2.0]", "x: [010, 2.0]"),
    "x[0]: found the string '010', expected a number")
add("spelling", edit(BASE, "bias: [0.1, 0.2, 0.3]", "bias: [0.1, 1:30, 0.3]"),
    "layers[0].bias[1] (b1): found the string '1:30', expected a number")
add("spelling", edit(BASE, "x: [1.0, 2.0]", "x: [0x1F, 2.0]"),
    "x[0]: found the string '0x1F', expected a number")
add("spelling", edit(BASE, "x: [1.0, 2.0]", "x: [1_000, 2.0]"),
    "x[0]: found the string '1_000', expected a number")
add("spelling", edit(BASE, "x: [1.0, 2.0]", "x: [!!int 010, 2.0]"),
    "line 2, column 5: found !!int '010', expected a whole number written in decimal digits")
add("spelling", edit(BASE, "x: [1.0, 2.0]", "x: [!!float 1:30, 2.0]"),
    "line 2, column 5: found !!float '1:30', expected a number written like 1.5, -2 or 1e-3")
add("spelling", edit(BASE, "x: [1.0, 2.0]", "x: [!!bool 1, 2.0]"),
    "line 2, column 5: found !!bool '1', expected true or false")
add("spelling", edit(BASE, "x: [1.0, 2.0]", f"x: [{BIG}, 2.0]"),
    "line 2, column 5: found a whole number of 5000 digits, expected a number float64 can hold")
add("spelling", edit(BASE, "x: [1.0, 2.0]", f"x: [1{'0' * 400}, 2.0]"),
    "x[0]: found an integer of 401 digits, expected a number float64 can hold")

# --------------------------------------------------------------------- NaN and inf
add("non-finite", edit(BASE, "[0.3, 0.4]", "[.nan, 0.4]"),
    "layers[0].weights[1][0] (W1): found nan, expected a finite number")
add("non-finite", edit(BASE, "y: [0.0, 1.0]", "y: [0.0, -.inf]"),
    "y[1]: found -inf, expected a finite number")
add("non-finite", edit(BASE, "x: [1.0, 2.0]", "x: [1.0, 1e400]"),
    "x[1]: found inf, expected a finite number", command="check")
add("non-finite", edit(BASE, "lr: 0.5", "lr: .inf"),
    "optimizer.lr: found inf, expected a finite number")
add("non-finite", BASE_JSON.replace("2.0", "NaN"), "found NaN, expected finite numbers",
    name="p.json", stdin=True)
add("non-finite", BASE_JSON.replace("2.0", "-Infinity"),
    "found -Infinity, expected finite numbers", name="p.json")
add("non-finite", BASE_JSON.replace("2.0", "1e999"), "x[1]: found inf, expected a finite number",
    name="p.json")
add("non-finite", BASE_JSON.replace("2.0", BIG),
    "found a whole number of 5000 digits, expected a number float64 can hold", name="p.json")

# --------------------------------------------------------------------- optimizer
add("optimizer", edit(ADAM, "state: STATE", "betas: [0.9, 1.0]"),
    "optimizer.betas: found [0.9, 1.0], expected each in [0, 1)")
add("optimizer", edit(ADAM, "state: STATE", "betas: 0.9"),
    "optimizer.betas: found 0.9, expected two numbers like [0.9, 0.999]")
add("optimizer", edit(ADAM, "state: STATE", "betas: [0.9, 0.999, 0.5]"),
    "optimizer.betas: found a list of 3, expected two numbers like [0.9, 0.999]")
add("optimizer", edit(BASE, "lr: 0.5", "lr: -0.1"),
    "optimizer.lr: found -0.1, expected a number >= 0")
add("optimizer", edit(BASE, "lr: 0.5", "lr: 0.5, nesterov: true"),
    "optimizer.nesterov: nesterov needs momentum > 0 and dampening 0 (as in torch.optim.SGD)")
add("optimizer", edit(BASE, "lr: 0.5", "lr: 0.5, momentum: 0.9, dampening: 0.1, nesterov: true"),
    "optimizer.nesterov: nesterov needs momentum > 0 and dampening 0 (as in torch.optim.SGD)")
add("optimizer", edit(BASE, "lr: 0.5", "lr: 0.5, foreach: false"),
    "optimizer.foreach: found foreach, an implementation flag: backprop has one exact "
    "implementation; remove it")
add("optimizer", edit(ADAM, "state: STATE", "fused: true"),
    "optimizer.fused: found fused, an implementation flag: backprop has one exact "
    "implementation; remove it", command="step")
add("optimizer", edit(BASE, "lr: 0.5", "lr: 0.5, momentum: true"),
    "optimizer.momentum: found the boolean true, expected a finite number")
add("optimizer", edit(ADAM, "state: STATE", "amsgrad: 1"),
    "optimizer.amsgrad: found 1, expected true or false")
add("optimizer", edit(BASE, "optimizer: {name: sgd, lr: 0.5}", "optimizer: sgd"),
    "optimizer: found the string 'sgd', expected a mapping like {name: sgd, lr: 1.0}")
add("optimizer", BASE, "--lr: found -1.0, expected a number >= 0", args=["--lr", "-1"])

# --------------------------------------------------------------------- state
add("state", edit(MOMENTUM, "STATE", "{W9: {momentum_buffer: [1]}}"),
    "optimizer.state.W9: found state for W9, expected state only for trainable parameters "
    "(W1, b1, W2, b2): there is no such parameter")
add("state", edit(MOMENTUM, "STATE", "{b2: {momentum_buffer: [1, 2]}}",
                  "activation: softmax", "activation: softmax\n    frozen: bias"),
    "optimizer.state.b2: found state for b2, expected state only for trainable parameters "
    "(W1, b1, W2): it is frozen")
add("state", edit(ADAM, "STATE", "{b2: {step: 1, exp_avg: [0, 0]}}"),
    "optimizer.state.b2: found step, exp_avg, expected step, exp_avg, exp_avg_sq for adam with "
    "these settings")
add("state", edit(ADAM, "STATE", "{b2: {step: -1, exp_avg: [0, 0], exp_avg_sq: [0, 0]}}"),
    "optimizer.state.b2.step: found -1, expected a whole number from 0 to 2**53")
add("state", edit(ADAM, "STATE", f"{{b2: {{step: 1{'0' * 400}, exp_avg: [0, 0], "
                                 "exp_avg_sq: [0, 0]}}"),
    "optimizer.state.b2.step: found an integer of 401 digits, expected a whole number from 0 "
    "to 2**53")
add("state", edit(ADAM, "STATE", "{" + ADAM_STATE_W2 + "}", "EXP_AVG_SQ",
                  "[[0, 0, 0], [0, -0.5, 0]]"),
    "optimizer.state.W2.exp_avg_sq[1][1]: found -0.5, expected a number >= 0: exp_avg_sq is a "
    "sum or an average of squares")
add("state", edit(ADAM, "STATE", "{" + ADAM_STATE_W2 + "}", "EXP_AVG_SQ", "[[0, 0], [0, 0]]"),
    "optimizer.state.W2.exp_avg_sq: shape (2, 2), expected (2, 3) like W2")
add("state", edit(MOMENTUM, "STATE", "[1, 2]"),
    "optimizer.state: found a list of 2, expected a mapping by parameter name")
add("state", edit(BASE, "lr: 0.5", "lr: 0.5, state: {W1: {momentum_buffer: [[0, 0]]}}"),
    "optimizer.state.W1: found momentum_buffer, expected no state (none is kept) for sgd with "
    "these settings")

# --------------------------------------------------------------------- frozen
add("frozen", edit(BASE, "    bias: [0.0, 0.1]\n    activation: softmax",
                   "    activation: softmax\n    frozen: [bias]"),
    "layers[1].frozen[0]: found bias, expected weights only: layer 2 has no bias")
add("frozen", edit(BASE, "activation: softmax", "activation: softmax\n    frozen: [weight]"),
    "layers[1].frozen[0]: found the string 'weight', expected a parameter: weights | bias "
    "(did you mean weights?)")
add("frozen", edit(BASE, "activation: softmax", "activation: softmax\n    frozen: true"),
    "layers[1].frozen: found the boolean true, expected a list of weights and/or bias")

# ------------------------------------------------- slope and alpha on the wrong activation
add("slope-alpha", edit(BASE, "activation: sigmoid", "activation: sigmoid\n    alpha: 0.5"),
    "layers[0].alpha: found alpha on a sigmoid layer, expected it only with elu")
add("slope-alpha", edit(BASE, "activation: sigmoid", "activation: elu\n    slope: 0.1"),
    "layers[0].slope: found slope on a elu layer, expected it only with leaky_relu")
add("slope-alpha", edit(BASE, "activation: sigmoid", "activation: leaky_relu\n    slope: '0.1'"),
    "layers[0].slope: found the string '0.1', expected a number")

# ------------------------------------------------------------------ bce targets
BCE = edit(BASE, "loss: cross_entropy", "loss: bce", "activation: softmax", "activation: sigmoid")
add("bce", edit(BCE, "y: [0.0, 1.0]", "y: [0.0, 1.5]"),
    "y: found a target outside [0, 1], expected probabilities for bce")
add("bce", edit(BCE, "y: [0.0, 1.0]", "y: [-0.1, 1.0]"),
    "y: found a target outside [0, 1], expected probabilities for bce", command="step")

# ------------------------------------------------------------- loss and output
add("loss-output", edit(BASE, "activation: softmax", "activation: sigmoid"),
    "layers[1].activation (h2): found sigmoid, expected softmax: cross_entropy needs a softmax "
    "output")
add("loss-output", edit(BASE, "loss: cross_entropy", "loss: bce"),
    "layers[1].activation (h2): found softmax, expected sigmoid: bce needs a sigmoid output")

# --------------------------------------------------------------------- title
add("title", edit(BASE, "title: Base problem", "title: 42"), "title: found 42, expected a string")
add("title", edit(BASE, "title: Base problem", "title: [a, b]"),
    "title: found a list of 2, expected a string")
add("title", edit(BASE, "title: Base problem", 'title: "\\e[2Jgotcha"'),
    "title: found the control character '\\x1b', expected printable text (new lines and tabs "
    "are fine)")
add("title", '{"title": "\\ud83d", ' + BASE_JSON[1:],
    "title: found a \\u escape of half a character (a lone surrogate), expected text",
    name="p.json", stdin=True)

# ------------------------------------------------------------ not a problem at all
add("file", "[1, 2, 3]\n", f"found a list of 3 at the top, {TOP}")
add("file", "42\n", f"found 42 at the top, {TOP}")
add("file", "just some text\n", f"found the string 'just some text' at the top, {TOP}")
add("file", "# only a comment\n", f"found null at the top, {TOP}")
add("file", "", "the file is empty, expected a problem mapping")
add("file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "byte 0 is not UTF-8 text, expected a YAML "
    "or JSON problem file", name="p.png", stdin=True)
add("file", b"x: [1, 2]\x00\x00\x00", "found binary data (a NUL byte), expected a YAML or JSON "
    "problem file", command="check")
add("file", "x: [1.0, 2.0\ny: 1\n",
    "line 2, column 2: did not find expected ',' or ']', expected valid YAML")
add("file", BASE_JSON[:-3], "line 1, column 244: Expecting ',' delimiter, expected valid JSON",
    name="p.json")

# ------------------------------------------------------ duplicate keys, aliases, tags
add("hostile", BASE + "x: [3.0, 4.0]\n",
    "x (line 13, column 1): duplicate key 'x', expected each key once")
add("hostile", edit(BASE, "    activation: sigmoid",
                    "    activation: sigmoid\n    bias: [0, 0, 0]"),
    "bias (line 9, column 5): duplicate key 'bias', expected each key once")
add("hostile", '{"y": [1.0, 0.0], ' + BASE_JSON[1:],
    "y: duplicate key 'y', expected each key once", name="p.json")
add("hostile", edit(BASE, "x: [1.0, 2.0]", "x: &x [1.0, 2.0]", "y: [0.0, 1.0]", "y: *x"),
    "line 2, column 4: YAML aliases (*name) are not allowed, expected the values written out",
    stdin=True)
add("hostile", BASE + "<<: {title: merged}\n", f"line 13, column 1: found the tag !!merge, {TAGS}")
add("hostile", edit(BASE, "title: Base problem", "title: !!python/object/apply:os.getcwd []"),
    f"line 1, column 8: found the tag !!python/object/apply:os.getcwd, {TAGS}")
add("hostile", edit(BASE, "title: Base problem", "title: !!python/name:os.system"),
    f"line 1, column 8: found the tag !!python/name:os.system, {TAGS}")
add("hostile", edit(BASE, "x: [1.0, 2.0]", "x: !!set {1, 2}"),
    f"line 2, column 4: found the tag !!set, {TAGS}")
add("hostile", edit(BASE, "title: Base problem", "title: !!binary aGVsbG8="),
    f"line 1, column 8: found the tag !!binary, {TAGS}")
add("hostile", BASE + "? [1, 2]\n: 3\n", "line 13, column 3: found a list or mapping as a key, "
                                         "expected a name")


def _write(path: Path, content) -> None:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _one_error_line(result, source, message):
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and "Traceback" not in result.stdout
    assert result.stderr == f"Error: {source}: {message}\n"
    assert result.stdout == ""


@pytest.mark.parametrize("command, name, content, message, args", ROWS)
def test_malformed_file(run, tmp_path, command, name, content, message, args):
    path = tmp_path / name
    _write(path, content)
    _one_error_line(run(command, path, *args), path, message)


def test_the_catalogue_covers_every_category():
    categories = {p.id.rsplit("-", 1)[0] for p in ROWS}
    assert len(ROWS) >= 45 and len({p.values[2] for p in ROWS}) == len(ROWS)  # all distinct
    assert categories == {
        "missing", "shape", "name", "unknown-key", "transposed", "targets", "not-a-number",
        "spelling", "non-finite", "optimizer", "state", "frozen", "slope-alpha", "bce",
        "loss-output", "title", "file", "hostile"}
    commands = {p.values[0] for p in ROWS}
    assert commands == {"solve", "step", "check"}


@pytest.mark.parametrize("command", ["solve", "step", "check"])
@pytest.mark.parametrize("command_ignored, name, content, message, args", STDIN_ROWS)
def test_malformed_stdin_is_named_stdin(run, command, command_ignored, name, content, message,
                                        args):
    _one_error_line(run(command, "-", *args, input=content), "<stdin>", message)


@pytest.mark.parametrize("command", ["solve", "step", "check"])
def test_directory_and_missing_file(run, tmp_path, command):
    _one_error_line(run(command, tmp_path), tmp_path, "is a directory, expected a problem file")
    missing = tmp_path / "missing.yaml"
    _one_error_line(run(command, missing), missing, "cannot read: No such file or directory")


@pytest.mark.parametrize("args", [
    ["solve", "--format", "xml"], ["solve", "--decimals", "99"], ["solve", "--lr", "fast"],
    ["solve", "--optimizer", "adan"], ["step", "--steps", "0"], ["step", "--every", "-1"],
    ["check", "--step", "0"], ["solve", "--bogus"],
])
def test_bad_flags_are_exit_2_without_traceback(run, args):
    result = run(*args[:1], CLASSIC, *args[1:])
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert result.stdout == ""


# ----------------------------------------------------------- nothing lost with -o


def test_failing_step_never_creates_the_output(run, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(edit(BASE, "activation: sigmoid", "activation: sigmoyd"))
    out = tmp_path / "out.yaml"
    result = run("step", bad, "-o", out)
    assert result.exit_code == 2 and result.stderr.startswith(f"Error: {bad}: layers[0]")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]  # no output, no temp


def test_failing_step_never_truncates_the_output(run, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(BASE_JSON.replace("2.0", "NaN"))
    out = tmp_path / "out.yaml"
    out.write_text("precious: true\n")
    result = run("step", bad, "-o", out, "--steps", "3")
    assert result.exit_code == 2 and result.stdout == ""
    assert out.read_text() == "precious: true\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json", "out.yaml"]


def test_failing_step_never_clobbers_its_input(run, tmp_path):
    text = edit(BASE, "lr: 0.5", "lr: 0.5, momentun: 0.9")
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("step", path, "-o", path)
    _one_error_line(result, path, f"optimizer.momentun: unknown key 'momentun' for sgd, "
                                  f"expected one of {SGD_KEYS} (did you mean momentum?)")
    assert path.read_text() == text
    assert [p.name for p in tmp_path.iterdir()] == ["p.yaml"]


def test_failing_step_from_stdin_writes_nothing(run, tmp_path):
    out = tmp_path / "out.yaml"
    result = run("step", "-", "-o", out, input="x: [1, 2]\n")
    _one_error_line(result, "<stdin>", "y: missing, expected it at the top level")
    assert not out.exists()


def test_overflowing_step_names_the_step_and_the_quantity(run, tmp_path):
    path = tmp_path / "classic.yaml"
    original = CLASSIC.read_text()
    path.write_text(original)
    result = run("step", path, "--lr", "1e308", "--steps", "3", "-o", path)
    _one_error_line(result, path, "the loss is not finite in float64 in step 2, expected "
                                  "finite values (try a smaller learning rate or smaller "
                                  "weights)")
    assert path.read_text() == original  # not clobbered, no temporary file left
    assert [p.name for p in tmp_path.iterdir()] == ["classic.yaml"]
    for fmt in ("json", "yaml", "table"):
        result = run("step", path, "--lr", "1e308", "--steps", "2", "--format", fmt)
        assert result.exit_code == 2 and result.stdout == ""
        assert "nan" not in result.stderr.lower() and "in step 2" in result.stderr


def test_overflowing_solve_names_the_quantity(run):
    result = run("solve", CLASSIC, "--lr", "1e308", "--format", "json")
    _one_error_line(result, CLASSIC, "the loss is not finite in float64 after the update, "
                                     "expected finite values (try a smaller learning rate or "
                                     "smaller weights)")


def test_overflowing_forward_pass_names_the_pre_activation(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(edit(BASE, "[[0.1, 0.2]", "[[1e308, 1e308]"))
    for command in ("solve", "step", "check"):
        _one_error_line(run(command, path), path,
                        "a1 is not finite in float64, expected finite values (try a smaller "
                        "learning rate or smaller weights)" if command != "step" else
                        "a1 is not finite in float64 in step 1, expected finite values (try a "
                        "smaller learning rate or smaller weights)")


# --------------------------------------------------------------- hostile files


def test_file_over_256_mib_is_refused_without_being_read(run, tmp_path):
    path = tmp_path / "huge.yaml"
    with open(path, "wb") as f:
        f.truncate(256 * 2**20 + 1)  # sparse: no disk, and reading it would take 256 MiB
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = run("solve", path)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _one_error_line(result, path, "file is over 256 MiB, expected a smaller file")
    assert elapsed < 1.0 and peak < 10 * 2**20


def _alias_bomb(levels=40):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("via", ["file", "stdin"])
def test_alias_bomb_is_refused_fast_in_bounded_memory(run, tmp_path, via):
    bomb = _alias_bomb()  # 10**40 strings if expanded
    path = tmp_path / "bomb.yaml"
    path.write_text(bomb)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        result = run("solve", path) if via == "file" else run("solve", "-", input=bomb)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    source = path if via == "file" else "<stdin>"
    _one_error_line(result, source, "line 1, column 5: YAML aliases (*name) are not allowed, "
                                    "expected the values written out")
    assert elapsed < 1.0
    assert peak < 50 * 2**20


def test_json_nesting_bomb_is_refused(run, tmp_path):
    path = tmp_path / "deep.json"
    path.write_text('{"x": ' + "[" * 200_000 + "]" * 200_000 + "}")
    _one_error_line(run("solve", path), path, "nesting is too deep, expected a problem file")


@pytest.mark.parametrize("tag", ["!!python/object/apply:os.system",
                                 "!!python/object/new:os.system",
                                 "!<tag:yaml.org,2002:python/object/apply:os.system>"])
@pytest.mark.parametrize("command", ["solve", "step", "check"])
def test_python_tags_run_nothing(run, tmp_path, tag, command):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.yaml"
    path.write_text(f"title: {tag} ['touch {marker}']\n" + BASE.split("\n", 1)[1])
    spelled = tag.replace("!<tag:yaml.org,2002:", "!!").rstrip(">")
    _one_error_line(run(command, path, "-o", tmp_path / "out.yaml") if command == "step"
                    else run(command, path), path, f"line 1, column 8: found the tag "
                                                   f"{spelled}, {TAGS}")
    assert not marker.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil.yaml"]


def test_python_tag_from_stdin_runs_nothing(run, tmp_path):
    marker = tmp_path / "ran"
    text = f"!!python/object/apply:os.system ['touch {marker}']\n"
    _one_error_line(run("solve", "-", input=text), "<stdin>",
                    f"line 1, column 1: found the tag !!python/object/apply:os.system, {TAGS}")
    assert not marker.exists()


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads unreadable files")
def test_unreadable_file(run, tmp_path):
    path = tmp_path / "secret.yaml"
    path.write_text(BASE)
    path.chmod(0)
    _one_error_line(run("solve", path), path, "cannot read: Permission denied")


# ------------------------------------------------------ what a valid neighbour gives


@pytest.mark.parametrize("text", [
    edit(BASE, "title: Base problem", "title: 2024-05-01"),  # a date is a title, not a date
    edit(BASE, "title: Base problem", "title: |\n  Two lines\n  \tand a tab"),
    edit(BASE, "x: [1.0, 2.0]", "x: [1e0, +2]"),
    edit(BASE, "x: [1.0, 2.0]", "x: [!!float 1, !!int 2]"),
    edit(BASE, "y: [0.0, 1.0]", "y: 1"),
    edit(BASE, "lr: 0.5", "lr: 0.5, momentum: 0.9, state: {W1: {momentum_buffer: "
                          "[[0, 0], [0, 0], [0, 0]]}}"),
])
def test_the_valid_neighbours_of_the_catalogue_solve(run, tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("solve", path, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["loss"] > 0


# ------------------------------------- optimizer state that overflows (engine.py, for the lead)


STATE_OVERFLOW = """\
x: [1e200]
y: 0
loss: cross_entropy
layers:
  - {weights: [[1e-200], [0.0]], activation: softmax}
optimizer: {name: adam}
"""


@pytest.mark.parametrize("args", [["solve", "--format", "json"], ["step", "--format", "json"],
                                  ["step"]])
def test_optimizer_state_that_overflows_is_an_error(run, args):
    result = run(args[0], "-", *args[1:], input=STATE_OVERFLOW)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: <stdin>: ") and "exp_avg_sq" in result.stderr
    assert result.stdout == ""


SUM_OVERFLOW = """\
x: [1e308, 1e308]
y: 0
loss: cross_entropy
layers:
  - {weights: [[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], activation: sigmoid}
  - {weights: [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], activation: softmax}
"""


def test_a_sum_that_overflows_is_an_error(run):
    result = run("solve", "-", "--format", "json", input=SUM_OVERFLOW)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: <stdin>: ") and "a1" in result.stderr
