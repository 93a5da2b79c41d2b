"""What wrong answers explain: `arithmetic`, for a wrong answer no slip gives back when the
answers that use it agree with it; and, for each carried answer, the slips and the paths
of the wrong answers it follows from.

What is carried flows down the graph as labels, ("slip", id) and ("from", path), each a
boolean per sheet: a class costs a few array operations per quantity, not a loop per
student.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

from backprop_cli.engine.grading.verdicts import CARRIED, MISSING, WRONG


def arithmetic(verdicts: dict, found: dict, items_of: dict, children: dict,
               order: list) -> dict:
    """found with `arithmetic` for each wrong answer no slip explains when every answer
    that uses it (the first answered along each path down the graph) is correct, carried,
    missing, or wrong by a known slip. Vectorised over the sheets: what is answered differs
    from sheet to sheet, so each path's reach is a boolean per sheet."""
    sheets = len(next(iter(verdicts.values()))) if verdicts else 0
    slipped = {k: np.fromiter(map(bool, v), bool, len(v)) for k, v in found.items()}
    answered = {n: np.any([verdicts[k] != MISSING for k in ks], axis=0)
                for n, ks in items_of.items()}
    good = {n: np.all([(verdicts[k] != WRONG) | slipped[k] for k in ks], axis=0)
            for n, ks in items_of.items()}
    parents: dict = {}
    for n, cs in children.items():
        for c in cs:
            parents.setdefault(c, []).append(n)
    out = {k: list(v) for k, v in found.items()}
    every: dict = {}  # key -> (S,) consistent after each node it answers (a quantity
    #                   answered at every step of a recurrent layer answers each step's)
    for node, keys in items_of.items():
        todo = {k: (verdicts[k] == WRONG) & ~slipped[k] for k in keys}
        if not any(t.any() for t in todo.values()):
            continue
        mine = {n for n, ks in items_of.items() if n != node and set(ks) & set(keys)}
        ok = _consistent_after(node, answered, good, children, parents, order, sheets, mine)
        for k in todo:
            every[k] = every.get(k, True) & ok
    for k, ok in every.items():
        for s in np.flatnonzero((verdicts[k] == WRONG) & ~slipped[k]):
            out[k][s] = ("arithmetic",) if ok[s] else ()
    return out


def _consistent_after(node, answered, good, children, parents, order, sheets, same=()):
    """(S,) whether the first answered quantities downstream of node are all good (same:
    nodes answered by the same answer, passed through)."""
    reach, after, ok = {}, order[order.index(node) + 1:], np.ones(sheets, dtype=bool)
    direct = set(children.get(node, ()))
    for m in after:
        r = np.full(sheets, m in direct)
        for p in parents.get(m, ()):
            if p in reach:  # through p when p is not answered (it stops the search)
                r = r | (reach[p] & ~answered[p] if p in answered and p not in same
                         else reach[p])
        reach[m] = r
        if m in answered and m not in same:
            ok &= ~(r & answered[m]) | good[m]
    return ok


def _or(table: dict, label, value) -> None:
    table[label] = table[label] | value if label in table else value


def carried(graph, inputs: dict, items_of: dict, verdicts: dict, diagnosis: dict,
            full: dict, keys: list, slip_order: dict) -> tuple[dict, dict]:
    """({key: [S tuples of slip ids]}, {key: [S tuples of paths]}): a wrong answer's
    diagnosis; a carried one's slips and sources, from the wrong answers it follows."""
    sheets = len(next(iter(verdicts.values())))
    passes, held = {}, {}
    for node in graph:
        incoming: dict = {}
        for i in inputs[node.name]:
            for label, value in passes.get(i, {}).items():
                _or(incoming, label, value)
        mine = {label: value & ~full[node.name] for label, value in incoming.items()}
        for k in items_of.get(node.name, ()):
            wrong = verdicts[k] == WRONG
            if wrong.any():
                _or(mine, ("from", k), wrong)
                named = [diagnosis[k][s] for s in np.flatnonzero(wrong)]
                for slip in set().union(*named):
                    _or(mine, ("slip", slip), np.fromiter(map(tuple.__contains__, diagnosis[k],
                                                              repeat(slip)), bool, sheets))
            carry = verdicts[k] == CARRIED
            if carry.any() and incoming:
                held[k] = {label: value & carry for label, value in incoming.items()}
                for label, value in held[k].items():
                    _or(mine, label, value)
        passes[node.name] = {label: value for label, value in mine.items() if value.any()}
    slips = {k: list(diagnosis[k]) for k in diagnosis}
    sources = {k: [()] * sheets for k in diagnosis}
    position = {k: i for i, k in enumerate(keys)}
    for k, labels in held.items():
        names = list(labels)
        rows = np.flatnonzero(verdicts[k] == CARRIED)
        table = np.array([labels[n][rows] for n in names])
        shown: dict = {}  # sheets that carry the same labels share their tuples
        for j, (s, key) in enumerate(zip(rows.tolist(), np.packbits(table, axis=0).T)):
            key = key.tobytes()
            if key not in shown:
                chosen = [names[i] for i in np.flatnonzero(table[:, j])]
                shown[key] = (tuple(sorted((x for kind, x in chosen if kind == "slip"),
                                           key=slip_order.get)),
                              tuple(sorted((x for kind, x in chosen if kind == "from"),
                                           key=position.get)))
            slips[k][s], sources[k][s] = shown[key]
    return slips, sources
