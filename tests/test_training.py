"""The fast training loop gives engine.train's results bit for bit, and still names the
quantity that overflows."""

import json

import numpy as np
import pytest
from conftest import GOLDEN, PROBLEMS
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import engine, training
from backprop_cli.optimizers import DEFAULTS, hyperparameters
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


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_fast_loop_equals_the_checked_loop(path):
    p = _problem(path)
    args = (p.model, p.params, p.x, p.y, p.optimizer, p.hyper, p.state, 4)
    same(training.train(*args), engine.train(*args))


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
    same(training.train(*args), engine.train(*args))


REGRESSION = {"x": [1e154], "y": [0.0], "loss": "sse_half",
              "layers": [{"weights": [[1.0]], "activation": "identity"}]}


@pytest.mark.parametrize("steps", [1, 3])
@pytest.mark.parametrize("name, lr, doc", [
    ("sgd", 1e308, None),  # the loss overflows in step 2
    ("sgd", 10.0, REGRESSION),  # the update makes W1 = 1 - 1e309: the weight itself
    ("adam", 1e308, None),
])
def test_overflow_is_named_like_the_checked_loop(name, lr, doc, steps):
    p = load(str(PROBLEMS / "classic.yaml")) if doc is None else from_document(doc, "p")
    hyper = hyperparameters(name, {"lr": lr})
    messages = []
    for run in (training.train, engine.train):
        with pytest.raises(engine.NumericalError) as info:
            run(p.model, p.params, p.x, p.y, name, hyper, {}, steps)
        messages.append(str(info.value))
    assert messages[0] == messages[1]
    assert "step" in messages[0]


def test_a_false_alarm_carries_on():
    # finite pre-activations whose sum overflows: the watch suspects, the check clears it
    doc = {"x": [1.0, 1.0], "y": [1e308, 1e308], "loss": "sse_half",
           "layers": [{"weights": [[1e308, 0.0], [0.0, 1e308]], "activation": "identity"}],
           "optimizer": {"name": "sgd", "lr": 0.0}}
    p = from_document(doc, "p.yaml")
    args = (p.model, p.params, p.x, p.y, p.optimizer, p.hyper, p.state, 2)
    same(training.train(*args), engine.train(*args))
