"""A by-hand worker for the layer-kind networks the grade tests use (batch norm, layer norm,
dropout, residual connections, the L2 penalty, `loss: upstream`), written in plain numpy
from the textbook formulas of docs/layers.md, with nothing from backprop_cli: the forward
pass, the loss, the backward pass and the SGD update. A slip is made at its step and
everything after it is worked from the slipped numbers, as its author would (a forward
slip in the forward pass after the update too). test_grade_kinds.py checks that, without
a slip, it gives solve's numbers.
"""

from __future__ import annotations

import numpy as np
import yaml

FORMS = {"lambda/2": lambda lam, N: lam / 2.0, "lambda/2m": lambda lam, N: lam / (2.0 * N),
         "lambda": lambda lam, N: lam, "lambda/m": lambda lam, N: lam / N}


def softmax(a):
    e = np.exp(a - a.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


ACT = {"identity": lambda a: a, "relu": lambda a: np.maximum(a, 0.0), "tanh": np.tanh,
       "sigmoid": lambda a: 1.0 / (1.0 + np.exp(-a)), "softmax": softmax}


def chain(act, a, h, dh):
    """∂L/∂a from ∂L/∂h through the activation."""
    if act == "softmax":
        return h * (dh - (dh * h).sum(axis=1, keepdims=True))
    return dh * {"identity": 1.0, "relu": (a > 0).astype(float), "tanh": 1.0 - h * h,
                 "sigmoid": h * (1.0 - h)}[act]


class Kinds:
    def __init__(self, text: str):
        doc = yaml.safe_load(text)
        self.x = np.array(doc["x"], dtype=float)
        self.N = self.x.shape[0]
        self.loss, self.layers = doc["loss"], doc["layers"]
        y = np.array(doc["y"], dtype=float)
        if self.loss == "cross_entropy" and y.ndim == 1:  # class targets, one-hot
            y = np.eye(len(self.layers[-1]["weights"]))[y.astype(int)]
        self.y, self.lr = y, float(doc["optimizer"]["lr"])
        l2 = doc.get("l2")
        self.l2 = None if l2 is None else (float(l2["lambda"]), l2.get("form", "lambda/2"))
        self.params = {f"{name}{l}": np.array(layer[key], dtype=float)
                       for l, layer in enumerate(self.layers, 1)
                       for key, name in (("weights", "W"), ("bias", "b"), ("gamma", "gamma"),
                                         ("beta", "beta")) if key in layer}
        self.slip, self.variant, self.bump = "", "", None

    def kind(self, l):
        return self.layers[l - 1].get("kind", "dense")

    def made(self, slip, *variants):
        return self.slip == slip and (not variants or self.variant in variants)

    def _at(self, name, value):
        """value, with the arithmetic slip's bump when `name` is the one bumped."""
        if self.bump is None or self.bump[0] != name:
            return value
        value = value.copy()
        value.flat[0] += self.bump[1]
        return value

    # ------------------------------------------------------------------ forward

    def forward(self, P):
        """(a, h, cache): a[l], h[l] (h[0] = x) and each kind's intermediates by name."""
        a, h, cache = [None], [self.x], {}
        for l, layer in enumerate(self.layers, 1):
            x, kind = h[-1], self.kind(l)
            if kind == "dense":
                z = x @ P[f"W{l}"].T + P.get(f"b{l}", 0.0)
                k = layer.get("residual")
                if k is not None and not self.made("residual-path-missing", "forward"):
                    z = z + h[k]
            elif kind == "dropout":
                mask = np.array(layer["mask"], dtype=float)
                keep = layer.get("keep", 1.0 - layer.get("p", 0.5))
                scale = 1.0 / keep if layer.get("scale", "inverted") == "inverted" else 1.0
                cache[f"mask{l}"], cache[f"scale{l}"] = mask, scale
                z = x * mask * (1.0 if self.made("dropout-no-scale", "", "forward") else scale)
            else:  # batch norm over the batch (axis 0), layer norm over the features (axis 1)
                ax = 0 if kind == "batchnorm" else 1
                count = div = x.shape[ax]
                if kind == "batchnorm":
                    unbiased = (layer.get("variance", "biased") == "unbiased") != \
                        self.made("bn-variance")
                    div = count - 1 if unbiased else count
                mu = self._at(f"mean{l}", x.sum(axis=ax) / count)
                d = x - np.expand_dims(mu, ax)
                var = self._at(f"var{l}", (d * d).sum(axis=ax) / div)
                xhat = self._at(f"xhat{l}", d / np.sqrt(np.expand_dims(var, ax)
                                                        + layer.get("eps", 1e-5)))
                cache[f"mean{l}"], cache[f"var{l}"], cache[f"xhat{l}"] = mu, var, xhat
                cache[l] = (ax, count, div, d)
                z = xhat * P.get(f"gamma{l}", 1.0) + P.get(f"beta{l}", 0.0)
            a.append(self._at(f"a{l}", z))
            h.append(self._at(f"h{l}", ACT[layer.get("activation", "identity")](a[-1])))
        return a, h, cache

    def loss_parts(self, P, hL, form=None):
        y, N = self.y, self.N
        data = {"mse": lambda: ((hL - y) ** 2).mean(),
                "bce": lambda: -(y * np.log(hL) + (1 - y) * np.log(1 - hL)).mean(),
                "cross_entropy": lambda: -(y * np.log(hL)).sum(axis=1).mean(),
                "upstream": lambda: (y * hL).sum()}[self.loss]()
        if self.l2 is None:
            return float(data), 0.0
        c = FORMS[form](self.l2[0], N)
        return float(data), c * sum(float((P[f"W{l}"] ** 2).sum())
                                    for l in range(1, len(self.layers) + 1)
                                    if self.kind(l) == "dense")

    # ----------------------------------------------------------------- backward

    def backward(self, P, a, h, cache, form):
        L, N, y, hL = len(self.layers), self.N, self.y, h[-1]
        K = hL.shape[1]
        dh = [np.zeros_like(v) for v in h]
        dh[L] = {"mse": lambda: 2 * (hL - y) / (N * K),
                 "bce": lambda: (hL - y) / (hL * (1 - hL)) / (N * K),
                 "cross_entropy": lambda: -y / hL / N, "upstream": lambda: y.copy()}[self.loss]()
        c = 0.0 if self.l2 is None or self.made("l2-gradient-missing") else \
            FORMS[form](self.l2[0], N)
        g = {}
        for l in range(L, 0, -1):
            layer, kind = self.layers[l - 1], self.kind(l)
            act = layer.get("activation", "identity")
            if l == L and (self.loss, act) in (("cross_entropy", "softmax"), ("bce", "sigmoid")):
                da = (hL - y) / N / (K if self.loss == "bce" else 1)
            else:
                da = chain(act, a[l], h[l], dh[l])
            g[f"h{l}"], g[f"a{l}"] = dh[l], da
            if kind == "dense":
                W = P[f"W{l}"]
                g[f"W{l}"] = da.T @ h[l - 1] + 2 * c * W
                if f"b{l}" in P:
                    g[f"b{l}"] = da.sum(axis=0)
                dh[l - 1] = dh[l - 1] + da @ W
                k = layer.get("residual")
                if k is not None and not self.made("residual-path-missing", "backward"):
                    dh[k] = dh[k] + da
            elif kind == "dropout":
                mask = 1.0 if self.made("dropout-mask-backward") else cache[f"mask{l}"]
                no_scale = self.made("dropout-no-scale", "", "backward") or \
                    self.made("dropout-mask-backward", "neither")
                dh[l - 1] = dh[l - 1] + da * mask * (1.0 if no_scale else cache[f"scale{l}"])
            else:
                dh[l - 1] = dh[l - 1] + self._norm_backward(l, P, da, cache, g)
        g["x"] = dh[0]
        return g

    def _norm_backward(self, l, P, da, cache, g):
        ax, count, div, d = cache[l]
        var, xhat = cache[f"var{l}"], cache[f"xhat{l}"]
        if f"gamma{l}" in P:
            g[f"gamma{l}"], g[f"beta{l}"] = (da * xhat).sum(axis=0), da.sum(axis=0)
        v = np.expand_dims(var + self.layers[l - 1].get("eps", 1e-5), ax)
        g[f"xhat{l}"] = dxhat = da * P.get(f"gamma{l}", 1.0)
        g[f"var{l}"] = dvar = (dxhat * d).sum(axis=ax) * (-0.5 * np.squeeze(v, ax) ** -1.5)
        g[f"mean{l}"] = dmean = (-dxhat / np.sqrt(v)).sum(axis=ax) + \
            dvar * (-2.0 * d).sum(axis=ax) / div
        dx = dxhat / np.sqrt(v)
        if not self.made("bn-mean-path-missing", "xhat"):
            dx = dx + np.expand_dims(dvar, ax) * 2.0 * d / div
        if not self.made("bn-mean-path-missing"):
            dx = dx + np.expand_dims(dmean, ax) / count
        return dx

    # ------------------------------------------------------------------- sheet

    def sheet(self, slip: str = "", variant: str = "", bump=None, again: bool = True) -> dict:
        """Every quantity of solve's document, worked with the slip (bump: (name, δ), the
        first entry of forward.name off by δ, the rest worked from it; again: a forward
        slip made in the forward pass after the update too)."""
        self.slip, self.variant = slip, variant
        form = variant if slip == "l2-form" else (self.l2 or (0, None))[1]
        P, out = self.params, {}
        self.bump = bump
        a, h, cache = self.forward(P)
        self.bump = None
        for l in range(1, len(self.layers) + 1):
            for name in ("mean", "var", "xhat", "mask", "scale"):
                if f"{name}{l}" in cache:
                    out[f"forward.{name}{l}"] = cache[f"{name}{l}"]
            out[f"forward.a{l}"], out[f"forward.h{l}"] = a[l], h[l]
            out[f"sums.a{l}"], out[f"sums.h{l}"] = a[l].sum(), h[l].sum()
        self._losses(out, "", P, h[-1], form)
        g = self.backward(P, a, h, cache, form)
        out.update({f"gradients.{k}": v for k, v in g.items()})
        new = {k: v - self.lr * g[k] for k, v in P.items()}
        out.update({f"update.parameters.{k}": v for k, v in new.items()})
        for l, layer in enumerate(self.layers, 1):
            if self.kind(l) == "batchnorm":
                m, n, d = layer.get("momentum", 0.1), self.N, cache[l][3]
                rm = np.zeros(d.shape[1]) + layer.get("running_mean", 0.0)
                rv = np.zeros(d.shape[1]) + layer.get("running_var", 1.0)
                out[f"update.running.running_mean{l}"] = (1 - m) * rm + m * cache[f"mean{l}"]
                out[f"update.running.running_var{l}"] = (1 - m) * rv + \
                    m * (d * d).sum(axis=0) / (n - 1)
        self.slip = self.slip if again else ""
        self._losses(out, "update.", new, self.forward(new)[1][-1], form)
        self.slip = self.variant = ""
        return {k: np.asarray(v, dtype=float).tolist() for k, v in out.items()}

    def _losses(self, out, prefix, P, hL, form):
        data, penalty = self.loss_parts(P, hL, form)
        out[f"{prefix}loss"] = data + penalty
        if self.l2 is not None:
            out[f"{prefix}loss_parts.data"], out[f"{prefix}loss_parts.penalty"] = data, penalty

