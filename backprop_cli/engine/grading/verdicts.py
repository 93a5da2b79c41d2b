"""Verdicts and diagnoses, for every answered path of every sheet at once.

A number written with k decimals stands for anything within half a unit of its last
decimal, u = 0.5·10^-k (or atol + rtol·|given| when those are given). It is

    correct  within u (and u per unit of hidden rounding) of the exact value;
    carried  else within that, plus the slack of its inputs, of the value the person's own
             earlier numbers give: credit, the error was marked where it was made;
    wrong    otherwise; diagnosed by the slips whose world gives it back, else
             `arithmetic` when every answer that uses it is consistent with it;
    missing  asked for and left blank.

A carried answer carries the slips (and the paths) of the wrong answers it follows from.
FLOOR, a relative 1e-9, keeps a full-precision number computed in another order of
operations from being wrong by its last bits.
"""

from __future__ import annotations

import numpy as np

VERDICTS = ("correct", "carried", "wrong", "missing")
CORRECT, CARRIED, WRONG, MISSING = range(4)
FLOOR = 1e-9


def half_units(given, decimals, rtol: float | None, atol: float | None):
    if rtol is None and atol is None:
        return 0.5 * 10.0 ** (-np.asarray(decimals, dtype=np.float64))
    return (atol or 0.0) + (rtol or 0.0) * np.abs(given)


def within(given, ref, half, slack, hidden):
    """(S,) whether every entry of each sheet's answer is within tolerance of ref."""
    with np.errstate(invalid="ignore"):
        tol = half * (1.0 + hidden) + slack + FLOOR * (np.abs(ref) + half)
        return (np.abs(given - ref) <= tol).all(axis=1)


def entries(table: dict, node: str, flat, sheets: int):
    """(S, m) entries `flat` of a node's per-sheet values."""
    return np.reshape(table[node], (sheets, -1))[:, flat]


def judge(item, given, half, exact, world, sheets: int):
    """(verdict codes (S,), own values (S, m)) of one answered path."""
    flat = item.flat.ravel()
    c = entries(world.center, item.node, flat, sheets)
    s = entries(world.slack, item.node, flat, sheets)
    h = entries(world.hidden, item.node, flat, sheets)
    e = np.ravel(exact[item.node])[flat]
    steady = np.where(np.isfinite(h), h, 0.0)  # garbage upstream must not hide a right number
    verdict = np.where(within(given, e, half, 0.0, steady), CORRECT,
                       np.where(within(given, c, half, s, h), CARRIED, WRONG))
    return np.where(np.isnan(given).all(axis=1), MISSING, verdict), c


def matches(item, given, half, world, sheets: int):
    """(S,) whether a world gives back each sheet's answer."""
    flat = item.flat.ravel()
    if item.node not in world.center:  # not redone: the slip changes nothing here
        return np.zeros(sheets, dtype=bool)
    return within(given, entries(world.center, item.node, flat, sheets), half,
                  entries(world.slack, item.node, flat, sheets),
                  entries(world.hidden, item.node, flat, sheets))


# ------------------------------------------------------- arithmetic and what is carried


def consistent(verdict: int, slips: tuple) -> bool:
    """An answer that agrees with the numbers it was computed from (or a known slip)."""
    return verdict in (CORRECT, CARRIED) or (verdict == WRONG and bool(slips))


def first_answered(node: str, children: dict, answered: set) -> set:
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


def explain_sheet(s: int, graph, inputs: dict, children: dict, items_of: dict, verdicts: dict,
                  slips: dict, full: dict, answered: set, carry: bool) -> dict:
    """Sheet s (answered: the nodes it gives): arithmetic where it applies, then, if it has
    carried answers, what each carries: {key: (slips, from)}. slips[key][s] holds the
    catalogue's diagnosis of wrong answers."""
    diagnosis = {}
    for n in answered:
        for k in items_of[n]:
            if verdicts[k][s] == WRONG and not slips[k][s]:
                after = [(verdicts[j][s], slips[j][s]) for m in
                         first_answered(n, children, answered) for j in items_of[m]
                         if verdicts[j][s] != MISSING]
                ok = all(consistent(v, d) for v, d in after)
                diagnosis[k] = ("arithmetic",) if ok else ()
    if not carry:
        return {k: (slips[k][s] or diagnosis.get(k, ()), ()) for n in answered
                for k in items_of[n] if verdicts[k][s] == WRONG}
    return _carry(s, graph, inputs, items_of, verdicts, slips, diagnosis, full)


def _carry(s, graph, inputs, items_of, verdicts, slips, diagnosis, full):
    empty = (frozenset(), frozenset())
    passes, out = {}, {}
    for node in graph:
        got = [passes[i] for i in inputs[node.name] if i in passes]
        carried = (frozenset().union(*(g[0] for g in got)),
                   frozenset().union(*(g[1] for g in got))) if got else empty
        mine = [] if full[node.name][s] or not got else [carried]
        for k in items_of.get(node.name, ()):
            v = verdicts[k][s]
            if v == WRONG:
                d = slips[k][s] or diagnosis.get(k, ())
                out[k] = (d, ())
                mine.append((frozenset(d), frozenset([k])))
            elif v == CARRIED:
                out[k] = (tuple(carried[0]), tuple(carried[1]))
                if got:
                    mine.append(carried)
        if mine:  # only what carries something is kept: most quantities carry nothing
            passes[node.name] = (frozenset().union(*(m[0] for m in mine)),
                                 frozenset().union(*(m[1] for m in mine)))
    return out
