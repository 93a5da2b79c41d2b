"""The layer-kind oracle checked by a second, independent one: numpy alone re-computes every
fixture in tests/golden/layers/ (written by make_golden_layers.py with torch autograd) —
the forward pass, the loss, the backward pass with batch and layer norm's closed forms
(CS231n assignment 2's dx = (1/N)·γ/σ·(N·dy − Σdy − x̂·Σ(dy·x̂)), generalised to N − 1),
the one-step update and the running statistics. It does not import backprop_cli."""

import json

import numpy as np
import pytest
from helpers import GOLDEN

FIXTURES = sorted((GOLDEN / "layers").glob("*.json"))
RTOL = 1e-9
FORMS = {"lambda/2": lambda lam, n: lam / 2, "lambda/2m": lambda lam, n: lam / (2 * n),
         "lambda": lambda lam, n: lam, "lambda/m": lambda lam, n: lam / n}


def close(actual, expected, what):
    """Elementwise |a − e| ≤ RTOL·max(|e|, 1e-6 · the largest |e| of the quantity)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    scale = max(np.abs(e).max(initial=0.0), 1e-300)
    err = np.abs(a - e)
    assert (err <= RTOL * np.maximum(np.abs(e), 1e-6 * scale)).all(), f"{what}: {err.max()}"


def kind(layer):
    return layer.get("kind", "dense")


def keep(layer):
    return 1.0 - layer["p"] if "p" in layer else layer.get("keep", 1.0)


def scale(layer):
    """Dropout's factor on the kept units: 1/keep (inverted, train), else 1."""
    inverted = layer.get("scale", "inverted") == "inverted"
    return 1.0 / keep(layer) if inverted and layer.get("mode", "train") == "train" else 1.0


def f(a, name):
    if name == "identity":
        return a
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "tanh":
        return np.tanh(a)
    if name == "sigmoid":
        return 1 / (1 + np.exp(-a))
    e = np.exp(a - a.max(-1, keepdims=True))  # softmax
    return e / e.sum(-1, keepdims=True)


def f_back(dh, a, h, name):
    if name == "identity":
        return dh
    if name == "relu":
        return dh * (a > 0)
    if name == "tanh":
        return dh * (1 - h * h)
    if name == "sigmoid":
        return dh * h * (1 - h)
    return h * (dh - (dh * h).sum(-1, keepdims=True))  # softmax


class Model:
    """The problem with numpy arrays; P holds the parameters by their JSON names."""

    def __init__(self, prob, params=None):
        self.prob, self.layers = prob, prob["layers"]
        self.x = np.array(prob["x"], dtype=float)
        self.N, width = self.x.shape
        self.P, self.stats = {}, {}
        for l, layer in enumerate(self.layers, 1):
            for key, name in (("weights", "W"), ("bias", "b"), ("gamma", "gamma"),
                              ("beta", "beta")):
                if key in layer:
                    self.P[f"{name}{l}"] = np.array(layer[key], dtype=float)
            if kind(layer) == "batchnorm":
                self.stats[l] = (np.array(layer.get("running_mean", [0.0] * width)),
                                 np.array(layer.get("running_var", [1.0] * width)))
            width = len(layer["weights"]) if kind(layer) == "dense" else width
        self.P.update({k: np.array(v, dtype=float) for k, v in (params or {}).items()})

    def norm(self, l, h, layer, axis):
        """Batch norm (axis 0) or layer norm (axis 1): a, and mean, var, xhat, invstd, M."""
        eps = layer.get("eps", 1e-5)
        if axis == 0 and layer.get("mode", "train") == "eval":
            mean, var = self.stats[l]
            M = None
        else:
            M = h.shape[axis] - (layer.get("variance") == "unbiased")
            mean = h.mean(axis, keepdims=True)
            var = ((h - mean) ** 2).sum(axis, keepdims=True) / M
        invstd = 1 / np.sqrt(var + eps)
        xhat = (h - mean) * invstd
        a = xhat * self.P.get(f"gamma{l}", 1.0) + self.P.get(f"beta{l}", 0.0)
        return a, dict(mean=mean, var=var, xhat=xhat, invstd=invstd, M=M)

    def forward(self):
        hs, acts, saved = [self.x], {}, {}
        for l, layer in enumerate(self.layers, 1):
            h, k = hs[-1], kind(layer)
            if k == "dense":
                a = h @ self.P[f"W{l}"].T + self.P.get(f"b{l}", 0.0)
                a = a + hs[layer["residual"]] if "residual" in layer else a
            elif k in ("batchnorm", "layernorm"):
                a, saved[l] = self.norm(l, h, layer, 0 if k == "batchnorm" else 1)
            else:
                a, saved[l] = self.dropout(l, h, layer), {}
            acts[f"a{l}"], acts[f"h{l}"] = a, f(a, layer.get("activation", "identity"))
            hs.append(acts[f"h{l}"])
        return acts, saved

    def dropout(self, l, h, layer):
        if layer.get("mode", "train") == "eval":
            return h
        mask = np.array(layer["mask"], dtype=float)
        return h * mask / keep(layer) if scale(layer) != 1.0 else h * mask

    def penalty_coef(self):
        spec = self.prob.get("l2")
        return 0.0 if spec is None else FORMS[spec.get("form", "lambda/2")](spec["lambda"], self.N)

    def loss(self, hL):
        """(data loss, penalty, dL/dh_L)."""
        y, kind_ = np.array(self.prob["y"]), self.prob["loss"]
        N, K = hL.shape
        if kind_ == "cross_entropy":
            Y = np.eye(K)[y] if y.ndim == 1 else y.astype(float)
            data, dh = -(Y * np.log(hL)).sum() / N, -Y / hL / N
        elif kind_ == "mse":
            data, dh = ((hL - y) ** 2).mean(), 2 * (hL - y) / (N * K)
        elif kind_ == "bce":
            data = -(y * np.log(hL) + (1 - y) * np.log(1 - hL)).mean()
            dh = (hL - y) / (hL * (1 - hL)) / (N * K)
        else:  # upstream
            data, dh = (y * hL).sum(), y.astype(float)
        W2 = sum((p * p).sum() for n, p in self.P.items() if n.startswith("W"))
        return data, self.penalty_coef() * W2, dh


def norm_back(da, s, gamma, axis, eval_mode):
    """CS231n's staged backward (x̂ → σ² → μ → x), closed form, with M = N or N − 1."""
    dxhat = da * gamma
    if eval_mode:
        return dict(xhat=dxhat), dxhat * s["invstd"]
    d, inv = s["xhat"] / s["invstd"], s["invstd"]
    dvar = (dxhat * d).sum(axis, keepdims=True) * -0.5 * inv ** 3
    dmean = -(dxhat * inv).sum(axis, keepdims=True) - 2 * dvar * d.mean(axis, keepdims=True)
    dx = inv * (dxhat - dxhat.mean(axis, keepdims=True)) \
        - d * inv ** 3 * (dxhat * d).sum(axis, keepdims=True) / s["M"]
    return dict(xhat=dxhat, var=dvar, mean=dmean), dx


def backward(model, acts, saved, dhL):
    """Every gradient the fixtures hold, by their JSON names."""
    L, G = len(model.layers), {}
    dh = {L: dhL}
    hs = [model.x] + [acts[f"h{l}"] for l in range(1, L + 1)]
    for l in range(L, 0, -1):
        layer, k = model.layers[l - 1], kind(model.layers[l - 1])
        G[f"h{l}"] = dh[l]
        da = G[f"a{l}"] = f_back(dh[l], acts[f"a{l}"], hs[l], layer.get("activation", "identity"))
        if k == "dense":
            W = model.P[f"W{l}"]
            G[f"W{l}"] = da.T @ hs[l - 1] + 2 * model.penalty_coef() * W
            G[f"b{l}"] = da.sum(0)
            back = da @ W
            if "residual" in layer:
                r = layer["residual"]
                dh[r] = dh.get(r, 0.0) + da
        elif k in ("batchnorm", "layernorm"):
            axis, s = (0 if k == "batchnorm" else 1), saved[l]
            inner, back = norm_back(da, s, model.P.get(f"gamma{l}", 1.0), axis,
                                    k == "batchnorm" and s["M"] is None)
            G.update({f"{q}{l}": v.squeeze() for q, v in inner.items()})
            G[f"gamma{l}"], G[f"beta{l}"] = (da * s["xhat"]).sum(0), da.sum(0)
        else:
            back = model.dropout(l, da, layer)  # the mask (and scale) again: linear in h
        dh[l - 1] = dh.get(l - 1, 0.0) + back
    G["x"] = dh[0]
    return G


def load(path):
    case = json.loads(path.read_text())
    return case["problem"], case["expected"]


def test_the_fixtures_cover_every_kind_mode_and_convention():
    probs = [load(p)[0] for p in FIXTURES]
    layers = [layer for p in probs for layer in p["layers"]]
    conventions = {"batchnorm": ("variance", "biased"), "dropout": ("scale", "inverted")}
    seen = set()
    for x in layers:
        key, default = conventions.get(kind(x), ("", ""))
        seen.add((kind(x), x.get("mode", "train"), x.get(key, default)))
    want = {("batchnorm", "train", "biased"), ("batchnorm", "train", "unbiased"),
            ("batchnorm", "eval", "biased"), ("dropout", "train", "inverted"),
            ("dropout", "train", "none"), ("dropout", "eval", "inverted"),
            ("layernorm", "train", ""), ("dense", "train", "")}
    assert seen == want
    assert any("residual" in x for x in layers)
    assert any(kind(x) == "batchnorm" and "gamma" not in x for x in layers)
    assert {p.get("l2", {}).get("form", "lambda/2") for p in probs if "l2" in p} == set(FORMS)
    assert {p["loss"] for p in probs} == {"cross_entropy", "mse", "bce", "upstream"}
    assert sum(p["optimizer"]["name"] == "adam" for p in probs) >= 2


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_forward_and_loss(fixture):
    prob, exp = load(fixture)
    model = Model(prob)
    acts, saved = model.forward()
    assert list(acts) == list(exp["forward"])
    for name, value in acts.items():
        close(value, exp["forward"][name], f"forward.{name}")
    for name, value in exp["intermediates"].items():
        q, l = name.rstrip("0123456789"), int(name[len(name.rstrip("0123456789")):])
        mine = scale(prob["layers"][l - 1]) if q == "scale" else np.squeeze(saved[l][q])
        close(mine, value, f"intermediates.{name}")
    data, pen, _ = model.loss(acts[f"h{len(model.layers)}"])
    close(data + pen, exp["loss"], "loss")
    if "l2" in prob:
        close([data, pen], [exp["loss_parts"]["data"], exp["loss_parts"]["penalty"]], "parts")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_backward_closed_forms(fixture):
    prob, exp = load(fixture)
    model = Model(prob)
    acts, saved = model.forward()
    G = backward(model, acts, saved, model.loss(acts[f"h{len(model.layers)}"])[2])
    assert set(exp["gradients"]) <= set(G)
    for name, value in exp["gradients"].items():
        close(G[name], value, f"gradients.{name}")


@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.stem)
def test_update_running_statistics_and_loss_after(fixture):
    prob, exp = load(fixture)
    model = Model(prob)
    acts, saved = model.forward()
    G = backward(model, acts, saved, model.loss(acts[f"h{len(model.layers)}"])[2])
    spec = prob["optimizer"]
    for name, p in model.P.items():
        g = G[name]
        if spec["name"] == "sgd":
            new = p - spec["lr"] * g
        else:  # Adam's first step: bias correction makes m̂ = g, v̂ = g²
            new = p - spec["lr"] * g / (np.abs(g) + spec.get("eps", 1e-8))
        close(new, exp["update"]["parameters"][name], f"update.parameters.{name}")
    hs = [model.x] + [acts[f"h{l}"] for l in range(1, len(model.layers) + 1)]
    for l, (rm, rv) in model.stats.items():
        layer = model.layers[l - 1]
        if layer.get("mode", "train") == "train":
            m = layer.get("momentum", 0.1)
            rm, rv = (1 - m) * rm + m * hs[l - 1].mean(0), (1 - m) * rv + m * hs[l - 1].var(0,
                                                                                          ddof=1)
        close(rm, exp["update"]["running"][f"running_mean{l}"], f"running_mean{l}")
        close(rv, exp["update"]["running"][f"running_var{l}"], f"running_var{l}")
    after = Model(prob, exp["update"]["parameters"])
    data, pen, _ = after.loss(after.forward()[0][f"h{len(model.layers)}"])
    close(data + pen, exp["update"]["loss"], "update.loss")


SLIPS = {  # what a student's slip would give: each must differ from the oracle somewhere
    "bn-mean-path-missing": lambda s, dxhat: s["invstd"] * dxhat - s["xhat"] * s["invstd"]
    * (dxhat * s["xhat"]).sum(0) / s["M"],
    "bn-variance": lambda s, dxhat: s["invstd"] * (dxhat - dxhat.mean(0)) - s["xhat"]
    * s["invstd"] * (dxhat * s["xhat"]).sum(0) / (s["M"] + 1),
}


@pytest.mark.parametrize("slip", SLIPS)
def test_the_comparison_catches_a_batch_norm_slip(slip):
    prob, exp = load(GOLDEN / "layers" / "bn_upstream_cs231n.json")
    model = Model(prob)
    _, saved = model.forward()
    dxhat = np.array(prob["y"]) * model.P["gamma1"]
    with pytest.raises(AssertionError):
        close(SLIPS[slip](saved[1], dxhat), exp["gradients"]["x"], "x")
