#!/usr/bin/env python3
"""Independent PyTorch oracle: writes the golden fixtures under tests/golden/.

Run from the repository root with an environment that has torch and numpy:
    python tests/golden/make_golden.py
It never imports backprop_cli. Everything is float64 autograd and torch.optim
(constructed with foreach=False). The output is deterministic.

engine/<name>.json: {"problem", "expected": {"forward", "loss", "gradients",
                     "update": {"parameters", "loss"}}}   (one SGD update)
optim/<name>.json:  {"problem", "steps", "expected": {"losses", "parameters", "state"}}
"""
import functools
import json
import re
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent
KINK = 1e-3   # relu-family pre-activations stay at least this far from 0
SAT = 1e-4    # sigmoid / tanh / softmax outputs stay at least this far from their bounds
OPTIMIZERS = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
              "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
              "adamw": torch.optim.AdamW}


class Rejected(Exception):
    """The drawn problem sits at a kink or saturates: draw another one."""


def activate(a, layer):
    f = layer["activation"]
    if f == "identity":
        return a
    if f == "sigmoid":
        return torch.sigmoid(a)
    if f == "tanh":
        return torch.tanh(a)
    if f == "relu":
        return F.relu(a)
    if f == "leaky_relu":
        return F.leaky_relu(a, layer.get("slope", 0.01))
    if f == "elu":
        return F.elu(a, layer.get("alpha", 1.0))
    if f == "softplus":  # exact, unlike F.softplus's threshold at 20
        return torch.logaddexp(a, torch.zeros_like(a))
    if f == "softmax":
        return F.softmax(a, dim=-1)
    raise ValueError(f)


class Net:
    """A problem file turned into torch leaves (weights in torch's (units, inputs) layout)."""

    def __init__(self, prob):
        self.prob, self.layers = prob, prob["layers"]
        self.in_out = prob.get("layout", "out_in") == "in_out"
        self.params, self.frozen = {}, set()
        for l, layer in enumerate(self.layers, 1):
            W = torch.tensor(layer["weights"], dtype=torch.float64)
            self.params[f"W{l}"] = (W.T.contiguous() if self.in_out else W).requires_grad_()
            if "bias" in layer:
                b = torch.tensor(layer["bias"], dtype=torch.float64)
                self.params[f"b{l}"] = b.requires_grad_()
            for what in layer.get("frozen", []):
                self.frozen.add({"weights": "W", "bias": "b"}[what] + str(l))
        x = torch.tensor(prob["x"], dtype=torch.float64)
        self.single = x.dim() == 1
        # a leaf of its own: ∂L/∂x is part of every solution (gradients.x)
        self.x = (x.unsqueeze(0) if self.single else x).clone().requires_grad_()
        self.indices = np.ndim(prob["y"]) < np.ndim(prob["x"])
        y = torch.tensor(prob["y"], dtype=torch.long if self.indices else torch.float64)
        self.y = y.reshape(1, *y.shape) if self.single else y

    # --- output in the file's conventions -------------------------------------------------
    def out_value(self, t):
        t = t.detach()
        return (t.squeeze(0) if self.single else t).tolist()

    def out_param(self, name, t):
        t = t.detach()
        return (t.T if self.in_out and name.startswith("W") else t).tolist()

    def out_params(self):
        return {n: self.out_param(n, p) for n, p in self.params.items()}

    # --- forward, loss, gradients ----------------------------------------------------------
    def forward(self, retain=False):
        h, acts = self.x, {}
        for l, layer in enumerate(self.layers, 1):
            a = F.linear(h, self.params[f"W{l}"], self.params.get(f"b{l}"))
            h = activate(a, layer)
            if retain:
                a.retain_grad()
                h.retain_grad()
            acts[f"a{l}"], acts[f"h{l}"] = a, h
        return acts

    def check(self, acts):
        for l, layer in enumerate(self.layers, 1):
            a, h, f = acts[f"a{l}"].detach(), acts[f"h{l}"].detach(), layer["activation"]
            if f in ("relu", "leaky_relu", "elu") and a.abs().min() < KINK:
                raise Rejected(f"kink in a{l}")
            if f in ("sigmoid", "softmax") and torch.minimum(h, 1 - h).min() < SAT:
                raise Rejected(f"h{l} saturates")
            if f == "tanh" and (1 - h.abs()).min() < SAT:
                raise Rejected(f"h{l} saturates")

    def loss(self, acts):
        """(value, graph): the reported loss, and an equal loss whose graph passes through h_L."""
        L = len(self.layers)
        aL, hL, y = acts[f"a{L}"], acts[f"h{L}"], self.y
        red, K, kind = self.prob.get("reduction", "mean"), hL.shape[-1], self.prob["loss"]
        per_k = 1 if red == "mean" else K

        def reduce(per_sample):
            return per_sample.mean() if red == "mean" else per_sample.sum()

        if kind == "cross_entropy":
            assert self.layers[-1]["activation"] == "softmax"
            value = F.cross_entropy(aL, y, reduction=red)
            Y = F.one_hot(y, K).double() if self.indices else y
            return value, reduce(-(Y * torch.log(hL)).sum(-1))
        if kind == "mse":
            value = F.mse_loss(hL, y, reduction=red) / per_k
            return value, value
        if kind == "sse_half":
            value = reduce(0.5 * ((hL - y) ** 2).sum(-1))
            return value, value
        if kind == "bce":
            assert self.layers[-1]["activation"] == "sigmoid"
            value = F.binary_cross_entropy_with_logits(aL, y, reduction=red) / per_k
            graph = F.binary_cross_entropy(hL, y, reduction=red) / per_k
            assert torch.allclose(value, graph, rtol=1e-12, atol=1e-15)
            return value, graph
        raise ValueError(kind)

    def gradients(self):
        """Forward with retained grads; backward through h_L; cross-checked against the value."""
        leaves = list(self.params.values())
        # reference: the reported value's own graph, on a separate pass (retained .grads
        # of a and h would otherwise accumulate this pass too)
        reference = torch.autograd.grad(self.loss(self.forward())[0], leaves)
        for p in leaves:
            p.grad = None
        acts = self.forward(retain=True)
        self.check(acts)
        value, graph = self.loss(acts)
        graph.backward()
        for r, p in zip(reference, leaves, strict=False):
            assert torch.allclose(r, p.grad, rtol=1e-9, atol=1e-13), "loss routes disagree"
        return acts, value.item()

    def value(self):
        with torch.no_grad():
            return self.loss(self.forward())[0].item()

    def optimizer(self):
        spec = dict(self.prob.get("optimizer", {"name": "sgd"}))
        cls = OPTIMIZERS[spec.pop("name")]
        spec.setdefault("lr", 1.0)  # the contract's default for every optimizer
        if "betas" in spec:
            spec["betas"] = tuple(spec["betas"])
        trainable = [p for n, p in self.params.items() if n not in self.frozen]
        return cls(trainable, foreach=False, **spec)

    def state(self, opt):
        out = {}
        for n, p in self.params.items():
            entry = {}
            for k, v in opt.state.get(p, {}).items():
                if v is None:
                    continue
                if k == "step":
                    entry[k] = int(v.item() if torch.is_tensor(v) else v)
                else:
                    entry[k] = self.out_param(n, v)
            if entry:
                out[n] = entry
        return out


def engine_expected(prob):
    net = Net(prob)
    acts, loss = net.gradients()
    L = len(net.layers)
    for l, layer in enumerate(net.layers, 1):  # exercise both branches of relu-family units
        a = acts[f"a{l}"].detach()
        if layer["activation"] in ("relu", "leaky_relu", "elu") and not (a.min() < 0 < a.max()):
            raise Rejected(f"a{l} has one sign only")
    grads = {}
    for l in range(L, 0, -1):
        grads[f"h{l}"] = net.out_value(acts[f"h{l}"].grad)
        grads[f"a{l}"] = net.out_value(acts[f"a{l}"].grad)
    grads["x"] = net.out_value(net.x.grad)
    for l in range(L, 0, -1):  # retained grads agree with the parameter grads
        h_prev = acts[f"h{l - 1}"] if l > 1 else net.x
        assert torch.allclose(acts[f"a{l}"].grad.T @ h_prev, net.params[f"W{l}"].grad)
        for n in (f"W{l}", f"b{l}"):
            if n in net.params:
                grads[n] = net.out_param(n, net.params[n].grad)
    opt = net.optimizer()
    opt.step()
    return {"forward": {k: net.out_value(v) for k, v in acts.items()}, "loss": loss,
            "gradients": grads,
            "update": {"parameters": net.out_params(), "loss": net.value()}}


def optim_expected(prob, steps):
    net = Net(prob)
    opt = net.optimizer()
    losses, params = [], []
    for _ in range(steps):
        losses.append(net.gradients()[1])
        opt.step()
        params.append(net.out_params())
    losses.append(net.value())
    return {"losses": losses, "parameters": params, "state": net.state(opt)}


# --- problem construction ---------------------------------------------------------------
def rnd(v, decimals):
    return np.round(v, decimals) + 0.0  # + 0.0 turns -0.0 into 0.0


def draw_problem(rng, sizes, acts, loss, n, y, dist, bias, frozen, **top):
    """sizes = [inputs, units1, ...]; acts like 'leaky_relu:0.2' set slope/alpha."""
    def w(*shape):
        v = rng.normal(0, 0.5, shape) if dist == "normal" else rng.uniform(-1, 1, shape)
        return rnd(v, 4).tolist()
    layers = []
    for l, (fan_in, units, act) in enumerate(zip(sizes, sizes[1:], acts, strict=False), 1):
        name, _, arg = act.partition(":")
        shape = (fan_in, units) if top.get("layout") == "in_out" else (units, fan_in)
        layer = {"weights": w(*shape)}
        if bias is True or (bias is not False and l in bias):
            layer["bias"] = w(units)
        layer["activation"] = name
        if arg:
            layer["slope" if name == "leaky_relu" else "alpha"] = float(arg)
        if l in frozen:
            layer["frozen"] = frozen[l]
        layers.append(layer)
    rows = 1 if n is None else n
    x = rnd(rng.normal(0, 1, (rows, sizes[0])), 2)
    K = sizes[-1]
    if y in ("index", "onehot"):
        idx = rng.integers(0, K, rows)
        ys = idx.tolist() if y == "index" else np.eye(K, dtype=int)[idx].tolist()
    elif y == "soft":
        p = rng.uniform(0.05, 1, (rows, K))
        ys = np.round(p / p.sum(1, keepdims=True), 3)
        ys[:, -1] = np.round(1 - ys[:, :-1].sum(1), 3)
        ys = ys.tolist()
    elif y == "unit":
        ys = rnd(rng.uniform(0, 1, (rows, K)), 2).tolist()
    elif y == "binary":
        ys = rng.integers(0, 2, (rows, K)).tolist()
    elif y == "real":
        ys = rnd(rng.normal(0, 1, (rows, K)), 2).tolist()
    else:  # given explicitly, already in the file's shape
        ys = y
    x = x.tolist()
    if n is None:
        x = x[0]
        ys = ys if not isinstance(y, str) else ys[0]
    prob = {"title": top.pop("title"), "x": x, "y": ys, "loss": loss}
    for key in ("reduction", "layout"):
        if key in top:
            prob[key] = top[key]
    prob["layers"] = layers
    prob["optimizer"] = top["optimizer"]
    return prob


def generate(seed, compute, sizes, acts, loss, n=None, y="onehot", dist="normal",
             bias=True, frozen=None, **top):
    """Draw until the problem avoids kinks and saturation everywhere `compute` evaluates it."""
    for attempt in range(200):
        rng = np.random.default_rng([seed, attempt])
        prob = draw_problem(rng, sizes, acts, loss, n, y, dist, bias, frozen or {}, **dict(top))
        try:
            return prob, compute(prob)
        except Rejected:
            continue
    raise RuntimeError(f"no acceptable draw for seed {seed}")


def classic(layout="out_in", y=(0, 0, 1), x=(1, 0, 1), title="The classic exercise"):
    np.random.seed(0)
    v = [round(float(t), 8) for t in np.random.rand(36)]
    layers = []
    for l, act in enumerate(("sigmoid", "sigmoid", "softmax")):
        W = np.array(v[12 * l:12 * l + 9]).reshape(3, 3)
        layers.append({"weights": (W.T if layout == "in_out" else W).tolist(),
                       "bias": v[12 * l + 9:12 * l + 12], "activation": act})
    prob = {"title": title, "x": list(x), "y": y if isinstance(y, int) else list(y),
            "loss": "cross_entropy"}
    if layout != "out_in":
        prob["layout"] = layout
    prob.update(layers=layers, optimizer={"name": "sgd", "lr": 1.0})
    return prob


def sgd(lr):
    return {"name": "sgd", "lr": lr}


# name: (seed, sizes, activations, loss, keyword options)
ENGINE = {
    "ce_index_single": (1, [4, 3, 3], ["tanh", "softmax"], "cross_entropy",
                        dict(y=1, optimizer=sgd(0.5))),
    "ce_index_batch": (2, [3, 4, 3], ["relu", "softmax"], "cross_entropy",
                       dict(n=3, y="index", optimizer=sgd(0.1))),
    "ce_index_batch_sum": (3, [4, 4, 3], ["leaky_relu:0.1", "softmax"], "cross_entropy",
                           dict(n=4, y="index", reduction="sum", optimizer=sgd(0.1))),
    "ce_onehot_batch_elu": (4, [3, 3, 3], ["elu:0.5", "softmax"], "cross_entropy",
                            dict(n=2, y="onehot", optimizer=sgd(1.0))),
    "ce_soft_single_softplus": (5, [2, 3, 3], ["softplus", "softmax"], "cross_entropy",
                                dict(y="soft", optimizer=sgd(0.5))),
    "ce_soft_batch_sum_in_out": (6, [3, 4, 3], ["sigmoid", "softmax"], "cross_entropy",
                                 dict(n=3, y="soft", reduction="sum", layout="in_out",
                                      optimizer=sgd(0.1))),
    "mse_sigmoid_single": (7, [2, 3, 2], ["sigmoid", "sigmoid"], "mse",
                           dict(y="unit", optimizer=sgd(0.5))),
    "mse_identity_batch_sum": (8, [3, 4, 2], ["tanh", "identity"], "mse",
                               dict(n=4, y="real", reduction="sum", optimizer=sgd(0.1))),
    "mse_softmax_output": (9, [3, 3, 3], ["sigmoid", "softmax"], "mse",
                           dict(y="onehot", optimizer=sgd(1.0))),
    "sse_half_regression": (10, [3, 4, 1], ["tanh", "identity"], "sse_half",
                            dict(y="real", optimizer=sgd(0.1))),
    "sse_half_relu_batch_sum": (11, [4, 5, 2], ["relu", "identity"], "sse_half",
                                dict(n=5, y="real", reduction="sum", optimizer=sgd(0.1))),
    "sse_half_tanh_output": (12, [3, 3, 2], ["leaky_relu", "tanh"], "sse_half",
                             dict(n=2, y="unit", optimizer=sgd(0.5))),
    "bce_single_one_output": (13, [3, 2, 1], ["sigmoid", "sigmoid"], "bce",
                              dict(y=[1], optimizer=sgd(2.0))),
    "bce_batch_soft": (14, [4, 4, 3], ["relu", "sigmoid"], "bce",
                       dict(n=4, y="unit", optimizer=sgd(2.0))),
    "bce_batch_sum_in_out": (15, [3, 3, 2], ["elu", "sigmoid"], "bce",
                             dict(n=3, y="binary", reduction="sum", layout="in_out",
                                  optimizer=sgd(0.5))),
    "depth1_linear_regression": (16, [3, 1], ["identity"], "sse_half",
                                 dict(n=4, y="real", optimizer=sgd(0.1))),
    "depth1_softmax_regression": (17, [4, 3], ["softmax"], "cross_entropy",
                                  dict(n=3, y="index", optimizer=sgd(1.0))),
    "depth4_mixed": (18, [5, 4, 4, 3, 2], ["elu:1.5", "softplus", "tanh", "sigmoid"], "bce",
                     dict(n=2, y="binary", optimizer=sgd(2.0))),
    "depth4_relu_softmax": (19, [4, 4, 3, 3, 3], ["relu", "leaky_relu:0.2", "sigmoid", "softmax"],
                            "cross_entropy", dict(n=3, y="onehot", optimizer=sgd(0.5))),
    "non_square_4_3_2": (20, [4, 3, 2], ["sigmoid", "softmax"], "cross_entropy",
                         dict(y=0, optimizer=sgd(1.0))),
    "no_bias_all": (21, [3, 3, 2], ["tanh", "sigmoid"], "mse",
                    dict(n=2, y="unit", bias=False, optimizer=sgd(1.0))),
    "no_bias_layer2_in_out": (22, [3, 4, 2], ["relu", "identity"], "sse_half",
                              dict(y="real", bias=[1], layout="in_out", optimizer=sgd(0.1))),
    "frozen_weights": (23, [3, 3, 3], ["sigmoid", "softmax"], "cross_entropy",
                       dict(n=2, y="index", frozen={1: ["weights"]}, optimizer=sgd(1.0))),
    "frozen_bias": (24, [3, 4, 2], ["leaky_relu:0.05", "sigmoid"], "bce",
                    dict(y="binary", frozen={2: ["bias"]}, optimizer=sgd(0.5))),
    "frozen_both_in_out": (25, [2, 3, 3, 2], ["elu", "tanh", "identity"], "mse",
                           dict(n=3, y="real", layout="in_out",
                                frozen={2: ["weights", "bias"]}, optimizer=sgd(0.1))),
    "relu_output_sse": (26, [3, 4, 2], ["sigmoid", "relu"], "sse_half",
                        dict(n=2, y="unit", dist="uniform", optimizer=sgd(0.5))),
    "leaky_relu_output_mse": (27, [3, 3, 3], ["tanh", "leaky_relu:0.3"], "mse",
                              dict(y="real", optimizer=sgd(0.5))),
    "elu_output_mse_sum": (28, [2, 3, 2], ["softplus", "elu:2.0"], "mse",
                           dict(n=3, y="real", reduction="sum", optimizer=sgd(0.1))),
    "softplus_output_sse": (29, [3, 2, 2], ["relu", "softplus"], "sse_half",
                            dict(n=2, y="unit", optimizer=sgd(1.0))),
    "identity_hidden_uniform": (30, [3, 3, 3], ["identity", "softmax"], "cross_entropy",
                                dict(n=5, y="index", dist="uniform", reduction="sum",
                                     optimizer=sgd(0.1))),
}


def opt(name, **kw):
    return {"name": name, **kw}


# name: (seed, steps, sizes, activations, loss, optimizer block, keyword options)
OPTIM = {
    "sgd_plain": (101, 5, [3, 3, 2], ["sigmoid", "softmax"], "cross_entropy",
                  opt("sgd", lr=0.5), dict(n=3, y="index")),
    "sgd_lr_omitted": (102, 5, [3, 2, 1], ["tanh", "sigmoid"], "bce",
                       opt("sgd"), dict(n=2, y="binary")),
    "sgd_momentum": (103, 6, [3, 4, 2], ["relu", "identity"], "sse_half",
                     opt("sgd", lr=0.1, momentum=0.9), dict(n=4, y="real")),
    "sgd_momentum_dampening_frozen": (104, 6, [3, 3, 3], ["tanh", "softmax"], "cross_entropy",
                                      opt("sgd", lr=0.5, momentum=0.9, dampening=0.5),
                                      dict(n=2, y="onehot", frozen={1: ["bias"]})),
    "sgd_nesterov_weight_decay": (105, 6, [4, 3, 2], ["elu", "sigmoid"], "mse",
                                  opt("sgd", lr=0.5, momentum=0.8, nesterov=True,
                                      weight_decay=0.01), dict(n=3, y="unit")),
    "sgd_maximize_weight_decay_in_out": (106, 5, [3, 3, 2], ["sigmoid", "identity"], "sse_half",
                                         opt("sgd", lr=0.05, weight_decay=0.1, maximize=True,
                                             momentum=0.5), dict(y="real", layout="in_out")),
    "adagrad_default": (107, 5, [3, 3, 3], ["sigmoid", "softmax"], "cross_entropy",
                        opt("adagrad", lr=0.5), dict(n=2, y="index")),
    "adagrad_lr_omitted_no_bias": (108, 5, [3, 3, 2], ["tanh", "sigmoid"], "bce",
                                   opt("adagrad"), dict(n=3, y="binary", bias=False)),
    "adagrad_lr_decay_weight_decay": (109, 6, [3, 4, 2], ["leaky_relu", "identity"], "mse",
                                      opt("adagrad", lr=0.1, lr_decay=0.1, weight_decay=0.05),
                                      dict(n=4, y="real")),
    "adagrad_init_eps_maximize": (110, 5, [2, 3, 2], ["softplus", "sigmoid"], "mse",
                                  opt("adagrad", lr=0.05, initial_accumulator_value=0.1,
                                      eps=1e-6, maximize=True),
                                  dict(n=2, y="unit", frozen={2: ["weights"]})),
    "rmsprop_default": (111, 6, [3, 3, 3], ["tanh", "softmax"], "cross_entropy",
                        opt("rmsprop", lr=0.01), dict(n=3, y="soft")),
    "rmsprop_alpha_eps_weight_decay": (112, 6, [4, 3, 2], ["relu", "sigmoid"], "bce",
                                       opt("rmsprop", lr=0.05, alpha=0.9, eps=1e-6,
                                           weight_decay=0.01), dict(n=3, y="unit")),
    "rmsprop_momentum_centered_in_out": (113, 6, [3, 4, 2], ["elu:0.7", "identity"], "sse_half",
                                         opt("rmsprop", lr=0.01, momentum=0.5, centered=True),
                                         dict(n=2, y="real", layout="in_out", bias=[1])),
    "rmsprop_maximize_centered": (114, 5, [3, 3, 2], ["sigmoid", "tanh"], "mse",
                                  opt("rmsprop", lr=0.01, centered=True, maximize=True,
                                      alpha=0.95), dict(y="unit")),
    "rmsprop_momentum_frozen": (122, 6, [3, 3, 2], ["softplus", "sigmoid"], "bce",
                                opt("rmsprop", lr=0.02, momentum=0.9),
                                dict(n=4, y="unit", frozen={1: ["weights", "bias"]})),
    "adam_default": (115, 6, [3, 3, 3], ["sigmoid", "softmax"], "cross_entropy",
                     opt("adam", lr=0.1), dict(n=2, y="index")),
    "adam_betas_eps_weight_decay": (116, 6, [4, 4, 2], ["tanh", "identity"], "sse_half",
                                    opt("adam", lr=0.05, betas=[0.8, 0.99], eps=1e-6,
                                        weight_decay=0.1), dict(n=4, y="real")),
    "adam_amsgrad_frozen": (117, 7, [3, 3, 2], ["leaky_relu:0.1", "sigmoid"], "bce",
                            opt("adam", lr=0.05, amsgrad=True),
                            dict(n=3, y="binary", frozen={1: ["weights"], 2: ["bias"]})),
    "adam_maximize": (118, 5, [3, 3, 3], ["softplus", "softmax"], "cross_entropy",
                      opt("adam", lr=0.01, maximize=True), dict(y=2)),
    "adamw_default": (119, 6, [3, 3, 2], ["sigmoid", "sigmoid"], "mse",
                      opt("adamw", lr=0.1), dict(n=2, y="unit")),
    "adamw_weight_decay_amsgrad_in_out": (120, 6, [3, 4, 3], ["relu", "softmax"], "cross_entropy",
                                          opt("adamw", lr=0.05, weight_decay=0.1, amsgrad=True,
                                              betas=[0.85, 0.995]),
                                          dict(n=3, y="index", layout="in_out")),
    "adamw_maximize_eps_no_bias": (121, 5, [4, 3, 2], ["tanh", "identity"], "sse_half",
                                   opt("adamw", lr=0.01, maximize=True, eps=1e-4),
                                   dict(n=2, y="real", bias=[2])),
}


def write(path, doc):
    """Indented JSON with each innermost list on one line; allow_nan=False: all finite."""
    text = json.dumps(doc, indent=1, allow_nan=False)
    text = re.sub(r"\[[^\[\]{}]*\]", lambda m: json.dumps(json.loads(m.group())), text)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def check_classic(e):
    assert abs(e["loss"] - 0.8564) < 1e-4, e["loss"]
    assert abs(e["update"]["loss"] - 0.0725333007370964) < 1e-12, e["update"]["loss"]
    assert np.allclose(e["gradients"]["b2"], [0.0184, -0.0200, -0.0038], atol=1e-4)
    assert abs(sum(e["forward"]["a1"]) - 5.4477) < 1e-4
    assert np.allclose(e["gradients"]["a3"], np.array(e["forward"]["h3"]) - [0, 0, 1])


def main():
    for sub in ("engine", "optim"):
        for old in (HERE / sub).glob("*.json"):
            old.unlink()
    fixed = {
        "classic": classic(),
        "classic_in_out": classic("in_out", title="The classic exercise, in_out layout"),
        "classic_class_index": classic(y=2, title="The classic exercise, class-index target"),
        "classic_batch_of_one": classic(y=[2], x=[[1, 0, 1]],
                                        title="The classic exercise as a batch of one"),
    }
    for name, prob in fixed.items():
        expected = engine_expected(prob)
        if name == "classic":
            check_classic(expected)
        write(HERE / "engine" / f"{name}.json", {"problem": prob, "expected": expected})
    for name, (seed, sizes, acts, loss, kw) in ENGINE.items():
        kw = dict(kw, title=name.replace("_", " "))
        prob, expected = generate(seed, engine_expected, sizes, acts, loss, **kw)
        write(HERE / "engine" / f"{name}.json", {"problem": prob, "expected": expected})
    for name, (seed, steps, sizes, acts, loss, block, kw) in OPTIM.items():
        kw = dict(kw, title=name.replace("_", " "), optimizer=block)
        run = functools.partial(optim_expected, steps=steps)
        prob, expected = generate(seed, run, sizes, acts, loss, **kw)
        write(HERE / "optim" / f"{name}.json", {"problem": prob, "steps": steps,
                                                "expected": expected})
    print(f"wrote {len(fixed) + len(ENGINE)} engine and {len(OPTIM)} optim fixtures")


if __name__ == "__main__":
    main()
