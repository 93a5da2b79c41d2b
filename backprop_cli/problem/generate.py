"""Seeded problem files for `backprop new`: numpy only, returns plain documents.

Draw order (so seeds reproduce printed exercises): numpy.random.seed(S), then W1, b1, W2,
b2, ... row-major, then x and y where they are not given. `decimals` rounds each drawn
number with Python's round, as printing to that many decimals does. Seeds are numpy's:
0 to SEED_MAX.

A class index y becomes the target vector: its one-hot vector for k > 1 outputs (losses
other than cross_entropy), and [y] for one output (y is 0 or 1, a drawn y too).

A folder of variants (--count N): variant i is named variant_name(i, N), variant-000.yaml
... zero-padded to DIGITS digits, more only when N needs them; write_variants removes an
earlier run's variant files first (earlier_variants finds them, older names included).
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

from backprop_cli.errors import WriteError
from backprop_cli.problem import documents

INITS = ("uniform", "normal", "xavier", "he")
SEED_MAX = 2**32 - 1  # numpy.random.seed takes 0 to 2**32 - 1
DIGITS = 3  # variant numbers are zero-padded to at least this many digits
VARIANT_FILE = re.compile(r"variant-(\d+)\.(?:ya?ml|json)")  # this rule's names and older ones


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
    if y is None and loss == "upstream":  # y is ∂L/∂ŷ, a "dout": any real numbers
        y = _rounded(np.random.uniform(-1.0, 1.0, k), decimals)
    if y is None:
        y = int(np.random.randint(max(k, 2)))  # one output: class 0 or 1
    if isinstance(y, int) and loss != "cross_entropy":
        y = [y] if k == 1 else [1 if i == y else 0 for i in range(k)]  # one-hot
    doc = {}
    if title:
        doc["title"] = title
    doc.update({"x": list(x), "y": y, "loss": loss, "layers": layers,
                "optimizer": {"name": "sgd", "lr": 1.0}})
    return doc


def variant_name(i: int, count: int) -> str:
    """variant-000.yaml, variant-001.yaml, ...: at least DIGITS digits, more only when count
    needs them (variant-1000.yaml in a run of 1001), so a run's names sort in order."""
    return f"variant-{i:0{max(DIGITS, len(str(count - 1)))}d}.yaml"


def earlier_variants(folder: str) -> list[str]:
    """The variant files already in `folder`, in their order ([] when there is no folder)."""
    if not os.path.isdir(folder):
        return []
    try:
        names = [n for n in os.listdir(folder) if VARIANT_FILE.fullmatch(n)]
    except OSError as e:
        raise WriteError(folder, e) from None
    return sorted(names, key=lambda n: (int(VARIANT_FILE.fullmatch(n).group(1)), n))


def write_variants(folder: str, docs: list, old: list[str]) -> list[str]:
    """Each document into `folder` (made if need be) as YAML, after removing `old` (an
    earlier run's variant files); the names written."""
    try:
        os.makedirs(folder, exist_ok=True)
        for name in old:
            os.unlink(os.path.join(folder, name))
    except OSError as e:
        raise WriteError(e.filename or folder, e) from None
    names = [variant_name(i, len(docs)) for i in range(len(docs))]
    for name, doc in zip(names, docs, strict=True):
        documents.write_file(os.path.join(folder, name), doc, "yaml")
    return names
