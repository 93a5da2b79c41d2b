"""Worked solutions (solve --format markdown|latex): every number the JSON holds, the course's
notation for each layout, and LaTeX documents that pdflatex compiles."""

import ast
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from helpers import ROOT, assert_markdown_well_formed, compile_latex

from backprop_cli import engine
from backprop_cli.output import report, worked
from backprop_cli.output.tables import number
from backprop_cli.output.worked.tex import power
from backprop_cli.problem import from_document, load
from backprop_cli.problem.writer import updated_document

# every bundled example, the layer kinds' too (test_worked_kinds.py checks their own
# quantities)
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
SECTIONS = ["Problem", "Step 1: Forward pass", "Step 2: Loss",
            "Step 3: Backward pass, output to input", "Answers"]
NEEDS_PDFLATEX = pytest.mark.skipif(
    shutil.which("pdflatex") is None,
    reason="pdflatex not installed: apt-get install texlive-latex-base texlive-latex-recommended")
TOKEN = re.compile(r"-?\d+(?:\.\d+)?")


def solved(problem):
    sol = engine.solve(problem.inputs)
    return report.solve_document(problem, sol)


def numbers(doc):
    """(where, value) for every number of the solve document (the title aside)."""
    def walk(where, value):
        if isinstance(value, dict):
            for key, v in value.items():
                yield from walk(f"{where}.{key}", v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from walk(f"{where}.{i}", v)
        elif value is not None and not isinstance(value, bool):
            yield where, value

    yield "parameters", doc["parameters"]
    yield "trainable", doc["trainable"]
    for key in ("forward", "sums", "loss", "gradients"):
        # dropout's mask and scale are given (1/keep = 2): written as given, like x
        yield from ((w, v) for w, v in walk(key, doc[key])
                    if not re.match(r"forward\.(mask|scale)\d", w))
    for key in ("parameters", "state", "loss"):
        yield from walk(f"update.{key}", doc["update"][key])


def assert_every_number(text, doc, decimals):
    found = set(TOKEN.findall(text))
    missing = []
    for where, v in numbers(doc):
        shown = str(v) if isinstance(v, int) else number(v, decimals)
        if shown not in found and where.startswith("update.state."):
            shown = power(v, decimals).split(" ")[0]  # state below the decimals: m × 10^e
        if shown not in found:
            missing.append(f"{where} = {v!r} shown as {shown}")
    assert not missing, "missing from the output:\n" + "\n".join(missing)
    assert not [t for t in found if re.fullmatch(r"-0(\.0+)?", t)], "a rounded zero shows as -0"


def network(layers, loss, x, y, reduction="mean", seed=0, **top):
    """A problem document with seeded weights in [-1, 1): layers is [(units, activation), ...]."""
    rng = np.random.default_rng(seed)
    width = len(x[0]) if isinstance(x[0], list) else len(x)
    specs = []
    for units, activation in layers:
        specs.append({"weights": rng.uniform(-1, 1, (units, width)).round(3).tolist(),
                      "bias": rng.uniform(-1, 1, units).round(3).tolist(),
                      "activation": activation})
        width = units
    return from_document({"x": x, "y": y, "loss": loss, "reduction": reduction,
                          "layers": specs, **top}, "<test>")


@pytest.fixture(params=PROBLEMS, ids=lambda p: p.stem)
def example(request, monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load(str(request.param.relative_to(ROOT)))
    return problem, solved(problem)


# ------------------------------------------------------------------ every example problem


@pytest.mark.parametrize("decimals", [4, 8])
def test_markdown_shows_every_quantity(example, decimals):
    problem, doc = example
    text = worked.markdown(problem, doc, decimals)
    for title in SECTIONS:
        assert f"\n## {title}\n" in text
    assert re.search(r"\n## Step 4: Update with \w+\n", text)
    assert text.startswith("# Worked solution")
    for l in range(1, len(problem.model.layers) + 1):
        assert f"\n### Layer {l}" in text
    assert_every_number(text, doc, decimals)
    assert_markdown_well_formed(text)


def test_latex_shows_every_quantity(example):
    problem, doc = example
    text = worked.latex(problem, doc, 4)
    assert text.startswith(r"\documentclass") and text.rstrip().endswith(r"\end{document}")
    for title in SECTIONS:
        assert f"\\section*{{{title}}}" in text
    assert_every_number(text, doc, 4)


def test_answers_are_highlighted(example):
    problem, doc = example
    answers = worked.markdown(problem, doc, 4).split("\n## Answers\n")[1]
    assert "| Quantity | Answer |" in answers
    L = len(problem.model.layers)
    for value in [doc["loss"], doc["update"]["loss"], *doc["sums"].values()]:
        assert f"**{number(value, 4)}**" in answers
    assert f"**{doc['parameters']}" in answers
    # an output layer seeing every step of one sample has T rows: a batch's capitals
    rows = problem.batched or problem.model.sequence(L)
    assert rf"\partial L / \partial {'A' if rows else 'a'}_{{{L}}}" in answers
    latex = worked.latex(problem, doc, 4)
    assert r"\fbox" in latex and r"\textbf{Answers}" in latex
    assert rf"{{\boldmath${number(doc['update']['loss'], 4)}$}}" in latex


@NEEDS_PDFLATEX
def test_latex_compiles(example, tmp_path):
    problem, doc = example
    log = compile_latex(tmp_path, worked.latex(problem, doc, 4))
    assert "Overfull \\hbox" not in log, "a display is wider than the page"


# ------------------------------------------------------------------ notation


def test_single_sample_out_in_notation(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/classic.yaml")
    text = worked.markdown(problem, solved(problem), 4)
    for piece in [r"a_{1} &= W_{1} h_{0} + b_{1}", r"h_{1} &= \sigma(a_{1})",
                  r"\frac{\partial L}{\partial W_{3}} &= \delta_{3} h_{2}^\top",
                  r"\frac{\partial L}{\partial h_{2}} &= W_{3}^\top \delta_{3}",
                  r"\delta_{3} = \frac{\partial L}{\partial a_{3}} &= \hat y - y",
                  r"\frac{\partial L}{\partial h_{2}} \odot \sigma'(a_{2})",
                  r"-\log 0.4247", r"W_{1} &\leftarrow W_{1} - \eta",
                  r"(3 \cdot 3 + 3) + (3 \cdot 3 + 3) + (3 \cdot 3 + 3) = 36"]:
        assert piece in text
    # single-sample vectors are columns in the out_in layout
    assert r"\begin{bmatrix} 1.5350 \\ 1.9825 \\ 1.9301 \end{bmatrix}" in text


def test_in_out_notation(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/in_out.yaml")
    doc = solved(problem)
    text = worked.markdown(problem, doc, 4)
    for piece in [r"a_{1} &= h_{0} W_{1} + b_{1}",
                  r"\frac{\partial L}{\partial W_{2}} &= h_{1}^\top \delta_{2}",
                  r"\frac{\partial L}{\partial h_{1}} &= \delta_{2} W_{2}^\top",
                  "class indices (1)", r"\operatorname{relu}'(a_{1})"]:
        assert piece in text
    # rows, and W as the file writes it: (inputs, units)
    assert r"\begin{bmatrix} 0.5000 & -0.3000 & 0.8000 \\ 0.2000 & 0.4000 & -0.6000 " in text
    assert r"\begin{bmatrix} 1.0000 & 0.6000 & -0.3000 \end{bmatrix}" in text


def test_batch_notation(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/batch_mse.yaml")
    text = worked.markdown(problem, solved(problem), 4)
    for piece in [r"A_{1} &= H_{0} W_{1}^\top + b_{1}", r"H_{1} &= \tanh(A_{1})",
                  r"\frac{\partial L}{\partial W_{1}} &= \Delta_{1}^\top H_{0}",
                  r"\frac{\partial L}{\partial H_{1}} &= \Delta_{2} W_{2}",
                  r"\mathbf{1}^\top \Delta_{2}", r"\frac{1}{N} \sum_n \ell_n",
                  r"\frac{2}{3}\left(", "over 3 samples", "One row per sample"]:
        assert piece in text


def test_batch_in_out_sum_and_class_indices(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/batch_classes.yaml")
    doc = solved(problem)
    text = worked.markdown(problem, doc, 4)
    assert r"L &= \sum_n \ell_n" in text and "class indices (\\[2, 0\\])" in text
    assert r"\operatorname{elu}" in text
    full = updated_document(problem, problem.params, {})
    swapped = dict(full, layout="in_out", layers=[
        dict(layer, weights=np.array(layer["weights"]).T.tolist())
        for layer in full["layers"]])
    flipped = from_document(swapped, "<test>")
    text = worked.markdown(flipped, solved(flipped), 4)
    for piece in [r"A_{1} &= H_{0} W_{1} + b_{1}", r"H_{0}^\top \Delta_{1}",
                  r"\Delta_{2} W_{2}^\top"]:
        assert piece in text
    assert_every_number(text, solved(flipped), 4)


def test_frozen_parameters_and_missing_bias(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/frozen_bias.yaml")
    doc = solved(problem)
    text = worked.markdown(problem, doc, 4)
    assert "Layer 2 has no bias" in text and r"b_{2}" not in text
    assert r"$b_{1}$ is frozen: its gradient is computed" in text
    assert r"b_{1} &= \begin{bmatrix}" in text.split("## Step 4")[1]
    assert r"\text{(frozen: unchanged)}" in text
    assert r"(2 \cdot 3 + 2) + 2 \cdot 2 = 12" in text and "(10 trainable)" in text
    assert r"\operatorname{lrelu}(a) = \begin{cases} a & a > 0 \\ 0.1 a" in text


# ------------------------------------------------------------------ every activation, loss


OUTPUTS = [("cross_entropy", "softmax", 2), ("bce", "sigmoid", [0.3, 1.0]),
           ("mse", "softmax", [0.2, 0.8]), ("sse_half", "identity", [0.5, -1.0]),
           ("mse", "tanh", [0.1, -0.4])]
HIDDEN = [(3, "identity"), (3, "sigmoid"), (3, "tanh"), (3, "relu"), (3, "leaky_relu"),
          (3, "elu"), (3, "softplus"), (3, "softmax")]


@pytest.mark.parametrize("batch", [False, True], ids=["single", "batch"])
@pytest.mark.parametrize("loss, output, y", OUTPUTS, ids=[f"{o[0]}-{o[1]}" for o in OUTPUTS])
def test_every_activation_and_loss(loss, output, y, batch, tmp_path):
    x = [0.5, -1.0, 2.0]
    if batch:
        x, y = [x, [-0.3, 0.8, 0.1]], ([y, 0] if isinstance(y, int) else [y, y[::-1]])
    k = 3 if loss == "cross_entropy" else 2
    problem = network(HIDDEN + [(k, output)], loss, x, y, "sum" if batch else "mean")
    doc = solved(problem)
    for text in (worked.markdown(problem, doc, 4), worked.latex(problem, doc, 4)):
        assert_every_number(text, doc, 4)
    text = worked.markdown(problem, doc, 4)
    assert_markdown_well_formed(text)
    if output == "softmax" and loss != "cross_entropy":
        assert r"\partial h_k / \partial a_j = h_k ([k = j] - h_j)" in text
    if shutil.which("pdflatex"):
        compile_latex(tmp_path, worked.latex(problem, doc, 4))


OPTIMIZERS = [
    {"name": "sgd", "lr": 0.5, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01},
    {"name": "sgd", "lr": 0.5, "maximize": True},
    {"name": "adagrad", "lr": 0.1, "lr_decay": 0.01},
    {"name": "rmsprop", "lr": 0.01, "centered": True, "momentum": 0.5},
    {"name": "adam", "lr": 0.01, "amsgrad": True, "weight_decay": 0.1},
    {"name": "adamw", "lr": 0.01},
]


@pytest.mark.parametrize("optimizer", OPTIMIZERS, ids=[str(o) for o in OPTIMIZERS])
def test_optimizers_show_rule_and_state(optimizer, monkeypatch, tmp_path):
    monkeypatch.chdir(ROOT)
    base = load("problems/frozen_bias.yaml")
    full = updated_document(base, base.params, {})
    problem = from_document(dict(full, optimizer=optimizer), "<test>")
    doc = solved(problem)
    text = worked.markdown(problem, doc, 4)
    assert f"## Step 4: Update with {optimizer['name']}" in text
    assert "Settings: " in text and "State of $b_{1}$" not in text  # frozen: no state
    assert ("State of $W_{1}$ after the update" in text) == bool(doc["update"]["state"])
    assert_every_number(text, doc, 4)
    assert_every_number(worked.latex(problem, doc, 4), doc, 4)
    if optimizer["name"].startswith("adam"):
        assert r"\mathrm{exp\_avg}" in text and r"\frac{\eta}{1 - \beta_1^t}" in text
    if shutil.which("pdflatex") and optimizer["name"] in ("adam", "rmsprop"):
        compile_latex(tmp_path, worked.latex(problem, doc, 4))


# ------------------------------------------------------------------ edge cases


def test_rounded_zero_is_never_negative(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/classic.yaml")
    doc = solved(problem)
    for decimals in (0, 1, 2):
        text = worked.markdown(problem, doc, decimals)
        assert_every_number(text, doc, decimals)


def test_textbook_rounding_is_stated(monkeypatch):
    monkeypatch.chdir(ROOT)
    problem = load("problems/classic.yaml")
    doc = dict(solved(problem), rounded=3)
    assert "intermediate values rounded to 3 decimals" in worked.markdown(problem, doc, 3)
    assert "intermediate values rounded to 3 decimals" in worked.latex(problem, doc, 3)
    assert "intermediate values" not in worked.markdown(problem, solved(problem), 3)


def test_saturated_output_gradient(tmp_path):
    problem = from_document({"x": [1.0, 2.0], "y": [0.5, 1.0], "loss": "bce", "layers": [
        {"weights": [[30.0, 10.0], [0.1, 0.2]], "bias": [0.0, 0.0], "activation": "sigmoid"}]},
        "<test>")
    doc = solved(problem)
    assert doc["gradients"]["h1"][0] is None  # sigmoid(50) is exactly 1.0 in float64
    text = worked.markdown(problem, doc, 4)
    assert worked.NOT_FINITE in text and r"\text{n.f.}" in text
    assert_every_number(text, doc, 4)
    if shutil.which("pdflatex"):
        compile_latex(tmp_path, worked.latex(problem, doc, 4))


def test_large_matrices_are_elided(tmp_path):
    problem = network([(12, "tanh"), (9, "softmax")], "cross_entropy", [0.1] * 10, 3)
    doc = solved(problem)
    text = worked.markdown(problem, doc, 4)
    assert r"\cdots" in text and r"\vdots" in text and r"\ddots" in text
    first = r"\begin{bmatrix} " + " & ".join(number(v, 4) for v in doc["gradients"]["W1"][0][:3])
    assert first + r" & \cdots & " in text
    assert "..." in text.split("## Answers")[1]
    if shutil.which("pdflatex"):
        log = compile_latex(tmp_path, worked.latex(problem, doc, 4))
        assert "Overfull \\hbox" not in log


TITLE = "50% & $x_1$ #1 {a} ~ ^ \\"


def test_title_is_escaped(tmp_path):
    problem = network([(2, "sigmoid")], "mse", [1.0, 0.0], [0.0, 1.0], title=TITLE)
    doc = solved(problem)
    md = worked.markdown(problem, doc, 4)
    assert md.startswith("# Worked solution: 50% \\& \\$x\\_1\\$ \\#1 {a} \\~ ^ \\\\\n")
    tex = worked.latex(problem, doc, 4)
    assert (r"50\% \& \$x\_1\$ \#1 \{a\} \textasciitilde{} \textasciicircum{} "
            r"\textbackslash{}") in tex
    if shutil.which("pdflatex"):
        compile_latex(tmp_path, tex)


@NEEDS_PDFLATEX
def test_unicode_title_compiles(tmp_path):
    problem = network([(2, "sigmoid")], "mse", [1.0, 0.0], [0.0, 1.0],
                      title="σ → ŷ: café, Σ Δ, naïve “quotes” – 日本 ✓")
    tex = worked.latex(problem, solved(problem), 4)
    assert r"$\sigma$ $\rightarrow$ " in tex and r"caf\'{e}" in tex
    compile_latex(tmp_path, tex)


def test_pure_functions_without_click_rich_or_yaml():
    for path in sorted((ROOT / "backprop_cli" / "output" / "worked").rglob("*.py")):
        name = path.name
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                assert not any(n.split(".")[0] in ("click", "rich", "yaml") for n in names)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id != "print", name
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, backprop_cli.output.worked; "
         "print(sorted({'click', 'rich', 'yaml'} & set(sys.modules)))"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    assert loaded == "[]"


def test_diagram_in_the_markdown(run, tmp_path):
    picture = tmp_path / "net.svg"
    result = run("solve", "--example", "classic", "--format", "markdown", "--diagram", picture)
    assert result.exit_code == 0, result.stderr
    assert f"![The network]({picture})" in result.stdout
    assert picture.read_text().lstrip().startswith("<?xml")


@pytest.mark.skipif(shutil.which("pdflatex") is None,
                    reason="pdflatex not installed: apt-get install texlive-latex-base "
                           "texlive-latex-recommended")
def test_diagram_in_the_latex_compiles(run, tmp_path):
    result = run("solve", "--example", "classic", "--format", "latex", "--diagram",
                 tmp_path / "net.pdf")
    assert result.exit_code == 0, result.stderr
    assert "\\includegraphics" in result.stdout
    (tmp_path / "s.tex").write_text(result.stdout)
    done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "s.tex"],
                          cwd=tmp_path, capture_output=True, timeout=120)
    assert done.returncode == 0 and (tmp_path / "s.pdf").exists()


@pytest.mark.parametrize("args, message", [
    (["--format", "latex", "--diagram", "net.svg"], "pdflatex cannot include SVG"),
    (["--format", "json", "--diagram", "net.png"], "--diagram goes with --format markdown"),
])
def test_diagram_errors(run, tmp_path, args, message):
    result = run("solve", "--example", "classic", *args)
    assert result.exit_code == 2 and message in result.stderr
