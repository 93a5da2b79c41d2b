"""A by-hand worker for the recurrent networks the sequence grade tests use (one rnn, lstm
or gru layer, tanh, gates stacked in the file's `gates` order, bias or none, h0/c0,
output last or all; dense layers after it: softmax with cross-entropy on class indices,
or identity with mse; a batch; SGD), written step by step with plain numpy from the
textbook equations, with nothing from backprop_cli: the forward pass, the loss, the
backward pass through time and the update.

A slip is made at its step and everything after it is worked from the slipped numbers,
as its author would (a forward slip in the forward pass after the update too):

    bptt-truncated          ∂L/∂h_t = what the output sends alone (no ∂L/∂h from t + 1)
    lstm-cell-path-missing  ∂L/∂c_t without ∂L/∂c_{t+1} ⊙ f_{t+1}
    gru-form                h_t with the other form's update formula ("" both passes,
                            "forward", "backward")
    time-sum-missing        ∂L/∂Wx, Wh, b, bh from the last step's terms only
    gate-order              the stacked rows read in the order `variant` (ifog, zrn, …)
"""

from __future__ import annotations

import numpy as np
import yaml

TORCH = {"rnn": "a", "lstm": "ifgo", "gru": "rzn"}


def sig(a):
    return 1.0 / (1.0 + np.exp(-a))


class Seq:
    def __init__(self, text: str):
        doc = yaml.safe_load(text)
        self.x = np.array(doc["x"], dtype=float)  # (N, T, D)
        self.N, self.T, self.D = self.x.shape
        rec, *dense = doc["layers"]
        self.cell, self.out = rec["kind"], rec.get("output", "last")
        self.gates = rec.get("gates", TORCH[self.cell])
        self.form = rec.get("form", "torch")  # where r acts
        self.update = rec.get("update", "old")  # which state z keeps
        self.P = {}
        for key, name in (("wx", "Wx"), ("wh", "Wh"), ("bias", "b"), ("bias_h", "bh")):
            if key in rec:  # into torch's order
                self.P[name] = self.torch(np.array(rec[key], dtype=float))
        self.H = self.P["Wh"].shape[1]
        self.h0 = np.broadcast_to(np.array(rec.get("h0", np.zeros(self.H)), float),
                                  (self.N, self.H))
        self.c0 = np.broadcast_to(np.array(rec.get("c0", np.zeros(self.H)), float),
                                  (self.N, self.H))
        self.dense = dense
        for l, layer in enumerate(dense, 2):
            self.P[f"W{l}"] = np.array(layer["weights"], dtype=float)
            if "bias" in layer:
                self.P[f"b{l}"] = np.array(layer["bias"], dtype=float)
        self.loss, self.lr = doc["loss"], float(doc["optimizer"]["lr"])
        y = np.array(doc["y"])
        K = len(dense[-1]["weights"])
        self.y = np.eye(K)[y.ravel().astype(int)] if self.loss == "cross_entropy" else \
            y.reshape(-1, K).astype(float)
        self.slip = self.variant = ""
        self.bump = None  # (sample, unit, δ): h_1's entry off by δ, the rest worked from it

    def blocks(self, v, order):
        H = v.shape[0] // len(order)
        return {g: v[k * H:(k + 1) * H] for k, g in enumerate(order)}

    def torch(self, v):
        b = self.blocks(v, self.gates)
        return np.concatenate([b[g] for g in TORCH[self.cell]])

    def filed(self, v):
        """(…, G·H) in torch's order -> the file's gate order, on the last axis."""
        if self.cell == "rnn":
            return v
        H = v.shape[-1] // len(self.gates)
        order = TORCH[self.cell]
        return np.concatenate([v[..., order.index(g) * H:(order.index(g) + 1) * H]
                               for g in self.gates], axis=-1)

    def where(self):
        """Gate -> its block in torch's order, as the person reads the stacked rows."""
        order = TORCH[self.cell]
        if self.slip != "gate-order":
            return {g: k for k, g in enumerate(order)}
        return {g: order.index(self.gates[self.variant.index(g)]) for g in order}

    def update_form(self, backward):
        """old: h_t = (1 − z) n + z h_{t−1}; new: (1 − z) h_{t−1} + z n; gru-form the other."""
        other = "new" if self.update == "old" else "old"
        if self.slip == "gru-form" and self.variant in ("", "backward" if backward
                                                         else "forward"):
            return other
        return self.update

    # ----------------------------------------------------------------- forward

    def forward(self, P):
        H, B, cell = self.H, self.where(), self.cell
        h, c = self.h0.copy(), self.c0.copy()
        keep = {k: [] for k in ("a", "h", "c", "i", "f", "g", "o", "r", "z", "n", "hp", "cp")}
        bias = P.get("b", 0.0) + (P.get("bh", 0.0) if cell != "gru" else 0.0)
        for t in range(self.T):
            x = self.x[:, t]
            keep["hp"].append(h)
            keep["cp"].append(c)
            if cell == "gru":
                b, bh = P.get("b", np.zeros(3 * H)), P.get("bh", np.zeros(3 * H))
                a = np.empty((self.N, 3 * H))
                a[:, :2 * H] = x @ P["Wx"][:2 * H].T + b[:2 * H] + h @ P["Wh"][:2 * H].T + \
                    bh[:2 * H]
                r = sig(a[:, B["r"] * H:(B["r"] + 1) * H])
                z = sig(a[:, B["z"] * H:(B["z"] + 1) * H])
                if self.form == "torch":
                    a[:, 2 * H:] = x @ P["Wx"][2 * H:].T + b[2 * H:] + \
                        r * (h @ P["Wh"][2 * H:].T + bh[2 * H:])
                else:
                    a[:, 2 * H:] = x @ P["Wx"][2 * H:].T + b[2 * H:] + \
                        (r * h) @ P["Wh"][2 * H:].T + bh[2 * H:]
                n = np.tanh(a[:, 2 * H:])
                h = (1 - z) * n + z * h if self.update_form(False) == "old" else \
                    (1 - z) * h + z * n
                for k, v in (("r", r), ("z", z), ("n", n)):
                    keep[k].append(v)
            else:
                a = x @ P["Wx"].T + h @ P["Wh"].T + bias
                if cell == "rnn":
                    h = np.tanh(a)
                else:
                    gate = {g: (np.tanh if g == "g" else sig)(a[:, B[g] * H:(B[g] + 1) * H])
                            for g in "ifgo"}
                    c = gate["f"] * c + gate["i"] * gate["g"]
                    h = gate["o"] * np.tanh(c)
                    for g in "ifgo":
                        keep[g].append(gate[g])
                    keep["c"].append(c)
            if self.bump is not None and t == 0:
                h = h.copy()
                h[self.bump[0], self.bump[1]] += self.bump[2]
            keep["a"].append(a)
            keep["h"].append(h)
        st = {k: np.stack(v, axis=1) for k, v in keep.items() if v}
        seen = st["h"][:, -1] if self.out == "last" else st["h"].reshape(-1, H)
        hs, a_s = [seen], []
        for l, layer in enumerate(self.dense, 2):
            a = hs[-1] @ P[f"W{l}"].T + P.get(f"b{l}", 0.0)
            if layer.get("activation", "identity") == "softmax":
                e = np.exp(a - a.max(axis=1, keepdims=True))
                hs.append(e / e.sum(axis=1, keepdims=True))
            else:
                hs.append(a)
            a_s.append(a)
        return st, a_s, hs

    def loss_of(self, hL):
        if self.loss == "cross_entropy":
            return float(-(self.y * np.log(hL)).sum() / len(hL))
        return float(((hL - self.y) ** 2).mean())

    # ---------------------------------------------------------------- backward

    def backward(self, P, st, a_s, hs):
        H, N, T, B, cell = self.H, self.N, self.T, self.where(), self.cell
        rows = len(hs[-1])
        g = {}
        L = len(self.dense) + 1
        dh = (hs[-1] - self.y) / rows if self.loss == "cross_entropy" else \
            2 * (hs[-1] - self.y) / self.y.size
        for l in range(L, 1, -1):
            da = dh  # softmax + CE fused, or identity
            g[f"a{l}"], g[f"h{l}"] = da, (dh if l < L else self.dh_out(hs[-1]))
            g[f"W{l}"] = da.T @ hs[l - 2]
            if f"b{l}" in P:
                g[f"b{l}"] = da.sum(axis=0)
            dh = da @ P[f"W{l}"]
        g["up"] = dh
        hout = np.zeros((N, T, H))
        if self.out == "last":
            hout[:, -1] = dh
        else:
            hout[:] = dh.reshape(N, T, H)
        G = len(TORCH[cell])
        names = ("h", "hnext", "c", "cnext", "i", "f", "g", "o", "r", "z", "n")
        dS = {k: np.zeros((N, T, H)) for k in names}
        dA, dAh = np.zeros((N, T, G * H)), np.zeros((N, T, G * H))
        nxt, cnx = np.zeros((N, H)), np.zeros((N, H))
        form = self.update_form(True)
        for t in range(T - 1, -1, -1):
            hp, cp = st["hp"][:, t], st["cp"][:, t]
            dS["hnext"][:, t] = nxt
            d = hout[:, t] + (0 if self.slip == "bptt-truncated" else nxt)
            dS["h"][:, t] = d
            if cell == "rnn":
                da = d * (1 - st["h"][:, t] ** 2)
                dA[:, t], dAh[:, t] = da, da
                nxt = da @ P["Wh"]
            elif cell == "lstm":
                i, f, gg, o, c = (st[k][:, t] for k in "ifgoc")
                dS["cnext"][:, t] = cnx
                dc = d * o * (1 - np.tanh(c) ** 2) + \
                    (0 if self.slip == "lstm-cell-path-missing" else cnx)
                dS["c"][:, t] = dc
                grads = {"o": d * np.tanh(c), "i": dc * gg, "g": dc * i, "f": dc * cp}
                for k, v in grads.items():
                    dS[k][:, t] = v
                for k, v in grads.items():
                    s = st[k][:, t]
                    dA[:, t, B[k] * H:(B[k] + 1) * H] = v * ((1 - s * s) if k == "g" else
                                                            s * (1 - s))
                dAh[:, t] = dA[:, t]
                nxt, cnx = dA[:, t] @ P["Wh"], dc * f
            else:
                r, z, n = (st[k][:, t] for k in "rzn")
                dn = d * (1 - z) if form == "old" else d * z
                dz = d * (hp - n) if form == "old" else d * (n - hp)
                dan = dn * (1 - n * n)
                Whn = P["Wh"][2 * H:]
                if self.form == "torch":
                    dr = dan * (hp @ Whn.T + P.get("bh", np.zeros(3 * H))[2 * H:])
                else:
                    drh = dan @ Whn
                    dr = drh * hp
                for k, v in (("n", dn), ("z", dz), ("r", dr)):
                    dS[k][:, t] = v
                dA[:, t, B["r"] * H:(B["r"] + 1) * H] = dr * r * (1 - r)
                dA[:, t, B["z"] * H:(B["z"] + 1) * H] = dz * z * (1 - z)
                dA[:, t, 2 * H:] = dan
                dAh[:, t, :2 * H] = dA[:, t, :2 * H]
                dAh[:, t, 2 * H:] = r * dan if self.form == "torch" else dan
                direct = d * z if form == "old" else d * (1 - z)
                nxt = direct + dA[:, t, :2 * H] @ P["Wh"][:2 * H]
                nxt = nxt + (dAh[:, t, 2 * H:] @ Whn if self.form == "torch" else drh * r)
        g["h0"], g["c0"] = nxt, cnx
        steps = [T - 1] if self.slip == "time-sum-missing" else range(T)
        g["Wx"] = sum(dA[:, t].T @ self.x[:, t] for t in steps)
        if cell == "gru" and self.form == "cho":
            g["Wh"] = np.concatenate([
                sum(dAh[:, t, :2 * H].T @ st["hp"][:, t] for t in steps),
                sum(dAh[:, t, 2 * H:].T @ (st["r"][:, t] * st["hp"][:, t]) for t in steps)])
        else:
            g["Wh"] = sum(dAh[:, t].T @ st["hp"][:, t] for t in steps)
        g["b"] = sum(dA[:, t].sum(axis=0) for t in steps)
        g["bh"] = sum(dAh[:, t].sum(axis=0) for t in steps)
        g["x"] = np.stack([dA[:, t] @ P["Wx"] for t in range(T)], axis=1)
        g["steps"], g["a1"], g["hout"] = dS, dA, hout
        return g

    def dh_out(self, hL):
        if self.loss == "cross_entropy":
            return -self.y / hL / len(hL)
        return 2 * (hL - self.y) / self.y.size

    # ------------------------------------------------------------------- sheet

    def sheet(self, slip: str = "", variant: str = "", bump=None) -> dict:
        """Every quantity of solve's document (the optimizer's aside), worked with the slip
        (bump: (n, j, δ), h_1[n, j] off by δ, everything after worked from it)."""
        self.slip, self.variant, self.bump = slip, variant, bump
        P, out, N, T = self.P, {}, self.N, self.T
        st, a_s, hs = self.forward(P)
        self.bump = None
        steps = lambda v: v.reshape(N, T, -1) if len(v) == N * T else v  # noqa: E731
        out["forward.a1"] = self.filed(st["a"])
        for k in {"rnn": "", "lstm": "ifgoc", "gru": "rzn"}[self.cell]:
            out[f"forward.{k}1"] = st[k]
        out["forward.h1"] = st["h"]
        for l, (a, h) in enumerate(zip(a_s, hs[1:]), 2):
            out[f"forward.a{l}"], out[f"forward.h{l}"] = steps(a), steps(h)
        for l in range(1, len(self.dense) + 2):
            out[f"sums.a{l}"] = float(np.sum(out[f"forward.a{l}"]))
            out[f"sums.h{l}"] = float(np.sum(out[f"forward.h{l}"]))
        out["loss"] = self.loss_of(hs[-1])
        g = self.backward(P, st, a_s, hs)
        for l in range(len(self.dense) + 1, 1, -1):
            out[f"gradients.h{l}"], out[f"gradients.a{l}"] = steps(g[f"h{l}"]), \
                steps(g[f"a{l}"])
        dS = g["steps"]
        out["gradients.h1"], out["gradients.hout1"] = dS["h"], g["hout"]
        out["gradients.hnext1"] = dS["hnext"]
        if self.cell == "lstm":
            out["gradients.c1"], out["gradients.cnext1"] = dS["c"], dS["cnext"]
        for k in {"rnn": "", "lstm": "ogfi", "gru": "nzr"}[self.cell]:
            out[f"gradients.{k}1"] = dS[k]
        out["gradients.a1"] = self.filed(g["a1"])
        out["gradients.x"] = g["x"]
        out["gradients.h0"] = g["h0"]
        if self.cell == "lstm":
            out["gradients.c0"] = g["c0"]
        new = {}
        for name in P:
            grad = g[name]
            new[name] = P[name] - self.lr * grad
            key = f"{name}1" if name in ("Wx", "Wh", "b", "bh") else name
            out[f"gradients.{key}"] = self.filed(grad.T).T if key[-1] == "1" else grad
        for name, v in new.items():
            key = f"{name}1" if name in ("Wx", "Wh", "b", "bh") else name
            out[f"update.parameters.{key}"] = self.filed(v.T).T if key[-1] == "1" else v
        out["update.loss"] = self.loss_of(self.forward(new)[2][-1])  # the slip again
        self.slip = self.variant = ""
        return {k: np.asarray(v, dtype=float).tolist() for k, v in out.items()}
