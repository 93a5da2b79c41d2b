"""Textbook rounding (`solve --round K`): every value rounded as people round by hand."""

from __future__ import annotations

import math

import numpy as np


def round_half_away(decimals: int):
    """Rounding as people do it by hand: to `decimals` places of the printed decimal value,
    halves away from zero (2.675 -> 2.68, though the float is a hair below 2.675)."""
    from decimal import ROUND_HALF_UP, Context, Decimal  # only for --round

    quantum = Decimal(1).scaleb(-decimals)
    context = Context(prec=400)  # room for any float's integer digits plus the decimals

    def one(v: float) -> float:
        if not math.isfinite(v):
            return v
        exact = Decimal(repr(v)).quantize(quantum, rounding=ROUND_HALF_UP, context=context)
        return float(exact) + 0.0  # + 0.0: a rounded -0.0 is 0.0

    def rnd(value):
        if isinstance(value, np.ndarray):
            return np.array([one(v) for v in value.ravel().tolist()]).reshape(value.shape)
        return one(value)

    return rnd
