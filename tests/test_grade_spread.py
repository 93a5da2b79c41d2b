"""A rule's spread (Σ|∂f/∂x_p|·w_p from its derivative) against the finite differences it
replaces in a world: exact for the rules linear in each input (products, sums, and the
slips' transposes, scales and signs of them); for the loss after the update, the
derivative of a smooth network agrees with small finite differences, and a network with a
kink keeps finite differences."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from backprop_cli.engine import slips
from backprop_cli.engine.grading import worlds
from backprop_cli.engine.grading.defaults import DEFAULT
from backprop_cli.engine.grading.graph import nodes
from backprop_cli.problem.documents import parse_text
from backprop_cli.problem.reader import from_document

SHEETS = 7


def _context(acts, loss="cross_entropy", batch=2, bias=True, reduction="mean"):
    rng = np.random.default_rng(len(acts) + batch)
    sizes = [3] + [3] * len(acts)
    lines = [f"x: {np.round(rng.uniform(-1, 1, (batch, 3)), 2).tolist()}"]
    if loss == "cross_entropy":
        lines.append(f"y: {np.eye(3)[rng.integers(0, 3, batch)].tolist()}")
    else:
        lines.append(f"y: {np.round(rng.uniform(0, 1, (batch, 3)), 1).tolist()}")
    lines += [f"loss: {loss}", f"reduction: {reduction}", "layers:"]
    for l, act in enumerate(acts):
        W = np.round(rng.uniform(-1, 1, (sizes[l + 1], sizes[l])), 2).tolist()
        b = f", bias: {np.round(rng.uniform(-1, 1, sizes[l + 1]), 2).tolist()}" if bias else ""
        lines.append(f"  - {{weights: {W}{b}, activation: {act}}}")
    lines.append("optimizer: {name: sgd, lr: 0.5}")
    p = from_document(parse_text("t.yaml", "\n".join(lines) + "\n"), "t.yaml")
    return p.inputs


def _inputs(rng, rule, graph, ctx, unc_scale):
    """(own, unc, weight) per input: own values near the problem's, each sheet its own;
    some uncertainties and weights zero, as written numbers have no hidden steps."""
    out = []
    for name in rule.inputs:
        shape = graph[name].shape
        base = ctx.params[name[:-1]] if name.endswith("'") and name[:-1] in ctx.params \
            else np.zeros(shape)
        scale = 0.01 if name.startswith("~") else 0.3  # a bump: a rounding, small
        own = base + rng.normal(0.0, scale, (SHEETS,) + shape)
        unc = np.where(rng.random((SHEETS,) + shape) < 0.7,
                       unc_scale * rng.random((SHEETS,) + shape), 0.0)
        weight = np.where(rng.random((SHEETS,) + shape) < 0.5, 1.0 + rng.random(), 0.0)
        out.append((own, unc, weight))
    return out


def _both(rule, ins, shape):
    """propagate() with the rule's spread and with finite differences."""
    by_spread = worlds.propagate(rule, ins, SHEETS, shape)
    by_steps = worlds.propagate(dataclasses.replace(rule, spread=None), ins, SHEETS, shape)
    return by_spread, by_steps


LINEAR = ("a", "dh", "dW", "db", "sum")


@pytest.mark.parametrize("acts", [("sigmoid", "softmax"), ("tanh", "relu", "softmax")])
def test_linear_rules_spread_is_their_finite_difference(acts):
    ctx = _context(acts)
    graph = {n.name: n for n in nodes(ctx)}
    rng = np.random.default_rng(5)
    seen = set()
    for node in graph.values():
        rule = DEFAULT[node.kind](ctx, node)
        if node.kind not in LINEAR or not rule.inputs:
            continue
        assert rule.spread is not None, node.name
        seen.add(node.kind)
        ins = _inputs(rng, rule, graph, ctx, 1e-3)
        (c1, s1, h1), (c2, s2, h2) = _both(rule, ins, node.shape)
        np.testing.assert_array_equal(c1, c2)
        np.testing.assert_allclose(s1, s2, rtol=1e-8, atol=1e-15, err_msg=node.name)
        np.testing.assert_allclose(h1, h2, rtol=1e-8, atol=1e-15, err_msg=node.name)
    assert seen == set(LINEAR)


def test_slips_transforms_keep_a_spread():
    """A slip that transposes, scales or negates a linear rule keeps its spread, |T(s)|."""
    ctx = _context(("sigmoid", "softmax"))
    graph = {n.name: n for n in nodes(ctx)}
    rng = np.random.default_rng(6)
    checked = set()
    for slip in slips.SLIPS.values():
        for variant in slip.variants(ctx):
            for node in graph.values():
                factory = variant.rules.get(node.kind)
                rule = factory(ctx, node) if factory is not None else None
                if rule is None or rule.spread is None:
                    continue
                linear = node.kind in LINEAR  # else the loss after the update: small steps
                ins = _inputs(rng, rule, graph, ctx, 1e-3 if linear else 1e-7)
                (c1, s1, h1), (c2, s2, h2) = _both(rule, ins, node.shape)
                np.testing.assert_array_equal(c1, c2)
                rtol = 1e-8 if linear else 1e-4
                np.testing.assert_allclose(s1, s2, rtol=rtol, atol=1e-15)
                np.testing.assert_allclose(h1, h2, rtol=rtol, atol=1e-15)
                checked.add(node.kind)
    assert {"db", "dW", "loss_after"} <= checked  # transposed, scaled, negated


SMOOTH = [(("sigmoid", "softmax"), "cross_entropy", "mean", True),
          (("tanh", "sigmoid"), "bce", "sum", True),
          (("softplus", "identity"), "mse", "mean", False),
          (("sigmoid", "tanh", "identity"), "sse_half", "sum", True),
          (("identity", "softmax"), "cross_entropy", "sum", False)]


@pytest.mark.parametrize("acts,loss,reduction,bias", SMOOTH)
def test_loss_after_update_spread_is_its_derivative(acts, loss, reduction, bias):
    """Small steps: the finite differences are the derivative to a relative 1e-4."""
    ctx = _context(acts, loss, batch=3, bias=bias, reduction=reduction)
    graph = {n.name: n for n in nodes(ctx)}
    rule = DEFAULT["loss_after"](ctx, graph["loss'"])
    assert rule.spread is not None
    ins = _inputs(np.random.default_rng(7), rule, graph, ctx, 1e-7)
    (c1, s1, h1), (c2, s2, h2) = _both(rule, ins, ())
    np.testing.assert_array_equal(c1, c2)
    assert (s1 > 0).all() and (h1 > 0).all()
    np.testing.assert_allclose(s1, s2, rtol=1e-4)
    np.testing.assert_allclose(h1, h2, rtol=1e-4)


@pytest.mark.parametrize("acts", [("relu", "softmax"), ("sigmoid", "leaky_relu"),
                                  ("elu", "identity")])
def test_a_kink_keeps_finite_differences(acts):
    loss = "cross_entropy" if acts[-1] == "softmax" else "mse"
    ctx = _context(acts, loss)
    graph = {n.name: n for n in nodes(ctx)}
    assert DEFAULT["loss_after"](ctx, graph["loss'"]).spread is None


def test_an_infinite_slope_falls_back_to_finite_differences():
    """0·inf in a spread is nan: finite differences then leave the zero weight out."""
    ctx = _context(("sigmoid", "softmax"))
    graph = {n.name: n for n in nodes(ctx)}
    rule = DEFAULT["dW"](ctx, graph["dW2"])
    ins = _inputs(np.random.default_rng(8), rule, graph, ctx, 1e-3)
    own, unc, weight = ins[1]
    own = own.copy()
    own[0, 0, 0] = np.inf
    ins[1] = (own, unc, weight)
    ins[0] = (ins[0][0], np.zeros_like(ins[0][1]), np.zeros_like(ins[0][2]))
    with np.errstate(invalid="ignore"):  # as in a world: a person's inf is just wrong
        c, s, h = worlds.propagate(rule, ins, SHEETS, graph["dW2"].shape)
    assert not np.isnan(s[1:]).any() and not np.isnan(h[1:]).any()
