"""The one training loop: its buffers change no bit (it equals a plain loop over the
engine's functions and solve's update), it never writes into the caller's arrays, and an
overflow is named the same way by solve and step."""

import json
from dataclasses import replace

import numpy as np
import pytest
from helpers import GOLDEN, PROBLEMS
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import engine
from backprop_cli.engine.optimizers import DEFAULTS, hyperparameters
from backprop_cli.problem import from_document, load

CASES = sorted(PROBLEMS.glob("*.yaml")) + sorted((GOLDEN / "optim").glob("*.json"))


def _problem(path):
    if path.suffix == ".json":
        return from_document(json.loads(path.read_text())["problem"], str(path))
    return load(str(path))


def same(a, b):
    assert a.losses == b.losses
    assert a.params.keys() == b.params.keys()
    for k in a.params:
        assert np.array_equal(a.params[k], b.params[k]), k
    assert a.state.keys() == b.state.keys()
    for k in a.state:
        for key in a.state[k]:
            assert np.array_equal(a.state[k][key], b.state[k][key]), (k, key)


def plain_loop(model, params, x, y, optimizer, hyper, state, steps):
    """The loop written the obvious way, fresh arrays everywhere: what train must equal."""
    losses = []
    for _ in range(steps):
        fwd = engine.forward(model, params, x, y)
        losses.append(fwd.loss)
        grads = engine.backward(model, params, fwd, y)
        params, state = engine.apply_update(model, params, grads.params, optimizer, hyper,
                                            state)
    losses.append(engine.forward(model, params, x, y).loss)
    return engine.Training(tuple(losses), params, state)


def copies(params):
    return {k: v.copy() for k, v in params.items()}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_train_equals_the_plain_loop_and_leaves_its_inputs_alone(path):
    p = _problem(path)
    before = copies(p.params)
    state_before = json.dumps({k: {q: np.asarray(v).tolist() for q, v in e.items()}
                               for k, e in p.state.items()})
    args = (p.model, p.params, p.x, p.y, p.optimizer, p.hyper, p.state, 4)
    same(engine.train(p.inputs, 4), plain_loop(*args))
    for k in before:
        assert np.array_equal(before[k], p.params[k]), k
    assert state_before == json.dumps({k: {q: np.asarray(v).tolist() for q, v in e.items()}
                                       for k, e in p.state.items()})


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_one_step_is_solves_update_and_steps_chain(path):
    p = _problem(path)
    sol = engine.solve(p.inputs)
    one = engine.train(p.inputs, 1)
    assert one.losses == (sol.forward.loss, sol.update.loss)
    for k in sol.update.params:
        assert np.array_equal(one.params[k], sol.update.params[k]), k
    chained = engine.train(replace(p.inputs, params=one.params, state=one.state), 2)
    whole = engine.train(p.inputs, 3)
    same(chained, engine.Training(whole.losses[1:], whole.params, whole.state))


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(sorted(DEFAULTS)), st.integers(0, 2**32 - 1),
       st.sampled_from(["classic", "batch_mse", "in_out", "frozen_bias", "batch_classes"]))
def test_every_optimizer_bit_for_bit(name, seed, example):
    p = load(str(PROBLEMS / f"{example}.yaml"))
    rng = np.random.default_rng(seed)
    given = {"lr": float(rng.uniform(0.01, 1.0)), "maximize": bool(rng.random() < 0.2)}
    if name in ("sgd", "rmsprop"):
        given["momentum"] = float(rng.choice([0.0, 0.9]))
    if name != "adamw":
        given["weight_decay"] = float(rng.choice([0.0, 0.01]))
    hyper = hyperparameters(name, given)
    args = (p.model, p.params, p.x, p.y, name, hyper, {}, 3)
    same(engine.train(engine.Inputs(*args[:7]), 3), plain_loop(*args))


REGRESSION = {"x": [1e154], "y": [0.0], "loss": "sse_half",
              "layers": [{"weights": [[1.0]], "activation": "identity"}]}


FROZEN_OVERFLOW = {  # frozen W1 whose gradient overflows: once missed by a second loop
    "x": [1.0e200], "y": [0.0], "loss": "sse_half",
    "layers": [{"weights": [[1.0e-200]], "bias": [0.0], "activation": "identity",
                "frozen": ["weights"]},
               {"weights": [[1.0e150]], "activation": "identity"}],
    "optimizer": {"name": "sgd", "lr": 1.0e-300}}


W1 = "W1 is not finite in float64"
GRAD_W1 = "the gradient of W1 is not finite in float64"
LOSS = "the loss is not finite in float64"


@pytest.mark.parametrize("name, lr, doc, one_step, three_steps, in_solve", [
    # the update is finite, the loss after it is not
    ("sgd", 1e308, None, f"{LOSS} after step 1", f"{LOSS} in step 2",
     f"{LOSS} after the update"),
    # the update makes W1 = 1 - 1e309: the weight itself
    ("sgd", 10.0, REGRESSION, f"{W1} in step 1", f"{W1} in step 1", f"{W1} after the update"),
    ("adam", 1e308, None, f"{W1} in step 1", f"{W1} in step 1", f"{W1} after the update"),
    # a frozen weight whose gradient overflows (nothing it would change is updated)
    ("sgd", 1e-300, FROZEN_OVERFLOW, f"{GRAD_W1} in step 1", f"{GRAD_W1} in step 1", GRAD_W1),
])
def test_overflow_is_named_with_its_step(name, lr, doc, one_step, three_steps, in_solve):
    p = load(str(PROBLEMS / "classic.yaml")) if doc is None else from_document(doc, "p")
    hyper = hyperparameters(name, {"lr": lr})
    for steps, culprit in ((1, one_step), (3, three_steps)):
        with pytest.raises(engine.NumericalError) as info:
            engine.train(engine.Inputs(p.model, p.params, p.x, p.y, name, hyper, {}), steps)
        assert info.value.message == culprit
    with pytest.raises(engine.NumericalError) as info:
        engine.solve(engine.Inputs(p.model, p.params, p.x, p.y, name, hyper, {}))
    assert info.value.message == in_solve


def test_a_false_alarm_carries_on():
    # finite pre-activations whose sum overflows: the watch suspects, the check clears it
    doc = {"x": [1.0, 1.0], "y": [1e308, 1e308], "loss": "sse_half",
           "layers": [{"weights": [[1e308, 0.0], [0.0, 1e308]], "activation": "identity"}],
           "optimizer": {"name": "sgd", "lr": 0.0}}
    p = from_document(doc, "p.yaml")
    args = (p.model, p.params, p.x, p.y, p.optimizer, p.hyper, p.state, 2)
    same(engine.train(engine.Inputs(*args[:7]), args[7]), plain_loop(*args))


def _wide(x_scale, w1_scale, w2_scale, lr, frozen=(), n=64, width=80):
    """A network whose arrays are larger than those the loop tests together (watch.SMALL),
    so one BLAS pass, the norm bounds and plain SGD's running bound are what judge them."""
    rng = np.random.default_rng(7)
    return from_document({
        "x": (rng.uniform(-1, 1, (n, width)) * x_scale).tolist(),
        "y": rng.integers(0, 2, n).tolist(), "loss": "cross_entropy",
        "layers": [{"weights": (rng.uniform(-1, 1, (width, width)) * w1_scale).tolist(),
                    "bias": [0.0] * width, "activation": "identity", "frozen": list(frozen)},
                   {"weights": (rng.uniform(-1, 1, (2, width)) * w2_scale).tolist(),
                    "activation": "softmax"}],
        "optimizer": {"name": "sgd", "lr": lr}}, "wide.yaml")


def test_finite_values_whose_norms_overflow_carry_on():
    # a1 ~ 1e160: its square norm (and x's) is infinite though every value is finite, so
    # the cheap watch cannot prove the step finite; the checked redo clears it
    p = _wide(1e160, 1.0, 1.0, 1e-300)
    args = (p.model, p.params, p.x, p.y, p.optimizer, p.hyper, p.state, 3)
    same(engine.train(engine.Inputs(*args[:7]), args[7]), plain_loop(*args))


GRAD = "the gradient of W1 is not finite in float64"


@pytest.mark.parametrize("x, w2, lr, frozen, in_solve, in_steps", [
    # da1 ~ 1e148 and x ~ 1e200: each is finite, their product dW1 (6,400 entries) is not
    (1e200, 1e150, 1e-300, ("weights",), GRAD, [f"{GRAD} in step 1"] * 2),
    # a learning rate that carries W1 past float64: plain SGD's bound is what notices
    (1e3, 1.0, 1e307, (), f"{W1} after the update", [f"{W1} in step 1"] * 2),
    # W1 stays finite, the next forward pass does not
    (1.0, 1.0, 1e307, (), "a2 is not finite in float64 after the update",
     ["a2 is not finite in float64 after step 1", "a2 is not finite in float64 in step 2"]),
])
def test_large_arrays_that_overflow_are_named_like_solve(x, w2, lr, frozen, in_solve,
                                                         in_steps):
    p = _wide(x, 1e-200, w2, lr, frozen)
    with pytest.raises(engine.NumericalError) as solved:
        engine.solve(engine.Inputs(p.model, p.params, p.x, p.y, "sgd", p.hyper, {}))
    assert solved.value.message == in_solve
    for steps, culprit in zip((1, 2), in_steps):
        with pytest.raises(engine.NumericalError) as info:
            engine.train(engine.Inputs(p.model, p.params, p.x, p.y, "sgd", p.hyper, {}), steps)
        assert info.value.message == culprit


@pytest.mark.parametrize("n, width", [(1, 3), (64, 80)])  # summed whole, or not (SMALL)
def test_an_overflowing_gradient_of_h_is_named_though_every_parameter_gradient_is_finite(
        n, width):
    # dead ReLUs (a1 < 0) pass nothing back: dL/dh1 = 1e308 + 1e308 overflows, yet da1,
    # every gradient and the update are finite (and sum without overflow). solve names
    # dL/dh1, so step must too.
    rng = np.random.default_rng(3)
    p = from_document({
        "x": rng.uniform(0.1, 1, (n, width)).tolist(), "y": [1] * n,
        "loss": "cross_entropy", "reduction": "sum",
        "layers": [{"weights": rng.uniform(-1, -0.1, (width, width)).tolist(),
                    "activation": "relu"},
                   {"weights": [[1e308, -1e308] + [0.0] * (width - 2),
                                [-1e308, 1e308] + [0.0] * (width - 2)],
                    "bias": [100.0, 0.0], "activation": "softmax"}],
        "optimizer": {"name": "sgd", "lr": 0.1}}, "dead.yaml")
    with pytest.raises(engine.NumericalError) as solved:
        engine.solve(engine.Inputs(p.model, p.params, p.x, p.y, "sgd", p.hyper, {}))
    assert solved.value.message == "the gradient of h1 is not finite in float64"
    with pytest.raises(engine.NumericalError) as info:
        engine.train(engine.Inputs(p.model, p.params, p.x, p.y, "sgd", p.hyper, {}), 2)
    assert info.value.message == "the gradient of h1 is not finite in float64 in step 1"


@pytest.mark.parametrize("steps", [1, 2])
def test_an_activation_steeper_than_1_is_watched(steps):
    # leaky_relu with slope 1e200: a finite a (-1e150) gives h = -1e350, not finite; the
    # cheap watch leaves h unread only where |f'| <= 1 proves it finite
    doc = {"x": [-1.0e150], "y": [0.0], "loss": "mse", "layers": [
        {"weights": [[1.0]], "activation": "leaky_relu", "slope": 1.0e200},
        {"weights": [[1.0]], "activation": "identity"}]}
    p = from_document(doc, "p")
    with pytest.raises(engine.NumericalError) as info:
        engine.train(p.inputs, steps)
    assert info.value.message == "h1 is not finite in float64 in step 1"


@pytest.mark.parametrize("rows", [1, 2, 5])
def test_bias_gradients_have_the_reductions_bits(rows):
    # one sample skips np.add.reduce (its fixed cost dominates a 3-unit layer): the same
    # bits, signed zeros included, with or without the workspace's buffer
    from backprop_cli.engine.network import _sum_rows

    rng = np.random.default_rng(rows)
    da = rng.standard_normal((rows, 7))
    da[0, :4] = [-0.0, 0.0, np.inf, -1e-310]
    with np.errstate(invalid="ignore"):
        expected = np.add.reduce(da, axis=0).tobytes()
        assert _sum_rows(da, None).tobytes() == expected
        out = np.full(7, np.nan)
        assert _sum_rows(da, out) is out and out.tobytes() == expected
