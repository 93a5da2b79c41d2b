"""`backprop graph` with vectors and matrices against PyTorch: every value and gradient of
tests/golden/graph/tensor.json (written by make_golden_tensor.py with torch's float64
autograd, out.backward(upstream) for a non-scalar result) is reproduced, shapes exactly.
The tests read JSON only; torch is not needed to run them."""

import json

import numpy as np
import pytest
from helpers import GOLDEN

import backprop_cli as bp
from backprop_cli.engine.graph.ops import OPERATIONS
from backprop_cli.engine.graph.program import evaluate
from backprop_cli.problem.graph.expression import parse

FIXTURE = GOLDEN / "graph" / "tensor.json"
CASES = json.loads(FIXTURE.read_text(encoding="utf-8"))["cases"]
# the operations only vectors and matrices have; the element-wise ones are scalar ones too
TENSOR_OPS = {"@", "T", "dot", "sum", "mean", "norm", "softmax", "log_softmax",
              "cross_entropy"}


def solved(case):
    program = parse(case["expression"], "golden")
    return evaluate(program, case["values"], upstream=case.get("upstream"))


def same(mine, torch) -> None:
    """Equal shapes, and numbers within rel 1e-12 (abs 1e-15): BLAS sums in its own order.
    The largest difference is 5e-14 relative (through sigmoid: torch's y(1 - y) loses
    digits as y nears 1, so the generator keeps sigmoid and tanh away from their bounds)."""
    mine, torch = np.asarray(mine, dtype=float), np.asarray(torch, dtype=float)
    assert mine.shape == torch.shape, (mine.shape, torch.shape)
    np.testing.assert_allclose(mine, torch, rtol=1e-12, atol=1e-15)


def agrees(value, gradients: dict, case) -> None:
    assert set(gradients) == set(case["gradients"])
    same(value, case["value"])
    for name, grad in gradients.items():
        same(grad, case["gradients"][name])


@pytest.mark.parametrize("case", CASES, ids=[c["expression"][:70] for c in CASES])
def test_agrees_with_torch(case):
    graph = solved(case)
    agrees(graph.value, dict(graph.gradients), case)
    # class indices take no gradient: exactly the inputs torch's gradients leave out
    assert set(graph.labels) == set(case["values"]) - set(case["gradients"])
    assert graph.wrt == ("L" if "upstream" in case else graph.output)


def _case(expression, upstream=None):
    """The first case of that expression (upstream: with or without one, if not None)."""
    return next(c for c in CASES if c["expression"] == expression
                and (upstream is None or ("upstream" in c) == upstream))


CLI_CASES = [
    ("softmax(Q @ K.T / sqrt(2)) @ V", None),  # attention with --upstream
    ("A = softmax(Q @ K.T / sqrt(2)); O = A @ V; f = sum(O * G)", None),
    ("cross_entropy(Z, t)", None),  # class indices from the command line
    ("cross_entropy(z, t)", None),  # a 0-d class index
    ("h = W @ x + b; h = relu(h); h = V @ h; f = cross_entropy(h, t)", None),
    ("max(A, b)", None),  # element-wise ties, broadcast
    ("min(A, axis=-2)", None),
    ("norm(x) + sum(x)", None),  # the zero vector
    ("sum(A)", True),  # a scalar upstream
]


@pytest.mark.parametrize(("expression", "upstream"), CLI_CASES)
def test_the_command_agrees_with_torch(run, expression, upstream):
    case = _case(expression, upstream)
    args = ["graph", expression, *(f"{k}={json.dumps(v)}" for k, v in case["values"].items())]
    if "upstream" in case:
        args += ["--upstream", json.dumps(case["upstream"])]
    result = run(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    agrees(doc["value"], doc["gradients"], case)
    assert doc["shape"] == list(np.shape(case["value"]))


@pytest.mark.parametrize(("expression", "upstream"), CLI_CASES[:4])
def test_the_api_agrees_with_torch(expression, upstream):
    case = _case(expression, upstream)
    result = bp.graph(expression, upstream=case.get("upstream"),
                      **{k: np.asarray(v) for k, v in case["values"].items()})
    doc = result.to_dict()
    agrees(doc["value"], doc["gradients"], case)


# ------------------------------------------------------------------ coverage


def _survey():
    """What the fixtures exercise, from the engine's own graphs of them: (op, kind) pairs."""
    seen = set()
    for case in CASES:
        graph = solved(case)
        value = {n.name: n.value for n in graph.nodes}
        uses: dict[str, int] = {}
        for n in graph.nodes:
            args = [np.asarray(value[a] if isinstance(a, str) else a) for a in n.inputs]
            for a in n.inputs:
                if isinstance(a, str):
                    uses[a] = uses.get(a, 0) + 1
            if n.op == "input":
                continue
            seen |= _kinds(n, args, dict(n.params))
        if any(np.ndim(value[name]) == 2 and count > 1 for name, count in uses.items()):
            seen.add(("fan-out", "matrix"))
        if "upstream" in case:
            seen.add(("upstream", np.ndim(case["value"])))
        if any(n.name.endswith("_2") for n in graph.nodes):
            seen.add(("reassigned", None))
        if ";" in case["expression"] or "\n" in case["expression"]:
            seen.add(("staged", None))
    return seen


def _kinds(n, args, params) -> set:
    op, shapes = n.op, tuple(a.shape for a in args)
    kinds = {(op, "tensor")} if any(a.ndim for a in args) else set()
    axis = params.get("axis", "default")
    if op == "@":
        kinds.add(("@", tuple(a.ndim for a in args)))
    elif op in ("sum", "mean", "softmax", "log_softmax") or op in ("max", "min") and \
            len(args) == 1:
        kinds.add((op, args[0].ndim, axis))
    if op in ("max", "min") and len(args) == 1:
        a = args[0]
        reduced = None if axis == "default" else axis % a.ndim
        hits = a == (np.asarray(n.value) if reduced is None else
                     np.expand_dims(n.value, reduced))
        if np.sum(hits, axis=reduced).max() > 1:
            kinds.add((op, "tie", "all" if reduced is None else "axis"))
    if op in ("max", "min") and len(args) == 2 and np.any(args[0] == args[1]) \
            and np.ndim(n.value):
        kinds.add((op, "tie", "entries"))
    if op == "norm" and n.value == 0:
        kinds.add(("norm", "zero"))
    if op in ("+", "-", "*", "/", "max", "min", "**", "pow") and len(args) == 2 and \
            shapes[0] != shapes[1]:
        kinds.add(("broadcast", tuple(sorted(shapes, key=str))))
    if op == "cross_entropy":
        z, t = args
        onehot = t.shape == z.shape and set(np.unique(t)) <= {0.0, 1.0}
        kinds.add(("cross_entropy", z.ndim, "index" if t.shape != z.shape else
                   "onehot" if onehot else "probability"))
    return kinds


SURVEY = _survey()


def test_the_fixtures_cover_every_operation_on_vectors_and_matrices():
    assert TENSOR_OPS <= set(OPERATIONS)
    assert {op for op, kind, *_ in SURVEY if kind == "tensor"} == set(OPERATIONS)
    assert len(CASES) >= 200


def test_the_fixtures_cover_every_shape_axis_and_target():
    expected = {("@", (1, 1)), ("@", (2, 1)), ("@", (1, 2)), ("@", (2, 2))}
    for op in ("sum", "mean", "max", "min"):
        expected |= {(op, 2, axis) for axis in ("default", 0, 1, -1, -2)}
        expected |= {(op, 1, "default"), (op, 1, 0)}
    for op in ("softmax", "log_softmax"):
        expected |= {(op, 2, axis) for axis in ("default", 0, 1, -1, -2)}
        expected |= {(op, 1, "default"), (op, 1, 0), (op, 1, -1)}
    expected |= {("cross_entropy", 1, "index"), ("cross_entropy", 2, "index"),
                 ("cross_entropy", 1, "onehot"), ("cross_entropy", 2, "onehot"),
                 ("cross_entropy", 2, "probability")}
    assert expected <= SURVEY, sorted(map(str, expected - SURVEY))


def test_the_fixtures_cover_ties_kinks_and_broadcasting():
    expected = {(op, "tie", where) for op in ("max", "min") for where in ("all", "axis")}
    expected |= {("max", "tie", "entries"), ("min", "tie", "entries"), ("norm", "zero")}
    # row with column, (3, 1) with (1, 4), a scalar or a vector with a matrix
    expected |= {("broadcast", ((1, 4), (3, 1))), ("broadcast", ((), (2, 3))),
                 ("broadcast", ((2, 3), (3,))), ("broadcast", ((3, 1), (4,)))}
    expected |= {("fan-out", "matrix"), ("upstream", 1), ("upstream", 2), ("upstream", 0),
                 ("reassigned", None), ("staged", None)}
    assert expected <= SURVEY, sorted(map(str, expected - SURVEY))
    # the random ones exercise ties and kinks too, not only the chosen cases
    assert sum(c["expression"].startswith(("h = ", "c = ")) for c in CASES) >= 25


def test_an_upstream_gradient_is_the_weight_of_each_output_entry():
    """softmax(Q Kᵀ/√2) V with upstream G has the gradients of sum(O * G), G given as an
    input: L = Σ G ⊙ O, in torch and here."""
    seeded = _case("softmax(Q @ K.T / sqrt(2)) @ V")
    summed = _case("A = softmax(Q @ K.T / sqrt(2)); O = A @ V; f = sum(O * G)")
    assert seeded["upstream"] == summed["values"]["G"]
    weighted = dict(solved(summed).gradients)
    for name, grad in solved(seeded).gradients:
        same(grad, weighted[name])


def _gradient(expression, values):
    case = next(c for c in CASES if c["expression"] == expression and c["values"] == values)
    graph = solved(case)
    agrees(graph.value, dict(graph.gradients), case)
    return case, case["gradients"]["x"]


def test_tie_and_zero_rules_are_torchs():
    """torch.max() and torch.amax split a tie evenly among the tied entries, torch.maximum
    half and half between its arguments; ∂‖x‖/∂x is 0 at the zero vector."""
    assert _gradient("max(x)", {"x": [3.0, 1.0, 3.0]})[1] == [0.5, 0.0, 0.5]
    third = _gradient("min(x, axis=0)", {"x": [3.0, -1.0, -1.0, -1.0]})[1]
    np.testing.assert_allclose(third, [0, 1 / 3, 1 / 3, 1 / 3], rtol=1e-15)
    case, both = _gradient("max(x, x)", {"x": [1.0, -2.0]})
    assert both == case["upstream"]  # half from each argument
    assert _gradient("norm(x) + sum(x)", {"x": [0.0, 0.0, 0.0]})[1] == [1.0, 1.0, 1.0]
