"""Validation of the layers that are not dense (batch norm, layer norm, dropout), of a
dense layer's `residual` and of the `l2` section. A kind keeps its input's width, so x
(or the layer before) fixes gamma's, beta's, the running statistics' and the mask's
shapes; every convention is a key with torch's default (docs/layers.md)."""

from __future__ import annotations

import math

import numpy as np

from backprop_cli.engine.layers import KINDS
from backprop_cli.engine.layers.batchnorm import BatchNormSpec
from backprop_cli.engine.layers.dropout import DropoutSpec
from backprop_cli.engine.layers.layernorm import LayerNormSpec
from backprop_cli.engine.model import LayerSpec, Penalty
from backprop_cli.engine.penalty import DEFAULT as DEFAULT_FORM
from backprop_cli.engine.penalty import FORMS
from backprop_cli.errors import counted, describe
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

KIND_NAMES = ("dense", *KINDS)  # what `kind:` may say
COMMON = ("kind", "activation", "slope", "alpha")
KEYS = {
    "batchnorm": COMMON + ("gamma", "beta", "eps", "momentum", "running_mean", "running_var",
                           "mode", "variance", "frozen"),
    "layernorm": COMMON + ("gamma", "beta", "eps", "frozen"),
    "dropout": COMMON + ("mask", "p", "keep", "scale", "mode"),
}


def number(source, place, value, low=-math.inf, high=math.inf, low_open=False,
           high_open=False, expected="a number") -> float:
    """A finite number within [low, high] (or the open ends asked for)."""
    ok = is_num(value) and math.isfinite(value) and \
        (value > low if low_open else value >= low) and \
        (value < high if high_open else value <= high)
    if not ok:
        fail(source, place, f"found {describe(value)}, expected {expected}")
    return float(value)


def kind_layer(source, i: int, layer: dict, inputs: int, why: str, n: int, batched: bool,
               activation_and_param) -> tuple[LayerSpec, dict]:
    """(spec, parameters) of layers[i], a batch norm, layer norm or dropout layer whose
    input has `inputs` features and n samples. activation_and_param(layer) reads the
    activation keys as a dense layer does (default identity)."""
    l, base = i + 1, f"layers[{i}]"
    kind = layer["kind"]
    check_keys(source, base, layer, KEYS[kind])
    activation, param = activation_and_param(layer)
    where = f"{base}.{{}}"
    if kind == "dropout":
        return LayerSpec(activation, param, False, frozenset(), kind,
                         _dropout(source, base, layer, inputs, n, batched, why)), {}
    gamma, beta = (_per_feature(source, where.format(k), f" ({k}{l})", layer[k], inputs, why)
                   if k in layer else None for k in ("gamma", "beta"))
    if (gamma is None) != (beta is None):
        given, missing = ("gamma", "beta") if beta is None else ("beta", "gamma")
        fail(source, where.format(given), f"found {given} without {missing}, expected both "
                                          "(learnable, torch's affine=True) or neither "
                                          "(gamma 1 and beta 0, frozen)")
    affine = gamma is not None
    frozen = _frozen(source, base, layer, affine)
    eps = number(source, where.format("eps"), layer.get("eps", 1e-5), 0.0, low_open=True,
                 expected="a number above 0 (inside the square root)")
    params = {f"gamma{l}": gamma, f"beta{l}": beta} if affine else {}
    if kind == "layernorm":
        return LayerSpec(activation, param, False, frozen, kind,
                         LayerNormSpec(eps, affine)), params
    settings = _batchnorm(source, where, layer, inputs, n, why, eps, affine)
    return LayerSpec(activation, param, False, frozen, kind, settings), params


def _batchnorm(source, where, layer, inputs, n, why, eps, affine) -> BatchNormSpec:
    momentum = number(source, where.format("momentum"), layer.get("momentum", 0.1), 0.0, 1.0,
                      expected="a number from 0 to 1 (the new batch's weight, torch's)")
    mode = choice(source, where.format("mode"), layer.get("mode", "train"), ("train", "eval"),
                  "a mode")
    variance = choice(source, where.format("variance"), layer.get("variance", "biased"),
                      ("biased", "unbiased"), "a variance")
    mean = _per_feature(source, where.format("running_mean"), "", layer["running_mean"],
                        inputs, why) if "running_mean" in layer else np.zeros(inputs)
    var = _per_feature(source, where.format("running_var"), "", layer["running_var"],
                       inputs, why) if "running_var" in layer else np.ones(inputs)
    if (var <= 0).any():
        j = int(np.argmax(var <= 0))
        fail(source, where.format(f"running_var[{j}]"), f"found {describe(layer['running_var'][j])}"
                                                        ", expected a variance above 0")
    if mode == "train" and n < 2:
        default = "" if "mode" in layer else " (the default)"
        fail(source, where.format("mode"), f"found train{default} with x of "
                                           f"{counted(n, 'sample')}, "
                                           "expected mode: eval or a batch of 2 or more: batch "
                                           "norm's statistics in train mode come from the "
                                           "batch (torch's rule)")
    return BatchNormSpec(eps, momentum, mode, variance, affine, mean, var)


def _dropout(source, base, layer, inputs, n, batched, why) -> DropoutSpec:
    where = f"{base}.{{}}"
    if "p" in layer and "keep" in layer:
        fail(source, where.format("keep"), "found both p and keep, expected one: p drops a "
                                           "unit (torch), keep = 1 - p keeps it")
    if "keep" in layer:
        keep = number(source, where.format("keep"), layer["keep"], 0.0, 1.0, low_open=True,
                      expected="a probability of keeping a unit, above 0 and at most 1")
    else:
        keep = 1.0 - number(source, where.format("p"), layer.get("p", 0.5), 0.0, 1.0,
                            high_open=True, expected="a probability of dropping a unit, "
                                                     "from 0 up to (not including) 1")
    mode = choice(source, where.format("mode"), layer.get("mode", "train"), ("train", "eval"),
                  "a mode")
    scale = choice(source, where.format("scale"), layer.get("scale", "inverted"),
                   ("inverted", "none"), "a scale")
    if "mask" not in layer:
        if mode == "eval":  # the identity: no mask is drawn (torch's eval mode)
            return DropoutSpec(np.ones((n, inputs)), keep, scale, mode)
        fail(source, where.format("mask"), "missing, expected the mask of 0s and 1s, one row "
                                           "per sample (the shape of the layer's input), or "
                                           "mode: eval")
    raw = layer["mask"]
    if not batched and isinstance(raw, list) and raw and isinstance(raw[0], list):
        fail(source, where.format("mask"), f"found a list of rows, expected one mask of "
                                           f"{counted(inputs, 'number')}: x is one sample (a "
                                           "batch writes x as a list of rows too)")
    mask = matrix(source, where.format("mask"), "", raw) if batched else \
        vector(source, where.format("mask"), "", raw)[None, :]
    if mask.shape != (n, inputs):
        found = mask.shape if batched else mask.shape[1:]
        expected = (n, inputs) if batched else (inputs,)
        fail(source, where.format("mask"), f"shape {shape_text(found)}, expected "
                                           f"{shape_text(expected)}: the layer's input has "
                                           f"{counted(n, 'sample')}; {why}")
    if not np.isin(mask, (0.0, 1.0)).all():
        i, j = np.argwhere(~np.isin(mask, (0.0, 1.0)))[0]
        place, bad = (f"mask[{i}][{j}]", raw[i][j]) if batched else (f"mask[{j}]", raw[j])
        fail(source, where.format(place), f"found {describe(bad)}, expected 0 (dropped) or 1 "
                                          "(kept)")
    return DropoutSpec(mask, keep, scale, mode)


def _per_feature(source, place, label, raw, inputs, why) -> np.ndarray:
    v = vector(source, place, label, raw)
    if v.shape != (inputs,):
        fail(source, place + label, f"shape {shape_text(v.shape)}, expected "
                                    f"{shape_text((inputs,))}: {why}")
    return v


def _frozen(source, base, layer, affine) -> frozenset:
    return frozen_list(source, base, layer, ("gamma", "beta"), "gamma and/or beta",
                       lambda item: None if affine else
                       f"found {item}, expected no frozen: without gamma and beta the layer "
                       "has nothing to learn")


def residual(source, i: int, raw, widths: list, units: int) -> int:
    """The k of `residual: k` on layers[i]: h_k (x for 0) is added to a_{i+1}, so it must
    come before the layer and have its width."""
    l, place = i + 1, f"layers[{i}].residual"
    if type(raw) is not int or not 0 <= raw < l:
        fail(source, place, f"found {describe(raw)}, expected a layer before this one: 1.."
                            f"{l - 1}, or 0 for x" if l > 1 else
                            f"found {describe(raw)}, expected 0 (x): layer 1 has only x "
                            "before it")
    if widths[raw] != units:
        fail(source, place, f"{'x' if raw == 0 else f'h{raw}'} has "
                            f"{counted(widths[raw], 'feature')}, expected {units}: a{l} has "
                            f"{counted(units, 'unit')} and gets it added")
    return raw


def l2(source, raw) -> Penalty:
    """The `l2:` section: {lambda: λ ≥ 0, form: lambda/2 (default) | lambda/2m | ...}."""
    if not isinstance(raw, dict):
        fail(source, "l2", f"found {describe(raw)}, expected a mapping with lambda and form")
    check_keys(source, "l2", raw, ("lambda", "form"))
    if "lambda" not in raw:
        fail(source, "l2.lambda", "missing, expected the penalty's λ")
    lam = number(source, "l2.lambda", raw["lambda"], 0.0, expected="a number, 0 or more")
    form = choice(source, "l2.form", raw.get("form", DEFAULT_FORM), tuple(FORMS), "a form")
    return Penalty(form, lam)

