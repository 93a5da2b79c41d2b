"""Random problem documents for the benchmarks: networks, data and their files.

Weights and biases are drawn like torch.nn.Linear's default initialisation (uniform in
±1/sqrt(fan_in)), x uniform in [0, 1), y as class indices, so a few hundred SGD steps
stay finite on every network here. The convolutional network (issue 21's LeNet-5) draws
its weights He-scaled instead (normal, standard deviation sqrt(2/fan_in), fan_in =
C_in·kH·kW for a convolution), its biases as torch's default, and x of shape (N, C, H, W).
The sequence networks (issue 22's RNN and LSTM) start with a recurrent layer drawn like
torch.nn.RNN / nn.LSTM's default (every weight and bias uniform in ±1/sqrt(H)), x of
shape (N, T, D), and the last step's h_T into a dense softmax layer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Conv:
    """A conv2d layer (stride 1, no padding, a bias) and the max pool after it."""

    channels: int  # C_out
    kernel: int  # kH = kW
    pool: int  # max pool size and stride after it (0: none)
    activation: str = "relu"


@dataclass(frozen=True)
class Recurrent:
    """A recurrent layer first (stacked in torch's gate order, both biases, h0 = 0),
    its last step's h_T seen by the dense layers: sizes[0] is its hidden width H."""

    cell: str  # rnn (tanh), lstm, gru
    steps: int  # T
    inputs: int  # D


@dataclass(frozen=True)
class Network:
    label: str
    sizes: tuple[int, ...]  # input width first
    activations: tuple[str, ...]  # one per layer
    batch: int | None  # None: one sample (x is a vector)
    lr: float = 0.01
    kinds: bool = False  # after each hidden dense layer: batch norm (train, relu), dropout
    image: tuple[int, int, int] | None = None  # (C, H, W): x is (N, C, H, W), convs first
    convs: tuple[Conv, ...] = ()  # before a flatten and the dense layers (sizes[0]: its width)
    sequence: Recurrent | None = None  # x is (N, T, D), a recurrent layer first


CLASSIC = Network("classic 3-3-3-3, 1 sample", (3, 3, 3, 3),
                  ("sigmoid", "sigmoid", "softmax"), None, lr=1.0)
MEDIUM = Network("784-128-64-10 sigmoid, batch 64", (784, 128, 64, 10),
                 ("sigmoid", "sigmoid", "softmax"), 64)
LARGE = Network("784-512-512-10 relu, batch 256", (784, 512, 512, 10),
                ("relu", "relu", "softmax"), 256)
# issue 20's row: dense 784->256 (identity), batch norm (train, relu), dropout (a fixed
# mask, p 0.5, inverted), dense 256->10 softmax
KINDS = Network("784-256-10 batchnorm relu dropout, batch 64", (784, 256, 10),
                ("identity", "softmax"), 64, kinds=True)
DROP = 0.5  # the kinds' dropout probability
# issue 21's row: LeNet-5, 1x28x28 -> conv 6@5x5 (relu) -> max pool 2 -> conv 16@5x5
# (relu) -> max pool 2 -> flatten (16x4x4 = 256) -> 120 (relu) -> 84 (relu) -> 10 softmax
LENET = Network("LeNet-5 1x28x28 conv6@5x5 pool2 conv16@5x5 pool2 120-84-10 relu, batch 64",
                (256, 120, 84, 10), ("relu", "relu", "softmax"), 64, image=(1, 28, 28),
                convs=(Conv(6, 5, 2), Conv(16, 5, 2)))
# issue 22's rows: x (32, 50, 32) -> rnn (tanh) or lstm, H = 64, output last -> 10 softmax
RNN = Network("RNN tanh T=50 D=32 H=64 -> 10, batch 32", (64, 10), ("softmax",), 32,
              sequence=Recurrent("rnn", 50, 32))
LSTM = Network("LSTM T=50 D=32 H=64 -> 10, batch 32", (64, 10), ("softmax",), 32,
               sequence=Recurrent("lstm", 50, 32))


def document(net: Network, seed: int = 0) -> dict:
    """A problem document (plain lists and floats) for `net`, cross_entropy, plain SGD."""
    rng = np.random.default_rng(seed)
    rows = net.batch or 1
    seq = net.sequence
    shape = net.image or ((seq.steps, seq.inputs) if seq else (net.sizes[0],))
    x = rng.random((rows, *shape))
    y = rng.integers(0, net.sizes[-1], rows)
    layers = conv_layers(net, rng) if net.image else [recurrent_layer(net, rng)] if seq else []
    for fan_in, units, activation in zip(net.sizes, net.sizes[1:], net.activations):
        bound = 1.0 / np.sqrt(fan_in)
        weights = (rng.normal(0.0, np.sqrt(2.0 / fan_in), (units, fan_in)) if net.image
                   else rng.uniform(-bound, bound, (units, fan_in)))
        layers.append({
            "weights": weights.tolist(),
            "bias": rng.uniform(-bound, bound, units).tolist(),
            "activation": activation,
        })
        if net.kinds and activation != "softmax":
            layers += kind_layers(units, rows, rng)
    batched = net.batch is not None
    return {
        "title": f"benchmark: {net.label}",
        "x": x.tolist() if batched else x[0].tolist(),
        "y": y.tolist() if batched else int(y[0]),
        "loss": "cross_entropy",
        "layers": layers,
        "optimizer": {"name": "sgd", "lr": net.lr},
    }


def conv_layers(net: Network, rng) -> list[dict]:
    """The convolutions (He-scaled weights in torch's (C_out, C_in, kH, kW) order, biases
    as torch's default), each with its max pool, and the flatten that ends them."""
    channels, height, width = net.image
    layers = []
    for conv in net.convs:
        fan_in = channels * conv.kernel * conv.kernel
        bound = 1.0 / np.sqrt(fan_in)
        shape = (conv.channels, channels, conv.kernel, conv.kernel)
        layers.append({
            "kind": "conv2d",
            "weights": rng.normal(0.0, np.sqrt(2.0 / fan_in), shape).tolist(),
            "bias": rng.uniform(-bound, bound, conv.channels).tolist(),
            "activation": conv.activation,
        })
        channels, height, width = conv.channels, height - conv.kernel + 1, width - conv.kernel + 1
        if conv.pool:
            layers.append({"kind": "maxpool2d", "size": conv.pool})
            height, width = height // conv.pool, width // conv.pool
    if channels * height * width != net.sizes[0]:
        raise ValueError(f"{net.label}: the maps flatten to {channels * height * width} "
                         f"numbers, not {net.sizes[0]}")
    layers.append({"kind": "flatten"})
    return layers


def recurrent_layer(net: Network, rng) -> dict:
    """torch's default initialisation of nn.RNN / nn.LSTM / nn.GRU: every weight and both
    biases uniform in ±1/sqrt(H); G·H rows stacked in torch's gate order (the default)."""
    seq, hidden = net.sequence, net.sizes[0]
    rows = {"rnn": 1, "lstm": 4, "gru": 3}[seq.cell] * hidden
    bound = 1.0 / np.sqrt(hidden)
    return {
        "kind": seq.cell,
        "wx": rng.uniform(-bound, bound, (rows, seq.inputs)).tolist(),
        "wh": rng.uniform(-bound, bound, (rows, hidden)).tolist(),
        "bias": rng.uniform(-bound, bound, rows).tolist(),
        "bias_h": rng.uniform(-bound, bound, rows).tolist(),
        "output": "last",
    }


def kind_layers(units: int, rows: int, rng) -> list[dict]:
    """Batch norm (torch's BatchNorm1d defaults: gamma 1, beta 0, learnable; train mode)
    with ReLU, then dropout with a fixed mask (p DROP, scaled by 1/keep)."""
    mask = (rng.random((rows, units)) >= DROP).astype(int)
    return [
        {"kind": "batchnorm", "gamma": [1.0] * units, "beta": [0.0] * units,
         "mode": "train", "activation": "relu"},
        {"kind": "dropout", "mask": mask.tolist(), "p": DROP, "scale": "inverted"},
    ]


def write_json(doc: dict, path) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def write_yaml(doc: dict, path) -> None:
    """Block mappings with one flow-style list per matrix row, as people write them."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(doc, f, Dumper=dumper, default_flow_style=None, sort_keys=False, width=100)
