"""Verdicts and diagnoses, for every answered entry of every sheet at once.

A number g is judged against a reference r (the exact value, or the person's own) with

    tol = min(p(r), ½·10^-k)    p: the exercise's precision (precision.py); with decimal
                                places or significant figures also half a unit of the
                                last of the k decimals g is written with
    |g − r| ≤ tol·(1 + hidden) + slack

where hidden counts the rounding of steps not written down (decimals and significant
figures only), and slack is what the rounding of the person's written inputs can move the
value (each input known to the finer of its written digits and the exercise's precision).
It is

    correct  within that (no slack) of the exact value; or carried, below, from written
             numbers that are all right: the rounding of a chain of steps (marking.py);
    carried  else within that of the value the person's own earlier numbers give: credit,
             the error was marked where it was made;
    wrong    otherwise; diagnosed by the slips whose world gives it back, else
             `arithmetic` when every answer that uses it is consistent with it (carry.py);
    missing  asked for and left blank;  unreadable  not a number (set after marking).

With --rtol/--atol the tolerance is atol + rtol·|r| alone: no digits, no hidden steps.
FLOOR, a relative 1e-9, keeps a full-precision number computed in another order of
operations from being wrong by its last bits; for a sum, relative to the size of its
terms (Σ a_l of a batch norm is 0 up to the rounding of its entries, whatever σ² is).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.precision import written_half

VERDICTS = ("correct", "carried", "wrong", "missing", "unreadable")
# unreadable: what was written is no number; it is marked as blank, then labelled so (0 points)
CORRECT, CARRIED, WRONG, MISSING, UNREADABLE = range(5)
FLOOR = 1e-9


def known_to(precision, given, decimals):
    """How well a written number is known, as an input of later ones: the finer of its
    digits and the exercise's precision (writing 2 for 2.0123 does not make it vaguer)."""
    return precision.written(given, decimals) if precision.digits else \
        precision.tolerance(given)


def within(given, ref, precision, decimals, slack, hidden, half=None):
    """(S, m) whether each entry of each sheet's answer is within tolerance of ref (half:
    the written digits' half-units, where the caller has them)."""
    with np.errstate(all="ignore"):  # a person's 1e308 may overflow: it is just wrong
        if precision.digits:
            tol = precision.written(ref, decimals, half) * (1.0 + hidden)
        else:
            tol = precision.tolerance(ref)
        tol = tol + slack + FLOOR * (np.abs(ref) + tol)
        return np.abs(given - ref) <= tol


def entries(table: dict, node: str, flat, sheets: int):
    """(S, m) entries `flat` of a node's per-sheet values."""
    return np.reshape(table[node], (sheets, -1))[:, flat]


def judge(item, given, decimals, precision, exact, world, sheets: int, noise=0.0):
    """(verdict codes (S, m) per entry, own values (S, m)) of one answered path; noise: how
    far the exact value itself is from exact, its terms' rounding (a sum's), taken as
    slack of the exact comparison."""
    flat = item.flat.ravel()
    c = entries(world.center, item.node, flat, sheets)
    s = entries(world.slack, item.node, flat, sheets)
    h = entries(world.hidden, item.node, flat, sheets) if precision.digits else 0.0
    e = np.ravel(exact[item.node])[flat]
    steady = np.where(np.isfinite(h), h, 0.0)  # garbage upstream must not hide a right number
    half = written_half(decimals)
    verdict = np.where(within(given, e, precision, decimals, noise, steady, half), CORRECT,
                       np.where(within(given, c, precision, decimals, s, h, half), CARRIED,
                                WRONG))
    return np.where(np.isnan(given), MISSING, verdict), c


def path_verdict(codes):
    """(S,) one verdict per path from its entries': missing when blank, wrong when any
    entry is, carried when any is, else correct."""
    blank = (codes == MISSING).all(axis=1)
    worst = np.where((codes == WRONG).any(axis=1), WRONG,
                     np.where((codes == CARRIED).any(axis=1), CARRIED, CORRECT))
    return np.where(blank, MISSING, worst)


def matches(item, given, decimals, precision, world, sheets: int, half=None):
    """(S, m) whether a world gives back each entry of each sheet's answer."""
    flat = item.flat.ravel()
    if item.node not in world.center:  # not redone: the slip changes nothing here
        return np.zeros(given.shape, dtype=bool)
    h = entries(world.hidden, item.node, flat, sheets) if precision.digits else 0.0
    return within(given, entries(world.center, item.node, flat, sheets), precision, decimals,
                  entries(world.slack, item.node, flat, sheets), h, half)
