"""The PyTorch bridge against real torch: for every activation, loss, reduction and
optimizer of the golden files, a torch model built as PyTorch users build it gives the
golden numbers through from_torch; to_torch(from_torch(m)) reproduces m's gradients and
step; compare finds every quantity exact or close; unsupported modules are named.

torch is not a dependency: CI installs it (.ci/run), and there (CI set) a missing torch
fails these tests instead of skipping them."""

import copy
import json
import math
import subprocess
import sys

import numpy as np
import pytest
from helpers import CLASSIC, GOLDEN, ROOT, torch_or_skip

import backprop_cli as bp
from backprop_cli.api.comparison import verdict
from backprop_cli.errors import ProblemError, UsageError

torch, nn = torch_or_skip()

ENGINE = sorted((GOLDEN / "engine").glob("*.json"))
OPTIM = sorted((GOLDEN / "optim").glob("*.json"))
ALL = ENGINE + OPTIM
OPTIMIZERS = {"sgd": torch.optim.SGD, "adagrad": torch.optim.Adagrad,
              "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
              "adamw": torch.optim.AdamW}
RTOL = 1e-10


def ids(path):
    return f"{path.parent.name}/{path.stem}"


def close(actual, expected, what, rtol=RTOL):
    """|a - e| <= rtol * max(|e|, 1e-6 of the quantity's scale), entry by entry."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    scale = max(np.abs(e).max(initial=0.0), 1e-300)
    assert (np.abs(a - e) <= rtol * np.maximum(np.abs(e), 1e-6 * scale)).all(), what


def activation(layer):
    name = layer["activation"]
    return {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU, "softplus": nn.Softplus,
            "identity": nn.Identity,
            "softmax": lambda: nn.Softmax(dim=-1),
            "leaky_relu": lambda: nn.LeakyReLU(layer.get("slope", 0.01)),
            "elu": lambda: nn.ELU(layer.get("alpha", 1.0))}[name]()


class Torch:
    """A golden problem as a PyTorch user writes it: nn.Sequential, an nn loss, torch.optim.
    logits: bce through nn.BCEWithLogitsLoss (the model ends in its Linear); exclude: frozen
    parameters left out of the optimizer (as make_golden.py does) instead of requires_grad
    False."""

    def __init__(self, prob, logits=False, exclude=False, dtype=torch.float64):
        self.prob, self.in_out = prob, prob.get("layout") == "in_out"
        layers, loss = prob["layers"], prob["loss"]
        modules, self.params, frozen = [], {}, set()
        for l, layer in enumerate(layers, 1):
            W = torch.tensor(layer["weights"], dtype=dtype)
            W = W.T if self.in_out else W
            linear = nn.Linear(W.shape[1], W.shape[0], bias="bias" in layer, dtype=dtype)
            with torch.no_grad():
                linear.weight.copy_(W)
                if "bias" in layer:
                    linear.bias.copy_(torch.tensor(layer["bias"], dtype=dtype))
                    self.params[f"b{l}"] = linear.bias
            self.params[f"W{l}"] = linear.weight
            frozen |= {("W" if f == "weights" else "b") + str(l) for f in layer.get("frozen", [])}
            modules.append(linear)
            last = l == len(layers)
            if not (last and (loss == "cross_entropy" or (loss == "bce" and logits))):
                modules.append(activation(layer))
        self.model = nn.Sequential(*modules)
        if not exclude:
            for name in frozen:
                self.params[name].requires_grad_(False)
        self.x = torch.tensor(prob["x"], dtype=dtype)
        indices = np.ndim(prob["y"]) < np.ndim(prob["x"])
        self.y = torch.tensor(prob["y"], dtype=torch.int64 if indices else dtype)
        self.loss_fn = self._loss(loss, prob.get("reduction", "mean"), logits)
        spec = dict(prob.get("optimizer", {"name": "sgd"}))
        cls = OPTIMIZERS[spec.pop("name")]
        spec.setdefault("lr", 1.0)
        if "betas" in spec:
            spec["betas"] = tuple(spec["betas"])
        trainable = [p for n, p in self.params.items() if n not in frozen]
        self.optimizer = cls(trainable, foreach=False, **spec)

    def _loss(self, loss, reduction, logits):
        outputs = self.model[-1].out_features if isinstance(self.model[-1], nn.Linear) \
            else self.model[-2].out_features
        if loss == "cross_entropy":
            return nn.CrossEntropyLoss(reduction=reduction)
        if loss == "sse_half" or (reduction == "sum" and outputs > 1):
            return bp.torch_loss(loss, reduction)
        if loss == "mse":
            return nn.MSELoss(reduction=reduction)
        return (nn.BCEWithLogitsLoss if logits else nn.BCELoss)(reduction=reduction)

    def args(self):
        return self.model, self.x, self.y, self.loss_fn, self.optimizer

    def problem(self):
        return bp.from_torch(*self.args())

    def train(self, steps):
        for _ in range(steps):
            self.optimizer.zero_grad()
            self.loss_fn(self.model(self.x), self.y).backward()
            self.optimizer.step()

    def weight(self, name, value):
        """A golden weight-shaped value in torch's (out_in) layout."""
        value = np.asarray(value, dtype=float)
        return value.T if self.in_out and name.startswith("W") else value


def variants(files):
    """Each golden problem as torch builds it; bce ones also with BCEWithLogitsLoss where
    torch has the reduction, problems with frozen parameters also with them excluded."""
    out = []
    for path in files:
        prob = json.loads(path.read_text())["problem"]
        out.append(pytest.param(path, False, False, id=ids(path)))
        outputs = len(prob["layers"][-1]["weights"][0 if prob.get("layout") == "in_out"
                                                      else slice(None)])
        if prob["loss"] == "bce" and (prob.get("reduction", "mean") == "mean" or outputs == 1):
            out.append(pytest.param(path, True, False, id=ids(path) + "-logits"))
        if any("frozen" in layer for layer in prob["layers"]):
            out.append(pytest.param(path, False, True, id=ids(path) + "-excluded"))
    return out


def test_the_golden_files_cover_every_activation_loss_reduction_and_optimizer():
    problems = [json.loads(p.read_text())["problem"] for p in ALL]
    from backprop_cli.engine.functions import ACTIVATIONS, LOSSES, REDUCTIONS
    from backprop_cli.engine.optimizers import DEFAULTS

    assert {la["activation"] for p in problems for la in p["layers"]} == set(ACTIVATIONS)
    # upstream (y is ∂L/∂ŷ) is no torch loss: the bridge does not take it
    assert {(p["loss"], p.get("reduction", "mean")) for p in problems} == \
        {(loss, r) for loss in LOSSES for r in REDUCTIONS if loss != "upstream"}
    assert {p.get("optimizer", {}).get("name", "sgd") for p in problems} == set(DEFAULTS)


# --------------------------------------------------------------- from_torch: golden numbers


@pytest.mark.parametrize("path, logits, exclude", variants(ENGINE))
def test_from_torch_gives_the_golden_solution(path, logits, exclude):
    case = json.loads(path.read_text())
    t = Torch(case["problem"], logits, exclude)
    s = bp.solve(t.problem())
    expected = case["expected"]
    for name, value in expected["forward"].items():
        close(s.forward.a[int(name[1:])] if name[0] == "a" else s.forward.h[int(name[1:])],
              value, name)
    close(s.loss, expected["loss"], "loss")
    assert list(s.gradients) == list(expected["gradients"])
    for name, value in expected["gradients"].items():
        close(s.gradients[name], t.weight(name, value), f"gradients.{name}")
    for name, value in expected["update"]["parameters"].items():
        close(s.update.parameters[name], t.weight(name, value), f"update {name}")
    close(s.update.loss, expected["update"]["loss"], "update.loss")


@pytest.mark.parametrize("path, logits, exclude", variants(OPTIM))
def test_from_torch_gives_the_golden_trajectory(path, logits, exclude):
    case = json.loads(path.read_text())
    steps, expected = case["steps"], case["expected"]
    t = Torch(case["problem"], logits, exclude)
    _, report = bp.step(t.problem(), steps)
    close(report.losses, expected["losses"], "losses")
    for name, value in expected["parameters"][-1].items():
        close(report.parameters[name], t.weight(name, value), name)
    assert set(report.state) == set(expected["state"])
    for pname, entry in expected["state"].items():
        assert list(report.state[pname]) == list(entry)
        for key, value in entry.items():
            close(report.state[pname][key], t.weight(pname, value), f"state {pname}.{key}")


@pytest.mark.parametrize("path, logits, exclude", variants(OPTIM))
def test_from_torch_reads_the_optimizers_state_midway(path, logits, exclude):
    """Train in torch for half the steps, then read: backprop continues to the golden end."""
    case = json.loads(path.read_text())
    steps, expected = case["steps"], case["expected"]
    t = Torch(case["problem"], logits, exclude)
    done = steps // 2
    t.train(done)
    p = t.problem()
    _, report = bp.step(p, steps - done)
    close(report.losses, expected["losses"][done:], "losses")
    for name, value in expected["parameters"][-1].items():
        close(report.parameters[name], t.weight(name, value), name)
    assert set(report.state) == set(expected["state"])
    for pname, entry in expected["state"].items():
        for key, value in entry.items():
            close(report.state[pname][key], t.weight(pname, value), f"state {pname}.{key}")


# --------------------------------------------------------------- to_torch: the round trip


def _gradients(model, x, y, loss_fn):
    for p in model.parameters():
        p.grad = None
    loss_fn(model(x), y).backward()
    linears = [m for m in model if isinstance(m, nn.Linear)]
    grads = {}
    for l, linear in enumerate(linears, 1):
        for name, p in ((f"W{l}", linear.weight), (f"b{l}", linear.bias)):
            if p is not None and p.grad is not None:
                grads[name] = p.grad.numpy().copy()
    return grads


def _parameters(model):
    return [p.detach().numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("path, logits, exclude", variants(ALL))
def test_to_torch_of_from_torch_reproduces_the_gradients_and_the_step(path, logits, exclude):
    t = Torch(json.loads(path.read_text())["problem"], logits, exclude)
    p = t.problem()
    back = bp.to_torch(p)
    mine = _gradients(t.model, t.x, t.y, t.loss_fn)
    theirs = _gradients(back.model, back.x, back.y, back.loss_fn)
    assert set(theirs) == set(p.model.trainable_names())  # frozen: requires_grad=False
    for name, value in theirs.items():
        np.testing.assert_allclose(value, mine[name], rtol=1e-12, atol=1e-12, err_msg=name)
    t.optimizer.step()
    back.optimizer.step()
    for a, b in zip(_parameters(back.model), _parameters(t.model)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def same_problem(a, b):
    """Every number and setting equal, bit for bit (layouts and written defaults aside)."""
    assert a.model == b.model and a.batched == b.batched
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert list(a.params) == list(b.params)
    for name in a.params:
        np.testing.assert_array_equal(a.params[name], b.params[name])
    assert (a.optimizer, a.hyper) == (b.optimizer, b.hyper)
    assert {n: set(e) for n, e in a.state.items()} == {n: set(e) for n, e in b.state.items()}
    for name, entry in a.state.items():
        for key, value in entry.items():
            np.testing.assert_array_equal(value, b.state[name][key])


@pytest.mark.parametrize("path", ALL, ids=ids)
def test_from_torch_of_to_torch_is_the_problem_again(path):
    p = bp.load(json.loads(path.read_text())["problem"])
    same_problem(bp.from_torch(*bp.to_torch(p)), p)
    trained, _ = bp.step(p, 3)  # with state: torch continues where backprop stopped
    same_problem(bp.from_torch(*bp.to_torch(trained)), trained)
    if p.layout == "out_in":
        again = bp.from_torch(*bp.to_torch(p), title=p.title)
        assert bp.solve(again).to_dict() == bp.solve(p).to_dict()


def test_to_torch_gives_what_a_torch_user_writes():
    t = bp.to_torch(bp.example("classic"))
    assert [type(m).__name__ for m in t.model] == ["Linear", "Sigmoid", "Linear", "Sigmoid",
                                                    "Linear"]  # logits: CE's softmax
    assert isinstance(t.loss_fn, nn.CrossEntropyLoss)
    assert isinstance(t.optimizer, torch.optim.SGD) and t.optimizer.param_groups[0]["lr"] == 1.0
    assert t.x.dtype == torch.float64 and t.x.shape == (3,)
    index = bp.to_torch(bp.load(CLASSIC.read_text().replace("y: [0, 0, 1]", "y: 2")))
    assert index.y.dtype == torch.int64 and index.y.item() == 2
    frozen = bp.to_torch(bp.example("frozen_bias"))
    assert any(not p.requires_grad for p in frozen.model.parameters())
    batch = bp.to_torch(bp.example("batch_classes"))
    assert batch.x.ndim == 2


@pytest.mark.parametrize("loss, reduction, outputs, kind", [
    ("cross_entropy", "sum", 3, "CrossEntropyLoss"),
    ("mse", "mean", 3, "MSELoss"),
    ("mse", "sum", 1, "MSELoss"),
    ("mse", "sum", 2, "BackpropLoss"),
    ("bce", "mean", 2, "BCELoss"),
    ("bce", "sum", 1, "BCELoss"),
    ("bce", "sum", 3, "BackpropLoss"),
    ("sse_half", "mean", 1, "BackpropLoss"),
])
def test_to_torch_uses_torchs_own_loss_where_one_is_equal(loss, reduction, outputs, kind):
    from backprop_cli.api.pytorch.losses import loss_module

    module = loss_module(loss, reduction, outputs)
    assert type(module).__name__ == kind and module.reduction == reduction


def test_torch_loss_names_bad_arguments():
    with pytest.raises(UsageError, match=r"expected one of .* \(did you mean mse\?\)"):
        bp.torch_loss("MSE")
    with pytest.raises(UsageError, match="expected mean or sum"):
        bp.torch_loss("mse", "none")
    cls = type(bp.torch_loss("sse_half"))
    with pytest.raises(UsageError, match="expected a name of mse, sse_half, bce"):
        cls("huber")
    assert repr(bp.torch_loss("sse_half", "sum")) == "BackpropLoss(name='sse_half', " \
                                                    "reduction='sum')"


def test_to_torch_of_an_all_frozen_problem_has_no_optimizer():
    text = ("x: [1.0, 2.0]\ny: [0.5]\nloss: mse\nlayers:\n  - {weights: [[0.1, 0.2]], "
            "activation: identity, frozen: weights}\n")
    assert bp.to_torch(text).optimizer is None


# --------------------------------------------------------------- compare


@pytest.mark.parametrize("path, logits, exclude", variants(ALL))
def test_compare_finds_every_quantity_exact_or_close(path, logits, exclude):
    t = Torch(json.loads(path.read_text())["problem"], logits, exclude)
    before = _parameters(t.model)
    state = copy.deepcopy(t.optimizer.state_dict())
    check = bp.compare(*t.args())
    assert check and check.ok, str(check)
    L = len(t.prob["layers"])
    paths = [row.path for row in check.rows]
    assert paths[:2 * L + 1] == [f"forward.{k}{l}" for l in range(1, L + 1) for k in "ah"] \
        + ["loss"]
    assert "update.loss" in paths and paths[-1] == "update.loss"
    assert {f"update.parameters.{n}" for n in check.solution.problem.params} <= set(paths)
    assert all(row.verdict in ("exact", "close") for row in check.rows)
    assert bp.compare(*t.args(), rtol=1e-10, atol=1e-14).ok  # float64 agrees far closer
    # the caller's model and optimizer are untouched
    for a, b in zip(_parameters(t.model), before):
        np.testing.assert_array_equal(a, b)
    assert all(p.grad is None for p in t.model.parameters())
    assert repr(t.optimizer.state_dict()) == repr(state)


def test_compare_without_an_optimizer_compares_the_passes_only():
    t = Torch(json.loads((GOLDEN / "engine" / "classic.json").read_text())["problem"])
    check = bp.compare(t.model, t.x, t.y, t.loss_fn)
    assert check.ok and not any(r.path.startswith("update") for r in check.rows)
    # a, h; L; ∂L/∂h, ∂L/∂a; ∂L/∂x; W, b
    assert len(check.rows) == 3 * 2 + 1 + 3 * 2 - 1 + 1 + 3 * 2
    assert "gradients.x" in [r.path for r in check.rows]


def test_compare_in_float32_is_close_within_the_dtypes_error_bound():
    t = Torch(json.loads((GOLDEN / "engine" / "classic.json").read_text())["problem"],
              dtype=torch.float32)
    check = bp.compare(*t.args())
    assert check.ok and check.dtype == "float32" and (check.rtol, check.atol) == (None, None)
    assert check.counts()["close"] > 0 and all(row.ratio <= 1 for row in check.rows)
    text = str(check)
    assert "PyTorch (float32) against backprop (float64)" in text
    assert "≤ the error bound of a correct float32 run, entry by entry" in text
    assert "of bound" in text
    strict = bp.compare(*t.args(), rtol=0.0, atol=0.0)  # given tolerances replace the bound
    assert not strict and strict.counts()["different"] == check.counts()["close"]
    assert (strict.rtol, strict.atol) == (0.0, 0.0) and "different" in strict._repr_html_()


def test_compare_lists_and_arrays_as_inputs():
    t = Torch(json.loads((GOLDEN / "engine" / "ce_index_batch.json").read_text())["problem"])
    check = bp.compare(t.model, t.x.numpy(), t.y.tolist(), t.loss_fn, t.optimizer)
    assert check.ok


# --------------------------------------------------------------- compare below float64


def tutorial(dtype):
    """PyTorch's polynomial-regression tutorial: y = sin(x) fitted by a + b x + c x² + d x³
    on 2,000 points, nn.Linear(3, 1), MSELoss(reduction='sum'), SGD lr 1e-6 (without its
    nn.Flatten: y is (2000, 1))."""
    torch.manual_seed(0)
    x = torch.linspace(-math.pi, math.pi, 2000)
    xx = x.unsqueeze(-1).pow(torch.tensor([1, 2, 3])).to(dtype)
    model = nn.Sequential(nn.Linear(3, 1)).to(dtype)
    return (model, xx, torch.sin(x).unsqueeze(-1).to(dtype), nn.MSELoss(reduction="sum"),
            torch.optim.SGD(model.parameters(), lr=1e-6))


ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "elu": nn.ELU,
               "softplus": nn.Softplus, "leaky_relu": lambda: nn.LeakyReLU(0.1)}


def network(sizes, act, loss, n, optimizer, dtype, seed=0):
    """A random network as torch initialises it, trained one step (so the optimizer has
    state), with n random samples: loss ce (class indices), mse, bce (after nn.Sigmoid)
    or bce_logits."""
    torch.manual_seed(seed)
    modules = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        modules += [nn.Linear(a, b)] + ([ACTIVATIONS[act]()] if i < len(sizes) - 2 else [])
    x, K = torch.randn(n, sizes[0]), sizes[-1]
    if loss == "ce":
        y, loss_fn = torch.randint(0, K, (n,)), nn.CrossEntropyLoss()
    elif loss == "mse":
        y, loss_fn = torch.randn(n, K).to(dtype), nn.MSELoss()
    elif loss == "bce":
        modules.append(nn.Sigmoid())
        y, loss_fn = torch.randint(0, 2, (n, K)).to(dtype), nn.BCELoss()
    else:
        y, loss_fn = torch.rand(n, K).to(dtype), nn.BCEWithLogitsLoss()
    model = nn.Sequential(*modules).to(dtype)
    opt = optimizer(model.parameters())
    loss_fn(model(x.to(dtype)), y).backward()
    opt.step()
    opt.zero_grad()
    return model, x.to(dtype), y, loss_fn, opt


def adam(p):
    return torch.optim.Adam(p, lr=1e-3)


def momentum(p):
    return torch.optim.SGD(p, lr=0.1, momentum=0.9)


NETWORKS = {
    "one-sample": ([3, 4, 3], "sigmoid", "ce", 1, momentum),
    "tanh-mse-adam": ([5, 16, 16, 4], "tanh", "mse", 64, adam),
    "deep-relu": ([8, 32, 32, 32, 32, 32, 3], "relu", "ce", 128, adam),
    "elu-bce-rmsprop": ([10, 20, 1], "elu", "bce", 500,
                        lambda p: torch.optim.RMSprop(p, lr=1e-2)),
    "softplus-logits-2000": ([4, 64, 64, 2], "softplus", "bce_logits", 2000,
                             lambda p: torch.optim.Adagrad(p, lr=1e-2)),
    "deep-leaky": ([6] + [12] * 8 + [5], "leaky_relu", "mse", 256, momentum),
    "wide-2000": ([64, 128, 10], "relu", "ce", 2000, momentum),
}
LOW = [torch.float32, torch.bfloat16]


def one_weight_off(monkeypatch, delta):
    """backprop reads the model with its first weight off by delta (in float64): the two
    sides compute different networks."""
    module = sys.modules["backprop_cli.api.comparison"]
    read = module.from_torch

    def off(model, x, y, loss_fn, optimizer=None, **kw):
        model, optimizer = copy.deepcopy((model, optimizer))
        model.double()
        with torch.no_grad():
            next(m for m in model.modules() if isinstance(m, nn.Linear)).weight[0, 0] += delta
        return read(model, x, y, loss_fn, optimizer, **kw)

    monkeypatch.setattr(module, "from_torch", off)


@pytest.mark.parametrize("dtype", LOW, ids=str)
def test_the_tutorial_in_float32_and_bfloat16_compares_true(dtype):
    check = bp.compare(*tutorial(dtype))
    assert check, str(check)
    assert check.counts()["close"] == len(check.rows) == 11  # ∂L/∂x among them
    assert max(row.ratio for row in check.rows) <= 1


@pytest.mark.parametrize("dtype", LOW, ids=str)
@pytest.mark.parametrize("name", NETWORKS)
def test_correct_low_precision_networks_compare_true(name, dtype):
    check = bp.compare(*network(*NETWORKS[name], dtype))
    assert check, str(check)
    assert max(row.ratio for row in check.rows) <= 1


@pytest.mark.parametrize("dtype", LOW, ids=str)
@pytest.mark.parametrize("path, logits, exclude", variants(ALL))
def test_the_golden_problems_in_float32_and_bfloat16_compare_true(path, logits, exclude,
                                                                   dtype):
    t = Torch(json.loads(path.read_text())["problem"], logits, exclude, dtype=dtype)
    check = bp.compare(*t.args())
    assert check, str(check)


@pytest.mark.parametrize("name", ["tutorial", *NETWORKS])
def test_a_float32_network_with_one_weight_off_by_1e_3_compares_false(name, monkeypatch):
    args = tutorial(torch.float32) if name == "tutorial" else network(*NETWORKS[name],
                                                                       torch.float32)
    one_weight_off(monkeypatch, 1e-3)
    check = bp.compare(*args)
    assert not check and max(row.ratio for row in check.rows) > 100, str(check)


@pytest.mark.parametrize("name", ["tutorial", *NETWORKS])
def test_a_bfloat16_network_with_one_weight_off_by_1e_2_compares_false(name, monkeypatch):
    """bfloat16 keeps 8 significant bits: a weight of 0.3 is stored to ±0.001, so 1e-3
    is below what it can tell apart; 1e-2 is not."""
    args = tutorial(torch.bfloat16) if name == "tutorial" else network(*NETWORKS[name],
                                                                        torch.bfloat16)
    one_weight_off(monkeypatch, 1e-2)
    assert not bp.compare(*args)


@pytest.mark.parametrize("optimizer", [momentum, lambda p: torch.optim.Adagrad(p, lr=0.1)])
def test_a_bfloat16_output_rounded_to_1_gives_no_bce_gradient_bound(optimizer):
    """h = σ(12) = 0.999994 is 1 in bfloat16, where torch's (h − y)/max(h(1 − h), 1e-12)
    jumps (to 0 for y = 1; the exact ∂L/∂h is −1): the dtype cannot tell that gradient, nor
    the step it drives, and the model compares true."""
    model = nn.Sequential(nn.Linear(1, 1), nn.Sigmoid()).to(torch.bfloat16)
    with torch.no_grad():
        model[0].weight.fill_(12.0)
        model[0].bias.fill_(0.0)
    x, y = torch.ones(1, 1, dtype=torch.bfloat16), torch.ones(1, 1, dtype=torch.bfloat16)
    check = bp.compare(model, x, y, nn.BCELoss(), optimizer(model.parameters()))
    assert check, str(check)
    row = next(r for r in check.rows if r.path == "gradients.h1")
    assert row.max_rel == 1.0 and row.verdict == "close"  # torch's 0 against −1


def test_a_probability_below_float32s_range_is_within_the_bound():
    """softmax(100, −100) has e^−200 ≈ 1e-87, which float32 rounds to 0 (underflow)."""
    model = nn.Sequential(nn.Linear(1, 2))
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[100.0], [-100.0]]))
        model[0].bias.zero_()
    check = bp.compare(model, torch.ones(1, 1), torch.tensor([0]), CE, sgd(model))
    assert check, str(check)
    assert next(r for r in check.rows if r.path == "forward.h1").max_abs > 0


@pytest.mark.parametrize("name", ["sgd", "adagrad", "rmsprop", "adam"])
def test_a_gradient_without_a_bound_leaves_the_step_without_one(name):
    """Adagrad's g/√(Σg²) is nan at g = ±inf: that is no bound, not a bound from the
    finite points alone."""
    from backprop_cli.api.pytorch import bounds

    model = nn.Sequential(lin())
    opt = OPTIMIZERS[name](model.parameters(), lr=0.1)
    problem = bp.from_torch(model, X, Y, MSE, opt)
    grads = bp.solve(problem).gradients
    grads = {n: np.asarray(grads[n]) for n in problem.params}
    unbounded = {n: np.full_like(g, np.inf) for n, g in grads.items()}
    new, Ep, Es = bounds.update(problem, grads, unbounded, bounds.Precision(2.0 ** -8))
    assert all(np.isinf(e).all() or np.isnan(e).all() for e in Ep.values()), Ep
    finite = {n: np.zeros_like(g) for n, g in grads.items()}
    new, Ep, Es = bounds.update(problem, grads, finite, bounds.Precision(2.0 ** -8))
    assert all(np.isfinite(e).all() for e in Ep.values())


def test_float64_keeps_torch_testings_tolerances(monkeypatch):
    t = Torch(json.loads((GOLDEN / "engine" / "classic.json").read_text())["problem"])
    check = bp.compare(*t.args())
    assert (check.rtol, check.atol) == (1e-7, 1e-7) and "of bound" not in str(check)
    assert max(row.ratio for row in check.rows) < 1e-6  # it agrees far closer than that
    one_weight_off(monkeypatch, 1e-3)
    assert not bp.compare(*t.args())


@pytest.mark.parametrize("torch_value, exact, allowed, expected", [
    ([1.0, 2.0], [1.0, 2.0], 1e-7, ("exact", 0.0, 0.0, 0.0)),
    ([1.0, 2.0 + 2e-16 * 2], [1.0, 2.0], 1e-7,
     ("close", 4.440892098500626e-16, 2.220446049250313e-16, 4.440892098500626e-09)),
    ([1.0, 3.0], [1.0, 2.0], 1e-7, ("different", 1.0, 0.5, 1e7)),
    ([1e-9], [0.0], 1e-7, ("close", 1e-9, float("inf"), 0.01)),
    ([1.0], [1.0, 1.0], 1e-7, ("different", float("inf"), float("inf"), float("inf"))),
    ([float("inf")], [float("inf")], 1e-7, ("exact", 0.0, 0.0, 0.0)),
    ([float("nan")], [1.0], 1e-7, ("different", float("nan"), float("nan"), float("inf"))),
    ([1.5, 2.5], [1.0, 2.0], [0.25, 1.0], ("different", 0.5, 0.5, 2.0)),  # one per entry
    ([[1.5], [2.5]], [1.0, 2.0], [[1.0], [1.0]], ("close", 0.5, 0.5, 0.5)),
    ([1.0], [2.0], float("inf"), ("close", 1.0, 0.5, 0.0)),  # a bound the dtype cannot give
    ([1e12], [float("inf")], float("inf"), ("close", float("inf"), float("nan"), 1.0)),
    ([float("nan")], [1.0], float("inf"), ("different", float("nan"), float("nan"),
                                           float("inf"))),
])
def test_the_verdicts(torch_value, exact, allowed, expected):
    found = verdict(torch_value, exact, allowed)
    assert found[0] == expected[0]
    np.testing.assert_allclose(found[1:], expected[1:])


# --------------------------------------------------------------- what has no equivalent


class Custom(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(3, 3, dtype=torch.float64)

    def forward(self, x):
        return self.linear(x)


class OwnForward(nn.Sequential):
    def forward(self, x):
        return super().forward(x) * 2


def lin(i=3, o=3):
    return nn.Linear(i, o, dtype=torch.float64)


X, Y, INDEX = torch.ones(2, 3, dtype=torch.float64), torch.full((2, 3), 0.5,
                                                                 dtype=torch.float64), \
    torch.tensor([0, 2])
CE, MSE = nn.CrossEntropyLoss(), nn.MSELoss()


def sgd(model):
    return torch.optim.SGD(model.parameters(), lr=0.1)


def tied_parameter():
    first, second = lin(), lin()
    second.weight = first.weight  # one Parameter in two modules
    return nn.Sequential(first, nn.Tanh(), second), X, Y, MSE, None


def views_of_one_buffer(overlap):
    """Two layers' weights as views of one flat tensor (as some wrappers keep them)."""
    first, second = lin(), lin()
    flat = torch.zeros(18 - 9 * overlap, dtype=torch.float64)
    first.weight = nn.Parameter(flat[:9].view(3, 3))
    second.weight = nn.Parameter(flat[9 - 9 * overlap:].view(3, 3))
    return nn.Sequential(first, nn.Tanh(), second), X, Y, MSE, None


def conv_net():
    """A 1-D convolution (test_torch_bridge_maps.py: the 2-D ones backprop has)."""
    model = nn.Sequential(nn.Conv1d(1, 4, 3, dtype=torch.float64), nn.ReLU(), nn.Flatten(),
                          lin(24, 3))
    return model, torch.ones(2, 1, 8, dtype=torch.float64), Y, MSE, None


UNSUPPORTED = [
    ("model: found Custom, expected an nn.Sequential of nn.Linear",
     lambda: (Custom(), X, Y, MSE, None)),
    ("model: found OwnForward, expected an nn.Sequential",
     lambda: (OwnForward(lin()), X, Y, MSE, None)),
    ("model[1]: found nn.GELU(approximate='none'), which backprop has no equivalent for",
     lambda: (nn.Sequential(lin(), nn.GELU()), X, Y, MSE, None)),
    ("model[1]: found nn.AlphaDropout(p=0.5, inplace=False), which backprop has no "
     "equivalent", lambda: (nn.Sequential(lin(), nn.AlphaDropout()), X, Y, MSE, None)),
    ("model[1][0]: found nn.BatchNorm2d",
     lambda: (nn.Sequential(lin(), nn.Sequential(nn.BatchNorm2d(3))), X, Y, MSE, None)),
    ("model[1]: found nn.Softplus(beta=2.0, threshold=20.0), expected beta=1",
     lambda: (nn.Sequential(lin(), nn.Softplus(beta=2.0)), X, Y, MSE, None)),
    ("model[1]: found nn.Softmax(dim=0), expected dim=-1",
     lambda: (nn.Sequential(lin(), nn.Softmax(dim=0)), X, Y, MSE, None)),
    ("model[1]: found nn.Softmax(dim=None), expected dim=-1",
     lambda: (nn.Sequential(lin(), nn.Softmax()), X, Y, MSE, None)),
    ("model[2]: found nn.Tanh right after nn.ReLU, expected each activation to follow "
     "an nn.Linear", lambda: (nn.Sequential(lin(), nn.ReLU(), nn.Tanh()), X, Y, MSE, None)),
    ("model[0]: found nn.ReLU right after the input",
     lambda: (nn.Sequential(nn.ReLU(), lin()), X, Y, MSE, None)),
    ("model: found no layer", lambda: (nn.Sequential(nn.Identity()), X, Y, MSE, None)),
    ("model[2]: found nn.Linear(in_features=3, out_features=3, bias=True) again (it is "
     "model[0]), expected each module once: backprop gives every layer its own parameters, "
     "so tied ones have no equivalent",
     lambda: (nn.Sequential(tied := lin(), nn.Tanh(), tied), X, Y, MSE, None)),
    ("model[1][0]: found nn.Linear(in_features=3, out_features=3, bias=True) again (it is "
     "model[0])", lambda: (nn.Sequential(tied := lin(), nn.Sequential(tied)), X, Y, MSE, None)),
    ("model[2].weight: found the tensor of model[0].weight (tied weights), expected the "
     "layer's own", tied_parameter),
    ("model[2].weight: found the tensor of model[0].weight (tied weights)",
     lambda: views_of_one_buffer(overlap=True)),
    ("model[0]: found nn.Conv1d(1, 4, kernel_size=(3,), stride=(1,)), which backprop has "
     "no equivalent for", conv_net),
    ("loss_fn: found nn.HuberLoss, which backprop has no equivalent for; expected "
     "nn.CrossEntropyLoss, nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss or bp.torch_loss",
     lambda: (nn.Sequential(lin()), X, Y, nn.HuberLoss(), None)),
    ("loss_fn: found nn.NLLLoss, which backprop has no equivalent for",
     lambda: (nn.Sequential(lin()), X, INDEX, nn.NLLLoss(), None)),
    ("model[1]: found nn.LogSoftmax(dim=-1), which backprop has no equivalent for",
     lambda: (nn.Sequential(lin(), nn.LogSoftmax(-1)), X, INDEX, nn.NLLLoss(), None)),
    ("loss_fn.reduction: found the string 'none', expected 'mean' or 'sum'",
     lambda: (nn.Sequential(lin()), X, Y, nn.MSELoss(reduction="none"), None)),
    ("loss_fn.reduction: found 'sum' with 3 outputs, expected 'mean' (or one output): "
     "backprop's mse with reduction sum adds up each sample's mean over its outputs, "
     "torch's sum / 3; bp.torch_loss('mse', 'sum') is that",
     lambda: (nn.Sequential(lin()), X, Y, nn.MSELoss(reduction="sum"), None)),
    ("loss_fn.reduction: found 'sum' with 3 outputs",
     lambda: (nn.Sequential(lin(), nn.Sigmoid()), X, Y, nn.BCELoss(reduction="sum"), None)),
    ("loss_fn.weight: found a Tensor, expected None",
     lambda: (nn.Sequential(lin()), X, INDEX, nn.CrossEntropyLoss(torch.ones(3)), None)),
    ("loss_fn.label_smoothing: found 0.1, expected 0.0",
     lambda: (nn.Sequential(lin()), X, INDEX, nn.CrossEntropyLoss(label_smoothing=0.1), None)),
    ("loss_fn.ignore_index: found 2, a class the targets use",
     lambda: (nn.Sequential(lin()), X, INDEX, nn.CrossEntropyLoss(ignore_index=2), None)),
    ("model[1]: found nn.Softmax(dim=-1) before nn.CrossEntropyLoss, expected the model to "
     "end in nn.Linear: it takes logits and applies its own softmax",
     lambda: (nn.Sequential(lin(), nn.Softmax(dim=-1)), X, INDEX, CE, None)),
    ("model[0]: found nn.Linear before nn.BCELoss, expected the model to end in nn.Sigmoid",
     lambda: (nn.Sequential(lin()), X, Y, nn.BCELoss(), None)),
    ("model[1]: found nn.Sigmoid before nn.BCEWithLogitsLoss, expected the model to end "
     "in nn.Linear", lambda: (nn.Sequential(lin(), nn.Sigmoid()), X, Y, nn.BCEWithLogitsLoss(),
                              None)),
    ("loss_fn.pos_weight: found a Tensor, expected None",
     lambda: (nn.Sequential(lin()), X, Y, nn.BCEWithLogitsLoss(pos_weight=torch.ones(3)),
              None)),
    ("optimizer: found torch.optim.NAdam, which backprop has no equivalent for; expected "
     "torch.optim.SGD, Adagrad, RMSprop, Adam or AdamW",
     lambda: (m := nn.Sequential(lin()), X, Y, MSE, torch.optim.NAdam(m.parameters()))),
    ("optimizer.param_groups[1].lr: found 0.5, expected 0.1 as in param_groups[0]",
     lambda: (m := nn.Sequential(lin()), X, Y, MSE, torch.optim.SGD(
         [{"params": [m[0].weight]}, {"params": [m[0].bias], "lr": 0.5}], lr=0.1))),
    ("optimizer: found a parameter that is not the model's",
     lambda: (nn.Sequential(lin()), X, Y, MSE, sgd(nn.Sequential(lin())))),
    ("x: found an array of shape (1, 2, 3), expected (N, n) rows of samples",
     lambda: (nn.Sequential(lin()), X[None], Y, MSE, None)),
    ("x: found the string 'x', expected a tensor, an array or lists of numbers",
     lambda: (nn.Sequential(lin()), "x", Y, MSE, None)),
    ("layers[0].weights (W1): shape (3, 3), expected (3, 2): x has 2 features",
     lambda: (nn.Sequential(lin()), X[:, :2], Y, MSE, None)),
]


@pytest.mark.parametrize("message, make", UNSUPPORTED, ids=[m[:40] for m, _ in UNSUPPORTED])
def test_what_has_no_equivalent_is_named(message, make):
    args = make()
    for call in (bp.from_torch, bp.compare):
        with pytest.raises(ProblemError) as info:
            call(*args)
        assert str(info.value).startswith("<torch>: "), str(info.value)
        assert message in str(info.value), str(info.value)


X32 = X.float()
TORCH_REFUSES = [
    ("y: found int32 class indices, expected int64, as nn.CrossEntropyLoss requires: "
     "y.long()", lambda: (nn.Sequential(lin()), X, INDEX.int(), CE, None)),
    ("y: found int16 class indices", lambda: (nn.Sequential(lin()), X, INDEX.short(), CE, None)),
    ("y: found int64 targets, expected float64 probabilities, as nn.BCELoss requires: "
     "y.to(torch.float64)",
     lambda: (nn.Sequential(lin(), nn.Sigmoid()), X, Y.long(), nn.BCELoss(), None)),
    ("y: found float32 targets, expected float64 probabilities, as nn.BCELoss requires",
     lambda: (nn.Sequential(lin(), nn.Sigmoid()), X, Y.float(), nn.BCELoss(), None)),
    ("y: found int64 targets, expected float64 probabilities, as nn.BCEWithLogitsLoss",
     lambda: (nn.Sequential(lin()), X, Y.long(), nn.BCEWithLogitsLoss(), None)),
    ("y: found bool targets, expected float32 probabilities, as BackpropLoss(name='bce', "
     "reduction='sum') requires: y.to(torch.float32)",
     lambda: (nn.Sequential(lin().float(), nn.Sigmoid()), X32, Y.bool(),
              bp.torch_loss("bce", "sum"), None)),
    ("x: found dtype float64, expected float32 like the model's parameters (torch does not "
     "mix them): x.to(torch.float32), or the model in float64: model.to(torch.float64)",
     lambda: (nn.Sequential(lin().float()), X, Y.float(), MSE, None)),
    ("x: found dtype int64, expected float64 like the model's parameters (torch does not "
     "mix them): x.to(torch.float64)",
     lambda: (nn.Sequential(lin()), X.long(), Y, MSE, None)),
    ("model[2].weight: found dtype float32, expected float64 like model[0].weight: torch "
     "computes a model in one dtype: model.to(torch.float64)",
     lambda: (nn.Sequential(lin(), nn.Tanh(), lin().float()), X, Y, MSE, None)),
]


@pytest.mark.parametrize("message, make", TORCH_REFUSES, ids=[m[:30] for m, _ in TORCH_REFUSES])
def test_what_torch_itself_refuses_is_a_problem_error_saying_what_to_change(message, make):
    args = make()
    with pytest.raises(ProblemError) as info:
        bp.compare(*args)
    assert str(info.value).startswith("<torch>: " + message), str(info.value)
    with pytest.raises(RuntimeError):  # torch's own error, which the user no longer sees
        model, x, y, loss_fn, _ = args
        loss_fn(model(x if torch.is_tensor(x) else torch.tensor(x)), y).backward()
    assert bp.from_torch(*args)  # from_torch reads the numbers: it runs nothing in torch


def test_an_error_torch_raises_past_the_checks_is_a_problem_error(monkeypatch):
    def fails(*args):
        raise RuntimeError("an unforeseen torch error\nwith its details")

    monkeypatch.setattr(sys.modules["backprop_cli.api.pytorch.run"], "_passes", fails)
    with pytest.raises(ProblemError, match="^<torch>: torch could not run the model on "
                                           "these inputs: an unforeseen torch error$"):
        bp.compare(nn.Sequential(lin()), X, Y, MSE)


def test_without_torch_every_bridge_function_says_how_to_install_it(monkeypatch):
    problem = bp.example("classic")
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch fails
    with pytest.raises(ImportError):
        import torch as _  # noqa: F401
    calls = {"bp.from_torch": lambda: bp.from_torch(None, [1.0], [1.0], None),
             "bp.to_torch": lambda: bp.to_torch(problem),
             "bp.compare": lambda: bp.compare(None, [1.0], [1.0], None),
             "bp.torch_loss": lambda: bp.torch_loss("mse")}
    for name, call in calls.items():
        with pytest.raises(bp.BackpropError) as info:
            call()
        assert str(info.value) == f"{name} needs PyTorch, which is not installed: pip " \
                                  "install torch (the CPU build is enough)"


def test_parameters_side_by_side_in_one_buffer_are_not_tied():
    model, x, y, loss_fn, _ = views_of_one_buffer(overlap=False)
    assert bp.from_torch(model, x, y, loss_fn).params["W2"].shape == (3, 3)


def test_an_activation_module_used_twice_is_two_layers_activations():
    act = nn.Tanh()  # stateless: sharing it ties nothing
    model = nn.Sequential(lin(), act, lin(), act, lin())
    p = bp.from_torch(model, X, Y, MSE, sgd(model))
    assert [s.activation for s in p.model.layers] == ["tanh", "tanh", "identity"]
    check = bp.compare(model, X, Y, MSE, sgd(model))
    assert check and check.rows[1].path == "forward.h1", str(check)


def test_a_group_setting_backprop_lacks_is_named():
    model = nn.Sequential(lin())
    opt = torch.optim.Adam(model.parameters(), lr=0.1)
    opt.param_groups[0]["warmup"] = 3
    with pytest.raises(ProblemError, match="optimizer.warmup: found warmup = 3.0, which "
                                           "backprop's adam has no equivalent for"):
        bp.from_torch(model, X, Y, MSE, opt)


def test_what_torch_reads_differently_is_read_as_torch_means_it():
    model = nn.Sequential(lin(), nn.Identity(), nn.Sequential(nn.ReLU(inplace=True)),
                          lin(), nn.Softmax(dim=1), nn.Identity())
    lr = torch.tensor(0.01, dtype=torch.float64)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=0.1,
                           decoupled_weight_decay=True)
    model[0].bias.requires_grad_(False)
    p = bp.from_torch(model, X, Y, MSE, opt, title="odd")
    assert [s.activation for s in p.model.layers] == ["relu", "softmax"]
    assert p.optimizer == "adamw" and p.given == {"lr": 0.01, "weight_decay": 0.1}
    assert p.model.layers[0].frozen == {"bias"} and p.title == "odd"
    assert bp.compare(model, X, Y, MSE, opt)


def test_a_fresh_adagrad_has_no_state_and_a_used_one_keeps_it():
    model = nn.Sequential(lin())
    opt = torch.optim.Adagrad(model.parameters(), lr=0.1, initial_accumulator_value=0.5)
    assert bp.from_torch(model, X, Y, MSE, opt).state == {}
    MSE(model(X), Y).backward()
    opt.step()
    assert bp.from_torch(model, X, Y, MSE, opt).state["W1"]["step"] == 1


def test_the_bridge_imports_torch_only_when_used():
    code = ("import sys, backprop_cli as bp, backprop_cli.api\n"
            "bp.solve(bp.example('classic')); bp.from_torch; bp.compare\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout
    assert out.strip() == "False"
