"""Verdicts and diagnoses, for every answered path of every sheet at once.

A number written with k decimals stands for anything within half a unit of its last
decimal, u = 0.5·10^-k (or atol + rtol·|given| when those are given). It is

    correct  within u (and u per unit of hidden rounding) of the exact value;
    carried  else within that, plus the slack of its inputs, of the value the person's own
             earlier numbers give: credit, the error was marked where it was made;
    wrong    otherwise; diagnosed by the slips whose world gives it back, else
             `arithmetic` when every answer that uses it is consistent with it (carry.py);
    missing  asked for and left blank.

A carried answer carries the slips (and the paths) of the wrong answers it follows from
(carry.py).
FLOOR, a relative 1e-9, keeps a full-precision number computed in another order of
operations from being wrong by its last bits.
"""

from __future__ import annotations

import numpy as np

VERDICTS = ("correct", "carried", "wrong", "missing", "unreadable")
# unreadable: what was written is no number; it is marked as blank, then labelled so (0 points)
CORRECT, CARRIED, WRONG, MISSING, UNREADABLE = range(5)
FLOOR = 1e-9


def half_units(given, decimals, rtol: float | None, atol: float | None):
    if rtol is None and atol is None:
        exponent = np.clip(np.asarray(decimals, dtype=np.float64), -300, 300)  # blanks too
        return 0.5 * 10.0 ** -exponent
    return (atol or 0.0) + (rtol or 0.0) * np.abs(given)


def within(given, ref, half, slack, hidden):
    """(S,) whether every entry of each sheet's answer is within tolerance of ref."""
    with np.errstate(all="ignore"):  # a person's 1e308 may overflow: it is just wrong
        tol = half * (1.0 + hidden) + slack + FLOOR * (np.abs(ref) + half)
        return (np.abs(given - ref) <= tol).all(axis=1)


def entries(table: dict, node: str, flat, sheets: int):
    """(S, m) entries `flat` of a node's per-sheet values."""
    return np.reshape(table[node], (sheets, -1))[:, flat]


def judge(item, given, half, exact, world, sheets: int, hidden: bool = True):
    """(verdict codes (S,), own values (S, m)) of one answered path. hidden: widen the
    tolerance by the rounding of steps not written down (not with --rtol/--atol)."""
    flat = item.flat.ravel()
    c = entries(world.center, item.node, flat, sheets)
    s = entries(world.slack, item.node, flat, sheets)
    h = entries(world.hidden, item.node, flat, sheets) * hidden
    e = np.ravel(exact[item.node])[flat]
    steady = np.where(np.isfinite(h), h, 0.0)  # garbage upstream must not hide a right number
    verdict = np.where(within(given, e, half, 0.0, steady), CORRECT,
                       np.where(within(given, c, half, s, h), CARRIED, WRONG))
    return np.where(np.isnan(given).all(axis=1), MISSING, verdict), c


def matches(item, given, half, world, sheets: int, hidden: bool = True):
    """(S,) whether a world gives back each sheet's answer."""
    flat = item.flat.ravel()
    if item.node not in world.center:  # not redone: the slip changes nothing here
        return np.zeros(sheets, dtype=bool)
    return within(given, entries(world.center, item.node, flat, sheets), half,
                  entries(world.slack, item.node, flat, sheets),
                  entries(world.hidden, item.node, flat, sheets) * hidden)
