"""`solve` and `step` on sequences (rnn tanh/relu, lstm, gru in torch's and Cho's form,
embeddings, output last and all, one sample or a batch) against PyTorch float64: every
fixture of tests/golden/seq/ (made by tests/golden/make_golden_seq.py with nn.RNN, nn.LSTM,
nn.GRU, nn.Embedding, nn.Linear, F.cross_entropy / F.mse_loss and torch.optim, cross-checked
with a hand-written step-by-step pass and central differences), every number of the
solution (the gates, c_t, the split of ∂L/∂h_t into hout + hnext, the gradients summed over
time in the file's form), and three chained steps of `engine.train` and of `backprop step`.
The fixtures' forward pass and loss are also recomputed here with numpy from the file as
written (gate order, per-gate mappings, layout, bias_h inside GRU's n gate), and the
documented relations between the gradients are checked on the fixtures themselves."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import GOLDEN

from backprop_cli import engine
from backprop_cli.output.report import solve_document, step_document
from backprop_cli.problem import from_document

FIXTURES = sorted((GOLDEN / "seq").glob("*.json"))
RTOL, ATOL = 1e-10, 1e-12
TORCH_ORDER = {"lstm": "ifgo", "gru": "rzn", "rnn": "a"}


def _close(got, want, where):
    """Arrays, or mappings of arrays by gate name (a parameter written per gate)."""
    if isinstance(want, dict):
        assert isinstance(got, dict), f"{where}: {type(got).__name__}, torch a mapping"
        assert set(got) == set(want), f"{where}: keys {sorted(got)}, torch {sorted(want)}"
        for key, value in want.items():
            _close(got[key], value, f"{where}.{key}")
        return
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    assert got.shape == want.shape, f"{where}: shape {got.shape}, torch {want.shape}"
    np.testing.assert_allclose(got, want, rtol=RTOL, atol=ATOL, err_msg=where)


def _case(path):
    case = json.loads(path.read_text())
    return case, from_document(case["problem"], path.name)


def test_the_fixtures_are_there():
    assert len(FIXTURES) >= 20
    kinds = {(layer["kind"], layer.get("form", "torch") if layer["kind"] == "gru" else
              layer.get("activation", "")) for path in FIXTURES
             for layer in json.loads(path.read_text())["problem"]["layers"]
             if layer.get("kind") in ("rnn", "lstm", "gru")}
    assert kinds == {("rnn", "tanh"), ("rnn", "relu"), ("lstm", ""), ("gru", "torch"),
                     ("gru", "cho")}


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_solve_matches_torch(path):
    case, problem = _case(path)
    want = case["expected"]
    doc = solve_document(problem, engine.solve(problem.inputs))
    assert set(doc["forward"]) >= set(want["forward"])
    for name, value in want["forward"].items():
        _close(doc["forward"][name], value, f"forward.{name}")
    _close(doc["loss"], want["loss"], "loss")
    if "loss_parts" in want:
        for part in ("data", "penalty"):
            _close(doc["loss_parts"][part], want["loss_parts"][part], f"loss_parts.{part}")
    assert set(doc["gradients"]) == set(want["gradients"])
    for name, value in want["gradients"].items():
        _close(doc["gradients"][name], value, f"gradients.{name}")
    update = want["update"]
    assert set(doc["update"]["parameters"]) == set(update["parameters"])
    for name, value in update["parameters"].items():
        _close(doc["update"]["parameters"][name], value, f"update.parameters.{name}")
    assert set(doc["update"].get("state") or {}) == set(update.get("state", {}))
    for param, entry in update.get("state", {}).items():
        assert set(doc["update"]["state"][param]) == set(entry), f"update.state.{param}"
        for key, value in entry.items():
            _close(doc["update"]["state"][param][key], value, f"update.state.{param}.{key}")
    _close(doc["update"]["loss"], update["loss"], "update.loss")
    if "loss_parts" in update:
        for part in ("data", "penalty"):
            _close(doc["update"]["loss_parts"][part], update["loss_parts"][part],
                   f"update.loss_parts.{part}")


def _check_steps(doc, steps, where):
    assert doc["steps"] == steps["count"], where
    _close(doc["losses"], steps["losses"], f"{where} losses")
    assert set(doc["parameters"]) == set(steps["parameters"])
    for name, value in steps["parameters"].items():
        _close(doc["parameters"][name], value, f"{where} parameters.{name}")
    for param, entry in steps.get("state", {}).items():
        for key, value in entry.items():
            _close(doc["state"][param][key], value, f"{where} state.{param}.{key}")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_three_steps_match_torch(path):
    """engine.train's losses (before each step and after the last), parameters and optimizer
    state after three steps are torch.optim's."""
    case, problem = _case(path)
    steps = case["expected"]["steps"]
    run = engine.train(problem.inputs, steps["count"])
    _check_steps(step_document(problem, run), steps, "engine.train")


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_step_command_matches_torch(run, tmp_path, path):
    case = json.loads(path.read_text())
    steps = case["expected"]["steps"]
    source = tmp_path / f"{path.stem}.json"
    source.write_text(json.dumps(case["problem"]))
    result = run("step", source, "--steps", steps["count"], "--format", "json", "-q")
    assert result.exit_code == 0, result.stderr
    _check_steps(json.loads(result.stdout), steps, "backprop step")


CLI_FIXTURES = [GOLDEN / "seq" / f"{name}.json" for name in (
    "rnn_embedding_ce_index_all", "lstm_named_gates_bias_h_h0_c0_shared_ce_index_last",
    "gru_torch_one_sample_bias_h_upstream_last", "gru_cho_upstream_all_h0_shared")]


@pytest.mark.parametrize("path", CLI_FIXTURES, ids=lambda p: p.stem)
def test_solve_command_matches_torch(solve_json, tmp_path, path):
    """The command line's JSON is the document the API gives (one fixture per cell)."""
    case = json.loads(path.read_text())
    source = tmp_path / f"{path.stem}.json"
    source.write_text(json.dumps(case["problem"]))
    doc = solve_json(source)
    for name, value in case["expected"]["gradients"].items():
        _close(doc["gradients"][name], value, f"gradients.{name}")
    _close(doc["update"]["loss"], case["expected"]["update"]["loss"], "update.loss")


# --- the fixtures themselves, by numpy ---------------------------------------------------------
def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _activate(a, f):
    if f == "relu":
        return np.maximum(a, 0)
    if f == "tanh":
        return np.tanh(a)
    if f == "sigmoid":
        return _sigmoid(a)
    if f == "softmax":
        e = np.exp(a - a.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    assert f == "identity", f
    return a


def _torch_stacked(layer, key, in_out):
    """The recurrent layer's wx/wh/bias/bias_h as torch's stacked (G·H, in) or (G·H,)."""
    kind = layer["kind"]
    v = layer.get(key)
    if v is None:
        return None
    turn = in_out and key in ("wx", "wh")
    if isinstance(v, dict):
        return np.concatenate([np.asarray(v[g], dtype=float).T if turn else
                               np.asarray(v[g], dtype=float) for g in TORCH_ORDER[kind]])
    v = np.asarray(v, dtype=float)
    v = v.T if turn else v
    if kind == "rnn":
        return v
    order = layer.get("gates", TORCH_ORDER[kind])
    blocks = dict(zip(order, np.split(v, len(order)), strict=True))
    return np.concatenate([blocks[g] for g in TORCH_ORDER[kind]])


def _numpy_forward(prob):
    """Every forward quantity of the format (N, T, ·) and the loss, from the file."""
    in_out = prob.get("layout", "out_in") == "in_out"
    layers = prob["layers"]
    x = np.asarray(prob["x"])
    out = {}
    r = 1
    if layers[0].get("kind") == "embedding":
        single = x.ndim == 1
        idx = x[None] if single else x
        e = np.asarray(layers[0]["table"], dtype=float)[idx]
        out["a1"] = out["h1"] = e
        xin, r = e, 2
    else:
        single = x.ndim == 2
        xin = (x[None] if single else x).astype(float)
    layer = layers[r - 1]
    kind = layer["kind"]
    N, T = xin.shape[:2]
    Wx, Wh = _torch_stacked(layer, "wx", in_out), _torch_stacked(layer, "wh", in_out)
    b, bh = _torch_stacked(layer, "bias", in_out), _torch_stacked(layer, "bias_h", in_out)
    H = Wh.shape[1]
    G = Wh.shape[0] // H
    b = np.zeros(G * H) if b is None else b
    bh = np.zeros(G * H) if bh is None else bh

    def initial(key):
        v = np.asarray(layer.get(key, np.zeros(H)), dtype=float)
        v = np.broadcast_to(v, (N, H)) if v.ndim == 1 else v
        return v

    h, c = initial("h0"), initial("c0")
    names = {"rnn": "", "lstm": "ifgo", "gru": "rzn"}[kind]
    seq = {k: [] for k in ["a", "h", "c", *names]}
    for t in range(T):
        gi, gh = xin[:, t] @ Wx.T + b, h @ Wh.T + bh
        if kind == "rnn":
            a = gi + gh
            h = _activate(a, layer.get("activation", "tanh"))
        elif kind == "lstm":
            a = gi + gh
            i, f, g, o = (_sigmoid(a[:, :H]), _sigmoid(a[:, H:2 * H]),
                          np.tanh(a[:, 2 * H:3 * H]), _sigmoid(a[:, 3 * H:]))
            c = f * c + i * g
            h = o * np.tanh(c)
            for k, v in zip("ifgoc", (i, f, g, o, c), strict=True):
                seq[k].append(v)
        else:
            rz = gi[:, :2 * H] + gh[:, :2 * H]
            rg, zg = _sigmoid(rz[:, :H]), _sigmoid(rz[:, H:])
            cho = layer.get("form", "torch") == "cho"
            if not cho:  # r after the hidden matrix, with bh_n inside
                an = gi[:, 2 * H:] + rg * gh[:, 2 * H:]
            else:  # r on h before it
                an = gi[:, 2 * H:] + (rg * h) @ Wh[2 * H:].T + bh[2 * H:]
            n = np.tanh(an)
            # `update` (docs/sequences.md): z keeps the old state (default) or the new one
            if layer.get("update", "old") == "old":
                h = (1 - zg) * n + zg * h
            else:
                h = (1 - zg) * h + zg * n
            a = np.concatenate([rz, an], 1)
            for k, v in zip("rzn", (rg, zg, n), strict=True):
                seq[k].append(v)
        seq["a"].append(a)
        seq["h"].append(h)
    for k, v in seq.items():
        if v:
            out[f"{k}{r}"] = np.stack(v, 1)
    if kind != "rnn" and not isinstance(layer["wx"], dict):  # a in the file's gate order
        order = layer.get("gates", TORCH_ORDER[kind])
        parts = dict(zip(TORCH_ORDER[kind], np.split(out[f"a{r}"], G, axis=-1), strict=True))
        out[f"a{r}"] = np.concatenate([parts[g] for g in order], -1)
    hs = out[f"h{r}"] if layer["output"] == "all" else out[f"h{r}"][:, -1]
    for l in range(r + 1, len(layers) + 1):
        W = np.asarray(layers[l - 1]["weights"], dtype=float)
        W = W.T if in_out else W
        a = hs @ W.T + np.asarray(layers[l - 1].get("bias", 0.0))
        hs = _activate(a, layers[l - 1].get("activation", "identity"))
        out[f"a{l}"], out[f"h{l}"] = a, hs
    # the loss over N·T step-rows (output all) or N rows (last)
    K = hs.shape[-1]
    rows = hs.reshape(-1, K)
    y = np.asarray(prob["y"])
    kind_loss = prob["loss"]
    red = prob.get("reduction", "sum" if kind_loss == "upstream" else "mean")
    if kind_loss == "upstream":
        per = (y.reshape(-1, K) * rows).sum(-1)
    elif kind_loss == "cross_entropy":
        indices = y.ndim == hs.ndim - (1 if single else 0) - 1  # class indices, no K axis
        Y = np.eye(K)[y.reshape(-1)] if indices else y.reshape(-1, K)
        per = -(Y * np.log(rows)).sum(-1)
    else:
        assert kind_loss == "mse", kind_loss
        per = ((rows - y.reshape(-1, K)) ** 2).mean(-1)
    data = per.mean() if red == "mean" else per.sum()
    if "l2" in prob:
        factor = {"lambda/2": 0.5, "lambda/2m": 0.5 / N, "lambda": 1.0,
                  "lambda/m": 1.0 / N}[prob["l2"].get("form", "lambda/2")]
        squares = np.sum(np.square(Wx)) + np.sum(np.square(Wh))  # every gate's
        squares += sum(np.sum(np.square(lay["weights"])) for lay in layers if "weights" in lay)
        data += prob["l2"]["lambda"] * factor * squares
    shown = {k: (v[0] if single else v) for k, v in out.items()}
    return shown, data


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_forward_and_loss_by_numpy(path):
    case = json.loads(path.read_text())
    prob, want = case["problem"], case["expected"]
    got, loss = _numpy_forward(prob)
    assert set(got) == set(want["forward"])
    for name, value in want["forward"].items():
        np.testing.assert_allclose(got[name], value, rtol=1e-12, atol=1e-13, err_msg=name)
    np.testing.assert_allclose(want["loss"], loss, rtol=1e-12)


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_fixture_gradients_keep_the_documented_relations(path):
    """∂L/∂h_t = hout + hnext; hnext and cnext are 0 at T, hout before T with output last;
    for rnn and lstm hnext_t = ∂L/∂a_{t+1} Wh and cnext_t = ∂L/∂c_{t+1} ⊙ f_{t+1}; the
    initial state's gradient is what step 1 sends back; ∂L/∂x_t = ∂L/∂a_t Wx."""
    case = json.loads(path.read_text())
    prob, want = case["problem"], case["expected"]
    layers = prob["layers"]
    r = 2 if layers[0].get("kind") == "embedding" else 1
    layer, kind = layers[r - 1], layers[r - 1]["kind"]
    in_out = prob.get("layout", "out_in") == "in_out"
    single = np.ndim(want["forward"][f"h{r}"]) == 2
    g = {k: np.asarray(v, dtype=float) for k, v in want["gradients"].items()
         if not isinstance(v, dict)}
    if single:
        g = {k: v[None] for k, v in g.items()}
    np.testing.assert_allclose(g[f"h{r}"], g[f"hout{r}"] + g[f"hnext{r}"], rtol=1e-12,
                               atol=1e-15)
    assert not g[f"hnext{r}"][:, -1].any()
    if layer["output"] == "last":
        assert not g[f"hout{r}"][:, :-1].any()
    Wx, Wh = _torch_stacked(layer, "wx", in_out), _torch_stacked(layer, "wh", in_out)
    a = g[f"a{r}"]
    if kind != "rnn" and not isinstance(layer["wx"], dict):  # back to torch's order
        order = layer.get("gates", TORCH_ORDER[kind])
        parts = dict(zip(order, np.split(a, len(order), axis=-1), strict=True))
        a = np.concatenate([parts[q] for q in TORCH_ORDER[kind]], -1)
    x_grad = g["h1"] if r == 2 else g["x"]
    np.testing.assert_allclose(x_grad, a @ Wx, rtol=1e-9, atol=1e-13)
    if kind in ("rnn", "lstm"):
        np.testing.assert_allclose(g[f"hnext{r}"][:, :-1], a[:, 1:] @ Wh, rtol=1e-9,
                                   atol=1e-13)
        np.testing.assert_allclose(g["h0"], a[:, 0] @ Wh, rtol=1e-9, atol=1e-13)
    if kind == "lstm":
        f = np.asarray(want["forward"][f"f{r}"])
        f = f[None] if single else f
        assert not g[f"cnext{r}"][:, -1].any()
        np.testing.assert_allclose(g[f"cnext{r}"][:, :-1], g[f"c{r}"][:, 1:] * f[:, 1:],
                                   rtol=1e-9, atol=1e-13)
        np.testing.assert_allclose(g["c0"], g[f"c{r}"][:, 0] * f[:, 0], rtol=1e-9, atol=1e-13)
