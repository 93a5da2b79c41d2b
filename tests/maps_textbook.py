"""A by-hand worker for the convolution and pooling networks the grade tests use (conv2d
with stride, padding, flip and bias or none, max and average pooling, flatten, dense
layers after them; channels first or last; one sample or a batch; an L2 penalty; SGD),
written with plain numpy loops over every window from the textbook definitions, with
nothing from backprop_cli: the forward pass, the loss, the backward pass and the update.

A slip is made at its step and everything after it is worked from the slipped numbers,
as its author would (a forward slip in the forward pass after the update too, unless
again=False):

    kernel-flip             the kernel turned 180° where the layer does not turn it (or
                            not where it does); "" everywhere, "forward", "backward"
    padding-ignored         windows placed from x's first cell: window (i, j) covers
                            x[i·s + u, j·s + v], the padding's zeros (−inf for a max
                            pool) all after x; "" everywhere, "forward", "backward"
    stride-backward         the backward pass's window (i, j) at (i + u, j + v): the
                            stride left out of ∂L/∂W and ∂L/∂x (conv, average pool)
    maxpool-gradient-spread "every": δ to every cell of the window; "average": δ/(kH·kW)
    avgpool-no-divide       the sum not divided by kH·kW; "", "forward", "backward"

test_grade_maps.py checks that, without a slip, it gives solve's numbers.
"""

from __future__ import annotations

import numpy as np
import yaml

FORMS = {"lambda/2": lambda lam, N: lam / 2.0, "lambda/2m": lambda lam, N: lam / (2.0 * N),
         "lambda": lambda lam, N: lam, "lambda/m": lambda lam, N: lam / N}
MAPS = ("conv2d", "maxpool2d", "avgpool2d")


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACT = {"identity": lambda a: a, "relu": lambda a: np.maximum(a, 0.0), "tanh": np.tanh,
       "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)), "softmax": softmax}


def chain(act, a, h, dh):
    """∂L/∂a from ∂L/∂h through the activation (rows or maps: entry by entry, softmax
    over a row)."""
    if act == "softmax":
        return h * (dh - (dh * h).sum(axis=1, keepdims=True))
    return dh * {"identity": 1.0, "relu": (a > 0).astype(float), "tanh": 1.0 - h * h,
                 "sigmoid": h * (1.0 - h)}[act]


def pair(v, default):
    v = default if v is None else v
    return tuple(v) if isinstance(v, list) else (v, v)


class Maps:
    def __init__(self, text: str):
        doc = yaml.safe_load(text)
        self.last = doc.get("channels", "first") == "last"
        x = np.array(doc["x"], dtype=float)
        self.rank = x.ndim  # 4 a batch, 3 one sample (C, H, W), 2 one sample (H, W)
        if x.ndim == 2:
            x = x[None, :, :, None] if self.last else x[None, None]
        elif x.ndim == 3:
            x = x[None]
        self.x = x.transpose(0, 3, 1, 2) if self.last else x  # (N, C, H, W)
        self.N = self.x.shape[0]
        self.loss, self.layers = doc["loss"], doc["layers"]
        self.lr = float(doc.get("optimizer", {}).get("lr", 1.0))
        l2 = doc.get("l2")
        self.l2 = None if l2 is None else (float(l2["lambda"]), l2.get("form", "lambda/2"))
        self.params = {}
        for l, layer in enumerate(self.layers, 1):
            if "weights" in layer:
                W = np.array(layer["weights"], dtype=float)
                if self.kind(l) == "conv2d" and self.last:  # (kH, kW, C, O) -> (O, C, kH, kW)
                    W = W.transpose(3, 2, 0, 1)
                self.params[f"W{l}"] = W
            if "bias" in layer:
                self.params[f"b{l}"] = np.array(layer["bias"], dtype=float)
        self.y = self._targets(doc["y"])
        self.slip, self.variant, self.bump = "", "", None

    def _targets(self, raw):
        y = np.array(raw, dtype=float)
        if self.loss == "cross_entropy" and (y.ndim == 0 or y.ndim == 1 and self.rank == 4):
            y = np.eye(len(self.layers[-1]["weights"]))[np.atleast_1d(y).astype(int)]  # indices
        if self.loss == "upstream" and self.kind(len(self.layers)) in MAPS:
            y = y if self.rank == 4 else y[None]
            return y.transpose(0, 3, 1, 2) if self.last else y
        return y.reshape(self.N, -1)

    def kind(self, l):
        return self.layers[l - 1].get("kind", "dense")

    def made(self, slip, *variants):
        return self.slip == slip and (not variants or self.variant in variants)

    def _at(self, name, value):
        if self.bump is None or self.bump[0] != name:
            return value
        value = np.array(value, dtype=float)
        value.flat[0] += self.bump[1]
        return value

    # --------------------------------------------------------------- geometry

    def geometry(self, l):
        layer = self.layers[l - 1]
        if self.kind(l) == "conv2d":
            kernel = self.params[f"W{l}"].shape[2:]
            stride = pair(layer.get("stride"), 1)
        else:
            kernel = pair(layer["size"], None)
            stride = pair(layer.get("stride"), list(kernel))
        return kernel, stride, pair(layer.get("padding"), 0)

    def pad(self, m, padding, fill, shifted):
        """m (N, C, H, W) with the padding around it, or all of it after (shifted)."""
        N, C, H, W = m.shape
        pH, pW = padding
        out = np.full((N, C, H + 2 * pH, W + 2 * pW), fill)
        top, left = (0, 0) if shifted else (pH, pW)
        out[:, :, top:top + H, left:left + W] = m
        return out

    def crop(self, m, padding, shape, shifted):
        pH, pW = padding
        top, left = (0, 0) if shifted else (pH, pW)
        return m[:, :, top:top + shape[0], left:left + shape[1]]

    def out_size(self, l, shape):
        (kH, kW), (sH, sW), (pH, pW) = self.geometry(l)
        return (shape[0] + 2 * pH - kH) // sH + 1, (shape[1] + 2 * pW - kW) // sW + 1

    def kernel(self, l, backward):
        """The kernel as the layer applies it: turned 180° with flip, or by the slip."""
        turn = bool(self.layers[l - 1].get("flip", False))
        if self.made("kernel-flip", "", "backward" if backward else "forward"):
            turn = not turn
        W = self.params_now[f"W{l}"]
        return (W[:, :, ::-1, ::-1] if turn else W), turn

    def shifted(self, backward):
        return self.made("padding-ignored", "", "backward" if backward else "forward")

    # ---------------------------------------------------------------- forward

    def conv(self, l, x):
        K, _ = self.kernel(l, False)
        (kH, kW), (sH, sW), padding = self.geometry(l)
        xp = self.pad(x, padding, 0.0, self.shifted(False))
        Ho, Wo = self.out_size(l, x.shape[2:])
        N, O = x.shape[0], K.shape[0]
        out = np.zeros((N, O, Ho, Wo))
        for n in range(N):
            for o in range(O):
                for i in range(Ho):
                    for j in range(Wo):
                        total = 0.0
                        for c in range(x.shape[1]):
                            for u in range(kH):
                                for v in range(kW):
                                    total += K[o, c, u, v] * xp[n, c, i * sH + u, j * sW + v]
                        out[n, o, i, j] = total + (self.params_now[f"b{l}"][o]
                                                   if f"b{l}" in self.params_now else 0.0)
        return out

    def pool(self, l, x, maximum):
        (kH, kW), (sH, sW), padding = self.geometry(l)
        fill = -np.inf if maximum else 0.0
        xp = self.pad(x, padding, fill, self.shifted(False))
        Ho, Wo = self.out_size(l, x.shape[2:])
        N, C = x.shape[:2]
        out = np.zeros((N, C, Ho, Wo))
        divide = not self.made("avgpool-no-divide", "", "forward")
        for n in range(N):
            for c in range(C):
                for i in range(Ho):
                    for j in range(Wo):
                        cells = [xp[n, c, i * sH + u, j * sW + v]
                                 for u in range(kH) for v in range(kW)]
                        out[n, c, i, j] = max(cells) if maximum else \
                            sum(cells) / (kH * kW if divide else 1)
        return out

    def flatten(self, x):
        return (x.transpose(0, 2, 3, 1) if self.last else x).reshape(x.shape[0], -1)

    def forward(self, P):
        """(a, h): a[l], h[l] (h[0] = x), maps (N, C, H, W) or rows (N, n)."""
        self.params_now = P
        a, h = [None], [self.x]
        for l, layer in enumerate(self.layers, 1):
            x, kind = h[-1], self.kind(l)
            if kind == "conv2d":
                z = self.conv(l, x)
            elif kind in ("maxpool2d", "avgpool2d"):
                z = self.pool(l, x, kind == "maxpool2d")
            elif kind == "flatten":
                z = self.flatten(x)
            else:
                z = x @ P[f"W{l}"].T + P.get(f"b{l}", 0.0)
            a.append(self._at(f"a{l}", z))
            act = layer.get("activation", "identity")
            if act == "softmax" and a[-1].ndim == 4:
                raise ValueError("softmax over a map: not in this worker")
            h.append(self._at(f"h{l}", ACT[act](a[-1])))
        return a, h

    def loss_parts(self, P, hL, form):
        y = self.y
        data = {"mse": lambda: ((hL - y) ** 2).mean(),
                "bce": lambda: -(y * np.log(hL) + (1 - y) * np.log(1 - hL)).mean(),
                "cross_entropy": lambda: -(y * np.log(hL)).sum(axis=1).mean(),
                "upstream": lambda: (y * hL).sum()}[self.loss]()
        if self.l2 is None:
            return float(data), 0.0
        c = FORMS[form](self.l2[0], self.N)
        return float(data), c * sum(float((P[k] ** 2).sum()) for k in P if k.startswith("W"))

    # --------------------------------------------------------------- backward

    def conv_backward(self, l, x, d, g):
        K, turned = self.kernel(l, True)
        (kH, kW), (sH, sW), padding = self.geometry(l)
        if self.made("stride-backward"):
            sH = sW = 1
        shifted = self.shifted(True)
        xp = self.pad(x, padding, 0.0, shifted)
        dxp = np.zeros(xp.shape)
        dK = np.zeros(K.shape)
        N, O, Ho, Wo = d.shape
        for n in range(N):
            for o in range(O):
                for i in range(Ho):
                    for j in range(Wo):
                        for c in range(x.shape[1]):
                            for u in range(kH):
                                for v in range(kW):
                                    r, s = i * sH + u, j * sW + v
                                    dK[o, c, u, v] += d[n, o, i, j] * xp[n, c, r, s]
                                    dxp[n, c, r, s] += d[n, o, i, j] * K[o, c, u, v]
        g[f"W{l}"] = dK[:, :, ::-1, ::-1] if turned else dK
        if f"b{l}" in self.params:
            g[f"b{l}"] = d.sum(axis=(0, 2, 3))
        return self.crop(dxp, padding, x.shape[2:], shifted)

    def pool_backward(self, l, x, d, maximum):
        (kH, kW), (sH, sW), padding = self.geometry(l)
        shifted = self.shifted(True)
        if not maximum and self.made("stride-backward"):
            sH_b, sW_b = 1, 1
        else:
            sH_b, sW_b = sH, sW
        xp = self.pad(x, padding, -np.inf if maximum else 0.0, shifted)
        dxp = np.zeros(xp.shape)
        N, C, Ho, Wo = d.shape
        divide = not self.made("avgpool-no-divide", "", "backward")
        for n in range(N):
            for c in range(C):
                for i in range(Ho):
                    for j in range(Wo):
                        cells = [(i * sH + u, j * sW + v) for u in range(kH) for v in range(kW)]
                        g = d[n, c, i, j]
                        if maximum and self.made("maxpool-gradient-spread"):
                            share = g if self.variant == "every" else g / (kH * kW)
                            for r, s in cells:
                                dxp[n, c, r, s] += share
                        elif maximum:  # the first largest cell, row by row
                            best = cells[0]
                            for r, s in cells[1:]:
                                if xp[n, c, r, s] > xp[n, c, best[0], best[1]]:
                                    best = (r, s)
                            dxp[n, c, best[0], best[1]] += g
                        else:
                            share = g / (kH * kW) if divide else g
                            for u in range(kH):
                                for v in range(kW):
                                    dxp[n, c, i * sH_b + u, j * sW_b + v] += share
        return self.crop(dxp, padding, x.shape[2:], shifted)

    def backward(self, P, a, h, form):
        self.params_now = P
        L, N, y, hL = len(self.layers), self.N, self.y, h[-1]
        K = hL[0].size
        dh = [None] * (L + 1)
        dh[L] = {"mse": lambda: 2 * (hL - y) / (N * K),
                 "bce": lambda: (hL - y) / (hL * (1 - hL)) / (N * K),
                 "cross_entropy": lambda: -y / hL / N, "upstream": lambda: y.copy()}[self.loss]()
        c = 0.0 if self.l2 is None else FORMS[form](self.l2[0], N)
        g = {}
        for l in range(L, 0, -1):
            layer, kind = self.layers[l - 1], self.kind(l)
            act = layer.get("activation", "identity")
            if l == L and (self.loss, act) in (("cross_entropy", "softmax"), ("bce", "sigmoid")):
                da = (hL - y) / N / (K if self.loss == "bce" else 1)
            else:
                da = chain(act, a[l], h[l], dh[l])
            g[f"h{l}"], g[f"a{l}"] = dh[l], da
            x = h[l - 1]
            if kind == "conv2d":
                dh[l - 1] = self.conv_backward(l, x, da, g)
                g[f"W{l}"] = g[f"W{l}"] + 2 * c * P[f"W{l}"]
            elif kind in ("maxpool2d", "avgpool2d"):
                dh[l - 1] = self.pool_backward(l, x, da, kind == "maxpool2d")
            elif kind == "flatten":
                C, H, W = x.shape[1:]
                dh[l - 1] = da.reshape(N, H, W, C).transpose(0, 3, 1, 2) if self.last else \
                    da.reshape(x.shape)
            else:
                W = P[f"W{l}"]
                g[f"W{l}"] = da.T @ x + 2 * c * W
                if f"b{l}" in P:
                    g[f"b{l}"] = da.sum(axis=0)
                dh[l - 1] = da @ W
        g["x"] = dh[0]
        return g

    # ------------------------------------------------------------------ sheet

    def written(self, value, l=None):
        """A quantity as solve's document writes it: maps in the file's shape (one sample
        without N; x as it was written), conv kernels in the file's order, rows as rows
        (one sample: a vector)."""
        value = np.asarray(value, dtype=float)
        if l == "param":  # a dense layer's as it is, a convolution's kernels in file order
            return value.transpose(2, 3, 1, 0) if value.ndim == 4 and self.last else value
        if value.ndim == 4:
            m = value.transpose(0, 2, 3, 1) if self.last else value
            if l == 0 and self.rank == 2:
                m = m[..., 0] if self.last else m[:, 0]
            return m if self.rank == 4 else m[0]
        if value.ndim == 2 and self.rank != 4:
            return value[0]
        return value

    def sheet(self, slip: str = "", variant: str = "", bump=None, again: bool = True) -> dict:
        """Every quantity of solve's document, worked with the slip (bump: (name, δ), the
        first entry of forward.name off by δ, the rest worked from it)."""
        self.slip, self.variant = slip, variant
        form = (self.l2 or (0, None))[1]
        P, out = self.params, {}
        self.bump = bump
        a, h = self.forward(P)
        self.bump = None
        for l in range(1, len(self.layers) + 1):
            out[f"forward.a{l}"], out[f"forward.h{l}"] = self.written(a[l]), self.written(h[l])
            out[f"sums.a{l}"], out[f"sums.h{l}"] = a[l].sum(), h[l].sum()
        self._losses(out, "", P, h[-1], form)
        g = self.backward(P, a, h, form)
        for l in range(len(self.layers), 0, -1):
            out[f"gradients.h{l}"] = self.written(g[f"h{l}"])
            out[f"gradients.a{l}"] = self.written(g[f"a{l}"])
        out["gradients.x"] = self.written(g["x"], 0)
        for name in P:
            out[f"gradients.{name}"] = self.written(g[name], "param")
        new = {k: v - self.lr * g[k] for k, v in P.items()}
        out.update({f"update.parameters.{k}": self.written(v, "param") for k, v in new.items()})
        self.slip = self.slip if again else ""
        self._losses(out, "update.", new, self.forward(new)[1][-1], form)
        self.slip = self.variant = ""
        return {k: np.asarray(v, dtype=float).tolist() for k, v in out.items()}

    def _losses(self, out, prefix, P, hL, form):
        data, penalty = self.loss_parts(P, hL, form)
        out[f"{prefix}loss"] = data + penalty
        if self.l2 is not None:
            out[f"{prefix}loss_parts.data"], out[f"{prefix}loss_parts.penalty"] = data, penalty
