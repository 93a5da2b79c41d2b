"""The slips of a graph exercise (`backprop grade EXERCISE.yaml`): each a variant of the
rules of engine/grading/expressions/quantities.py, a table {quantity: Rule} in place of
the engine's, found where the expression lets the slip be made.

The ids are the network catalogue's where the slip is the same one (transposed-gradient,
no-fan-out-sum, softmax-diagonal); attention's two are the expression's own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from backprop_cli.engine.grading.expressions.quantities import (
    GRAD,
    Quantities,
    Use,
    gradient_rule,
    share,
    value_rule,
)
from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.graph.ops import OPERATIONS


@dataclass(frozen=True)
class Slip:
    id: str
    text: str
    variants: Callable  # Quantities -> [{quantity: Rule}]


def _transposed(q: Quantities) -> list:
    """A square matrix's gradient given transposed (x gᵀ for g xᵀ: the product's order
    flipped). A non-square one given so has the other shape: the sheet's reading flags it."""
    out = []
    for n in q.graph.nodes:
        shape = np.shape(n.value)
        if len(shape) == 2 and shape[0] == shape[1] > 1 and n.name != q.graph.output:
            rule = q.rules[GRAD + n.name]
            out.append({GRAD + n.name: Rule(rule.inputs, lambda *v, r=rule:
                                            np.swapaxes(r.f(*v), -1, -2))})
    return out


def _one_use(q: Quantities) -> list:
    """A value used more than once: one use's share given as its whole gradient."""
    return [{GRAD + name: gradient_rule(q.graph, name, [u])}
            for name, mine in q.uses.items() if len(mine) > 1 for u in mine]


def _softmaxes(q: Quantities, ops=("softmax",)):
    """(index, node, the node its argument is) of each softmax of a node."""
    for k, n in enumerate(q.graph.nodes):
        if n.op in ops and isinstance(n.inputs[0], str):
            yield k, n, n.inputs[0]


def _diagonal(node, position, g, numbers, value):
    return np.asarray(g) * value * (1.0 - value)


def _softmax_diagonal(q: Quantities) -> list:
    """softmax's backward with its Jacobian's diagonal alone: g ⊙ s ⊙ (1 − s)."""
    return [{GRAD + a: gradient_rule(q.graph, a, q.uses[a], {Use(k, 0): _diagonal})}
            for k, n, a in _softmaxes(q) if np.size(n.value) > 1]


def _other_axis(q: Quantities) -> list:
    """softmax (or log_softmax) of a matrix over its other axis: the forward pass alone,
    or the backward pass through it too."""
    out = []
    for k, n, a in _softmaxes(q, ("softmax", "log_softmax")):
        if np.ndim(n.value) != 2:
            continue
        axis = dict(n.params).get("axis", -1) % 2
        other = replace(n, params=tuple((p, v) for p, v in n.params if p != "axis")
                        + (("axis", 1 - axis),))
        forward = {n.name: value_rule(q.graph, k, lambda nd, numbers, o=other: OPERATIONS[
            o.op].apply(*numbers, **dict(o.params))[0])}

        def turned(node, position, g, numbers, value, o=other):
            return share(o, position, g, numbers, value)
        out += [forward, {**forward, GRAD + a: gradient_rule(q.graph, a, q.uses[a],
                                                             {Use(k, 0): turned})}]
    return out


def _feeds_softmax(q: Quantities, name: str) -> bool:
    nodes, seen, todo = q.graph.nodes, set(), [name]
    while todo:
        for u in q.uses[todo.pop()]:
            c = nodes[u.consumer]
            if c.op in ("softmax", "log_softmax"):
                return True
            if c.name not in seen:
                seen.add(c.name)
                todo.append(c.name)
    return False


def _scores(q: Quantities):
    """(index, node, position of the scores) of each scaling of a matrix product that
    goes on to a softmax: S / √d_k, or S * (1/√d_k)."""
    made = {n.name: n.op for n in q.graph.nodes}
    for k, n in enumerate(q.graph.nodes):
        if n.op not in ("/", "*") or not _feeds_softmax(q, n.name):
            continue
        for p in ((0,) if n.op == "/" else (0, 1)):
            other = n.inputs[1 - p]
            small = not isinstance(other, str) and n.op == "*" and abs(other) < 1
            if made.get(n.inputs[p]) == "@" and (n.op == "/" or small):
                yield k, n, p


def _no_scale(q: Quantities) -> list:
    """The attention scores' 1/√d_k left out: in the forward pass (everything after it
    worked from the unscaled scores), or in both passes."""
    out = []
    for _, n, p in _scores(q):
        scores = n.inputs[p]
        forward = {n.name: Rule((scores,), lambda s: np.array(s, dtype=float))}
        mine = [u for u in q.uses[scores]]
        at = next(u for u in mine if q.graph.nodes[u.consumer] is n and u.position == p)

        def unscaled(node, position, g, numbers, value):
            return np.asarray(g, dtype=float)
        out += [forward, {**forward, GRAD + scores: gradient_rule(q.graph, scores, mine,
                                                                  {at: unscaled})}]
    return out


SLIPS: dict[str, Slip] = {s.id: s for s in [
    Slip("transposed-gradient", "a matrix's gradient given transposed (x gᵀ for g xᵀ: the "
                                "product's order flipped)", _transposed),
    Slip("no-fan-out-sum", "a value used more than once given one use's gradient, not the "
                           "sum over its uses", _one_use),
    Slip("softmax-diagonal", "softmax's Jacobian reduced to its diagonal: g ⊙ s ⊙ (1 − s)",
         _softmax_diagonal),
    Slip("attention-no-scale", "the attention scores' 1/√d_k left out (and what follows "
                               "worked from them)", _no_scale),
    Slip("softmax-axis", "softmax normalised over the other axis of the matrix (and what "
                         "follows worked from it)", _other_axis),
    Slip("arithmetic", "none of the above: wrong, yet everything after it is consistent "
                       "with it", lambda q: []),
]}
