"""Points: a quantity (forward.a1, gradients.W3, loss, update.parameters.W1, ...) is one
question however it is written, whole or entry by entry; its points are shared among the
entries asked, so the same work scores the same either way and a vector half right earns
half its points.

A quantity is worth 1 point, or what a scheme (`--scheme`, the problem's `grading:`)
lists for the most specific path that holds it: a listed entry path (gradients.W1.0.1)
takes its entries out of its quantity, with points of their own. The entries asked are
those the sheet gives (a blank one included) and all of every path the scheme lists or
--expect names.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.verdicts import CARRIED


def share(batch, marks, scheme=None) -> tuple[dict, np.ndarray]:
    """({key: (S, m) each entry's points where that sheet is asked it}, (S,) max score)."""
    listed = dict(scheme.points) if scheme is not None else {}
    default = scheme.default if scheme is not None else 1.0
    always = set(batch.listed) | set(listed)
    sheets = len(batch.students)
    by_node: dict = {}
    for it in batch.items:
        by_node.setdefault(it.node, []).append(it)
    weights, maxima = {}, np.zeros(sheets)
    for items in by_node.values():
        size = 1 + max(int(it.flat.max()) for it in items if it.flat.size)
        asked = np.zeros((sheets, size), dtype=bool)
        owner = np.full(size, None, dtype=object)  # the most specific listed path of each
        fewest = np.full(size, size + 1)
        for it in items:
            flat = it.flat.ravel()
            asked[:, flat] |= (batch.asked[it.key] | (it.key in always))[:, None]
            if it.key in listed:
                finer = fewest[flat] > flat.size
                owner[flat[finer]], fewest[flat[finer]] = it.key, flat.size
        w = np.zeros((sheets, size))
        for o in dict.fromkeys(owner.tolist()):
            mine = owner == o
            count = (asked & mine).sum(axis=1, keepdims=True)
            points = default if o is None else listed[o]
            w[:, mine] = np.where(asked[:, mine], points / np.maximum(count, 1), 0.0)
        maxima += earned(w, asked)
        for it in items:
            weights[it.key] = w[:, it.flat.ravel()]
    return weights, maxima


def scores(batch, weights: dict, marks) -> np.ndarray:
    """(S,) each sheet's score: the points of its entries that are correct or carried,
    each entry counted once (given twice, blank and written, it counts as written)."""
    total = np.zeros(len(batch.students))
    by_node: dict = {}
    for it in batch.items:
        by_node.setdefault(it.node, []).append(it)
    for items in by_node.values():
        size = 1 + max(int(it.flat.max()) for it in items if it.flat.size)
        w, gained = np.zeros((len(total), size)), np.zeros((len(total), size), dtype=bool)
        for it in items:
            flat = it.flat.ravel()
            w[:, flat] = np.maximum(w[:, flat], weights[it.key])
            gained[:, flat] |= marks.entries[it.key] <= CARRIED
        total += earned(w, gained)
    return total


def earned(w, passed) -> np.ndarray:
    """(S,) Σ w over the passed entries, as (P/n)·k per group of equal shares: a quantity
    whose every entry passed earns its points exactly (1, not 0.9999999999999999)."""
    out = np.zeros(w.shape[0])
    for u in np.unique(w[w > 0]):
        out += u * ((w == u) & passed).sum(axis=1)
    return out
