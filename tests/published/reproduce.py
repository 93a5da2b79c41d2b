"""Recompute the published worked examples in this folder with plain numpy.

    python tests/published/reproduce.py           # check: prints a table, exits 1 on a mismatch
    python tests/published/reproduce.py --write   # rewrite inputs.json, *.yaml, expected.json

Stdlib and numpy only; it never imports backprop_cli, so it is an independent oracle.
Every input is regenerated from its source's own recipe (numpy's legacy RNG, which numpy
still reproduces bit for bit: np.random.seed(1); np.random.randn(...)) and must equal the
stored inputs.json exactly. Every published number (transcribed in sources.py beside this
file) is then recomputed by a small forward/backward pass written out here path by path.
"""

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import sources  # noqa: E402  (the recipes and the published numbers, beside this file)

# ---------------------------------------------------------------- the forward pass


def _act(name, a):
    if name == "relu":
        return np.maximum(a, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-a))
    if name == "softmax":
        e = np.exp(a - a.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)
    return a


def _norm_forward(x, layer, axis):
    """Batch norm (axis 0: over the samples) or layer norm (axis 1: over the features)."""
    n = x.shape[axis]
    mu = x.mean(axis=axis, keepdims=True)
    d = x - mu
    bessel = layer.get("variance", "biased") == "unbiased"
    var = (d * d).sum(axis=axis, keepdims=True) / (n - 1 if bessel else n)
    inv = 1.0 / np.sqrt(var + layer.get("eps", 1e-5))
    xhat = d * inv
    gamma = np.asarray(layer.get("gamma", 1.0), float)
    beta = np.asarray(layer.get("beta", 0.0), float)
    return gamma * xhat + beta, {"d": d, "inv": inv, "xhat": xhat, "gamma": gamma, "n": n,
                                 "nd": n - 1 if bessel else n}


def forward(p):
    """Values a{l}, h{l} of every layer; each layer's cache for the backward pass."""
    in_out = p.get("layout", "out_in") == "in_out"
    hs = [np.asarray(p["x"], float)]
    values, caches = {}, []
    for l, layer in enumerate(p["layers"], 1):
        h, kind, cache = hs[-1], layer.get("kind", "dense"), {}
        if kind == "dense":
            W = np.asarray(layer["weights"], float)
            a = h @ W if in_out else h @ W.T
            a = a + np.asarray(layer.get("bias", 0.0), float)
            if "residual" in layer:
                a = a + hs[layer["residual"]]
        elif kind == "batchnorm":
            a, cache = _norm_forward(h, layer, 0)
        elif kind == "layernorm":
            a, cache = _norm_forward(h, layer, 1)
        elif kind == "dropout":
            keep = layer["keep"] if "keep" in layer else 1.0 - layer["p"]
            scale = 1.0 / keep if layer.get("scale", "inverted") == "inverted" else 1.0
            cache = {"m": np.asarray(layer["mask"], float) * scale}
            a = h * cache["m"]
        else:
            raise ValueError(f"unknown kind {kind}")
        hl = _act(layer.get("activation", "identity"), a)
        values[f"forward.a{l}"], values[f"forward.h{l}"] = a, hl
        caches.append(cache)
        hs.append(hl)
    return hs, values, caches


# ---------------------------------------------------------------- loss and penalty


def _l2_coefficient(p, n):
    l2 = p.get("l2")
    if not l2:
        return 0.0
    lam, form = l2["lambda"], l2.get("form", "lambda/2")
    return {"lambda/2": lam / 2, "lambda/2m": lam / (2 * n), "lambda": lam,
            "lambda/m": lam / n}[form]


def loss_and_seed(p, hs, values):
    """The whole objective and ∂L/∂a_L (or ∂L/∂h_L for the upstream form)."""
    L, n = len(p["layers"]), hs[0].shape[0]
    a, yhat = values[f"forward.a{L}"], hs[-1]
    y = np.asarray(p["y"], float)
    if p["loss"] == "upstream":
        data, seed, at = float((y * yhat).sum()), y, "h"
    elif p["loss"] == "bce":  # sigmoid output; mean over samples and outputs
        log_s, log_1ms = -np.logaddexp(0, -a), -np.logaddexp(0, a)
        data = float(-(y * log_s + (1 - y) * log_1ms).mean())
        seed, at = (yhat - y) / y.size, "a"
    elif p["loss"] == "cross_entropy":  # softmax output; y holds class indices
        idx = np.asarray(p["y"], int)
        m = a.max(axis=1, keepdims=True)
        lse = (np.log(np.exp(a - m).sum(axis=1, keepdims=True)) + m)[:, 0]
        data = float((lse - a[np.arange(n), idx]).mean())
        onehot = np.zeros_like(a)
        onehot[np.arange(n), idx] = 1.0
        seed, at = (yhat - onehot) / n, "a"
    else:
        raise ValueError(p["loss"])
    c = _l2_coefficient(p, n)
    dense = [ly for ly in p["layers"] if ly.get("kind", "dense") == "dense"]
    penalty = c * sum(float((np.asarray(ly["weights"], float) ** 2).sum()) for ly in dense)
    return data + penalty, c, seed, at


# ---------------------------------------------------------------- the backward pass


def _norm_backward(da, cache, axis):
    """∂L/∂x through batch/layer norm's three paths: x̂ directly, σ² and μ."""
    d, inv, xhat, gamma, n, nd = (cache[k] for k in ("d", "inv", "xhat", "gamma", "n", "nd"))
    dxhat = da * gamma
    dvar = (dxhat * d).sum(axis=axis, keepdims=True) * -0.5 * inv**3
    dmu = (-dxhat * inv).sum(axis=axis, keepdims=True) \
        + dvar * (-2.0 * d).sum(axis=axis, keepdims=True) / nd
    dx = dxhat * inv + dvar * 2.0 * d / nd + dmu / n
    return dx, (da * xhat).sum(axis=axis), da.sum(axis=axis)


def backward(p, hs, values, caches, c, seed, at):
    in_out = p.get("layout", "out_in") == "in_out"
    L = len(p["layers"])
    dh = [np.zeros_like(h) for h in hs]
    grads = {}
    for l in range(L, 0, -1):
        layer, cache = p["layers"][l - 1], caches[l - 1]
        kind, act = layer.get("kind", "dense"), layer.get("activation", "identity")
        if l == L and at == "a":
            da = seed
        else:
            g = seed if l == L else dh[l]
            grads[f"gradients.h{l}"] = g
            hl, al = hs[l], values[f"forward.a{l}"]
            da = {"relu": g * (al > 0), "sigmoid": g * hl * (1 - hl), "identity": g}[act]
        grads[f"gradients.a{l}"] = da
        if kind == "dense":
            W = np.asarray(layer["weights"], float)
            dW = hs[l - 1].T @ da if in_out else da.T @ hs[l - 1]
            grads[f"gradients.W{l}"] = dW + 2.0 * c * W
            if "bias" in layer:
                grads[f"gradients.b{l}"] = da.sum(axis=0)
            dh[l - 1] += da @ W.T if in_out else da @ W
            if "residual" in layer:
                dh[layer["residual"]] += da
        elif kind in ("batchnorm", "layernorm"):
            dx, dgamma, dbeta = _norm_backward(da, cache, 0 if kind == "batchnorm" else 1)
            dh[l - 1] += dx
            if kind == "layernorm":
                dgamma, dbeta = (da * cache["xhat"]).sum(axis=0), da.sum(axis=0)
            grads[f"gradients.gamma{l}"], grads[f"gradients.beta{l}"] = dgamma, dbeta
        elif kind == "dropout":
            dh[l - 1] += da * cache["m"]
    grads["gradients.x"] = dh[0]
    return grads


def solve(p):
    hs, values, caches = forward(p)
    loss, c, seed, at = loss_and_seed(p, hs, values)
    return {**values, "loss": loss, **backward(p, hs, values, caches, c, seed, at)}


# ---------------------------------------------------------------- checking


def digits_agreeing(got, want):
    """Significant digits to which got and want agree (17 when equal)."""
    got, want = np.asarray(got, float), np.asarray(want, float)
    err = np.abs(got - want).max()
    if err == 0:
        return 17.0
    return float(-np.log10(err / max(np.abs(want).max(), 1e-300)))


def check_one(label, got, want, tol):
    got, want = np.asarray(got, float), np.asarray(want, float)
    if got.shape != want.shape:
        return label, "shape", f"{got.shape} vs {want.shape}", False
    err = float(np.abs(got - want).max())
    ok = err <= tol["abs"] + tol.get("rel", 0.0) * float(np.abs(want).max())
    return label, f"{err:.2e}", f"{digits_agreeing(got, want):.1f}", ok


def rows():
    stored = json.loads((HERE / "inputs.json").read_text())
    expected = json.loads((HERE / "expected.json").read_text())
    problems = sources.problems()
    for name, entry in expected.items():
        stem = name.removesuffix(".yaml")
        if problems[stem] != stored[stem]:
            yield name, "inputs", "differ from the source's recipe", False
            continue
        got = solve(stored[stem])
        for key, want in entry["expected"].items():
            tol = entry.get("tolerance_by_key", {}).get(key, entry["tolerance"])
            yield (name, *check_one(key, got[key], want, tol))
        for key, want in entry.get("times_m", {}).items():  # deeplearning.ai's dZ, dA
            m = len(stored[stem]["x"])
            yield (name, *check_one(f"{key} x m", np.asarray(got[key]) * m, want,
                                    entry["tolerance"]))
    for name, got, want, tol in sources.side_checks(solve):
        yield (name, *check_one("value", got, want, tol))


def main(argv):
    if "--write" in argv:
        sources.write(HERE)
        return 0
    table = list(rows())
    width = max(len(r[0]) for r in table)
    print(f"{'example':{width}}  {'quantity':24} {'max |diff|':>10} {'digits':>6}  ok")
    for name, key, err, dig, ok in table:
        print(f"{name:{width}}  {key:24} {err:>10} {dig:>6}  {'yes' if ok else 'NO'}")
    bad = sum(not r[-1] for r in table)
    print(f"{len(table) - bad} passed, {bad} failed")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
