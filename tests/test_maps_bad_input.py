# ruff: noqa: E501  (a table of file edits and the exact messages they give)
"""Bad input in the feature-map kinds (conv2d, maxpool2d, avgpool2d, flatten), image x,
`channels` and map-shaped y: one exact `Error:` line naming the file, the place and what was
expected; exit status 2; no traceback; nothing on stdout (helpers: tests/test_bad_input.py).
"""

from __future__ import annotations

import pytest
from test_bad_input import _one_error_line, _write, edit

# 2 samples of 1×4×4 through conv 2@2×2 (relu), max pool 2 (stride 1), flatten, dense softmax
BASE = """\
x: [[[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]], [[[0, 1, 1, 0], [2, 0, 1, 1], [1, 1, 0, 2], [0, 2, 1, 0]]]]
y: [1, 0]
loss: cross_entropy
layers:
  - kind: conv2d
    weights: [[[[1, 0], [0, -1]]], [[[0.5, 1], [-1, 0]]]]
    bias: [0.1, -0.2]
    activation: relu
  - kind: maxpool2d
    size: 2
    stride: 1
  - kind: flatten
  - weights: [[0.1, 0.2, -0.1, 0.3, 0.2, -0.3, 0.1, 0.4], [0.2, -0.1, 0.3, 0.1, -0.2, 0.1, 0.3, -0.1]]
    bias: [0, 0.1]
    activation: softmax
"""
W = 'weights: [[[[1, 0], [0, -1]]], [[[0.5, 1], [-1, 0]]]]'
POOL = 'size: 2\n    stride: 1'
D = 'weights: [[0.1, 0.2, -0.1, 0.3, 0.2, -0.3, 0.1, 0.4], [0.2, -0.1, 0.3, 0.1, -0.2, 0.1, 0.3, -0.1]]'

ROWS = [
    pytest.param(edit(BASE, W, "weights: [[[[1, 0, 0, 0, 1], [0, -1, 0, 0, 1], [0,0,0,0,0], [0,0,0,0,0], [0,0,0,0,0]]], [[[1, 0, 0, 0, 1], [0, -1, 0, 0, 1], [0,0,0,0,0], [0,0,0,0,0], [0,0,0,0,0]]]]"),
                 'layers[0].weights (W1): a 5×5 window, expected one that fits the input: x is 4×4', id='kernel-too-big'),
    pytest.param(edit(BASE, "bias: [0.1, -0.2]", "bias: [0.1, -0.2]\n    stride: 0"),
                 'layers[0].stride: found 0, expected a stride: an integer of at least 1, or [rows, columns]', id='stride-0'),
    pytest.param(edit(BASE, POOL, "size: 2\n    stride: -1"),
                 'layers[1].stride: found -1, expected a stride: an integer of at least 1, or [rows, columns]', id='stride-neg'),
    pytest.param(edit(BASE, POOL, "size: 0"),
                 'layers[1].size: found 0, expected a window size: an integer of at least 1, or [rows, columns]', id='size-0'),
    pytest.param(edit(BASE, POOL, "size: [2, 2, 2]"),
                 'layers[1].size: found a list of 3, expected a window size: an integer of at least 1, or [rows, columns]', id='size-list3'),
    pytest.param(edit(BASE, W, "weights: [[[[1, 0], [0, -1]], [[1, 0], [0, -1]]]]"),
                 'layers[0].weights (W1): shape (1, 2, 2, 2), expected C_in = 1 in (C_out, C_in, kH, kW): x has 1 channel', id='cin'),
    pytest.param(edit(BASE, POOL, "size: 2\n    stride: 2"),
                 'layers[1].stride: (H + 2p − k)/s + 1 = (3 + 0 − 2)/2 + 1 = 1.5 output rows, expected a whole number: change the stride, the padding or the size, or write remainder: drop to leave the last ones out as torch does', id='not-whole'),
    pytest.param(edit(BASE, D, "weights: [[0.1, 0.2, -0.1, 0.3, 0.2, -0.3], [0.2, -0.1, 0.3, 0.1, -0.2, 0.1]]"),
                 'layers[3].weights (W4): shape (2, 6), expected (2, 8): layer 3 (flatten) gives 8 features (2×2×2)', id='flatten-width'),
    pytest.param(edit(BASE, "  - kind: flatten\n", ""),
                 'layers[2]: found a dense layer, expected flatten first: layer 2 (maxpool2d) gives 2 maps of 2×2', id='no-flatten'),
    pytest.param(edit(BASE, "layers:\n", "layers:\n  - kind: flatten\n"),
                 'layers[1].kind: found conv2d, expected a kind that takes rows: layer 1 (flatten) gives 16 features (1×4×4), not feature maps', id='conv-after-dense'),
    pytest.param(edit(BASE, "bias: [0.1, -0.2]", "bias: [0.1]"),
                 'layers[0].bias (b1): shape (1,), expected (2,): layer 1 has 2 output channels', id='bias-shape'),
    pytest.param(edit(BASE, W, "weights: [[1, 0], [0, -1]]"),
                 'layers[0].weights (W1): found a list of 2, expected an array of rank 4: (C_out, C_in, kH, kW)', id='weights-rank'),
    pytest.param(edit(BASE, W, "weights: [[[[1, 0], [0, -1]]], [[[0.5, 1], [-1]]]]"),
                 'layers[0].weights[1][0][1] (W1): shape (1,), expected (2,) like layers[0].weights[1][0][0]', id='weights-ragged'),
    pytest.param(edit(BASE, "[2, 1, 0, 0], [1, 0, 1, 2]]]", "[2, 1, 0], [1, 0, 1, 2]]]"),
                 'x[0][0][2]: shape (3,), expected (4,) like x[0][0][0]', id='x-ragged'),
    pytest.param(edit(BASE, "[[[[1, 2, 0, 1]", "[[[[1, 'a', 0, 1]"),
                 "x[0][0][0][1]: found the string 'a', expected a number", id='x-string'),
    pytest.param(edit(BASE, BASE.splitlines()[0], "x: [1, 2, 3]"),
                 'x: found an array of rank 1, expected feature maps: (N, C, H, W) for a batch, (C, H, W) or (H, W) for one sample', id='x-rank1'),
    pytest.param(edit(BASE, "bias: [0.1, -0.2]", "bias: [0.1, -0.2]\n    flip: yes please"),
                 "layers[0].flip: found the string 'yes please', expected true (a true convolution: the kernel turned 180°) or false (torch's cross-correlation)", id='flip'),
    pytest.param(edit(BASE, POOL, "size: 2\n    stride: 1\n    remainder: floor"),
                 "layers[1].remainder: found the string 'floor', expected what to do with rows or columns no window reaches: error | drop", id='remainder'),
    pytest.param(edit(BASE, "bias: [0.1, -0.2]", "bias: [0.1, -0.2]\n    padding: -1"),
                 'layers[0].padding: found -1, expected a padding: an integer of at least 0, or [rows, columns]', id='padding'),
    pytest.param(edit(BASE, POOL, "size: 2\n    stride: 1\n    padding: 2"),
                 'layers[1].padding: found 2, expected at most half the window (2×2), as torch requires', id='pool-padding-big'),
    pytest.param(edit(BASE, POOL, "size: 2\n    stride: 1\n    weights: [1]"),
                 "layers[1].weights: unknown key 'weights', expected one of kind, activation, slope, alpha, size, stride, padding, remainder", id='pool-key'),
    pytest.param(edit(BASE, "loss: cross_entropy", "loss: cross_entropy\nchannels: middle"),
                 "channels: found the string 'middle', expected a channel order: first | last", id='channels'),
    pytest.param(edit(BASE, "  - kind: flatten\n", "").replace("  - " + D + "\n    bias: [0, 0.1]\n    activation: softmax\n", ""),
                 'loss: found cross_entropy after feature maps, expected a flatten (and dense layers) before the output, or loss upstream: layer 2 (maxpool2d) gives 2 maps of 2×2', id='loss-on-maps'),
    pytest.param(edit(BASE.split("  - kind: maxpool2d")[0], "loss: cross_entropy", "loss: upstream", "y: [1, 0]", "y: [[[1, 2]]]"),
                 'y: found an array of rank 3, expected ∂L/∂ŷ of shape (2, 2, 3, 3): the output is 2 channels of 3×3', id='upstream-y-shape'),
    pytest.param(edit(BASE, "y: [1, 0]", "y: [1, 0, 1]"),
                 'y: 3 class indices, expected 2: x has 2 samples', id='dense-y'),
    pytest.param(edit(BASE, "bias: [0.1, -0.2]", "bias: [0.1, -0.2]\n    frozen: [gamma]"),
                 "layers[0].frozen[0]: found the string 'gamma', expected a parameter: weights | bias", id='frozen'),
    pytest.param(edit(BASE, POOL, "stride: 1"),
                 "layers[1].size: missing, expected the pool's window: an integer or [rows, columns]", id='pool-size-missing'),
    pytest.param(BASE + "optimizer:\n  name: sgd\n  lr: 0.1\n  momentum: 0.9\n  state:\n    W1: {momentum_buffer: [[[[1, 0], [0, -1]]]]}\n",
                 'optimizer.state.W1.momentum_buffer: shape (1, 1, 2, 2), expected (2, 1, 2, 2) like W1', id='state-shape'),
]


@pytest.mark.parametrize("command", ["solve", "step", "check"])
@pytest.mark.parametrize("content, message", ROWS)
def test_bad_map_input(run, tmp_path, command, content, message):
    path = tmp_path / "p.yaml"
    _write(path, content)
    _one_error_line(run(command, path), path, message)
