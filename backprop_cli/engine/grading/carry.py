"""What wrong answers explain: `arithmetic`, for a wrong answer no slip gives back when the
answers that use it agree with it; and, for each carried answer, the slips and the paths
of the wrong answers it follows from.

What is carried flows down the graph as labels, ("slip", id) and ("from", path), each a
boolean per sheet: a class costs a few array operations per quantity, not a loop per
student.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.verdicts import CARRIED, CORRECT, MISSING, WRONG


def first_answered(node: str, children: dict, answered) -> set:
    """The answered nodes downstream of `node`, through unanswered ones."""
    found, todo, seen = set(), list(children.get(node, ())), set()
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        if n in answered:
            found.add(n)
        else:
            todo += children.get(n, ())
    return found


def arithmetic(verdicts: dict, found: dict, items_of: dict, children: dict) -> dict:
    """found with `arithmetic` for each wrong answer no slip explains when every answer
    that uses it (first along each path) is correct, carried, or wrong by a known slip."""
    codes = {k: c.tolist() for k, c in verdicts.items()}
    out = {k: list(v) for k, v in found.items()}
    for node, keys in items_of.items():
        for k in keys:
            for s in np.flatnonzero(verdicts[k] == WRONG):
                if found[k][s]:
                    continue
                answered = {n for n, ks in items_of.items()
                            if any(codes[j][s] != MISSING for j in ks)}
                after = [(codes[j][s], found[j][s]) for m in
                         first_answered(node, children, answered) for j in items_of[m]]
                ok = all(c in (CORRECT, CARRIED, MISSING) or (c == WRONG and bool(d))
                         for c, d in after)
                out[k][s] = ("arithmetic",) if ok else ()
    return out


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
                for slip in {x for s in np.flatnonzero(wrong) for x in diagnosis[k][s]}:
                    _or(mine, ("slip", slip), np.array([slip in d for d in diagnosis[k]]))
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
