"""Random problem documents for the benchmarks: networks, data and their files.

Weights and biases are drawn like torch.nn.Linear's default initialisation (uniform in
±1/sqrt(fan_in)), x uniform in [0, 1), y as class indices, so a few hundred SGD steps
stay finite on every network here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Network:
    label: str
    sizes: tuple[int, ...]  # input width first
    activations: tuple[str, ...]  # one per layer
    batch: int | None  # None: one sample (x is a vector)
    lr: float = 0.01
    kinds: bool = False  # after each hidden dense layer: batch norm (train, relu), dropout


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


def document(net: Network, seed: int = 0) -> dict:
    """A problem document (plain lists and floats) for `net`, cross_entropy, plain SGD."""
    rng = np.random.default_rng(seed)
    rows = net.batch or 1
    x = rng.random((rows, net.sizes[0]))
    y = rng.integers(0, net.sizes[-1], rows)
    layers = []
    for fan_in, units, activation in zip(net.sizes, net.sizes[1:], net.activations):
        bound = 1.0 / np.sqrt(fan_in)
        layers.append({
            "weights": rng.uniform(-bound, bound, (units, fan_in)).tolist(),
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
