"""A recurrent layer (rnn, lstm, gru) in the marking graph, unrolled through time: a node
per quantity per step (what a person writes at step t reads their own numbers of step
t − 1, and in the backward pass of step t + 1), and for each quantity a node of every
step, "q{l}:t" (N, T·k), which is what an answer sheet's `forward.h1`, `gradients.c1`,
... answer (output/grading/paths.py turns a{l} into a{l}:t, ...). A step node's
`of` says which of a stack's entries it is, so the numbers written for the stack are
the step's own (marking.py), and the stack's rule is its steps' rules side by side.

    forward   a@t (gru: arz@t, an@t), the gates, c@t (lstm), h@t; the generic a{l} is
              what the next layer sees (h_T, or every h_t as N·T rows), h{l} the same
    backward  hout@t (from ∂L/∂a_l, the layers above), hnext@t (from step t + 1),
              dh@t = hout + hnext; lstm cnext@t, dc@t; the gates' gradients, da@t
              (gru: dan@t, darz@t); dh0, dc0; ∂L/∂Wx, Wh, b, bh summed over the steps;
              ∂L/∂x (or the embedding's ∂L/∂h) as x_t's da_t Wx
The rules are cells.py's, by node kind; the slips' forms (engine/slips/sequences.py)
pass `how`: truncated, no_cell, update, last_only, blocks.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.grading.layers import GradedKind, spec
from backprop_cli.engine.grading.layers import cells as c
from backprop_cli.engine.layers.recurrent import GATES

FORWARD = ("rec_a", "rec_an", "rec_gate", "rec_c", "rec_h")


def _steps(cell: str) -> tuple:
    """The step nodes of a step forward (q, kind), in the order a person works them."""
    if cell == "rnn":
        return (("a", "rec_a"), ("h", "rec_h"))
    if cell == "lstm":
        return (("a", "rec_a"), *((g, "rec_gate") for g in "ifgo"), ("c", "rec_c"),
                ("h", "rec_h"))
    return (("arz", "rec_a"), ("r", "rec_gate"), ("z", "rec_gate"), ("an", "rec_an"),
            ("n", "rec_gate"), ("h", "rec_h"))


def _back(cell: str) -> tuple:
    head = (("hout", "rec_hout"), ("hnext", "rec_hnext"), ("dh", "rec_dh"))
    if cell == "rnn":
        return head + (("da", "rec_da"),)
    if cell == "lstm":
        return head + (("cnext", "rec_cnext"), ("dc", "rec_dc"),
                       *((f"d{g}", "rec_dgate") for g in "oifg"), ("da", "rec_da"))
    return head + (("dn", "rec_dgate"), ("dz", "rec_dgate"), ("dan", "rec_dan"),
                   ("dr", "rec_dgate"), ("darz", "rec_da"))


def _width(s, q: str) -> tuple:
    """(lo, hi) of a step quantity in its stack's k columns."""
    H, G = s.hidden, len(GATES[s.cell])
    return {"arz": (0, 2 * H), "darz": (0, 2 * H), "an": (2 * H, 3 * H),
            "dan": (2 * H, 3 * H), "a": (0, G * H), "da": (0, G * H)}.get(q, (0, H))


def _stack_of(q: str) -> str:
    return {"arz": "a", "an": "a", "darz": "da", "dan": "da", "hout": "dhout",
            "hnext": "dhnext", "cnext": "dcnext"}.get(q, q)


def step(q: str, l: int, t: int) -> str:
    return f"{q}{l}@{t}"


def plan(ctx, l: int, backward: bool) -> tuple[list, dict]:
    """(the step nodes then the stacks, {stack: [(part node, lo, hi)]})."""
    s, N, T = spec(ctx, l), ctx.x.shape[0], spec(ctx, l).steps
    order = _back(s.cell) if backward else _steps(s.cell)
    times = range(T - 1, -1, -1) if backward else range(T)
    out, parts = [], {}
    for t in times:
        for q, kind in order:
            lo, hi = _width(s, q)
            name = f"{_stack_of(q)}{l}:t"
            k = _width(s, "a")[1] if _stack_of(q) in ("a", "da") else s.hidden
            node = Node(step(q, l, t), kind, l, (N, hi - lo), q, str(t), True,
                        of=(name, T, t, lo, hi))
            out.append(node)
            parts.setdefault(name, (k, []))[1].append((node, lo, hi))
    stacks = [Node(name, "rec_stack", l, (N, T * k), name, "", True)
              for name, (k, _) in parts.items()]
    if not backward:
        stacks += [Node(f"sum:{q}{l}:t", "sum", l, ()) for q in "ah"]
    return out + stacks, {name: p for name, (_, p) in parts.items()}


def forward_nodes(ctx, l: int) -> list:
    return plan(ctx, l, False)[0]


def backward_nodes(ctx, l: int) -> list:
    N, s = ctx.x.shape[0], spec(ctx, l)
    out = plan(ctx, l, True)[0]
    starts = [Node("dh0", "rec_start", l, (N, s.hidden), "h", "", True)]
    if s.cell == "lstm":
        starts.append(Node("dc0", "rec_start", l, (N, s.hidden), "c", "", True))
    params = [Node(f"d{name}", "rec_dW", l, ctx.params[name].shape, name)
              for name in ctx.model.layers[l - 1].names(l)]
    steps, stacks = [n for n in out if n.kind != "rec_stack"], \
        [n for n in out if n.kind == "rec_stack"]
    return steps + starts + params + stacks


# ----------------------------------------------------------------- the stacks


def stacked(overrides: dict | None = None):
    """A stack's factory: its steps' rules (each the slip's where `overrides` has one)
    side by side, every step's entries in the stack's (N, T·k) row."""
    from backprop_cli.engine.grading.layers.steps import RULES  # they import this module

    def factory(ctx, node):
        forward = not node.name.startswith("d")
        parts = plan(ctx, node.layer, not forward)[1][node.name]
        rules = []
        for part, lo, hi in parts:
            made = (overrides or {}).get(part.kind)
            rule = made(ctx, part) if made is not None else None
            rules.append((part, lo, hi, rule or RULES[part.kind](ctx, part)))
        names = tuple(dict.fromkeys(i for *_, r in rules for i in r.inputs))
        T, k = spec(ctx, node.layer).steps, node.shape[1] // spec(ctx, node.layer).steps

        def f(*values):
            got = dict(zip(names, values))
            outs = [(part, lo, hi, np.asarray(r.f(*(got[i] for i in r.inputs))))
                    for part, lo, hi, r in rules]
            lead = np.broadcast_shapes(*(o.shape[:-1] for *_, o in outs))
            whole = np.zeros(lead[:-1] + (lead[-1], T, k))
            for part, lo, hi, o in outs:
                whole[..., int(part.key), lo:hi] = o
            return whole.reshape(whole.shape[:-2] + (-1,))
        return Rule(names, f)
    return factory


# ------------------------------------------------------------------ the rest


def run(ctx, l: int, h, params: dict, blocks=None, update=None):
    """What layer l gives the next one, from h_{l−1} (…, N, T·D) and the parameters
    after the update (the slips' forms too)."""
    s = spec(ctx, l)
    h = np.asarray(h)
    X = h.reshape(h.shape[:-1] + (s.steps, -1))
    N = X.shape[-3]
    starts = [s.start(key, N) for key in ("h0", "c0")]
    H = c.run(s.cell, s, X, *starts, params, l, blocks, update)
    if s.output == "last":
        return H[..., -1, :]
    return H.reshape(H.shape[:-3] + (N * s.steps, s.hidden))


def exact(node, sol):
    l = node.layer
    if node.kind == "rec_dW":
        return sol.gradients.params[node.param]
    inter = sol.gradients.inter[l - 1]
    if node.kind == "rec_start":
        return inter[f"{node.param}0"]
    forward = node.kind in FORWARD or (node.kind == "rec_stack" and
                                       not node.name.startswith("d"))
    table = sol.forward.caches[l - 1] if forward else inter
    if node.kind == "rec_stack":
        key = node.param[:-len(f"{l}:t")]
        key = key if forward else key[1:]
        value = table[key]
        return value.reshape(value.shape[0], -1)
    q, t = _stack_of(node.param), int(node.key)
    key = q if forward else q[1:]
    lo, hi = node.of[3:]
    return table[key][:, t, lo:hi]


def _kind():
    from backprop_cli.engine.grading.layers.steps import RULES

    return GradedKind(forward_nodes, "rec_out", backward_nodes, "dh_rec", RULES, run, exact)
