"""`backprop graph` worked solutions (Markdown, a LaTeX document pdflatex compiles) and
--draw pictures."""

import re
import shutil
import sys

import pytest
from helpers import assert_markdown_well_formed, compile_latex

CLASSIC = ["(x + y) * z", "x=-2", "y=5", "z=-4"]
STAGED = ["s = sigmoid(y); f = (x + s) / (sigmoid(x) + (x + y)**2)", "x=3", "y=-4"]
KINKS = ["x * x + max(x, y) * relu(y - 3) + abs(x - 3)", "x=3", "y=3"]
EVERY_OP = ["a = exp(-x) + log(y) - sqrt(y) / tanh(x); b = max(a, x) * min(y, 2) ** 2; "
            "f = relu(b) + abs(a) + sigmoid(b) ** -1 + 1 / (1 + y)", "x=0.5", "y=1.25"]
needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex not installed: apt-get install "
                                           "texlive-latex-base texlive-latex-recommended")


# ------------------------------------------------------------------ Markdown


def test_markdown_writes_out_every_product(run):
    result = run("graph", *CLASSIC, "--format", "markdown")
    assert result.exit_code == 0
    text = result.stdout
    assert_markdown_well_formed(text)
    assert text.startswith("# Worked solution\n\nExpression: (x + y) \\* z\n")
    assert "Values: $x = -2, \\quad y = 5, \\quad z = -4$." in text
    for row in [r"n_{1} &= x + y = -2 + 5 = 3.0000 \\",
                r"f &= n_{1} \cdot z = 3.0000 \cdot \left(-4\right) = -12.0000",
                r"\frac{\partial f}{\partial n_{1}} &= z = -4.0000 \\",
                r"\frac{\partial f}{\partial x} &= \frac{\partial f}{\partial n_{1}} \cdot 1 \\",
                r" &= \left(-4.0000\right) \cdot 1.0000 \\",
                "| $f$ | **-12.0000** |",
                r"| $\frac{\partial f}{\partial z}$ | **3.0000** |"]:
        assert row in text, row


def test_markdown_sums_the_uses_and_names_the_kink_rules(run):
    text = run("graph", *KINKS, "--format", "markdown").stdout
    assert_markdown_well_formed(text)
    assert r"&= \tfrac{1}{2} = 0.5000 \quad \text{because } x = y \text{, a tie} \\" in text
    assert r"&= 0 \quad \text{because } n_{3} \le 0 \\" in text  # relu(y - 3) at 0
    assert r"&= 0 \quad \text{because } n_{7} = 0 \\" in text  # abs(x - 3) at 0
    # x is used by x * x (twice), max, and x - 3: one sum of all its products
    assert re.search(r"\\frac\{\\partial f\}\{\\partial x\} &= .* \+ .* \+ .*\\\\", text)
    assert "| $\\frac{\\partial f}{\\partial x}$ | **6.0000** |" in text


def test_several_exercises_in_one_document(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a.yaml").write_text("title: First\nexpression: x * y\nvalues: {x: 2, y: 3}\n")
    (tmp_path / "b.yaml").write_text("expression: sigmoid(x)\nvalues: {x: 0}\n")
    text = run("graph", "a.yaml", "b.yaml", "--format", "markdown").stdout
    assert text.count("\n# ") == 0 and text.startswith("# Worked solutions\n")
    assert "\n## First\n" in text and "\n## b.yaml\n" in text
    assert text.count("\n### Backward pass\n") == 2


# ------------------------------------------------------------------ LaTeX


@needs_pdflatex
@pytest.mark.parametrize("args", [CLASSIC, STAGED, KINKS, EVERY_OP],
                         ids=["classic", "staged", "kinks", "every-op"])
def test_latex_compiles(run, tmp_path, args):
    result = run("graph", *args, "--format", "latex")
    assert result.exit_code == 0
    assert result.stdout.startswith("\\documentclass")
    compile_latex(tmp_path, result.stdout)


@needs_pdflatex
def test_latex_with_the_drawing_and_several_files(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    text = run("graph", *STAGED, "--format", "latex", "--draw", "graph.pdf").stdout
    assert "\\includegraphics[width=0.8\\linewidth]{graph.pdf}" in text
    compile_latex(tmp_path, text)
    (tmp_path / "a.yaml").write_text("title: A & B_1 50%\nexpression: x * y\n"
                                     "values: {x: 2, y: 3}\n")
    (tmp_path / "b.yaml").write_text("expression: sigmoid(x)\nvalues: {x: 0}\n")
    compile_latex(tmp_path, run("graph", "a.yaml", "b.yaml", "--format", "latex").stdout)


# ------------------------------------------------------------------ pictures


@pytest.mark.parametrize("ext", ["svg", "png", "pdf"])
def test_draw(run, tmp_path, ext):
    target = tmp_path / f"graph.{ext}"
    result = run("graph", *CLASSIC, "--draw", target, "--get", "value")
    assert result.exit_code == 0 and result.stdout == "-12.0\n"
    data = target.read_bytes()
    assert data[:5] == {"svg": b"<?xml", "png": b"\x89PNG\r", "pdf": b"%PDF-"}[ext]
    assert [p.name for p in tmp_path.iterdir()] == [target.name]  # no temporary files left


def test_svg_shows_values_above_and_gradients_below(run, tmp_path):
    target = tmp_path / "graph.svg"
    run("graph", *CLASSIC, "--draw", target, "--decimals", "2")
    svg = target.read_text()
    for text in ["-2.00", "5.00", "-4.00", "3.00", "-12.00", "1.00", "n1", "×", "+"]:
        assert f">{text}<" in svg or f"> {text}<" in svg or text in svg, text
    # the same picture gives the same bytes
    run("graph", *CLASSIC, "--draw", tmp_path / "again.svg", "--decimals", "2")
    assert (tmp_path / "again.svg").read_text() == svg


def test_draw_every_operation(run, tmp_path):
    target = tmp_path / "graph.png"
    assert run("graph", *EVERY_OP, "--draw", target).exit_code == 0
    assert target.stat().st_size > 10_000


def test_draw_without_matplotlib(run, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    result = run("graph", *CLASSIC, "--draw", tmp_path / "graph.svg")
    assert result.exit_code == 2
    assert result.stderr == "Error: drawing needs matplotlib: pip install " \
                            "'backprop-cli[plot]'\n"
    assert not (tmp_path / "graph.svg").exists()


def test_gate_labels_and_layout():
    from backprop_cli.engine.graph.program import evaluate
    from backprop_cli.output.diagram.graph.layout import arrange, gate
    from backprop_cli.output.diagram.graph.order import order
    from backprop_cli.problem.graph.expression import parse

    graph = evaluate(parse("f = 1 / (1 + exp(-(w*x))) + (x - 2) ** 2", "t"),
                     {"w": 2.0, "x": -1.0})
    labels = {n.name: gate(n) for n in graph.nodes if n.op != "input"}
    assert list(labels.values()) == ["×", "−x", "exp", "+1", "1÷", "−2", "^2", "+"]
    column, _, routes = order(graph)
    assert column["w"] < column["n1"] < column["n2"] < column["f"]
    assert len(routes[("x", "n6")]) == 2  # x sits just left of its uses
    lay = arrange(graph, 4)
    where = {t.text: t.centre for t in lay.texts if t.kind in ("input", "output")}
    assert where["w"][0] < min(c.centre[0] for c in lay.circles)
    assert where["f"][0] > max(c.centre[0] for c in lay.circles)
