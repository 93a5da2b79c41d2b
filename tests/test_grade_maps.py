"""`backprop grade` on convolution and pooling: the proof of the diagnosis for the map
kinds' slips. For each slip (kernel-flip, padding-ignored, stride-backward,
maxpool-gradient-spread, avgpool-no-divide), on every network here where it can be made,
a sheet worked with that slip by the independent by-hand worker (maps_textbook.py: numpy
loops over the windows, not the catalogue) is diagnosed as that slip in every quantity the
slip changes, and every quantity it does not change is correct, in full precision and
written to 4 decimals. The worker is checked against solve first.

Also: the exact sheet scores full marks (full precision and rounded to 4 decimals; and
solve's own document for every PyTorch fixture of tests/golden/conv/, whatever its
optimizer); one wrong number early (forward.a1's first entry) is the only wrong answer
(arithmetic), everything worked from it carried; each rule's spread is its finite
difference; `backprop grade` on a sheet end to end (table, markdown, csv).

Sheets write their numbers to 15 decimals: at full float64 precision (17 significant
figures) a cancellation's residue (5.6e-17 for 0) would ask for 30 decimals of a 0.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
from helpers import GOLDEN, assert_diagnosed
from maps_textbook import Maps
from test_grade_textbook import sheet_text

from backprop_cli.engine import slips
from backprop_cli.engine.grading import worlds
from backprop_cli.engine.grading.defaults import DEFAULT
from backprop_cli.engine.grading.graph import nodes
from backprop_cli.problem import from_document
from backprop_cli.problem.documents import parse_text

# The issue's example (its a.yaml, the weights' rows on two lines): 1×4×4 -> conv 2@2×2
# relu -> max pool 2 stride 1 -> flatten -> dense 2 softmax. Its lr 1 (the default)
# saturates the softmax after the update (the loss after it is 0 in float64), so its
# slips are worked with lr 0.1 (A_SLOW).
A = """x: [[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]]
channels: first
layers:
  - kind: conv2d
    weights: [[[[1, 0], [0, -1]]], [[[0.5, 1], [-1, 0]]]]
    bias: [0.1, -0.2]
    activation: relu
  - kind: maxpool2d
    size: 2
    stride: 1
  - kind: flatten
  - weights: [[0.1, 0.2, -0.1, 0.3, 0.2, -0.3, 0.1, 0.4],
              [0.2, -0.1, 0.3, 0.1, -0.2, 0.1, 0.3, -0.1]]
    bias: [0, 0.1]
    activation: softmax
loss: cross_entropy
y: 1
"""
A_SLOW = A + "optimizer: {name: sgd, lr: 0.1}\n"

# A strided, padded convolution of two channels into three (tanh), then an average pool
# that is strided and padded too, flatten, a sigmoid layer with BCE, an L2 penalty (on the
# convolution's kernels as on the dense weights); a batch of two.
STRIDED = """
x: [[[[0.5, -1.0, 2.0, 0.0, 1.0], [1.5, 0.5, -0.5, 1.0, -2.0], [0.0, 2.0, 1.0, -1.0, 0.5],
      [-1.5, 0.0, 0.5, 2.0, 1.0], [1.0, -0.5, 0.0, 0.5, -1.0]],
     [[-0.5, 1.0, 0.0, 1.5, 0.5], [2.0, -1.0, 0.5, 0.0, 1.0], [0.5, 0.5, -2.0, 1.0, 0.0],
      [1.0, -1.5, 0.0, 0.5, 2.0], [0.0, 1.0, 1.5, -0.5, 0.5]]],
    [[[1.0, 0.0, -1.0, 0.5, 2.0], [-0.5, 1.5, 0.0, 1.0, -1.0], [2.0, -1.0, 0.5, 0.0, 1.5],
      [0.5, 1.0, -0.5, -2.0, 0.0], [-1.0, 0.5, 1.0, 1.5, 0.5]],
     [[0.0, -2.0, 1.0, 0.5, -0.5], [1.0, 0.5, 1.5, -1.0, 0.0], [-0.5, 0.0, 1.0, 2.0, 0.5],
      [1.5, 0.5, 0.0, -1.0, 1.0], [0.5, -1.0, 2.0, 0.0, -0.5]]]]
y: [[1.0, 0.0], [0.0, 1.0]]
loss: bce
layers:
  - kind: conv2d
    weights: [[[[0.2, -0.1, 0.3], [0.0, 0.4, -0.2], [0.1, 0.2, -0.3]],
               [[-0.2, 0.1, 0.0], [0.3, -0.1, 0.2], [0.0, -0.3, 0.1]]],
              [[[0.1, 0.0, -0.2], [0.2, 0.1, 0.0], [-0.1, 0.3, 0.2]],
               [[0.3, -0.2, 0.1], [0.0, 0.2, -0.1], [0.1, 0.0, 0.4]]],
              [[[-0.3, 0.2, 0.0], [0.1, -0.2, 0.3], [0.2, 0.0, -0.1]],
               [[0.0, 0.1, 0.2], [-0.1, 0.3, 0.0], [0.2, -0.2, 0.1]]]]
    bias: [0.1, -0.1, 0.05]
    stride: 2
    padding: 1
    activation: tanh
  - kind: avgpool2d
    size: 3
    stride: 2
    padding: 1
  - kind: flatten
  - weights: [[0.3, -0.2, 0.1, 0.4, -0.1, 0.2, 0.0, 0.3, -0.3, 0.1, 0.2, -0.2],
              [-0.1, 0.2, 0.3, -0.2, 0.1, 0.0, 0.4, -0.1, 0.2, 0.3, -0.3, 0.1]]
    bias: [0.0, 0.1]
    activation: sigmoid
l2: {lambda: 0.1, form: lambda/2}
optimizer: {name: sgd, lr: 0.5}
"""

# A true convolution (flip: true) of one (H, W) sample, a max pool padded with −inf, MSE.
FLIP = """
x: [[1.0, -0.5, 2.0, 0.0], [0.5, 1.5, -1.0, 1.0], [-2.0, 0.0, 0.5, 1.5], [1.0, 2.0, -0.5, 0.0]]
y: [0.5, -0.2, 0.3, 0.1]
loss: mse
layers:
  - kind: conv2d
    weights: [[[[0.5, -0.3], [0.2, 0.1]]]]
    bias: [0.1]
    flip: true
  - kind: maxpool2d
    size: 3
    stride: 2
    padding: 1
  - kind: flatten
  - weights: [[0.4, -0.3, 0.2, 0.1], [0.1, 0.2, -0.4, 0.3], [-0.2, 0.5, 0.1, 0.0],
              [0.3, 0.0, 0.2, -0.1]]
    activation: identity
optimizer: {name: sgd, lr: 0.1}
"""

# Channels last (Keras): x (N, H, W, C), kernels (kH, kW, C_in, C_out), flatten in
# (H, W, C) order; a padded convolution without bias, a padded max pool, class indices.
LAST = """
channels: last
x: [[[[1.0, 0.5], [-0.5, 2.0], [0.0, 1.0], [1.5, -1.0]],
     [[2.0, -1.0], [0.5, 0.0], [-1.0, 1.5], [0.5, 0.5]],
     [[-0.5, 1.0], [1.0, 1.0], [2.0, -0.5], [0.0, 2.0]],
     [[0.5, 0.0], [-1.5, 0.5], [1.0, 0.0], [2.0, 1.0]]],
    [[[0.0, 1.0], [1.0, -1.0], [0.5, 0.5], [-1.0, 2.0]],
     [[1.5, 0.5], [0.0, 2.0], [-0.5, 0.0], [1.0, -0.5]],
     [[1.0, -1.5], [2.0, 0.5], [0.0, 1.0], [0.5, 0.0]],
     [[-1.0, 0.0], [0.5, 1.5], [1.5, -1.0], [0.0, 0.5]]]]
y: [1, 0]
loss: cross_entropy
layers:
  - kind: conv2d
    weights: [[[[0.3, -0.2], [0.1, 0.4]], [[-0.1, 0.2], [0.2, -0.3]]],
              [[[0.2, 0.1], [-0.3, 0.0]], [[0.4, -0.1], [0.1, 0.2]]]]
    padding: 1
    activation: relu
  - kind: maxpool2d
    size: 3
    stride: 2
    padding: 1
  - kind: flatten
  - weights: [[0.2, -0.1, 0.3, 0.0, 0.1, 0.2, -0.2, 0.1, 0.3, -0.3, 0.0, 0.2, 0.1, 0.0, -0.1,
               0.2, 0.3, -0.2],
              [-0.2, 0.3, 0.0, 0.1, -0.1, 0.2, 0.2, -0.3, 0.1, 0.0, 0.3, -0.1, 0.2, 0.1, 0.0,
               -0.2, 0.1, 0.3]]
    bias: [0.1, -0.1]
    activation: softmax
optimizer: {name: sgd, lr: 0.2}
"""

# A unit-test exercise: a convolution with a rectangular stride and padding, an average
# pool of a 2×1 window, the upstream gradient as y (one sample, map-shaped).
UPSTREAM = """
x: [[[1.0, 2.0, -1.0, 0.5], [0.0, 1.5, 2.0, -0.5], [1.0, -1.0, 0.5, 2.0], [0.5, 0.0, 1.0, 1.5]],
    [[-1.0, 0.5, 0.0, 2.0], [1.5, 1.0, -0.5, 0.0], [0.0, 2.0, 1.0, -1.0], [2.0, 0.5, 0.5, 1.0]]]
y: [[[0.5, -1.0], [0.2, 0.3]], [[-0.4, 0.1], [1.0, 0.6]]]
loss: upstream
layers:
  - kind: conv2d
    weights: [[[[0.1, 0.2], [-0.1, 0.3]], [[0.2, 0.0], [0.1, -0.2]]],
              [[[0.0, -0.3], [0.2, 0.1]], [[-0.1, 0.1], [0.3, 0.2]]]]
    bias: [0.0, 0.1]
    stride: [1, 2]
    padding: [0, 1]
  - kind: avgpool2d
    size: [2, 1]
    stride: [1, 2]
optimizer: {name: sgd, lr: 0.1}
"""

NETWORKS = {"a": A, "a_slow": A_SLOW, "strided": STRIDED, "flip": FLIP, "last": LAST,
            "upstream": UPSTREAM}
SLIPPED = [n for n in NETWORKS if n != "a"]  # a's slips: a_slow's

# The slips of the map kinds, each with the variants the worker makes.
VARIANTS = {"kernel-flip": ["", "forward", "backward"],
            "padding-ignored": ["", "forward", "backward"], "stride-backward": [""],
            "maxpool-gradient-spread": ["every", "average"],
            "avgpool-no-divide": ["", "forward", "backward"]}
MAP_SLIPS = set(VARIANTS)
# made in the forward pass: again in the forward pass after the update (update.loss)
FORWARD = {("kernel-flip", ""), ("kernel-flip", "forward"), ("padding-ignored", ""),
           ("padding-ignored", "forward"), ("avgpool-no-divide", ""),
           ("avgpool-no-divide", "forward")}


def number(v: float) -> str:
    return f"{v:.15f}"


def applies(text: str, slip: str) -> bool:
    """Whether the network has what the slip touches."""
    book = Maps(text)
    layers = [(book.kind(l), layer) for l, layer in enumerate(book.layers, 1)]

    def turns(l):
        W = book.params[f"W{l}"]
        return (W != W[:, :, ::-1, ::-1]).any()
    return {"kernel-flip": any(k == "conv2d" and turns(l)
                               for l, (k, _) in enumerate(layers, 1)),
            "padding-ignored": any(k in ("conv2d", "maxpool2d", "avgpool2d") and
                                   layer.get("padding", 0) not in (0, [0, 0])
                                   for k, layer in layers),
            "stride-backward": any(k in ("conv2d", "avgpool2d") and
                                   layer.get("stride", 1 if k == "conv2d" else layer["size"])
                                   not in (1, [1, 1]) for k, layer in layers),
            "maxpool-gradient-spread": any(k == "maxpool2d" for k, _ in layers),
            "avgpool-no-divide": any(k == "avgpool2d" for k, _ in layers)}[slip]


CASES = [(n, s, v) for n in SLIPPED for s, vs in VARIANTS.items() for v in vs
         if applies(NETWORKS[n], s)]


def grade(run, tmp_path, network: str, text: str, *options) -> dict:
    """The JSON document of `backprop grade` for one sheet's text (network: a name of
    NETWORKS, or a problem's text)."""
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS.get(network, network))
    answers = tmp_path / "answers.yaml"
    answers.write_text(text)
    result = run("grade", problem, answers, "--format", "json", *options)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def changed(sheet: dict, exact: dict) -> set:
    return {k for k in exact if not np.allclose(sheet[k], exact[k], rtol=1e-9, atol=1e-12)}


def leaves(doc, prefix=""):
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from leaves(value, f"{prefix}{key}.")
    else:
        yield prefix[:-1], doc


def answers_of(doc: dict) -> dict:
    """solve's document as a sheet: every number, the optimizer's settings aside."""
    return {k: v for k, v in leaves(doc) if not k.startswith(("title", "update.optimizer"))
            and not isinstance(v, (str, bool))}


@pytest.mark.parametrize("network", NETWORKS)
def test_without_a_slip_the_worker_gives_solves_numbers(solve_json, tmp_path, network):
    problem = tmp_path / "p.yaml"
    problem.write_text(NETWORKS[network])
    want = {k: v for k, v in answers_of(solve_json(problem)).items()
            if k not in ("parameters", "trainable")}
    sheet = Maps(NETWORKS[network]).sheet()
    assert set(sheet) == set(want)  # every quantity, nothing else
    for path, value in sheet.items():
        assert np.shape(value) == np.shape(want[path]), path
        assert np.allclose(value, want[path], rtol=1e-9, atol=1e-12), path


def test_the_networks_cover_every_map_slip_and_variant():
    assert {slip for _, slip, _ in CASES} == MAP_SLIPS
    assert {(s, v) for _, s, v in CASES} == {(s, v) for s, vs in VARIANTS.items() for v in vs}
    assert set(SLIPPED) == {n for n, _, _ in CASES}
    assert MAP_SLIPS <= set(slips.SLIPS)


@pytest.mark.parametrize(("network", "slip", "variant"), [
    pytest.param(n, s, v, id=f"{n}-{s}-{v}".rstrip("-")) for n, s, v in CASES])
def test_a_map_slip_is_diagnosed_where_it_changes_a_quantity(run, tmp_path, network, slip,
                                                             variant):
    check_diagnosis(run, tmp_path, network, slip, variant, again=True)


@pytest.mark.parametrize(("network", "slip", "variant"),
                         [c for c in CASES if c[1:] in FORWARD],
                         ids=[f"{n}-{s}-{v}".rstrip("-") for n, s, v in CASES
                              if (s, v) in FORWARD])
def test_a_forward_slip_made_before_the_update_only_is_diagnosed(run, tmp_path, network,
                                                                 slip, variant):
    """The sheets above, with the forward pass after the update worked without the slip:
    update.loss is then carried, everything else diagnosed as above."""
    check_diagnosis(run, tmp_path, network, slip, variant, again=False)


@pytest.mark.parametrize(("network", "slip", "variant"), [
    pytest.param(n, s, v, id=f"{n}-{s}-{v}".rstrip("-")) for n, s, v in CASES])
def test_a_map_slip_is_diagnosed_at_a_students_precision(run, tmp_path, network, slip,
                                                         variant):
    """The same sheets written to 4 decimals, as a person writes them."""
    check_diagnosis(run, tmp_path, network, slip, variant, again=True, decimals=4)


def check_diagnosis(run, tmp_path, network, slip, variant, again, decimals=None):
    book = Maps(NETWORKS[network])
    exact, sheet = book.sheet(), book.sheet(slip, variant, again=again)
    moved = changed(sheet, exact)
    assert moved, "the slip should change something here"
    if decimals is not None:
        sheet = {k: np.round(np.asarray(v), decimals).tolist() for k, v in sheet.items()}
    write = number if decimals is None else (lambda v: f"{v:.{decimals}f}")
    doc = grade(run, tmp_path, network, sheet_text(sheet, write))
    assert_diagnosed(doc, sheet, moved, slip)
    assert slip in doc["slips"]


def test_each_variant_is_what_its_name_says(run, tmp_path):
    """kernel-flip's forward variant changes the forward pass (and the loss after the
    update), its backward one only ∂L/∂W and what follows: ∂L/∂x before it."""
    book = Maps(STRIDED)
    exact = book.sheet()
    forward = changed(book.sheet("kernel-flip", "forward"), exact)
    backward = changed(book.sheet("kernel-flip", "backward"), exact)
    assert {"forward.a1", "loss", "gradients.x", "update.loss"} <= forward
    assert "forward.a1" not in backward and {"gradients.W1", "gradients.x"} <= backward
    stride = changed(book.sheet("stride-backward"), exact)
    assert not any(p.startswith(("forward", "sums", "loss")) for p in stride)
    assert {"gradients.W1", "gradients.x", "gradients.h1"} <= stride


@pytest.mark.parametrize("decimals", [None, 4])
@pytest.mark.parametrize("network", NETWORKS)
def test_the_exact_sheet_scores_full_marks(run, tmp_path, network, decimals):
    sheet = Maps(NETWORKS[network]).sheet()
    if decimals is not None:
        sheet = {k: np.round(np.asarray(v), decimals).tolist() for k, v in sheet.items()}
    write = number if decimals is None else (lambda v: f"{v:.{decimals}f}")
    doc = grade(run, tmp_path, network, sheet_text(sheet, write))
    assert {p: a["verdict"] for p, a in doc["answers"].items()} == dict.fromkeys(sheet,
                                                                                   "correct")
    assert doc["score"] == doc["max_score"] == len(sheet)
    assert doc["slips"] == []


GOLDEN_CONV = sorted((GOLDEN / "conv").glob("*.json"))


@pytest.mark.parametrize("path", GOLDEN_CONV, ids=lambda p: p.stem)
def test_solves_own_document_scores_full_marks(run, solve_json, tmp_path, path):
    """Every PyTorch fixture (Adam, momentum, Nesterov, frozen biases, channels last, one
    (H, W) sample, ties in a max pool, L2 on convolutions): solve's document, every
    number of it (the optimizer's state too) as a sheet, is right."""
    problem = tmp_path / "p.json"
    problem.write_text(json.dumps(json.loads(path.read_text())["problem"]))
    sheet = answers_of(solve_json(problem))
    doc = grade(run, tmp_path, problem.read_text(), json.dumps({"answers": sheet}))
    assert {p for p, a in doc["answers"].items() if a["verdict"] != "correct"} == set()
    assert doc["score"] == doc["max_score"] == len(sheet)


@pytest.mark.parametrize(("network", "name"), [
    ("a_slow", "a1"), ("strided", "a1"), ("flip", "a1"), ("last", "a1"), ("upstream", "a1"),
    ("strided", "a2"), ("last", "h2")])
def test_one_wrong_number_early_is_the_only_wrong_answer(run, tmp_path, network, name):
    book = Maps(NETWORKS[network])
    sheet = book.sheet(bump=(name, 3.0))  # its first entry off by 3, the rest from it
    path = f"forward.{name}"
    doc = grade(run, tmp_path, network, sheet_text(sheet, number))
    verdicts = {p: a["verdict"] for p, a in doc["answers"].items()}
    assert [p for p, v in verdicts.items() if v == "wrong"] == [path]
    assert doc["answers"][path]["slips"] == ["arithmetic"]
    after = changed(sheet, book.sheet()) - {path}  # all that it feeds
    assert "loss" in after  # (with loss: upstream and no activation, not the gradients)
    assert all(verdicts[p] == "carried" for p in after), verdicts
    assert all(doc["answers"][p]["from"] == [path] for p in after)
    assert all(v == "correct" for p, v in verdicts.items() if p not in after | {path})
    assert doc["slips"] == ["arithmetic"]


def test_a_map_written_entry_by_entry_is_one_question(run, tmp_path):
    """forward.a1.1.2.0 (channel 1, row 2, column 0 of one sample) is an entry of a1: the
    map's indices as the file writes it; a wrong entry costs its share of a1's point."""
    book = Maps(A_SLOW)
    exact = book.sheet()
    a1 = np.array(exact["forward.a1"])
    text = sheet_text({"forward.a1.0": a1[0].tolist(), "forward.a1.1.2.0": a1[1, 2, 0] + 0.5,
                       "forward.a1.1.2.1": a1[1, 2, 1]}, number)
    doc = grade(run, tmp_path, "a_slow", text)
    assert doc["answers"]["forward.a1.0"]["verdict"] == "correct"
    assert doc["answers"]["forward.a1.1.2.0"]["verdict"] == "wrong"
    assert doc["answers"]["forward.a1.1.2.1"]["verdict"] == "correct"


def test_channels_last_paths_are_the_files_order(run, tmp_path):
    """With channels last a map is (N, H, W, C) and a kernel (kH, kW, C_in, C_out), as
    solve writes them: gradients.W1.0.1.1.0 is ∂L/∂W of kernel row 0, column 1, input
    channel 1, output channel 0."""
    exact = Maps(LAST).sheet()
    W = np.array(exact["gradients.W1"])
    h = np.array(exact["forward.h1"])
    text = sheet_text({"gradients.W1.0.1.1.0": W[0, 1, 1, 0], "forward.h1.1.4.3.1": h[1, 4, 3, 1]},
                      number)
    doc = grade(run, tmp_path, "last", text)
    assert {a["verdict"] for a in doc["answers"].values()} == {"correct"}


# ------------------------------------------------------------- the spreads


SHEETS = 5
LINEAR = ("a_conv", "dW_conv", "db_conv", "dh_conv", "a_avgpool", "dh_avgpool", "a_flatten",
          "dh_flatten")


def _context(text: str):
    return from_document(parse_text("t.yaml", text), "t.yaml").inputs


def _inputs(rng, rule, graph, ctx, unc_scale):
    """(own, unc, weight) per input, near the problem's values, each sheet its own."""
    out = []
    for name in rule.inputs:
        shape = graph[name].shape
        base = ctx.params[name[:-1]] if name.endswith("'") else np.zeros(shape)
        own = base + rng.normal(0.0, 0.3, (SHEETS,) + shape)
        unc = np.where(rng.random((SHEETS,) + shape) < 0.7,
                       unc_scale * rng.random((SHEETS,) + shape), 0.0)
        weight = np.where(rng.random((SHEETS,) + shape) < 0.5, 1.0 + rng.random(), 0.0)
        out.append((own, unc, weight))
    return out


def _both(rule, ins, shape):
    return (worlds.propagate(rule, ins, SHEETS, shape),
            worlds.propagate(dataclasses.replace(rule, spread=None), ins, SHEETS, shape))


def _rules(ctx, graph):
    """(node, rule) of every map kind's node, by the default rules and by every variant of
    the map slips (and the slips whose forms reach a convolution)."""
    for node in graph.values():
        if node.kind.endswith(("_conv", "_maxpool", "_avgpool", "_flatten")):
            yield node, DEFAULT[node.kind](ctx, node)
    for slip in slips.SLIPS.values():
        for variant in slip.variants(ctx):
            for node in graph.values():
                factory = variant.rules.get(node.kind)
                if factory is not None and node.kind.endswith(("_conv", "_maxpool",
                                                               "_avgpool")):
                    yield node, factory(ctx, node)


@pytest.mark.parametrize("network", ["strided", "flip", "last", "upstream"])
def test_map_rules_spread_is_their_finite_difference(network):
    """Linear rules exactly; a max pool's for steps that keep each window's largest cell."""
    ctx = _context(NETWORKS[network])
    graph = {n.name: n for n in nodes(ctx)}
    rng = np.random.default_rng(3)
    seen = set()
    for node, rule in _rules(ctx, graph):
        if rule is None or not rule.inputs or rule.spread is None:
            continue
        small = node.kind.endswith("_maxpool")
        ins = _inputs(rng, rule, graph, ctx, 1e-7 if small else 1e-3)
        (c1, s1, h1), (c2, s2, h2) = _both(rule, ins, node.shape)
        np.testing.assert_array_equal(c1, c2)
        np.testing.assert_allclose(s1, s2, rtol=1e-6, atol=1e-15, err_msg=node.name)
        np.testing.assert_allclose(h1, h2, rtol=1e-6, atol=1e-15, err_msg=node.name)
        seen.add(node.kind)
    assert seen & set(LINEAR)


def test_every_map_rule_has_a_spread():
    for network in ("strided", "flip", "last", "upstream", "a"):
        ctx = _context(NETWORKS[network])
        graph = {n.name: n for n in nodes(ctx)}
        for node, rule in _rules(ctx, graph):
            assert rule is None or not rule.inputs or rule.spread is not None, node.name


# --------------------------------------------------------- the command line


def test_grade_on_the_command_line(run, tmp_path, monkeypatch):
    """The example's exact sheet in a table; a sheet with a flipped kernel in Markdown
    feedback (the slip by name and the rule with the student's numbers), and as CSV."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text(A_SLOW)
    book = Maps(A_SLOW)
    (tmp_path / "right.yaml").write_text(sheet_text(book.sheet(), number, "Ada"))
    (tmp_path / "flipped.yaml").write_text(sheet_text(book.sheet("kernel-flip"), number,
                                                      "Bo"))
    result = run("grade", "a.yaml", "right.yaml")
    assert result.exit_code == 0, result.stderr
    total = len(book.sheet())
    assert f"Score {total} of {total}" in result.stdout
    assert "forward.a1" in result.stdout
    result = run("grade", "a.yaml", "flipped.yaml", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "## `forward.a1`: wrong" in text and "kernel-flip" in text
    assert "**The right formula, with your numbers:**" in text
    result = run("grade", "a.yaml", "right.yaml", "flipped.yaml", "--format", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1].startswith(f"Ada,right.yaml,{total},{total},,")
    assert lines[2].startswith("Bo,flipped.yaml,") and "kernel-flip" in lines[2]


# What each map kind's rule shows: the TeX of its window sum with the layer's stride and
# padding in the indices (flip: the turned kernel's cell).
RULES = {"strided": {"forward.a1": [r"x[c, 2i + u - 1, 2j + v - 1]", r"\text{padded by }"],
                     "forward.a2": [r"\frac{1}{9} \sum_{u, v} h_{1}[c, 2i + u - 1, 2j + v - 1]"],
                     "forward.a3": [r"\operatorname{vec}(h_{2})\ \text{in (C, H, W) order}"],
                     "gradients.W1": [r"\sum_{n, i, j} \delta_{1}[n, o, i, j]\, x[n, c,",
                                      r"+ 0.1000000000\, W_{1}[o, c, u, v]"],
                     "gradients.b1": [r"\sum_{n, i, j} \delta_{1}[n, o, i, j]"],
                     "gradients.h1": [r"\frac{\delta_{2}[c, i, j]}{9}"],
                     "gradients.h2": [r"\text{as maps, read in (C, H, W) order}"],
                     "gradients.x": [r"\delta_{1}[o, i, j]\, W_{1}[o, c, u, v]"]},
         "flip": {"forward.a1": [r"W_{1}[o, c, 1 - u, 1 - v]"],
                  "forward.a2": [r"\max_{u, v} h_{1}[c, 2i + u - 1, 2j + v - 1]", r"-\infty"],
                  "gradients.h1": [r"\text{'s largest cell of } h_{1}"]},
         "last": {"forward.a3": [r"\text{in (H, W, C) order}"]}}


@pytest.mark.parametrize("network", RULES)
def test_feedback_writes_each_map_rule_with_the_numbers(run, tmp_path, network):
    """A sheet with every number off by its own 0.2 to 0.5: every answer wrong, each with
    its rule and the student's own numbers (maps a matrix per channel), the TeX's braces
    balanced; for Gradescope the value the rule gives stays hidden."""
    rng = np.random.default_rng(4)
    sheet = {k: (v + rng.uniform(0.2, 0.5, np.shape(v))).tolist()
             for k, v in Maps(NETWORKS[network]).sheet().items()}
    problem, answers = tmp_path / "p.yaml", tmp_path / "s.yaml"
    problem.write_text(NETWORKS[network])
    answers.write_text(sheet_text(sheet, number))
    result = run("grade", problem, answers, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    sections = {}
    for part in result.stdout.split("\n## `")[1:]:
        path = part.split("`", 1)[0]
        sections[path] = part.split("$$")[1]
    for path, pieces in RULES[network].items():
        for piece in pieces:
            assert piece in sections[path], (path, piece, sections[path][:400])
    for path, tex in sections.items():
        assert tex.count("{") == tex.count("}"), path
        assert tex.count(r"\left") == tex.count(r"\right"), path
    result = run("grade", problem, answers, "--format", "gradescope")
    assert result.exit_code == 0, result.stderr
    tests = {t["name"]: t["output"] for t in json.loads(result.stdout)["tests"]}
    shown = tests["forward.a1"].split("$$")[1]
    assert shown.rstrip().endswith(r"\Rightarrow\ a_{1}"), shown[-200:]


def test_a_rule_with_many_inputs_is_perturbed_a_chunk_at_a_time(monkeypatch):
    """The loss after the update reads every parameter and every hidden step (thousands of
    entries in a network of maps): one sheet's perturbations are taken a chunk at a time
    (memory bounded by worlds.BLOCK), with the same slack as all at once."""
    ctx = _context(STRIDED)
    graph = {n.name: n for n in nodes(ctx)}
    rule = DEFAULT["loss_after"](ctx, graph["loss'"])
    rng = np.random.default_rng(8)
    ins = [tuple(a[:1] for a in i) for i in _inputs(rng, rule, graph, ctx, 1e-3)]
    count = sum(np.size(own) for own, _, _ in ins)
    whole = worlds.propagate(rule, ins, 1, ())
    monkeypatch.setattr(worlds, "BLOCK", 7 * count)  # chunks of 7 perturbations
    chunked = worlds.propagate(rule, ins, 1, ())
    np.testing.assert_array_equal(whole[0], chunked[0])
    np.testing.assert_allclose(whole[1], chunked[1], rtol=1e-12)
    np.testing.assert_allclose(whole[2], chunked[2], rtol=1e-12)
    assert (whole[1] > 0).all() and (whole[2] > 0).all()
