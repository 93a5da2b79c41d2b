"""The diagram of a sequence exercise (`backprop draw`, `solve --diagram`): the recurrent
cell unrolled, its steps side by side — x₁ … x_T at the bottom (token indices and the
embedding's rows above them when an embedding comes first), the cell's box at each step
with its gates named (with --values their numbers), h_{t-1} → h_t arrows between the
boxes (and an LSTM's c_t on a lane above) with the states' numbers and, with
--gradients, ∂L/∂h_t and its two parts, the dense layers after it at the last step
(output last) or at every step (output all). Numbers are checked against a numpy loop
written here from the cells' equations, not against the engine's caches; the geometry
without matplotlib; the pictures as rendered."""

import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml

from backprop_cli import engine, problem
from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.output.diagram import kinds
from backprop_cli.output.diagram.model import network
from backprop_cli.output.diagram.sequences import Unrolled
from backprop_cli.output.diagram.unrolled import arrange, table_size
from backprop_cli.output.fmt import fixed

SVG = "{http://www.w3.org/2000/svg}"

RNN = """\
x: [[[1, 2], [0, 1], [3, -1]], [[0.5, 0], [1, 1], [-1, 2]]]
y: [1, 0]
loss: cross_entropy
layers:
  - kind: rnn
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1]]
    wh: [[0.1, 0.0, 0.2], [0.3, -0.2, 0.1], [0.0, 0.1, -0.1]]
    bias: [0.1, 0.0, -0.1]
    h0: [0.1, 0.2, 0.3]
  - weights: [[1, 0, -1], [0.5, 0.5, 0.5]]
    activation: softmax
"""

# gates by name, written in CS231n's order for the boxes' columns
LSTM = """\
title: LSTM, three steps
x: [[1, 2], [0, 1], [3, -1]]
y: 1
loss: cross_entropy
layers:
  - kind: lstm
    gates: ifog
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.2, 0.2], [0.0, 0.1], [-0.1, 0.3],
         [0.3, -0.2], [0.1, 0.1]]
    wh: [[0.1, 0.0], [0.3, -0.2], [0.0, 0.1], [0.2, 0.1], [0.2, -0.1], [0.0, 0.1],
         [-0.1, 0.2], [0.1, 0.0]]
    bias: [0.1, 0.0, 1.0, 1.0, 0.0, 0.0, 0.0, -0.1]
    h0: [0.1, 0.2]
    c0: [0.0, -0.1]
  - weights: [[1, 0], [0.5, -0.5], [0.2, 0.3]]
    bias: [0, 0.1, -0.1]
    activation: softmax
"""

GRU = """\
title: Embedding, GRU over every step
x: [[2, 0, 3, 1]]
y: [[0, 1, 0, 1]]
loss: cross_entropy
layers:
  - kind: embedding
    table: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.0, 1.0]]
  - kind: gru
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.2, 0.2], [0.3, -0.2], [0.1, 0.1]]
    wh: [[0.1, 0.0], [0.3, -0.2], [0.0, 0.1], [0.2, 0.1], [-0.1, 0.2], [0.1, 0.0]]
    bias: [0.1, 0.0, -0.1, 0.0, 0.2, 0.1]
    output: all
  - weights: [[1, 0], [0.5, -0.5], [0.2, 0.3]]
    bias: [0, 0.1, -0.1]
    activation: relu
  - weights: [[1, 0, 0.5], [0.5, -0.5, 0.1]]
    activation: softmax
"""

# the recurrent layer last, every step seen: y is ∂L/∂ŷ per step
ALONE = """\
x: [[1, 0], [0, 1], [1, 1]]
y: [[0.5, -0.5], [0.1, 0.2], [-0.3, 0.4]]
loss: upstream
layers:
  - kind: gru
    form: cho
    wx: [[0.1, 0.2], [-0.3, 0.4], [0.5, -0.1], [0.2, 0.2], [0.3, -0.2], [0.1, 0.1]]
    wh: [[0.1, 0.0], [0.3, -0.2], [0.0, 0.1], [0.2, 0.1], [-0.1, 0.2], [0.1, 0.0]]
    output: all
"""


def loads(text: str, source: str = "seq.yaml", **extra):
    doc = yaml.safe_load(text)
    doc.update(extra)
    return problem.from_document(doc, source)


def drawn(prob, values=True, gradients=False) -> Unrolled:
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    grads = engine.backward(prob.model, prob.params, fwd, prob.y) if gradients else None
    return network(prob, fwd if values else None, grads, 4)


@pytest.fixture
def no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails


def sigmoid(a):
    return 1 / (1 + np.exp(-a))


def column(vector) -> tuple[str, ...]:
    return tuple(fixed(v, 4) for v in vector)


def table(label, header: str):
    """The column under `header` in a list of tables."""
    for t in label:
        if header in t.headers:
            return t.columns[t.headers.index(header)]
    raise KeyError(header)


def by_hand_rnn(doc, n: int = 0):
    """h_t = tanh(Wx x_t + Wh h_{t-1} + b) of sample n, t = 0 … T."""
    layer = doc["layers"][0]
    Wx, Wh, b = (np.array(layer[k], float) for k in ("wx", "wh", "bias"))
    hs = [np.array(layer["h0"], float)]
    for x in np.array(doc["x"], float)[n]:
        hs.append(np.tanh(Wx @ x + Wh @ hs[-1] + b))
    return hs


# ------------------------------------------------------------------ what the diagram says


def test_every_sequence_kind_names_its_row():
    assert set(SEQUENCES) <= set(kinds.LOOKS)
    lstm = loads(LSTM).model.layers[0]
    assert kinds.LOOKS["lstm"].settings(lstm.settings, 1) == (
        "H = 2", "gates ifog", "output last step", "Wx1, Wh1, b1 at every step")
    gru = loads(GRU).model.layers
    assert kinds.LOOKS["gru"].settings(gru[1].settings, 2) == (
        "H = 2", "gates rzn", "form torch", "output every step", "Wx2, Wh2, b2 at every step")
    assert kinds.LOOKS["embedding"].settings(gru[0].settings, 1) == ("E1: 4×2",
                                                                     "a row per token")


def test_the_rnn_unrolled_with_its_numbers(no_matplotlib):
    doc = yaml.safe_load(RNN)
    net = drawn(loads(RNN), gradients=True)
    assert isinstance(net, Unrolled) and net.steps == (1, 2, 3)
    assert [r.name[0] for r in net.rows] == ["input", "RNN, layer 1", "output"]
    assert net.rows[1].name[-2:] == ("aₜ = Wx xₜ + Wh hₜ₋₁ + b", "hₜ = tanh(aₜ)")
    assert net.subtitle.startswith("3×2 → 3 → 2 · loss cross_entropy · L = ")
    assert net.subtitle.endswith("(mean over 2 samples) · values show sample 1 of 2")
    inputs, cells, out = net.rows
    assert [b.title for b in inputs.boxes] == ["x₁", "x₂", "x₃"]
    assert inputs.boxes[2].tables[0].columns == (("3.0000", "-1.0000"),)
    assert [b.title for b in cells.boxes] == ["t = 1", "t = 2", "t = 3"]
    assert cells.boxes[0].lines == ("a → h₁",)
    hs = by_hand_rnn(doc)
    (lane,) = net.lanes
    assert lane.symbol == "h"
    for t, h in enumerate(hs):
        assert table(lane.labels[t], f"h{'₀₁₂₃'[t]}") == column(h)
    a2 = np.arctanh(hs[2])
    assert table(cells.boxes[1].tables, "a") == column(a2)
    # the dense layer at the last step only: softmax of W2 h_3, its y, ∂L/∂a = (ŷ - y)/N
    assert out.boxes[:2] == (None, None) and out.boxes[2].title == "ŷ"
    z = np.array(doc["layers"][1]["weights"]) @ hs[3]
    p = np.exp(z) / np.exp(z).sum()
    assert table(out.boxes[2].tables, "h") == column(p)
    assert table(out.boxes[2].tables, "y") == ("0.0000", "1.0000")
    dz = (p - [0, 1]) / 2
    assert table(out.boxes[2].tables, "∂L/∂a") == column(dz)
    # ∂L/∂h_3 from above only; ∂L/∂h_2 all from step 3, through tanh' and Wh
    dh3 = np.array(doc["layers"][1]["weights"]).T @ dz
    assert table(lane.labels[3], "∂L/∂h₃") == column(dh3)
    assert lane.labels[3][0].note == "from above"
    da3 = dh3 * (1 - hs[3] ** 2)
    assert table(cells.boxes[2].tables, "∂L/∂a") == column(da3)
    dh2 = np.array(doc["layers"][0]["wh"]).T @ da3
    assert table(lane.labels[2], "∂L/∂h₂") == column(dh2)
    assert lane.labels[2][0].note == "from step 3" and len(lane.labels[2]) == 1


def test_the_lstm_has_a_cell_lane_and_its_gates_in_the_files_order(no_matplotlib):
    doc = yaml.safe_load(LSTM)
    layer = doc["layers"][0]
    net = drawn(loads(LSTM), gradients=True)
    assert [lane.symbol for lane in net.lanes] == ["c", "h"]  # c on the upper lane
    cells = net.rows[net.cell]
    assert cells.boxes[0].lines == ("i, f, o, g → c₁, h₁",)
    assert cells.boxes[0].tables[0].headers == ("i", "f", "o", "g")
    assert cells.boxes[0].tables[1].caption == "∂L/∂a"
    Wx, Wh, b = (np.array(layer[k], float) for k in ("wx", "wh", "bias"))
    h, c = np.array(layer["h0"]), np.array(layer["c0"])
    for t, x in enumerate(np.array(doc["x"], float), 1):
        a = Wx @ x + Wh @ h + b  # rows stacked i, f, o, g
        i, f, o, g = sigmoid(a[:2]), sigmoid(a[2:4]), sigmoid(a[4:6]), np.tanh(a[6:])
        c = f * c + i * g
        h = o * np.tanh(c)
        box = cells.boxes[t - 1].tables
        for name, value in zip("ifog", (i, f, o, g)):
            assert table(box, name) == column(value)
        c_label, h_label = net.lanes[0].labels[t], net.lanes[1].labels[t]
        assert table(c_label, f"c{'₀₁₂₃'[t]}") == column(c)
        assert table(h_label, f"h{'₀₁₂₃'[t]}") == column(h)
    # ∂L/∂c_1 from h_1 and from step 2, which add up to it
    c1 = net.lanes[0].labels[1]
    assert c1[1].caption == "∂L/∂c₁ from" and c1[1].headers == ("h₁", "step 2")
    whole, part_h, part_next = (np.array(table(c1, k), float)
                                for k in ("∂L/∂c₁", "h₁", "step 2"))
    assert whole == pytest.approx(part_h + part_next, abs=2e-4)
    assert net.lanes[0].labels[3][0].note == "from h₃"
    assert net.lanes[0].labels[0][0].note == "from step 1"  # ∂L/∂c_0


def test_the_gru_over_an_embedding_every_step(no_matplotlib):
    net = drawn(loads(GRU), gradients=True)
    names = [r.name[0] for r in net.rows]
    assert names == ["input", "embedding, layer 1", "GRU, layer 2", "hidden 3", "output"]
    assert net.cell == 2
    tokens, embedding, cells, hidden, out = net.rows
    assert [b.title for b in tokens.boxes] == ["x₁ = 2", "x₂ = 0", "x₃ = 3", "x₄ = 1"]
    table_e = yaml.safe_load(GRU)["layers"][0]["table"]
    for t, idx in enumerate((2, 0, 3, 1)):
        box = embedding.boxes[t]
        assert box.lines == (f"row {idx} of E1",)
        assert table(box.tables, "e") == column(table_e[idx])
    assert cells.boxes[0].tables[0].headers == ("r", "z", "n")
    assert net.rows[2].name[-1] == "hₜ = (1 − z) ⊙ n + z ⊙ hₜ₋₁"
    assert "n = tanh(Wx eₜ + b + r ⊙ (Wh hₜ₋₁ + b))" in net.rows[2].name
    # a dense layer at every step, its rows n·T + t
    assert [b.title for b in hidden.boxes] == ["h3₁", "h3₂", "h3₃", "h3₄"]
    assert [b.title for b in out.boxes] == ["ŷ₁", "ŷ₂", "ŷ₃", "ŷ₄"]
    assert [table(b.tables, "y") for b in out.boxes] == [("1.0000", "0.0000"),
                                                         ("0.0000", "1.0000")] * 2
    assert net.subtitle.startswith("4 tokens → 4×2 → 4×2 → 4×3 → 4×2 · ")
    assert "(mean over 1 sample × 4 steps)" in net.subtitle
    # ∂L/∂h_t of steps 1 … 3 in two parts that add up; step 4's from above only
    for t in (1, 2, 3):
        label = net.lanes[0].labels[t]
        sub = "₀₁₂₃₄"[t]
        assert label[1].headers == ("above", f"step {t + 1}")
        whole = np.array(table(label, f"∂L/∂h{sub}"), float)
        parts = sum(np.array(table(label, k), float) for k in ("above", f"step {t + 1}"))
        assert whole == pytest.approx(parts, abs=2e-4)
    assert net.lanes[0].labels[4][0].note == "from above"
    assert table(net.lanes[0].labels[0], "h₀") == ("0.0000", "0.0000")


def test_the_cho_form_and_a_recurrent_layer_last(no_matplotlib):
    net = drawn(loads(ALONE))
    assert net.rows[-1].name == ("output", "ŷ = h")
    assert [b.title for b in net.rows[-1].boxes] == ["ŷ₁", "ŷ₂", "ŷ₃"]
    assert table(net.rows[-1].boxes[2].tables, "y") == ("-0.3000", "0.4000")
    assert net.rows[1].name[-2:] == ("n = tanh(Wx xₜ + Wh (r ⊙ hₜ₋₁))",
                                     "hₜ = (1 − z) ⊙ hₜ₋₁ + z ⊙ n")
    assert "GRU" in net.rows[1].name[0] and "form cho" in net.rows[1].name


def test_without_values_the_boxes_name_what_each_step_computes(no_matplotlib):
    net = drawn(loads(LSTM), values=False)
    assert all(not b.tables for r in net.rows for b in r.boxes if b)
    assert [b.title for b in net.rows[0].boxes] == ["x₁", "x₂", "x₃"]
    for lane in net.lanes:  # each arrow named, no numbers
        assert [lab[0].headers[0] for lab in lane.labels] == [f"{lane.symbol}{s}"
                                                              for s in "₀₁₂₃"]
        assert all(lab[0].columns == ((),) for lab in lane.labels)
    assert "L = " not in net.subtitle
    arrange(net)  # placed without numbers too


def test_a_long_sequence_leaves_out_its_middle_steps(no_matplotlib):
    T = 12
    x = np.linspace(-1, 1, T * 2).reshape(T, 2).round(2).tolist()
    doc = yaml.safe_load(RNN)
    net = drawn(loads(RNN, x=x, y=1), gradients=True)
    assert net.steps == (1, 2, 3, None, 10, 11, 12)
    assert [r.boxes[3] for r in net.rows] == [None, None, None]
    assert net.rows[-1].boxes[-1].title == "ŷ"
    hs = by_hand_rnn({**doc, "x": [x]})
    assert table(net.lanes[0].labels[9], "h₉") == column(hs[9])
    sheet = arrange(net)
    markers = [t for t in sheet.texts if t.text == "⋯"]
    assert len(markers) == 2  # the input's row and the h lane (the output has no neighbours)


# ------------------------------------------------------------------ where it goes


def overlap(a, b, slack: float = 0.0) -> bool:
    """Two (left, bottom, right, top) boxes overlap by more than slack."""
    return a[0] < b[2] - slack and b[0] < a[2] - slack and a[1] < b[3] - slack and \
        b[1] < a[3] - slack


def rect_box(r):
    return r.corner[0], r.corner[1], r.corner[0] + r.width, r.corner[1] + r.height


@pytest.mark.parametrize("text", [RNN, LSTM, GRU, ALONE])
def test_boxes_arrows_and_lanes_are_placed(no_matplotlib, text):
    net = drawn(loads(text), gradients=True)
    sheet = arrange(net)
    boxes = [rect_box(r) for r in sheet.rects]
    for k, a in enumerate(boxes):
        assert 0 < a[0] and a[2] < sheet.width and 0 < a[1] and a[3] < sheet.height - 0.9
        assert not any(overlap(a, b) for b in boxes[k + 1:])
    for (x0, y0), (x1, y1) in sheet.arrows:  # up, or right along a lane
        assert (x0 == x1 and y1 > y0) or (y0 == y1 and x1 > x0)
        assert 0 < min(x0, x1) and max(x0, x1) < sheet.width
    # a lane's arrows run between the cells, never through one
    cells = [rect_box(r) for r in sheet.rects if r.kind in ("rnn", "lstm", "gru")]
    lanes = [a for a in sheet.arrows if a[0][1] == a[1][1]]
    assert len(lanes) == len(net.lanes) * (len(net.steps) + 1)
    for (x0, y), (x1, _) in lanes:
        assert any(c[1] < y < c[3] for c in cells)
        assert not any(c[0] + 1e-9 < (x0 + x1) / 2 < c[2] - 1e-9 for c in cells)
    # every text inside the figure, a box's own texts inside it (widths estimated)
    for t in sheet.texts:
        assert 0 < t.at[0] < sheet.width and 0 < t.at[1] < sheet.height


def test_five_steps_of_an_lstm_stay_readable(no_matplotlib):
    rng = np.random.default_rng(0)
    T, D, H = 5, 3, 3

    def w(*shape):
        return (rng.normal(size=shape) * 0.5).round(2).tolist()

    doc = {"x": w(2, T, D), "y": [2, 0], "loss": "cross_entropy", "layers": [
        {"kind": "lstm", "wx": w(4 * H, D), "wh": w(4 * H, H), "bias": w(4 * H)},
        {"weights": w(3, H), "bias": w(3), "activation": "softmax"}]}
    full = arrange(drawn(problem.from_document(doc, "five.yaml"), gradients=True))
    plain = arrange(drawn(problem.from_document(doc, "five.yaml"), values=False))
    three = arrange(drawn(loads(LSTM), gradients=True))
    assert full.width < 24 and full.height < 9  # inches, at 7 pt numbers
    assert plain.width < 15 and three.width < 16
    # a longer sequence is no wider than its first three, ⋯ and last three steps
    doc["x"] = w(2, 40, D)
    long = arrange(drawn(problem.from_document(doc, "forty.yaml"), gradients=True))
    assert long.width < full.width * 1.5


def test_a_tables_columns_hold_their_numbers():
    label = drawn(loads(LSTM), gradients=True).lanes[0].labels[1]
    width, height, widths = table_size(label[1])
    assert len(widths) == 2 and width >= sum(widths) and height > 3 * 0.1


# ------------------------------------------------------------------ the pictures


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.fixture
def lstm_file(tmp_path):
    path = tmp_path / "lstm.yaml"
    path.write_text(LSTM)
    return path


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_a_sequence_draws(run, tmp_path, lstm_file, fmt):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"net.{fmt}"
    result = run("draw", lstm_file, "--values", "--gradients", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == "" and out.stat().st_size > 1000


def test_the_svg_holds_the_steps_the_gates_and_the_states(run, tmp_path, lstm_file):
    pytest.importorskip("matplotlib")
    out = tmp_path / "net.svg"
    assert run("draw", lstm_file, "--values", "--gradients", "-o", out).exit_code == 0
    texts = svg_texts(out)
    assert {"LSTM, three steps", "t = 1", "t = 3", "x₁", "x₃", "ŷ", "i, f, o, g → c₂, h₂",
            "LSTM, layer 1", "cₜ = f ⊙ cₜ₋₁ + i ⊙ g", "c₀", "h₀", "c₃", "h₃", "∂L/∂h₂",
            "∂L/∂c₁ from", "step 2", "from above", "∂L/∂a", "i", "f", "o", "g"} <= set(texts)
    assert "3.0000" in texts and "-1.0000" in texts  # x₃
    plain = tmp_path / "plain.svg"
    assert run("draw", lstm_file, "-o", plain).exit_code == 0
    texts = svg_texts(plain)
    assert {"t = 2", "h₁", "c₁"} <= set(texts)
    assert not {"3.0000", "0.1000", "1.0000"} & set(texts)


def rendered(net):
    """Each text of the sheet with its extent as Agg draws it, in inches."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backprop_cli.output.diagram import network_figure, pictures

    fig = network_figure(net)
    with pictures.style():
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
        return [(t.get_text(), t.get_window_extent(renderer).extents / fig.dpi)
                for t in fig.axes[0].texts]


@pytest.mark.parametrize("text", [RNN, LSTM, GRU])
def test_as_rendered_no_text_overlaps_another_or_leaves_its_box(text):
    pytest.importorskip("matplotlib")
    net = drawn(loads(text), gradients=True)
    sheet = arrange(net)
    texts = rendered(net)
    assert [t for t, _ in texts] == [t.text for t in sheet.texts]
    boxes = [rect_box(r) for r in sheet.rects]
    for k, (text_k, a) in enumerate(texts):
        for text_j, b in texts[k + 1:]:
            assert not overlap(a, b, 0.005), (text_k, text_j)
        home = [box for box in boxes if box[0] < (a[0] + a[2]) / 2 < box[2] and
                box[1] < (a[1] + a[3]) / 2 < box[3]]
        for box in home:  # inside its box, or clear of every box
            assert box[0] < a[0] and a[2] < box[2] and box[1] < a[1] and a[3] < box[3]
        if not home:
            assert not any(overlap(a, box) for box in boxes), text_k


def test_solve_diagram_draws_the_unrolled_cell(tmp_path, lstm_file):
    """What `solve --diagram` draws: the sequence with its values."""
    pytest.importorskip("matplotlib")
    from backprop_cli.api import commands

    out = tmp_path / "net.svg"
    commands.draw_diagram(problem.load(str(lstm_file)), str(out), 4, values=True)
    texts = svg_texts(out)
    assert "t = 3" in texts and "c₃" in texts and "3.0000" in texts
