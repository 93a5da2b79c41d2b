"""The network diagram of the layer kinds (`backprop draw`, `solve --diagram`): a block for
each batch norm, layer norm and dropout layer between its columns, unit to unit, saying
what the kind is and its settings; a residual connection as an arrow from h_k into a_l;
an L2 penalty and `loss: upstream` named on the loss. The model and the geometry are
checked without matplotlib, the pictures with it."""

import json
import math
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml
from helpers import GOLDEN, ROOT

from backprop_cli import engine, problem
from backprop_cli.engine.layers import KINDS
from backprop_cli.output.diagram import kinds
from backprop_cli.output.diagram.layout import RB, R, arrange
from backprop_cli.output.diagram.model import Block, Skip, network

EXAMPLES = ROOT / "backprop_cli" / "problem" / "examples"
FIXTURES = sorted((GOLDEN / "layers").glob("*.json"))  # every kind, mode and convention
KIND_EXAMPLES = ["batchnorm", "dropout_l2", "layernorm_residual"]
SVG = "{http://www.w3.org/2000/svg}"


def load(name: str):
    return problem.load(str(EXAMPLES / f"{name}.yaml"))


def loads(text: str, source: str):
    return problem.from_document(yaml.safe_load(text), source)


def drawn(prob, values=True, gradients=False, biases=True):
    """The diagram's model of a problem, with its forward pass (and backward pass)."""
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    grads = engine.backward(prob.model, prob.params, fwd, prob.y) if gradients else None
    return network(prob, fwd if values else None, grads, 4, biases)


def notes(net, column: int, unit: int) -> dict:
    """The lines under a neuron, as {symbol: text}."""
    return dict(line.split(" = ") for line in net.columns[column].notes[unit])


@pytest.fixture
def no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails


# ------------------------------------------------------------------ what the diagram says


def test_every_kind_has_a_block():
    assert set(kinds.LOOKS) == set(KINDS)


def test_batch_norm_block_and_the_numbers_under_its_units(no_matplotlib):
    prob = load("batchnorm")
    net = drawn(prob, gradients=True)
    assert net.blocks == (None, Block("batchnorm", ("BN₂", "γ₂, β₂", "ε = 1e-05",
                                                    "batch μ, σ² (÷ N)")), None)
    assert net.weights[1] is None and net.biases[1] is None  # no weights into column 2
    assert [c.name for c in net.columns] == ["input", "hidden 1", "hidden 2", "output"]
    assert net.columns[2].activation == "relu"
    # batch norm by hand: h1 = x W1^T (identity, no bias), statistics over the batch
    h1 = prob.x @ prob.params["W1"].T
    mean, var = h1.mean(axis=0), ((h1 - h1.mean(axis=0)) ** 2).mean(axis=0)
    xhat = (h1[0] - mean) / np.sqrt(var + 1e-5)
    gamma, beta = prob.params["gamma2"], prob.params["beta2"]
    for j in range(3):
        got = notes(net, 2, j)
        assert list(got) == ["μ", "σ²", "x̂", "γ", "β", "a", "h", "∂L/∂a"]
        for symbol, value in (("μ", mean[j]), ("σ²", var[j]), ("x̂", xhat[j]),
                              ("γ", gamma[j]), ("β", beta[j]),
                              ("a", gamma[j] * xhat[j] + beta[j]),
                              ("h", max(gamma[j] * xhat[j] + beta[j], 0.0))):
            assert float(got[symbol]) == pytest.approx(value, abs=5e-5), symbol
    assert list(notes(net, 1, 0)) == ["a", "h", "∂L/∂a"]  # dense columns as before


def test_batch_norm_in_eval_mode_without_gamma_and_beta():
    prob = load("batchnorm")
    spec = prob.model.layers[1]
    settings = type(spec.settings)(mode="eval", affine=False, variance="unbiased")
    eval_spec = type(spec)(spec.activation, kind="batchnorm", settings=settings)
    assert kinds.block_lines(eval_spec, 2) == ("BN₂", "no γ, β", "ε = 1e-05",
                                               "eval: running μ, σ²")
    train = type(settings)(variance="unbiased")
    assert kinds.block_lines(type(spec)("relu", kind="batchnorm", settings=train), 4)[3] \
        == "batch μ, σ² (÷ N − 1)"


def test_dropout_block_shows_p_the_scale_and_the_mask(no_matplotlib):
    prob = load("dropout_l2")
    net = drawn(prob)
    assert net.blocks[1] == Block("dropout", ("dropout₂", "p = 0.5", "× 1/keep = 2",
                                              "mask given"))
    masks = [notes(net, 2, j)["mask"] for j in range(4)]
    assert masks == ["1", "0", "1", "1"]  # the file's first row
    assert [float(notes(net, 2, j)["h"]) for j in range(4)] == pytest.approx(
        [2 * float(notes(net, 1, j)["h"]) * m for j, m in enumerate((1, 0, 1, 1))])
    spec = prob.model.layers[1]
    evaluated = type(spec)("identity", kind="dropout",
                           settings=type(spec.settings)(spec.settings.mask, 0.75, mode="eval"))
    assert kinds.block_lines(evaluated, 2) == ("dropout₂", "p = 0.25", "eval: identity")
    unscaled = type(spec.settings)(spec.settings.mask, 0.75, scale="none")
    assert kinds.block_lines(type(spec)("identity", kind="dropout", settings=unscaled), 3) \
        == ("dropout₃", "p = 0.25", "no scaling", "mask given")


def test_layer_norm_block_holds_the_samples_statistics(no_matplotlib):
    prob = load("layernorm_residual")
    net = drawn(prob)
    h1 = np.tanh(prob.x @ prob.params["W1"].T + prob.params["b1"])
    lines = net.blocks[1].lines
    assert lines[:4] == ("LN₂", "γ₂, β₂", "ε = 1e-05", "per sample μ, σ²")
    assert float(lines[4].removeprefix("μ = ")) == pytest.approx(h1[0].mean(), abs=5e-5)
    assert float(lines[5].removeprefix("σ² = ")) == pytest.approx(h1[0].var(), abs=5e-5)
    assert list(notes(net, 2, 0)) == ["x̂", "γ", "β", "a", "h"]
    assert drawn(prob, values=False).blocks[1].lines == lines[:4]  # numbers with values only


def test_residual_is_a_skip_from_h_k_into_a_l(no_matplotlib):
    net = drawn(load("layernorm_residual"))
    assert net.skips == (Skip(1, 3, "+ h1"),)
    assert net.blocks[2] is None and net.weights[2] is not None  # the dense layer it joins


def test_the_loss_names_the_penalty_and_upstream(no_matplotlib):
    prob = load("dropout_l2")
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    subtitle = drawn(prob).subtitle
    data, penalty = fwd.parts
    assert "loss bce + L2 λ/2m·ΣW² (λ = 0.7)" in subtitle
    assert (f"L = {fwd.loss:.4f} (data {data:.4f}, mean over 2 samples; L2 {penalty:.4f})"
            in subtitle)
    assert "L2" in drawn(prob, values=False).subtitle
    upstream = loads(UPSTREAM, "dout.yaml")
    assert "loss upstream (L = Σ y ⊙ ŷ, y = ∂L/∂ŷ)" in drawn(upstream).subtitle


UPSTREAM = """\
title: One batch norm and its dout
x: [[1.0, 2.0, 0.5], [0.0, -1.0, 3.0], [2.0, 0.0, 1.0]]
y: [[0.1, -0.2, 0.3], [0.0, 0.5, -0.1], [0.2, 0.1, 0.0]]
loss: upstream
layers:
  - kind: batchnorm
    gamma: [1.0, 2.0, 0.5]
    beta: [0.0, 0.1, 0.2]
  - kind: dropout
    mask: [[1, 0, 1], [1, 1, 0], [0, 1, 1]]
    keep: 0.8
"""


# ------------------------------------------------------------------ where it goes


def test_blocks_stand_between_their_columns_unit_to_unit(no_matplotlib):
    net = drawn(load("batchnorm"), gradients=True)
    lay = arrange(net)
    (box,) = lay.boxes
    left, right = lay.columns[1], lay.columns[2]
    x, y = box.centre
    assert box.kind == "batchnorm" and box.lines == net.blocks[1].lines
    assert left.x + R < x - box.width / 2 and x + box.width / 2 < right.x - R
    tops = [s.centre[1] for s in left.slots]
    assert box.height >= max(tops) - min(tops) + 2 * R and y == pytest.approx(np.mean(tops))
    assert [(a[1], b[1]) for a, b in lay.links] == [(t, t) for t in tops]  # unit j to unit j
    assert all(a[0] == left.x and b[0] == right.x for a, b in lay.links)
    assert not any(e.start[0] == left.x for e in lay.edges)  # no weight edges there
    assert len(lay.edges) == 2 * 3 + 3 * 2 + 2  # W1 (no bias), W3 and b3
    assert 0 < y - box.height / 2 and y + box.height / 2 < lay.height


def test_a_skip_leaves_column_k_and_enters_column_l_above_everything(no_matplotlib):
    lay = arrange(drawn(load("layernorm_residual")))
    (skip,) = lay.detours
    start, end = skip.points[0], skip.points[-1]
    h1, out = lay.columns[1].slots[0].centre, lay.columns[3].slots[0].centre
    assert math.dist(start, h1) == pytest.approx(R) and math.dist(end, out) == pytest.approx(R)
    lane = skip.points[1][1]
    assert skip.points[2][1] == lane and skip.points[1][0] < skip.points[2][0]
    highest = max(p.bias[1] + RB for p in lay.columns if p.bias)
    assert highest < lane < lane + 0.2 < lay.subtitle_y * lay.height
    assert skip.label == "+ h1" and skip.label_at[1] > lane


def test_skips_from_x_take_lanes_of_their_own(no_matplotlib):
    net = drawn(load("layernorm_residual"))
    two = type(net)(net.title, net.subtitle, net.columns, net.weights, net.biases, True,
                    net.blocks, (Skip(0, 3, "+ x"), *net.skips))
    lay = arrange(two)
    lanes = [d.points[1][1] for d in lay.detours]
    assert lanes[1] > lanes[0] and lay.height > arrange(net).height
    assert math.dist(lay.detours[0].points[0], lay.columns[0].slots[0].centre) \
        == pytest.approx(R)


def test_wide_kinds_link_the_units_shown(no_matplotlib, run):
    text = run("new", "--layers", "20,16,batchnorm,3", "--batch", "4", "--seed", "3").stdout
    net = drawn(loads(text, "wide.yaml"))
    lay = arrange(net)
    assert len(lay.links) == 10  # the first 9 and the last: the ⋮ has none
    assert lay.coloured and len(lay.boxes) == 1
    assert [s.neuron for s in lay.columns[2].slots][-2:] == [None, 15]


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_every_golden_problem_is_laid_out_inside_its_figure(no_matplotlib, path):
    prob = problem.from_document(json.loads(path.read_text())["problem"], path.name)
    net = drawn(prob, gradients=True)
    lay = arrange(net)
    specs = prob.model.layers
    assert [b.kind for b in lay.boxes] == [s.kind for s in specs if s.kind != "dense"]
    assert len(lay.detours) == sum(s.residual is not None for s in specs)
    points = [p for b in lay.boxes for p in ((b.centre[0] - b.width / 2,
                                              b.centre[1] - b.height / 2),
                                             (b.centre[0] + b.width / 2,
                                              b.centre[1] + b.height / 2))]
    points += [p for d in lay.detours for p in d.points] + \
        [s.centre for c in lay.columns for s in c.slots]
    assert all(0 < x < lay.width and 0 < y < lay.subtitle_y * lay.height for x, y in points)
    if prob.model.penalty:
        assert " + L2 " in net.subtitle


# ------------------------------------------------------------------ the pictures


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.mark.parametrize("name", KIND_EXAMPLES)
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_the_bundled_examples_draw(run, tmp_path, name, fmt):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"net.{fmt}"
    result = run("draw", "--example", name, "--values", "--gradients", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "" and out.stat().st_size > 1000


@pytest.mark.parametrize("name,title,lines", [
    ("batchnorm", "BN₂", ["γ₂, β₂", "ε = 1e-05", "batch μ, σ² (÷ N)"]),
    ("dropout_l2", "dropout₂", ["p = 0.5", "× 1/keep = 2", "mask given"]),
    ("layernorm_residual", "LN₂", ["γ₂, β₂", "per sample μ, σ²", "μ = 0.1488"])])
def test_the_svg_holds_each_block(run, tmp_path, name, title, lines):
    pytest.importorskip("matplotlib")
    out = tmp_path / "net.svg"
    assert run("draw", "--example", name, "--values", "-o", out).exit_code == 0
    texts = svg_texts(out)
    assert texts.count(title) == 1 and set(lines) <= set(texts)
    assert ("+ h1" in texts) == (name == "layernorm_residual")


def test_the_figure_has_a_box_for_each_kind_and_an_arrow_for_each_skip(run):
    pytest.importorskip("matplotlib")
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    from backprop_cli.output.diagram import network_figure

    text = run("new", "--layers", "4,6,batchnorm,dropout,layernorm,3", "--batch", "4",
               "--seed", "2").stdout
    prob = loads(text, "kinds.yaml")
    fig = network_figure(drawn(prob))
    patches = fig.axes[0].patches
    assert sum(isinstance(p, FancyBboxPatch) for p in patches) == 3
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert {"BN₂", "dropout₃", "LN₄"} <= set(texts)
    fig = network_figure(drawn(load("layernorm_residual")))
    assert sum(isinstance(p, FancyArrowPatch) for p in fig.axes[0].patches) == 1
    assert sum(isinstance(p, FancyBboxPatch) for p in fig.axes[0].patches) == 1


def test_solve_diagram_draws_the_kinds(tmp_path):
    """What `solve --diagram` draws: the network with its values."""
    pytest.importorskip("matplotlib")
    from backprop_cli.api import commands

    out = tmp_path / "net.svg"
    commands.draw_diagram(load("batchnorm"), str(out), 4, values=True)
    texts = svg_texts(out)
    assert "BN₂" in texts and "μ = 0.1000" in "\n".join(texts)
