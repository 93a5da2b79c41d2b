"""Random sequence exercises (hypothesis): rnn (tanh, relu), lstm, gru (reset gate in
torch's or Cho's place, z keeping the old or the new state), output last or all, T 1..4,
an embedding or not, bias and bias_h or none, h0/c0 given or not, gates stacked in a
random order or by name, layout out_in or in_out, one sample or a batch, a dense output
or `loss: upstream` on the recurrent layer: every gradient the engine gives agrees with
central differences (`check`), one training step is solve's update, and the way a file
writes the gates changes no number."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from helpers import one_step_is_solves_update
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli import engine
from backprop_cli.engine import gradcheck
from backprop_cli.output import report
from backprop_cli.problem import from_document

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])
GATES = {"rnn": "a", "lstm": "ifgo", "gru": "rzn"}


def _written(arr, cell, order, named, layout):
    """A parameter stacked in torch's order as a file writes it."""
    H = arr.shape[0] // len(GATES[cell])
    blocks = {g: arr[k * H:(k + 1) * H] for k, g in enumerate(GATES[cell])}
    turn = (lambda a: a.T) if layout == "in_out" and arr.ndim == 2 else (lambda a: a)
    if named:
        return {g: turn(blocks[g]).tolist() for g in GATES[cell]}
    return turn(np.concatenate([blocks[g] for g in order])).tolist()


@st.composite
def problems(draw, cell=None):
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    cell = cell or draw(st.sampled_from(["rnn", "lstm", "gru"]))
    N, T, D, H = (draw(st.integers(1, 2)), draw(st.integers(1, 4)), draw(st.integers(1, 3)),
                  draw(st.integers(1, 3)))
    G = len(GATES[cell])
    order = "".join(draw(st.permutations(GATES[cell])))
    named = cell != "rnn" and draw(st.booleans())
    layout = draw(st.sampled_from(["out_in", "in_out"]))
    output = draw(st.sampled_from(["last", "all"]))
    embed = draw(st.booleans())
    layer = {"kind": cell, "output": output}
    params = {"wx": rng.uniform(-1, 1, (G * H, D)), "wh": rng.uniform(-1, 1, (G * H, H))}
    for key in ("bias", "bias_h"):
        if draw(st.booleans()):
            params[key] = rng.uniform(-0.5, 0.5, G * H)
    for key, value in params.items():
        layer[key] = _written(np.round(value, 2), cell, order, named, layout)
    if cell != "rnn" and not named:
        layer["gates"] = order
    if cell == "rnn":
        layer["activation"] = draw(st.sampled_from(["tanh", "relu"]))
    if cell == "gru":
        layer["form"] = draw(st.sampled_from(["torch", "cho"]))
        layer["update"] = draw(st.sampled_from(["old", "new"]))
    one = N == 1 and draw(st.booleans())
    for key in ("h0", "c0") if cell == "lstm" else ("h0",):
        if draw(st.booleans()):
            state = np.round(rng.uniform(-0.5, 0.5, (N, H)), 2)
            layer[key] = (state[0] if one or draw(st.booleans()) else state).tolist()
    layers = [layer]
    if embed:
        V = draw(st.integers(2, 4))
        layers.insert(0, {"kind": "embedding",
                          "table": np.round(rng.uniform(-1, 1, (V, D)), 2).tolist()})
        x = rng.integers(0, V, (N, T))
    else:
        x = np.round(rng.uniform(-1, 1, (N, T, D)), 2)
    steps = (N, T) if output == "all" else (N,)
    if draw(st.booleans()):  # the recurrent layer's own upstream gradient
        y = np.round(rng.uniform(-1, 1, (*steps, H)), 2)
        loss = "upstream"
    else:
        W = np.round(rng.uniform(-1, 1, (2, H)), 2)
        layers.append({"weights": (W.T if layout == "in_out" else W).tolist(),
                       "bias": [0.1, -0.1], "activation": "softmax"})
        y, loss = rng.integers(0, 2, steps), "cross_entropy"
    return {"x": (x[0] if one else x).tolist(), "y": (y[0] if one else y).tolist(),
            "loss": loss, "layout": layout, "layers": layers,
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


@SETTINGS
@given(problems(), st.data())
def test_how_the_gates_are_written_changes_no_number(doc, data):
    """The same layer stacked in torch's order, out_in: the same solution, and each file
    gets its parameters back in its own form."""
    problem = from_document(doc, "random.yaml")
    layer = next(lay for lay in doc["layers"] if lay["kind"] in GATES)
    l = 1 + (doc["layers"][0]["kind"] == "embedding")
    plain = {**doc, "layout": "out_in",
             "layers": [dict(lay) for lay in doc["layers"]]}
    if doc["layout"] == "in_out":
        for lay in plain["layers"]:
            if "weights" in lay:
                lay["weights"] = np.array(lay["weights"]).T.tolist()
    rec = plain["layers"][l - 1]
    rec.pop("gates", None)
    for key, name in (("wx", "Wx"), ("wh", "Wh"), ("bias", "b"), ("bias_h", "bh")):
        if key in rec:
            rec[key] = problem.params[f"{name}{l}"].tolist()
    again = from_document(plain, "plain.yaml")
    one, two = engine.solve(problem.inputs), engine.solve(again.inputs)
    assert one.forward.loss == two.forward.loss
    for name, g in one.gradients.params.items():
        np.testing.assert_array_equal(g, two.gradients.params[name])
    document = report.solve_document(problem, one)
    for key, name in (("wx", "Wx"), ("wh", "Wh"), ("bias", "b"), ("bias_h", "bh")):
        if key in layer:  # written back as the file wrote it
            assert np.array(_flat(document["update"]["parameters"][f"{name}{l}"])).shape == \
                np.array(_flat(layer[key])).shape
            assert type(document["gradients"][f"{name}{l}"]) is type(layer[key])
    assert from_document(problem.to_document(), "back.yaml").params.keys() == \
        problem.params.keys()


def _flat(value):
    return [value[g] for g in sorted(value)] if isinstance(value, dict) else value


@SETTINGS
@given(problems())
def test_three_training_steps_are_three_solves(doc):
    """The training loop keeps a recurrent layer's arrays from step to step (Kind.keeps):
    three steps of it are three solves' updates chained, to the last bit."""
    inputs = from_document(doc, "random.yaml").inputs
    run = engine.train(inputs, 3)
    params, state, losses = inputs.params, inputs.state, []
    for _ in range(3):
        sol = engine.solve(replace(inputs, params=params, state=state))
        losses.append(sol.forward.loss)
        params, state = sol.update.params, sol.update.state
    assert run.losses == (*losses, sol.update.loss)
    for name, value in params.items():
        np.testing.assert_array_equal(run.params[name], value)
