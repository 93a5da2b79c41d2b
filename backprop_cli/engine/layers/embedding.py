"""An embedding (torch.nn.Embedding): each token index of x picks its row of the table.

Shapes: x (N, T) indices (held as float64 whole numbers); E (V, D); out (N, T·D), the
rows of a sequence of T vectors. Backward: ∂L/∂E row v is the sum of ∂L/∂out over every
place token v appears (a scatter-add); indices have no gradient (dx None)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.layers import Kind


@dataclass(frozen=True)
class EmbeddingSpec:
    steps: int  # T
    vocabulary: int  # V
    width: int  # D
    owned: tuple[str, ...] = ("E",)

    @property
    def units(self) -> int:
        return self.steps * self.width

    @property
    def out(self) -> tuple[int, int]:
        return (self.steps, self.width)


def forward(x, p, spec, r=None):
    """x (N, T) -> (out (N, T·D), {"_idx"})."""
    idx = x.astype(np.intp)
    return p["E"][idx].reshape(x.shape[0], -1), {"_idx": idx}


def backward(dout, cache, p, spec, r=None):
    """dout (N, T·D) -> (None, {"E": (V, D)}, {}): no gradient reaches the indices."""
    dE = np.zeros_like(p["E"])
    np.add.at(dE, cache["_idx"].ravel(), dout.reshape(-1, dE.shape[1]))
    return None, {"E": dE if r is None else r(dE)}, {}


KIND = Kind("embedding", ("E",), forward, backward, None)
