"""The PyTorch bridge with nn.BatchNorm1d, nn.LayerNorm and nn.Dropout, in train and eval
mode: from_torch's problem solves to torch's own float64 numbers (forward, loss, every
gradient with ∂L/∂x, the step, the running statistics), to_torch builds it back, compare
is true for the model and false when one gamma entry is off by 1e-6, and what an
nn.Sequential cannot say is refused in one line.

torch is not a dependency: CI installs it (.ci/run), and there (CI set) a missing torch
fails these tests instead of skipping them."""

import copy
import sys

import numpy as np
import pytest
from helpers import torch_or_skip

import backprop_cli as bp
from backprop_cli.errors import ProblemError

torch, nn = torch_or_skip()

RTOL = 1e-10
F64 = torch.float64


def close(actual, expected, what, rtol=RTOL, scale=0.0):
    """|a - e| <= rtol * max(|e|, 1e-6 of the quantity's scale, or `scale`), entry by
    entry. scale: the size of the gradients around, for a gradient that is zero in exact
    arithmetic (a bias just before batch norm in train mode: rounding's ~1e-17 either way)."""
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == e.shape, f"{what}: shape {a.shape} != {e.shape}"
    scale = max(np.abs(e).max(initial=0.0) * 1e-6, scale, 1e-300)
    assert (np.abs(a - e) <= rtol * np.maximum(np.abs(e), scale)).all(), what


def randomised(module, seed):
    """The norm's gamma, beta and running statistics away from torch's 1, 0, 0, 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name in ("weight", "bias", "running_mean"):
            t = getattr(module, name, None)
            if t is not None:
                t.copy_(torch.randn(t.shape, generator=g, dtype=F64) * 0.5 + (
                    1.0 if name == "weight" else 0.0))
        if getattr(module, "running_var", None) is not None:
            module.running_var.copy_(torch.rand(module.running_var.shape, generator=g,
                                                dtype=F64) + 0.5)
    return module


def bn(**kw):
    return randomised(nn.BatchNorm1d(4, dtype=F64, **kw), 1)


def ln(**kw):
    return randomised(nn.LayerNorm(4, dtype=F64, **kw), 2)


def net(*middle, out=2):
    """Linear(3, 4), the kinds and activations given, Linear(4, out), seeded."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4, dtype=F64), *middle, nn.Linear(4, out, dtype=F64))


def evaluated(module):
    return module.eval()


CASES = {
    "batchnorm-train": lambda: net(bn(), nn.Tanh()),
    "batchnorm-eval": lambda: net(evaluated(bn()), nn.ReLU()),
    "batchnorm-no-affine-train": lambda: net(bn(affine=False), nn.Sigmoid()),
    "batchnorm-no-affine-eval": lambda: net(evaluated(bn(affine=False))),
    "batchnorm-untracked-eval": lambda: net(evaluated(bn(track_running_stats=False)),
                                            nn.Tanh()),
    "batchnorm-momentum-0.3": lambda: net(bn(momentum=0.3, eps=1e-3)),
    "layernorm": lambda: net(ln(), nn.ReLU()),
    "layernorm-no-affine": lambda: net(ln(elementwise_affine=False), nn.Tanh()),
    "layernorm-no-bias": lambda: net(ln(bias=False, eps=1e-4)),
    "dropout-eval": lambda: net(nn.Tanh(), evaluated(nn.Dropout(0.3))),
    "dropout-train": lambda: net(nn.Tanh(), nn.Dropout(0.3), ln()),
    "all-three-train": lambda: net(bn(), nn.ReLU(), nn.Dropout(0.5), nn.Linear(4, 4, dtype=F64),
                                   ln(), nn.ELU(0.5)),
}
TRAIN_DROPOUT = {"dropout-train", "all-three-train"}


def setup(name, seed=3):
    """(model, x, y, loss_fn, optimizer) of a case: cross-entropy and SGD with momentum, or
    for the layer norm ones MSE and Adam."""
    model = CASES[name]()
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(5, 3, generator=g, dtype=F64)
    if name.startswith("layernorm"):
        y = torch.randn(5, 2, generator=g, dtype=F64)
        return model, x, y, nn.MSELoss(), torch.optim.Adam(model.parameters(), lr=0.01)
    y = torch.tensor([0, 1, 1, 0, 1])
    return (model, x, y, nn.CrossEntropyLoss(),
            torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9))


def cores(model) -> list:
    """The modules that are layers, counted independently of the bridge: a Linear, a norm
    or a dropout module (to_torch's FixedDropout too); activations are not."""
    return [m for m in model if isinstance(m, nn.Linear | nn.BatchNorm1d | nn.LayerNorm
                                            | nn.Dropout)
            or type(m).__name__ == "FixedDropout"]


def names(model) -> dict:
    """backprop's name of every parameter that has a gradient."""
    found = {}
    for l, m in enumerate(cores(model), 1):
        for key, short in (("weight", "W"), ("bias", "b")):
            p = getattr(m, key, None)
            if p is not None and p.requires_grad:
                found[p] = (short if isinstance(m, nn.Linear) else
                            {"W": "gamma", "b": "beta"}[short]) + str(l)
    return found


def torch_run(model, x, y, loss_fn, optimizer, seed):
    """torch's own numbers, with the random state at seed: the output, loss, gradients,
    ∂L/∂x, running statistics after the pass and parameters after the step."""
    model, optimizer = copy.deepcopy((model, optimizer))
    torch.manual_seed(seed)
    x = x.clone().requires_grad_(True)
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    found = {"out": out, "loss": loss, "x": x.grad}
    named = names(model)
    found.update({name: p.grad for p, name in named.items()})
    for l, m in enumerate(cores(model), 1):
        if isinstance(m, nn.BatchNorm1d) and m.track_running_stats:
            found[f"running_mean{l}"] = m.running_mean.clone()
            found[f"running_var{l}"] = m.running_var.clone()
    optimizer.step()
    found.update({f"new {name}": p for p, name in named.items()})
    return {k: v.detach().numpy() for k, v in found.items()}


def solved(name, seed=7):
    """(backprop's solution of the case, torch's numbers), the dropout masks torch's."""
    model, x, y, loss_fn, optimizer = setup(name)
    if name in TRAIN_DROPOUT:  # compare reads the masks torch draws at this seed
        torch.manual_seed(seed)
        solution = bp.compare(model, x, y, loss_fn, optimizer).solution
    else:
        solution = bp.solve(bp.from_torch(model, x, y, loss_fn, optimizer))
    return solution, torch_run(model, x, y, loss_fn, optimizer, seed)


@pytest.mark.parametrize("name", CASES)
def test_from_torch_solves_to_torchs_float64_numbers(name):
    s, t = solved(name)
    last = s.forward.a[-1] if isinstance(setup(name)[3], nn.CrossEntropyLoss) else s.h(-1)
    close(last, t["out"], "output")
    close(s.loss, t["loss"], "loss")
    close(s.gradients["x"], t["x"], "∂L/∂x")
    params = [k for k in t if k[0] in "Wbg" and not k.startswith("new")]
    assert any(k.startswith("gamma") for k in params) == ("affine" not in name
                                                          and "dropout-eval" not in name)
    around = np.abs(t["x"]).max()
    for k in params:
        close(s.gradients[k], t[k], f"∂L/∂{k}", scale=around)
        close(s.update.parameters[k], t[f"new {k}"], f"{k} new")
    running = [k for k in t if k.startswith("running")]
    assert bool(running) == (name.startswith(("batchnorm", "all")) and "untracked" not in name)
    for k in running:
        close(s.get(f"update.running.{k}"), t[k], k)


def test_the_masks_are_torchs_and_drop_something():
    s, t = solved("all-three-train")
    mask = np.asarray(s.get("forward.mask3"))
    assert 0 < mask.sum() < mask.size
    assert s.get("forward.scale3") == 2.0


@pytest.mark.parametrize("name", CASES)
def test_to_torch_builds_the_problem_back(name):
    model, x, y, loss_fn, optimizer = setup(name)
    problem = (bp.compare(model, x, y, loss_fn, optimizer).solution.problem
               if name in TRAIN_DROPOUT else bp.from_torch(model, x, y, loss_fn, optimizer))
    t = bp.to_torch(problem)
    assert bp.from_torch(*t).to_yaml() == problem.to_yaml()
    again = torch_run(*t, seed=0)  # a fixed mask: no random numbers
    s = bp.solve(problem)
    close(s.loss, again["loss"], "loss")
    close(s.gradients["x"], again["x"], "∂L/∂x")
    for k in (k for k in again if k[0] in "Wbg"):
        close(s.gradients[k], again[k], f"∂L/∂{k}", scale=np.abs(again["x"]).max())
    assert bp.compare(*t)


def gamma_off(monkeypatch, delta):
    """backprop reads the model with its first gamma entry off by delta (its first weight
    where no norm has a gamma)."""
    module = sys.modules["backprop_cli.api.comparison"]
    read = module.from_torch

    def off(model, x, y, loss_fn, optimizer=None, **kw):
        model, optimizer = copy.deepcopy((model, optimizer))
        target = next((m.weight for m in model if isinstance(m, nn.BatchNorm1d | nn.LayerNorm)
                       and m.weight is not None), model[0].weight)
        with torch.no_grad():
            target.view(-1)[0] += delta
        return read(model, x, y, loss_fn, optimizer, **kw)

    monkeypatch.setattr(module, "from_torch", off)


@pytest.mark.parametrize("name", CASES)
def test_compare_is_true_and_false_with_one_gamma_entry_off(name, monkeypatch):
    args = setup(name)
    check = bp.compare(*args)
    assert check, str(check)
    paths = {row.path for row in check.rows}
    assert "gradients.x" in paths
    assert ("update.running.running_var2" in paths) == (
        name.startswith(("batchnorm", "all")) and "untracked" not in name)
    gamma_off(monkeypatch, 1e-6)
    check = bp.compare(*args)
    assert not check
    assert check.counts()["different"] >= 1


def test_compare_leaves_torchs_random_state_and_the_model_alone():
    model, x, y, loss_fn, optimizer = setup("all-three-train")
    before = copy.deepcopy(model.state_dict())
    torch.manual_seed(11)
    bp.compare(model, x, y, loss_fn, optimizer)
    drawn = torch.rand(3)
    torch.manual_seed(11)
    assert torch.equal(drawn, torch.rand(3))
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())


MASKED = {"x": [[1.0, 2.0, -1.0], [0.5, -1.0, 2.0]], "y": [[1.0, 0.0], [0.0, 1.0]],
          "loss": "mse",
          "layers": [{"kind": "layernorm", "gamma": [1.0, 0.5, 2.0], "beta": [0.0, 0.1, -0.2],
                      "activation": "tanh"},
                     {"kind": "dropout", "mask": [[1, 0, 1], [0, 1, 1]], "p": 0.25},
                     {"weights": [[0.5, -0.3, 0.2], [0.2, 0.8, -0.1]],
                      "activation": "identity"}],
          "optimizer": {"name": "adam", "lr": 0.01}}


@pytest.mark.parametrize("batched", [True, False], ids=["batch", "one-sample"])
@pytest.mark.parametrize("scale", ["inverted", "none"])
def test_a_files_mask_becomes_a_fixed_dropout_and_back(batched, scale):
    doc = copy.deepcopy(MASKED)
    doc["layers"][1]["scale"] = scale
    if not batched:
        doc.update(x=doc["x"][0], y=doc["y"][0])
        doc["layers"][1]["mask"] = doc["layers"][1]["mask"][0]
    problem = bp.load(doc)
    t = bp.to_torch(problem)
    assert type(t.model[2]).__name__ == "FixedDropout" and t.model[2].training
    assert t.model[2].mask.tolist() == doc["layers"][1]["mask"]
    read = bp.from_torch(*t).document["layers"][1]
    assert (read["mask"], read["p"], read["mode"], read.get("scale", "inverted")) == (
        doc["layers"][1]["mask"], 0.25, "train", scale)
    s, again = bp.solve(problem), bp.solve(bp.from_torch(*t))
    close(again.gradients["x"], s.gradients["x"], "∂L/∂x", rtol=0.0)
    out = t.model(t.x)
    close(out.detach().numpy(), s.h(-1), "output")
    check = bp.compare(*t)
    assert check and check.counts()["different"] == 0
    t.model[2].eval()  # the identity, as nn.Dropout in eval mode
    assert torch.equal(t.model[2](t.x), t.x)


REFUSED = [
    ("model[1]: found nn.LayerNorm with normalized_shape (3,) after 4 features, expected "
     "(4,)", lambda: (net(nn.LayerNorm(3, dtype=F64)), *setup("layernorm")[1:4], None),
     (bp.from_torch, bp.compare)),
    ("model[2]: found nn.Dropout(p=0.3) in train mode, whose mask torch draws at random, "
     "expected eval mode (model.eval(), the identity) or bp.compare",
     lambda: setup("dropout-train"), (bp.from_torch,)),
    ("model[1].momentum: found None",
     lambda: (net(bn(momentum=None)), *setup("batchnorm-train")[1:]),  # before the optimizer
     (bp.from_torch, bp.compare)),
    ("model[1]: found nn.LayerNorm with normalized_shape (5, 4), expected one number: a "
     "layer norm over the last dimension only",
     lambda: (net(nn.LayerNorm((5, 4), dtype=F64)), *setup("layernorm")[1:]),
     (bp.from_torch, bp.compare)),
    ("model[1]: found nn.BatchNorm1d with num_features 3 after 4 features, expected 4",
     lambda: (net(nn.BatchNorm1d(3, dtype=F64)), *setup("batchnorm-train")[1:4], None),
     (bp.from_torch, bp.compare)),
    ("x: found one sample of shape (3,), expected rows (N, n): model[1], nn.BatchNorm1d, "
     "takes a batch", lambda: (net(evaluated(bn())), torch.ones(3, dtype=F64),
                               torch.tensor(1), nn.CrossEntropyLoss(), None),
     (bp.from_torch, bp.compare)),
]


@pytest.mark.parametrize("message,make,calls", REFUSED, ids=[r[0][:40] for r in REFUSED])
def test_what_has_no_equivalent_is_refused_in_one_line(message, make, calls):
    for call in calls:
        with pytest.raises(ProblemError) as info:
            call(*make())
        text = str(info.value)
        assert text.startswith("<torch>: ") and "\n" not in text, text
        assert message in text, text


@pytest.mark.parametrize("change,message", [
    ({"l2": {"lambda": 0.1}}, "l2: bp.to_torch: found an L2 penalty in the loss"),
    ({"variance": "unbiased"}, "expected biased: nn.BatchNorm1d divides by N"),
    ({"residual": 0}, "layers[2].residual: bp.to_torch: found a residual connection"),
])
def test_to_torch_refuses_what_torch_cannot_say(change, message):
    doc = {"x": [[1.0, 2.0], [0.5, -1.0], [0.0, 1.0]], "y": [[1.0, 0.0], [0.0, 1.0],
                                                               [1.0, 1.0]],
           "loss": "mse",
           "layers": [{"weights": [[0.5, -0.3], [0.2, 0.8]], "activation": "identity"},
                      {"kind": "batchnorm", "activation": "tanh"},
                      {"weights": [[0.3, -0.2], [-0.4, 0.6]], "activation": "identity"}]}
    if "l2" in change:
        doc.update(change)
    elif "variance" in change:
        doc["layers"][1].update(change)
    else:
        doc["layers"][2].update(change)
    problem = bp.load(doc)
    with pytest.raises(ProblemError) as info:
        bp.to_torch(problem)
    assert message in str(info.value) and "\n" not in str(info.value), str(info.value)


def test_float32_with_kinds_needs_tolerances():
    model, x, y, loss_fn, optimizer = setup("layernorm")
    model, x, y = model.float(), x.float(), y.float()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    with pytest.raises(ProblemError, match="expected rtol and atol"):
        bp.compare(model, x, y, loss_fn, optimizer)
    assert bp.compare(model, x, y, loss_fn, optimizer, rtol=1e-5, atol=1e-6)


def with_l2(problem, lam, form, optimizer_changes):
    """The problem with its weight decay moved into an l2 section."""
    doc = problem.to_document()
    doc["optimizer"] = {**doc["optimizer"], **optimizer_changes}
    doc["l2"] = {"lambda": lam, "form": form}
    return bp.load(doc)


@pytest.mark.parametrize("form,lam", [("lambda/2", 0.05), ("lambda/2m", 0.05 * 5)])
def test_sgds_weight_decay_steps_as_l2_on_the_weights(form, lam):
    """docs/api.md: SGD's weight_decay=λ is l2 lambda/2 with λ (lambda/2m with λ·N) in
    the step, on a network whose every parameter is a weight; the loss torch reports
    leaves the penalty out."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Tanh(), nn.LayerNorm(4),
                          nn.Linear(4, 2, bias=False)).double()
    # γ and β frozen (the optimizer holds the weights only): torch decays no other
    x = torch.randn(5, 3, dtype=F64)
    y = torch.tensor([0, 1, 1, 0, 1])
    sgd = torch.optim.SGD([model[0].weight, model[3].weight], lr=0.1, momentum=0.9,
                          weight_decay=0.05)
    decayed = bp.from_torch(model, x, y, nn.CrossEntropyLoss(), sgd)
    assert decayed.to_document()["optimizer"]["weight_decay"] == 0.05
    assert "l2" not in decayed.to_document()
    penalised = with_l2(decayed, lam, form, {"weight_decay": 0.0})
    a, b = bp.solve(decayed), bp.solve(penalised)
    for w in ("W1", "W3"):
        close(a.update.parameters[w], b.update.parameters[w], f"{w} new", rtol=1e-14)
    penalty = b.get("loss_parts.penalty")
    assert penalty > 0 and np.isclose(b.loss, a.loss + penalty, rtol=1e-14, atol=0)
    close(b.gradients["W1"], a.gradients["W1"] + (0.05 * a.problem.params["W1"]), "∂L/∂W1",
          rtol=1e-12)


def test_adamws_decay_is_no_l2():
    """AdamW decays apart from the gradient: Adam with l2 takes another step."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4, bias=False), nn.Tanh(),
                          nn.Linear(4, 2, bias=False)).double()
    x, y = torch.randn(5, 3, dtype=F64), torch.tensor([0, 1, 1, 0, 1])
    adamw = torch.optim.AdamW(model.parameters(), lr=0.1, weight_decay=0.05)
    decayed = bp.from_torch(model, x, y, nn.CrossEntropyLoss(), adamw)
    assert bp.compare(model, x, y, nn.CrossEntropyLoss(), adamw)
    penalised = with_l2(decayed, 0.05, "lambda/2", {"name": "adam", "weight_decay": 0.0})
    a, b = bp.solve(decayed), bp.solve(penalised)
    assert np.abs(a.update.parameters["W1"] - b.update.parameters["W1"]).max() > 1e-4
