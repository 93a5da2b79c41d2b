"""`backprop new` with an image input: CNN exercises to do by hand, drawn from a seed —
valid problem files that solve, the same file for the same seed, whole-number pixels and
one-decimal weights, whole outputs, no kink, no max-pool tie, no zero gradient, settings
pinned as asked, and every refusal in one line before anything is written. The checks of
the drawn numbers work the network again here, with numpy loops, apart from the engine."""

import json
import math
import os

import numpy as np
import pytest
import yaml

from backprop_cli.errors import UsageError
from backprop_cli.problem import cnn, from_document, generate, load

SPECS = ["5x5,conv2d,maxpool2d,flatten,3", "2x6x6,conv2d,avgpool2d,flatten,2",
         "4x4,conv2d,maxpool2d,flatten,3", "1x6x6,conv2d,maxpool2d,flatten,4,3",
         "6x6,conv2d,conv2d,flatten,2"]
SEEDS = range(30)


def _sizes(spec: str) -> list:
    """--layers as the command line passes it on (pinned settings as (name, pairs))."""
    out = []
    for i, part in enumerate(spec.split(",")):
        name, *pins = part.split(":")
        if i == 0:
            out.append(tuple(int(d) for d in part.split("x")))
        elif name in generate.KINDS:
            out.append((name, tuple((k, int(v)) for k, v in (p.split("=") for p in pins)))
                       if pins else name)
        else:
            out.append(int(part))
    return out


def _draw(spec: str, seed: int, **options) -> dict:
    sizes = _sizes(spec)
    acts = generate.default_activations(len(sizes) - 1, options.get("loss", "cross_entropy"),
                                        sizes)
    return generate.problem(sizes, acts, options.pop("loss", "cross_entropy"), seed, **options)


# ------------------------------------------------------------------ by hand, apart


def _samples(doc) -> np.ndarray:
    """x as (N, C, H, W) whatever rank the file wrote."""
    x = np.array(doc["x"], dtype=float)
    return x.reshape((1,) * (4 - x.ndim) + x.shape)


def _windows(x, k, s, p, fill):
    """{(i, j): the (C, k, k) window at output cell (i, j)} of x (C, H, W), padded by p."""
    C, H, W = x.shape
    xp = np.full((C, H + 2 * p, W + 2 * p), float(fill))
    xp[:, p:p + H, p:p + W] = x
    assert (H + 2 * p - k) % s == 0 and (W + 2 * p - k) % s == 0, "a fractional output"
    Ho, Wo = (H + 2 * p - k) // s + 1, (W + 2 * p - k) // s + 1
    return {(i, j): xp[:, i * s:i * s + k, j * s:j * s + k]
            for i in range(Ho) for j in range(Wo)}, (Ho, Wo)


def _by_hand(doc) -> list:
    """Each sample's layer inputs worked out with loops: [(kind, a or window list)] with
    the relu inputs and the max-pool windows to check."""
    seen = []
    for h in _samples(doc):
        for layer in doc["layers"]:
            kind = layer.get("kind", "dense")
            if kind == "conv2d":
                W, b = np.array(layer["weights"]), np.array(layer["bias"])
                wins, (Ho, Wo) = _windows(h, W.shape[2], layer["stride"], layer["padding"], 0)
                a = np.zeros((W.shape[0], Ho, Wo))
                for (i, j), win in wins.items():
                    for o in range(W.shape[0]):
                        a[o, i, j] = sum(W[o].ravel()[t] * win.ravel()[t]
                                         for t in range(win.size)) + b[o]
                seen.append(("a", layer["activation"], a))
                h = np.maximum(a, 0) if layer["activation"] == "relu" else a
            elif kind in ("maxpool2d", "avgpool2d"):
                wins, (Ho, Wo) = _windows(h, layer["size"], layer["stride"], 0, -np.inf)
                pick = np.max if kind == "maxpool2d" else np.mean
                out = np.zeros((h.shape[0], Ho, Wo))
                for (i, j), win in wins.items():
                    for c in range(h.shape[0]):
                        out[c, i, j] = pick(win[c])
                        if kind == "maxpool2d":
                            seen.append(("window", None, win[c]))
                h = out
            elif kind == "flatten":
                h = h.ravel()
            else:
                a = np.array(layer["weights"]) @ h + np.array(layer["bias"])
                seen.append(("a", layer["activation"], a))
                h = 1 / (1 + np.exp(-a)) if layer["activation"] == "sigmoid" else a
    return seen


def _assert_fair(doc):
    for what, activation, values in _by_hand(doc):
        if what == "a" and activation == "relu":
            assert np.abs(values).min() > 1e-9, "a 0 into relu (a kink)"
        if what == "window":
            top = np.sort(values.ravel())[-2:]
            assert top[1] - top[0] > 1e-9, f"a max-pool tie in {values.tolist()}"


def _assert_by_hand_numbers(doc):
    x = _samples(doc)
    assert np.array_equal(x, np.round(x)) and x.min() >= 0 and x.max() <= 3
    for value in _numbers(doc["layers"]):
        assert isinstance(value, float) and abs(value) <= 1
        assert round(value, 1) == value and f"{value}" == f"{value:.1f}", value


def _numbers(layers):
    for layer in layers:
        for key in ("weights", "bias"):
            if key in layer:
                yield from _leaves(layer[key])


def _leaves(value):
    if isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


# ------------------------------------------------------------------ many seeds


@pytest.mark.parametrize("spec", SPECS)
def test_every_seed_gives_a_fair_exercise_that_solves(spec):
    from backprop_cli.engine import network

    geometries = set()
    for seed in SEEDS:
        doc = _draw(spec, seed)
        problem = from_document(doc, f"seed {seed}")
        solved = network.solve(problem.inputs)
        numbers = [solved.forward.loss, solved.update.loss,
                   *solved.gradients.params.values(), solved.gradients.x]
        assert all(np.isfinite(v).all() for v in numbers)
        for name, g in solved.gradients.params.items():  # every kernel, every weight row
            rows = np.abs(g).reshape(g.shape[0] if name.startswith("W") else 1, -1)
            assert rows.max(axis=1).min() >= cnn.SMALL, (seed, name)
        assert np.abs(solved.forward.a[-1]).max() <= cnn.OUTPUTS
        _assert_by_hand_numbers(doc)
        _assert_fair(doc)
        geometries.add(json.dumps([{k: v for k, v in layer.items()
                                    if k in ("kind", "stride", "padding", "size")}
                                   for layer in doc["layers"]]))
    assert len(geometries) > 1  # the settings are drawn too


def test_the_drawn_settings_cover_the_choices():
    """Over the seeds: one and two kernels, 2×2 and 3×3, stride 1 and 2, padding 0 and 1,
    and the maps prefer at most 32 conv outputs and 4 to 18 flattened features."""
    seen = {"kernels": set(), "size": set(), "stride": set(), "padding": set()}
    for seed in range(80):
        doc = _draw("6x6,conv2d,maxpool2d,flatten,3", seed)
        conv = doc["layers"][0]
        W = np.array(conv["weights"])
        seen["kernels"].add(W.shape[0])
        seen["size"].add(W.shape[2])
        seen["stride"].add(conv["stride"])
        seen["padding"].add(conv["padding"])
        model = from_document(doc, "x").inputs.model
        assert math.prod(model.map_of(1)) <= cnn.CELLS
        assert cnn.NARROWEST <= math.prod(model.map_of(2)) <= cnn.WIDEST
    assert seen == {"kernels": {1, 2}, "size": {2, 3}, "stride": {1, 2}, "padding": {0, 1}}


def test_the_same_seed_gives_the_same_file_and_others_differ(run):
    args = ("new", "--layers", "2x5x5,conv2d,maxpool2d,flatten,3", "--seed", "11")
    first, again = run(*args), run(*args)
    assert first.exit_code == 0, first.stderr
    assert first.stdout == again.stdout
    other = run("new", "--layers", "2x5x5,conv2d,maxpool2d,flatten,3", "--seed", "12")
    assert yaml.safe_load(other.stdout)["x"] != yaml.safe_load(first.stdout)["x"]
    for spec in SPECS:
        assert _draw(spec, 5) == _draw(spec, 5)


def test_pinned_settings_are_kept_in_every_variant(run, tmp_path):
    spec = "6x6,conv2d:kernels=2:size=3:stride=1:padding=1,maxpool2d:size=2:stride=2,flatten,3"
    result = run("new", "--layers", spec, "--count", "4", "-o", tmp_path / "v")
    assert result.exit_code == 0, result.stderr
    for path in sorted((tmp_path / "v").iterdir()):
        doc = yaml.safe_load(path.read_text())
        conv, pool = doc["layers"][:2]
        assert np.array(conv["weights"]).shape == (2, 1, 3, 3)
        assert (conv["stride"], conv["padding"], pool["size"], pool["stride"]) == (1, 1, 2, 2)
        _assert_fair(doc)
    assert run("solve", *sorted((tmp_path / "v").iterdir()), "--get", "loss").exit_code == 0


# ------------------------------------------------------------------ the file


def test_the_file_loads_and_solves_with_the_conv_quantities(run, tmp_path):
    """The answer key (`solve` of the written variants) holds every conv quantity: a1, h1
    as maps, the kernels' gradient (C_out, C_in, kH, kW), the max pool's output, ∂L/∂x."""
    folder = tmp_path / "cnn"
    result = run("new", "--layers", "5x5,conv2d:kernels=2,maxpool2d,flatten,3", "--seed", "7",
                 "--count", "3", "-o", folder)
    assert (result.exit_code, result.stdout) == (0, "")
    assert result.stderr == (f"wrote 3 problems to {folder} (variant-000.yaml to "
                             "variant-002.yaml)\n")
    paths = sorted(folder.iterdir())
    assert [p.name for p in paths] == ["variant-000.yaml", "variant-001.yaml",
                                       "variant-002.yaml"]
    for path in paths:
        problem = load(str(path))
        assert problem.title.startswith("Variant ")
    key = run("solve", *paths, "--format", "json")
    assert key.exit_code == 0, key.stderr
    for path, solved in zip(paths, json.loads(key.stdout), strict=True):
        doc = yaml.safe_load(path.read_text())
        W = np.array(doc["layers"][0]["weights"])
        assert np.array(solved["gradients"]["W1"]).shape == W.shape == (2, 1, *W.shape[2:])
        a1 = np.array(solved["forward"]["a1"])
        hand = [v for what, _, v in _by_hand(doc) if what == "a"][0]
        np.testing.assert_allclose(a1, hand, atol=1e-12)  # (C, H, W), one sample
        assert np.array(solved["forward"]["h2"]).ndim == 3  # the pool's map
        assert np.array(solved["gradients"]["x"]).shape == (5, 5)
        assert np.isfinite(solved["loss"]) and np.isfinite(solved["update"]["loss"])
    csv = run("solve", *paths, "--format", "csv")
    assert csv.exit_code == 0 and len(csv.stdout.splitlines()) == 1 + 3


def test_x_is_written_as_the_input_was_given(run):
    one = yaml.safe_load(run("new", "--layers", "4x4,conv2d,flatten,2").stdout)
    assert np.array(one["x"]).shape == (4, 4) and isinstance(one["y"], int)
    chans = yaml.safe_load(run("new", "--layers", "1x4x4,conv2d,flatten,2").stdout)
    assert np.array(chans["x"]).shape == (1, 4, 4)
    batch = run("new", "--layers", "2x5x5,conv2d,maxpool2d,flatten,3", "--batch", "2",
                "--seed", "3")
    assert batch.exit_code == 0, batch.stderr
    doc = yaml.safe_load(batch.stdout)
    assert np.array(doc["x"]).shape == (2, 2, 5, 5) and len(doc["y"]) == 2
    _assert_fair(doc)
    _assert_by_hand_numbers(doc)


def test_a_given_x_and_y_are_kept(run):
    pixels = [3, 1, 0, 2, 1, 2, 3, 0, 0, 1, 2, 3, 2, 0, 1, 3, 1, 2, 0, 1, 3, 2, 1, 0, 2]
    result = run("new", "--layers", "5x5,conv2d,maxpool2d,flatten,3",
                 "--x", ",".join(map(str, pixels)), "--y", "2", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["x"] == np.reshape(pixels, (5, 5)).tolist() and doc["y"] == 2
    _assert_fair(doc)


def test_json_by_the_name_and_other_losses(run, tmp_path):
    target = tmp_path / "p.json"
    result = run("new", "--layers", "5x5,conv2d,avgpool2d,flatten,1", "--loss", "bce",
                 "--seed", "2", "-o", target)
    assert result.exit_code == 0, result.stderr
    doc = json.loads(target.read_text())
    assert doc["layers"][-1]["activation"] == "sigmoid" and doc["y"] in ([0], [1])
    assert float(run("solve", target, "--get", "loss").stdout) > 0
    upstream = yaml.safe_load(run("new", "--layers", "5x5,conv2d,flatten,2", "--loss",
                                  "upstream", "--seed", "2").stdout)
    assert all(round(v, 1) == v for v in upstream["y"])


def test_activations_given_are_kept_and_checked_for_kinks(run):
    result = run("new", "--layers", "5x5,conv2d,maxpool2d,flatten,3", "--activations",
                 "leaky_relu,identity,identity,softmax", "--seed", "4")
    assert result.exit_code == 0, result.stderr
    doc = yaml.safe_load(result.stdout)
    assert doc["layers"][0]["activation"] == "leaky_relu"
    assert "activation" not in doc["layers"][1]  # a pool's default, identity
    a1 = [v for what, _, v in _by_hand(doc) if what == "a"][0]
    assert np.abs(a1).min() > 1e-9


def test_the_dense_draws_are_unchanged():
    """Without an image input the draws are the old ones (KINDS grew, not the order)."""
    doc = generate.problem([3, 3, 3, 3], ["sigmoid", "sigmoid", "softmax"], "cross_entropy",
                           0, 8, x=[1, 0, 1], y=2)
    assert doc["layers"][0]["weights"][0] == [0.5488135, 0.71518937, 0.60276338]


# ------------------------------------------------------------------ refusals


@pytest.mark.parametrize("layers, message", [
    ("5x5,conv2d,3", "Error: --layers: an image goes through map layers (conv2d, maxpool2d, "
                     "avgpool2d) and flatten before dense layers, found a width (3) before "
                     "flatten: like 1x5x5,conv2d,maxpool2d,flatten,3\n"),
    ("5x5,3", "Error: --layers: an image goes through map layers (conv2d, maxpool2d, "
              "avgpool2d) and flatten before dense layers, found a width (3) before "
              "flatten: like 1x5x5,conv2d,maxpool2d,flatten,3\n"),
    ("5x5,conv2d,dropout,flatten,3", "Error: --layers: an image goes through map layers "
                                     "(conv2d, maxpool2d, avgpool2d) and flatten before dense "
                                     "layers, found dropout before flatten: like "
                                     "1x5x5,conv2d,maxpool2d,flatten,3\n"),
    ("5,conv2d,flatten,3", "Error: --layers: conv2d, maxpool2d, avgpool2d and flatten take an "
                           "image: give the input as HxW or CxHxW, like "
                           "1x5x5,conv2d,maxpool2d,flatten,3\n"),
    ("5x5,conv2d,flatten,maxpool2d,3", "Error: --layers: found maxpool2d after flatten, "
                                       "expected widths (or batchnorm, layernorm, dropout) "
                                       "after it\n"),
    ("5x5,conv2d:size=4:stride=2,flatten,3",
     "Error: --layers: no sizes, strides and paddings give whole outputs from a 1x5x5 input "
     "with the settings pinned: pin fewer, or change the input's size\n"),
])
def test_orders_and_sizes_that_make_no_cnn(run, tmp_path, monkeypatch, layers, message):
    monkeypatch.chdir(tmp_path)
    result = run("new", "--layers", layers, "-o", "p.yaml")
    assert result.exit_code == 2
    assert result.stderr == message if message.startswith("Error") else message in result.stderr
    assert len(result.stderr.splitlines()) == 1 and os.listdir(tmp_path) == []


@pytest.mark.parametrize("layers, found", [
    ("5x5,conv2d:foo=1,flatten,3", "found 'foo=1' in 'conv2d:foo=1', expected the settings "
                                   "kernels, size, stride, padding, each once"),
    ("5x5,conv2d:size=2:size=3,flatten,3", "found 'size=3' in 'conv2d:size=2:size=3'"),
    ("5x5,conv2d:stride=0,flatten,3", "found 'stride=0' in 'conv2d:stride=0', expected "
                                      "stride=N with N a whole number of at least 1"),
    ("5x5,maxpool2d:padding=1,flatten,3", "expected the settings size, stride, each once"),
    ("5x5,conv2d,flatten:size=2,3", "expected no settings: flatten has none to pin"),
    ("5x5x,conv2d,flatten,3", "found '5x5x', expected the input's size or an image's, HxW or "
                              "CxHxW in positive whole numbers"),
    ("0x5,conv2d,flatten,3", "found '0x5'"),
    ("conv2d,flatten,3", "expected positive whole numbers, input size first"),
    ("5x5,conv2d,flatten", "expected positive whole numbers, input size first"),
])
def test_settings_that_are_no_settings(run, layers, found):
    result = run("new", "--layers", layers)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for --layers: ")
    assert found in result.stderr and result.stdout == ""


@pytest.mark.parametrize("args, message", [
    (["--decimals", "2"], "Error: --decimals 2: a CNN exercise draws x as whole numbers and "
                          "weights and biases with one decimal (--decimals 1, the default)\n"),
    (["--decimals", "0"], "Error: --decimals 0: a CNN exercise"),
    (["--init", "he"], "Error: --init does not go with an image input: a CNN exercise draws x "
                       "as whole numbers, weights and biases with one decimal\n"),
    (["--x", "1,2,3"], "Error: Invalid value for --x: found 3 numbers, expected 25 (the "
                       "image's pixels, row by row, channel after channel)"),
])
def test_options_a_cnn_exercise_refuses(run, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run("new", "--layers", "5x5,conv2d,maxpool2d,flatten,3", *args, "-o", "p.yaml")
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and len(result.stderr.splitlines()) == 1
    assert os.listdir(tmp_path) == []


def test_decimals_one_is_the_default():
    assert _draw("5x5,conv2d,maxpool2d,flatten,3", 3, decimals=1) == \
        _draw("5x5,conv2d,maxpool2d,flatten,3", 3)


def test_no_fair_draw_is_refused_naming_what_to_change(monkeypatch):
    """An x of zeros makes every conv output its bias: a max pool ties in every try."""
    monkeypatch.setattr(cnn, "TRIES", 20)
    with pytest.raises(UsageError) as caught:
        _draw("4x4,conv2d,maxpool2d,flatten,2", 0, x=[0] * 16)
    assert str(caught.value) == (
        "--layers: no draw in 20 tries gave an exercise without a kink (0 into relu), a "
        "max-pool tie, a zero gradient or an output beyond ±5: try other settings, smaller "
        "maps or another --x")


def test_the_help_shows_a_cnn_exercise(run):
    text = " ".join(run("new", "--help").stdout.split())
    for words in ("An image input (HxW or CxHxW) makes a CNN exercise",
                  "conv2d:kernels=2:size=3:stride=1:padding=1",
                  "backprop new --layers 1x5x5,conv2d,maxpool2d,flatten,3 --seed 4"):
        assert words in text, words
