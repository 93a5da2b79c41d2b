"""A world: every quantity recomputed from a person's own answers, for many sheets at once.

Quantities are taken in graph order. Each is computed by its rule from the own values of
its inputs (their written numbers where they wrote them, else what the world computed for
them): that is its `center`, the value their own earlier numbers give. Two uncertainties
ride along, as first-order sums of |∂value/∂input|: from the derivative where a rule writes
it out (its `spread`: products, sums, the loss after the update of a smooth network), else
by finite differences, a step of each input's own uncertainty:

    slack   from the precision of the inputs: each written number is known to half a
            unit of its last decimal, each unwritten one to its own slack;
    hidden  per unit of rounding at each step the person did not write down (an unwritten
            intermediate, or the forward pass after the update): a person who writes k
            decimals rounds there too, so a check multiplies it by their half-unit.

Every array has the sheets first: (S, *shape). A rule sees one more leading axis, the
perturbations (centre first), so one call per quantity serves every sheet and every
finite difference.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

EPS = 1e-6  # relative finite-difference step where an input carries no uncertainty
BLOCK = 2**20  # entries of perturbed inputs a block of sheets holds at once (8 MB)


@dataclass(frozen=True)
class Answers:
    """What the sheets wrote, per node: mask (S, *shape) true where written, the values and
    their half-units there."""
    sheets: int
    mask: dict
    value: dict
    half: dict

    def take(self, rows) -> Answers:
        """The answers of some sheets only (each node's taken when a world reads it)."""
        return Answers(len(rows), *(_Rows(t, rows) for t in (self.mask, self.value, self.half)))


class _Rows(Mapping):
    """table's arrays, some rows of them, each taken on first use: a diagnosis world redoes
    a few of the nodes a class answered."""

    def __init__(self, table: dict, rows):
        self.table, self.rows, self.taken = table, rows, {}

    def __getitem__(self, name):
        if name not in self.taken:
            self.taken[name] = self.table[name][self.rows]
        return self.taken[name]

    def __contains__(self, name) -> bool:
        return name in self.table

    def __iter__(self):
        return iter(self.table)

    def __len__(self) -> int:
        return len(self.table)


@dataclass
class World:
    center: dict = field(default_factory=dict)
    slack: dict = field(default_factory=dict)
    hidden: dict = field(default_factory=dict)
    own: dict = field(default_factory=dict)  # passed downstream: written, else center
    unc: dict = field(default_factory=dict)  # its uncertainty: half-unit, else slack
    weight: dict = field(default_factory=dict)  # hidden steps behind it: 0 where written
    base: World | None = None  # the world this one differs from, for what it did not redo
    rows: object = None  # the base's sheets this one holds (None: all)
    taken: dict = field(default_factory=dict)  # the base's rows, taken once (read often)

    def get(self, part: str, name: str):
        table = getattr(self, part)
        return table[name] if name in table else self.based(part, name)

    def based(self, part: str, name: str):
        """The base world's value at this world's sheets."""
        value = getattr(self.base, part)[name]
        if self.rows is None:
            return value
        if (part, name) not in self.taken:
            self.taken[part, name] = value[self.rows]
        return self.taken[part, name]


def evaluate(graph, rule_for, answers: Answers, base: World | None = None,
             rows=None, sinks: dict | None = None) -> World:
    """rule_for(node) -> (Rule, slipped). With a base world, only the quantities a slipped
    rule changes, and those downstream of them, are computed again; `rows` are the base's
    sheets that `answers` holds. sinks: {node: the sheets that need it}, for quantities no
    other one reads (the loss after the update): computed for those sheets only, nan
    elsewhere; with a base world, also nan where neither its rule nor its inputs differ
    from the base's (it would be the base's: the caller asks a world for what the base did
    not give)."""
    world, redone = World(base=base, rows=rows), set()
    with np.errstate(all="ignore"):  # a person's numbers may take a log of 0: not an error
        for node in graph:
            rule, slipped = rule_for(node)
            if base is not None and not slipped and redone.isdisjoint(reads(rule)):
                continue
            ins = [(world.get("own", i), world.get("unc", i), world.get("weight", i))
                   for i in rule.inputs]
            if sinks is not None and node.name in sinks:
                some = sinks[node.name]
                if base is not None and not slipped:
                    some = some[_moved(world, rule.inputs, answers.sheets)[some]]
                c, s, h = _some(rule, ins, some, answers.sheets, node.shape)
            else:
                c, s, h = propagate(rule, ins, answers.sheets, node.shape)
            if rule.alt is not None:
                c, s, h = _alternative(world, rule.alt, answers, node.shape, (c, s, h))
            _keep(world, node.name, answers, c, s, h)
            if node.name not in answers.mask or not answers.mask[node.name].all():
                redone.add(node.name)
    return world


def _moved(world: World, names, sheets: int) -> np.ndarray:
    """(S,) the sheets where some of these nodes' own value, uncertainty or hidden weight is
    not the base world's (nan counts as moved)."""
    out = np.zeros(sheets, dtype=bool)
    for name in names:
        if name not in world.own:  # not redone: the base's
            continue
        for part in ("own", "unc", "weight"):
            theirs = world.based(part, name)
            out |= (np.reshape(getattr(world, part)[name], (sheets, -1)) !=
                    np.reshape(theirs, (sheets, -1))).any(axis=1)
    return out


def reads(rule) -> tuple:
    return rule.inputs + (rule.alt[1].inputs if rule.alt is not None else ())


def _keep(world: World, name: str, answers: Answers, c, s, h) -> None:
    world.center[name], world.slack[name], world.hidden[name] = c, s, h
    mask = answers.mask.get(name)
    if mask is None:
        world.own[name], world.unc[name], world.weight[name] = c, s, h + 1.0
    else:
        world.own[name] = np.where(mask, answers.value[name], c)
        world.unc[name] = np.where(mask, answers.half[name], s)
        world.weight[name] = np.where(mask, 0.0, h + 1.0)


def _alternative(world: World, alt: tuple, answers: Answers, shape: tuple, out: tuple):
    """out, with the rows of the sheets that wrote every entry of alt's node computed by
    alt's rule instead."""
    name, rule = alt
    mask = answers.mask.get(name)
    rows = np.flatnonzero(np.reshape(mask, (answers.sheets, -1)).all(axis=1)) \
        if mask is not None else ()
    if not len(rows):
        return out
    ins = [tuple(np.asarray(world.get(part, i))[rows] for part in ("own", "unc", "weight"))
           for i in rule.inputs]
    part = propagate(rule, ins, len(rows), shape)
    whole = tuple(np.array(np.broadcast_to(a, (answers.sheets,) + shape)) for a in out)
    for w, p in zip(whole, part):
        w[rows] = p
    return whole


def _some(rule, ins, rows, sheets: int, shape: tuple):
    """propagate() for some sheets only; nan for the others."""
    out = [np.full((sheets,) + shape, np.nan) for _ in range(3)]
    if len(rows):
        part = propagate(rule, [tuple(np.asarray(a)[rows] for a in i) for i in ins],
                         len(rows), shape)
        for whole, some in zip(out, part):
            whole[rows] = some
    return tuple(out)


def propagate(rule, ins, sheets: int, shape: tuple):
    """(center, slack, hidden) of a rule at inputs [(own, unc, weight), ...]."""
    if not ins:
        value = np.broadcast_to(rule.f(), (sheets,) + shape)
        zero = np.zeros((sheets,) + shape)
        return value, zero, zero
    if rule.spread is not None:
        found = _spread(rule, ins, sheets, shape)
        if found is not None:
            return found
    if rule.elementwise and all(np.shape(own)[1:] == shape for own, _, _ in ins):
        return _elementwise(rule, ins, sheets, shape)
    sizes = [own[0].size for own, _, _ in ins]
    count = sum(sizes)
    if sheets > 1 and sheets * (count + 1) * count > BLOCK:
        return _in_blocks(rule, ins, sheets, shape, max(1, BLOCK // ((count + 1) * count)))
    # one sheet of a rule with very many inputs (the loss after the update of a network of
    # feature maps): its perturbations a chunk at a time, the memory bounded as a block's
    chunk = count if (count + 1) * count <= BLOCK else max(1, BLOCK // count)
    unc = np.concatenate([np.reshape(u, (sheets, -1)) for _, u, _ in ins], axis=1)
    weight = np.concatenate([np.reshape(w, (sheets, -1)) for _, _, w in ins], axis=1)
    center, slack, hidden = None, 0.0, 0.0
    for lo in range(0, count, chunk):
        hi = min(lo + chunk, count)
        center, slope = _differences(rule, ins, sheets, shape, sizes, lo, hi)
        slack = slack + _weighted(slope, [unc[:, lo:hi]], sheets)
        hidden = hidden + _weighted(slope, [weight[:, lo:hi]], sheets)
    return center, slack.reshape(center.shape), hidden.reshape(center.shape)


def _differences(rule, ins, sheets: int, shape: tuple, sizes: list, lo: int, hi: int):
    """(center, |slope| (S, hi − lo, m)): the rule at its inputs and at each input entry
    lo ... hi − 1 (counted across the inputs) moved by a step of its uncertainty."""
    stacked, steps, start, m = [], [], 0, hi - lo
    for (own, unc, _), size in zip(ins, sizes):
        x = np.repeat(np.asarray(own)[:, None], m + 1, axis=1)
        flat = x.reshape(sheets, m + 1, size)
        step = np.where(unc > 0, unc, EPS * np.maximum(1.0, np.abs(own))).reshape(sheets, size)
        entries = np.arange(max(lo, start), min(hi, start + size)) - start
        flat[:, 1 + start - lo + entries, entries] += step[:, entries]
        stacked.append(x)
        steps.append(step)
        start += size
    out = np.broadcast_to(rule.f(*stacked), (sheets, m + 1) + shape)
    center = out[:, 0]
    moved = np.abs(out[:, 1:] - center[:, None]).reshape(sheets, m, -1)
    return center, moved / np.concatenate(steps, axis=1)[:, lo:hi, None]


def _spread(rule, ins, sheets: int, shape: tuple):
    """propagate() of a rule that states its derivative (its spread): one evaluation, no
    perturbations. None where a weight meets an infinite slope (0·inf): finite differences
    then leave out what a zero weight multiplies, as they do everywhere."""
    owns = [np.asarray(own) for own, _, _ in ins]
    slack = rule.spread(owns, [unc for _, unc, _ in ins])
    hidden = rule.spread(owns, [weight for _, _, weight in ins])
    if np.isnan(slack).any() or np.isnan(hidden).any():
        return None
    center = np.broadcast_to(rule.f(*owns), (sheets,) + shape)
    return center, np.broadcast_to(slack, center.shape), np.broadcast_to(hidden, center.shape)


def _in_blocks(rule, ins, sheets: int, shape: tuple, block: int):
    """propagate() a block of sheets at a time: the same numbers (each sheet is computed
    alone), without every perturbation of a class's inputs in memory at once (the loss
    after the update perturbs each of the parameters, for each sheet)."""
    parts = [propagate(rule, [tuple(np.asarray(a)[i:i + block] for a in inp) for inp in ins],
                       min(block, sheets - i), shape) for i in range(0, sheets, block)]
    return tuple(np.concatenate(p) for p in zip(*parts))


def _elementwise(rule, ins, sheets: int, shape: tuple):
    """propagate() for a rule whose every entry reads only the same entry of each input: one
    perturbation per input, of all its entries at once."""
    count = len(ins)
    stacked, steps = [], []
    for i, (own, unc, _) in enumerate(ins):
        x = np.repeat(np.asarray(own)[:, None], count + 1, axis=1)
        step = np.where(unc > 0, unc, EPS * np.maximum(1.0, np.abs(own)))
        x[:, 1 + i] += step
        stacked.append(x)
        steps.append(step)
    out = np.broadcast_to(rule.f(*stacked), (sheets, count + 1) + shape)
    center = out[:, 0]
    slack, hidden = np.zeros(center.shape), np.zeros(center.shape)
    for i, (_, unc, weight) in enumerate(ins):
        slope = np.abs(out[:, 1 + i] - center) / steps[i]
        slack += np.where(unc > 0, slope * unc, 0.0)
        hidden += np.where(weight > 0, slope * weight, 0.0)
    return center, slack, hidden


def _weighted(slope, weights, sheets: int):
    """Σ_p |∂value/∂input_p| w_p, where a zero weight counts nothing (not even a nan slope)."""
    w = np.concatenate([np.reshape(v, (sheets, -1)) for v in weights], axis=1)[..., None]
    total = (slope * w).sum(axis=1)  # a zero weight times a finite slope is 0 already
    if np.isnan(total).any():  # a nan slope (or weight) somewhere: leave out the unweighted
        total = np.where(w > 0, slope * w, 0.0).sum(axis=1)
    return total
