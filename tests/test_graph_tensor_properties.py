"""`backprop graph` with vectors and matrices by property (hypothesis, no torch): random
shape-checked expressions over every operation, with random small shapes and values,
have gradients equal to central differences of the engine's own forward value, away from
kinks and ties; a scalar expression gives the same numbers with scalars as with 1×1
arrays; broadcasting's gradient has each input's shape; at float64's edges every value and
gradient is finite or the evaluation stops with a located error."""

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli.engine.graph.program import evaluate
from backprop_cli.errors import ProblemError
from backprop_cli.problem.graph.expression import parse

MARGIN = 1e-3  # how near a kink or tie an example may come (a step moves values by ~1e-6)
STEP = 1e-6
SMOOTH = ["neg", "exp", "sin", "cos", "square", "sigmoid", "tanh", "relu", "abs"]
POSITIVE = ["log", "sqrt", "log10"]
SMALL = st.floats(-2, 2)
FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                      HealthCheck.filter_too_much])


class Builder:
    """Draws an expression of a given shape as text, and its inputs (name -> shape, or
    (shape, classes) for class indices)."""

    def __init__(self, data, tensors=True, entries=SMALL):
        self.data, self.tensors, self.entries = data, tensors, entries
        self.inputs: dict[str, tuple] = {}
        self.labels: dict[str, tuple] = {}

    def draw(self, strategy):
        return self.data.draw(strategy)

    def size(self):
        return self.draw(st.integers(1, 3))

    def leaf(self, shape):
        same = [n for n, s in self.inputs.items() if s == shape]
        if same and self.draw(st.booleans()):
            return self.draw(st.sampled_from(same))
        name = f"{'sxA'[len(shape)]}{len(self.inputs) + len(self.labels)}"
        self.inputs[name] = shape
        return name

    def partners(self, shape):
        """Two shapes that broadcast to shape."""
        pairs = [(shape, shape), (shape, ()), ((), shape)]
        if len(shape) == 1:
            pairs += [(shape, (1,)), ((1,), shape)]
        if len(shape) == 2:
            m, n = shape
            pairs += [((m, 1), (1, n)), ((n,), (m, 1)), ((n,), shape), (shape, (1, n))]
        return self.draw(st.sampled_from(pairs))

    def tree(self, shape, depth, root=False):
        """An expression of this shape; at the root an operation (a bare name is no graph)."""
        if depth <= 0:
            return self.leaf(shape)
        kinds = ([] if root else ["leaf"]) + ["smooth", "positive", "binary", "divide",
                                              "extreme", "power"]
        if self.tensors:
            kinds += ["@"] + (["T", "softmax"] if shape else []) + \
                (["reduce"] if len(shape) < 2 else []) + \
                (["dot", "norm", "cross_entropy"] if not shape else [])
        kind = self.draw(st.sampled_from(kinds))
        d = depth - 1
        if kind == "leaf":
            return self.leaf(shape)
        if kind == "smooth":
            op = self.draw(st.sampled_from(SMOOTH))
            return f"-({self.tree(shape, d)})" if op == "neg" else f"{op}({self.tree(shape, d)})"
        if kind == "positive":
            return f"{self.draw(st.sampled_from(POSITIVE))}({self.positive(shape, d)})"
        if kind in ("binary", "divide", "extreme"):
            left, right = self.partners(shape)
            a, b = self.tree(left, d), self.tree(right, d)
            if kind == "divide":  # a divisor of 1 or more
                return f"({a} / (1 + square({b})))"
            if kind == "extreme":
                return f"{self.draw(st.sampled_from(['max', 'min']))}({a}, {b})"
            return f"({a} {self.draw(st.sampled_from(['+', '-', '*']))} {b})"
        if kind == "power":
            form = self.draw(st.sampled_from(["2", "3", "variable", "base"]))
            if form in ("2", "3"):
                return f"({self.tree(shape, d)}) ** {form}"
            if form == "base":
                return f"2 ** ({self.tree(shape, d)})"
            left, right = self.partners(shape)
            return f"({self.positive(left, d)}) ** ({self.tree(right, d)})"
        if kind == "@":
            k = self.size()
            if len(shape) == 2:
                pairs = [((shape[0], k), (k, shape[1]))]
            elif shape:
                pairs = [((shape[0], k), (k,)), ((k,), (k, shape[0]))]
            else:
                pairs = [((k,), (k,))]
            left, right = self.draw(st.sampled_from(pairs))
            return f"({self.tree(left, d)} @ {self.tree(right, d)})"
        if kind == "T":
            return f"({self.tree(shape[::-1], d)}).T"
        if kind == "softmax":
            op = self.draw(st.sampled_from(["softmax", "log_softmax"]))
            axis = self.draw(st.integers(-len(shape), len(shape) - 1))
            return f"{op}({self.tree(shape, d)}, axis={axis})"
        if kind == "reduce":
            return self.reduction(shape, d)
        if kind == "dot":
            n = (self.size(),)
            return f"dot({self.tree(n, d)}, {self.tree(n, d)})"
        if kind == "norm":
            source = self.draw(st.sampled_from([(self.size(),), (self.size(), self.size())]))
            return f"norm({self.tree(source, d)})"
        return self.cross_entropy(d)

    def positive(self, shape, depth):
        form = self.draw(st.sampled_from(["exp", "sigmoid", "square"]))
        inner = self.tree(shape, depth)
        return f"(square({inner}) + 0.5)" if form == "square" else f"{form}({inner})"

    def reduction(self, shape, depth):
        op = self.draw(st.sampled_from(["sum", "mean", "max", "min"]))
        k = self.size()
        if shape:  # (n,) from (n, k) over axis 1 or (k, n) over axis 0
            axis = self.draw(st.sampled_from([0, 1, -1, -2]))
            source = (k, shape[0]) if axis in (0, -2) else (shape[0], k)
            return f"{op}({self.tree(source, depth)}, axis={axis})"
        source = self.draw(st.sampled_from([(k,), (k, self.size())]))
        return f"{op}({self.tree(source, depth)})"

    def cross_entropy(self, depth):
        k = self.draw(st.integers(2, 3))
        shape = self.draw(st.sampled_from([(k,), (self.size(), k)]))
        target = self.draw(st.sampled_from(["label", "softmax"]))
        if target == "label":
            name = f"t{len(self.inputs) + len(self.labels)}"
            self.labels[name] = (shape[:-1], k)
        else:
            name = f"softmax({self.tree(shape, depth)})"
        return f"cross_entropy({self.tree(shape, depth)}, {name})"

    def values(self):
        """Entries (from [-2, 2]) for the inputs, whole numbers below the classes for labels."""
        out = {}
        for name, shape in self.inputs.items():
            size = int(np.prod(shape))
            entries = self.draw(st.lists(self.entries, min_size=size, max_size=size))
            out[name] = np.array(entries, dtype=float).reshape(shape)
        for name, (shape, k) in self.labels.items():
            size = int(np.prod(shape))
            out[name] = np.array(self.draw(st.lists(st.integers(0, k - 1), min_size=size,
                                                    max_size=size))).reshape(shape)
        return out


def _evaluate(program, values, upstream=None):
    try:
        return evaluate(program, values, upstream)
    except ProblemError:  # no finite answer: the hostile tests cover these
        assume(False)


def _away_from_kinks(graph) -> bool:
    """Every relu/abs argument, max/min gap (entry by entry, or between the two most
    extreme entries of each reduced slice) and norm at least MARGIN from its kink."""
    value = {n.name: np.asarray(n.value) for n in graph.nodes}
    for n in graph.nodes:
        args = [value[a] if isinstance(a, str) else np.asarray(a) for a in n.inputs]
        gaps = []
        if n.op in ("relu", "abs"):
            gaps = [np.abs(args[0])]
        elif n.op in ("max", "min") and len(args) == 2:
            gaps = [np.abs(args[0] - args[1])]
        elif n.op in ("max", "min"):
            axis = dict(n.params).get("axis")
            a = args[0].reshape(-1) if axis is None else np.moveaxis(args[0], axis, -1)
            ordered = np.sort(a, axis=-1)
            if ordered.shape[-1] > 1:
                gaps = [ordered[..., -1] - ordered[..., -2], ordered[..., 1] - ordered[..., 0]]
        elif n.op == "norm":
            gaps = [value[n.name]]
        if any(np.size(g) and np.min(g) < MARGIN for g in gaps):
            return False
    return True


def _loss(program, values, upstream) -> float:
    """L = Σ upstream ⊙ f (f itself for a scalar f), by the engine's forward pass."""
    f = np.asarray(_evaluate(program, values, upstream).value)
    return float(f) if upstream is None else float(np.sum(upstream * f))


@settings(FAST, max_examples=150)
@given(st.data())
def test_gradients_are_central_differences_of_the_value(data):
    builder = Builder(data)
    shape = data.draw(st.sampled_from([(), (2,), (3,), (2, 3), (1, 2)]))
    text = builder.tree(shape, data.draw(st.integers(1, 3)), root=True)
    assume(builder.inputs)
    program = parse(text, "property")
    values = builder.values()
    upstream = None if not shape else \
        np.array(data.draw(st.lists(st.floats(-1, 1), min_size=int(np.prod(shape)),
                                    max_size=int(np.prod(shape))))).reshape(shape)
    graph = _evaluate(program, values, upstream)
    gradients = dict(graph.gradients)
    assert set(gradients) == set(builder.inputs)  # class indices take none
    scale = max([1.0, abs(_loss(program, values, upstream))]
                + [float(np.max(np.abs(g), initial=0)) for g in gradients.values()])
    assume(scale < 1e4 and _away_from_kinks(graph))
    for name, grad in gradients.items():
        assert np.shape(grad) == np.shape(values[name])
        for index in np.ndindex(np.shape(values[name])):
            moved = []
            for sign in (1, -1):
                x = values[name].copy()
                x[index] += sign * STEP
                moved.append(_loss(program, {**values, name: x}, upstream))
            numeric = (moved[0] - moved[1]) / (2 * STEP)
            mine = np.asarray(grad)[index]
            assert abs(mine - numeric) <= 1e-5 * abs(mine) + 1e-6 * scale, \
                (text, name, index, mine, numeric)


@settings(FAST, max_examples=80)
@given(st.data())
def test_scalars_and_1x1_arrays_give_the_same_numbers(data):
    builder = Builder(data, tensors=False)
    text = builder.tree((), data.draw(st.integers(1, 4)), root=True)
    assume(builder.inputs)
    program = parse(text, "property")
    scalars = {name: float(v) for name, v in builder.values().items()}
    as_array = {name: data.draw(st.booleans()) for name in scalars}
    as_array[sorted(scalars)[0]] = True  # one at least: the result is 1×1
    arrays = {n: np.array([[v]]) if as_array[n] else v for n, v in scalars.items()}
    try:
        plain = evaluate(program, scalars)
    except ProblemError:
        try:
            evaluate(program, arrays, np.ones((1, 1)))
        except ProblemError:
            return
        raise AssertionError(f"{text}: only the scalars fail") from None
    boxed = evaluate(program, arrays, np.ones((1, 1)))
    assert np.shape(boxed.value) == (1, 1)
    assert np.allclose(boxed.value, plain.value, rtol=1e-14, atol=0)
    for (name, g), (other, h) in zip(plain.gradients, boxed.gradients, strict=True):
        assert name == other
        assert np.shape(h) == ((1, 1) if as_array[name] else ())
        assert np.allclose(h, g, rtol=1e-14, atol=1e-300), (text, name, g, h)


SHAPES = [(), (1,), (3,), (1, 3), (2, 1), (2, 3), (1, 1)]


@settings(FAST, max_examples=60)
@given(st.sampled_from(SHAPES), st.sampled_from(SHAPES),
       st.sampled_from(["+", "-", "*", "/", "max", "min", "**"]), st.data())
def test_broadcasting_gradients_have_each_inputs_shape(left, right, op, data):
    try:
        out = np.broadcast_shapes(left, right)
    except ValueError:
        assume(False)
    assume(left or right)
    text = f"{op}(a, b)" if op in ("max", "min") else f"a {op} b"
    values = {}
    for name, shape in (("a", left), ("b", right)):
        entries = data.draw(st.lists(st.floats(0.5, 2), min_size=int(np.prod(shape)),
                                     max_size=int(np.prod(shape))))
        values[name] = np.array(entries).reshape(shape) if shape else entries[0]
    program = parse(text, "property")
    upstream = np.ones(out) if out else None
    graph = _evaluate(program, values, upstream)
    assume(_away_from_kinks(graph))
    for name, grad in graph.gradients:
        assert np.shape(grad) == np.shape(values[name])
        # every entry's gradient sums what it sent to each entry it was copied to
        for index in np.ndindex(np.shape(values[name])):
            x = np.array(values[name], dtype=float)
            moved = []
            for sign in (1, -1):
                y = x.copy()
                y[index] += sign * STEP
                moved.append(_loss(program, {**values, name: y if y.ndim else float(y)},
                                   upstream))
            numeric = (moved[0] - moved[1]) / (2 * STEP)
            assert abs(np.asarray(grad)[index] - numeric) <= 1e-6 * max(1, abs(numeric))


# float64's edges: overflow in exp, sums and squares, spreads beyond its range, subnormals
EXTREMES = st.one_of(st.sampled_from([1e308, -1e308, 1.7e308, -1.7e308, 1e200, -1e200, 710.0,
                                      -746.0, 5e-324, -1e-310, 0.0]),
                     SMALL, st.floats(allow_nan=False, allow_infinity=False))


@settings(FAST, max_examples=400)
@given(st.data())
def test_every_result_is_finite_or_a_located_error(data):
    """Whatever the values, every node's value and gradient is a finite number (what the
    tables and JSON print), or evaluate stops with a ProblemError naming the place."""
    builder = Builder(data, entries=EXTREMES)
    shape = data.draw(st.sampled_from([(), (2,), (2, 3)]))
    text = builder.tree(shape, data.draw(st.integers(1, 2)), root=True)
    assume(builder.inputs)
    program = parse(text, "property")
    upstream = np.ones(shape) if shape else None
    try:
        graph = evaluate(program, builder.values(), upstream)
    except ProblemError as e:
        assert str(e).startswith("property: ") and "\n" not in str(e)
        return
    for n in graph.nodes:
        assert np.all(np.isfinite(n.value)) and np.all(np.isfinite(n.upstream)), (text, n)
    for edge in graph.edges:
        assert np.all(np.isfinite(edge.product)), (text, edge)
