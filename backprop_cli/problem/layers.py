"""Validation of the layers and the targets of a problem document. Blame goes downstream:
x fixes W1's inputs, each layer's weights fix its bias and the next layer's inputs, the
output width fixes y."""

from __future__ import annotations

import math

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.model import LayerSpec
from backprop_cli.errors import counted, describe
from backprop_cli.problem import kinds
from backprop_cli.problem.checks import (
    check_keys,
    choice,
    fail,
    frozen_list,
    is_num,
    matrix,
    shape_text,
    vector,
)

LAYER_KEYS = ("kind", "weights", "bias", "activation", "slope", "alpha", "frozen", "residual")
FROZEN = ("weights", "bias")


def layer(source, i, layer, layout, inputs, why, depth, n=1, batched=False, widths=()):
    """(spec, {name: parameter}, units) of layers[i]; widths: h_0 ... h_{i}'s (residual)."""
    l = i + 1
    base = f"layers[{i}]"
    if not isinstance(layer, dict):
        fail(source, base, f"found {describe(layer)}, expected a mapping with weights, "
                            "bias, activation")
    kind = choice(source, f"{base}.kind", layer.get("kind", "dense"), kinds.KIND_NAMES,
                  "a layer kind")
    if kind != "dense":
        spec, params = kinds.kind_layer(source, i, layer, inputs, why, n, batched,
                                        lambda lay: read_activation(source, base, l, lay,
                                                                "identity"))
        return spec, params, inputs
    check_keys(source, base, layer, LAYER_KEYS)
    for key in ("weights", "activation"):
        if key not in layer:
            fail(source, f"{base}.{key}", f"missing, expected it in layer {l}")
    activation, param = read_activation(source, base, l, layer, None)
    W = matrix(source, f"{base}.weights", f" (W{l})", layer["weights"])
    if layout == "in_out":
        W = W.T
    units = W.shape[0]
    if W.shape[1] != inputs:
        found = W.shape if layout == "out_in" else W.shape[::-1]
        expected = (units, inputs) if layout == "out_in" else (inputs, units)
        hint = ""
        bias = layer.get("bias")
        # Transposed weights fit x (or the layer before), and then a bias, if any, fits them.
        if W.shape[0] == inputs and (not isinstance(bias, list) or len(bias) == W.shape[1]):
            other = "in_out" if layout == "out_in" else "out_in"
            hint = f"; the weights look transposed: use layout: {other}"
            expected = (W.shape[1], inputs) if layout == "out_in" else (inputs, W.shape[1])
        fail(source, f"{base}.weights (W{l})",
              f"shape {shape_text(found)}, expected {shape_text(expected)}: {why}{hint}")
    b = None
    if "bias" in layer:
        b = vector(source, f"{base}.bias", f" (b{l})", layer["bias"])
        if b.shape != (units,):
            fail(source, f"{base}.bias (b{l})",
                 f"shape {shape_text(b.shape)}, expected {shape_text((units,))}: "
                 f"layer {l} has {counted(units, 'unit')}")
    frozen = read_frozen(source, base, l, layer, b is not None)
    skip = kinds.residual(source, i, layer["residual"], list(widths), units) \
        if "residual" in layer else None
    spec = LayerSpec(activation, param, b is not None, frozen, residual=skip)
    params = {f"W{l}": np.ascontiguousarray(W)}
    if b is not None:
        params[f"b{l}"] = b
    return spec, params, units


def read_frozen(source, base, l, layer, bias: bool) -> frozenset:
    """`frozen` of a layer with weights (dense, conv2d): weights and/or bias, or one word."""
    return frozen_list(source, base, layer, FROZEN, "weights and/or bias",
                       lambda item: f"found bias, expected weights only: layer {l} has no "
                                    "bias" if item == "bias" and not bias else None)


def read_activation(source, base, l, layer, default):
    """(activation, its slope/alpha or None) of a layer: `activation` (default: `default`,
    None where it is required) and the key of its parameter."""
    activation = choice(source, f"{base}.activation (h{l})", layer.get("activation", default),
                        tuple(ACTIVATIONS), "an activation")
    param = None
    for key in ("slope", "alpha"):
        if key in layer:
            if ACTIVATIONS[activation].param != key:
                fail(source, f"{base}.{key}", f"found {key} on a {activation} layer, expected "
                                               f"it only with "
                                               + ("leaky_relu" if key == "slope" else "elu"))
            value = layer[key]
            if not is_num(value) or not math.isfinite(value):
                fail(source, f"{base}.{key}", f"found {describe(value)}, expected a number")
            param = float(value)
    return activation, param


def _is_index(v) -> bool:
    return type(v) is int


def targets(source, raw, loss, n, batched, k, why) -> np.ndarray:
    """(n, k) float targets; class indices become one-hot rows."""
    ce = loss == "cross_entropy"
    if not batched and not isinstance(raw, list) and not _is_index(raw):
        target = f"a target vector of {counted(k, 'number')}"
        expected = f"a class index 0..{k - 1} or {target}" if ce else target
        fail(source, "y", f"found {describe(raw)}, expected {expected}: {why}")
    flat = isinstance(raw, list) and bool(raw) and not isinstance(raw[0], list)
    if batched and flat and not ce and not all(map(_is_index, raw)):
        fail(source, "y", f"found a list of {counted(len(raw), 'number')}, expected "
                           f"{counted(n, 'target row')} of {counted(k, 'number')}: x is a "
                           f"batch of {n} (a list of rows), so y is too")
    if not batched and isinstance(raw, list) and raw and isinstance(raw[0], list):
        fail(source, "y", f"found a list of rows, expected one target vector of "
                           f"{counted(k, 'number')}: x is one sample (a batch writes x as a "
                           "list of rows too)")
    indices = (not batched and not isinstance(raw, list)) or (batched and flat)
    if indices:
        idx = raw if batched else [raw]
        if not ce:
            fail(source, "y", f"found class indices, expected target vectors of "
                               f"{counted(k, 'number')}: class indices need loss "
                               "cross_entropy")
        if batched and len(idx) != n:
            hint = ""
            if k > 2 and len(idx) == k and all(map(_is_index, idx)) \
                    and sorted(idx) == [0] * (k - 1) + [1]:
                hint = ("; this looks like one one-hot vector: a batch needs one per sample, "
                        "as a list of rows")
            fail(source, "y", f"{counted(len(idx), 'class index', 'class indices')}, "
                               f"expected {n}: x has {counted(n, 'sample')}" + hint)
        for j, c in enumerate(idx):
            where = f"y[{j}]" if batched else "y"
            if not _is_index(c) or not 0 <= c < k:
                fail(source, where, f"found {describe(c)}, expected a class index, an integer "
                                     f"0..{k - 1}: {why}")
        y = np.zeros((n, k))
        y[np.arange(n), idx] = 1.0
        return y
    if batched:
        y = matrix(source, "y", "", raw)
        if y.shape[0] != n:
            fail(source, "y", f"{counted(y.shape[0], 'row')}, expected {n}: x has "
                               f"{counted(n, 'sample')}")
    else:
        y = vector(source, "y", "", raw)[None, :]
    if y.shape[1] != k:
        found = y.shape if batched else y.shape[1:]
        expected = (n, k) if batched else (k,)
        hint = ""
        rows = raw if batched else [raw]
        if ce and y.shape[1] == 1 and all(_is_index(r[0]) and 0 <= r[0] < k for r in rows):
            written = [r[0] for r in rows] if batched else rows[0][0]
            hint = f"; for class indices write y: {written}"
        fail(source, "y",
             f"shape {shape_text(found)}, expected {shape_text(expected)}: {why}{hint}")
    if loss == "bce" and ((y < 0) | (y > 1)).any():
        fail(source, "y", "found a target outside [0, 1], expected probabilities for bce")
    return y


