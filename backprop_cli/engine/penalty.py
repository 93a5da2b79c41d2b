"""L2 penalty on the dense weights (not biases, not gamma/beta), in the four forms courses
use. Each is c·Σ_l ΣW_l² with its own coefficient c(λ, N), N the batch size, and adds
2c·W_l to ∂L/∂W_l:

    lambda/2    λ/2·ΣW²     -> λW        (CS231n assignment 2; the default)
    lambda/2m   λ/(2N)·ΣW²  -> λW/N      (deeplearning.ai course 2)
    lambda      λ·ΣW²       -> 2λW       (CS231n assignment 1)
    lambda/m    λ/N·ΣW²     -> 2λW/N

The factor 2 is exact in float64, so 2c·W has the bits of the textbook gradients above.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Form:
    name: str
    coefficient: Callable[[float, int], float]  # (λ, N) -> c

    def value(self, weights, lam: float, N: int) -> float:
        """c·Σ_l ΣW_l² over the list of weight arrays."""
        total = sum(float(np.add.reduce((W * W).ravel())) for W in weights)
        return self.coefficient(lam, N) * total

    def grad(self, W: np.ndarray, lam: float, N: int) -> np.ndarray:
        """The penalty's part of ∂L/∂W, W's shape."""
        return (2.0 * self.coefficient(lam, N)) * W


FORMS = {form.name: form for form in (
    Form("lambda/2", lambda lam, N: lam / 2.0),
    Form("lambda/2m", lambda lam, N: lam / (2.0 * N)),
    Form("lambda", lambda lam, N: lam),
    Form("lambda/m", lambda lam, N: lam / N),
)}
DEFAULT = "lambda/2"
