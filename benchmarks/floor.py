"""The floor under any numpy engine: a training step's matrix products alone, in numpy,
the same shapes, into preallocated buffers.

    python floor.py PROBLEM.json STEPS      (goal 2 with --threads 1 times it as a child)

Per dense layer: forward h W^T; backward dA^T h (dW) and dA W (dL/dh of the layer below),
but no dL/dx, which neither side's training computes. A batch norm or dropout layer keeps
its input's width and adds no product. numpy only, so the child loads the same BLAS as
ours and nothing else.
"""

from __future__ import annotations

import json
import sys

import numpy as np


def products(doc: dict):
    """A function that runs one step's products, for a problem document (x, dense layers'
    weights)."""
    x = np.atleast_2d(np.asarray(doc["x"], dtype=np.float64))
    weights = [np.asarray(layer["weights"], dtype=np.float64)
               for layer in doc["layers"] if "weights" in layer]
    h = [x] + [np.empty((x.shape[0], w.shape[0])) for w in weights]  # each dense's output
    dh = [np.empty_like(a) for a in h]
    dw = [np.empty_like(w) for w in weights]

    def step() -> None:
        for l, w in enumerate(weights):
            np.matmul(h[l], w.T, out=h[l + 1])
        for l in range(len(weights) - 1, -1, -1):
            np.matmul(h[l + 1].T, h[l], out=dw[l])  # stands in for dA^T h
            if l:
                np.matmul(h[l + 1], weights[l], out=dh[l])  # dA W
    return step


def main(path: str, steps: int) -> None:
    with open(path, encoding="utf-8") as f:
        step = products(json.load(f))
    for _ in range(steps):
        step()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
