# ruff: noqa: E501  (a table of file edits and the exact messages they give)
"""Bad input in sequence exercises (recurrent layers, the embedding, x as steps or token
indices, y per step): one exact `Error:` line naming the file, the place and what was
expected; exit status 2; no traceback; nothing on stdout (helpers: tests/test_bad_input.py).
"""

from __future__ import annotations

import pytest
from test_bad_input import _one_error_line, _write, edit

# 2 samples of 3 steps of 2 features through an LSTM of 2 (gates by name, stacked bias),
# h_T into a dense softmax of 2
BASE = """\
x: [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]]
y: [1, 0]
loss: cross_entropy
layers:
  - kind: lstm
    wx: {i: [[0.1, 0.2], [0.3, -0.1]], f: [[0.2, 0.1], [-0.1, 0.3]], g: [[0.5, -0.2], [0.1, 0.4]], o: [[0.3, 0.3], [-0.2, 0.1]]}
    wh: {i: [[0.1, 0.0], [0.0, 0.1]], f: [[0.2, 0.0], [0.1, 0.1]], g: [[0.3, -0.1], [0.2, 0.0]], o: [[0.1, 0.1], [0.0, -0.1]]}
    bias: [0, 0, 1, 1, 0, 0, 0, 0]
    h0: [0.1, -0.1]
    c0: [0.2, 0.0]
  - weights: [[1, -1], [0.5, 0.5]]
    activation: softmax
"""
WX = "wx: {i: [[0.1, 0.2], [0.3, -0.1]], f: [[0.2, 0.1], [-0.1, 0.3]], g: [[0.5, -0.2], [0.1, 0.4]], o: [[0.3, 0.3], [-0.2, 0.1]]}"
EMB = BASE.replace("x: [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]]", "x: [[0, 2, 1], [1, 1, 0]]").replace("layers:\n", "layers:\n  - kind: embedding\n    table: [[1, 0], [0, 1], [0.5, 0.5]]\n")
RNN = BASE.replace("kind: lstm", "kind: rnn").replace(WX, "wx: [[0.1, 0.2], [0.3, -0.1]]").replace("wh: {i: [[0.1, 0.0], [0.0, 0.1]], f: [[0.2, 0.0], [0.1, 0.1]], g: [[0.3, -0.1], [0.2, 0.0]], o: [[0.1, 0.1], [0.0, -0.1]]}", "wh: [[0.1, 0], [0, 0.1]]").replace("bias: [0, 0, 1, 1, 0, 0, 0, 0]", "bias: [0, 0]").replace("    c0: [0.2, 0.0]\n", "")
GRU = RNN.replace("kind: rnn", "kind: gru").replace("wx: [[0.1, 0.2], [0.3, -0.1]]", "wx: [[0.1, 0.2], [0.3, -0.1], [0.1, 0.2], [0.3, -0.1], [0.1, 0.2], [0.3, -0.1]]").replace("wh: [[0.1, 0], [0, 0.1]]", "wh: [[0.1, 0], [0, 0.1], [0.1, 0], [0, 0.1], [0.1, 0], [0, 0.1]]").replace("bias: [0, 0]", "bias: [0, 0, 0, 0, 0, 0]")

CASES = {
 "x-rank": edit(BASE, "x: [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]]", "x: [1, 2, 3]"),
 "x-width": edit(BASE, "x: [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]]", "x: [[[1, 2, 0], [0, 1, 0], [3, -1, 0]], [[0.5, 0, 0], [1, 1, 0], [-1, 2, 0]]]"),
 "token-out": edit(EMB, "x: [[0, 2, 1], [1, 1, 0]]", "x: [[0, 3, 1], [1, 1, 0]]"),
 "token-neg": edit(EMB, "x: [[0, 2, 1], [1, 1, 0]]", "x: [[0, 2, 1], [1, -1, 0]]"),
 "token-float": edit(EMB, "x: [[0, 2, 1], [1, 1, 0]]", "x: [[0, 2, 1.5], [1, 1, 0]]"),
 "emb-not-first": BASE.replace("  - weights:", "  - kind: embedding\n    table: [[1, 0]]\n  - weights:"),
 "h0-width": edit(BASE, "h0: [0.1, -0.1]", "h0: [0.1, -0.1, 0.2]"),
 "h0-rows": edit(BASE, "h0: [0.1, -0.1]", "h0: [[0.1, -0.1], [0, 0], [1, 1]]"),
 "c0-width": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2]"),
 "c0-rnn": edit(RNN, "h0: [0.1, -0.1]", "h0: [0.1, -0.1]\n    c0: [0, 0]"),
 "gate-missing": edit(BASE, WX, "wx: {i: [[0.1, 0.2], [0.3, -0.1]], f: [[0.2, 0.1], [-0.1, 0.3]], g: [[0.5, -0.2], [0.1, 0.4]]}"),
 "gate-unknown": edit(BASE, WX, "wx: {i: [[0.1, 0.2], [0.3, -0.1]], f: [[0.2, 0.1], [-0.1, 0.3]], c: [[0.5, -0.2], [0.1, 0.4]], o: [[0.3, 0.3], [-0.2, 0.1]]}"),
 "gate-shape": edit(BASE, WX, "wx: {i: [[0.1, 0.2], [0.3, -0.1]], f: [[0.2, 0.1], [-0.1, 0.3]], g: [[0.5, -0.2, 1], [0.1, 0.4, 1]], o: [[0.3, 0.3], [-0.2, 0.1]]}"),
 "gate-rows": edit(BASE, WX, "wx: {i: [[0.1, 0.2]], f: [[0.2, 0.1], [-0.1, 0.3]], g: [[0.5, -0.2], [0.1, 0.4]], o: [[0.3, 0.3], [-0.2, 0.1]]}"),
 "wh-shape": edit(BASE, "wh: {i: [[0.1, 0.0], [0.0, 0.1]]", "wh: {i: [[0.1, 0.0, 1], [0.0, 0.1, 1]]"),
 "stacked-rows": edit(BASE, "bias: [0, 0, 1, 1, 0, 0, 0, 0]", "bias: [0, 0, 1, 1, 0, 0]"),
 "stacked-multiple": edit(BASE, WX, "wx: [[0.1, 0.2], [0.3, -0.1], [0.2, 0.1]]"),
 "gates-unknown": edit(BASE, "bias: [0, 0, 1, 1, 0, 0, 0, 0]", "bias: [0, 0, 1, 1, 0, 0, 0, 0]\n    gates: ifco"),
 "form-unknown": edit(GRU, "h0: [0.1, -0.1]", "h0: [0.1, -0.1]\n    form: keras"),
 "update-unknown": edit(GRU, "h0: [0.1, -0.1]", "h0: [0.1, -0.1]\n    update: z"),
 "gru-gates": edit(GRU, "h0: [0.1, -0.1]", "h0: [0.1, -0.1]\n    gates: ifgo"),
 "form-lstm": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    form: cho"),
 "output-unknown": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    output: every"),
 "rnn-activation": edit(RNN, "h0: [0.1, -0.1]", "h0: [0.1, -0.1]\n    activation: sigmoid"),
 "rnn-gates": edit(RNN, "h0: [0.1, -0.1]", "h0: [0.1, -0.1]\n    gates: ifgo"),
 "y-last": edit(BASE, "y: [1, 0]", "y: [[1, 0, 1], [0, 0, 1]]"),
 "y-all-shape": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    output: all").replace("y: [1, 0]", "y: [[1, 0], [0, 1]]"),
 "y-all-rank": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    output: all").replace("y: [1, 0]", "y: [1, 0]"),
 "y-all-index": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    output: all").replace("y: [1, 0]", "y: [[1, 0, 2], [0, 0, 1]]"),
 "second-recurrent": BASE.replace("  - weights:", "  - kind: rnn\n    wx: [[1, 0]]\n    wh: [[1]]\n  - weights:"),
 "batchnorm-after": BASE.replace("  - weights:", "  - kind: batchnorm\n  - weights:"),
 "rnn-later": BASE.replace("layers:\n", "layers:\n  - weights: [[1, 0], [0, 1]]\n    activation: tanh\n"),
 "dense-width": edit(BASE, "weights: [[1, -1], [0.5, 0.5]]", "weights: [[1, -1, 0], [0.5, 0.5, 0]]"),
 "frozen": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    frozen: [weights]"),
 "frozen-absent": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    frozen: [bias_h]"),
 "kind-case": edit(RNN, "kind: rnn", "kind: RNN"),
 "recurrent-last-ce": edit(RNN, "  - weights: [[1, -1], [0.5, 0.5]]\n    activation: softmax\n", ""),
 "unknown-key": edit(BASE, "c0: [0.2, 0.0]", "c0: [0.2, 0.0]\n    hidden: 2"),
 "missing-wh": BASE.replace("    wh: {i: [[0.1, 0.0], [0.0, 0.1]], f: [[0.2, 0.0], [0.1, 0.1]], g: [[0.3, -0.1], [0.2, 0.0]], o: [[0.1, 0.1], [0.0, -0.1]]}\n", ""),
 "rnn-named": edit(RNN, "wx: [[0.1, 0.2], [0.3, -0.1]]", "wx: {i: [[0.1, 0.2], [0.3, -0.1]]}"),
 "table-rank": edit(EMB, "table: [[1, 0], [0, 1], [0.5, 0.5]]", "table: [1, 0, 2]"),
 "state-shape": BASE + "optimizer:\n  name: sgd\n  lr: 0.1\n  momentum: 0.9\n  state:\n    Wh1:\n      momentum_buffer: {i: [[0, 0], [0, 0]], f: [[0, 0], [0, 0]], g: [[0, 0], [0, 0]], o: [[0, 0]]}\n",
}
MESSAGES = {
    'kind-case': "layers[0].kind: found the string 'RNN', expected a layer kind: dense | batchnorm | layernorm | dropout | conv2d | maxpool2d | avgpool2d | flatten | embedding | rnn | lstm | gru (did you mean rnn?)",
    'recurrent-last-ce': 'layers[0]: found the rnn layer last, expected a dense softmax layer after it: cross_entropy needs a softmax output',
    'x-rank': 'x: found an array of rank 1, expected steps for the lstm layer: (N, T, D) for a batch, (T, D) for one sample',
    'x-width': 'layers[0].wx.i (Wx1): shape (2, 2), expected (2, 3): x has 3 steps of 3 features',
    'token-out': 'x[0][1]: found 3, expected a token index 0..2: layers[0].table (E1) has 3 rows',
    'token-neg': 'x[1][1]: found -1, expected a token index 0..2: layers[0].table (E1) has 3 rows',
    'token-float': 'x[0][2]: found 1.5, expected a token index (a whole number)',
    'emb-not-first': "layers[1].kind: found embedding, expected it as layers[0] only: it reads x's token indices",
    'h0-width': 'layers[0].h0: shape (3,), expected (2,): the layer has 2 hidden units',
    'h0-rows': 'layers[0].h0: shape (3, 2), expected (2, 2): the layer has 2 hidden units, x 2 samples',
    'c0-width': 'layers[0].c0: shape (1,), expected (2,): the layer has 2 hidden units',
    'c0-rnn': "layers[0].c0: unknown key 'c0', expected one of kind, wx, wh, bias, bias_h, h0, activation, output, frozen",
    'gate-missing': "layers[0].wx.o: missing, expected the o gate's input weights (Wx1)",
    'gate-unknown': "layers[0].wx.c: found c, expected g: the cell candidate is g here (torch's name; Keras and deeplearning.ai call it c)",
    'gate-shape': 'layers[0].wx.g (Wx1): shape (2, 3), expected (2, 2): x has 3 steps of 2 features',
    'gate-rows': 'layers[0].wx.f (Wx1): shape (2, 2), expected (1, 2) like layers[0].wx.i',
    'wh-shape': 'layers[0].wh.i (Wh1): shape (2, 3), expected (2, 2): the layer has 2 hidden units',
    'stacked-rows': 'layers[0].bias (b1): shape (6,), expected (8,) (4 gates (ifgo) of H = 2 rows each): the layer has 2 hidden units',
    'stacked-multiple': 'layers[0].wx (Wx1): shape (3, 2), expected 4 gates (ifgo) of H rows each: 3 rows is not a multiple of 4',
    'gates-unknown': "layers[0].gates: found the string 'ifco', expected the order of the stacked gates: the letters i, f, g, o in some order, such as ifgo (torch's) or ifog (CS231n's)",
    'form-unknown': "layers[0].form: found the string 'keras', expected where the reset gate acts: torch (on Wh_n h + bh_n) or cho (on h, before Wh_n): torch | cho",
    'update-unknown': "layers[0].update: found the string 'z', expected what z weighs: old (h′ = (1 − z) ⊙ n + z ⊙ h, torch's) or new (h′ = (1 − z) ⊙ h + z ⊙ n): old | new",
    'gru-gates': "layers[0].gates: found the string 'ifgo', expected the order of the stacked gates: the letters r, z, n in some order, such as rzn (torch's)",
    'form-lstm': "layers[0].form: unknown key 'form', expected one of kind, wx, wh, bias, bias_h, h0, c0, output, gates, frozen",
    'output-unknown': "layers[0].output: found the string 'every', expected which steps the next layer sees: last | all",
    'rnn-activation': "layers[0].activation: found the string 'sigmoid', expected the rnn's nonlinearity: tanh | relu",
    'rnn-gates': "layers[0].gates: unknown key 'gates', expected one of kind, wx, wh, bias, bias_h, h0, activation, output, frozen",
    'y-last': 'y: shape (2, 3), expected (2, 2): layer 2 has 2 units',
    'y-all-shape': 'y: shape (2, 2), expected (2, 3): one class index per step; layer 2 has 2 units at each of 3 steps',
    'y-all-rank': 'y: found an array of rank 1, expected one target per step: (2, 3, 2) or class indices (2, 3); layer 2 has 2 units at each of 3 steps',
    'y-all-index': 'y[0][2]: found 2, expected a class index, an integer 0..1: layer 2 has 2 units at each of 3 steps',
    'second-recurrent': 'layers[1].kind: found a second recurrent layer (rnn), expected dense layers: a network here has one recurrent layer',
    'batchnorm-after': 'layers[1].kind: found batchnorm, expected dense: after a recurrent layer, dense layers (they act on every step with output: all)',
    'rnn-later': "layers[1].kind: found lstm, expected it as layers[0] (a recurrent layer may follow an embedding): it reads x's steps",
    'dense-width': 'layers[1].weights (W2): shape (2, 3), expected (3, 2): layer 1 (lstm) gives h_T of 2 units; the weights look transposed: use layout: in_out',
    'frozen': "layers[0].frozen[0]: found the string 'weights', expected a parameter: wx | wh | bias | bias_h",
    'frozen-absent': 'layers[0].frozen[0]: found bias_h, expected one the layer has: wx, wh, bias',
    'unknown-key': "layers[0].hidden: unknown key 'hidden', expected one of kind, wx, wh, bias, bias_h, h0, c0, output, gates, frozen",
    'missing-wh': 'layers[0].wh: missing, expected the hidden weights (Wh1)',
    'rnn-named': 'layers[0].wx (Wx1): found a mapping by gate, expected one array: an rnn has no gates',
    'table-rank': 'layers[0].table (E1): found a list of 3, expected a list of rows: one vector per token',
    'state-shape': 'optimizer.state.Wh1.momentum_buffer.o (Wh1): shape (1, 2), expected (2, 2): the shape of Wh1',
}


@pytest.mark.parametrize("command", ["solve", "step", "check"])
@pytest.mark.parametrize("case", list(CASES))
def test_bad_sequence_input(run, tmp_path, command, case):
    path = tmp_path / "p.yaml"
    _write(path, CASES[case])
    _one_error_line(run(command, path), path, MESSAGES[case])


def test_every_case_has_its_message():
    assert set(CASES) == set(MESSAGES)
