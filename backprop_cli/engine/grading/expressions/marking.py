"""mark(): a batch of answer sheets against one graph exercise, as the network's marking
does it (engine/grading/marking.py, whose pieces this reuses): the person's world judges
what is carried, one world per variant of each slip diagnoses what is wrong, and carry.py
says what a carried answer follows from. Vectorised over the sheets.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading import carry
from backprop_cli.engine.grading import marking as network
from backprop_cli.engine.grading import verdicts as v
from backprop_cli.engine.grading.expressions.quantities import Quantities
from backprop_cli.engine.grading.marking import Marks
from backprop_cli.engine.grading.precision import DEFAULT as DEFAULT_PRECISION
from backprop_cli.engine.grading.worlds import evaluate, reads
from backprop_cli.engine.slips.expressions import SLIPS


def mark(q: Quantities, items, given: dict, decimals: dict, transposed: dict | None = None,
         precision=None) -> Marks:
    """given[key]: (S, m) the numbers written (nan: blank); decimals[key]: (S, m);
    transposed[key]: (S,) a matrix written the wrong way round (its numbers turned back);
    precision: a Precision or {key: Precision}."""
    graph, exact = q.nodes, q.exact
    sheets = next(iter(given.values())).shape[0] if given else 1
    prec = precision if isinstance(precision, dict) else \
        {it.key: precision or DEFAULT_PRECISION for it in items}
    answers = network.written_answers(graph, items, given, decimals, prec, sheets, exact)
    world = evaluate(graph, lambda n: (q.rules[n.name], False), answers)
    codes, own = {}, {}
    for it in items:
        codes[it.key], own[it.key] = v.judge(it, given[it.key], decimals[it.key],
                                             prec[it.key], exact, world, sheets)
    verdicts = {k: v.path_verdict(c) for k, c in codes.items()}
    world.slack.clear(), world.hidden.clear()  # judged: the diagnosis reads own, unc, weight
    found = _diagnose(q, items, given, decimals, prec, verdicts, world, answers)
    network.mark_transposed(items, transposed or {}, verdicts, codes, found)
    inputs = {n.name: reads(q.rules[n.name]) for n in graph}
    children, items_of = network.dependents(graph, inputs, items)
    full = {name: np.reshape(m, (sheets, -1)).all(axis=1) for name, m in answers.mask.items()}
    full = {n.name: full.get(n.name, np.zeros(sheets, dtype=bool)) for n in graph}
    found = carry.arithmetic(verdicts, found, items_of, children, [n.name for n in graph])
    order = {name: i for i, name in enumerate(SLIPS)}
    slips, sources = carry.carried(graph, inputs, items_of, verdicts, found, full,
                                   [it.key for it in items], order)
    network.rounded_work(verdicts, codes, sources)
    exact_entries = {it.key: np.ravel(exact[it.node])[it.flat.ravel()] for it in items}
    return Marks(verdicts, codes, exact_entries, own, slips, sources, world.own, world.center,
                 inputs, {it.key: it.node for it in items})


def _diagnose(q, items, given, decimals, prec, verdicts, base, answers) -> dict:
    """{key: [S tuples of slip ids]}: the slips whose world gives back every entry the
    sheet wrote of a wrong answer's quantity, each world computed for the sheets with a
    wrong answer it could change."""
    found = {it.key: [()] * answers.sheets for it in items}
    wrong = [it for it in items if (verdicts[it.key] == v.WRONG).any()]
    if not wrong:
        return found
    groups = network.by_node(items, given, decimals, prec)
    full = {name: np.reshape(m, (answers.sheets, -1)).all(axis=1)
            for name, m in answers.mask.items()}
    for slip in SLIPS.values():
        for variant in slip.variants(q):
            rules = {n.name: (variant[n.name], True) if n.name in variant else
                     (q.rules[n.name], False) for n in q.nodes}
            reach = network.slipped_reach(q.nodes, rules, full, answers.sheets)
            mine = [it for it in wrong if it.node in reach]
            can = {it.key: (verdicts[it.key] == v.WRONG) & reach[it.node] for it in mine}
            rows = np.flatnonzero(np.any(list(can.values()), axis=0)) if mine else ()
            if not len(rows):
                continue
            world = evaluate(q.nodes, lambda n, r=rules: r[n.name], answers.take(rows), base,
                             rows)
            held: dict = {}
            asked = {it.node for it in mine}
            for it, g, d, p, half in groups:
                if it.node in asked:
                    hit = v.matches(it, g[rows], d[rows], p, world, len(rows), half[rows])
                    held[it.node] = held.get(it.node, True) & (hit | np.isnan(g[rows])).all(
                        axis=1)
            for it in mine:
                for s in rows[held[it.node] & (verdicts[it.key][rows] == v.WRONG)]:
                    found[it.key][s] += (slip.id,) if slip.id not in found[it.key][s] else ()
    return found
