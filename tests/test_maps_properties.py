"""Random convolution and pooling stacks (hypothesis): input sizes, channels, kernels,
strides, paddings, flip, bias or none, max or average pooling (overlapping windows and
`remainder: drop` included), channels first or last, one sample or a batch, a dense
output or `loss: upstream` on the maps: every gradient the engine gives, ∂L/∂x included,
agrees with central differences (`check`), and one training step is solve's update."""

from __future__ import annotations

import numpy as np
from helpers import one_step_is_solves_update
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from backprop_cli.engine import gradcheck
from backprop_cli.problem import from_document

SMOOTH = ["identity", "sigmoid", "tanh", "softplus"]  # no kinks: every entry is compared
SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def _out(n, k, s, p):
    return (n + 2 * p - k) // s + 1


@st.composite
def problems(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    N, C, H, W = (draw(st.integers(1, 2)), draw(st.integers(1, 2)), draw(st.integers(3, 6)),
                  draw(st.integers(3, 6)))
    last = draw(st.booleans())
    k, s, p = draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(0, 1))
    assume(k <= H + 2 * p and k <= W + 2 * p)
    C2 = draw(st.integers(1, 2))
    conv = {"kind": "conv2d", "stride": s, "padding": p, "flip": draw(st.booleans()),
            "activation": draw(st.sampled_from(SMOOTH)), "remainder": "drop",
            "weights": np.round(rng.uniform(-1, 1, (C2, C, k, k)), 2)}
    if draw(st.booleans()):
        conv["bias"] = np.round(rng.uniform(-0.5, 0.5, C2), 2).tolist()
    shape = (C2, _out(H, k, s, p), _out(W, k, s, p))
    layers = [conv]
    pool = draw(st.sampled_from([None, "maxpool2d", "avgpool2d"]))
    if pool:
        size, stride = draw(st.integers(1, 2)), draw(st.integers(1, 2))
        assume(size <= min(shape[1:]))
        layers.append({"kind": pool, "size": size, "stride": stride, "remainder": "drop"})
        shape = (C2, _out(shape[1], size, stride, 0), _out(shape[2], size, stride, 0))
    x = np.round(rng.uniform(-1, 1, (N, C, H, W)), 2)
    if last:
        conv["weights"] = conv["weights"].transpose(2, 3, 1, 0)
        x = x.transpose(0, 2, 3, 1)
    conv["weights"] = conv["weights"].tolist()
    if draw(st.booleans()):  # the maps' own upstream gradient
        y = np.round(rng.uniform(-1, 1, (N, *(shape if not last else
                                              (*shape[1:], shape[0])))), 2)
        loss = "upstream"
    else:
        width = int(np.prod(shape))
        layers += [{"kind": "flatten"},
                   {"weights": np.round(rng.uniform(-1, 1, (2, width)), 2).tolist(),
                    "bias": [0.1, -0.1], "activation": "identity"}]
        y, loss = np.round(rng.uniform(-1, 1, (N, 2)), 2), "mse"
    one = N == 1 and draw(st.booleans())
    return {"x": (x[0] if one else x).tolist(), "y": (y[0] if one else y).tolist(),
            "loss": loss, "channels": "last" if last else "first", "layers": layers,
            "optimizer": {"name": draw(st.sampled_from(["sgd", "adam"])), "lr": 0.1}}


@SETTINGS
@given(problems())
def test_every_gradient_agrees_with_central_differences(doc):
    problem = from_document(doc, "random.yaml")
    result = gradcheck.check(problem.inputs)
    assert result.compared > 0
    assert result.ok, [(p.name, p.max_abs, p.max_rel) for p in result.parameters if not p.ok]


@SETTINGS
@given(problems())
def test_one_training_step_is_solves_update(doc):
    one_step_is_solves_update(from_document(doc, "random.yaml").inputs)
