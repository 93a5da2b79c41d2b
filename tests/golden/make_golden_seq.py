#!/usr/bin/env python3
"""Independent PyTorch oracle for sequences (RNN, LSTM, GRU through time, embeddings):
writes tests/golden/seq/.

Run from the repository root with an environment that has torch and numpy:
    python tests/golden/make_golden_seq.py
It never imports backprop_cli (only make_golden.py beside it, for the activations, the
optimizers, the rounding and the JSON writer). Everything is float64 autograd and
torch.optim (foreach=False); seeds are fixed and the output is deterministic.

seq/<name>.json: {"problem", "expected": {"forward", "loss", ["loss_parts"], "gradients",
                  "update": {"parameters", ["state"], "loss", ["loss_parts"]},
                  "steps": {"count", "losses", "parameters", ["state"]}}, "source"}

Problem format (/work/notes/seq_format.md): x (N,T,D) or one sample (T,D); with
`kind: embedding` first (`table` (V,E)) integer indices (N,T) or (T,). One recurrent layer
(`kind: rnn|lstm|gru`: wx, wh, bias, bias_h, h0, c0, activation (rnn), output last|all,
gates (a permutation of ifgo / rzn; stacked rows in that order), form torch|cho (gru;
cho: the reset gate before Wh_n), update old|new (gru: z keeps the old state or takes the
new one, h' = (1 − z) ⊙ h + z ⊙ n), frozen),
stacked or a mapping by gate name; dense layers after it act on h_T (last) or on every
step (all). `layout: in_out` transposes wx, wh and the dense weights. Losses
cross_entropy (rows or class indices), mse and upstream (y = dL/dŷ, L = Σ y ⊙ ŷ); output
all: N·T step-rows, reduction mean divides by N·T; l2 on Wx, Wh (every gate) and every dense
W (not the embedding table, not the biases).

Every pass is computed twice: with nn.Embedding, nn.RNN / nn.LSTM / nn.GRU (batch_first,
float64, torch.func.functional_call on parameters assembled from the file's leaves) and
nn.Linear (reported), and by hand with torch ops from the equations of the format, step by
step (the gates, c_t and the split of ∂L/∂h_t into hout + hnext come from it). The values
and every gradient must agree. GRU `form: cho` has no torch module: only the hand pass. For
every fixture the leaf gradients are also checked against central differences.
"""
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_golden import KINK, OPTIMIZERS, SAT, Rejected, activate, rnd, write  # noqa: E402

torch.set_default_dtype(torch.float64)
HERE = Path(__file__).resolve().parent / "seq"
L2_FORMS = {"lambda/2": lambda lam, n: lam / 2, "lambda/2m": lambda lam, n: lam / (2 * n),
            "lambda": lambda lam, n: lam, "lambda/m": lambda lam, n: lam / n}
STEPS = 3       # the chained run of expected.steps
MODERATE = 4.0  # |argument| of every sigmoid/tanh stays below this (at every step)
RECURRENT = ("rnn", "lstm", "gru")
TORCH_ORDER = {"lstm": "ifgo", "gru": "rzn", "rnn": None}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}
# the file's parameter keys -> the engine's names
KEYS = {"wx": "Wx", "wh": "Wh", "bias": "b", "bias_h": "bh", "table": "E",
        "weights": "W"}


def ten(v):
    return torch.tensor(v, dtype=torch.float64)


def kind_of(layer):
    return layer.get("kind", "dense")


def act_of(layer):
    return {**layer, "activation": layer.get("activation", "identity")}


def detach(p):
    return {g: t.detach() for g, t in p.items()} if isinstance(p, dict) else p.detach()


def tolist(p):
    return {g: t.tolist() for g, t in p.items()} if isinstance(p, dict) else p.tolist()


def leaves_of(p):
    return list(p.values()) if isinstance(p, dict) else [p]


class Net:
    """A problem file turned into torch leaves in the file's own form (stacked in the
    file's gate order or one leaf per gate, in the file's layout), so that gradients,
    updates and optimizer state come out in it. x, h0 and c0 are leaves too, h0/c0 per
    sample, so ∂L/∂x, ∂L/∂h0, ∂L/∂c0 are autograd's."""

    def __init__(self, prob):
        self.prob, self.layers = prob, prob["layers"]
        self.in_out = prob.get("layout", "out_in") == "in_out"
        self.embed = kind_of(self.layers[0]) == "embedding"
        self.r = 2 if self.embed else 1  # the recurrent layer's number
        self.rec = self.layers[self.r - 1]
        self.kind = kind_of(self.rec)
        assert self.kind in RECURRENT
        self.all = self.rec["output"] == "all"
        x = np.asarray(prob["x"])
        self.single = x.ndim == (1 if self.embed else 2)
        if self.embed:
            self.x = torch.tensor(x, dtype=torch.long)
        else:
            self.x = ten(prob["x"]).requires_grad_()
        xs = self.x[None] if self.single else self.x
        self.N, self.T = xs.shape[0], xs.shape[1]
        wh = self.rec["wh"]
        wh = np.asarray(next(iter(wh.values())) if isinstance(wh, dict) else wh)
        self.H = wh.shape[0] if self.in_out else wh.shape[1]  # (G·H, H) or (H, G·H)
        self.order = self.rec.get("gates", TORCH_ORDER[self.kind])
        self.named = isinstance(self.rec["wx"], dict)
        self.params, self.frozen = {}, set()
        for l, layer in enumerate(self.layers, 1):
            for key in ("table", "wx", "wh", "bias", "bias_h", "weights"):
                if key in layer:
                    v = layer[key]
                    leaf = ({g: ten(t).requires_grad_() for g, t in v.items()}
                            if isinstance(v, dict) else ten(v).requires_grad_())
                    self.params[f"{KEYS[key]}{l}"] = leaf
            for what in layer.get("frozen", []):
                self.frozen.add(f"{KEYS[what]}{l}")
        self.states = {}
        for s in ("h0", "c0"):
            if s == "c0" and self.kind != "lstm":
                continue
            if s in self.rec:
                v = ten(self.rec[s])
                v = v.expand(self.N, self.H) if v.dim() == 1 else v
            else:
                v = torch.zeros(self.N, self.H)
            assert v.shape == (self.N, self.H), (s, v.shape)
            self.states[s] = (v[0] if self.single else v).clone().requires_grad_()
        # targets
        y = np.asarray(prob["y"])
        self.loss_kind = prob["loss"]
        self.red = prob.get("reduction", "sum" if self.loss_kind == "upstream" else "mean")
        rows = self.N * self.T if self.all else self.N
        with_k = (2 if self.all else 1) + (0 if self.single else 1)  # y's rank with K
        self.indices = self.loss_kind == "cross_entropy" and y.ndim == with_k - 1
        if self.indices:
            self.y = torch.tensor(y, dtype=torch.long).reshape(rows)
        else:
            self.y = ten(prob["y"]).reshape(self.N, *((self.T,) if self.all else ()), -1)

    # --- the file's parameters -> torch's stacked, out_in ---------------------------------
    def stacked(self, key):
        """Wx/Wh (G·H, in) or b/bh (G·H,) in torch's gate order, built from the leaves
        (differentiable), or None when the file has no such parameter."""
        p = self.params.get(f"{key}{self.r}")
        if p is None:
            return None
        turn = self.in_out and key in ("Wx", "Wh")
        if isinstance(p, dict):
            return torch.cat([p[g].T if turn else p[g] for g in TORCH_ORDER[self.kind]])
        p = p.T if turn else p
        if self.kind == "rnn":
            return p
        blocks = dict(zip(self.order, p.split(self.H), strict=True))
        return torch.cat([blocks[g] for g in TORCH_ORDER[self.kind]])

    def dense_weight(self, l):
        W = self.params[f"W{l}"]
        return W.T if self.in_out else W

    def file_order(self, a):
        """(…, G·H) in torch's gate order -> the file's order (torch's for named gates)."""
        if self.kind == "rnn" or self.named:
            return a
        parts = dict(zip(TORCH_ORDER[self.kind], a.split(self.H, -1), strict=True))
        return torch.cat([parts[g] for g in self.order], -1)

    def shown(self, t):
        t = t.detach()
        return (t[0] if self.single else t).tolist()

    # --- forward ------------------------------------------------------------------------
    def inputs(self, hand):
        """(N,T,D) of the recurrent layer and the embedding's acts."""
        acts = {}
        if self.embed:
            idx = self.x[None] if self.single else self.x
            E = self.params["E1"]
            if hand:
                a = E[idx]
            else:
                a = functional_call(nn.Embedding(*E.shape), {"weight": E}, (idx,))
            acts["a1"] = a
            acts["h1"] = activate(a, act_of(self.layers[0]))
            return acts["h1"], acts
        return (self.x[None] if self.single else self.x), acts

    def initial(self):
        return {s: (v[None] if self.single else v) for s, v in self.states.items()}

    def module(self):
        kind, H, D = self.kind, self.H, self.stacked("Wx").shape[1]
        bias = f"b{self.r}" in self.params or f"bh{self.r}" in self.params
        if kind == "rnn":
            m = nn.RNN(D, H, batch_first=True, bias=bias,
                       nonlinearity=self.rec.get("activation", "tanh"))
        else:
            m = (nn.LSTM if kind == "lstm" else nn.GRU)(D, H, batch_first=True, bias=bias)
        weights = {"weight_ih_l0": self.stacked("Wx"), "weight_hh_l0": self.stacked("Wh")}
        if bias:
            zeros = torch.zeros(GATES[kind] * H)
            b, bh = self.stacked("b"), self.stacked("bh")
            weights["bias_ih_l0"] = zeros if b is None else b
            weights["bias_hh_l0"] = zeros if bh is None else bh
        return m.double(), weights

    def recurrent_torch(self, xin):
        m, weights = self.module()
        s = self.initial()
        state = (s["h0"][None], s["c0"][None]) if self.kind == "lstm" else s["h0"][None]
        out, _ = functional_call(m, weights, (xin, state))
        return {f"h{self.r}": out}

    def recurrent_hand(self, xin, retain):
        """The cell equations of the format step by step; every per-step node kept."""
        kind, H = self.kind, self.H
        Wx, Wh, b, bh = (self.stacked(k) for k in ("Wx", "Wh", "b", "bh"))
        s = self.initial()
        h, c = s["h0"], s.get("c0")
        steps = []
        for t in range(self.T):
            xt = xin[:, t]
            gi = xt @ Wx.T + (0 if b is None else b)
            gh = h @ Wh.T + (0 if bh is None else bh)
            st = {}
            if kind == "rnn":
                a = gi + gh
                hn = activate(a, {"activation": self.rec.get("activation", "tanh")})
                st["a"] = [a]
            elif kind == "lstm":
                a = gi + gh
                ai, af, ag, ao = a.split(H, 1)
                i, f, g, o = torch.sigmoid(ai), torch.sigmoid(af), torch.tanh(ag), \
                    torch.sigmoid(ao)
                cn = f * c + i * g
                hn = o * torch.tanh(cn)
                st.update(a=[a], i=i, f=f, g=g, o=o, c=cn)
            else:
                gir, giz, gin = gi.split(H, 1)
                ghr, ghz, ghn = gh.split(H, 1)
                ar, az = gir + ghr, giz + ghz
                r, z = torch.sigmoid(ar), torch.sigmoid(az)
                if self.rec.get("form", "torch") == "torch":
                    an = gin + r * ghn
                else:  # cho: the reset gate before the hidden matrix
                    an = gin + (r * h) @ Wh[2 * H:].T + (0 if bh is None else bh[2 * H:])
                n = torch.tanh(an)
                if gru_update(self.rec) == "old":  # z keeps the old state
                    hn = (1 - z) * n + z * h
                else:  # z takes the candidate
                    hn = (1 - z) * h + z * n
                st.update(a=[ar, az, an], r=r, z=z, n=n)
            st["h"] = hn
            # separate nodes: what step t+1 sees (hnext, cnext) and what goes up (hout)
            st["h_next"] = hn.clone()
            st["h_up"] = hn.clone()
            if kind == "lstm":
                st["c_next"] = cn.clone()
            if retain:
                for v in st.values():
                    for u in (v if isinstance(v, list) else [v]):
                        u.retain_grad()
            steps.append(st)
            h = st["h_next"]
            if kind == "lstm":
                c = st["c_next"]
        ups = [st["h_up"] for st in steps]
        out = torch.stack(ups, 1)
        acts = {f"h{self.r}": out, "steps": steps}
        return acts

    def forward(self, hand=False, retain=False):
        xin, acts = self.inputs(hand)
        if retain:
            for v in acts.values():
                if v.requires_grad:
                    v.retain_grad()
        rec = self.recurrent_hand(xin, retain) if hand else self.recurrent_torch(xin)
        out = rec[f"h{self.r}"]
        if retain and not hand:
            out.retain_grad()
        acts.update(rec)
        h = out if self.all else out[:, -1]
        if hand and not self.all:
            h = rec["steps"][-1]["h_up"]
        acts["seen"] = h
        for l in range(self.r + 1, len(self.layers) + 1):
            layer = self.layers[l - 1]
            W, b = self.dense_weight(l), self.params.get(f"b{l}")
            if hand:
                a = h @ W.T + (0 if b is None else b)
            else:
                lin = nn.Linear(W.shape[1], W.shape[0], bias=b is not None).double()
                weights = {"weight": W} if b is None else {"weight": W, "bias": b}
                a = functional_call(lin, weights, (h,))
            h = activate(a, act_of(layer))
            if retain:
                a.retain_grad()
                h.retain_grad()
            acts[f"a{l}"], acts[f"h{l}"] = a, h
        acts["out_a"], acts["out_h"] = (acts[f"a{len(self.layers)}"] if len(self.layers) > self.r
                                        else None), h
        return acts

    def check(self, hand):
        """Reject kinks, saturation and large sigmoid/tanh arguments (hand pass acts)."""
        steps = hand["steps"]
        for st in steps:
            a = torch.cat([u.detach() for u in st["a"]], -1)
            if self.kind == "rnn" and self.rec.get("activation", "tanh") == "relu":
                if a.abs().min() < KINK:
                    raise Rejected("kink in the recurrent pre-activation")
            else:
                if a.abs().max() > MODERATE:
                    raise Rejected("a large sigmoid/tanh argument")
            for g in ("i", "f", "o", "r", "z"):
                if g in st and torch.minimum(st[g], 1 - st[g]).detach().min() < SAT:
                    raise Rejected(f"gate {g} saturates")
            for g in ("g", "n"):
                if g in st and (1 - st[g].detach().abs()).min() < SAT:
                    raise Rejected(f"gate {g} saturates")
            if self.kind == "lstm" and (st["c"].detach().abs().max() > MODERATE):
                raise Rejected("c_t large")
            if self.kind == "rnn" and self.rec.get("activation", "tanh") == "tanh":
                if (1 - st["h"].detach().abs()).min() < SAT:
                    raise Rejected("h saturates")
        if self.kind == "rnn" and self.rec.get("activation") == "relu":
            a = torch.cat([st["a"][0].detach() for st in steps])
            if not (a.min() < 0 < a.max()):
                raise Rejected("relu pre-activations of one sign only")
        for l in range(self.r + 1, len(self.layers) + 1):
            layer, a, h = self.layers[l - 1], hand[f"a{l}"].detach(), hand[f"h{l}"].detach()
            f = layer.get("activation", "identity")
            if f == "relu" and (a.abs().min() < KINK or not (a.min() < 0 < a.max())):
                raise Rejected(f"kink in a{l}")
            if f in ("sigmoid", "softmax") and torch.minimum(h, 1 - h).min() < SAT:
                raise Rejected(f"h{l} saturates")
            if f in ("sigmoid", "tanh") and a.abs().max() > MODERATE:
                raise Rejected(f"a{l} large")

    # --- loss ---------------------------------------------------------------------------
    def penalty(self):
        spec = self.prob.get("l2")
        if spec is None:
            return None
        coef = L2_FORMS[spec.get("form", "lambda/2")](spec["lambda"], self.N)
        total = sum((w * w).sum() for n, p in self.params.items()
                    if n.startswith(("Wx", "Wh", "W")) for w in leaves_of(p))
        return coef * total

    def loss(self, acts):
        """(value, graph, data, penalty): the objective, an equal one through h_L, its parts."""
        aL, hL, y, kind, red = acts["out_a"], acts["out_h"], self.y, self.loss_kind, self.red
        K = hL.shape[-1]
        if kind == "cross_entropy":
            assert self.layers[-1]["activation"] == "softmax"
            rows_a, rows_h = aL.reshape(-1, K), hL.reshape(-1, K)
            Y = F.one_hot(y, K).double() if self.indices else y.reshape(-1, K)
            value = F.cross_entropy(rows_a, y if self.indices else Y, reduction=red)
            per = -(Y * torch.log(rows_h)).sum(-1)
            graph = per.mean() if red == "mean" else per.sum()
        elif kind == "mse":
            value = graph = F.mse_loss(hL, y, reduction=red) / (1 if red == "mean" else K)
        elif kind == "upstream":
            assert red == "sum"
            value = graph = (y * hL).sum()
        else:
            raise ValueError(kind)
        assert torch.allclose(value, graph, rtol=1e-12, atol=1e-15)
        pen = self.penalty()
        if pen is None:
            return value, graph, value, None
        return value + pen, graph + pen, value, pen

    # --- one pass -----------------------------------------------------------------------
    def leaves(self):
        xs = [] if self.embed else [self.x]
        return xs + list(self.states.values()) + [u for p in self.params.values()
                                                  for u in leaves_of(p)]

    def clear(self):
        for p in self.leaves():
            p.grad = None

    def cho(self):
        """No torch module computes this cell: the hand pass only."""
        return hand_only(self.rec)

    def passes(self):
        """The nn-module pass (reported where it has the quantity) and the hand pass,
        cross-checked; leaves' .grad set. Returns (torch acts or None, hand acts, loss)."""
        self.clear()
        hand = self.forward(hand=True, retain=True)
        self.check(hand)
        value, graph, data, pen = self.loss(hand)
        graph.backward()
        grads = [p.grad.clone() for p in self.leaves()]
        reference = torch.autograd.grad(self.loss(self.forward(hand=True))[0], self.leaves())
        for r, g in zip(reference, grads, strict=True):
            assert torch.allclose(r, g, rtol=1e-9, atol=1e-13), "loss routes disagree"
        acts = None
        if not self.cho():
            self.clear()
            acts = self.forward(retain=True)
            tvalue, tgraph, _, _ = self.loss(acts)
            assert torch.allclose(tvalue, value, rtol=1e-12, atol=1e-14), "losses disagree"
            tref = torch.autograd.grad(self.loss(self.forward())[0], self.leaves())
            tgraph.backward()
            for r, g, p in zip(tref, grads, self.leaves(), strict=True):
                assert torch.allclose(r, p.grad, rtol=1e-9, atol=1e-13), "torch routes disagree"
                assert torch.allclose(p.grad, g, rtol=1e-9, atol=1e-13), "hand pass disagrees"
            for k, t in acts.items():
                if k in ("steps", "out_a", "out_h", "seen"):
                    continue
                assert torch.allclose(t, hand[k], rtol=1e-12, atol=1e-14), k
                if t.grad is not None:
                    assert torch.allclose(t.grad, hand_grad(hand, k, self), rtol=1e-9,
                                          atol=1e-13), k
        for p, g in zip(self.leaves(), grads, strict=True):
            p.grad = g
        return acts, hand, (value, data, pen)

    def objective(self):
        with torch.no_grad():
            value, _, data, pen = self.loss(self.forward(hand=True))
        return value, data, pen

    def central_differences(self, eps=1e-6):
        for p in self.leaves():
            flat, grad = p.detach().view(-1), p.grad.reshape(-1)
            for j in range(flat.numel()):
                keep = flat[j].item()
                flat[j] = keep + eps
                up = self.objective()[0].item()
                flat[j] = keep - eps
                down = self.objective()[0].item()
                flat[j] = keep
                numeric = (up - down) / (2 * eps)
                assert abs(numeric - grad[j].item()) <= 1e-6 * max(1.0, abs(numeric)), \
                    ("central differences disagree", numeric, grad[j].item())

    def optimizer(self):
        trainable = [u for n, p in self.params.items() if n not in self.frozen
                     for u in leaves_of(p)]
        if not trainable:
            return None
        spec = dict(self.prob.get("optimizer", {"name": "sgd"}))
        cls = OPTIMIZERS[spec.pop("name")]
        spec.setdefault("lr", 1.0)
        if "betas" in spec:
            spec["betas"] = tuple(spec["betas"])
        return cls(trainable, foreach=False, **spec)

    def state(self, opt):
        out = {}
        for n, p in self.params.items():
            if isinstance(p, dict):
                kept = [v for u in p.values() for v in (opt.state.get(u, {}) if opt else
                                                        {}).values() if v is not None]
                assert not kept, "optimizer state of per-gate parameters: no fixture needs it"
                continue
            entry = {k: int(v.item()) if k == "step" else v.tolist()
                     for k, v in (opt.state.get(p, {}) if opt else {}).items() if v is not None}
            if entry:
                out[n] = entry
        return out

    def parameters(self):
        return {n: tolist(detach(p)) for n, p in self.params.items()}


def gru_update(layer):
    """Which state z keeps (docs/sequences.md's `update`, independent of `form`): "old",
    h' = (1 − z) ⊙ n + z ⊙ h (torch, Cho et al., the default), or "new", h' = (1 − z) ⊙ h
    + z ⊙ n (Chung et al., Colah)."""
    return layer.get("update", "old")


def hand_only(layer):
    return kind_of(layer) == "gru" and (layer.get("form", "torch") == "cho"
                                        or gru_update(layer) != "old")


def hand_grad(hand, k, net):
    """The hand pass's gradient of the torch pass's node k."""
    if k == f"h{net.r}":  # the module's output: what the layers above send back (hout)
        return hout(hand, net)
    return hand[k].grad


def step_grads(steps, key, H, N):
    """(N, T, H) from the per-step nodes' .grad (zeros where none arrived)."""
    out = []
    for st in steps:
        g = st[key].grad
        out.append(torch.zeros(N, H) if g is None else g)
    return torch.stack(out, 1)


def hout(hand, net):
    return step_grads(hand["steps"], "h_up", net.H, net.N)


def expected(prob):
    net = Net(prob)
    acts, hand, (loss, data, pen) = net.passes()
    net.central_differences()
    steps, r, L, H, N = hand["steps"], net.r, len(net.layers), net.H, net.N
    src = acts if acts is not None else hand
    forward = {}
    if net.embed:
        forward["a1"], forward["h1"] = net.shown(src["a1"]), net.shown(src["h1"])
    a_all = torch.stack([torch.cat([u.detach() for u in st["a"]], -1) for st in steps], 1)
    forward[f"a{r}"] = net.shown(net.file_order(a_all))
    gate_names = {"rnn": "", "lstm": "ifgo", "gru": "rzn"}[net.kind]
    for g in gate_names:
        forward[f"{g}{r}"] = net.shown(torch.stack([st[g] for st in steps], 1))
    if net.kind == "lstm":
        forward[f"c{r}"] = net.shown(torch.stack([st["c"] for st in steps], 1))
    forward[f"h{r}"] = net.shown(src[f"h{r}"])
    for l in range(r + 1, L + 1):
        forward[f"a{l}"], forward[f"h{l}"] = net.shown(src[f"a{l}"]), net.shown(src[f"h{l}"])
    grads = {}
    for l in range(L, r, -1):
        for n in (f"h{l}", f"a{l}"):
            grads[n] = net.shown(src[n].grad)
    total = step_grads(steps, "h", H, N)
    up, nxt = hout(hand, net), step_grads(steps, "h_next", H, N)
    assert torch.allclose(total, up + nxt, rtol=1e-12, atol=1e-15)
    assert (nxt[:, -1] == 0).all()
    if not net.all:
        assert (up[:, :-1] == 0).all()
    grads[f"h{r}"], grads[f"hout{r}"], grads[f"hnext{r}"] = (net.shown(total), net.shown(up),
                                                            net.shown(nxt))
    if net.kind == "lstm":
        grads[f"c{r}"] = net.shown(step_grads(steps, "c", H, N))
        cnext = step_grads(steps, "c_next", H, N)
        assert (cnext[:, -1] == 0).all()
        grads[f"cnext{r}"] = net.shown(cnext)
    for g in gate_names:
        grads[f"{g}{r}"] = net.shown(step_grads(steps, g, H, N))
    a_grad = torch.stack([torch.cat([u.grad for u in st["a"]], -1) for st in steps], 1)
    grads[f"a{r}"] = net.shown(net.file_order(a_grad))
    if net.embed:
        for n in ("h1", "a1"):
            grads[n] = net.shown(src[n].grad)
        xin_grad = src["h1"].grad
    else:
        grads["x"] = net.x.grad.tolist()
        xin_grad = net.x.grad if not net.single else net.x.grad[None]
    for s, v in net.states.items():
        grads[s] = v.grad.tolist()
    # ∂L/∂x_t = a_t's gradient times Wx (torch order) — the retained nodes are consistent
    assert torch.allclose(xin_grad, a_grad @ net.stacked("Wx"), rtol=1e-9, atol=1e-13)
    for l in range(L, 0, -1):
        for q in ("W", "E", "Wx", "Wh", "b", "bh"):
            p = net.params.get(f"{q}{l}")
            if p is None:
                continue
            g = {k: u.grad for k, u in p.items()} if isinstance(p, dict) else p.grad
            assert max(u.abs().max() for u in leaves_of(g)) > 1e-9, f"{q}{l} is noise"
            grads[f"{q}{l}"] = tolist(g)
    out = {"forward": forward, "loss": loss.item()}
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
    after, data, pen = net.objective()
    update["loss"] = after.item()
    if pen is not None:
        update["loss_parts"] = {"data": data.item(), "penalty": pen.item()}
    out["update"] = update
    out["steps"] = chained(prob, STEPS)
    assert out["steps"]["losses"][:2] == [out["loss"], update["loss"]]
    return out


def chained(prob, count):
    """`count` optimizer steps in a row, kinks and saturation checked at every one: the
    losses before each step and after the last, the final parameters and state."""
    net = Net(prob)
    opt = net.optimizer()
    losses = []
    for _ in range(count):
        losses.append(net.passes()[2][0].item())
        if opt is not None:
            opt.step()
    net.check(net.forward(hand=True))
    losses.append(net.objective()[0].item())
    out = {"count": count, "losses": losses, "parameters": net.parameters()}
    state = net.state(opt)
    if state:
        out["state"] = state
    return out


def source(prob):
    """One line naming the torch functions that computed the fixture."""
    layers = prob["layers"]
    kinds = [kind_of(layer) for layer in layers]
    rec = next(layer for layer in layers if kind_of(layer) in RECURRENT)
    kind = kind_of(rec)
    parts = [f"torch {torch.__version__.split('+')[0]} float64 autograd"
             + ("" if kinds[0] == "embedding" else " (x a leaf)") + ", h0/c0 leaves per sample"]
    if prob.get("layout") == "in_out":
        parts.append("layout in_out: wx, wh and dense weights transposed to torch's")
    if kinds[0] == "embedding":
        parts.append("nn.Embedding")
    cho = hand_only(rec)
    if cho:
        parts.append(f"GRU form {rec.get('form', 'torch')}, z takes "
                     f"{'the candidate' if gru_update(rec) == 'new' else 'the old state'}: "
                     "hand-written torch ops only (no torch module)")
    else:
        module = {"rnn": f"nn.RNN(nonlinearity={rec.get('activation', 'tanh')!r})",
                  "lstm": "nn.LSTM", "gru": "nn.GRU"}[kind]
        parts.append(f"{module}(batch_first=True) via torch.func.functional_call")
    if isinstance(rec["wx"], dict):
        parts.append("parameters per gate, stacked in torch's order")
    elif rec.get("gates", TORCH_ORDER[kind]) != TORCH_ORDER[kind]:
        parts.append(f"stacked rows in {rec['gates']} order, permuted to torch's")
    if "dense" in kinds:
        parts.append("nn.Linear" + (" on every step" if rec["output"] == "all" else
                                    " on h_T"))
    parts.append({"cross_entropy": "F.cross_entropy on (N·T, K) rows" if rec["output"] == "all"
                  else "F.cross_entropy", "mse": "F.mse_loss",
                  "upstream": "L = (y * h_L).sum()"}[prob["loss"]]
                 + (f", reduction {prob['reduction']}" if "reduction" in prob else ""))
    if "l2" in prob:
        parts.append("L2 penalty on Wx, Wh (every gate) and the dense W added before backward")
    parts.append("gates, c_t, hout/hnext/cnext from the hand-written step-by-step pass"
                 + ("" if cho else ", which agrees with the module's values and gradients"))
    parts.append("leaf gradients checked by central differences")
    name = prob["optimizer"]["name"]
    parts.append(f"torch.optim.{OPTIMIZERS[name].__name__}(foreach=False)")
    parts.append(f"{STEPS} chained steps")
    return "; ".join(parts)


# --- problem construction ---------------------------------------------------------------
def rec(kind, H, output, **keys):
    """keys: activation, gates, named, bias (default True), bias_h, h0 ('shared'|'per'),
    c0, form, frozen."""
    return {"kind": kind, "H": H, "output": output, **keys}


def embedding(V, E, **keys):
    return {"kind": "embedding", "V": V, "E": E, **keys}


def dense(units, activation="identity", bias=True, **keys):
    return {"kind": "dense", "units": units, "activation": activation, "bias": bias, **keys}


def w(rng, *shape, scale=0.5):
    return rnd(rng.normal(0, scale, shape), 2)


def draw_recurrent(rng, spec, D, N, single, in_out):
    spec = dict(spec)
    kind, H = spec.pop("kind"), spec.pop("H")
    G = GATES[kind]
    gates = spec.pop("gates", None)
    order = gates or TORCH_ORDER[kind]
    named = spec.pop("named", False)
    layer = {"kind": kind}
    if kind == "rnn":
        layer["activation"] = spec.pop("activation")
    for key in ("form", "update"):
        if key in spec:
            layer[key] = spec.pop(key)
    if gates is not None:
        layer["gates"] = gates

    def weight(cols):
        # torch's (G·H, cols) drawn in the file's order; then the file's form and layout
        full = w(rng, G * H, cols)
        if kind == "rnn":
            return (full.T if in_out else full).tolist()
        if named:
            blocks = dict(zip(order, np.split(full, G), strict=True))
            return {g: (blocks[g].T if in_out else blocks[g]).tolist()
                    for g in TORCH_ORDER[kind]}
        return (full.T if in_out else full).tolist()

    def vector():
        v = w(rng, G * H)
        if named:
            return {g: b.tolist() for g, b in zip(TORCH_ORDER[kind], np.split(v, G),
                                                  strict=True)}
        return v.tolist()

    layer["wx"], layer["wh"] = weight(D), weight(H)
    if spec.pop("bias", True):
        layer["bias"] = vector()
    if spec.pop("bias_h", False):
        layer["bias_h"] = vector()
    for s in ("h0", "c0"):
        how = spec.pop(s, None)
        if how == "shared":
            layer[s] = w(rng, H, scale=0.6).tolist()
        elif how == "per":
            v = w(rng, N, H, scale=0.6)
            layer[s] = (v[0] if single else v).tolist()
    layer["output"] = spec.pop("output")
    if "frozen" in spec:
        layer["frozen"] = spec.pop("frozen")
    assert not spec, spec
    return layer, H


def draw_problem(rng, title, N, T, D, form, specs, loss, y, optimizer, layout="out_in",
                 reduction=None, l2=None):
    """D: the input width (the vocabulary size V with an embedding first); form batch | one."""
    assert form == "batch" or N == 1
    single, in_out = form == "one", layout == "in_out"
    layers = []
    specs = list(specs)
    if specs[0]["kind"] == "embedding":
        e = dict(specs.pop(0))
        V, width = e["V"], e["E"]
        xv = rng.integers(0, V, (N, T))
        layer = {"kind": "embedding", "table": w(rng, V, width, scale=0.8).tolist()}
        if "frozen" in e:
            layer["frozen"] = e["frozen"]
        layers.append(layer)
    else:
        xv, width = rnd(rng.normal(0, 1, (N, T, D)), 2), D
    layer, width = draw_recurrent(rng, specs.pop(0), width, N, single, in_out)
    layers.append(layer)
    output = layer["output"]
    for spec in specs:
        spec = dict(spec)
        assert spec.pop("kind") == "dense"
        units = spec.pop("units")
        W = w(rng, units, width)
        d = {"weights": (W.T if in_out else W).tolist()}
        if spec.pop("bias"):
            d["bias"] = w(rng, units).tolist()
        d["activation"] = spec.pop("activation")
        d.update(spec)
        layers.append(d)
        width = units
    lead = (N, T) if output == "all" else (N,)
    K = width
    if y == "index":
        v = rng.integers(0, K, lead)
    elif y == "onehot":
        v = np.eye(K, dtype=int)[rng.integers(0, K, lead)]
    elif y in ("real", "upstream"):
        v = rnd(rng.normal(0, 1, (*lead, K)), 2)
    else:
        raise ValueError(y)
    prob = {"title": title}
    if in_out:
        prob["layout"] = "in_out"
    prob.update(x=(xv[0] if single else xv).tolist(), y=(v[0] if single else v).tolist(),
                loss=loss)
    if reduction is not None:
        prob["reduction"] = reduction
    if l2 is not None:
        prob["l2"] = l2
    prob.update(layers=layers, optimizer=optimizer)
    return prob


def generate(seed, title, *args, **kw):
    """Draw until the problem avoids kinks and saturation at every chained step."""
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


# name: (seed, N, T, D (V with an embedding), form, layers, loss, y, optimizer, options)
FIXTURES = {
    # --- rnn ---------------------------------------------------------------------------
    "rnn_tanh_one_sample_upstream_last": (
        501, 1, 3, 2, "one", [rec("rnn", 3, "last", activation="tanh")],
        "upstream", "upstream", sgd(0.1), {}),
    "rnn_tanh_upstream_all_bias_h_shared_h0": (
        502, 2, 4, 3, "batch",
        [rec("rnn", 3, "all", activation="tanh", bias_h=True, h0="shared")],
        "upstream", "upstream", sgd(0.1), {}),
    "rnn_relu_dense_ce_index_last_h0_per_sample_momentum": (
        503, 3, 3, 2, "batch",
        [rec("rnn", 4, "last", activation="relu", h0="per"), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.3, momentum=0.9), {}),
    "rnn_tanh_T1_no_bias_h0_shared_mse": (
        504, 2, 1, 3, "batch", [rec("rnn", 3, "last", activation="tanh", bias=False, h0="shared")],
        "mse", "real", sgd(0.5), {}),
    "rnn_tanh_in_out_ce_onehot_all_sum_adam": (
        505, 2, 3, 2, "batch",
        [rec("rnn", 3, "all", activation="tanh", bias_h=True), dense(3, "softmax")],
        "cross_entropy", "onehot", adam(0.05), {"layout": "in_out", "reduction": "sum"}),
    "rnn_embedding_ce_index_all": (
        506, 2, 4, 5, "batch",
        [embedding(5, 3), rec("rnn", 4, "all", activation="tanh"), dense(5, "softmax")],
        "cross_entropy", "index", sgd(0.5), {}),
    "rnn_relu_l2_frozen_wh_mse_all": (
        507, 2, 3, 2, "batch",
        [rec("rnn", 3, "all", activation="relu", frozen=["wh"]), dense(2)],
        "mse", "real", sgd(0.2), {"l2": {"lambda": 0.1}}),
    "rnn_tanh_bias_h_only_T5_upstream_last": (
        508, 2, 5, 2, "batch",
        [rec("rnn", 2, "last", activation="tanh", bias=False, bias_h=True, h0="per")],
        "upstream", "upstream", sgd(0.1), {}),
    # --- lstm --------------------------------------------------------------------------
    "lstm_one_sample_upstream_last": (
        511, 1, 2, 2, "one", [rec("lstm", 2, "last")], "upstream", "upstream", sgd(0.1), {}),
    "lstm_cs231n_ifog_in_out_upstream_all": (
        512, 2, 3, 3, "batch", [rec("lstm", 3, "all", gates="ifog", h0="per")],
        "upstream", "upstream", sgd(0.1), {"layout": "in_out"}),
    "lstm_named_gates_bias_h_h0_c0_shared_ce_index_last": (
        513, 3, 3, 2, "batch",
        [rec("lstm", 3, "last", named=True, bias_h=True, h0="shared", c0="shared"),
         dense(3, "softmax")], "cross_entropy", "index", sgd(0.5), {}),
    "lstm_embedding_mse_all_adam": (
        514, 2, 3, 4, "batch",
        [embedding(4, 2), rec("lstm", 3, "all", gates="ifgo"), dense(2)],
        "mse", "real", adam(0.05), {}),
    "lstm_T5_frozen_bias_ce_onehot_last_momentum": (
        515, 2, 5, 2, "batch",
        [rec("lstm", 2, "last", frozen=["bias"]), dense(2, "softmax")],
        "cross_entropy", "onehot", sgd(0.3, momentum=0.5), {}),
    "lstm_l2_reduction_sum_ce_index_all": (
        516, 2, 2, 2, "batch", [rec("lstm", 2, "all"), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.2), {"reduction": "sum",
                                             "l2": {"lambda": 0.05, "form": "lambda"}}),
    "lstm_T1_no_bias_c0_per_sample_mse": (
        517, 2, 1, 3, "batch", [rec("lstm", 3, "last", bias=False, h0="per", c0="per")],
        "mse", "real", sgd(0.5), {}),
    # --- gru, torch's form -------------------------------------------------------------
    "gru_torch_one_sample_bias_h_upstream_last": (
        521, 1, 3, 2, "one", [rec("gru", 3, "last", form="torch", bias_h=True)],
        "upstream", "upstream", sgd(0.1), {}),
    "gru_torch_upstream_all_h0_per_sample": (
        522, 2, 4, 2, "batch", [rec("gru", 3, "all", h0="per")], "upstream", "upstream",
        sgd(0.1), {}),
    "gru_torch_named_gates_ce_index_last": (
        523, 3, 3, 3, "batch",
        [rec("gru", 3, "last", named=True, bias_h=True), dense(3, "softmax")],
        "cross_entropy", "index", sgd(0.5), {}),
    "gru_torch_zrn_in_out_mse_all": (
        524, 2, 3, 2, "batch",
        [rec("gru", 2, "all", gates="zrn", bias_h=True, h0="shared"), dense(2)],
        "mse", "real", sgd(0.3), {"layout": "in_out"}),
    "gru_torch_embedding_frozen_table_T5_ce_onehot_last_momentum": (
        525, 2, 5, 4, "batch",
        [embedding(4, 2, frozen=["table"]), rec("gru", 3, "last", bias_h=True),
         dense(3, "softmax")], "cross_entropy", "onehot", sgd(0.3, momentum=0.9), {}),
    # --- gru, Cho et al.'s form --------------------------------------------------------
    "gru_cho_one_sample_bias_h_upstream_last": (
        531, 1, 3, 2, "one", [rec("gru", 3, "last", form="cho", update="new", bias_h=True)],
        "upstream", "upstream", sgd(0.1), {}),
    "gru_cho_upstream_all_h0_shared": (
        532, 2, 4, 3, "batch", [rec("gru", 3, "all", form="cho", h0="shared")],
        "upstream", "upstream", sgd(0.1), {}),
    "gru_torch_update_new_upstream_last": (
        535, 2, 3, 2, "batch", [rec("gru", 3, "last", update="new", bias_h=True)],
        "upstream", "upstream", sgd(0.1), {}),
    "gru_cho_embedding_one_sample_ce_index_all_adam": (
        533, 1, 4, 4, "one",
        [embedding(4, 3), rec("gru", 3, "all", form="cho", update="new", bias_h=True),
         dense(4, "softmax")],
        "cross_entropy", "index", adam(0.05, betas=[0.8, 0.99]), {}),
    "gru_cho_named_gates_l2_T5_mse_last_sum": (
        534, 2, 5, 2, "batch",
        [rec("gru", 2, "last", form="cho", named=True, bias_h=True, h0="per"), dense(2)],
        "mse", "real", sgd(0.2), {"reduction": "sum", "l2": {"lambda": 0.1}}),
}


def main():
    for old in HERE.glob("*.json"):
        old.unlink()
    for name, (seed, N, T, D, form, specs, loss, y, optimizer, kw) in FIXTURES.items():
        prob, exp = generate(seed, name.replace("_", " "), N, T, D, form, specs, loss, y,
                             optimizer, **kw)
        write(HERE / f"{name}.json", {"problem": prob, "expected": exp, "source": source(prob)})
    print(f"wrote {len(FIXTURES)} seq fixtures")


if __name__ == "__main__":
    main()
