"""The rules of a recurrent layer's step nodes (recurrent.py names them), by node kind:
each factory (ctx, node) reads the step t of its node (node.key) and the quantity
(node.param); `how` holds a slip's form (engine/slips/sequences.py):

    truncated    ∂L/∂h_t = hout_t alone (bptt-truncated)
    no_cell      ∂L/∂c_t without cnext_t (lstm-cell-path-missing)
    update       a GRU's h_t with the other update formula, old or new (gru-form)
    last_only    a weight's gradient from the last step alone (time-sum-missing)
    blocks       {gate: block}: the stacked rows read in another order (gate-order)
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.layers import backsteps as b
from backprop_cli.engine.grading.layers import cells as c
from backprop_cli.engine.grading.layers import spec
from backprop_cli.engine.grading.layers.recurrent import stacked, step
from backprop_cli.engine.grading.layers.stepping import At, build

# -------------------------------------------------------------------- forward


def _a(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        hi = 2 * k.H if node.param == "arz" else None
        return build({"x": k.x(k.t), "h": k.prev("h", k.t)},
                     lambda x, h: c.pre(x, h, k.P, k.l, 0, hi))
    return factory


def _an(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        return build({"x": k.x(k.t), "h": k.prev("h", k.t), "r": k.at("r")},
                     lambda x, h, r: c.n_argument(x, h, r, k.P, k.l, 2, k.H, k.s.form))
    return factory


def _gate(how):
    def factory(ctx, node):
        k, q = At(ctx, node, how), node.param
        if q == "n":
            return build({"a": k.at("an")}, lambda a: np.tanh(a), True)
        source = k.at("arz" if k.s.cell == "gru" else "a")
        return build({"a": source}, lambda a: c.gate_value(
            k.s.cell, q, c.block(a, k.blocks[q], k.H)))
    return factory


def _c(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        return build({"f": k.at("f"), "i": k.at("i"), "g": k.at("g"), "p": k.prev("c", k.t)},
                     lambda f, i, g, p: f * p + i * g, True)
    return factory


def _h(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        if k.s.cell == "rnn":
            act = (lambda a: np.tanh(a)) if k.s.nonlinearity == "tanh" else \
                (lambda a: np.maximum(a, 0.0))
            return build({"a": k.at("a")}, act, True)
        if k.s.cell == "lstm":
            return build({"o": k.at("o"), "cc": k.at("c")}, lambda o, cc: o * np.tanh(cc),
                         True)
        return build({"z": k.at("z"), "n": k.at("n"), "p": k.prev("h", k.t)},
                     lambda z, n, p: c.new_state("gru", k.update, {"z": z, "n": n}, p), True)
    return factory


def _out(ctx, node):
    """What the next layer sees: h_T, or every h_t as N·T rows (sample-major)."""
    s, l = spec(ctx, node.layer), node.layer
    if s.output == "last":
        return build({"h": step("h", l, s.steps - 1)}, lambda h: h + 0.0, True)
    needs = {f"h{t}": step("h", l, t) for t in range(s.steps)}

    def f(**v):
        out = np.stack(np.broadcast_arrays(*(v[f"h{t}"] for t in range(s.steps))), axis=-2)
        return out.reshape(out.shape[:-3] + (-1, s.hidden))
    return build(needs, f)


FACTORIES = {"rec_a": _a, "rec_an": _an, "rec_gate": _gate, "rec_c": _c, "rec_h": _h,
             "rec_hout": b.hout, "rec_hnext": b.hnext, "rec_start": b.start, "rec_dh": b.dh,
             "rec_cnext": b.cnext, "rec_dc": b.dc, "rec_dgate": b.dgate, "rec_da": b.da,
             "rec_dan": b.dan, "rec_dW": b.dW, "dh_rec": b.dx}


def forms(only: tuple | None = None, **how) -> dict:
    """Every step kind's factory with a slip's form (the stacks follow their steps); only:
    the kinds that take it (the others their own rules)."""
    made = {kind: f(how) for kind, f in FACTORIES.items() if only is None or kind in only}
    made["rec_stack"] = stacked(made)
    return made


RULES = {**{kind: f({}) for kind, f in FACTORIES.items()}, "rec_out": _out}
RULES["rec_stack"] = stacked()
