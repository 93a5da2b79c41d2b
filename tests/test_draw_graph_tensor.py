"""`backprop graph --draw` and `bp.graph(...).draw()` for graphs of vectors and matrices:
each node's shape beside its name, each edge's value above and gradient below as a small
block of rows (whole up to 3×3, else its first and last row and column), matrix operations
in their circles as the forward table writes them, and no label meeting another, a line or
a circle, in the layout and as Agg renders it.

Oracles: CS231n's published numbers for ‖Wx‖², and gradients worked here with numpy from
their textbook formulas (softmax − one-hot, the broadcast sum, attention's ∂L/∂V)."""

import graph_pictures
import numpy as np
import pytest
from test_diagram_layout import graph_problems
from test_draw import png_size, rendered, svg_texts

import backprop_cli as bp
from backprop_cli.engine.graph.program import evaluate
from backprop_cli.output.diagram.graph import figure as graph_figure
from backprop_cli.output.diagram.graph import layout as graph_layout
from backprop_cli.problem.graph.expression import parse

NBSP = "\u00a0"  # pads the rows, so that an SVG viewer keeps the columns lined up


def plain(text: str) -> str:
    return text.replace(NBSP, " ")


def entry(v: float, decimals: int) -> str:
    s = f"{v:.{decimals}f}"
    return s.lstrip("-") if float(s) == 0 else s


def block(value, decimals: int = 4) -> str:
    """A value of at most 3×3 as an edge writes it: a number, or rows in brackets, the
    entries right-aligned to the widest."""
    a = np.asarray(value, float)
    if a.ndim == 0:
        return entry(float(a), decimals)
    rows = np.atleast_2d(a)
    assert rows.shape[0] <= 3 and rows.shape[1] <= 3
    cells = [[entry(v, decimals) for v in r] for r in rows]
    width = max(len(c) for r in cells for c in r)
    return "\n".join("[" + " ".join(c.rjust(width) for c in r) + "]" for r in cells)


def laid(name: str, decimals: int = 4):
    g = graph_pictures.tensor_graph(name)
    return g, graph_layout.arrange(g, decimals)


def texts(lay, kind: str) -> list[str]:
    return sorted(plain(t.text) for t in lay.texts if t.kind == kind)


def gates(lay) -> list[str]:
    return [c.gate.text.replace("\n", "") for c in lay.circles]


def softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("name", list(graph_pictures.TENSORS))
def test_tensor_labels_meet_nothing(name):
    """Blocks of rows above and below the lines: no two texts meet, no line passes through
    one, none comes into a circle, every gate stays in its circle (a long call breaks
    before its arguments), all inside the picture, at full size."""
    _, lay = laid(name)
    assert graph_problems(lay) == []
    assert lay.scale == 1.0


@pytest.mark.parametrize("name", [n for n in graph_pictures.TENSORS if n != "large"])
def test_every_edge_writes_its_value_and_gradient(name):
    """Above each edge its input's value, below it this use's share of the gradient, in
    the input's shape; the output's arrow: its value and ∂f/∂f = 1 or the upstream given;
    a class index, whole, with no gradient."""
    g, lay = laid(name)
    nodes = {n.name: n for n in g.nodes}
    products = {(e.input, e.node): e.product for e in g.edges}
    uses = {(a, n.name) for n in g.nodes for a in n.inputs if isinstance(a, str)}
    values, grads = [block(g.value)], [block(1.0 if g.upstream is None else g.upstream)]
    for a, b in uses:
        if a in g.labels:
            values.append(block(nodes[a].value, 0))
            grads.append("no gradient")
        else:
            values.append(block(nodes[a].value))
            grads.append(block(products[(a, b)]))
            assert np.shape(products[(a, b)]) == nodes[a].shape
    assert texts(lay, "value") == sorted(values)
    assert texts(lay, "gradient") == sorted(grads)
    assert all(t.mono == ("[" in t.text) for t in lay.texts if t.kind in ("value", "gradient"))


def test_cs231n_vectorized_example_as_published():
    """CS231n's ‖Wx‖² (W = [[0.1, 0.5], [-0.3, 0.8]], x = [0.2, 0.4]): f = 0.116,
    ∂f/∂W = [[0.088, 0.176], [0.104, 0.208]], ∂f/∂x = [-0.112, 0.636], on W's and x's
    edges (each used once: its edge carries the whole gradient)."""
    _, lay = laid("matrix-vector", 3)
    grads = texts(lay, "gradient")
    assert "[0.088 0.176]\n[0.104 0.208]" in grads
    assert "[-0.112  0.636]" in grads
    assert "0.116" in texts(lay, "value")
    assert texts(lay, "input") == ["W  2×2", "x  2"]
    assert texts(lay, "node") == ["f  scalar", "n1  2", "n2  2"]
    assert texts(lay, "output") == ["f"]
    assert gates(lay) == ["W @ x", "^2", "sum(n2)"]


def test_attention_with_an_upstream_gradient():
    """softmax(QKᵀ/√2)V with ∂L/∂O given: the output's arrow carries it, V's edge
    ∂L/∂V = Aᵀ · ∂L/∂O, K's edge ∂L/∂K through .T; the circles as the forward table."""
    text, values, upstream = graph_pictures.TENSORS["attention"]
    g, lay = laid("attention")
    q, k, v = (np.array(values[n], float) for n in "QKV")
    dout = np.array(upstream, float)
    a = softmax(q @ k.T / np.sqrt(2))
    ds = a * (dout @ v.T - (dout @ v.T * a).sum(axis=1, keepdims=True)) / np.sqrt(2)
    grads = texts(lay, "gradient")
    assert block(dout) in grads and block(a.T @ dout) in grads
    assert block(ds.T @ q) in grads  # ∂L/∂K = (∂L/∂S)ᵀ Q
    assert block(a @ v) in texts(lay, "value")
    assert gates(lay) == ["K.T", "Q @ n1", "÷sqrt(2)", "softmax(n3)", "n4 @ V"]
    assert texts(lay, "node") == ["f  3×2", "n1  2×3", "n2  3×3", "n3  3×3", "n4  3×3"]


def test_broadcasting_sums_the_gradient_over_the_stretched_axis():
    """sum(relu(X + b) * w), b of shape (3,) added to every row of X (2, 3), w a scalar:
    b's edge carries w Σᵢ [Xᵢⱼ + bⱼ > 0] (one row), w's Σ relu(X + b)."""
    _, values, _ = graph_pictures.TENSORS["broadcasting"]
    _, lay = laid("broadcasting")
    x, b, w = np.array(values["X"], float), np.array(values["b"], float), values["w"]
    grads = texts(lay, "gradient")
    assert block(w * ((x + b) > 0).sum(axis=0)) in grads
    assert block(w * ((x + b) > 0)) in grads
    assert block(np.maximum(x + b, 0).sum()) in grads
    assert texts(lay, "input") == ["X  2×3", "b  3", "w  scalar"]


@pytest.mark.parametrize("name", ["class index", "class indices"])
def test_class_indices_are_whole_with_no_gradient(name):
    """cross_entropy(logits, y): y's edge says its class (whole) and that it takes no
    gradient; the logits' edge softmax − one-hot, over N rows for a batch."""
    _, values, _ = graph_pictures.TENSORS[name]
    g, lay = laid(name)
    y = np.atleast_1d(values["y"])
    if name == "class index":
        z = np.array(values["W"], float) @ np.array(values["x"], float) + values["b"]
    else:
        z = np.array(values["Z"], float) @ np.array(values["W"], float).T
    p = np.atleast_2d(softmax(z))
    p[np.arange(len(y)), y] -= 1
    assert block(p.reshape(np.shape(z)) / len(y)) in texts(lay, "gradient")
    assert block(values["y"], 0) in texts(lay, "value")
    assert "no gradient" in texts(lay, "gradient")
    assert gates(lay)[-1] == "cross_entropy(n2, y)"
    assert "\n" in [c.gate.text for c in lay.circles][-1]  # broken: a smaller circle


def test_a_large_matrix_shows_its_corners():
    """Past 3 rows or columns: the first and last row and column, … and : between."""
    _, values, _ = graph_pictures.TENSORS["large"]
    g, lay = laid("large")
    a = np.array(values["A"], float)
    assert texts(lay, "input") == ["A  4×5", "B  5×6"]
    shown = [plain(t.text).split("\n") for t in lay.texts
             if t.kind == "value" and t.text.count("\n") == 2]
    first, gap, last = next(s for s in shown if entry(a[0, 0], 4) in s[0])
    assert first[1:-1].split() == [entry(a[0, 0], 4), "…", entry(a[0, -1], 4)]
    assert last[1:-1].split() == [entry(a[-1, 0], 4), "…", entry(a[-1, -1], 4)]
    assert gap[1:-1].split() == [":", ":"] and len(gap) == len(first) == len(last)
    assert 1 < gap.index(":") < first.index("…") < gap.rindex(":")  # under the columns
    f = np.asarray(g.value)
    assert f"[{entry(f[0], 4)} … {entry(f[-1], 4)}]" in texts(lay, "value")


@pytest.mark.parametrize("name", ["matrix-vector", "attention", "class index", "large"])
def test_tensor_pictures_as_rendered(name):
    """As Agg draws them (the rows in DejaVu Sans Mono): the layout's boxes hold every
    text, no two texts meet, no line passes through one, none but a gate enters a circle."""
    _, lay = laid(name)
    fig = graph_figure.figure(lay)
    boxes, lines, circles, canvas = rendered(fig)
    planned = [*lay.texts, *(c.gate for c in lay.circles)]
    assert [b[4] for b in boxes] == [t.text for t in planned]
    for (x0, y0, x1, y1, _), t in zip(boxes, planned):
        px = [v * fig.dpi for v in t.box]
        assert px[0] <= x0 and px[1] <= y0 and x1 <= px[2] and y1 <= px[3], t
    assert graph_pictures.problems(boxes, lines, canvas, 0.5) == []
    outside = [b for b, t in zip(boxes, planned) if t.kind != "gate"]
    assert graph_pictures.problems(outside, [], canvas, 0.5, circles) == []


def arguments(name: str) -> list[str]:
    text, values, upstream = graph_pictures.TENSORS[name]
    options = [] if upstream is None else ["--upstream", str(upstream)]
    return options + ["--", text] + [f"{k}={v}" for k, v in values.items()]


@pytest.mark.parametrize("name", ["matrix-vector", "attention", "broadcasting", "class index"])
def test_the_command_writes_svg_png_and_pdf(run, tmp_path, name):
    """Each format from the command line (an upstream gradient as --upstream); the SVG's
    texts stay texts: each node's name and shape can be searched."""
    for fmt in ("svg", "png", "pdf"):
        path = tmp_path / f"g.{fmt}"
        result = run("graph", "--draw", path, "--get", "value", *arguments(name))
        assert result.exit_code == 0, result.stderr
        assert result.stdout.strip()
    assert (tmp_path / "g.pdf").read_bytes().startswith(b"%PDF")
    assert min(png_size(tmp_path / "g.png")) > 100
    svg = svg_texts(tmp_path / "g.svg")
    assert not any("  " in t for t in svg)  # a viewer would collapse the run: rows misalign
    svg = [plain(t) for t in svg]
    g = graph_pictures.tensor_graph(name)  # every node's name with its shape
    assert sorted(t for t in svg if "  " in t and t[0].isalpha()) == sorted(
        f"{n.name}  " + ("×".join(map(str, n.shape)) or "scalar") for n in g.nodes)


def test_the_api_draws_a_tensor_graph(tmp_path):
    _, values, upstream = graph_pictures.TENSORS["attention"]
    g = bp.graph("softmax(Q @ K.T / sqrt(2)) @ V", upstream=upstream, **values)
    picture = g.draw(tmp_path / "attention.svg")
    svg = [plain(t) for t in svg_texts(tmp_path / "attention.svg")]
    assert "n4 @ V" in svg and "Q  3×2" in svg
    assert "n4 @ V" in picture.svg


def test_a_scalar_graph_shows_no_shapes_and_its_upstream():
    """Scalars only: names as before, no shapes; an upstream gradient given for a scalar
    output is what its arrow carries (it said 1 before)."""
    g = evaluate(parse("x * y", "t"), {"x": 1.0, "y": 3.0}, 0.5)
    lay = graph_layout.arrange(g, 4)
    assert texts(lay, "input") == ["x", "y"] and texts(lay, "node") == ["f"]
    assert texts(lay, "gradient") == ["0.5000", "0.5000", "1.5000"]
    assert not any(t.mono for t in lay.texts)
