"""Seeded problem files for `backprop new`: numpy only, returns plain documents.

Draw order (so seeds reproduce printed exercises): numpy.random.seed(S), then W1, b1, W2,
b2, ... row-major, then x and y where they are not given. `decimals` rounds each drawn
number with Python's round, as printing to that many decimals does.
"""

from __future__ import annotations

import math

import numpy as np

INITS = ("uniform", "normal", "xavier", "he")


def default_activations(depth: int, loss: str) -> list[str]:
    output = "softmax" if loss == "cross_entropy" else "sigmoid"
    return ["sigmoid"] * (depth - 1) + [output]


def _draw(shape, init: str, fan_in: int, fan_out: int) -> np.ndarray:
    if init == "uniform":
        return np.random.rand(*shape)
    if init == "normal":
        return np.random.randn(*shape)
    if init == "xavier":  # Glorot uniform: U(-limit, limit)
        limit = math.sqrt(6.0 / (fan_in + fan_out))
        return (2.0 * np.random.rand(*shape) - 1.0) * limit
    return np.random.randn(*shape) * math.sqrt(2.0 / fan_in)  # he (Kaiming normal)


def _rounded(values: np.ndarray, decimals: int | None):
    out = values.tolist()
    if decimals is None:
        return out

    def rnd(v):
        return [rnd(u) for u in v] if isinstance(v, list) else round(v, decimals)

    return rnd(out)


def problem(sizes: list[int], activations: list[str], loss: str, seed: int,
            decimals: int | None = None, init: str = "uniform", x=None, y=None,
            title: str | None = None) -> dict:
    """A problem document. xavier and he draw weights only: their biases start at 0."""
    np.random.seed(seed)
    layers = []
    for l in range(1, len(sizes)):
        fan_in, fan_out = sizes[l - 1], sizes[l]
        W = _draw((fan_out, fan_in), init, fan_in, fan_out)
        if init in ("xavier", "he"):
            b = np.zeros(fan_out)
        else:
            b = _draw((fan_out,), init, fan_in, fan_out)
        layers.append({"weights": _rounded(W, decimals), "bias": _rounded(b, decimals),
                       "activation": activations[l - 1]})
    if x is None:
        x = _rounded(np.random.rand(sizes[0]), decimals)
    k = sizes[-1]
    if y is None:
        y = int(np.random.randint(k))
    if isinstance(y, int) and loss != "cross_entropy":
        y = [1 if i == y else 0 for i in range(k)]  # the one-hot vector of that index
    doc = {}
    if title:
        doc["title"] = title
    doc.update({"x": list(x), "y": y, "loss": loss, "layers": layers,
                "optimizer": {"name": "sgd", "lr": 1.0}})
    return doc
