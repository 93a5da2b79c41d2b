"""`backprop graph --format markdown|latex` for vectors and matrices: values as matrices with
their shapes, element-wise rules with ⊙ (and the sums broadcasting asks for), each matrix
operation's rule with its numbers, an upstream gradient, class indices without a gradient.

Oracles: CS231n's published ‖Wx‖² numbers, central differences of numpy forward passes
written here, torch's documented split of a tie (torch.amax: evenly); the engine's own
rounded values and products (checked against torch goldens elsewhere) must all appear."""

import re
import shutil

import numpy as np
import pytest
from helpers import assert_markdown_well_formed, compile_latex

from backprop_cli.engine.graph.program import evaluate
from backprop_cli.problem.graph import exercise

needs_pdflatex = pytest.mark.skipif(shutil.which("pdflatex") is None,
                                    reason="pdflatex not installed")

CS231N = ["sum((W @ x) ** 2)", "W=[[0.1, 0.5], [-0.3, 0.8]]", "x=[0.2, 0.4]"]
LAYER = ["sum(relu(X @ W + b))", "X=[[1, 2], [3, 4], [-1, 0.5]]", "W=[[0.5, -1], [1, 0.25]]",
         "b=[0.1, -0.3]"]
CLASSES = ["cross_entropy(Z, y)", "Z=[[1, 2, 0.5], [0.1, -1, 2]]", "y=[1, 2]"]
ATTENTION = ["softmax(Q @ K.T / sqrt(2)) @ V", "Q=[[1, 0], [0.5, 1]]", "K=[[1, 2], [0, 1]]",
             "V=[[1, -1], [2, 0.5]]", "--upstream", "[[1, 0], [0.5, -1]]"]
TIES = ["max(X) + sum(max(X, axis=1))", "X=[[1, 3], [3, 2]]"]


def fmt(v) -> str:
    text = f"{v:.4f}"
    return "0.0000" if float(text) == 0 else text


def bmatrix(v) -> str:
    """A value rounded as the page prints it: a vector as a column."""
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return fmt(float(a))
    rows = a.reshape(-1, 1) if a.ndim == 1 else a
    return (r"\begin{bmatrix} " + r" \\ ".join(" & ".join(map(fmt, r)) for r in rows)
            + r" \end{bmatrix}")


def answers(text: str) -> dict:
    """The answer table: label -> its numbers as an array (rows of a matrix)."""
    out = {}
    for label, value in re.findall(r"^\| (.+?) \| \*\*(.+?)\*\* \|$", text, re.M):
        rows = [[float(x) for x in re.findall(r"-?\d+\.\d+", r)] for r in value.split(";")]
        out[label] = np.array(rows if len(rows) > 1 else rows[0])
    return out


def d(f, x):
    return rf"$\frac{{\partial {f}}}{{\partial {x}}}$"


def solved(args):
    """The engine's graph for CLI-style arguments (expression, NAME=VALUE..., --upstream)."""
    upstream = args[args.index("--upstream") + 1] if "--upstream" in args else None
    values = [a for a in args[1:] if "=" in a and not a.startswith("[")]
    ex = exercise.from_arguments(args[0], tuple(values), upstream)
    return evaluate(ex.program, ex.values, ex.seed)


def central(f, arrays: dict, h=1e-6) -> dict:
    """∂f/∂ each array by central differences."""
    grads = {}
    for name, a in arrays.items():
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = ({k: v.copy() for k, v in arrays.items()} for _ in range(2))
            up[name][i] += h
            down[name][i] -= h
            g[i] = (f(**up) - f(**down)) / (2 * h)
        grads[name] = g
    return grads


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def markdown(run, args) -> str:
    result = run("graph", *args, "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    assert_markdown_well_formed(result.stdout)
    return result.stdout


def assert_engine_numbers(text: str, args) -> None:
    """Every node's value and every edge's product, rounded, is on the page."""
    graph = solved(args)
    for node in graph.nodes:
        if node.op != "input":
            assert bmatrix(node.value) in text, (node.name, bmatrix(node.value))
    for edge in graph.edges:
        assert bmatrix(edge.product) in text, (edge.node, edge.input)


# ------------------------------------------------------------------ Markdown


def test_matrix_vector_product_as_cs231n_works_it(run):
    text = markdown(run, CS231N)
    got = answers(text)
    # CS231n's vectorized example: f = 0.116, ∂f/∂W = [[0.088, 0.176], [0.104, 0.208]]
    assert got["$f$"] == pytest.approx(0.116, abs=1e-12)
    np.testing.assert_allclose(got[d("f", "W")], [[0.088, 0.176], [0.104, 0.208]], atol=1e-12)
    np.testing.assert_allclose(got[d("f", "x")], [-0.112, 0.636], atol=1e-12)
    # shapes, the matrix-calculus rules, and their numbers: xᵀ a row, Wᵀ transposed
    assert (r"W &= \begin{bmatrix} 0.1 & 0.5 \\ -0.3 & 0.8 \end{bmatrix} "
            r"\in \mathbb{R}^{2 \times 2}") in text
    assert r"\in \mathbb{R}^{2} \\" in text
    assert r"\frac{\partial f}{\partial W} &= \frac{\partial f}{\partial n_{1}} x^{\top}" in text
    assert r"\frac{\partial f}{\partial x} &= W^{\top} \frac{\partial f}{\partial n_{1}}" in text
    assert r"\end{bmatrix} \begin{bmatrix} 0.2 & 0.4 \end{bmatrix}" in text
    assert r"&= \begin{bmatrix} 0.1 & -0.3 \\ 0.5 & 0.8 \end{bmatrix} \begin{bmatrix}" in text
    assert r"\frac{\partial n_{2}}{\partial n_{1}} &= 2 n_{1}" in text
    assert r"\frac{\partial f}{\partial n_{2}} \odot 2 n_{1}" in text
    # a computed local derivative is rounded alike in every entry (2 × 0.22 is 0.44 in
    # float64, 2 × 0.26 is not: neither is shown as if written)
    assert r"2 n_{1} = \begin{bmatrix} 0.4400 \\ 0.5200 \end{bmatrix}" in text
    assert_engine_numbers(text, CS231N)


def test_a_broadcast_bias_is_a_row_and_its_gradient_sums_over_the_rows(run):
    text = markdown(run, LAYER)
    assert r"b\text{ is broadcast as a row, copied to each of the 3 rows}" in text
    assert r"n_{1} + b^{\top} = " in text and r"+ \begin{bmatrix} 0.1 & -0.3 \end{bmatrix}" in text
    assert r"\frac{\partial f}{\partial b} &= \sum_{\text{axis 0}} \left(" in text
    assert r"\mathbf{1}\left[n_{2} > 0\right]" in text
    X, W, b = (np.array(v, dtype=float)
               for v in ([[1, 2], [3, 4], [-1, 0.5]], [[0.5, -1], [1, 0.25]], [0.1, -0.3]))
    grads = central(lambda X, W, b: np.maximum(X @ W + b, 0).sum(), {"X": X, "W": W, "b": b})
    got = answers(text)
    for name, g in grads.items():
        np.testing.assert_allclose(got[d("f", name)], g, atol=5e-5 + 1e-9)
    assert_engine_numbers(text, LAYER)


def test_cross_entropy_with_class_indices_gives_the_labels_no_gradient(run):
    text = markdown(run, CLASSES)
    Z, y = np.array([[1, 2, 0.5], [0.1, -1, 2]]), np.array([1, 2])
    p = softmax(Z)
    onehot = np.eye(3)[y]
    got = answers(text)
    assert got["$f$"] == pytest.approx(-np.log(p[[0, 1], y]).mean(), abs=5e-5)
    np.testing.assert_allclose(got[d("f", "Z")], (p - onehot) / 2, atol=5e-5)
    assert d("f", "y") not in got
    assert "$y$ holds class indices, a label: it takes no gradient." in text
    assert r"\operatorname{softmax}\left(Z\right) - \operatorname{onehot}\left(y\right)" in text
    assert r"\begin{bmatrix} 0 & 1 & 0 \\ 0 & 0 & 1 \end{bmatrix}" in text  # onehot(y)
    assert rf"\ln {fmt(p[0, 1])} + \ln {fmt(p[1, 2])}" in text  # the probabilities picked
    assert_engine_numbers(text, CLASSES)


def test_attention_from_an_upstream_gradient(run):
    text = markdown(run, ATTENTION)
    Q, K, V = (np.array(v, dtype=float)
               for v in ([[1, 0], [0.5, 1]], [[1, 2], [0, 1]], [[1, -1], [2, 0.5]]))
    dO = np.array([[1, 0], [0.5, -1]])
    grads = central(lambda Q, K, V: np.sum(dO * (softmax(Q @ K.T / np.sqrt(2)) @ V)),
                    {"Q": Q, "K": K, "V": V})
    got = answers(text)
    for name, g in grads.items():
        np.testing.assert_allclose(got[d("L", name)], g, atol=5e-5 + 1e-9)
    assert r"\frac{\partial L}{\partial f} &= \begin{bmatrix} 1 & 0 \\ 0.5 & -1 \end{bmatrix}" \
        in text
    assert (r"n_{4} \odot \left(\frac{\partial L}{\partial n_{4}} - \textstyle\sum_{\text{axis } "
            r"1} \frac{\partial L}{\partial n_{4}} \odot n_{4}\right)") in text
    assert r"\frac{\partial L}{\partial V} &= n_{4}^{\top} \frac{\partial L}{\partial f}" in text
    assert (r"\frac{\partial L}{\partial K} &= "
            r"\left(\frac{\partial L}{\partial n_{1}}\right)^{\top}") in text
    assert_engine_numbers(text, ATTENTION)


def test_ties_of_max_split_the_gradient_evenly_as_torch_amax(run):
    text = markdown(run, TIES)
    # max(X) ties at (0, 1) and (1, 0): half each; each row's max is unique: 1 each
    np.testing.assert_allclose(answers(text)[d("f", "X")], [[0, 1.5], [1.5, 0]], atol=1e-12)
    assert r"1.0000 \cdot \begin{bmatrix} 0 & 0.5 \\ 0.5 & 0 \end{bmatrix}" in text
    assert r"M_{f}" not in text and r"\odot M_{n_{1}}" in text and r"\odot M_{n_{2}}" in text
    assert "1/k each where k entries tie" in text
    assert r"\quad \text{through } n_{2}" in text  # X feeds two reductions
    assert_engine_numbers(text, TIES)


EVERY_OP = [
    ["mean(A) + mean(A, axis=1).dot(x) + sum(A, axis=0).dot(x) + norm(x)", "x=[3, 4]",
     "A=[[1, 2], [3, 4]]"],
    ["x @ W @ x + sum(log_softmax(W, axis=0)) + sum(W.T * c) + min(W, axis=0).dot(x)",
     "x=[1, 2]", "W=[[1, 2], [3, 4]]", "c=2"],
    ["sum(exp(X) / (1 + abs(X)) - sigmoid(X) * tanh(X) + max(X, 0) + sqrt(X * X + 1))",
     "X=[[0, 1], [-1, 2]]"],
    ["cross_entropy(Z, Y) + cross_entropy(z, 2) + sum(softmax(Z, axis=0) * Y)",
     "Z=[[1, 2, 0.5], [0.1, -1, 2]]", "Y=[[0.2, 0.3, 0.5], [0, 0, 1]]", "z=[1, 0, -1]"],
    ["X ** y - x.T", "X=[[1, 2], [0.5, 3]]", "y=[0, 2]", "x=[1, -1]", "--upstream",
     "[[1, 2], [3, 4]]"],
    ["sum(x)", "x=2"],  # a matrix operation on a scalar: the tensor rules, not a crash
]


@pytest.mark.parametrize("args", EVERY_OP, ids=lambda a: a[0][:40])
def test_every_operation_shows_the_engines_numbers(run, args):
    text = markdown(run, args)
    assert_engine_numbers(text, args)
    graph = solved(args)
    got = answers(text)
    for name, g in graph.gradients:
        np.testing.assert_allclose(got[d(graph.wrt, name)], np.round(g, 4), atol=1e-12)


def test_a_large_matrix_is_elided_in_the_middle(run):
    rng = np.random.default_rng(0)
    W = np.round(rng.normal(size=(10, 12)), 1).tolist()
    x = np.round(rng.normal(size=12), 1).tolist()
    text = markdown(run, ["sum(W @ x)", f"W={W}", f"x={x}"])
    assert r"\cdots" in text and r"\vdots" in text and r"\ddots" in text
    assert r"\in \mathbb{R}^{10 \times 12}" in text


def test_the_python_api_and_the_public_helpers():
    import backprop_cli as bp
    from backprop_cli.output.graph import worked
    from backprop_cli.output.graph.worked import local_rule, operation, symbol, wrap

    result = bp.graph("sum((W @ x) ** 2)", W=[[0.1, 0.5], [-0.3, 0.8]], x=[0.2, 0.4])
    assert r"W^{\top} \frac{\partial f}{\partial n_{1}}" in str(result.markdown())
    assert result.latex().startswith(r"\documentclass")
    assert callable(worked.markdown) and callable(worked.latex)
    assert symbol("x_hat") == r"x_{\mathrm{hat}}" and wrap("-2") == r"\left(-2\right)"
    assert operation("*", ["a", "b"]) == r"a \cdot b" and local_rule("+", ["a", "b"], [1, 2], 0)


# ------------------------------------------------------------------ LaTeX


@needs_pdflatex
def test_latex_attention_with_an_upstream_gradient_compiles(run, tmp_path):
    result = run("graph", *ATTENTION, "--format", "latex")
    assert result.exit_code == 0, result.stderr
    compile_latex(tmp_path, result.stdout)


@needs_pdflatex
def test_latex_of_several_tensor_exercises_fits_its_pages(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(1)
    big = {k: np.round(rng.normal(size=(4, 4)), 2).tolist() for k in "QKVG"}
    files = {
        "layer.yaml": "expression: sum(relu(X @ W + b))\n"
                      "values: {X: [[1, 2], [3, 4], [-1, 0.5]], W: [[0.5, -1], [1, 0.25]], "
                      "b: [0.1, -0.3]}\n",
        "classes.yaml": "title: Cross-entropy\nexpression: cross_entropy(Z, y)\n"
                        "values: {Z: [[1, 2, 0.5], [0.1, -1, 2]], y: [1, 2]}\n",
        "attention.yaml": "expression: A = softmax(Q @ K.T / sqrt(4)); O = A @ V; "
                          f"f = sum(O * G)\nvalues: {big}\n",
        "wide.yaml": "expression: sum(tanh(W @ x))\nvalues: {W: "
                     f"{np.round(rng.normal(size=(10, 12)), 2).tolist()}, x: "
                     f"{np.round(rng.normal(size=12), 2).tolist()}}}\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    result = run("graph", *files, "--format", "latex")
    assert result.exit_code == 0, result.stderr
    log = compile_latex(tmp_path, result.stdout)
    assert "Overfull \\vbox" not in log  # no display runs off the bottom of a page
