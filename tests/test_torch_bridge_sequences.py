"""The PyTorch bridge with nn.Embedding, nn.RNN (tanh, relu), nn.LSTM and nn.GRU (one layer,
batch_first, bias or not), bp.LastStep() and nn.Linear layers: from_torch's problem solves
to torch's own float64 numbers (output, loss, ∂L/∂x, every gradient, the step), the
weights read in torch's order (weight_ih_l0 → wx, weight_hh_l0 → wh, bias_ih_l0 → bias,
bias_hh_l0 → bias_h); to_torch builds a problem file's sequence model back (gates in
another order, by name, in_out); compare is true, and false with one weight entry off;
what has no equivalent is refused in one line.

torch is not a dependency: CI installs it (.ci/run), and there (CI set) a missing torch
fails these tests instead of skipping them."""

import copy
import re

import numpy as np
import pytest
from helpers import torch_or_skip

import backprop_cli as bp
from backprop_cli.api.pytorch import sequences
from backprop_cli.errors import ProblemError

torch, nn = torch_or_skip()

F64 = torch.float64
RTOL = 1e-10
CELLS = {"rnn": lambda D, H, **kw: nn.RNN(D, H, batch_first=True, **kw),
         "rnn-relu": lambda D, H, **kw: nn.RNN(D, H, batch_first=True, nonlinearity="relu",
                                               **kw),
         "lstm": lambda D, H, **kw: nn.LSTM(D, H, batch_first=True, **kw),
         "gru": lambda D, H, **kw: nn.GRU(D, H, batch_first=True, **kw)}
# cell, embedding first, bias, batch, loss
CASES = {f"{cell}-{'embedding' if emb else 'steps'}-{'bias' if bias else 'nobias'}-"
         f"{'batch' if batch else 'sample'}": (cell, emb, bias, batch)
         for cell in CELLS for emb in (False, True) for bias in (True, False)
         for batch in (True, False) if batch or not bias}


def close(actual, expected, what, rtol=RTOL):
    a, e = np.asarray(actual, dtype=float), np.asarray(expected, dtype=float)
    assert a.size == e.size, f"{what}: shape {a.shape} != {e.shape}"
    a = a.reshape(e.shape)
    scale = max(np.abs(e).max(initial=0.0) * 1e-6, 1e-300)
    assert (np.abs(a - e) <= rtol * np.maximum(np.abs(e), scale)).all(), what


def setup(name, seed=2, T=4, dtype=F64):
    """(model, x, y, loss_fn, optimizer): [Embedding(6, 3)] cell(3, 4) LastStep Linear(4, 5)
    Tanh Linear(5, 3), class targets, Adam."""
    cell, emb, bias, batch = CASES[name]
    torch.manual_seed(seed)
    modules = [nn.Embedding(6, 3)] if emb else []
    modules += [CELLS[cell](3, 4, bias=bias), bp.LastStep(), nn.Linear(4, 5), nn.Tanh(),
                nn.Linear(5, 3)]
    model = nn.Sequential(*modules).to(dtype)
    g = torch.Generator().manual_seed(seed)
    N = (2,) if batch else ()
    x = torch.randint(0, 6, (*N, T), generator=g) if emb else \
        torch.randn(*N, T, 3, generator=g, dtype=F64).to(dtype)
    y = torch.randint(0, 3, N, generator=g)
    return model, x, y, nn.CrossEntropyLoss(), torch.optim.Adam(model.parameters(), lr=0.05)


def names(model) -> dict:
    """backprop's name of every trainable parameter, counted apart from the bridge: the
    embedding E1, the recurrent module's Wx, Wh, b, bh (torch's order), then W, b."""
    found, l = {}, 0
    for m in model:
        if isinstance(m, nn.Embedding | nn.RNNBase | nn.Linear):
            l += 1
        keys = {nn.Embedding: (("weight", "E"),), nn.Linear: (("weight", "W"), ("bias", "b"))}
        for key, short in keys.get(type(m), (("weight_ih_l0", "Wx"), ("weight_hh_l0", "Wh"),
                                              ("bias_ih_l0", "b"), ("bias_hh_l0", "bh"))):
            p = getattr(m, key, None)
            if isinstance(m, nn.Embedding | nn.RNNBase | nn.Linear) and p is not None \
                    and p.requires_grad:
                found[p] = f"{short}{l}"
    return found


def torch_run(model, x, y, loss_fn, optimizer):
    """torch's own numbers by backprop's names: the logits, loss, ∂L/∂x (steps), the
    gradients and the parameters after the step."""
    model, optimizer = copy.deepcopy((model, optimizer))
    if x.is_floating_point():
        x = x.clone().requires_grad_(True)
    out = model(x)
    loss = loss_fn(out, y)
    loss.backward()
    found = {"out": out, "loss": loss}
    if x.is_floating_point():
        found["x"] = x.grad
    named = names(model)
    found.update({name: p.grad for p, name in named.items()})
    optimizer.step()
    found.update({f"new {name}": p for p, name in named.items()})
    return {k: v.detach().numpy() for k, v in found.items()}


@pytest.mark.parametrize("name", CASES)
def test_from_torch_solves_to_torchs_float64_numbers(name):
    args = setup(name)
    s = bp.solve(bp.from_torch(*args))
    t = torch_run(*args)
    close(s.forward.a[-1], t["out"], "logits")
    close(s.loss, t["loss"], "loss")
    if "x" in t:
        close(s.gradients["x"], t["x"], "∂L/∂x")
    params = [k for k in t if k[0] in "WbE"]
    assert len(params) == (8 if "-bias" in name else 6) + int("embedding" in name)
    for k in params:
        close(s.gradients[k], t[k], f"∂L/∂{k}")
        close(s.update.parameters[k], t[f"new {k}"], f"{k} new")


def test_the_layers_read_as_a_file_writes_them():
    model, x, y, loss_fn, optimizer = setup("rnn-relu-embedding-bias-batch")
    model[1].weight_hh_l0.requires_grad_(False)
    layers = bp.from_torch(model, x, y, loss_fn).to_document()["layers"]
    assert layers[0] == {"kind": "embedding", "table": model[0].weight.tolist()}
    rnn = model[1]
    assert layers[1] == {"kind": "rnn", "wx": rnn.weight_ih_l0.tolist(),
                         "wh": rnn.weight_hh_l0.tolist(), "bias": rnn.bias_ih_l0.tolist(),
                         "bias_h": rnn.bias_hh_l0.tolist(), "activation": "relu",
                         "frozen": ["wh"]}
    assert layers[2]["activation"] == "tanh" and np.shape(layers[2]["weights"]) == (5, 4)
    lstm = bp.from_torch(*setup("lstm-steps-nobias-sample")).to_document()["layers"][0]
    assert set(lstm) == {"kind", "wx", "wh"} and np.shape(lstm["wx"]) == (16, 3)


@pytest.mark.parametrize("name", ["rnn-embedding-bias-batch", "lstm-steps-bias-batch",
                                  "gru-embedding-nobias-sample", "rnn-relu-steps-bias-batch"])
def test_to_torch_builds_the_problem_back(name):
    problem = bp.from_torch(*setup(name))
    t = bp.to_torch(problem)
    assert type(t.model[-4]) is bp.LastStep
    assert bp.from_torch(*t).to_yaml() == problem.to_yaml()
    s, again = bp.solve(problem), torch_run(*t)
    close(s.loss, again["loss"], "loss")
    for k in (k for k in again if k[0] in "WbE"):
        close(s.gradients[k], again[k], f"∂L/∂{k}")
    assert bp.compare(*t)


def _file(order="ifgo", named=False, layout="out_in"):
    rng = np.random.default_rng(5)
    H, D = 2, 3
    blocks = {g: rng.normal(size=(H, D)) for g in "ifgo"}
    hidden = {g: rng.normal(size=(H, H)) for g in "ifgo"}
    bias = {g: rng.normal(size=H) for g in "ifgo"}

    def written(parts, turn=False):
        if named:
            return {g: (parts[g].T if turn else parts[g]).tolist() for g in "ifgo"}
        stacked = np.concatenate([parts[g] for g in order])
        return (stacked.T if turn else stacked).tolist()

    turn = layout == "in_out"
    doc = {"x": rng.normal(size=(2, 3, D)).tolist(), "y": [1, 0], "loss": "cross_entropy",
           "layout": layout,
           "layers": [{"kind": "lstm", "wx": written(blocks, turn), "wh": written(hidden, turn),
                       "bias": written(bias), "gates": order},
                      {"weights": rng.normal(size=(H, 2) if turn else (2, H)).tolist(),
                       "activation": "softmax"}],
           "optimizer": {"name": "sgd", "lr": 0.1}}
    if named:
        del doc["layers"][0]["gates"]
    return doc, np.concatenate([blocks[g] for g in "ifgo"])


@pytest.mark.parametrize("form", [("ifog", False, "out_in"), ("ifgo", True, "out_in"),
                                  ("gfio", False, "in_out")], ids=["ifog", "named", "in_out"])
def test_a_files_recurrent_layer_becomes_torch_modules(form):
    """Gates stacked in CS231n's order, by name, or in_out: torch's weight_ih_l0 in its own
    order; the file's bias alone: bias_hh_l0 zeros, frozen."""
    doc, Wx = _file(*form)
    problem = bp.load(doc)
    t = bp.to_torch(problem)
    lstm = t.model[0]
    assert np.array_equal(lstm.weight_ih_l0.detach().numpy(), Wx)
    assert not lstm.bias_hh_l0.requires_grad and not lstm.bias_hh_l0.detach().any()
    s, again = bp.solve(problem), torch_run(*t)
    close(s.loss, again["loss"], "loss")
    close(s.gradients["x"], again["x"], "∂L/∂x")
    order, named, layout = form
    blocks = dict(zip("ifgo", np.split(again["Wx1"], 4)))  # torch's ∂L/∂W_ih in the file's form
    if named:
        for g in "ifgo":
            close(s.get(f"gradients.Wx1.{g}"), blocks[g], f"∂L/∂Wx1.{g}")
    else:
        stacked = np.concatenate([blocks[g] for g in order])
        close(s.get("gradients.Wx1"), stacked.T if layout == "in_out" else stacked, "∂L/∂Wx1")
    assert bp.compare(*t)


def one_off(monkeypatch, delta, attr):
    """backprop reads the model with one entry of a recurrent tensor off by delta."""
    read = sequences.read

    def off(model, x, y, loss_fn, optimizer=None, **kw):
        model, optimizer = copy.deepcopy((model, optimizer))
        rnn = next(m for m in model if isinstance(m, nn.RNNBase))
        with torch.no_grad():
            getattr(rnn, attr).view(-1)[1] += delta
        return read(model, x, y, loss_fn, optimizer, **kw)

    monkeypatch.setattr(sequences, "read", off)


@pytest.mark.parametrize("name", ["lstm-embedding-bias-batch", "gru-steps-bias-batch",
                                  "rnn-steps-nobias-sample"])
@pytest.mark.parametrize("attr", ["weight_ih_l0", "weight_hh_l0"])
def test_compare_is_true_and_false_with_one_weight_off(name, attr, monkeypatch):
    args = setup(name)
    check = bp.compare(*args)
    assert check, str(check)
    k = 2 if "embedding" in name else 1
    paths = {row.path for row in check.rows}
    assert {f"forward.h{k}", f"gradients.hout{k}", f"gradients.Wx{k}", f"gradients.Wh{k}",
            "update.loss", f"update.parameters.Wh{k}"} <= paths
    assert ("gradients.E1" in paths) == (k == 2) and ("gradients.x" in paths) == (k == 1)
    one_off(monkeypatch, 1e-6, attr)
    check = bp.compare(*args)
    assert not check and check.counts()["different"] >= 1


def test_below_float64_compare_takes_tolerances():
    args = setup("lstm-steps-bias-batch", dtype=torch.float32)
    with pytest.raises(ProblemError, match="^<torch>: found a float32 model with a recurrent "
                                           "layer, expected rtol and atol"):
        bp.compare(*args)
    assert bp.compare(*args, rtol=1e-4, atol=1e-6)


def seq(*modules):
    return nn.Sequential(*modules).double()


def steps(*shape):
    return torch.ones(*shape, dtype=F64)


@pytest.mark.parametrize("message, make", [
    ("model[0].num_layers: found 2 in nn.LSTM(3, 4, num_layers=2, batch_first=True), "
     "expected 1", lambda: (seq(nn.LSTM(3, 4, 2, batch_first=True), bp.LastStep(),
                                nn.Linear(4, 2)), steps(2, 3, 3))),
    ("model[0].batch_first: found False in nn.GRU(3, 4), expected True",
     lambda: (seq(nn.GRU(3, 4), bp.LastStep(), nn.Linear(4, 2)), steps(2, 3, 3))),
    ("model[0].bidirectional: found True",
     lambda: (seq(nn.RNN(3, 4, batch_first=True, bidirectional=True), bp.LastStep(),
                  nn.Linear(8, 2)), steps(2, 3, 3))),
    ("model[0].proj_size: found 2",
     lambda: (seq(nn.LSTM(3, 4, batch_first=True, proj_size=2), bp.LastStep(),
                  nn.Linear(2, 2)), steps(2, 3, 3))),
    ("model[1]: found nn.Linear(in_features=4, out_features=2, bias=True) after "
     "nn.RNN(3, 4, batch_first=True), expected bp.LastStep()",
     lambda: (seq(nn.RNN(3, 4, batch_first=True), nn.Linear(4, 2)), steps(2, 3, 3))),
    ("model[0]: found nn.Linear(in_features=3, out_features=4, bias=True), expected "
     "nn.RNN, nn.LSTM or nn.GRU first",
     lambda: (seq(nn.Linear(3, 4), nn.RNN(4, 4, batch_first=True), bp.LastStep()),
              steps(2, 3))),
    ("model[3]: found nn.GRU(2, 2, batch_first=True) after bp.LastStep(), expected "
     "nn.Linear layers",
     lambda: (seq(nn.RNN(3, 4, batch_first=True), bp.LastStep(), nn.Linear(4, 2),
                  nn.GRU(2, 2, batch_first=True)), steps(2, 3, 3))),
    ("model[2]: found nn.Tanh after bp.LastStep(), expected nn.Linear with in_features 4",
     lambda: (seq(nn.RNN(3, 4, batch_first=True), bp.LastStep(), nn.Tanh()), steps(2, 3, 3))),
    ("model[3]: found nn.LayerNorm((2,), eps=1e-05, elementwise_affine=True, bias=True) "
     "after a recurrent layer, expected nn.Linear layers",
     lambda: (seq(nn.RNN(3, 4, batch_first=True), bp.LastStep(), nn.Linear(4, 2),
                  nn.LayerNorm(2)), steps(2, 3, 3))),
    ("model[0].padding_idx: found 0 in nn.Embedding(5, 3, padding_idx=0), expected None",
     lambda: (seq(nn.Embedding(5, 3, padding_idx=0), nn.RNN(3, 4, batch_first=True),
                  bp.LastStep(), nn.Linear(4, 2)), torch.tensor([[1, 2]]))),
    ("model[1]: found nn.LSTM(2, 4, batch_first=True) after nn.Embedding(5, 3), expected "
     "input_size 3",
     lambda: (seq(nn.Embedding(5, 3), nn.LSTM(2, 4, batch_first=True), bp.LastStep(),
                  nn.Linear(4, 2)), torch.tensor([[1, 2]]))),
    ("x: found a float array of shape (1, 2), expected integer token indices",
     lambda: (seq(nn.Embedding(5, 3), nn.RNN(3, 4, batch_first=True), bp.LastStep(),
                  nn.Linear(4, 2)), steps(1, 2))),
    ("x: found an array of shape (2, 3, 2), expected steps (N, T, 3) or one sample's (T, 3)",
     lambda: (seq(nn.RNN(3, 4, batch_first=True), bp.LastStep(), nn.Linear(4, 2)),
              steps(2, 3, 2))),
])
def test_what_has_no_equivalent_is_refused_in_one_line(message, make):
    model, x = make()
    with pytest.raises(ProblemError) as e:  # the model and x are read before y
        bp.from_torch(model, x, torch.zeros(1, 2, dtype=F64), nn.MSELoss())
    text = str(e.value)
    assert text.startswith(f"<torch>: {message}") and "\n" not in text, text


def test_a_loss_with_its_own_softmax_needs_a_linear_layer():
    model = seq(nn.GRU(3, 4, batch_first=True), bp.LastStep())
    with pytest.raises(ProblemError, match=r"^<torch>: loss_fn: found nn.CrossEntropyLoss "
                                           r"right after bp.LastStep\(\)"):
        bp.from_torch(model, steps(2, 3, 3), torch.tensor([1, 0]), nn.CrossEntropyLoss())
    p = bp.from_torch(model, steps(2, 3, 3), torch.zeros(2, 4, dtype=F64), nn.MSELoss())
    assert [layer["kind"] for layer in p.document["layers"]] == ["gru"]
    assert bp.compare(model, steps(2, 3, 3), torch.zeros(2, 4, dtype=F64), nn.MSELoss())


@pytest.mark.parametrize("change, place, message", [
    ({"output": "all"}, "layers[0].output", "all, expected last"),
    ({"h0": [0.5, 0.0]}, "layers[0].h0", "h0 other than zeros, expected none"),
    ({"kind": "gru", "form": "cho"}, "layers[0].form", "cho, expected torch"),
    ({"kind": "gru", "update": "new"}, "layers[0].update", "new, expected old"),
])
def test_to_torch_refuses_what_the_sequential_cannot_say(change, place, message):
    doc = {"x": [[[1.0], [2.0]]], "y": [1], "loss": "cross_entropy",
           "layers": [{"kind": "rnn", "wx": [[0.5], [-0.5]], "wh": [[0.1, 0.2], [0.3, 0.4]]},
                      {"weights": [[1.0, 0.0], [0.0, 1.0]], "activation": "softmax"}]}
    doc["layers"][0].update(change)
    if change.get("kind") == "gru":
        doc["layers"][0].update(wx=[[0.5], [-0.5]] * 3, wh=[[0.1, 0.2], [0.3, 0.4]] * 3)
    if change.get("output") == "all":
        doc["y"] = [[1, 0]]
    with pytest.raises(ProblemError, match=re.escape(f"<dict>: {place}: bp.to_torch: found "
                                                     f"{message}")):
        bp.to_torch(bp.load(doc))


def test_last_step_takes_the_last_step_of_a_batch_and_of_one_sample():
    out = torch.arange(24.0).reshape(2, 3, 4)
    assert torch.equal(bp.LastStep()((out, None)), out[:, -1])
    assert torch.equal(bp.LastStep()(out[0]), out[0, -1])
