"""`backprop draw` and the loss curve of `plots.plot_losses`: valid SVG/PNG/PDF files holding
the labels and numbers an exercise shows; the texts of `backprop graph --draw` as rendered."""

import os
import struct
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import graph_pictures
import numpy as np
import pytest
import yaml

from backprop_cli.output.diagram import pictures, plots

CLASSIC = Path(__file__).resolve().parent.parent / "problems" / "classic.yaml"
SVG = "{http://www.w3.org/2000/svg}"

ONE_NEURON = """\
title: One neuron
x: [0.5]
y: [1.0]
loss: mse
layers:
  - {weights: [[0.3]], bias: [0.1], activation: sigmoid}
"""


def svg_texts(path) -> list[str]:
    """Every text element of an SVG file (it must parse), as its text."""
    root = ET.parse(path).getroot()
    assert root.tag == f"{SVG}svg"
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def only_file(folder):
    """The folder holds exactly what was written: no temporary files left behind."""
    return sorted(os.listdir(folder))


@pytest.fixture
def problem_file(run, tmp_path):
    """problem_file(*layers, extra...) -> path of a `backprop new` problem."""

    def make(layers: str, *args):
        result = run("new", "--layers", layers, "--seed", "1", *args)
        assert result.exit_code == 0, result.stderr
        path = tmp_path / f"net-{layers.replace(',', '-')}.yaml"
        path.write_text(result.stdout)
        return path

    return make


def classic_parameters() -> list[float]:
    doc = yaml.safe_load(CLASSIC.read_text())
    values = []
    for layer in doc["layers"]:
        values += [v for row in layer["weights"] for v in row] + layer["bias"]
    return values


def test_classic_with_values_holds_every_weight_label_and_number(run, tmp_path):
    out = tmp_path / "classic.svg"
    result = run("draw", CLASSIC, "--values", "-o", out)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""
    texts = svg_texts(out)
    for value in classic_parameters():  # every weight and bias, as written on its edge
        assert f"{value:.4f}" in texts
    labels = ["x1", "x2", "x3", "h1_1", "h1_2", "h1_3", "h2_1", "h2_2", "h2_3",
              "ŷ1", "ŷ2", "ŷ3"]
    assert set(labels) <= set(texts)
    assert texts.count("sigmoid") == 2 and texts.count("softmax") == 1
    assert {"input", "hidden 1", "hidden 2", "output"} <= set(texts)
    assert "Two sigmoid hidden layers, softmax output" in texts
    assert texts.count("1") == 3  # a bias node feeding each layer
    joined = "\n".join(texts)
    for number in ("a = 1.5350", "h = 0.8227", "a = 3.0400", "h = 0.4247", "L = 0.8564"):
        assert number in joined  # the published forward pass
    assert "∂L/∂a" not in joined
    assert only_file(tmp_path) == ["classic.svg"]


def test_decimals_gradients_and_hidden_biases(run, tmp_path, solve_json):
    out = tmp_path / "classic.svg"
    result = run("draw", CLASSIC, "--values", "--gradients", "--decimals", "6",
                 "--biases", "hidden", "-o", out)
    assert result.exit_code == 0, result.stderr
    texts = svg_texts(out)
    weights = classic_parameters()[:9]  # W1
    assert all(f"{w:.6f}" in texts for w in weights)
    assert "0.383442" not in texts  # b1[0]: no bias nodes, no bias edges
    assert "1" not in texts
    joined = "\n".join(texts)
    grads = solve_json(CLASSIC)["gradients"]
    for name in ("a1", "a2", "a3"):
        assert all(f"∂L/∂a = {g:.6f}" in joined for g in grads[name])


def test_plain_diagram_has_no_numbers(run, tmp_path):
    out = tmp_path / "net.svg"
    assert run("draw", CLASSIC, "-o", out).exit_code == 0
    texts = svg_texts(out)
    assert "h2_3" in texts and "0.5488" not in texts
    assert not any(t.startswith(("a = ", "L = ")) for t in texts)


def test_classic_png_and_pdf(run, tmp_path):
    png, pdf = tmp_path / "classic.png", tmp_path / "classic.PDF"
    assert run("draw", CLASSIC, "--values", "-o", png).exit_code == 0
    width, height = png_size(png)
    assert 1000 <= width <= 2500 and 600 <= height <= 2000 and width > height
    assert run("draw", CLASSIC, "-o", pdf).exit_code == 0
    assert pdf.read_bytes().startswith(b"%PDF")


def test_one_neuron(run, tmp_path):
    problem = tmp_path / "one.yaml"
    problem.write_text(ONE_NEURON)
    for name in ("one.svg", "one.png"):
        result = run("draw", problem, "--values", "--gradients", "-o", tmp_path / name)
        assert result.exit_code == 0, result.stderr
    texts = svg_texts(tmp_path / "one.svg")
    assert {"x1", "ŷ1", "0.3000", "0.1000", "output", "sigmoid", "One neuron"} <= set(texts)
    width, height = png_size(tmp_path / "one.png")
    assert 500 <= width <= 1500 and 400 <= height <= 1500


def test_twelve_wide_draws_every_neuron_and_colours_weights(run, tmp_path, problem_file):
    problem = problem_file("12,12,12,3", "--init", "normal")
    svg, png = tmp_path / "wide.svg", tmp_path / "wide.png"
    assert run("draw", problem, "--values", "-o", svg).exit_code == 0
    assert run("draw", problem, "-o", png).exit_code == 0
    texts = svg_texts(svg)
    assert {f"x{i}" for i in range(1, 13)} <= set(texts)
    assert {f"h2_{i}" for i in range(1, 13)} <= set(texts)
    assert "⋮" not in texts
    weight = yaml.safe_load(problem.read_text())["layers"][0]["weights"][0][0]
    assert f"{weight:.4f}" not in texts  # too many edges to write: colour and width instead
    assert any(t.startswith("weight (colour)") for t in texts)  # the colour bar's legend
    assert sum(t.startswith("a = ") for t in texts) == 27
    width, height = png_size(png)
    assert 800 <= width <= 3000 and 1000 <= height <= 3000


def test_wider_layers_are_elided(run, tmp_path, problem_file):
    out = tmp_path / "elided.svg"
    result = run("draw", problem_file("20,16,3"), "--values", "-o", out)
    assert result.exit_code == 0, result.stderr
    texts = svg_texts(out)
    assert texts.count("⋮") == 2
    assert {"x1", "x9", "x20", "h1_1", "h1_9", "h1_16"} <= set(texts)
    assert not {"x10", "x19", "h1_10", "h1_15"} & set(texts)
    assert sum(t.startswith("a = ") for t in texts) == 10 + 3


def test_batch_values_show_the_first_sample_and_say_so(run, tmp_path):
    out = tmp_path / "batch.svg"
    result = run("draw", "--example", "batch_classes", "--values", "-o", out)
    assert result.exit_code == 0, result.stderr
    subtitle = [t for t in svg_texts(out) if t.startswith("3 → 2 → 3")]
    assert subtitle == ["3 → 2 → 3 · loss cross_entropy · L = 2.2814 (sum over 2 samples) · "
                        "neurons show sample 1 of 2"]


def test_a_glyph_the_font_lacks_is_one_warning_line(run, tmp_path):
    problem = tmp_path / "p.yaml"
    problem.write_text(CLASSIC.read_text().replace("title: Two sigmoid", "title: 学 Two $x$"))
    result = run("draw", problem, "-o", tmp_path / "net.png")
    assert result.exit_code == 0
    assert result.stderr.startswith("Warning: Glyph 23398")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_standard_input(run, tmp_path):
    out = tmp_path / "net.svg"
    result = run("draw", "-", "-o", out, input=CLASSIC.read_text())
    assert result.exit_code == 0, result.stderr
    assert "h1_1" in svg_texts(out)


@pytest.mark.parametrize("name", ["net.txt", "net", "net.jpg"])
def test_bad_extension_is_an_error(run, tmp_path, name):
    result = run("draw", CLASSIC, "-o", tmp_path / name)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and ".svg, .png or .pdf" in result.stderr
    assert "Traceback" not in result.stderr
    assert os.listdir(tmp_path) == []


def test_output_is_required(run):
    result = run("draw", CLASSIC)
    assert result.exit_code == 2 and "'-o'" in result.stderr


def test_unwritable_output_keeps_the_old_file(run, tmp_path, monkeypatch):
    missing = tmp_path / "no" / "net.svg"
    result = run("draw", CLASSIC, "-o", missing)
    assert result.exit_code == 2 and "cannot write" in result.stderr
    old = tmp_path / "net.svg"
    old.write_text("old")

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("matplotlib.figure.Figure.savefig", full_disk)
    result = run("draw", CLASSIC, "-o", old)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {old}: cannot write: No space left on device\n"
    assert old.read_text() == "old" and only_file(tmp_path) == ["net.svg"]


def test_missing_matplotlib_names_the_extra(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = run("draw", CLASSIC, "-o", tmp_path / "net.svg")
    assert result.exit_code == 2
    assert result.stderr == ("Error: drawing needs matplotlib: "
                             "pip install 'backprop-cli[plot]'\n")
    with pytest.raises(pictures.MissingExtra, match=r"backprop-cli\[plot\]"):
        plots.plot_losses([1.0, 0.5], str(tmp_path / "losses.png"), "sgd, lr = 1.0")
    assert os.listdir(tmp_path) == []


def test_matplotlib_is_not_imported_with_the_package():
    code = "import sys, backprop_cli.cli; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"


def test_help_shows_examples(run):
    result = run("draw", "--help")
    assert result.exit_code == 0
    assert "backprop draw problems/classic.yaml --values -o docs/classic.svg" in result.stdout


# ------------------------------------------------------------------ loss curves


def test_loss_scale():
    assert plots.loss_scale([2.0, 1.0, 0.5]) == "linear"
    assert plots.loss_scale([2.0, 0.03]) == "linear"  # under two decades
    assert plots.loss_scale([2.0, 1e-3]) == "log"
    assert plots.loss_scale([1.0, 0.0]) == "linear"  # a zero loss has no logarithm
    assert plots.loss_scale([]) == "linear"


def test_losses_figure_axes():
    fig = plots.losses_figure([0.8564, 0.0725, 0.01, 1e-4], "sgd, lr = 1.0")
    ax = fig.axes[0]
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("step", "loss",
                                                                  "sgd, lr = 1.0")
    assert plots.losses_figure([0.9, 0.8], "t").axes[0].get_yscale() == "linear"


def test_plot_losses_writes_svg_and_png(tmp_path):
    losses = [0.8564 * 0.5 ** i for i in range(40)]
    plots.plot_losses(losses, str(tmp_path / "losses.svg"), "adam, lr = 0.1")
    texts = svg_texts(tmp_path / "losses.svg")
    assert {"adam, lr = 0.1", "step", "loss"} <= set(texts)
    plots.plot_losses(losses[:3], str(tmp_path / "losses.png"), "sgd, lr = 1.0")
    width, height = png_size(tmp_path / "losses.png")
    assert (width, height) == (960, 600)
    with pytest.raises(pictures.UnknownFormat, match=r"losses\.gif"):
        plots.plot_losses(losses, str(tmp_path / "losses.gif"), "t")
    assert only_file(tmp_path) == ["losses.png", "losses.svg"]


def test_step_plot_writes_the_loss_curve(run, tmp_path):
    out = tmp_path / "losses.svg"
    result = run("step", "--example", "classic", "--steps", "20", "--lr", "0.5",
                 "--plot", out, "-o", tmp_path / "after.yaml")
    assert result.exit_code == 0, result.stderr
    text = out.read_text()
    assert "sgd, lr = 0.5" in text and "step" in text and "loss" in text
    bad = run("step", "--example", "classic", "--plot", tmp_path / "losses.bmp")
    assert bad.exit_code == 2 and bad.stderr.startswith("Error: ")
    assert not (tmp_path / "losses.bmp").exists()


# ------------------------------------------------------------------ backprop graph --draw


def rendered(fig):
    """(text boxes, lines, circles, canvas) of a figure as Agg renders it, in pixels: each
    text's extent as the renderer measures it, each arrow's line and head."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.patches import Circle, FancyArrowPatch

    with pictures.style():
        FigureCanvasAgg(fig)
        renderer = fig.canvas.get_renderer()
        ax = fig.axes[0]
        boxes = [(*t.get_window_extent(renderer).extents, t.get_text()) for t in ax.texts]
        lines = [poly for p in ax.patches if isinstance(p, FancyArrowPatch)
                 for poly in p.get_transform().transform_path(p.get_path())
                 .to_polygons(closed_only=False)]
        circles = []
        for p in ax.patches:
            if isinstance(p, Circle):
                outline = p.get_transform().transform_path(p.get_path()).vertices
                centre = outline.mean(axis=0)
                circles.append((*centre, np.hypot(*(outline - centre).T).min()))
    return boxes, lines, circles, (fig.bbox.width, fig.bbox.height)


@pytest.fixture
def drawn_figures(monkeypatch):
    """The figures `backprop graph --draw` saves, kept as they are saved."""
    figures = []
    save = pictures.save

    def keep(fig, path):
        figures.append(fig)
        save(fig, path)

    monkeypatch.setattr(pictures, "save", keep)
    return figures


@pytest.mark.parametrize("name", ["classic", "micrograd", "long names", "every operation"])
def test_graph_pictures_as_rendered_keep_texts_apart(run, tmp_path, drawn_figures, name):
    """The texts as Agg measures them: no two meet, no line passes through one (a line
    through its own label struck it through), none leaves the picture (long names were
    cut), none but a gate comes into a circle."""
    text, values = graph_pictures.GRAPHS[name]
    args = [f"{k}={v}" for k, v in values.items()]
    result = run("graph", "--draw", tmp_path / "g.png", "--get", "value", "--", text, *args)
    assert result.exit_code == 0, result.stderr
    boxes, lines, circles, canvas = rendered(drawn_figures[0])
    assert len(boxes) > 3 * len(circles)
    assert graph_pictures.problems(boxes, lines, canvas, 0.5) == []
    outside = [b for b in boxes if not any(b[0] < x < b[2] and b[1] < y < b[3]
                                           for x, y, _ in circles)]  # no gates
    assert graph_pictures.problems(outside, [], canvas, 0.5, circles) == []


@pytest.mark.parametrize("name", list(graph_pictures.GRAPHS))
def test_graph_layout_boxes_hold_the_rendered_texts(name):
    """The layout's estimates of the texts' extents hold what Agg draws."""
    from backprop_cli.output.diagram.graph import figure as graph_figure
    from backprop_cli.output.diagram.graph import layout as graph_layout

    lay = graph_layout.arrange(graph_pictures.graph(name), 4)
    fig = graph_figure.figure(lay)
    boxes, _, _, _ = rendered(fig)
    planned = [*lay.texts, *(c.gate for c in lay.circles)]
    assert [b[4] for b in boxes] == [t.text for t in planned]
    for (x0, y0, x1, y1, _), t in zip(boxes, planned):
        px = [v * fig.dpi for v in t.box]
        assert px[0] <= x0 and px[1] <= y0 and x1 <= px[2] and y1 <= px[3], t
