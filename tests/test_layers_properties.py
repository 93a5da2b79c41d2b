"""Random stacks of layer kinds (hypothesis): dense layers with and without bias and
residual connections, batch norm (train/eval, biased/unbiased, with and without gamma and
beta), layer norm, dropout (masks, p, scaling, eval), an L2 penalty in each form, every
loss: every gradient the engine gives, ∂L/∂x included, agrees with central differences
(`check`), and one training step is solve's update."""

from __future__ import annotations

import numpy as np
from helpers import one_step_is_solves_update
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli import engine
from backprop_cli.engine import gradcheck
from backprop_cli.problem import from_document

SMOOTH = ["identity", "sigmoid", "tanh", "softplus"]  # no kinks: every entry is compared
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _kind_layer(draw, rng, kind, n, N):
    layer = {"kind": kind, "activation": draw(st.sampled_from(SMOOTH))}
    if kind in ("batchnorm", "layernorm") and draw(st.booleans()):
        layer["gamma"] = np.round(rng.uniform(0.5, 1.5, n), 2).tolist()
        layer["beta"] = np.round(rng.uniform(-0.5, 0.5, n), 2).tolist()
    if kind == "batchnorm":
        layer["mode"] = draw(st.sampled_from(["train", "eval"]))
        layer["variance"] = draw(st.sampled_from(["biased", "unbiased"]))
        layer["running_mean"] = np.round(rng.uniform(-0.5, 0.5, n), 2).tolist()
        layer["running_var"] = np.round(rng.uniform(0.5, 1.5, n), 2).tolist()
    if kind == "dropout":
        mask = (rng.random((N, n)) < 0.7).astype(int)
        layer["mask"] = mask.tolist()
        layer["p" if draw(st.booleans()) else "keep"] = draw(st.sampled_from([0.2, 0.5]))
        layer["scale"] = draw(st.sampled_from(["inverted", "none"]))
        layer["mode"] = draw(st.sampled_from(["train", "train", "eval"]))
    return layer


@st.composite
def stacks(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    N, n0 = draw(st.integers(2, 4)), draw(st.integers(1, 3))
    widths, layers = [n0], []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["dense", "dense", "batchnorm", "layernorm", "dropout"]))
        n = widths[-1]
        if kind == "layernorm" and n < 2:
            kind = "dense"  # one feature normalises to 0: nothing to learn through it
        if kind == "dense":
            n = draw(st.integers(1, 3))
            layer = {"weights": np.round(rng.uniform(-1, 1, (n, widths[-1])), 2).tolist(),
                     "activation": draw(st.sampled_from(SMOOTH))}
            if draw(st.booleans()):
                layer["bias"] = np.round(rng.uniform(-1, 1, n), 2).tolist()
            same = [k for k, w in enumerate(widths) if w == n]
            if same and draw(st.booleans()):
                layer["residual"] = draw(st.sampled_from(same))
        else:
            layer = _kind_layer(draw, rng, kind, n, N)
        layers.append(layer)
        widths.append(n)
    last = widths[-1]
    layers.append({"weights": np.round(rng.uniform(-1, 1, (2, last)), 2).tolist(),
                   "bias": [0.1, -0.2], "activation": "identity"})
    loss = draw(st.sampled_from(["mse", "sse_half", "upstream"]))
    doc = {"x": np.round(rng.uniform(-1, 1, (N, n0)), 2).tolist(),
           "y": np.round(rng.uniform(-1, 1, (N, 2)), 2).tolist(), "loss": loss,
           "layers": layers, "optimizer": {"name": "sgd", "lr": 0.1}}
    if draw(st.booleans()):
        doc["l2"] = {"lambda": 0.1, "form": draw(st.sampled_from(
            ["lambda/2", "lambda/2m", "lambda", "lambda/m"]))}
    return doc


@SETTINGS
@given(stacks())
def test_every_gradient_agrees_with_central_differences(doc):
    problem = from_document(doc, "random.yaml")
    # a norm over (nearly) equal values, σ² ≪ eps: its slope is ~1/√eps and bends on that
    # scale, where a step of 1e-6 no longer gives the derivative (as the golden fixtures,
    # such draws are left out)
    caches = engine.solve(problem.inputs).forward.caches
    assume(all(np.min(c["var"]) > 1e-2 for c in caches if c and "var" in c))
    result = gradcheck.check(problem.inputs)
    names = [p.name for p in result.parameters]
    assert "x" in names  # ∂L/∂x: every solution shows it
    assert result.ok, [(p.name, p.max_abs, p.max_rel) for p in result.parameters if not p.ok]


@SETTINGS
@given(stacks())
def test_one_step_is_solves_update(doc):
    one_step_is_solves_update(from_document(doc, "random.yaml").inputs)
