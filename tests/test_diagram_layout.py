"""The diagram's geometry (output/diagram/layout.py), computed and checked without
matplotlib: every test here blocks its import."""

import subprocess
import sys

import numpy as np
import pytest
from helpers import CLASSIC, ROOT

from backprop_cli import engine, problem
from backprop_cli.output import diagram
from backprop_cli.output.diagram.layout import HEAD, LINE, RB, R, arrange, shown, text_width
from backprop_cli.output.diagram.model import Column, Network, network


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
