"""Numerical extremes end to end: pre-activations at +-1000 and +-40 through every
activation, into cross_entropy, bce, mse and sse_half, solved by the command line and
compared with a reference computed here in 80-digit decimal arithmetic, independent of
the implementation. Every loss, forward value and gradient agrees to 1e-12 relative
where float64 can hold the exact value (a value that underflows may be 0; a gradient
that overflows must be the contract's null, and only in gradients.h{L}).
"""

import json
import warnings
from decimal import Decimal, localcontext

import pytest
import yaml

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES

D = Decimal
PREC = 80
RTOL = D("1e-12")
TINY = D("1e-300")  # below this, float64 may flush the exact value to zero or a subnormal
HUGE = D("1.7976931348623157e308")
EXTREMES = [1000.0, -1000.0, 40.0, -40.0]
SLOPE, ALPHA = 0.2, 1.5


# ------------------------------------------------------------ the reference


def exp(v: D) -> D:
    return v.exp()


def sigmoid(v: D) -> D:
    return 1 / (1 + exp(-v))


def softplus(v: D) -> D:
    return (1 + exp(v)).ln()


def activation(name, a: list, param) -> list:
    if name == "softmax":
        m = max(a)
        e = [exp(v - m) for v in a]
        s = sum(e)
        return [v / s for v in e]
    f = {
        "identity": lambda v: v,
        "sigmoid": sigmoid,
        "tanh": lambda v: (1 - exp(-2 * v)) / (1 + exp(-2 * v)),
        "relu": lambda v: v if v > 0 else D(0),
        "leaky_relu": lambda v: v if v > 0 else v * param,
        "elu": lambda v: v if v > 0 else param * (exp(v) - 1),
        "softplus": softplus,
    }[name]
    return [f(v) for v in a]


def activation_backward(name, a: list, h: list, dh: list, param) -> list:
    """dL/da from dL/dh, with the exact derivative (torch's at the kinks)."""
    if name == "softmax":
        inner = sum(g * p for g, p in zip(dh, h))
        return [p * (g - inner) for g, p in zip(dh, h)]
    d = {
        "identity": lambda v: D(1),
        "sigmoid": lambda v: sigmoid(v) * sigmoid(-v),
        "tanh": lambda v: 4 / (exp(v) + exp(-v)) ** 2,
        "relu": lambda v: D(1) if v > 0 else D(0),
        "leaky_relu": lambda v: D(1) if v > 0 else param,
        "elu": lambda v: D(1) if v > 0 else param * exp(v),
        "softplus": sigmoid,
    }[name]
    return [g * d(v) for g, v in zip(dh, a)]


def log_softmax(a: list) -> list:
    m = max(a)
    lse = m + sum(exp(v - m) for v in a).ln()
    return [v - lse for v in a]


def loss_value(loss, a, h, y) -> D:
    k = len(y)
    if loss == "cross_entropy":
        return -sum(t * v for t, v in zip(y, log_softmax(a)))
    if loss == "bce":  # from the logits: y softplus(-a) + (1 - y) softplus(a)
        return sum(t * softplus(-v) + (1 - t) * softplus(v) for t, v in zip(y, a)) / k
    if loss == "mse":
        return sum((p - t) ** 2 for p, t in zip(h, y)) / k
    if loss == "upstream":  # y is the upstream gradient: L = Σ y ŷ
        return sum(t * p for p, t in zip(h, y))
    return sum((p - t) ** 2 for p, t in zip(h, y)) / 2


def loss_grad_h(loss, a, h, y) -> list:
    k = len(y)
    if loss == "cross_entropy":
        return [-t / p if t else D(0) for p, t in zip(h, y)]
    if loss == "bce":  # 1 - sigmoid(a) is sigmoid(-a), which 80 digits do not round to 0
        return [((-t / sigmoid(v) if t else D(0)) + ((1 - t) / sigmoid(-v) if t != 1 else D(0)))
                / k for v, t in zip(a, y)]
    if loss == "mse":
        return [2 * (p - t) / k for p, t in zip(h, y)]
    if loss == "upstream":
        return list(y)
    return [p - t for p, t in zip(h, y)]


def loss_grad_a(loss, a, h, y, out, param) -> list:
    k = len(y)
    if loss == "cross_entropy":  # softmax(a) sum(y) - y, exactly
        return [p * sum(y) - t for p, t in zip(h, y)]
    if loss == "bce":
        return [(sigmoid(v) - t) / k for v, t in zip(a, y)]
    return activation_backward(out, a, h, loss_grad_h(loss, a, h, y), param)


def reference(doc) -> dict:
    """The solve document's forward values, loss and gradients, in Decimal."""
    with localcontext() as ctx:
        ctx.prec = PREC
        xs = [[D(v) for v in row] for row in doc["x"]]
        ys = [[D(v) for v in row] for row in doc["y"]]
        layers = doc["layers"]
        n = len(xs)
        default = "sum" if doc["loss"] == "upstream" else "mean"  # as the reader's
        scale = D(1) if doc.get("reduction", default) == "sum" else D(1) / n
        W = [[[D(v) for v in r] for r in layer["weights"]] for layer in layers]
        b = [[D(v) for v in layer["bias"]] if "bias" in layer else None for layer in layers]
        acts = [layer["activation"] for layer in layers]
        params = [D(layer.get("slope", layer.get("alpha", 0))) for layer in layers]
        out = {"loss": D(0)}
        grads = {}
        for x, y in zip(xs, ys):
            hs, as_ = [x], []
            for l in range(len(layers)):
                a = [sum(w * v for w, v in zip(row, hs[-1])) for row in W[l]]
                if b[l] is not None:
                    a = [v + c for v, c in zip(a, b[l])]
                as_.append(a)
                hs.append(activation(acts[l], a, params[l]))
            L = len(layers)
            out["loss"] += scale * loss_value(doc["loss"], as_[-1], hs[-1], y)
            dh = [g * scale for g in loss_grad_h(doc["loss"], as_[-1], hs[-1], y)]
            da = [g * scale for g in loss_grad_a(doc["loss"], as_[-1], hs[-1], y, acts[-1],
                                                 params[-1])]
            for l in range(L, 0, -1):
                out.setdefault(f"forward.a{l}", []).append(as_[l - 1])
                out.setdefault(f"forward.h{l}", []).append(hs[l])
                grads.setdefault(f"h{l}", []).append(dh)
                grads.setdefault(f"a{l}", []).append(da)
                dW = [[g * v for v in hs[l - 1]] for g in da]
                grads[f"W{l}"] = [[p + q for p, q in zip(r1, r2)] for r1, r2 in
                                  zip(grads[f"W{l}"], dW)] if f"W{l}" in grads else dW
                if b[l - 1] is not None:
                    grads[f"b{l}"] = [p + q for p, q in zip(grads[f"b{l}"], da)] \
                        if f"b{l}" in grads else da
                if l > 1:
                    dh = [sum(g * W[l - 1][j][i] for j, g in enumerate(da))
                          for i in range(len(hs[l - 1]))]
                    da = activation_backward(acts[l - 2], as_[l - 2], hs[l - 1], dh,
                                             params[l - 2])
        for name, value in grads.items():
            out[f"gradients.{name}"] = value
        return out


# ------------------------------------------------------------ comparison


def close(got, want: D, where: str, null_ok: bool):
    """got agrees with the exact value want; null_ok: the contract's null may stand here
    (gradients.h{L} where the output saturated to 0 or 1)."""
    if abs(want) > HUGE:  # beyond float64: only gradients.h{L} may say so, as null
        assert null_ok and got is None, f"{where}: {got}, exact {want:.6e} is not finite"
        return
    if got is None and null_ok:
        return
    assert got is not None, f"{where}: null, exact {want:.17e}"
    got = D(got)
    with localcontext() as ctx:
        ctx.prec = PREC
        err = abs(got - want)
        assert err <= RTOL * abs(want) or (abs(want) < TINY and abs(got) < TINY), \
            f"{where}: {got:.17e}, exact {want:.17e}, relative error {err / abs(want):.1e}"


def compare(doc, solved):
    ref = reference(doc)
    L = len(doc["layers"])
    last = f"gradients.h{L}"
    output = solved["forward"][f"h{L}"]
    output = output if isinstance(output[0], list) else [output]
    close(solved["loss"], ref.pop("loss"), "loss", False)
    for key, want in ref.items():
        section, name = key.split(".")
        got = solved[section][name]
        if name[0] in "ah":  # one row per sample (a vector for a single sample)
            got = got if isinstance(got[0], list) else [got]
        elif name[0] == "b":
            got, want = [got], [want]
        for i, (got_row, want_row) in enumerate(zip(got, want, strict=True)):
            for j, (g, w) in enumerate(zip(got_row, want_row, strict=True)):
                saturated = key == last and output[i][j] in (0.0, 1.0)
                close(g, w, f"{key}[{i}][{j}]", saturated)


def solve(run, doc):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a RuntimeWarning from numpy fails the test
        result = run("solve", "-", "--format", "json", input=json.dumps(doc))
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout, parse_constant=lambda c: pytest.fail(f"JSON holds {c}"))


def layer(weights, activation, bias=None):
    out = {"weights": weights, "activation": activation}
    if bias is not None:
        out["bias"] = bias
    if ACTIVATIONS[activation].param == "slope":
        out["slope"] = SLOPE
    if ACTIVATIONS[activation].param == "alpha":
        out["alpha"] = ALPHA
    return out


TARGETS = {  # two samples, four outputs
    "cross_entropy": [[0.0, 1.0, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4]],
    "bce": [[0.0, 1.0, 0.3, 1.0], [1.0, 0.0, 0.7, 0.0]],
    "mse": [[0.5, -0.5, 0.25, 2.0], [1.5, 0.5, -1.25, 0.75]],
    "sse_half": [[0.5, -0.5, 0.25, 2.0], [1.5, 0.5, -1.25, 0.75]],
    "upstream": [[0.5, -0.5, 0.25, 2.0], [1.5, 0.5, -1.25, 0.75]],
}


def output_cases():
    for loss in LOSSES:
        outputs = [LOSSES[loss].output] if LOSSES[loss].output else list(ACTIVATIONS)
        for out in outputs:
            for reduction in ("sum",) if loss == "upstream" else ("mean", "sum"):
                yield pytest.param(loss, out, reduction, id=f"{loss}-{out}-{reduction}")


@pytest.mark.parametrize("loss, out, reduction", list(output_cases()))
def test_saturated_outputs(run, loss, out, reduction):
    """The output layer's pre-activations are +-1000 and +-40 (negated for sample 2)."""
    doc = {"x": [[1.0], [-1.0]], "y": TARGETS[loss], "loss": loss, "reduction": reduction,
           "layers": [layer([[v] for v in EXTREMES], out)]}
    solved = solve(run, doc)
    assert solved["forward"]["a1"] == [EXTREMES, [-v for v in EXTREMES]]
    compare(doc, solved)


# Small weights on the +-1000 units keep the outputs moderate, so no output sits on its
# target: h - y then has no cancellation that float64 (and torch) cannot avoid.
W2 = [[0.00113, 0.00071, 0.0137, 0.0219], [-0.00089, 0.00037, -0.0241, 0.0153],
      [0.00047, -0.00093, 0.0311, -0.0107], [0.00029, 0.00017, -0.0053, 0.0419]]
B2 = [0.1, -0.1, 0.2, 0.05]
OUTPUT_FOR = {"cross_entropy": "softmax", "bce": "sigmoid", "mse": "identity",
              "sse_half": "tanh", "upstream": "sigmoid"}


@pytest.mark.parametrize("loss", list(LOSSES))
@pytest.mark.parametrize("hidden", [
    pytest.param(name)
    for name in ACTIVATIONS])
def test_extreme_hidden_layer(run, hidden, loss):
    """A hidden layer whose pre-activations are +-1000 and +-40: its gradients go back
    through the activation's derivative at the extremes."""
    doc = {"x": [[1.0], [-1.0]], "y": TARGETS[loss], "loss": loss,
           "layers": [layer([[v] for v in EXTREMES], hidden),
                      layer(W2, OUTPUT_FOR[loss], bias=B2)]}
    compare(doc, solve(run, doc))


def test_class_indices_at_the_extremes(run):
    doc = {"x": [1.0], "y": 1, "loss": "cross_entropy",
           "layers": [layer([[v] for v in EXTREMES], "softmax")]}
    solved = solve(run, doc)
    assert solved["loss"] == 2000.0  # log-sum-exp of the logits, not log(0)
    assert solved["gradients"]["h1"][1] is None  # -1/h with h = e^-2000: the one null
    compare(dict(doc, x=[[1.0]], y=[[0.0, 1.0, 0.0, 0.0]]), solved)


def test_the_reference_is_independent_and_right():
    """The reference against values known in closed form."""
    with localcontext() as ctx:
        ctx.prec = PREC
        assert abs(sigmoid(D(40)) * sigmoid(D(-40)) - D("4.248354255291588e-18")) < D("1e-30")
        assert activation("softmax", [D(1000), D(-1000)], None)[1] < D("1e-868")
        assert loss_value("bce", [D(-1000)], [D(0)], [D(1)]) == D(1000)
    doc = yaml.safe_load("x: [[1.0]]\ny: [[2.0]]\nloss: sse_half\n"
                         "layers: [{weights: [[3.0]], bias: [1.0], activation: identity}]\n")
    ref = reference(doc)
    assert ref["loss"] == 2 and ref["gradients.W1"] == [[2]] and ref["gradients.b1"] == [2]


@pytest.mark.parametrize("name, a", [
    pytest.param("sigmoid", 40.0),
    pytest.param("tanh", 40.0),
    pytest.param("tanh", -20.0),
    ("sigmoid", -40.0), ("softplus", -40.0), ("elu", -40.0), ("softplus", 745.0),
])
def test_derivative_at_the_extremes_is_what_float64_holds(run, name, a):
    """The plainest form of the finding above: one unit and sse_half against y = 0, so
    dL/dh = h and dL/da = h f'(a)."""
    doc = {"x": [1.0], "y": [0.0], "loss": "sse_half",
           "layers": [{"weights": [[a]], "activation": name}]}
    solved = solve(run, doc)
    with localcontext() as ctx:
        ctx.prec = PREC
        param = D(1) if name == "elu" else None
        h = activation(name, [D(a)], param)
        exact = activation_backward(name, [D(a)], h, h, param)[0]
    close(solved["gradients"]["a1"][0], exact, f"{name}'({a}) h", False)
