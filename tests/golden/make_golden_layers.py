#!/usr/bin/env python3
"""Independent PyTorch oracle for the layer kinds beyond dense: writes tests/golden/layers/.

Run from the repository root with an environment that has torch and numpy:
    python tests/golden/make_golden_layers.py
It never imports backprop_cli (only make_golden.py beside it, for the activations and the
JSON writer). Everything is float64 autograd and torch.optim (foreach=False); seeds are
fixed and the output is deterministic.

layers/<name>.json: {"problem", "expected": {"forward", "intermediates", "loss",
                     ["loss_parts"], "gradients", "update": {"parameters", ["running"],
                     ["state"], "loss", ["loss_parts"]}}, "source"}   (one optimizer step)

Problem format: a layer without `kind` is dense (weights (out, in), bias, activation,
optional residual: k, a_l = W h_{l-1} + b + h_k); kind batchnorm | dropout | layernorm;
every kind takes an optional activation (default identity). loss cross_entropy | mse | bce
(reduction mean over the samples) or upstream (y = dL/dŷ, L = Σ y ⊙ ŷ); l2 {lambda, form}
on the dense weights only.
"""
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import KINK, OPTIMIZERS, SAT, Rejected, activate, rnd, write  # noqa: E402

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent / "layers"
L2_FORMS = {"lambda/2": lambda lam, n: lam / 2, "lambda/2m": lambda lam, n: lam / (2 * n),
            "lambda": lambda lam, n: lam, "lambda/m": lambda lam, n: lam / n}
MIN_VAR = 1e-2  # a normalised feature (or sample) with a tiny variance makes a poor exercise


def T(v):
    return torch.tensor(v, dtype=torch.float64)


def kind_of(layer):
    return layer.get("kind", "dense")


def act_of(layer):
    return {**layer, "activation": layer.get("activation", "identity")}


def keep_of(layer):
    return 1.0 - layer["p"] if "p" in layer else layer.get("keep", 1.0)


class Net:
    """A problem file turned into torch leaves; x is a leaf too, so ∂L/∂x is autograd's."""

    def __init__(self, prob):
        self.prob, self.layers = prob, prob["layers"]
        self.params, self.running, self.masks = {}, {}, {}
        self.x = T(prob["x"]).requires_grad_()
        self.N, width = self.x.shape
        for l, layer in enumerate(self.layers, 1):
            kind = kind_of(layer)
            if kind == "dense":
                self.params[f"W{l}"] = T(layer["weights"]).requires_grad_()
                if "bias" in layer:
                    self.params[f"b{l}"] = T(layer["bias"]).requires_grad_()
                width = len(layer["weights"])
            elif kind in ("batchnorm", "layernorm"):
                if "gamma" in layer:
                    self.params[f"gamma{l}"] = T(layer["gamma"]).requires_grad_()
                if "beta" in layer:
                    self.params[f"beta{l}"] = T(layer["beta"]).requires_grad_()
            if kind == "batchnorm":
                self.running[l] = (T(layer.get("running_mean", [0.0] * width)),
                                   T(layer.get("running_var", [1.0] * width)))
            if kind == "dropout":
                self.masks[l] = T(layer["mask"])
        self.indices = np.ndim(prob["y"]) < np.ndim(prob["x"])
        self.y = T(prob["y"]).long() if self.indices else T(prob["y"])

    # --- the kinds, as torch computes them, and by hand for the intermediates -------------
    def batchnorm(self, l, h, layer, hand):
        """hand=False: F.batch_norm (biased only); hand=True: the formulas, intermediates kept."""
        eps, train = layer.get("eps", 1e-5), layer.get("mode", "train") == "train"
        unbiased = layer.get("variance", "biased") == "unbiased"
        gamma, beta = self.params.get(f"gamma{l}"), self.params.get(f"beta{l}")
        rm, rv = self.running[l]
        if not hand and not (train and unbiased):
            # clones: the running statistics are updated once per step, in running_after()
            a = F.batch_norm(h, rm.clone(), rv.clone(), gamma, beta, training=train,
                             momentum=layer.get("momentum", 0.1), eps=eps)
            return a, {}
        if train:
            mean = h.mean(0)
            d = h - mean
            var = (d * d).sum(0) / (self.N - 1 if unbiased else self.N)
        else:
            mean, var = rm, rv
            d = h - mean
        xhat = d / torch.sqrt(var + eps)
        a = xhat * gamma if gamma is not None else xhat
        a = a + beta if beta is not None else a
        return a, {f"mean{l}": mean, f"var{l}": var, f"xhat{l}": xhat}

    def layernorm(self, l, h, layer, hand):
        eps = layer.get("eps", 1e-5)
        gamma, beta = self.params.get(f"gamma{l}"), self.params.get(f"beta{l}")
        if not hand:
            return F.layer_norm(h, h.shape[-1:], gamma, beta, eps), {}
        mean = h.mean(-1)
        d = h - mean[:, None]
        var = (d * d).mean(-1)
        xhat = d / torch.sqrt(var + eps)[:, None]
        a = xhat * gamma if gamma is not None else xhat
        a = a + beta if beta is not None else a
        return a, {f"mean{l}": mean, f"var{l}": var, f"xhat{l}": xhat}

    def dropout(self, l, h, layer):
        if layer.get("mode", "train") == "eval":
            return h, 1.0
        if layer.get("scale", "inverted") == "none":
            return h * self.masks[l], 1.0
        keep = keep_of(layer)
        return h * self.masks[l] / keep, 1.0 / keep

    def forward(self, hand=False, retain=False):
        """(acts {a1, h1, ...}, intermediates); hand=True writes batch/layer norm by hand."""
        hs, acts, inter = [self.x], {}, {}
        for l, layer in enumerate(self.layers, 1):
            h, kind = hs[-1], kind_of(layer)
            if kind == "dense":
                a = F.linear(h, self.params[f"W{l}"], self.params.get(f"b{l}"))
                if "residual" in layer:
                    a = a + hs[layer["residual"]]
            elif kind == "batchnorm":
                a, more = self.batchnorm(l, h, layer, hand)
                inter.update(more)
            elif kind == "layernorm":
                a, more = self.layernorm(l, h, layer, hand)
                inter.update(more)
            else:
                a, scale = self.dropout(l, h, layer)
                inter[f"scale{l}"] = scale
            h = activate(a, act_of(layer))
            if retain:
                for t in (a, h, *(v for v in inter.values() if torch.is_tensor(v))):
                    if t.requires_grad:
                        t.retain_grad()
            acts[f"a{l}"], acts[f"h{l}"] = a, h
            hs.append(h)
        return acts, inter

    # --- loss ------------------------------------------------------------------------------
    def penalty(self):
        spec = self.prob.get("l2")
        if spec is None:
            return None
        coef = L2_FORMS[spec.get("form", "lambda/2")](spec["lambda"], self.N)
        return coef * sum((p * p).sum() for n, p in self.params.items() if n.startswith("W"))

    def loss(self, acts):
        """(value, graph, data, penalty): the objective, an equal one through h_L, its parts."""
        L = len(self.layers)
        aL, hL, y, kind = acts[f"a{L}"], acts[f"h{L}"], self.y, self.prob["loss"]
        if kind == "cross_entropy":
            assert self.layers[-1]["activation"] == "softmax"
            value = F.cross_entropy(aL, y)
            Y = F.one_hot(y, hL.shape[-1]).double() if self.indices else y
            graph = -(Y * torch.log(hL)).sum(-1).mean()
        elif kind == "mse":
            value = graph = F.mse_loss(hL, y)
        elif kind == "bce":
            assert self.layers[-1]["activation"] == "sigmoid"
            value = F.binary_cross_entropy_with_logits(aL, y)
            graph = F.binary_cross_entropy(hL, y)
        elif kind == "upstream":
            value = graph = (y * hL).sum()
        else:
            raise ValueError(kind)
        assert torch.allclose(value, graph, rtol=1e-12, atol=1e-15)
        pen = self.penalty()
        if pen is None:
            return value, graph, value, None
        return value + pen, graph + pen, value, pen

    # --- checks ------------------------------------------------------------------------------
    def check(self, acts, inter):
        for l, layer in enumerate(self.layers, 1):
            a, h = acts[f"a{l}"].detach(), acts[f"h{l}"].detach()
            f = layer.get("activation", "identity")
            if f in ("relu", "leaky_relu", "elu"):
                if a.abs().min() < KINK:
                    raise Rejected(f"kink in a{l}")
                if not (a.min() < 0 < a.max()):
                    raise Rejected(f"a{l} has one sign only")
            if f in ("sigmoid", "softmax") and torch.minimum(h, 1 - h).min() < SAT:
                raise Rejected(f"h{l} saturates")
            if f == "tanh" and (1 - h.abs()).min() < SAT:
                raise Rejected(f"h{l} saturates")
            var = inter.get(f"var{l}")
            if kind_of(layer) in ("batchnorm", "layernorm") and var.detach().min() < MIN_VAR:
                raise Rejected(f"var{l} is tiny")  # eval: the given running_var

    # --- one step ----------------------------------------------------------------------------
    def leaves(self):
        return [self.x, *self.params.values()]

    def clear(self):
        for p in self.leaves():
            p.grad = None

    def passes(self):
        """The torch pass (reported), the hand pass (intermediates), cross-checked."""
        reference = torch.autograd.grad(self.loss(self.forward()[0])[0], self.leaves())
        acts, _ = self.forward(retain=True)
        value, graph, data, pen = self.loss(acts)
        graph.backward()
        grads = [p.grad.clone() for p in self.leaves()]
        self.clear()
        hand, inter = self.forward(hand=True, retain=True)
        self.check(hand, inter)
        self.loss(hand)[1].backward()
        for r, g, p in zip(reference, grads, self.leaves()):
            assert torch.allclose(r, g, rtol=1e-9, atol=1e-13), "loss routes disagree"
            assert torch.allclose(p.grad, g, rtol=1e-9, atol=1e-13), "hand pass disagrees"
        for k, t in acts.items():
            assert torch.allclose(t, hand[k], rtol=1e-12, atol=1e-14), k
            assert torch.allclose(t.grad, hand[k].grad, rtol=1e-9, atol=1e-13), k
        for p, g in zip(self.leaves(), grads):
            p.grad = g
        return acts, inter, (value, data, pen)

    def running_after(self, acts):
        """torch's momentum rule (F.batch_norm's in-place update, unbiased batch variance)."""
        out = {}
        for l, (rm, rv) in self.running.items():
            layer = self.layers[l - 1]
            rm, rv = rm.clone(), rv.clone()
            if layer.get("mode", "train") == "train":
                h = (acts[f"h{l - 1}"] if l > 1 else self.x).detach()
                m = layer.get("momentum", 0.1)
                by_hand = ((1 - m) * rm + m * h.mean(0), (1 - m) * rv + m * h.var(0))
                F.batch_norm(h, rm, rv, training=True, momentum=m, eps=layer.get("eps", 1e-5))
                assert torch.allclose(rm, by_hand[0], rtol=1e-13, atol=1e-15)
                assert torch.allclose(rv, by_hand[1], rtol=1e-13, atol=1e-15)
            out[f"running_mean{l}"], out[f"running_var{l}"] = rm.tolist(), rv.tolist()
        return out

    def optimizer(self):
        spec = dict(self.prob.get("optimizer", {"name": "sgd"}))
        cls = OPTIMIZERS[spec.pop("name")]
        spec.setdefault("lr", 1.0)
        if "betas" in spec:
            spec["betas"] = tuple(spec["betas"])
        return cls(list(self.params.values()), foreach=False, **spec)

    def state(self, opt):
        out = {}
        for n, p in self.params.items():
            entry = {k: int(v.item()) if k == "step" else v.tolist()
                     for k, v in opt.state.get(p, {}).items() if v is not None}
            if entry:
                out[n] = entry
        return out


def gradient_names(net, inter):
    """h{l}, a{l} and the layer's intermediates, from the output back; x; the parameters."""
    names = []
    for l in range(len(net.layers), 0, -1):
        names += [f"h{l}", f"a{l}"]
        names += [f"{q}{l}" for q in ("xhat", "var", "mean")
                  if torch.is_tensor(inter.get(f"{q}{l}")) and inter[f"{q}{l}"].requires_grad]
    return names


def expected(prob):
    net = Net(prob)
    acts, inter, (loss, data, pen) = net.passes()
    grads = {n: (acts[n] if n[0] in "ah" else inter[n]).grad.tolist()
             for n in gradient_names(net, inter)}
    grads["x"] = net.x.grad.tolist()
    for l in range(len(net.layers), 0, -1):
        for q in ("W", "b", "gamma", "beta"):
            if f"{q}{l}" in net.params:
                g = net.params[f"{q}{l}"].grad
                assert g.abs().max() > 1e-9, f"{q}{l}'s gradient is rounding noise"
                grads[f"{q}{l}"] = g.tolist()
    out = {"forward": {k: v.tolist() for k, v in acts.items()},
           "intermediates": {k: v.tolist() if torch.is_tensor(v) else v
                             for k, v in inter.items()},
           "loss": loss.item()}
    if pen is not None:
        out["loss_parts"] = {"data": data.item(), "penalty": pen.item()}
    update = {}
    running = net.running_after(acts)
    opt = net.optimizer() if net.params else None  # nothing to learn: the step moves nothing
    if opt is not None:
        opt.step()
    update["parameters"] = {n: p.tolist() for n, p in net.params.items()}
    if running:
        update["running"] = running
    if opt is not None and net.prob["optimizer"]["name"] != "sgd":
        update["state"] = net.state(opt)
    with torch.no_grad():
        after, _, data, pen = net.loss(net.forward()[0])
    update["loss"] = after.item()
    if pen is not None:
        update["loss_parts"] = {"data": data.item(), "penalty": pen.item()}
    out["gradients"], out["update"] = grads, update
    return out


def source(prob):
    """One line naming the torch functions that computed the fixture."""
    kinds = {kind_of(layer) for layer in prob["layers"]}
    bns = [layer for layer in prob["layers"] if kind_of(layer) == "batchnorm"]
    parts = [f"torch {torch.__version__.split('+')[0]} float64 autograd (x a leaf)"]
    if "dense" in kinds:
        parts.append("F.linear" + (" + h_k (residual)" if any(
            "residual" in layer for layer in prob["layers"]) else ""))
    modes = sorted({(b.get("mode", "train"), b.get("variance", "biased")) for b in bns})
    for mode, variance in modes:
        if mode == "train" and variance == "unbiased":
            parts.append("batch norm with the N-1 variance written by hand with torch ops "
                         "(no torch function normalises so)")
        else:
            parts.append(f"F.batch_norm(training={mode == 'train'})")
    if any(b.get("mode", "train") == "train" for b in bns):
        parts.append("running stats by F.batch_norm's in-place momentum update")
    if "layernorm" in kinds:
        parts.append("F.layer_norm")
    drops = [layer for layer in prob["layers"] if kind_of(layer) == "dropout"]
    for how in sorted({"eval" if d.get("mode", "train") == "eval" else d.get("scale", "inverted")
                       for d in drops}):
        parts.append({"inverted": "dropout as x * mask / keep", "none": "dropout as x * mask",
                      "eval": "eval-mode dropout as the identity"}[how])
    parts.append({"cross_entropy": "F.cross_entropy", "mse": "F.mse_loss",
                  "bce": "F.binary_cross_entropy_with_logits",
                  "upstream": "L = (y * h_L).sum()"}[prob["loss"]])
    if "l2" in prob:
        parts.append("L2 penalty added to the loss before backward")
    if kinds & {"batchnorm", "layernorm"}:
        parts.append("mean/var/xhat and their gradients from a hand-written pass "
                     "(retain_grad), checked against it")
    name = prob["optimizer"]["name"]
    parts.append(f"torch.optim.{OPTIMIZERS[name].__name__}(foreach=False)")
    return "; ".join(parts)


# --- problem construction ---------------------------------------------------------------
def dense(units, activation="identity", **keys):
    return {"kind": "dense", "units": units, "activation": activation, **keys}


def dense_nb(units, activation="identity", **keys):
    """Before a train-mode batch norm: a bias there has a zero gradient (Σ over the batch of
    ∂L/∂a vanishes), so its computed value is rounding noise, and Adam would amplify it."""
    return dense(units, activation, bias=False, **keys)


def bn(activation=None, affine=True, running=False, **keys):
    return {"kind": "batchnorm", "activation": activation, "affine": affine,
            "running": running, **keys}


def ln(activation=None, **keys):
    return {"kind": "layernorm", "activation": activation, **keys}


def drop(activation=None, **keys):
    return {"kind": "dropout", "activation": activation, **keys}


def draw_layer(rng, spec, width, n):
    """One layer of the problem file; only the keys the spec names are written."""
    spec = dict(spec)
    kind, activation = spec.pop("kind"), spec.pop("activation")

    def w(*shape, lo=None):
        v = rng.normal(0, 0.5, shape) if lo is None else rng.uniform(lo, lo + 1, shape)
        return rnd(v, 2).tolist()

    if kind == "dense":
        units = spec.pop("units")
        layer = {"weights": w(units, width)}
        if spec.pop("bias", True):
            layer["bias"] = w(units)
    else:
        layer = {"kind": kind}
    if kind in ("batchnorm", "layernorm") and spec.pop("affine", True):
        layer["gamma"], layer["beta"] = w(width, lo=0.5), w(width)
    if kind == "batchnorm" and spec.pop("running"):
        layer["running_mean"], layer["running_var"] = w(width), w(width, lo=0.5)
    if kind == "dropout":
        keep = keep_of(spec)
        mask = (rng.uniform(0, 1, (n, width)) < keep).astype(int)
        if mask.all() or not mask.any(1).all():
            raise Rejected("mask keeps everything or drops a whole sample")
        layer["mask"] = mask.tolist()
    layer.update(spec)
    if activation is not None:
        layer["activation"] = activation
    return layer


def targets(rng, y, n, K):
    if y == "index":
        return rng.integers(0, K, n).tolist()
    if y == "onehot":
        return np.eye(K, dtype=int)[rng.integers(0, K, n)].tolist()
    if y == "unit":
        return rnd(rng.uniform(0, 1, (n, K)), 2).tolist()
    if y == "binary":
        return rng.integers(0, 2, (n, K)).tolist()
    if y in ("real", "upstream"):
        return rnd(rng.normal(0, 1, (n, K)), 2).tolist()
    raise ValueError(y)


def draw_problem(rng, title, n, d0, specs, loss, y, optimizer, l2=None):
    x = rnd(rng.normal(0, 1, (n, d0)), 2)
    layers, widths = [], [d0]
    for spec in specs:
        layers.append(draw_layer(rng, spec, widths[-1], n))
        widths.append(spec["units"] if spec["kind"] == "dense" else widths[-1])
    prob = {"title": title, "x": x.tolist(), "y": targets(rng, y, n, widths[-1]), "loss": loss}
    if l2 is not None:
        prob["l2"] = l2
    prob.update(layers=layers, optimizer=optimizer)
    return prob


def generate(seed, title, *args, **kw):
    """Draw until the problem avoids kinks, saturation, tiny batch variances, dull masks."""
    for attempt in range(500):
        rng = np.random.default_rng([seed, attempt])
        try:
            prob = draw_problem(rng, title, *args, **kw)
            return prob, expected(prob)
        except Rejected:
            continue
    raise RuntimeError(f"no acceptable draw for seed {seed}")


def sgd(lr):
    return {"name": "sgd", "lr": lr}


def adam(lr, **kw):
    return {"name": "adam", "lr": lr, **kw}


TORCH_BN = dict(eps=1e-5, momentum=0.1, mode="train", variance="biased")

# name: (seed, batch, inputs, layers, loss, y, optimizer, options)
FIXTURES = {
    "bn_train_affine": (
        301, 4, 3, [dense_nb(4), bn(**TORCH_BN), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.5), {}),
    "bn_train_no_affine_defaults": (
        302, 5, 3, [bn(affine=False), dense(2, "sigmoid")], "bce", "binary", sgd(1.0), {}),
    "bn_train_no_affine_running": (
        303, 4, 3, [dense(3, "tanh"), bn(affine=False, running=True, **TORCH_BN),
                    dense(2)], "mse", "real", sgd(0.1), {}),
    "bn_unbiased": (
        304, 4, 4, [dense(3, "tanh"), bn(running=True, eps=1e-5, momentum=0.1, mode="train",
                                         variance="unbiased"), dense(2)],
        "mse", "real", sgd(0.1), {}),
    "bn_unbiased_relu_makemore": (
        305, 5, 3, [dense_nb(4), bn("relu", variance="unbiased"), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.1), {}),
    "bn_eval_running": (
        306, 3, 3, [bn("relu", running=True, eps=1e-5, momentum=0.1, mode="eval"),
                    dense(3, "softmax")], "cross_entropy", "onehot", sgd(0.5), {}),
    "bn_momentum_eps_keras": (
        307, 4, 3, [dense_nb(3), bn("tanh", running=True, eps=1e-3, momentum=0.3),
                    dense(2, "sigmoid")], "bce", "unit", sgd(0.5), {}),
    "bn_relu_mlp_softmax": (
        308, 4, 3, [dense_nb(4), bn("relu", **TORCH_BN), dense_nb(4), bn("relu", **TORCH_BN),
                    dense(3, "softmax")], "cross_entropy", "index", sgd(0.5), {}),
    "bn_upstream_cs231n": (
        309, 4, 3, [bn(**TORCH_BN)], "upstream", "upstream", sgd(0.1), {}),
    "bn_upstream_no_affine": (
        310, 5, 2, [bn(affine=False)], "upstream", "upstream", sgd(0.1), {}),
    "ln_tanh": (
        311, 3, 4, [dense(4), ln("tanh", eps=1e-5), dense(2)], "mse", "real", sgd(0.1), {}),
    "ln_upstream": (
        312, 2, 5, [ln()], "upstream", "upstream", sgd(0.1), {}),
    "dropout_p_inverted": (
        313, 4, 3, [dense(4, "relu"), drop(p=0.25, scale="inverted"), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.5), {}),
    "dropout_keep_default_scale": (
        314, 3, 4, [dense(4, "tanh"), drop(keep=0.8), dense(2, "sigmoid")],
        "bce", "binary", sgd(1.0), {}),
    "dropout_scale_none": (
        315, 4, 3, [dense(4, "relu"), drop(p=0.5, scale="none"), dense(2)],
        "mse", "real", sgd(0.1), {}),
    "dropout_eval_identity": (
        316, 3, 3, [dense(4, "sigmoid"), drop(p=0.5, mode="eval"), dense(3, "softmax")],
        "cross_entropy", "onehot", sgd(1.0), {}),
    "dropout_on_input": (
        317, 3, 4, [drop(p=0.4), dense(3, "tanh"), dense(2)], "mse", "real", sgd(0.2), {}),
    "residual_dense": (
        318, 3, 3, [dense(3, "tanh"), dense(3, "relu", residual=1), dense(2)],
        "mse", "real", sgd(0.1), {}),
    "residual_skip_two": (
        319, 4, 3, [dense(3, "tanh"), dense(3, "tanh"), dense(3, residual=1),
                    dense(3, "softmax")], "cross_entropy", "index", sgd(0.5), {}),
    "l2_lambda_half": (
        320, 4, 3, [dense_nb(4), bn("relu"), dense(3, "softmax")], "cross_entropy", "index",
        sgd(0.5), {"l2": {"lambda": 0.1, "form": "lambda/2"}}),
    "l2_lambda_half_m_deeplearning_ai": (
        321, 4, 3, [dense(3, "relu"), drop(keep=0.75), dense(1, "sigmoid")], "bce", "binary",
        sgd(0.5), {"l2": {"lambda": 0.7, "form": "lambda/2m"}}),
    "l2_lambda_cs231n": (
        322, 3, 4, [dense(3, "tanh"), dense(3, "softmax")], "cross_entropy", "index",
        sgd(0.5), {"l2": {"lambda": 0.05, "form": "lambda"}}),
    "l2_lambda_m": (
        323, 5, 3, [dense(4, "tanh"), ln(), dense(2)], "mse", "real", sgd(0.1),
        {"l2": {"lambda": 0.2, "form": "lambda/m"}}),
    "l2_form_omitted": (
        324, 2, 3, [dense(3, "sigmoid"), dense(2)], "mse", "real", sgd(0.5),
        {"l2": {"lambda": 0.3}}),
    "mixed_adam_bn_dropout": (
        325, 4, 4, [dense_nb(5), bn("relu", **TORCH_BN), drop(p=0.2), dense(3, "softmax")],
        "cross_entropy", "index", adam(0.01), {}),
    "mixed_adam_ln_residual_l2": (
        326, 3, 4, [dense(4, "tanh"), ln(eps=1e-5), dense(4, "relu", residual=2),
                    dense(2, "sigmoid")], "bce", "unit", adam(0.05, betas=[0.8, 0.99]),
        {"l2": {"lambda": 0.1, "form": "lambda/2m"}}),
    "mixed_adam_issue_example": (
        327, 4, 3, [dense_nb(4), bn("relu", running=True, **TORCH_BN),
                    drop(p=0.25, scale="inverted"), ln("tanh", eps=1e-5),
                    dense(4, "softmax", residual=4)], "cross_entropy", "index", adam(0.1),
        {"l2": {"lambda": 0.1, "form": "lambda/2"}}),
    "mixed_sgd_eval_mode": (
        328, 3, 3, [dense(4), bn("relu", running=True, mode="eval"), drop(p=0.5, mode="eval"),
                    ln(), dense(3, "softmax")], "cross_entropy", "index", sgd(0.5), {}),
}


def main():
    for old in HERE.glob("*.json"):
        old.unlink()
    for name, (seed, n, d0, specs, loss, y, optimizer, kw) in FIXTURES.items():
        prob, exp = generate(seed, name.replace("_", " "), n, d0, specs, loss, y, optimizer,
                             **kw)
        write(HERE / f"{name}.json", {"problem": prob, "expected": exp, "source": source(prob)})
    print(f"wrote {len(FIXTURES)} layer fixtures")


if __name__ == "__main__":
    main()
