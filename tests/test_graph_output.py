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
# sin, cos, log10, square, a variable exponent (x ** y, 2 ** x), c += ... and a method
NEW_OPS = ["c = x ** y + 2 ** x; c += sin(x) * cos(y); c = c + log10(y) - square(x - y); "
           "c.tanh()", "x=0.5", "y=2"]
SOURCES = ["c = a + b; c += np.exp(a); d = c.tanh() + math.log(b) + torch.relu(a) + ln(b)",
           "a=0.5", "b=2"]
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


def test_markdown_rules_of_the_new_operations(run):
    result = run("graph", *NEW_OPS, "--format", "markdown")
    assert result.exit_code == 0, result.output
    text = result.stdout
    assert_markdown_well_formed(text)
    for row in [r"n_{1} &= x^{y} = 0.5^{2} = 0.2500 \\",
                r"n_{2} &= 2^{x} = 2^{0.5} = 1.4142 \\",
                r"n_{3} &= \sin(x) = \sin(0.5) = 0.4794 \\",
                r"n_{4} &= \cos(y) = \cos(2) = -0.4161 \\",
                r"c_{2} &= c + n_{5} = 1.6642 + \left(-0.1995\right) = 1.4647 \\",
                r"n_{6} &= \log_{10}(y) = \log_{10}(2) = 0.3010 \\",
                r"n_{9} &= n_{8}^{2} = \left(-1.5000\right)^{2} = 2.2500 \\",
                r"c_{3} &= n_{7} - n_{9} = 1.7657 - 2.2500 = -0.4843 \\",
                r"f &= \tanh(c_{3}) = \tanh(-0.4843) = -0.4497",
                # ∂(x^y)/∂x = y x^(y-1), ∂(x^y)/∂y = x^y ln x; 2^x: 2^x ln 2
                r"\frac{\partial n_{1}}{\partial x} &= y \, x^{y - 1} = 1.0000 \\",
                r"\frac{\partial n_{1}}{\partial y} &= x^{y} \ln(x) = -0.1733 \\",
                r"\frac{\partial n_{2}}{\partial x} &= 2^{x} \ln(2) = 0.9803 \\",
                r"\frac{\partial n_{3}}{\partial x} &= \cos(x) = 0.8776 \\",
                r"\frac{\partial n_{4}}{\partial y} &= -\sin(y) = -0.9093 \\",
                r"\frac{\partial n_{6}}{\partial y} &= \frac{1}{y \ln 10} = 0.2171 \\",
                r"\frac{\partial n_{9}}{\partial n_{8}} &= 2 n_{8} = -3.0000 \\",
                r"\frac{\partial c_{2}}{\partial c} &= 1 \\",
                r"\frac{\partial f}{\partial c_{3}} &= \frac{\partial f}{\partial f} \cdot "
                r"\left(1 - \tanh^{2}(c_{3})\right) \\",
                r"\frac{\partial f}{\partial n_{4}} &= \frac{\partial f}{\partial n_{5}} "
                r"\cdot n_{3} \\"]:
        assert row in text, row
    # x is used by x ** y, 2 ** x, sin(x) and x - y: one sum of four products
    assert re.search(r"\\frac\{\\partial f\}\{\\partial x\} &= (.* \+ ){3}.*\\\\", text)


def test_markdown_variable_exponent_at_zero_names_torchs_case(run):
    """0 ** y: ∂/∂y = 0 (torch masks ln 0 where y >= 0); x ** 0: ∂/∂x = 0."""
    text = run("graph", "x ** y * z + y ** x", "x=0", "y=0", "z=2",
               "--format", "markdown").stdout
    assert_markdown_well_formed(text)
    assert r"\frac{\partial n_{1}}{\partial x} &= 0 \quad \text{because } y = 0 \\" in text
    assert (r"\frac{\partial n_{1}}{\partial y} &= 0 \quad \text{because } x = 0 "
            r"\text{ and } y \ge 0 \\") in text
    text = run("graph", "x ** y", "x=0", "y=1", "--format", "markdown").stdout
    assert r"\frac{\partial f}{\partial x} &= y \, x^{y - 1} = 1.0000 \\" in text


def test_names_assigned_again_are_subscripted(run):
    """c_2 is c_{2}; a name with a digit, x1 assigned again (x1_2), is x_{1,2}, not the
    double subscript x_{1}_{2} that TeX refuses."""
    from backprop_cli.output.graph.worked import symbol

    assert [symbol(n) for n in ("c_2", "c_3", "x1_2", "out1_2", "x1_hat")] == \
        ["c_{2}", "c_{3}", "x_{1,2}", r"\mathrm{out}_{1,2}", r"x_{1,\mathrm{hat}}"]
    text = run("graph", *SOURCES, "--format", "markdown").stdout
    assert_markdown_well_formed(text)
    assert r"c_{2} &= c + n_{1} = " in text
    assert (r"\frac{\partial d}{\partial c_{2}} &= \frac{\partial d}{\partial n_{2}} \cdot "
            r"\left(1 - \tanh^{2}(c_{2})\right) \\") in text  # the output is named d
    assert text.count(r"= \ln(b) = \ln(2) = 0.6931 \\") == 2  # math.log(b) and ln(b)
    assert r"\frac{\partial n_{2}}{\partial c_{2}} &= 1 - \tanh^{2}(c_{2}) = " in text


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
@pytest.mark.parametrize("args", [CLASSIC, STAGED, KINKS, EVERY_OP, NEW_OPS, SOURCES,
                                  ["x1 = x ** y; x1 += square(x); x1_2 = x1 * y; x1_2 *= 2",
                                   "x=0", "y=0"]],
                         ids=["classic", "staged", "kinks", "every-op", "new-ops", "sources",
                              "renamed"])
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


@pytest.mark.parametrize("ext", ["svg", "png"])
def test_draw_the_new_operations(run, tmp_path, ext):
    target = tmp_path / f"graph.{ext}"
    assert run("graph", *NEW_OPS, "--draw", target).exit_code == 0
    if ext == "svg":
        svg = target.read_text()
        for label in ["sin", "cos", "log10", "x²", "^", "2^", "c_2", "c_3", "tanh"]:
            assert label in svg, label
    else:
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
    new = evaluate(parse("f = x ** y + 2 ** x + square(x) + sin(y)", "t"),
                   {"x": 2.0, "y": 1.0})
    assert [gate(n) for n in new.nodes if n.op != "input"] == \
        ["^", "2^", "+", "x²", "+", "sin", "+"]
    column, _, routes = order(graph)
    assert column["w"] < column["n1"] < column["n2"] < column["f"]
    assert len(routes[("x", "n6")]) == 2  # x sits just left of its uses
    lay = arrange(graph, 4)
    where = {t.text: t.centre for t in lay.texts if t.kind in ("input", "output")}
    assert where["w"][0] < min(c.centre[0] for c in lay.circles)
    assert where["f"][0] > max(c.centre[0] for c in lay.circles)
