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
    ops, kinks = set(), 0
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
    assert ops == set(OPERATIONS) | {"input"}
    assert kinks >= 20


@pytest.mark.parametrize(("expression", "values", "gradients"), [
    ("max(x, y)", {"x": 2, "y": 2}, {"x": 0.5, "y": 0.5}),  # torch.maximum splits a tie
    ("min(x, y)", {"x": 2, "y": 2}, {"x": 0.5, "y": 0.5}),
    ("max(x, x)", {"x": -1}, {"x": 1.0}),  # both halves reach x
    ("relu(x) * y", {"x": 0, "y": 2}, {"x": 0.0, "y": 0.0}),  # relu'(0) = 0
    ("abs(x) * y", {"x": 0, "y": 3}, {"x": 0.0, "y": 0.0}),  # abs'(0) = 0
    ("x ** 0 + y", {"x": 0, "y": 1}, {"x": 0.0, "y": 1.0}),  # d/dx x^0 = 0, even at 0
])
def test_kink_rules_are_torchs(expression, values, gradients):
    case = next(c for c in cases("kinks") if c["expression"] == expression)
    assert case["values"] == values and case["gradients"] == gradients
    assert dict(solved(case).gradients) == gradients
