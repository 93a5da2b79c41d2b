"""`backprop graph` against PyTorch: every value and gradient of the golden fixtures
(tests/golden/graph/*.json, written by make_golden_graph.py with torch's float64
autograd) is reproduced. The tests read JSON only; torch is not needed to run them."""

import json
import math

import pytest
from helpers import GOLDEN

from backprop_cli.engine.graph.ops import OPERATIONS
from backprop_cli.engine.graph.program import evaluate
from backprop_cli.problem.graph.expression import parse

FIXTURES = GOLDEN / "graph"
GROUPS = ("published", "kinks", "random")
NEW_OPS = {"sin", "cos", "log10", "square", "pow"}  # pow: a variable exponent, x ** y


def cases(group: str) -> list[dict]:
    return json.loads((FIXTURES / f"{group}.json").read_text(encoding="utf-8"))["cases"]


ALL = [(group, case) for group in GROUPS for case in cases(group)]


def solved(case):
    program = parse(case["expression"], "golden")
    return evaluate(program, {k: float(v) for k, v in case["values"].items()})


def close(mine: float, torch: float) -> bool:
    # the largest difference found is 1.5e-14 relative (sigmoid' as σ(a)σ(-a), not y(1 - y))
    return math.isclose(mine, torch, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize(("group", "case"), ALL,
                         ids=[f"{g}: {c['expression'][:60]}" for g, c in ALL])
def test_agrees_with_torch(group, case):
    graph = solved(case)
    assert set(dict(graph.gradients)) == set(case["values"])
    assert close(graph.value, case["value"]), (graph.value, case["value"])
    for name, grad in graph.gradients:
        assert close(grad, case["gradients"][name]), (name, grad, case["gradients"][name])


def test_the_fixtures_cover_every_operation_and_many_kinks():
    random_cases = cases("random")
    assert len(random_cases) >= 60
    assert sum(";" in c["expression"] for c in random_cases) >= 10  # staged expressions
    ops, kinks, special = set(), 0, set()
    for case in random_cases + cases("kinks"):
        graph = solved(case)
        value = {n.name: n.value for n in graph.nodes}
        for n in graph.nodes:
            ops.add(n.op)
            args = [value[a] if isinstance(a, str) else a for a in n.inputs]
            if n.op in ("relu", "abs") and args[0] == 0:
                kinks += 1
            elif n.op in ("max", "min") and args[0] == args[1]:
                kinks += 1
            elif n.op == "pow" and args[0] in (0, 1):  # 0 ** y (∂/∂y masked to 0), 1 ** y
                special.add(("pow", args[0], float(args[1])))
            elif n.op in ("sin", "cos", "square", "log10") and args[0] in (0, 1):
                special.add((n.op, args[0]))
    # the operations of vectors and matrices only: test_graph_tensor_golden.py covers them
    tensor_ops = {"@", "T", "dot", "sum", "mean", "norm", "softmax", "log_softmax",
                  "cross_entropy"}
    assert NEW_OPS | tensor_ops <= set(OPERATIONS)
    assert ops == set(OPERATIONS) - tensor_ops | {"input"}
    assert kinks >= 20
    # 0 ** y at y = 0, 1, 2 and a fraction above 1; 1 ** y; sin, cos, square at 0; log10 at 1
    assert {("pow", 0, 0.0), ("pow", 0, 1.0), ("pow", 0, 2.0), ("pow", 0, 3.5),
            ("pow", 1, -2.0), ("sin", 0), ("cos", 0), ("square", 0), ("log10", 1)} <= special


def test_the_fixtures_write_functions_as_the_sources_do():
    """np./numpy./math./torch. prefixes, ln, micrograd's methods, a variable exponent on
    either side, and names assigned again (c += ..., c = c ...), among the random cases
    too, not only the chosen ones."""
    everything = [c["expression"] for group in GROUPS for c in cases(group)]
    random_text = [c["expression"] for c in cases("random")]
    for spelling in ("np.", "numpy.", "math.", "torch.", "ln(", ").", " += ", " *= "):
        assert sum(spelling in t for t in random_text) >= 2, spelling
    for spelling in (".relu()", ".tanh()", ".exp()", "2 ** x", "x ** y", "; c"):
        assert any(spelling in t for t in everything), spelling
    renamed = {n.name for group in GROUPS for c in cases(group) for n in solved(c).nodes}
    assert {"c_2", "c_3", "d_2", "g_2"} <= renamed


def test_micrograds_readme_example():
    """micrograd's README (github.com/karpathy/micrograd): a = -4, b = 2 print
    g = 24.7041, dg/da = 138.8338, dg/db = 645.5773, its in-place updates as written."""
    case = next(c for c in cases("published") if c["expression"].startswith("c = a + b\n"))
    graph = solved(case)
    grads = dict(graph.gradients)
    assert graph.output == "g_2"
    assert (round(graph.value, 4), round(grads["a"], 4), round(grads["b"], 4)) == \
        (24.7041, 138.8338, 645.5773)


@pytest.mark.parametrize(("expression", "values", "gradients"), [
    ("max(x, y)", {"x": 2, "y": 2}, {"x": 0.5, "y": 0.5}),  # torch.maximum splits a tie
    ("min(x, y)", {"x": 2, "y": 2}, {"x": 0.5, "y": 0.5}),
    ("max(x, x)", {"x": -1}, {"x": 1.0}),  # both halves reach x
    ("relu(x) * y", {"x": 0, "y": 2}, {"x": 0.0, "y": 0.0}),  # relu'(0) = 0
    ("abs(x) * y", {"x": 0, "y": 3}, {"x": 0.0, "y": 0.0}),  # abs'(0) = 0
    ("x ** 0 + y", {"x": 0, "y": 1}, {"x": 0.0, "y": 1.0}),  # d/dx x^0 = 0, even at 0
    ("x ** y", {"x": 0, "y": 2}, {"x": 0.0, "y": 0.0}),  # torch: ∂/∂y = 0 at x = 0, y >= 0
    ("x ** y", {"x": 0, "y": 0}, {"x": 0.0, "y": 0.0}),  # 0 ** 0 = 1, both derivatives 0
    ("x ** y", {"x": 0, "y": 1}, {"x": 1.0, "y": 0.0}),
])
def test_kink_rules_are_torchs(expression, values, gradients):
    case = next(c for c in cases("kinks")
                if c["expression"] == expression and c["values"] == values)
    assert case["gradients"] == gradients
    assert dict(solved(case).gradients) == gradients
