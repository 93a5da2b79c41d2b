"""The network diagram of convolution and pooling (`backprop draw`, `solve --diagram`): a
feature map is a stack of its channels with its shape, each conv2d, pool and flatten a
block of its settings between the maps, a flatten fanning out to the dense columns (as
elided as any wide layer); each convolution and pool adds a picture of its window at
work: the input grid (sample 1, channel 1, its padding) with the window of the first
output cell on it, the kernel, the output grid with that cell and what it is. Large
maps are shaded without numbers, so a LeNet stays legible, bounded and quick. The model
and the geometry are checked without matplotlib, the pictures with it."""

import sys
import time
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import yaml

from backprop_cli import engine, problem
from backprop_cli.engine.layers import MAPS
from backprop_cli.output.diagram import grids, kinds
from backprop_cli.output.diagram.layout import R, arrange, text_width
from backprop_cli.output.diagram.model import network
from backprop_cli.output.fmt import fixed

SVG = "{http://www.w3.org/2000/svg}"

# /tmp/cv/a.yaml of the issue: 1×4×4 -> conv 2@2×2 relu -> maxpool 2 stride 1 -> flatten
# -> dense 2 softmax
SMALL = """\
x: [[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]]
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

# channels last, a true convolution (flip) of 2 input channels, uneven stride and
# padding, no bias; an average pool counting its zero padding; maps to the output
TURNED = """\
title: Flipped, channels last, ending in a map
channels: last
x: [[[1, 0], [2, 1], [0, 3], [1, 1]], [[0, 2], [1, 1], [3, 0], [2, 2]],
    [[1, 1], [0, 0], [2, 1], [1, 0]], [[2, 0], [1, 2], [0, 1], [3, 3]]]
layers:
  - kind: conv2d
    weights: [[[[1, 0], [0, 1]]], [[[0.5, -1], [1, 0]]]]
    flip: true
    padding: [1, 0]
    stride: [2, 1]
  - kind: avgpool2d
    size: 2
    stride: 1
    padding: 1
loss: upstream
reduction: sum
"""


def loads(text: str, source: str = "maps.yaml", **extra):
    doc = yaml.safe_load(text)
    doc.update(extra)
    return problem.from_document(doc, source)


def turned():
    """TURNED with its dL/dŷ: (H, W, C) = (4, 5, 2)."""
    return loads(TURNED, "turned.yaml", y=(np.arange(40).reshape(4, 5, 2) / 10).tolist())


def lenet_document(seed: int = 0) -> dict:
    """LeNet on one 1×28×28 image: conv 6@5×5 (padding 2), max pool 2, conv 16@5×5, max
    pool 2, flatten (400), dense 120, 84, 10."""
    rng = np.random.default_rng(seed)

    def w(*shape):
        return (rng.normal(size=shape) * 0.2).round(3).tolist()

    x = np.zeros((1, 28, 28))
    x[0, 6:22, 12:16] = rng.uniform(0.5, 1.0, (16, 4)).round(3)
    return {"title": "LeNet", "x": x.tolist(), "loss": "cross_entropy", "y": 3, "layers": [
        {"kind": "conv2d", "weights": w(6, 1, 5, 5), "bias": w(6), "padding": 2,
         "activation": "relu"},
        {"kind": "maxpool2d", "size": 2},
        {"kind": "conv2d", "weights": w(16, 6, 5, 5), "bias": w(16), "activation": "relu"},
        {"kind": "maxpool2d", "size": 2},
        {"kind": "flatten"},
        {"weights": w(120, 400), "bias": w(120), "activation": "relu"},
        {"weights": w(84, 120), "bias": w(84), "activation": "relu"},
        {"weights": w(10, 84), "bias": w(10), "activation": "softmax"}]}


def drawn(prob, values=True, gradients=False):
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    grads = engine.backward(prob.model, prob.params, fwd, prob.y) if gradients else None
    return network(prob, fwd if values else None, grads, 4)


@pytest.fixture
def no_matplotlib(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # any import of it now fails


def correlate(x, k, padding=(0, 0), fill=0.0):
    """The first output cell by hand: the top left window of x (C, H, W) padded with
    `fill`, times k (C, kH, kW), summed."""
    xp = np.pad(x, ((0, 0), (padding[0],) * 2, (padding[1],) * 2), constant_values=fill)
    return float((xp[:, :k.shape[1], :k.shape[2]] * k).sum())


# ------------------------------------------------------------------ what the diagram says


def test_every_map_kind_has_a_block():
    prob = loads(SMALL)
    conv, pool, flat, _ = prob.model.layers
    assert set(MAPS) <= set(kinds.LOOKS)
    assert kinds.block_lines(conv, 1) == ("conv₁", "1 → 2 channels", "kernel 2×2", "stride 1",
                                          "padding 0", "no flip", "W₁, b₁")
    assert kinds.block_lines(pool, 2) == ("max pool₂", "size 2×2", "stride 1", "padding 0",
                                          "per channel")
    assert kinds.block_lines(flat, 3) == ("flatten₃", "2×2×2 → 8", "(C, H, W) order")
    conv, avg = turned().model.layers
    assert kinds.block_lines(conv, 1) == ("conv₁", "2 → 2 channels", "kernel 2×1",
                                          "stride (2, 1)", "padding (1, 0)",
                                          "flip (true conv.)", "W₁, no bias")
    assert kinds.block_lines(avg, 2)[0] == "avg pool₂"
    assert kinds.block_lines(avg, 2)[-1] == "÷ whole window"  # its zero padding counts
    last = loads(SMALL.replace("channels: first", "channels: last").replace(
        "[[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]]",
        "[[[1], [2], [0], [1]], [[0], [1], [3], [1]], [[2], [1], [0], [0]], [[1], [0], [1], [2]]]")
        .replace("[[[[1, 0], [0, -1]]], [[[0.5, 1], [-1, 0]]]]",
                 "[[[[1, 0.5]], [[0, 1]]], [[[0, -1]], [[-1, 0]]]]"))
    assert kinds.block_lines(last.model.layers[2], 3)[2] == "(H, W, C) order"


def test_maps_are_stacks_and_the_dense_layers_columns(no_matplotlib):
    net = drawn(loads(SMALL), gradients=True)
    assert [c.map for c in net.columns] == [(1, 4, 4), (2, 3, 3), (2, 2, 2), None, None]
    assert [c.labels[0] for c in net.columns[:3]] == ["x", "h1", "h2"]
    assert all(c.notes == ((),) for c in net.columns[:3])  # their numbers: the pictures'
    assert len(net.columns[3].labels) == 8 and net.columns[3].name == "hidden 3"
    assert [b.kind if b else None for b in net.blocks] == ["conv2d", "maxpool2d", "flatten",
                                                           None]
    # a convolution's W and b are its block's, not edges
    assert net.weights[:3] == (None, None, None) and net.biases[:3] == (None, None, None)
    assert net.weights[3].shape == (2, 8)
    assert net.subtitle.startswith("1×4×4 → 2×3×3 → 2×2×2 → 8 → 2 · loss cross_entropy · L = ")
    assert [p.layer for p in net.pictures] == [1, 2]  # the convolution and the pool


def test_the_convolution_picture_holds_the_window_the_kernel_and_the_cell(no_matplotlib):
    prob = loads(SMALL)
    x, W, b = prob.x[0].reshape(1, 4, 4), prob.params["W1"], prob.params["b1"]
    conv = drawn(prob, gradients=True).pictures[0]
    inp, kernel, out = conv.grids
    assert conv.title == "conv₁: the window of the first output cell"
    assert conv.between == ("⊛", "→")
    assert (inp.rows, inp.cols, inp.padding, inp.window) == (4, 4, (0, 0), (0, 0, 2, 2))
    assert inp.texts[0] == ("1.0000", "2.0000", "0.0000", "1.0000")
    assert kernel.texts == (("1.0000", "0.0000"), ("0.0000", "-1.0000"))
    assert kernel.window == (0, 0, 2, 2)
    a = correlate(x, W[0]) + b[0]
    assert a == pytest.approx(0.1)
    assert out.window == (0, 0, 1, 1) and out.texts[0][0] == fixed(a, 4)
    # the whole output channel, by hand
    full = [[float((x[0, i:i + 2, j:j + 2] * W[0, 0]).sum() + b[0]) for j in range(3)]
            for i in range(3)]
    assert out.values == pytest.approx(np.array(full))
    assert (inp.caption, kernel.caption, out.caption) == (
        "x, channel 1 of 1", "W₁ kernel 1, channel 1", "a₁, channel 1 of 2")
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    grads = engine.backward(prob.model, prob.params, fwd, prob.y)
    assert conv.lines == ("a₁[1, 1, 1] = Σ window ⊙ kernel + b₁[1] = 0.1000",
                          "h₁[1, 1, 1] = relu(a₁[1, 1, 1]) = 0.1000",
                          f"∂L/∂a₁[1, 1, 1] = {fixed(grads.a[0][0, 0], 4)}")


def test_the_max_pool_picture_marks_the_largest_cell(no_matplotlib):
    prob = loads(SMALL)
    fwd = engine.forward(prob.model, prob.params, prob.x, prob.y)
    h1 = fwd.h[1][0].reshape(2, 3, 3)[0]
    pool = drawn(prob).pictures[1]
    inp, out = pool.grids
    assert pool.between == ("→",) and inp.window == (0, 0, 2, 2)
    window = h1[:2, :2]
    assert inp.mark == np.unravel_index(window.argmax(), window.shape)
    assert inp.values == pytest.approx(h1)
    assert out.texts[0][0] == fixed(window.max(), 4)
    assert pool.lines == (f"a₂[1, 1, 1] = max of the window = {fixed(window.max(), 4)}",)


def test_flip_padding_stride_and_channels_last(no_matplotlib):
    prob = turned()
    x = np.array(yaml.safe_load(TURNED)["x"], float).transpose(2, 0, 1)  # (C, H, W)
    W = np.array(yaml.safe_load(TURNED)["layers"][0]["weights"], float).transpose(3, 2, 0, 1)
    conv, avg = drawn(prob, gradients=True).pictures
    inp, kernel, out = conv.grids
    # one row of padding above and below, none at the sides: NaN, written 0
    assert (inp.rows, inp.cols, inp.padding) == (6, 4, (1, 0))
    assert np.isnan(inp.values[0]).all() and inp.texts[0] == ("0",) * 4
    assert inp.values[1:5] == pytest.approx(x[0])  # channel 1 of the file's last axis
    assert inp.window == (0, 0, 2, 1)
    assert kernel.caption == "W₁ kernel 1, channel 1 turned 180°"
    assert kernel.values == pytest.approx(W[0, 0, ::-1, ::-1])  # as it multiplies
    a = correlate(x, W[0, :, ::-1, ::-1], padding=(1, 0))  # every input channel
    assert out.texts[0][0] == fixed(a, 4) and (out.rows, out.cols) == (3, 4)
    assert conv.lines[:2] == (f"a₁[1, 1, 1] = Σ window ⊙ kernel = {fixed(a, 4)}",
                              "(Σ over all 2 input channels; channel 1 shown)")
    h1 = avg.grids[0]
    assert (h1.rows, h1.cols, h1.padding, h1.window) == (5, 6, (1, 1), (0, 0, 2, 2))
    assert avg.lines[0] == f"a₂[1, 1, 1] = Σ window / 4 = {fixed(out.values[0, 0] / 4, 4)}"
    assert avg.grids[1].caption == "a₂, channel 1 of 2"


def test_without_values_the_grids_are_empty_and_say_what_is_computed(no_matplotlib):
    net = drawn(loads(SMALL), values=False)
    conv, pool = net.pictures
    assert all(g.texts is None and g.values is None for p in net.pictures for g in p.grids)
    assert [(g.rows, g.cols) for g in conv.grids] == [(4, 4), (2, 2), (3, 3)]
    assert conv.lines == ("a₁[1, 1, 1] = Σ window ⊙ kernel + b₁[1]",
                          "h₁[1, 1, 1] = relu(a₁[1, 1, 1])")
    assert pool.grids[0].mark is None
    assert "L = " not in net.subtitle


def test_a_batch_says_which_sample(no_matplotlib):
    prob = loads(SMALL, x=[yaml.safe_load(SMALL)["x"]] * 2, y=[1, 0])
    assert drawn(prob).pictures[0].title.endswith("(sample 1 of 2)")


# ------------------------------------------------------------------ where it goes


def inside(box, frame) -> bool:
    (x, y, w, h), (fx, fy, fw, fh) = box, frame
    return fx - 1e-9 <= x and x + w <= fx + fw + 1e-9 and fy - 1e-9 <= y and \
        y + h <= fy + fh + 1e-9


def test_stacks_blocks_and_pictures_are_placed(no_matplotlib):
    net = drawn(loads(SMALL), gradients=True)
    lay = arrange(net)
    stacks = lay.stacks
    assert [s is not None for s in stacks] == [True, True, True, False, False]
    for stack, place in zip(stacks[:3], lay.columns):
        x, y = place.slots[0].centre
        front, back = stack.corners[-1], stack.corners[0]
        middle = ((front[0] + back[0] + stack.side) / 2, (front[1] + back[1] + stack.side) / 2)
        assert middle == pytest.approx((x, y))  # in its column, at its middle
        assert stack.label_at == pytest.approx((front[0] + stack.side / 2,
                                                front[1] + stack.side / 2))
        assert 0 < min(c[0] for c in stack.corners) and 0 < front[1]
    assert [len(s.corners) for s in stacks[:3]] == [1, 2, 2]  # a square a channel
    assert stacks[0].shape == "1×4×4" and stacks[1].name_at[1] < stacks[1].shape_at[1]
    # the blocks between the maps, clear of their stacks
    for box, k in zip(lay.boxes, range(3)):
        left = max(c[0] for c in stacks[k].corners) + stacks[k].side
        right = lay.columns[k + 1].x - (R if stacks[k + 1] is None else 0)
        assert left < box.centre[0] - box.width / 2 and box.centre[0] + box.width / 2 < \
            (right if stacks[k + 1] is None else min(c[0] for c in stacks[k + 1].corners))
    # one line from map to map, then the flatten's fan to each of the 8 units
    starts = [a for a, _ in lay.links]
    assert len(lay.links) == 2 + 8
    assert starts.count(lay.columns[2].slots[0].centre) == 8
    assert {b for a, b in lay.links[2:]} == {s.centre for s in lay.columns[3].slots}
    # the pictures under everything, inside the figure, apart
    lowest = min(s.note[1] for p in lay.columns for s in p.slots) - 3 * 0.13
    frames = [p.frame for p in lay.panels]
    assert len(frames) == 2
    for x, y, w, h in frames:
        assert 0 < x and x + w < lay.width and 0 < y and y + h < lay.name_y < lowest
    (x0, y0, w0, h0), (x1, y1, w1, h1) = frames
    assert y1 + h1 <= y0 or x1 >= x0 + w0  # a row of its own, or beside
    for panel in lay.panels:
        for cells in panel.cells:
            assert inside(cells.box(0, 0, cells.grid.rows, cells.grid.cols), panel.frame)
            assert cells.numbered and cells.cell >= grids.PLAIN
        first = panel.cells[0]  # the window's box: rows from the top
        assert first.box(0, 0, 2, 2) == pytest.approx(
            (first.origin[0], first.origin[1] + (first.grid.rows - 2) * first.cell,
             2 * first.cell, 2 * first.cell))


def test_cells_hold_their_numbers(no_matplotlib):
    lay = arrange(drawn(turned(), gradients=True))
    for panel in lay.panels:
        for cells in panel.cells:
            widest = max(text_width(t, grids.CELL_PT) for row in cells.grid.texts for t in row)
            assert cells.numbered and widest < cells.cell


def test_a_network_ending_in_maps_has_no_neurons(no_matplotlib):
    net = drawn(turned())
    lay = arrange(net)
    assert all(s is not None for s in lay.stacks) and not lay.edges and not lay.coloured
    assert net.columns[-1].labels == ("ŷ",) and net.columns[-1].name == "output"
    assert len(lay.links) == 2 and len(lay.panels) == 2
    assert lay.subtitle_y * lay.height > max(s.corners[0][1] + s.side for s in lay.stacks)


def lenet():
    return problem.from_document(lenet_document(), "lenet.yaml")


def test_lenet_stays_bounded_and_legible(no_matplotlib):
    net = drawn(lenet(), gradients=True)
    lay = arrange(net)
    assert lay.width < 30 and lay.height < 30  # inches, whatever the maps' size
    assert len(lay.panels) == 4
    # 400 flattened units drawn as 9, ⋮ and the last; the fan reaches those 10
    assert [s.neuron for s in lay.columns[5].slots] == [*range(9), None, 399]
    assert sum(1 for a, b in lay.links if a == lay.columns[4].slots[0].centre) == 10
    first = lay.panels[0].cells
    image, kernel, out = first
    assert (image.grid.rows, image.grid.cols) == (32, 32)  # 28×28 padded by 2
    assert not image.numbered and image.grid.rows * image.cell <= grids.SHADED + 1e-9
    assert not out.numbered and kernel.numbered  # a 5×5 kernel keeps its numbers
    assert lay.panels[3].cells[1].numbered  # the last pool's 5×5 output too
    for panel in lay.panels:
        assert all(max(c.grid.rows, c.grid.cols) * c.cell <= grids.NUMBERED + 1e-9
                   for c in panel.cells)
    # a larger image gives the same picture sizes: shaded grids do not grow
    doc = lenet_document()
    doc["x"] = np.kron(np.array(doc["x"]), np.ones((1, 2, 2))).tolist()  # 1×56×56
    doc["layers"][5]["weights"] = (np.ones((120, 16 * 12 * 12)) * 0.01).tolist()
    big = arrange(drawn(problem.from_document(doc, "big.yaml")))
    assert big.panels[0].frame[2:] == pytest.approx(arrange(drawn(lenet())).panels[0].frame[2:])
    assert big.width < 30 and big.height < 30


# ------------------------------------------------------------------ the pictures


def svg_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


@pytest.fixture
def small_file(tmp_path):
    path = tmp_path / "a.yaml"
    path.write_text(SMALL)
    return path


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_a_conv_network_draws(run, tmp_path, small_file, fmt):
    pytest.importorskip("matplotlib")
    out = tmp_path / f"net.{fmt}"
    result = run("draw", small_file, "--values", "--gradients", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == "" and out.stat().st_size > 1000


def test_the_svg_holds_the_blocks_the_maps_and_the_window(run, tmp_path, small_file):
    pytest.importorskip("matplotlib")
    out = tmp_path / "net.svg"
    assert run("draw", small_file, "--values", "-o", out).exit_code == 0
    texts = svg_texts(out)
    assert {"conv₁", "max pool₂", "flatten₃", "kernel 2×2", "2×2×2 → 8", "1×4×4", "2×3×3",
            "x", "h1", "h2", "h3_1", "h3_8", "input", "hidden 1", "relu",
            "conv₁: the window of the first output cell", "x, channel 1 of 1",
            "a₁[1, 1, 1] = Σ window ⊙ kernel + b₁[1] = 0.1000", "⊛", "→",
            "a₂[1, 1, 1] = max of the window = 1.1000"} <= set(texts)
    assert texts.count("-1.0000") >= 1 and texts.count("3.0000") >= 1  # x, the kernel
    plain = tmp_path / "plain.svg"
    assert run("draw", small_file, "-o", plain).exit_code == 0
    texts = svg_texts(plain)
    assert "a₁[1, 1, 1] = Σ window ⊙ kernel + b₁[1]" in texts
    assert not {"1.0000", "0.1000", "2.0000"} & set(texts)


def test_the_figure_picks_out_each_window_and_cell(small_file):
    pytest.importorskip("matplotlib")
    from matplotlib.patches import Rectangle

    from backprop_cli.output.diagram import mapfigure, network_figure

    fig = network_figure(drawn(problem.load(str(small_file))))
    ax = fig.axes[0]
    picked = [p for p in ax.patches if isinstance(p, Rectangle) and not p.get_fill() and
              p.get_edgecolor()[:3] == pytest.approx(
                  tuple(int(mapfigure.PICKED[i:i + 2], 16) / 255 for i in (1, 3, 5)))]
    assert len(picked) == 3 + 2  # window, kernel, cell; window, cell
    assert [im.get_array().shape for im in ax.images] == [(4, 4, 4), (2, 2, 4), (3, 3, 4),
                                                          (3, 3, 4), (2, 2, 4)]  # RGBA cells
    assert (ax.get_xlim(), ax.get_ylim()) == ((0, fig.get_figwidth()), (0, fig.get_figheight()))
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("x") == 1 and "1×4×4" in texts
    bold = [t.get_text() for t in ax.texts if t.get_fontweight() == "bold" and
            t.get_fontsize() == grids.CELL_PT]
    assert bold == ["1.1000"]  # the max pool's largest cell


def rendered_boxes(fig):
    """Each text of the figure as Agg draws it, in inches: (left, bottom, right, top)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    from backprop_cli.output.diagram import pictures

    with pictures.style():
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
        return [(t.get_text(), *(t.get_window_extent(renderer).extents / fig.dpi))
                for t in fig.axes[0].texts]


@pytest.mark.parametrize("name", ["small", "turned"])
def test_as_rendered_the_numbers_fit_their_cells_and_the_texts_their_panels(name):
    pytest.importorskip("matplotlib")
    from backprop_cli.output.diagram import network_figure
    from backprop_cli.output.diagram.layout import arrange as layout

    prob = loads(SMALL) if name == "small" else turned()
    net = drawn(prob, gradients=True)
    lay = layout(net)
    boxes = rendered_boxes(network_figure(net))
    for panel in lay.panels:
        fx, fy, fw, fh = panel.frame
        cells = [(c.centre(i, j), t, c.cell) for c in panel.cells
                 for i, row in enumerate(c.grid.texts) for j, t in enumerate(row)]
        for (x, y), text, side in cells:
            box = next(b for b in boxes if b[0] == text and
                       abs((b[1] + b[3]) / 2 - x) < 1e-3 and abs((b[2] + b[4]) / 2 - y) < 0.02)
            assert box[3] - box[1] < side and box[4] - box[2] < side
        inner = [b for b in boxes if fx < (b[1] + b[3]) / 2 < fx + fw and
                 fy < (b[2] + b[4]) / 2 < fy + fh]
        assert len(inner) > len(cells)  # the title, captions, signs and lines too
        for _, x0, y0, x1, y1 in inner:
            assert fx < x0 and x1 < fx + fw and fy < y0 and y1 < fy + fh


def test_solve_diagram_draws_the_maps(tmp_path, small_file):
    """What `solve --diagram` draws: the network with its values."""
    pytest.importorskip("matplotlib")
    from backprop_cli.api import commands

    out = tmp_path / "net.svg"
    commands.draw_diagram(problem.load(str(small_file)), str(out), 4, values=True)
    texts = svg_texts(out)
    assert "conv₁" in texts and "a₁[1, 1, 1] = Σ window ⊙ kernel + b₁[1] = 0.1000" in texts


def test_lenet_draws_quickly(tmp_path):
    pytest.importorskip("matplotlib")
    from backprop_cli.output.diagram import draw_network

    prob = lenet()
    start = time.process_time()  # this process's time: other work on the machine aside
    net = drawn(prob, gradients=True)
    draw_network(net, str(tmp_path / "lenet.svg"))
    assert time.process_time() - start < 3.0
    texts = svg_texts(tmp_path / "lenet.svg")
    assert texts.count("⋮") == 3 and "h5_400" in texts and "h5_10" not in texts
    assert {"conv₁", "max pool₂", "conv₃", "max pool₄", "flatten₅", "16×5×5 → 400",
            "(Σ over all 6 input channels; channel 1 shown)"} <= set(texts)
    root = ET.parse(tmp_path / "lenet.svg").getroot()
    width, height = (float(root.get(k).removesuffix("pt")) / 72 for k in ("width", "height"))
    assert width < 30 and height < 30
