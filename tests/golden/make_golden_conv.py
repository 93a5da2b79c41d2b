#!/usr/bin/env python3
"""Independent PyTorch oracle for convolution and pooling: writes tests/golden/conv/.

Run from the repository root with an environment that has torch and numpy:
    python tests/golden/make_golden_conv.py
It never imports backprop_cli (only make_golden.py beside it, for the activations, the
optimizers and the JSON writer). Everything is float64 autograd and torch.optim
(foreach=False); seeds are fixed and the output is deterministic.

conv/<name>.json: {"problem", "expected": {"forward", "loss", ["loss_parts"], "gradients",
                   "update": {"parameters", ["state"], "loss", ["loss_parts"]},
                   "steps": {"count", "losses", "parameters", ["state"]}}, "source"}

Problem format (/work/notes/conv_format.md, docs): `channels: first|last`; x (N,C,H,W),
(C,H,W) or (H,W) (channels last: (N,H,W,C), (H,W,C), (H,W)); `kind: conv2d` (weights
(C_out,C_in,kH,kW), channels last (kH,kW,C_in,C_out), optional bias, stride, padding, flip,
activation, frozen) = F.conv2d, flip: F.conv2d with the kernel rotated 180°;
`kind: maxpool2d|avgpool2d` (size, stride (default size), padding) = F.max_pool2d /
F.avg_pool2d (count_include_pad=True); `kind: flatten` (torch order (C,H,W), channels last
(H,W,C)); dense layers as before. Losses cross_entropy | mse | bce (mean over samples) or
upstream (y = dL/dŷ in ŷ's shape as written, L = Σ y ⊙ ŷ); l2 on every W (conv and dense).

Every pass is computed twice: once with the torch functions (reported) and once by hand
with torch ops (conv as a sum over kernel offsets of strided slices, pools over stacked
window slices, max pool's gradient to the first maximum in row-major window order); the
values and every gradient must agree.
"""
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import KINK, OPTIMIZERS, SAT, Rejected, activate, rnd, write  # noqa: E402

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent / "conv"
L2_FORMS = {"lambda/2": lambda lam, n: lam / 2, "lambda/2m": lambda lam, n: lam / (2 * n),
            "lambda": lambda lam, n: lam, "lambda/m": lambda lam, n: lam / n}
TIE = 1e-6    # the two largest values of a max-pool window stay at least this far apart
STEPS = 3     # the chained run of expected.steps
MAPS = ("conv2d", "maxpool2d", "avgpool2d")


def T(v):
    return torch.tensor(v, dtype=torch.float64)


def kind_of(layer):
    return layer.get("kind", "dense")


def act_of(layer):
    return {**layer, "activation": layer.get("activation", "identity")}


def pair(v):
    return (v, v) if isinstance(v, int) else tuple(v)


def pool_geometry(layer):
    size = pair(layer["size"])
    return size, pair(layer.get("stride", size)), pair(layer.get("padding", 0))


def conv_geometry(layer):
    return pair(layer.get("stride", 1)), pair(layer.get("padding", 0))


def out_size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


def whole(n, k, s, p):
    """The window tiles the padded input exactly (the reader refuses a floor)."""
    assert (n + 2 * p - k) % s == 0, f"({n} + 2·{p} − {k})/{s} + 1 is not a whole number"


# --- the hand-written layers (torch ops only, no conv/pool functions) -------------------
def windows(xp, kH, kW, sH, sW, Ho, Wo):
    """The (kH*kW) strided slices of a padded (N,C,H,W) input, in row-major window order."""
    return [xp[:, :, p:p + sH * (Ho - 1) + 1:sH, q:q + sW * (Wo - 1) + 1:sW]
            for p in range(kH) for q in range(kW)]


def hand_conv(x, W, b, stride, padding):
    (sH, sW), (pH, pW) = stride, padding
    kH, kW = W.shape[-2:]
    xp = F.pad(x, (pW, pW, pH, pH))
    Ho, Wo = out_size(x.shape[2], kH, sH, pH), out_size(x.shape[3], kW, sW, pW)
    slices = windows(xp, kH, kW, sH, sW, Ho, Wo)
    out = sum(torch.einsum("oc,nchw->nohw", W[:, :, i // kW, i % kW], s)
              for i, s in enumerate(slices))
    return out if b is None else out + b[None, :, None, None]


def hand_pool(x, kind, size, stride, padding):
    (kH, kW), (sH, sW), (pH, pW) = size, stride, padding
    fill = float("-inf") if kind == "maxpool2d" else 0.0
    xp = F.pad(x, (pW, pW, pH, pH), value=fill)
    Ho, Wo = out_size(x.shape[2], kH, sH, pH), out_size(x.shape[3], kW, sW, pW)
    stack = torch.stack(windows(xp, kH, kW, sH, sW, Ho, Wo))
    if kind == "avgpool2d":
        return stack.sum(0) / (kH * kW)
    top = stack.detach().amax(0)
    hit = stack.detach() == top
    first = hit & (hit.cumsum(0) == 1)  # the first maximum in row-major window order
    return torch.where(first, stack, torch.zeros_like(stack)).sum(0)


class Net:
    """A problem file turned into torch leaves in the file's own layout (so gradients and
    optimizer state come out in it); x is a leaf too, so ∂L/∂x is autograd's."""

    def __init__(self, prob):
        self.prob, self.layers = prob, prob["layers"]
        self.last = prob.get("channels", "first") == "last"
        self.x = T(prob["x"]).requires_grad_()
        self.rank = self.x.dim()
        self.N = self.x.shape[0] if self.rank == 4 else 1
        self.params, self.frozen = {}, set()
        for l, layer in enumerate(self.layers, 1):
            if kind_of(layer) in ("conv2d", "dense"):
                self.params[f"W{l}"] = T(layer["weights"]).requires_grad_()
                if "bias" in layer:
                    self.params[f"b{l}"] = T(layer["bias"]).requires_grad_()
                for what in layer.get("frozen", []):
                    self.frozen.add({"weights": "W", "bias": "b"}[what] + str(l))
        out = self.layers[-1]
        self.map_out = kind_of(out) in MAPS
        y = np.asarray(prob["y"])
        self.indices = prob["loss"] == "cross_entropy" and y.ndim == (1 if self.rank == 4 else 0)
        if self.indices:
            self.y = T(prob["y"]).long().reshape(self.N)
        elif self.map_out:
            assert prob["loss"] == "upstream"
            self.y = T(prob["y"])  # as written: compared with ŷ in the file's shape
        else:
            self.y = T(prob["y"]).reshape(self.N, -1)

    # --- the file's shapes <-> torch's (N,C,H,W) -----------------------------------------
    def x_nchw(self):
        x = self.x
        if self.rank == 2:
            return x[None, None]
        if self.rank == 3:
            x = x[None]
        return x.permute(0, 3, 1, 2) if self.last else x

    def weight(self, l):
        W = self.params[f"W{l}"]
        if kind_of(self.layers[l - 1]) == "conv2d" and self.last:
            W = W.permute(3, 2, 0, 1)  # (kH,kW,C_in,C_out) -> (C_out,C_in,kH,kW)
        return W

    def shown(self, t, l):
        """A layer's a/h (or its gradient) in the JSON output's shape."""
        t = t.detach()
        if t.dim() == 4 and self.last:
            t = t.permute(0, 2, 3, 1)
        return (t if self.rank == 4 else t[0]).tolist()

    # --- forward ------------------------------------------------------------------------
    def forward(self, hand=False, retain=False):
        h, acts = self.x_nchw(), {}
        for l, layer in enumerate(self.layers, 1):
            kind = kind_of(layer)
            if kind == "conv2d":
                W, b = self.weight(l), self.params.get(f"b{l}")
                if layer.get("flip", False):
                    W = W.flip(-1, -2)
                stride, padding = conv_geometry(layer)
                a = (hand_conv(h, W, b, stride, padding) if hand else
                     F.conv2d(h, W, b, stride=stride, padding=padding))
            elif kind in ("maxpool2d", "avgpool2d"):
                size, stride, padding = pool_geometry(layer)
                if kind == "maxpool2d":
                    self.check_ties(h, size, stride, padding, l, layer)
                if hand:
                    a = hand_pool(h, kind, size, stride, padding)
                elif kind == "maxpool2d":
                    a = F.max_pool2d(h, size, stride, padding)
                else:
                    a = F.avg_pool2d(h, size, stride, padding, count_include_pad=True)
            elif kind == "flatten":
                a = torch.flatten(h.permute(0, 2, 3, 1) if self.last else h, 1)
            else:
                a = F.linear(h, self.weight(l), self.params.get(f"b{l}"))
            h = activate(a, act_of(layer))
            if retain:
                for t in (a, h):
                    if t.requires_grad:
                        t.retain_grad()
            acts[f"a{l}"], acts[f"h{l}"] = a, h
        return acts

    def check_ties(self, h, size, stride, padding, l, layer):
        if layer.get("ties", False):
            return  # drawn to have ties: the first maximum gets the gradient
        (kH, kW), (sH, sW), (pH, pW) = size, stride, padding
        xp = F.pad(h.detach(), (pW, pW, pH, pH), value=float("-inf"))
        Ho, Wo = out_size(h.shape[2], kH, sH, pH), out_size(h.shape[3], kW, sW, pW)
        top2 = torch.stack(windows(xp, kH, kW, sH, sW, Ho, Wo)).topk(2, dim=0).values
        if (top2[0] - top2[1]).min() < TIE:
            raise Rejected(f"a near-tie in a max-pool window of layer {l}")

    def check(self, acts):
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

    # --- loss ---------------------------------------------------------------------------
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
            out = hL
            if self.map_out:
                out = out.permute(0, 2, 3, 1) if self.last else out
                out = out if self.rank == 4 else out[0]
            value = graph = (y * out.reshape(y.shape)).sum()
        else:
            raise ValueError(kind)
        assert torch.allclose(value, graph, rtol=1e-12, atol=1e-15)
        pen = self.penalty()
        if pen is None:
            return value, graph, value, None
        return value + pen, graph + pen, value, pen

    # --- one pass -----------------------------------------------------------------------
    def leaves(self):
        return [self.x, *self.params.values()]

    def clear(self):
        for p in self.leaves():
            p.grad = None

    def passes(self):
        """The torch pass (reported) and the hand pass, cross-checked; leaves' .grad set."""
        self.clear()
        reference = torch.autograd.grad(self.loss(self.forward())[0], self.leaves())
        acts = self.forward(retain=True)
        self.check(acts)
        value, graph, data, pen = self.loss(acts)
        graph.backward()
        grads = [p.grad.clone() for p in self.leaves()]
        self.clear()
        hand = self.forward(hand=True, retain=True)
        self.loss(hand)[1].backward()
        for r, g, p in zip(reference, grads, self.leaves()):
            assert torch.allclose(r, g, rtol=1e-9, atol=1e-13), "loss routes disagree"
            assert torch.allclose(p.grad, g, rtol=1e-9, atol=1e-13), "hand pass disagrees"
        for k, t in acts.items():
            assert torch.allclose(t, hand[k], rtol=1e-12, atol=1e-14), k
            if t.grad is not None or hand[k].grad is not None:
                assert torch.allclose(t.grad, hand[k].grad, rtol=1e-9, atol=1e-13), k
        for p, g in zip(self.leaves(), grads):
            p.grad = g
        return acts, (value, data, pen)

    def value(self):
        with torch.no_grad():
            _, _, data, pen = self.loss(self.forward())
        return (data + pen if pen is not None else data), data, pen

    def optimizer(self):
        trainable = [p for n, p in self.params.items() if n not in self.frozen]
        if not trainable:
            return None  # nothing to learn: the step moves nothing
        spec = dict(self.prob.get("optimizer", {"name": "sgd"}))
        cls = OPTIMIZERS[spec.pop("name")]
        spec.setdefault("lr", 1.0)
        if "betas" in spec:
            spec["betas"] = tuple(spec["betas"])
        return cls(trainable, foreach=False, **spec)

    def state(self, opt):
        out = {}
        for n, p in self.params.items():
            entry = {k: int(v.item()) if k == "step" else v.tolist()
                     for k, v in (opt.state.get(p, {}) if opt else {}).items() if v is not None}
            if entry:
                out[n] = entry
        return out

    def parameters(self):
        return {n: p.tolist() for n, p in self.params.items()}


def expected(prob):
    net = Net(prob)
    acts, (loss, data, pen) = net.passes()
    L = len(net.layers)
    grads = {}
    for l in range(L, 0, -1):
        for n in (f"h{l}", f"a{l}"):
            if acts[n].grad is not None:
                grads[n] = net.shown(acts[n].grad, l)
    grads["x"] = net.x.grad.tolist()
    for l in range(L, 0, -1):
        for q in ("W", "b"):
            if f"{q}{l}" in net.params:
                g = net.params[f"{q}{l}"].grad
                assert g.abs().max() > 1e-9, f"{q}{l}'s gradient is rounding noise"
                grads[f"{q}{l}"] = g.tolist()
    out = {"forward": {k: net.shown(v, int(k[1:])) for k, v in acts.items()},
           "loss": loss.item()}
    if pen is not None:
        out["loss_parts"] = {"data": data.item(), "penalty": pen.item()}
    out["gradients"] = grads
    opt = net.optimizer()
    if opt is not None:
        opt.step()
    update = {"parameters": net.parameters()}
    state = net.state(opt)
    if state:
        update["state"] = state
    after, data, pen = net.value()
    update["loss"] = after.item()
    if pen is not None:
        update["loss_parts"] = {"data": data.item(), "penalty": pen.item()}
    out["update"] = update
    out["steps"] = chained(prob, STEPS)
    assert out["steps"]["losses"][:2] == [out["loss"], update["loss"]]
    return out


def chained(prob, count):
    """`count` optimizer steps in a row, kinks and ties checked at every one: the losses
    before each step and after the last, the final parameters and state."""
    net = Net(prob)
    opt = net.optimizer()
    losses = []
    for _ in range(count):
        losses.append(net.passes()[1][0].item())
        if opt is not None:
            opt.step()
    final = net.forward()
    net.check(final)
    losses.append(net.value()[0].item())
    out = {"count": count, "losses": losses, "parameters": net.parameters()}
    state = net.state(opt)
    if state:
        out["state"] = state
    return out


def source(prob):
    """One line naming the torch functions that computed the fixture."""
    layers = prob["layers"]
    kinds = {kind_of(layer) for layer in layers}
    parts = [f"torch {torch.__version__.split('+')[0]} float64 autograd (x a leaf)"]
    if prob.get("channels", "first") == "last":
        parts.append("channels last: x, weights and maps permuted to torch's order and back")
    if "conv2d" in kinds:
        flip = any(layer.get("flip", False) for layer in layers)
        parts.append("F.conv2d" + (" (flip: kernel .flip(-1, -2))" if flip else ""))
    if "maxpool2d" in kinds:
        parts.append("F.max_pool2d")
    if "avgpool2d" in kinds:
        parts.append("F.avg_pool2d(count_include_pad=True)")
    if "flatten" in kinds:
        parts.append("torch.flatten")
    if "dense" in kinds:
        parts.append("F.linear")
    parts.append({"cross_entropy": "F.cross_entropy", "mse": "F.mse_loss",
                  "bce": "F.binary_cross_entropy_with_logits",
                  "upstream": "L = (y * h_L).sum()"}[prob["loss"]])
    if "l2" in prob:
        parts.append("L2 penalty on every W added to the loss before backward")
    parts.append("cross-checked against a hand-written pass (strided slices, einsum)")
    name = prob["optimizer"]["name"]
    parts.append(f"torch.optim.{OPTIMIZERS[name].__name__}(foreach=False)")
    parts.append(f"{STEPS} chained steps")
    return "; ".join(parts)


# --- problem construction ---------------------------------------------------------------
def conv(c_out, k, activation=None, bias=True, **keys):
    return {"kind": "conv2d", "c_out": c_out, "k": k, "activation": activation,
            "bias": bias, **keys}


def maxpool(size, **keys):
    return {"kind": "maxpool2d", "size": size, **keys}


def avgpool(size, **keys):
    return {"kind": "avgpool2d", "size": size, **keys}


def flatten():
    return {"kind": "flatten"}


def dense(units, activation="identity", bias=True, **keys):
    return {"kind": "dense", "units": units, "activation": activation, "bias": bias, **keys}


def w(rng, *shape):
    return rnd(rng.normal(0, 0.5, shape), 2)


def draw_layer(rng, spec, shape, last):
    """One layer of the problem file and the (C,H,W) or (n,) shape after it."""
    spec = dict(spec)
    kind, activation = spec.pop("kind"), spec.pop("activation", None)
    if kind == "conv2d":
        C, H, W_ = shape
        c_out, (kH, kW) = spec.pop("c_out"), pair(spec.pop("k"))
        weights = w(rng, c_out, C, kH, kW)
        layer = {"kind": kind,
                 "weights": (weights.transpose(2, 3, 1, 0) if last else weights).tolist()}
        if spec.pop("bias"):
            layer["bias"] = w(rng, c_out).tolist()
        layer.update(spec)
        (sH, sW), (pH, pW) = conv_geometry(layer)
        whole(H, kH, sH, pH), whole(W_, kW, sW, pW)
        shape = (c_out, out_size(H, kH, sH, pH), out_size(W_, kW, sW, pW))
    elif kind in ("maxpool2d", "avgpool2d"):
        layer = {"kind": kind, **spec}
        spec = {}
        (kH, kW), (sH, sW), (pH, pW) = pool_geometry(layer)
        assert 2 * pH <= kH and 2 * pW <= kW, "torch: padding at most half the window"
        whole(shape[1], kH, sH, pH), whole(shape[2], kW, sW, pW)
        shape = (shape[0], out_size(shape[1], kH, sH, pH), out_size(shape[2], kW, sW, pW))
    elif kind == "flatten":
        layer = {"kind": kind}
        shape = (int(np.prod(shape)),)
    else:
        units = spec.pop("units")
        layer = {"weights": w(rng, units, shape[0]).tolist()}
        if spec.pop("bias"):
            layer["bias"] = w(rng, units).tolist()
        layer.update(spec)
        shape = (units,)
    if activation is not None:
        layer["activation"] = activation
    assert min(shape) > 0, shape
    return layer, shape


def in_file(a, form, last):
    """An (N,C,H,W) array in the file's shape for the form batch | one | hw."""
    if last:
        a = a.transpose(0, 2, 3, 1)
    if form == "batch":
        return a.tolist()
    if form == "hw":
        assert a.shape[1 if not last else 3] == 1
        return a[0, 0].tolist() if not last else a[0, :, :, 0].tolist()
    return a[0].tolist()


def targets(rng, y, n, shape, form, last):
    if len(shape) == 3:  # a map output: dL/dŷ in its shape
        assert y == "upstream"
        return in_file(rnd(rng.normal(0, 1, (n, *shape)), 2), form, last)
    K = shape[0]
    if y == "index":
        v = rng.integers(0, K, n)
    elif y == "onehot":
        v = np.eye(K, dtype=int)[rng.integers(0, K, n)]
    elif y == "unit":
        v = rnd(rng.uniform(0, 1, (n, K)), 2)
    elif y == "binary":
        v = rng.integers(0, 2, (n, K))
    elif y in ("real", "upstream"):
        v = rnd(rng.normal(0, 1, (n, K)), 2)
    else:
        raise ValueError(y)
    return (v if form == "batch" else v[0]).tolist()


def draw_problem(rng, title, x_shape, form, specs, loss, y, optimizer, channels="first",
                 l2=None, x=None):
    """x_shape (N,C,H,W) in torch's order whatever the channels; form batch | one | hw."""
    last = channels == "last"
    n = x_shape[0]
    assert form == "batch" or n == 1
    xv = rnd(rng.normal(0, 1, x_shape), 2) if x is None else np.asarray(x, dtype=float)
    layers, shape = [], tuple(x_shape[1:])
    for spec in specs:
        layer, shape = draw_layer(rng, spec, shape, last)
        layers.append(layer)
    prob = {"title": title}
    if last:
        prob["channels"] = "last"
    prob.update(x=in_file(xv, form, last), y=targets(rng, y, n, shape, form, last), loss=loss)
    if l2 is not None:
        prob["l2"] = l2
    prob.update(layers=layers, optimizer=optimizer)
    return prob


def generate(seed, title, *args, **kw):
    """Draw until the problem avoids kinks, saturation and max-pool near-ties at every step."""
    for attempt in range(2000):
        rng = np.random.default_rng([seed, attempt])
        try:
            prob = draw_problem(rng, title, *args, **kw)
            return prob, expected(prob)
        except Rejected:
            continue
    raise RuntimeError(f"no acceptable draw for seed {seed}")


def sgd(lr, **kw):
    return {"name": "sgd", "lr": lr, **kw}


def adam(lr, **kw):
    return {"name": "adam", "lr": lr, **kw}


# Exact ties in the input of a lone max pool: the first maximum (row-major in its window)
# gets the gradient, as F.max_pool2d does and the format says.
TIES_X = [[[[1.0, 1.0, 0.5, -2.0],
            [0.25, 1.0, -2.0, -1.5],
            [0.0, 0.0, 3.0, 0.5],
            [0.0, -1.0, 0.5, 3.0]],
           [[-0.5, 0.75, 0.75, -0.5],
            [0.75, 0.0, 0.75, 0.25],
            [2.0, -1.0, 1.5, 1.5],
            [-3.0, 2.0, 1.5, 1.5]]]]

# name: (seed, x (N,C,H,W), form, layers, loss, y, optimizer, options)
FIXTURES = {
    "conv_upstream": (
        401, (2, 1, 5, 5), "batch", [conv(2, 3)], "upstream", "upstream", sgd(0.1), {}),
    "conv_upstream_one_sample_stride2_pad1_no_bias": (
        402, (1, 2, 5, 5), "one", [conv(3, 3, bias=False, stride=2, padding=1)],
        "upstream", "upstream", sgd(0.1), {}),
    "conv_stride_2_1_pad_1_0_mse_momentum_frozen_bias": (
        403, (2, 3, 5, 4), "batch",
        [conv(2, (3, 2), "tanh", stride=[2, 1], padding=[1, 0], frozen=["bias"]), flatten(),
         dense(2)], "mse", "real", sgd(0.1, momentum=0.9), {}),
    "conv_flip_relu_bce": (
        404, (2, 1, 4, 4), "batch", [conv(1, 2, "relu", flip=True), flatten(),
                                     dense(1, "sigmoid")], "bce", "binary", sgd(0.5), {}),
    "maxpool_upstream": (
        405, (2, 2, 4, 4), "batch", [maxpool(2)], "upstream", "upstream", sgd(0.1), {}),
    "avgpool_upstream_one_sample_pad1": (
        406, (1, 2, 5, 7), "one", [avgpool(3, stride=2, padding=1)], "upstream", "upstream",
        sgd(0.1), {}),
    "maxpool_ties_first_maximum": (
        407, (1, 2, 4, 4), "batch", [maxpool(2, ties=True)], "upstream", "upstream", sgd(0.1),
        {"x": TIES_X}),
    "cnn_relu_maxpool_overlap_softmax_ce": (
        408, (3, 1, 7, 7), "batch",
        [conv(2, 3, "relu"), maxpool(3, stride=2), flatten(), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.5), {}),
    "cnn_maxpool_pad1_mse": (
        409, (2, 2, 6, 6), "batch",
        [conv(2, 2, "tanh"), maxpool(3, stride=2, padding=1), flatten(), dense(2)],
        "mse", "real", sgd(0.1), {}),
    "cnn_avgpool_pad1_bce": (
        410, (2, 1, 6, 6), "batch",
        [conv(3, 3, "relu", padding=1), avgpool(2, stride=2, padding=1), flatten(),
         dense(2, "sigmoid")], "bce", "unit", sgd(0.5), {}),
    "cnn_channels_last_adam": (
        411, (2, 2, 6, 6), "batch",
        [conv(2, 3, "relu"), maxpool(2), flatten(), dense(3, "softmax")],
        "cross_entropy", "onehot", adam(0.01), {"channels": "last"}),
    "conv_channels_last_upstream_one_sample": (
        412, (1, 3, 4, 4), "one", [conv(2, 2, stride=[1, 2], padding=[0, 1])],
        "upstream", "upstream", sgd(0.1), {"channels": "last"}),
    "one_sample_hw_bce": (
        413, (1, 1, 5, 5), "hw", [conv(2, 3, "tanh"), flatten(), dense(2, "sigmoid")],
        "bce", "binary", sgd(0.5), {}),
    "one_sample_chw_ce_index": (
        414, (1, 2, 6, 6), "one",
        [conv(3, 2, "relu", stride=2, padding=1), flatten(), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.5), {}),
    "l2_conv_dense_nesterov": (
        415, (2, 2, 6, 6), "batch",
        [conv(2, 3, "relu", padding=1), maxpool(2), flatten(), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.2, momentum=0.9, nesterov=True),
        {"l2": {"lambda": 0.1, "form": "lambda/2"}}),
    "two_convs_avgpool_adam_l2m": (
        416, (2, 3, 6, 6), "batch",
        [conv(3, 3, "relu", bias=False), avgpool(2), conv(2, 2, "tanh", padding=1),
         flatten(), dense(2)], "mse", "real", adam(0.05, betas=[0.8, 0.99]),
        {"l2": {"lambda": 0.2, "form": "lambda/2m"}}),
    "cnn_rect_maxpool_momentum": (
        417, (2, 1, 5, 6), "batch",
        [conv(2, 2, "relu"), maxpool([2, 3], stride=[2, 1]), flatten(), dense(2, "softmax")],
        "cross_entropy", "onehot", sgd(0.3, momentum=0.5), {}),
}


def main():
    for old in HERE.glob("*.json"):
        old.unlink()
    for name, (seed, x_shape, form, specs, loss, y, optimizer, kw) in FIXTURES.items():
        prob, exp = generate(seed, name.replace("_", " "), x_shape, form, specs, loss, y,
                             optimizer, **kw)
        for layer in prob["layers"]:
            layer.pop("ties", None)  # a drawing instruction, not a key of the format
        write(HERE / f"{name}.json", {"problem": prob, "expected": exp, "source": source(prob)})
    print(f"wrote {len(FIXTURES)} conv fixtures")


if __name__ == "__main__":
    main()
