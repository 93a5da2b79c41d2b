"""The diagrams' geometry (output/diagram/layout.py for networks, graph/layout.py for
computational graphs), computed and checked without matplotlib: every test here blocks its
import."""

import subprocess
import sys

import graph_pictures
import numpy as np
import pytest
from helpers import CLASSIC, ROOT

from backprop_cli import engine, problem
from backprop_cli.engine.graph.program import evaluate
from backprop_cli.output import diagram
from backprop_cli.output.diagram.graph import layout as graph_layout
from backprop_cli.output.diagram.layout import HEAD, LINE, RB, R, arrange, shown, text_width
from backprop_cli.output.diagram.model import Column, Network, network
from backprop_cli.output.fmt import fixed
from backprop_cli.problem.graph.expression import parse


@pytest.fixture(autouse=True)
def _no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails


def synthetic(sizes, notes=0, values=False, biases=True, title="t") -> Network:
    """A network of the given layer sizes, `notes` lines under every neuron."""
    rng = np.random.default_rng(0)
    columns = tuple(Column(f"layer {c}", None if c == 0 else "sigmoid",
                           tuple(f"n{c}_{j + 1}" for j in range(n)),
                           tuple(tuple(f"a = {j}.0000" for _ in range(notes)) for j in range(n)))
                    for c, n in enumerate(sizes))
    weights = tuple(rng.normal(size=(n, m)) for m, n in zip(sizes, sizes[1:]))
    bias = tuple(rng.normal(size=n) if biases else None for n in sizes[1:])
    return Network(title, "subtitle", columns, weights, bias, values)


def classic(values=True, gradients=False, biases=True) -> Network:
    prob = problem.load(str(CLASSIC))
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    grads = engine.backward(prob.model, prob.params, fwd, prob.y) if gradients else None
    return network(prob, fwd if values else None, grads, 4, biases)


SHAPES = [(1, 1), (3, 3, 3, 3), (2, 7, 1), (20, 16, 3), (4, 12, 12, 3), (1, 40), (30, 2)]


def test_layout_never_imports_matplotlib():
    code = ("import sys\n"
            "from backprop_cli import engine, problem\n"
            "from backprop_cli.output.diagram import layout, network\n"
            f"p = problem.load({str(CLASSIC)!r})\n"
            "fwd = engine.forward(p.model, p.params, p.x, p.y)\n"
            "lay = layout.arrange(network(p, fwd), 4)\n"
            "assert lay.labelled and lay.width > 0\n"
            "print('matplotlib' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    assert out.stdout.strip() == "False"


def test_the_package_interface():
    assert diagram.__all__ == ["draw_network", "network", "network_figure", "picture_format",
                               "plot_losses", "require_matplotlib", "save"]


@pytest.mark.parametrize("values", [False, True])
@pytest.mark.parametrize("notes", [0, 4])
@pytest.mark.parametrize("sizes", SHAPES, ids=str)
def test_everything_is_inside_the_figure(sizes, notes, values):
    lay = arrange(synthetic(sizes, notes, values))
    for place in lay.columns:
        for slot in place.slots:
            x, y = slot.centre
            assert R <= x <= lay.width - R and R <= y <= lay.height - R
            assert slot.note[1] - notes * LINE > 0  # the notes under the lowest neuron
        if place.bias:
            x, y = place.bias
            assert RB <= x <= lay.width - RB and RB <= y <= lay.height - RB
    for e in lay.edges:
        assert all(0 < v < lay.width for v in (e.start[0], e.end[0], e.label[0]))
        assert all(0 < v < lay.height for v in (e.start[1], e.end[1], e.label[1]))
    top = max(y for p in lay.columns for y in [s.centre[1] for s in p.slots] +
              ([p.bias[1]] if p.bias else []))
    assert top + R < lay.subtitle_y * lay.height - 0.1  # under the subtitle
    assert abs((lay.columns[0].x + lay.columns[-1].x) / 2 - lay.width / 2) < 1e-9  # centred


def test_neurons_in_a_column_are_evenly_spaced_top_down():
    lay = arrange(synthetic((3, 5, 2), notes=2))
    for place in lay.columns:
        xs = {s.centre[0] for s in place.slots}
        ys = [s.centre[1] for s in place.slots]
        assert xs == {place.x}
        steps = np.diff(ys)
        assert np.all(steps < 0) and np.allclose(steps, steps[0])
    middles = [np.mean([s.centre[1] for s in p.slots]) for p in lay.columns]
    assert np.allclose(middles, middles[0])  # columns share their middle


def test_edge_labels_between_two_columns_are_on_one_vertical_line():
    lay = arrange(classic())
    assert lay.labelled and not lay.coloured and lay.colour_bar is None
    pairs = {}
    for e in lay.edges:
        pairs.setdefault((e.start[0], e.end[0]), []).append(e)
    assert len(pairs) == 3
    for edges in pairs.values():
        assert len({e.label[0] for e in edges}) == 1
        weights = sorted(e.label[1] for e in edges if not e.bias)
        gaps = np.diff(weights)  # d / (n + 1) apart: none on top of another
        assert np.allclose(gaps, gaps[0]) and gaps[0] > 0.1
        assert min(e.label[1] for e in edges if e.bias) > max(weights)  # bias labels above


def test_edges_carry_the_weights_as_written():
    net = classic()
    lay = arrange(net, decimals=2)
    W1 = net.weights[0]
    first = [e for e in lay.edges if e.end == lay.columns[1].slots[0].centre]
    assert [e.value for e in first] == [*W1[0], net.biases[0][0]]
    assert [e.bias for e in first] == [False, False, False, True]
    assert first[0].text == f"{W1[0, 0]:.2f}"
    assert len(lay.edges) == 3 * (9 + 3)  # every weight and bias of a 3-3-3-3 network


def test_hidden_biases_draw_no_bias_nodes():
    lay = arrange(classic(biases=False))
    assert all(p.bias is None for p in lay.columns)
    assert not any(e.bias for e in lay.edges) and len(lay.edges) == 27


def test_a_layer_without_bias_has_no_bias_node():
    net = synthetic((2, 3, 2))
    net = Network(net.title, net.subtitle, net.columns, net.weights, (net.biases[0], None),
                  False)
    lay = arrange(net)
    assert [p.bias is not None for p in lay.columns] == [True, False, False]


def test_elided_layers_have_eleven_slots_with_one_ellipsis():
    assert shown(12) == list(range(12))
    lay = arrange(synthetic((20, 13, 12, 3), values=True))
    for place, n in zip(lay.columns, (20, 13)):
        neurons = [s.neuron for s in place.slots]
        assert len(neurons) == 11 and neurons.count(None) == 1
        assert neurons == list(range(HEAD)) + [None, n - 1]
    assert len(lay.columns[2].slots) == 12
    assert len([e for e in lay.edges if not e.bias]) == 10 * 10 + 10 * 12 + 12 * 3
    assert lay.coloured and not lay.labelled and lay.colour_bar is not None


def test_weights_are_written_up_to_six_neurons_then_coloured():
    assert arrange(synthetic((6, 6), values=True)).labelled
    assert arrange(synthetic((7, 6), values=True)).coloured
    plain = arrange(synthetic((7, 6)))
    assert not plain.labelled and not plain.coloured


def test_the_figure_grows_with_the_notes():
    plain = arrange(classic(values=False))
    values = arrange(classic())
    both = arrange(classic(gradients=True))
    assert plain.height < values.height < both.height
    assert plain.width < values.width
    assert arrange(synthetic((3, 3), notes=1)).height < arrange(synthetic((3, 3), notes=3)).height


def test_the_figure_is_as_wide_as_its_title():
    title = "A long title " * 8
    lay = arrange(synthetic((2, 2), title=title))
    assert lay.width >= text_width(title, 13) and lay.width > arrange(synthetic((2, 2))).width
    assert arrange(synthetic((1, 1))).width == 4.0  # the smallest picture


def test_names_and_title_have_their_rows():
    lay = arrange(synthetic((3, 4), notes=2))
    lowest = min(s.note[1] - 2 * LINE for p in lay.columns for s in p.slots)
    assert lay.activation_y < lay.name_y < lowest
    assert 0 < lay.subtitle_y < lay.title_y < 1


# ------------------------------------------------------------------ computational graphs


def graph_problems(lay) -> list[str]:
    """Everything wrong with a graph picture's layout: see graph_pictures.problems."""
    texts = [(*t.box, f"{t.kind} {t.text}") for t in lay.texts]
    gates = [(*c.gate.box, f"gate {c.gate.text}") for c in lay.circles]
    circles = [(*c.centre, c.radius) for c in lay.circles]
    found = graph_pictures.problems(texts + gates, lay.arrows, (lay.width, lay.height), 0.004)
    found += graph_pictures.problems(texts, [], (lay.width, lay.height), 0.004, circles)
    for (x, y), r in ((c.centre, c.radius) for c in lay.circles):
        if not (r <= x <= lay.width - r and r <= y <= lay.height - r):
            found.append(f"the circle at {(x, y)} leaves the canvas")
    for c in lay.circles:  # each gate inside its circle
        x0, y0, x1, y1 = c.gate.box
        if max(np.hypot(x - c.centre[0], y - c.centre[1])
               for x in (x0, x1) for y in (y0, y1)) > c.radius:
            found.append(f"the gate {c.gate.text!r} leaves its circle")
    return found


@pytest.mark.parametrize("name", list(graph_pictures.GRAPHS))
def test_graph_labels_meet_nothing(name):
    """No two texts meet, no line passes through a text, no text comes into a circle,
    everything is inside the picture: on today's code the micrograd example wrote
    -4.0000 over 2.0000 and long names were cut at the left edge."""
    g = graph_pictures.graph(name)
    lay = graph_layout.arrange(g, 4)
    assert graph_problems(lay) == []
    assert lay.scale == 1.0 and lay.width <= graph_layout.MAX_INCHES


@pytest.mark.parametrize("name", ["micrograd", "every operation", "long constants"])
def test_graph_labels_are_those_of_the_edges_beside_their_lines(name):
    g = graph_pictures.graph(name)
    lay = graph_layout.arrange(g, 4)
    nodes = {n.name: n for n in g.nodes}
    edges = {(e.input, e.node): e.product for e in g.edges}
    kinds = {kind: sorted(t.text for t in lay.texts if t.kind == kind)
             for kind in ("value", "gradient", "input", "node", "output")}
    assert kinds["value"] == sorted([fixed(nodes[a].value, 4) for a, _ in edges]
                                    + [fixed(g.value, 4)])
    assert kinds["gradient"] == sorted([fixed(p, 4) for p in edges.values()] + ["1.0000"])
    assert kinds["input"] == sorted(n.name for n in g.nodes if n.op == "input")
    assert kinds["node"] == sorted(n.name for n in g.nodes if n.op != "input")
    assert kinds["output"] == [g.output]
    assert len(lay.arrows) == len(edges) + 1
    points = graph_pictures.samples(lay.arrows, 0.004)
    for t in lay.texts:
        if t.kind in ("value", "gradient"):  # beside a line: its box within 0.02 in of one
            x0, y0, x1, y1 = t.box
            gaps = np.hypot(np.maximum(np.maximum(x0 - points[:, 0], points[:, 0] - x1), 0),
                            np.maximum(np.maximum(y0 - points[:, 1], points[:, 1] - y1), 0))
            assert gaps.min() < 0.02, t


def test_a_graph_too_large_for_the_page_is_shrunk_as_a_whole():
    text = "; ".join(f"s{i} = sigmoid(s{i - 1} * w{i} + 0.5)" for i in range(1, 40))
    values = {"s0": 0.5, **{f"w{i}": 0.1 * i for i in range(1, 40)}}
    g = evaluate(parse(text, "t"), values)
    lay = graph_layout.arrange(g, 4)
    assert lay.width == pytest.approx(graph_layout.MAX_INCHES) and lay.scale < 0.5
    assert {t.points for t in lay.texts if t.kind == "value"} == {8.0 * lay.scale}
    assert graph_problems(lay) == []


def test_text_widths_hold_wide_letters():
    assert text_width("W", 10) > text_width("x", 10) > text_width("", 10) == 0
    assert text_width("mmmm", 72) == pytest.approx(4.0)  # DejaVu Sans m is 0.97 em


def test_a_long_gate_is_smaller_type_in_a_larger_circle():
    lay = graph_layout.arrange(graph_pictures.graph("long constants"), 4)
    gates = {c.gate.text: c for c in lay.circles}
    assert gates["+"].gate.points == 10.0 and gates["+"].radius == graph_layout.R
    long = gates["×3.14159265358979"]
    assert long.gate.points == 7.0 and long.radius > graph_layout.R
    assert all(7.0 <= c.gate.points <= 10.0 for c in lay.circles)
