"""`backprop new` with a sequence input: rnn, lstm and gru exercises (an embedding first if
asked) to do by hand over a few steps, drawn from a seed — valid problem files that solve,
the same file for the same seed, every number with one decimal, no saturated gate, no
relu kink, no zero gradient, settings pinned as asked, y one per step with output all, and
every refusal in one line before anything is written. The checks of the drawn numbers run
the cells again here, with numpy loops over the steps, apart from the engine."""

import json
import os

import numpy as np
import pytest
import yaml

from backprop_cli.errors import UsageError
from backprop_cli.problem import cnn, from_document, generate, rnn_exercises

SPECS = ["3x2,rnn,2", "2x3,rnn:hidden=3:output=all,2", "3x2,lstm,2", "2x2,lstm:gates=ifog,3",
         "3x2,gru,2", "3x2,gru:form=cho:gates=named,2", "2x2,gru:update=new:gates=nzr,2",
         "3,embedding,rnn,2", "2,embedding:vocab=4:size=3,lstm:output=all,3",
         "3x2,gru:output=all,3,2"]
SEEDS = range(25)
GATES = {"rnn": "a", "lstm": "ifgo", "gru": "rzn"}


def _sizes(spec: str) -> list:
    """--layers as the command line passes it on (pinned settings as (name, pairs))."""
    out = []
    for i, part in enumerate(spec.split(",")):
        name, *pins = part.split(":")
        if i == 0:
            out.append(tuple(int(d) for d in part.split("x")) if "x" in part else int(part))
        elif name in generate.KINDS:
            out.append((name, tuple((k, int(v) if v.isdigit() else v)
                                    for k, v in (p.split("=") for p in pins)))
                       if pins else name)
        else:
            out.append(int(part))
    return out


def _draw(spec: str, seed: int, loss="cross_entropy", activations=None, **options) -> dict:
    sizes = _sizes(spec)
    acts = activations or generate.default_activations(len(sizes) - 1, loss, sizes)
    return generate.problem(sizes, acts, loss, seed, **options)


# ------------------------------------------------------------------ by hand, apart


def _sigmoid(v):
    return 1 / (1 + np.exp(-v))


def _gate_rows(layer, key, kind):
    """{gate: rows} of wx, wh or bias as the file writes it (stacked in its order, or by
    name)."""
    value = layer[key]
    if isinstance(value, dict):
        return {g: np.array(v, dtype=float) for g, v in value.items()}
    arr = np.array(value, dtype=float)
    order = layer.get("gates", GATES[kind])
    H = arr.shape[0] // len(order)
    return {g: arr[k * H:(k + 1) * H] for k, g in enumerate(order)}


def _by_hand(doc):
    """Each sample's steps worked with loops: (every pre-activation of every gate, every
    lstm c_t, the rnn's nonlinearity, the last layer's a per sample and step)."""
    layers = doc["layers"]
    x = np.array(doc["x"], dtype=float)
    if layers[0]["kind"] == "embedding":
        table = np.array(layers[0]["table"])
        x = table[x.astype(int)]
        layers = layers[1:]
    x = x if x.ndim == 3 else x[None]
    cell = layers[0]
    kind = cell["kind"]
    Wx, Wh, b = (_gate_rows(cell, key, kind) for key in ("wx", "wh", "bias"))
    pres, cells, outs = [], [], []
    for sample in x:
        h = np.array(cell["h0"], dtype=float)
        c = np.array(cell.get("c0", np.zeros_like(h)), dtype=float)
        hs = []
        for xt in sample:
            a = {g: Wx[g] @ xt + Wh[g] @ h + b[g] for g in Wx if g != "n"}
            if kind == "rnn":
                h = np.tanh(a["a"]) if cell.get("activation", "tanh") == "tanh" else \
                    np.maximum(a["a"], 0)
            elif kind == "lstm":
                c = _sigmoid(a["f"]) * c + _sigmoid(a["i"]) * np.tanh(a["g"])
                h = _sigmoid(a["o"]) * np.tanh(c)
                cells.append(c)
            else:
                r, z = _sigmoid(a["r"]), _sigmoid(a["z"])
                if cell.get("form", "torch") == "torch":  # where r acts
                    a["n"] = Wx["n"] @ xt + b["n"] + r * (Wh["n"] @ h)
                else:
                    a["n"] = Wx["n"] @ xt + b["n"] + Wh["n"] @ (r * h)
                n = np.tanh(a["n"])  # which state z keeps
                h = (1 - z) * n + z * h if cell.get("update", "old") == "old" else \
                    (1 - z) * h + z * n
            pres.extend(a.values())
            hs.append(h)
        seen = hs if cell["output"] == "all" else hs[-1:]
        for out in seen:
            for dense in layers[1:]:
                out = np.array(dense["weights"]) @ out + np.array(dense["bias"])
                last = out
                out = _sigmoid(out) if dense["activation"] == "sigmoid" else out
            outs.append(last)
    return np.concatenate(pres), cells, cell.get("activation", "tanh"), np.array(outs)


def _assert_fair(doc):
    pres, cells, nonlinearity, outs = _by_hand(doc)
    assert np.abs(pres).max() <= rnn_exercises.SATURATED, "a saturated gate"
    assert all(np.abs(c).max() <= rnn_exercises.SATURATED for c in cells), "a saturated cell"
    if nonlinearity == "relu":
        assert np.abs(pres).min() > 1e-9, "a 0 into relu (a kink)"
    assert np.abs(outs).max() <= cnn.OUTPUTS


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


def _assert_one_decimal(doc):
    layers = doc["layers"]
    numbers = [v for layer in layers for key in ("wx", "wh", "bias", "h0", "c0", "weights",
                                                 "table") if key in layer
               for v in _leaves(layer[key])]
    if layers[0]["kind"] != "embedding":
        numbers += list(_leaves(doc["x"]))
    else:
        V = len(layers[0]["table"])
        assert all(isinstance(v, int) and 0 <= v < V for v in _leaves(doc["x"]))
    for value in numbers:
        assert isinstance(value, float) and abs(value) <= 1, value
        assert f"{value}" == f"{value:.1f}", value


# ------------------------------------------------------------------ many seeds


@pytest.mark.parametrize("spec", SPECS)
def test_every_seed_gives_a_fair_exercise_that_solves(spec):
    from backprop_cli.engine import network

    hidden = set()
    for seed in SEEDS:
        doc = _draw(spec, seed)
        problem = from_document(doc, f"seed {seed}")
        solved = network.solve(problem.inputs)
        numbers = [solved.forward.loss, solved.update.loss,
                   *solved.gradients.params.values()]
        assert all(np.isfinite(v).all() for v in numbers)
        for name, g in solved.gradients.params.items():  # every gate row, every weight row
            rows = np.abs(g).reshape(g.shape[0] if name.startswith("W") else 1, -1)
            assert rows.max(axis=1).min() >= cnn.SMALL, (seed, name)
        _assert_one_decimal(doc)
        _assert_fair(doc)
        _, _, _, outs = _by_hand(doc)  # the engine's output layer is the loops'
        np.testing.assert_allclose(solved.forward.a[-1], outs, atol=1e-12)
        hidden.add(problem.model.layers[problem.model.recurrent - 1].settings.hidden)
    assert len(hidden) == (1 if "hidden=" in spec else 2)  # drawn among 2 and 3


def test_the_draw_order_is_the_documented_one():
    """seed(S), one randint for the sizes, then Wx, Wh, b, h0 as tenths, W2, b2, then x
    and y: the file is that first try whenever the first try is fair."""
    def tenths(shape, most):
        return (np.random.randint(-most, most + 1, shape) / 10).tolist()

    kept = 0
    for seed in range(10):
        np.random.seed(seed)
        np.random.randint(1)  # hidden=2 pinned: one choice
        rnn = {"kind": "rnn", "wx": tenths((2, 2), 10), "wh": tenths((2, 2), 10),
               "bias": tenths(2, 5), "h0": tenths(2, 5), "activation": "tanh",
               "output": "last"}
        dense = {"weights": tenths((2, 2), 10), "bias": tenths(2, 5), "activation": "softmax"}
        x = tenths((3, 2), 10)
        first = generate.document("t", x, int(np.random.randint(2)), "cross_entropy",
                                  [rnn, dense], 2)
        if cnn.fair(first, rnn_exercises._unsaturated):
            assert _draw("3x2,rnn:hidden=2,2", seed, title="t") == first
            kept += 1
    assert kept >= 5


def test_the_drawn_sizes_cover_the_choices():
    seen = {"hidden": set(), "vocab": set(), "size": set()}
    for seed in range(60):
        doc = _draw("3,embedding,gru,2", seed)
        table = np.array(doc["layers"][0]["table"])
        seen["vocab"].add(table.shape[0])
        seen["size"].add(table.shape[1])
        seen["hidden"].add(len(doc["layers"][1]["h0"]))
    assert seen == {"hidden": set(rnn_exercises.HIDDEN), "vocab": set(rnn_exercises.VOCAB),
                    "size": set(rnn_exercises.WIDTH)}


def test_the_same_seed_gives_the_same_file_and_others_differ(run):
    args = ("new", "--layers", "3x2,lstm,2", "--seed", "11")
    first, again = run(*args), run(*args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == again.stdout
    other = run("new", "--layers", "3x2,lstm,2", "--seed", "12")
    assert yaml.safe_load(other.stdout)["x"] != yaml.safe_load(first.stdout)["x"]
    for spec in SPECS:
        assert _draw(spec, 5) == _draw(spec, 5)


# ------------------------------------------------------------------ the file


def test_the_written_keys_say_what_the_numbers_mean(run):
    lstm = yaml.safe_load(run("new", "--layers", "3x2,lstm:gates=ifog:hidden=2,2").stdout)
    layer = lstm["layers"][0]
    assert list(layer) == ["kind", "wx", "wh", "bias", "h0", "c0", "output", "gates"]
    assert (layer["output"], layer["gates"]) == ("last", "ifog")
    assert np.array(layer["wx"]).shape == (8, 2) and np.array(layer["wh"]).shape == (8, 2)
    assert np.array(lstm["x"]).shape == (3, 2) and isinstance(lstm["y"], int)
    gru = yaml.safe_load(run("new", "--layers", "2x2,gru:gates=named:form=cho,2").stdout)
    layer = gru["layers"][0]
    assert "gates" not in layer and (layer["form"], layer["update"]) == ("cho", "old")
    assert sorted(layer["wx"]) == sorted(layer["bias"]) == ["n", "r", "z"]
    rnn = yaml.safe_load(run("new", "--layers", "2x2,rnn,2", "--activations",
                             "relu,softmax", "--seed", "3").stdout)
    assert rnn["layers"][0]["activation"] == "relu" and "c0" not in rnn["layers"][0]
    _assert_fair(rnn)


def test_the_answer_key_holds_every_step(run, tmp_path):
    """`solve` of the written variants: h1 and a1 every step (T, ·) for one sample, the
    gates, the gradients summed over time in the file's form, ∂L/∂h0 and ∂L/∂x."""
    folder = tmp_path / "seq"
    result = run("new", "--layers", "3x2,lstm:hidden=2,2", "--seed", "7", "--count", "3",
                 "-o", folder)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (f"wrote 3 problems to {folder} (variant-000.yaml to "
                             "variant-002.yaml)\n")
    paths = sorted(folder.iterdir())
    key = run("solve", *paths, "--format", "json")
    assert key.exit_code == 0, key.stderr
    for path, solved in zip(paths, json.loads(key.stdout), strict=True):
        doc = yaml.safe_load(path.read_text())
        assert doc["title"].startswith("Variant ")
        forward, grads = solved["forward"], solved["gradients"]
        assert np.array(forward["h1"]).shape == (3, 2)
        assert np.array(forward["a1"]).shape == (3, 8)
        assert all(np.array(forward[g + "1"]).shape == (3, 2) for g in "ifgoc")
        pres, _, _, _ = _by_hand(doc)
        assert np.allclose(np.sort(np.ravel(forward["a1"])), np.sort(pres), atol=1e-12)
        assert np.array(grads["Wx1"]).shape == (8, 2)
        assert np.array(grads["h0"]).shape == (2,) and np.array(grads["x"]).shape == (3, 2)
        assert np.isfinite(solved["loss"]) and np.isfinite(solved["update"]["loss"])
    csv = run("solve", *paths, "--format", "csv")
    assert csv.exit_code == 0 and len(csv.stdout.splitlines()) == 1 + 3
    for path in paths:
        assert run("check", path).exit_code == 0


def test_output_all_draws_a_target_per_step(run):
    one = yaml.safe_load(run("new", "--layers", "3x2,rnn:output=all,3", "--seed", "2").stdout)
    assert len(one["y"]) == 3 and all(0 <= c < 3 for c in one["y"])
    batch = run("new", "--layers", "3x2,gru:output=all,2", "--batch", "2", "--loss", "mse",
                "--seed", "4")
    assert batch.exit_code == 0, batch.stderr
    doc = yaml.safe_load(batch.stdout)
    assert np.array(doc["x"]).shape == (2, 3, 2) and np.array(doc["y"]).shape == (2, 3, 2)
    assert all(sum(row) == 1 for sample in doc["y"] for row in sample)  # one-hot rows
    _assert_fair(doc)
    tokens = yaml.safe_load(run("new", "--layers", "2,embedding,lstm:output=all,2", "--batch",
                                "3", "--seed", "5").stdout)
    assert np.array(tokens["x"]).shape == (3, 2) and np.array(tokens["y"]).shape == (3, 2)
    _assert_one_decimal(tokens)
    upstream = yaml.safe_load(run("new", "--layers", "2x2,rnn:output=all,2", "--loss",
                                  "upstream", "--seed", "2").stdout)
    assert np.array(upstream["y"]).shape == (2, 2)
    assert all(round(v, 1) == v for v in _leaves(upstream["y"]))


def test_a_given_x_and_y_are_kept(run):
    result = run("new", "--layers", "2x2,rnn,2", "--x", "1,0.5,-1,0", "--y", "1")
    assert result.exit_code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["x"] == [[1, 0.5], [-1, 0]] and doc["y"] == 1
    tokens = run("new", "--layers", "3,embedding:vocab=4,gru:output=all,2", "--x", "3,0,1",
                 "--y", "1,0,1")
    assert tokens.exit_code == 0, tokens.stderr
    doc = yaml.safe_load(tokens.stdout)
    assert doc["x"] == [3, 0, 1] and doc["y"] == [1, 0, 1]
    rows = yaml.safe_load(run("new", "--layers", "2x2,rnn:output=all,2", "--loss", "mse",
                              "--y", "1,0,0.5,0.5").stdout)
    assert rows["y"] == [[1, 0], [0.5, 0.5]]
    hot = yaml.safe_load(run("new", "--layers", "2x2,rnn:output=all,2", "--loss", "mse",
                             "--y", "1,0").stdout)
    assert hot["y"] == [[0, 1], [1, 0]]


def test_the_dense_and_cnn_draws_are_unchanged():
    doc = generate.problem([3, 3, 3, 3], ["sigmoid", "sigmoid", "softmax"], "cross_entropy",
                           0, 8, x=[1, 0, 1], y=2)
    assert doc["layers"][0]["weights"][0] == [0.5488135, 0.71518937, 0.60276338]
    assert generate.default_activations(3, "cross_entropy", [(3, 2), "lstm", 4, 2]) == \
        ["tanh", "sigmoid", "softmax"]
    assert generate.default_activations(3, "mse", [(5, 5), "conv2d", "flatten", 2]) == \
        ["relu", "identity", "sigmoid"]


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("layers, message", [
    ("3x2,embedding,rnn,2", "Error: --layers: an embedding reads one token index per step: "
                            "give the input as T, the number of steps, like "
                            "3,embedding,rnn,2\n"),
    ("3,rnn,2", "Error: --layers: found the input 3 before rnn, expected TxD (T steps of D "
                "features), like 3x2,rnn,2, or T token indices before an embedding, like "
                "3,embedding,rnn,2\n"),
    ("1x3x2,lstm,2", "Error: --layers: found the input 1x3x2 before lstm"),
    ("3,embedding,2", "Error: --layers: found a width (2) after the embedding, expected a "
                      "recurrent layer (rnn, lstm or gru): like 3x2,rnn,2 or "
                      "3,embedding,lstm,2\n"),
    ("3x2,4,rnn,2", "Error: --layers: found a width (4) after the input, expected a "
                    "recurrent layer"),
    ("3x2,rnn,embedding,2", "Error: --layers: found embedding after rnn, expected dense "
                            "widths only after the recurrent layer (one per network)\n"),
    ("3x2,rnn,gru,2", "Error: --layers: found gru after rnn"),
    ("3x2,lstm,dropout,2", "Error: --layers: found dropout after lstm"),
    ("3x3,conv2d,rnn,2", "Error: --layers: found conv2d after the input, expected a "
                         "recurrent layer"),
])
def test_orders_that_make_no_sequence_exercise(run, tmp_path, monkeypatch, layers, message):
    monkeypatch.chdir(tmp_path)
    result = run("new", "--layers", layers, "-o", "p.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("layers, found", [
    ("3x2,rnn:output=some,2", "found 'output=some' in 'rnn:output=some', expected "
                              "output=last or output=all"),
    ("3x2,lstm:gates=ifgx,2", "found 'gates=ifgx' in 'lstm:gates=ifgx', expected gates= the "
                              "letters i, f, g, o in some order (the stacked rows', torch's "
                              "ifgo, CS231n's ifog) or gates=named"),
    ("3x2,gru:gates=ifgo,2", "expected gates= the letters r, z, n in some order"),
    ("3x2,gru:form=paper,2", "found 'form=paper' in 'gru:form=paper', expected form=torch"),
    ("3x2,gru:update=z,2", "found 'update=z' in 'gru:update=z', expected update=old (h' = "
                           "(1 - z) n + z h: torch, Cho et al.) or update=new"),
    ("3x2,lstm:update=new,2", "expected the settings hidden, output, gates, each once"),
    ("3x2,rnn:gates=ifgo,2", "expected the settings hidden, output, each once"),
    ("3x2,rnn:hidden=0,2", "expected hidden=N with N a whole number of at least 1"),
    ("3,embedding:vocab=x,rnn,2", "expected vocab=N with N a whole number"),
])
def test_settings_that_are_no_settings(run, layers, found):
    result = run("new", "--layers", layers)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for --layers: ")
    assert found in result.stderr and result.stdout == ""


@pytest.mark.parametrize("layers, args, message", [
    ("3x2,rnn,2", ["--decimals", "2"], "Error: --decimals 2: a sequence exercise draws every "
                                       "number with one decimal (--decimals 1, the default)\n"),
    ("3x2,rnn,2", ["--init", "xavier"], "Error: --init does not go with a sequence exercise: "
                                        "it draws every number with one decimal\n"),
    ("3x2,rnn,2", ["--x", "1,2,3"], "Error: Invalid value for --x: found 3 numbers, expected 6 "
                                    "(the steps' features, step after step)"),
    ("3,embedding,rnn,2", ["--x", "1,2"], "Error: Invalid value for --x: found 2 numbers, "
                                          "expected 3 (a token index per step)"),
    ("3,embedding:vocab=4,rnn,2", ["--x", "1,4,0"], "Error: --x: found 4, expected a token "
                                                    "index 0 to 3: the embedding's table has "
                                                    "4 rows (pin embedding:vocab=V for more)\n"),
    ("3x2,lstm,2", ["--activations", "relu,softmax"], "Error: --activations: found relu for "
                                                      "lstm, expected tanh (an lstm's cell "
                                                      "has its own sigmoid gates and tanh)\n"),
    ("3x2,rnn,2", ["--activations", "sigmoid,softmax"], "Error: --activations: found sigmoid "
                                                        "for rnn, expected tanh or relu (its "
                                                        "nonlinearity)\n"),
    ("3,embedding,rnn,2", ["--activations", "tanh,tanh,softmax"], "Error: --activations: "
                                                                  "found tanh for embedding, "
                                                                  "expected identity"),
    ("3x2,rnn:output=all,2", ["--y", "1,0"], "Error: --y: found 2 numbers, expected a class "
                                             "index per step (3) or a target per step and "
                                             "output (3·2 = 6)"),
    ("3x2,rnn:output=all,2", ["--y", "1,0,2"], "Error: --y 1,0,2: found a class index out of "
                                               "range, expected 0 to 1 at each step\n"),
])
def test_options_a_sequence_exercise_refuses(run, tmp_path, monkeypatch, layers, args,
                                             message):
    monkeypatch.chdir(tmp_path)
    result = run("new", "--layers", layers, *args, "-o", "p.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert os.listdir(tmp_path) == []


def test_decimals_one_is_the_default():
    assert _draw("3x2,gru,2", 3, decimals=1) == _draw("3x2,gru,2", 3)


def test_no_fair_draw_is_refused_naming_what_to_change(monkeypatch):
    monkeypatch.setattr(cnn, "TRIES", 20)
    monkeypatch.setattr(rnn_exercises, "SATURATED", 0.0)  # every gate saturates
    with pytest.raises(UsageError) as caught:
        _draw("3x2,lstm,2", 0)
    assert str(caught.value) == (
        "--layers: no draw in 20 tries gave an exercise without a saturated gate (|a| beyond "
        "0), a kink, a zero gradient or an output beyond ±5: try a smaller hidden size or "
        "fewer steps")


def test_the_help_shows_a_sequence_exercise(run):
    text = " ".join(run("new", "--help").stdout.split())
    for words in ("makes an exercise in backpropagation through time", "rnn:hidden=3:output=all",
                  "gates=named", "backprop new --layers 3x2,rnn:hidden=3,2 --seed 1"):
        assert words in text, words
