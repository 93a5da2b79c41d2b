"""The backward pass's step rules of a recurrent layer, by node kind (steps.py's table):
∂L/∂h_t from the layers above and from step t + 1, the LSTM's cell path, the gates'
gradients, ∂L/∂a_t, ∂L/∂h_0 (c_0), the weights' gradients summed over time and ∂L/∂x_t."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.grading.layers import cells as c
from backprop_cli.engine.grading.layers.stepping import At, build


def hout(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        if k.s.output == "all":
            return build({"d": (f"da{k.l}", k.N, k.T, k.t)}, lambda d: d + 0.0)
        if k.t != k.T - 1:
            return k.zeros()
        return build({"d": f"da{k.l}"}, lambda d: d + 0.0, True)
    return factory


def through(k: At, u: int) -> Rule:
    """∂L/∂h_{u−1} through step u (hnext_{u−1}; ∂L/∂h_0 for u = 0)."""
    Wh = k.P[f"Wh{k.l}"]
    if k.s.cell != "gru":
        return build({"d": k.at("da", u)}, lambda d: d @ Wh)
    return build({"dh": k.at("dh", u), "z": k.at("z", u), "r": k.at("r", u),
                  "drz": k.at("darz", u), "dn": k.at("dan", u), "p": k.prev("h", u)},
                 lambda dh, z, r, drz, dn, p: c.gru_to_previous(
                     k.s.form, k.update, dh, z, r, drz, dn, p, k.P, k.l, k.H))


def hnext(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        return k.zeros() if k.t == k.T - 1 else through(k, k.t + 1)
    return factory


def start(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        if node.param == "h":
            return through(k, 0)
        return build({"dc": k.at("dc", 0), "f": k.at("f", 0)}, lambda dc, f: dc * f, True)
    return factory


def dh(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        if how.get("truncated"):
            return build({"o": k.at("hout")}, lambda o: o + 0.0, True)
        return build({"o": k.at("hout"), "n": k.at("hnext")}, lambda o, n: o + n, True)
    return factory


def cnext(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        if k.t == k.T - 1:
            return k.zeros()
        return build({"dc": k.at("dc", k.t + 1), "f": k.at("f", k.t + 1)},
                     lambda dc, f: dc * f, True)
    return factory


def dc(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        needs = {"dh": k.at("dh"), "o": k.at("o"), "cc": k.at("c")}
        if not how.get("no_cell"):
            needs["nx"] = k.at("cnext")
        return build(needs, lambda dh, o, cc, nx=0.0: dh * o * (1.0 - np.tanh(cc) ** 2) + nx,
                     True)
    return factory


def dgate(how):
    def factory(ctx, node):
        k, q = At(ctx, node, how), node.param[1:]
        if k.s.cell == "lstm":
            needs = {"o": {"dh": k.at("dh"), "v": k.at("c")},
                     "i": {"dh": k.at("dc"), "v": k.at("g")},
                     "g": {"dh": k.at("dc"), "v": k.at("i")},
                     "f": {"dh": k.at("dc"), "v": k.prev("c", k.t)}}[q]
            f = (lambda dh, v: dh * np.tanh(v)) if q == "o" else (lambda dh, v: dh * v)
            return build(needs, f, True)
        if q == "n":
            return build({"dh": k.at("dh"), "z": k.at("z")},
                         lambda dh, z: dh * z if k.update == "new" else dh * (1.0 - z), True)
        if q == "z":
            return build({"dh": k.at("dh"), "n": k.at("n"), "p": k.prev("h", k.t)},
                         lambda dh, n, p: c.gru_gate_grads(k.update, dh, 0.0, n, p)[1], True)
        return build({"dn": k.at("dan"), "p": k.prev("h", k.t)},
                     lambda dn, p: c.gru_dr(k.s.form, dn, p, k.P, k.l, k.H))
    return factory


def da(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        if k.s.cell == "rnn":
            if k.s.nonlinearity == "tanh":
                return build({"dh": k.at("dh"), "h": k.at("h")},
                             lambda dh, h: dh * (1.0 - h * h), True)
            return build({"dh": k.at("dh"), "a": k.at("a")}, lambda dh, a: dh * (a > 0), True)
        if k.s.cell == "lstm":
            needs = {**{f"d{g}": k.at(f"d{g}") for g in "ifgo"}, **{g: k.at(g) for g in "ifgo"}}
            return build(needs, lambda **v: c.lstm_da(
                {g: v[f"d{g}"] for g in "ifgo"}, {g: v[g] for g in "ifgo"}, k.blocks, k.H))

        def rz(dr, dz, r, z):
            parts = [None, None]
            parts[k.blocks["r"]], parts[k.blocks["z"]] = dr * r * (1.0 - r), dz * z * (1.0 - z)
            return np.concatenate(parts, axis=-1)
        return build({"dr": k.at("dr"), "dz": k.at("dz"), "r": k.at("r"), "z": k.at("z")}, rz)
    return factory


def dan(how):
    def factory(ctx, node):
        k = At(ctx, node, how)
        return build({"dn": k.at("dn"), "n": k.at("n")}, lambda dn, n: dn * (1.0 - n * n),
                     True)
    return factory


def _deltas(k: At, t: int) -> dict:
    """The needs of step t's ∂L/∂a (a GRU's two parts)."""
    if k.s.cell == "gru":
        return {f"rz{t}": k.at("darz", t), f"n{t}": k.at("dan", t)}
    return {f"a{t}": k.at("da", t)}


def _delta(k: At, v: dict, t: int, hidden: bool = False):
    """Step t's ∂L/∂a (…, N, G·H); hidden: what multiplies h_{t−1} in Wh's rows."""
    if k.s.cell != "gru":
        return v[f"a{t}"]
    if hidden:
        return c.hidden_side(k.s.form, v[f"rz{t}"], v[f"n{t}"], v[f"r{t}"])
    return np.concatenate([v[f"rz{t}"], v[f"n{t}"]], axis=-1)


def dW(how):
    def factory(ctx, node):
        k, name = At(ctx, node, how), node.param[:-len(str(node.layer))]
        times = [k.T - 1] if how.get("last_only") else range(k.T)
        needs = {}
        for t in times:
            needs.update(_deltas(k, t))
            needs[f"x{t}"] = k.x(t) if name == "Wx" else k.prev("h", t)
            if k.s.cell == "gru":
                needs[f"r{t}"] = k.at("r", t)

        def f(**v):
            hidden = name in ("Wh", "bh")
            d = [_delta(k, v, t, hidden) for t in times]
            if name in ("b", "bh"):
                return sum(x.sum(axis=-2) for x in d)
            if name == "Wh" and k.s.cell == "gru" and k.s.form == "cho":
                H = k.H
                top = c.weight_sum([x[..., :2 * H] for x in d], [v[f"x{t}"] for t in times])
                low = c.weight_sum([x[..., 2 * H:] for x in d],
                                   [v[f"r{t}"] * v[f"x{t}"] for t in times])
                return np.concatenate([top, low], axis=-2)
            return c.weight_sum(d, [v[f"x{t}"] for t in times])
        return build(needs, f)
    return factory


def dx(how):
    def factory(ctx, node):
        l = node.layer + 1
        k = At(ctx, node, how, l)
        needs = {}
        for t in range(k.T):
            needs.update(_deltas(k, t))
        Wx = ctx.params[f"Wx{l}"]

        def f(**v):
            d = [_delta(k, v, t) @ Wx for t in range(k.T)]
            out = np.stack(np.broadcast_arrays(*d), axis=-2)
            return out.reshape(out.shape[:-2] + (-1,))
        return build(needs, f)
    return factory
