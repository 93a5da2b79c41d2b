"""Seeded problem files for `backprop new`: numpy only, returns plain documents.

Draw order (so seeds reproduce printed exercises): numpy.random.seed(S), then W1, b1, W2,
b2, ... row-major (a norm layer's gamma and beta, a dropout mask, where the layer comes),
then x and y where they are not given. `decimals` rounds each drawn
number with Python's round, as printing to that many decimals does. Seeds are numpy's:
0 to SEED_MAX.

A class index y becomes the target vector: its one-hot vector for k > 1 outputs (losses
other than cross_entropy), and [y] for one output (y is 0 or 1, a drawn y too).

An image input (sizes[0] a (H, W) or (C, H, W) tuple) with the map kinds (conv2d, maxpool2d,
avgpool2d, flatten) is a CNN exercise, drawn by problem/cnn.py (its draw order there); an
embedding or a recurrent kind (rnn, lstm, gru) a sequence exercise, by
problem/rnn_exercises.py.

A folder of variants (--count N): variant i is named variant_name(i, N), variant-000.yaml
... zero-padded to DIGITS digits, more only when N needs them; write_variants removes an
earlier run's variant files first (earlier_variants finds them, older names included).
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.errors import WriteError
from backprop_cli.problem import documents

INITS = ("uniform", "normal", "xavier", "he")
SEED_MAX = 2**32 - 1  # numpy.random.seed takes 0 to 2**32 - 1
DIGITS = 3  # variant numbers are zero-padded to at least this many digits
VARIANT_FILE = re.compile(r"variant-(\d+)\.(?:ya?ml|json)")  # this rule's names and older ones


def kind_of(size) -> str | None:
    """The kind a --layers entry names (a name, or (name, settings) with pinned settings),
    None for a width."""
    name = size[0] if isinstance(size, tuple) and isinstance(size[0], str) else size
    return name if isinstance(name, str) else None


def default_activations(depth: int, loss: str, sizes=()) -> list[str]:
    """Sigmoid hidden layers (a kind of sizes[1:]: none, identity; conv2d: relu; a
    recurrent one: tanh), the loss's output."""
    output = "softmax" if loss == "cross_entropy" else "sigmoid"
    own = {"conv2d": "relu", "rnn": "tanh", "lstm": "tanh", "gru": "tanh"}
    hidden = [own.get(kind_of(s), "identity") if kind_of(s) else "sigmoid"
              for s in list(sizes[1:])[:depth - 1]]
    return hidden + ["sigmoid"] * (depth - 1 - len(hidden)) + [output]


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


# what --layers may name besides a width, with the settings it may pin (conv2d:size=3)
KINDS = {"batchnorm": (), "layernorm": (), "dropout": (),
         "conv2d": ("kernels", "size", "stride", "padding"), "maxpool2d": ("size", "stride"),
         "avgpool2d": ("size", "stride"), "flatten": (),
         "embedding": ("vocab", "size"), "rnn": ("hidden", "output"),
         "lstm": ("hidden", "output", "gates"),
         "gru": ("hidden", "output", "gates", "form", "update")}
MAPS = ("conv2d", "maxpool2d", "avgpool2d", "flatten")  # an image input's kinds: a CNN


def is_sequence(sizes: list) -> bool:
    """Whether --layers names an embedding or a recurrent kind: a sequence exercise."""
    return any(kind_of(s) in SEQUENCES for s in sizes[1:])


def problem(sizes: list, activations: list[str], loss: str, seed: int,
            decimals: int | None = None, init: str = "uniform", x=None, y=None,
            title: str | None = None, batch: int | None = None) -> dict:
    """A problem document. sizes: the input's width, then a width per dense layer or a
    kind's name (batchnorm, layernorm, dropout: the width it is given). batch: N samples
    (x a list of rows), else one. xavier and he draw weights only: their biases start at 0.
    A norm layer's gamma is drawn from [0.5, 1.5) and beta from [-0.5, 0.5), a dropout
    mask keeps each unit with probability 1/2 (p 0.5), each where its layer comes. An image
    input or a map kind: a CNN exercise (problem/cnn.py); an embedding or a recurrent kind:
    a sequence exercise (problem/rnn_exercises.py)."""
    if is_sequence(sizes):
        from backprop_cli.problem import rnn_exercises

        return rnn_exercises.problem(sizes, activations, loss, seed, decimals, x, y, title,
                                     batch)
    if isinstance(sizes[0], tuple) or any(kind_of(s) in MAPS for s in sizes[1:]):
        from backprop_cli.problem import cnn

        return cnn.problem(sizes, activations, loss, seed, decimals, x, y, title, batch)
    np.random.seed(seed)
    layers, n, N = [], sizes[0], batch or 1
    for size, activation in zip(sizes[1:], activations):
        if size in KINDS:
            layers.append(kind_layer(size, n, N, batch is not None, activation, decimals))
            continue
        W = _draw((size, n), init, n, size)
        b = np.zeros(size) if init in ("xavier", "he") else _draw((size,), init, n, size)
        layers.append({"weights": _rounded(W, decimals), "bias": _rounded(b, decimals),
                       "activation": activation})
        n = size
    if x is None:
        x = _rounded(np.random.rand(*((N, sizes[0]) if batch else (sizes[0],))), decimals)
    if y is None:
        y = targets(loss, n, batch, decimals)
    return document(title, x, y, loss, layers, n)


def document(title: str | None, x, y, loss: str, layers: list, k: int) -> dict:
    """The problem document: a class index y as the loss needs it (k outputs)."""
    if isinstance(y, int) and loss != "cross_entropy":
        y = [y] if k == 1 else [1 if i == y else 0 for i in range(k)]  # one-hot
    doc = {}
    if title:
        doc["title"] = title
    doc.update({"x": list(x), "y": y, "loss": loss, "layers": layers,
                "optimizer": {"name": "sgd", "lr": 1.0}})
    return doc


def kind_layer(kind: str, n: int, N: int, batched: bool, activation: str, decimals):
    if kind == "dropout":
        mask = (np.random.rand(N, n) >= 0.5).astype(int)
        return {"kind": kind, "p": 0.5, "mask": mask.tolist() if batched else mask[0].tolist(),
                "activation": activation}
    return {"kind": kind, "gamma": _rounded(np.random.uniform(0.5, 1.5, n), decimals),
            "beta": _rounded(np.random.uniform(-0.5, 0.5, n), decimals),
            "activation": activation}


def targets(loss: str, k: int, batch: int | None, decimals):
    """Drawn targets: a class index per sample (one-hot rows for losses other than
    cross_entropy), or for upstream y = ∂L/∂ŷ (a "dout"), real numbers in [-1, 1)."""
    if loss == "upstream":
        return _rounded(np.random.uniform(-1.0, 1.0, (batch, k) if batch else k), decimals)
    if batch is None:
        return int(np.random.randint(max(k, 2)))  # one output: class 0 or 1
    classes = np.random.randint(max(k, 2), size=batch).tolist()
    if loss == "cross_entropy":
        return classes
    return [[c] if k == 1 else [1 if i == c else 0 for i in range(k)] for c in classes]


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
