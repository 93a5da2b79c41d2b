"""mark(): a batch of answer sheets against one problem.

The exact values come from the engine's own solution, computed once. The person's world
(every quantity from their own answers) judges what is carried; one world per variant of
each slip, each redoing only what the slip changes, diagnoses what is wrong. Everything is
vectorised over the sheets: a class of a thousand costs about what one sheet does.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from backprop_cli.engine import slips as catalogue
from backprop_cli.engine.grading import carry
from backprop_cli.engine.grading import verdicts as v
from backprop_cli.engine.grading.defaults import DEFAULT
from backprop_cli.engine.grading.graph import exact_values as exact_of
from backprop_cli.engine.grading.graph import nodes
from backprop_cli.engine.grading.precision import DEFAULT as DEFAULT_PRECISION
from backprop_cli.engine.grading.precision import written_half
from backprop_cli.engine.grading.worlds import Answers, evaluate, reads
from backprop_cli.engine.model import Inputs, Solution

# A world for more than this share of a block's sheets is computed for all of them: the
# copies of their rows would cost more memory and time than the sheets it leaves out.
WHOLE = 0.75


@dataclass(frozen=True)
class Item:
    """One answered path: the node it answers and, in the answer's shape, the flat indices
    of the node's entries it gives."""
    key: str
    node: str
    flat: np.ndarray


@dataclass(frozen=True)
class Marks:
    verdicts: dict  # key -> (S,) codes into verdicts.VERDICTS
    entries: dict  # key -> (S, m) each entry's code: what its points are shared by
    exact: dict  # key -> (m,) the exact entries
    own: dict  # key -> (S, m) what the person's own earlier answers give
    slips: dict  # key -> [S tuples of slip ids]: the diagnosis, or what a carried one carries
    sources: dict  # key -> [S tuples of keys]: the wrong answers a carried one follows from
    values: dict  # node -> (S, *shape): the person's own values (written, else computed)
    centers: dict  # node -> (S, *shape): what the own values of its inputs give
    inputs: dict  # node -> the nodes its rule reads
    nodes: dict  # key -> the node it answers


def mark(ctx: Inputs, solution: Solution, items, given: dict, decimals: dict,
         transposed: dict | None = None, precision=None) -> Marks:
    """given[key]: (S, m) the numbers written (nan: blank); decimals[key]: (S, m) their
    decimals; transposed[key]: (S,) true where a matrix was written transposed (its
    numbers are given the right way round); precision: a Precision, or {key: Precision}
    (default: precision.DEFAULT)."""
    graph = nodes(ctx)
    sheets = next(iter(given.values())).shape[0] if given else 1
    exact = exact_of(ctx, solution, graph)
    prec = precision if isinstance(precision, dict) else \
        {it.key: precision or DEFAULT_PRECISION for it in items}
    answers = written_answers(graph, items, given, decimals, prec, sheets, exact)
    sinks = _after(graph, {name: _sheets_giving(items, given, name) for name in AFTER})
    world = evaluate(graph, lambda n: (DEFAULT[n.kind](ctx, n), False), answers, sinks=sinks)
    codes, own = {}, {}
    for it in items:
        codes[it.key], own[it.key] = v.judge(it, given[it.key], decimals[it.key],
                                             prec[it.key], exact, world, sheets,
                                             _noise(exact, it.node))
    verdicts = {k: v.path_verdict(c) for k, c in codes.items()}
    world.slack.clear(), world.hidden.clear()  # judged: the diagnosis reads own, unc, weight
    found = _diagnose(ctx, graph, items, given, decimals, prec, verdicts, world, answers)
    mark_transposed(items, transposed or {}, verdicts, codes, found)
    inputs = {n.name: reads(DEFAULT[n.kind](ctx, n)) for n in graph}
    children, items_of = dependents(graph, inputs, items)
    for n in graph:  # a step answers for the quantity of every step it is part of
        if n.of and n.of[0] in items_of:
            items_of.setdefault(n.name, []).extend(items_of[n.of[0]])
    full = {name: np.reshape(m, (sheets, -1)).all(axis=1) for name, m in answers.mask.items()}
    full = {n.name: full.get(n.name, np.zeros(sheets, dtype=bool)) for n in graph}
    found = carry.arithmetic(verdicts, found, items_of, children, [n.name for n in graph])
    order = {name: i for i, name in enumerate(catalogue.SLIPS)}
    slips, sources = carry.carried(graph, inputs, items_of, verdicts, found, full,
                                   [it.key for it in items], order)
    rounded_work(verdicts, codes, sources)
    exact_entries = {it.key: np.ravel(exact[it.node])[it.flat.ravel()] for it in items}
    return Marks(verdicts, codes, exact_entries, own, slips, sources, world.own, world.center,
                 inputs, {it.key: it.node for it in items})


def _noise(exact: dict, node: str) -> float:
    """A sum's own rounding: FLOOR relative to its terms, whatever they cancel to."""
    if not node.startswith("sum:"):
        return 0.0
    return v.FLOOR * float(np.abs(exact[node[4:]]).sum())


def joined(parts: list) -> Marks:
    """The Marks of blocks of sheets marked one after another, as one (sheets are marked
    independently: the same marks as all at once)."""
    first = parts[0]
    if len(parts) == 1:
        return first

    def stacked(name: str) -> dict:
        return {k: np.concatenate([getattr(p, name)[k] for p in parts])
                for k in getattr(first, name)}

    def listed(name: str) -> dict:
        return {k: list(chain.from_iterable(getattr(p, name)[k] for p in parts))
                for k in getattr(first, name)}

    return Marks(stacked("verdicts"), stacked("entries"), first.exact, stacked("own"),
                 listed("slips"), listed("sources"), stacked("values"), stacked("centers"),
                 first.inputs, first.nodes)


def dependents(graph, inputs: dict, items) -> tuple[dict, dict]:
    """(node -> the nodes that read it, node -> the keys of the answers to it); inputs:
    node -> the nodes its rule reads."""
    children: dict = {}
    for n in graph:
        for i in inputs[n.name]:
            children.setdefault(i, []).append(n.name)
    items_of: dict = {}
    for it in items:
        items_of.setdefault(it.node, []).append(it.key)
    return children, items_of


def rounded_work(verdicts: dict, codes: dict, sources: dict) -> None:
    """Right for the person's own numbers when every number they wrote before it is right:
    the rounding of a long chain of written steps, correct work, not an error carried."""
    for k, found in sources.items():
        clean = ~np.fromiter(map(bool, found), bool, len(found))
        codes[k][(codes[k] == v.CARRIED) & clean[:, None]] = v.CORRECT
        verdicts[k] = v.path_verdict(codes[k])


def written_answers(graph, items, given, decimals, prec, sheets, exact) -> Answers:
    """What each sheet wrote, per node. A wrong answer of zeros is no work to follow:
    what comes after it is judged as if it were blank (else a sheet of zeros would be
    carried through every gradient after its first, since 0 times anything is 0)."""
    shapes = {n.name: n.shape for n in graph}
    mask, value, unc = {}, {}, {}
    for it in items:
        if it.node not in mask:
            size = int(np.prod(shapes[it.node]))
            mask[it.node] = np.zeros((sheets, size), dtype=bool)
            value[it.node] = np.zeros((sheets, size))
            unc[it.node] = np.zeros((sheets, size))
        flat, g = it.flat.ravel(), given[it.key]
        e = np.ravel(exact[it.node])[flat]
        nothing = (g == 0).all(axis=1) & ~(np.abs(e) <= prec[it.key].tolerance(e)).all()
        written = ~np.isnan(g) & ~nothing[:, None]
        mask[it.node][:, flat] = written
        value[it.node][:, flat] = np.where(written, g, 0.0)
        known = v.known_to(prec[it.key], g, decimals[it.key])
        unc[it.node][:, flat] = np.where(written, known, 0.0)
    for n in graph:  # a step of a quantity answered over every step: its entries
        if n.of and n.of[0] in mask:
            whole, T, t, lo, hi = n.of
            for table in (mask, value, unc):
                part = table[whole].reshape(sheets, n.shape[0], T, -1)[:, :, t, lo:hi]
                table[n.name] = part.reshape(sheets, -1)
    shaped = {name: (sheets,) + shapes[name] for name in mask}
    return Answers(sheets, *({k: a.reshape(shaped[k]) for k, a in t.items()}
                             for t in (mask, value, unc)))


def _diagnose(ctx, graph, items, given, decimals, prec, verdicts, base, answers) -> dict:
    """{key: [S tuples of slip ids]} for the wrong answers: the slips whose world gives
    back every entry the sheet wrote of that quantity (a quantity is one question, however
    it was written). Each world is computed for the sheets with a wrong answer it could
    explain: one its slip changes, directly or through numbers the sheet did not write."""
    found = {it.key: [()] * answers.sheets for it in items}
    wrong = [it for it in items if (verdicts[it.key] == v.WRONG).any()]
    groups = by_node(items, given, decimals, prec)
    full = {name: np.reshape(m, (answers.sheets, -1)).all(axis=1)
            for name, m in answers.mask.items()}
    for slip in catalogue.SLIPS.values():
        for variant in slip.variants(ctx):
            rules = {n.name: _rule(ctx, variant, n) for n in graph}
            reach = slipped_reach(graph, rules, full, answers.sheets)
            mine = [it for it in wrong if it.node in reach]
            can = {it.key: (verdicts[it.key] == v.WRONG) & reach[it.node] for it in mine}
            rows = np.flatnonzero(np.any(list(can.values()), axis=0)) if mine else ()
            if not len(rows):
                continue
            whole = len(rows) > WHOLE * answers.sheets  # then every sheet: no copies of rows
            rows = np.arange(answers.sheets) if whole else rows
            sinks = _after(graph, {name: _wrong_at(mine, can, rows, name) for name in AFTER})
            world = evaluate(graph, lambda n, r=rules: r[n.name],
                             answers if whole else answers.take(rows), base,
                             None if whole else rows, sinks)  # loss' only where it is wrong
            held: dict = {}  # node -> (rows,) every written entry of it given back
            asked = {it.node for it in mine}
            for it, g, d, p, half in groups:
                if it.node in asked:
                    if not whole:
                        g, d, half = g[rows], d[rows], half[rows]
                    hit = v.matches(it, g, d, p, world, len(rows), half)
                    held[it.node] = held.get(it.node, True) & (hit | np.isnan(g)).all(axis=1)
            for it in mine:
                for s in rows[held[it.node] & (verdicts[it.key][rows] == v.WRONG)]:
                    found[it.key][s] += (slip.id,) if slip.id not in found[it.key][s] else ()
            del world  # before the next is made: one world in memory at a time
    return found


def by_node(items, given, decimals, prec) -> list:
    """[(item, given, decimals, precision, half-units)]: the answers to one node at one
    precision as one (their entries side by side), so a world is checked once per node,
    not once per path (a class CSV has a path per entry)."""
    groups: dict = {}
    for it in items:
        groups.setdefault((it.node, prec[it.key]), []).append(it)
    out = []
    for (node, p), some in groups.items():
        d = np.concatenate([decimals[it.key] for it in some], axis=1)
        out.append((Item("", node, np.concatenate([it.flat.ravel() for it in some])),
                    np.concatenate([given[it.key] for it in some], axis=1), d, p,
                    written_half(d)))
    return out


# The loss after the update (with an L2 penalty, also its data loss): one forward pass per
# input perturbed, for each sheet, so computed only for the sheets that ask for it.
AFTER = ("loss'", "data'")


def _after(graph, asking: dict) -> dict:
    """{node: the sheets that need it} of the nodes in AFTER that the graph has: the data
    loss after the update is needed for its own answer and for the loss after it."""
    if not any(n.name == "data'" for n in graph):
        return {"loss'": asking["loss'"]}
    return {"loss'": asking["loss'"], "data'": np.union1d(asking["loss'"], asking["data'"])}


def _wrong_at(mine, can: dict, rows, node: str):
    """The sheets (of rows) where the answer to node is wrong and a world could explain it."""
    after = [can[it.key][rows] for it in mine if it.node == node]
    return np.flatnonzero(np.any(after, axis=0)) if after else np.arange(0)


def _sheets_giving(items, given: dict, node: str):
    """The sheets that give some of a node's entries."""
    keys = [it.key for it in items if it.node == node]
    if not keys:
        return np.arange(0)
    return np.flatnonzero(np.any([~np.isnan(given[k]).all(axis=1) for k in keys], axis=0))


def _rule(ctx, variant, node):
    """(the variant's rule for a node, True), or (the default rule, False)."""
    factory = variant.rules.get(node.kind)
    rule = factory(ctx, node) if factory is not None else None
    return (DEFAULT[node.kind](ctx, node), False) if rule is None else (rule, True)


def slipped_reach(graph, rules: dict, full: dict, sheets: int) -> dict:
    """{node: (S,) the sheets where a world's slipped rules can change it}: every sheet at
    a slipped node; downstream, the sheets that did not write all of an input it changes
    (a written number is the same in every world)."""
    reach: dict = {}
    for node in graph:
        rule, slipped = rules[node.name]
        changed = [reach[i] & ~full[i] if i in full else reach[i]
                   for i in reads(rule) if i in reach]
        if slipped:
            reach[node.name] = np.ones(sheets, dtype=bool)
        elif changed:
            reach[node.name] = np.any(changed, axis=0)
    return reach


def mark_transposed(items, transposed, verdicts, codes, found) -> None:
    """A matrix written the wrong way round is wrong; its slip is transposed-gradient when
    its numbers, turned back, are right (or carried)."""
    for it in items:
        flags = transposed.get(it.key)
        if flags is None:
            continue
        for s in np.flatnonzero(flags):
            right = verdicts[it.key][s] in (v.CORRECT, v.CARRIED)
            verdicts[it.key][s] = v.WRONG
            codes[it.key][s] = v.WRONG
            found[it.key][s] = ("transposed-gradient",) if right else ()
