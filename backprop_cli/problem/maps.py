"""Validation of the feature-map layers (conv2d, maxpool2d, avgpool2d, flatten), of an
image x and of a map-shaped y (`loss: upstream` after a map layer). The engine holds a
sample's map (C, H, W) as a row in that order; `channels: last` files write maps
(H, W, C) and convolution weights (kH, kW, C_in, C_out), and are turned here."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers.conv2d import ConvSpec
from backprop_cli.engine.layers.flatten import FlattenSpec
from backprop_cli.engine.layers.pooling import PoolSpec
from backprop_cli.engine.layers.windows import Geometry
from backprop_cli.engine.model import LayerSpec
from backprop_cli.errors import counted, describe
from backprop_cli.problem.checks import check_keys, choice, fail, is_num, shape_text, vector
from backprop_cli.problem.layers import read_frozen

COMMON = ("kind", "activation", "slope", "alpha")
KEYS = {
    "conv2d": COMMON + ("weights", "bias", "stride", "padding", "flip", "remainder",
                        "frozen"),
    "maxpool2d": COMMON + ("size", "stride", "padding", "remainder"),
    "avgpool2d": COMMON + ("size", "stride", "padding", "remainder"),
    "flatten": COMMON,
}
CHANNELS = ("first", "last")


def array(source, key, label, value, rank: int) -> np.ndarray:
    """A rank-`rank` array of numbers written as nested lists, rectangular; an error names
    the first place that is not (key[i][j]...)."""
    def walk(v, depth, at):
        if depth == rank:
            if not is_num(v):
                fail(source, f"{key}{at}{label}", f"found {describe(v)}, expected a number")
            return ()
        if not isinstance(v, list) or not v:
            fail(source, f"{key}{at}{label}", f"found {describe(v)}, expected a non-empty "
                                               f"list (an array of rank {rank})")
        first = walk(v[0], depth + 1, f"{at}[0]")
        for i, item in enumerate(v[1:], 1):
            shape = walk(item, depth + 1, f"{at}[{i}]")
            if shape != first:
                fail(source, f"{key}{at}[{i}]{label}", f"shape {shape_text(shape)}, expected "
                                                        f"{shape_text(first)} like "
                                                        f"{key}{at}[0]")
        return (len(v), *first)

    walk(value, 0, "")
    arr = np.array(value, dtype=np.float64)
    bad = np.argwhere(~np.isfinite(arr))
    if bad.size:
        fail(source, key + "".join(f"[{i}]" for i in bad[0]) + label,
             f"found {arr[tuple(bad[0])]}, expected a finite number")
    return arr


def rank_of(value) -> int:
    r = 0
    while isinstance(value, list) and value:
        value, r = value[0], r + 1
    return r


def kernel_in_file(value, channels: str):
    """A convolution's kernels (or their shape) (C_out, C_in, kH, kW) as the file writes
    them: (kH, kW, C_in, C_out) with channels last."""
    if channels == "first":
        return value
    if isinstance(value, np.ndarray):
        return value.transpose(2, 3, 1, 0)
    return tuple(value[i] for i in (2, 3, 1, 0))


def to_first(arr: np.ndarray, channels: str) -> np.ndarray:
    """A map batch (N, ·, ·, ·) in the file's channel order -> (N, C, H, W)."""
    return arr if channels == "first" else arr.transpose(0, 3, 1, 2)


def image(source, raw, channels: str):
    """x written as maps: (flat rows (N, C·H·W), batched, (C, H, W), how one sample is
    written: its rank, 3 or 2)."""
    rank = rank_of(raw)
    if rank not in (2, 3, 4):
        fail(source, "x", f"found {describe(raw) if rank == 0 else f'an array of rank {rank}'}"
                          ", expected feature maps: (N, C, H, W) for a batch, (C, H, W) or "
                          "(H, W) for one sample" + _last_note(channels))
    arr = array(source, "x", "", raw, rank)
    if rank == 2:
        arr = arr[None, :, :, None] if channels == "last" else arr[None, None]
    elif rank == 3:
        arr = arr[None]
    x4 = np.ascontiguousarray(to_first(arr, channels))
    return x4.reshape(x4.shape[0], -1), rank == 4, tuple(x4.shape[1:]), 2 if rank == 2 else 3


def _last_note(channels):
    return " (channels: last: (N, H, W, C), (H, W, C) or (H, W))" if channels == "last" else ""


def _h(k: int) -> str:
    return "x" if k == 0 else f"h{k}"


def _pair(source, place, raw, default, low, what) -> tuple[int, int]:
    """An int or [int, int] (rows, columns), each at least low."""
    raw = default if raw is None else raw
    pair = raw if isinstance(raw, list) else [raw, raw]
    if len(pair) != 2 or not all(type(v) is int and v >= low for v in pair):
        fail(source, place, f"found {describe(raw)}, expected {what}: an integer of at least "
                            f"{low}, or [rows, columns]")
    return pair[0], pair[1]


def _geometry(source, base, l, layer, shape, kernel, stride, padding, label) -> Geometry:
    """The windows over input `shape`, refused when a kernel outgrows the padded input or,
    unless the layer says `remainder: drop` (torch's floor), when they do not fit it
    exactly."""
    C, H, W = shape
    (kH, kW), (sH, sW), (pH, pW) = kernel, stride, padding
    Hp, Wp = H + 2 * pH, W + 2 * pW
    pad = f" padded by {pH}×{pW} ({Hp}×{Wp})" if pH or pW else ""
    if kH > Hp or kW > Wp:
        fail(source, f"{base}.{label}", f"a {kH}×{kW} window, expected one that fits the "
                                        f"input: {_h(l - 1)} is {H}×{W}{pad}")
    drop = choice(source, f"{base}.remainder", layer.get("remainder", "error"),
                  ("error", "drop"), "what to do with rows or columns no window reaches")
    for name, n, k, s, p in (("H", H, kH, sH, pH), ("W", W, kW, sW, pW)):
        if (n + 2 * p - k) % s and drop == "error":
            fail(source, f"{base}.stride", f"({name} + 2p − k)/s + 1 = ({n} + {2 * p} − {k})"
                                           f"/{s} + 1 = {(n + 2 * p - k) / s + 1:g} output "
                                           f"{'rows' if name == 'H' else 'columns'}, "
                                           "expected a whole number: change the stride, the "
                                           "padding or the size, or write remainder: drop to "
                                           "leave the last ones out as torch does")
    return Geometry(shape, kernel, stride, padding)


def map_layer(source, i: int, layer: dict, shape, channels: str, activation_and_param):
    """(spec, parameters, output map (C, H, W) or None for flatten, units) of layers[i],
    a map kind whose input is the map `shape` (C, H, W)."""
    l, base, kind = i + 1, f"layers[{i}]", layer["kind"]
    check_keys(source, base, layer, KEYS[kind])
    activation, param = activation_and_param(layer)
    if kind == "flatten":
        spec = FlattenSpec(tuple(shape), channels)
        return LayerSpec(activation, param, False, frozenset(), kind, spec), {}, None, \
            spec.units
    if kind == "conv2d":
        return _conv(source, i, layer, shape, channels, activation, param)
    if "size" not in layer:
        fail(source, f"{base}.size", "missing, expected the pool's window: an integer or "
                                     "[rows, columns]")
    size = _pair(source, f"{base}.size", layer["size"], None, 1, "a window size")
    stride = _pair(source, f"{base}.stride", layer.get("stride"), list(size), 1, "a stride")
    padding = _pair(source, f"{base}.padding", layer.get("padding"), 0, 0, "a padding")
    if padding[0] * 2 > size[0] or padding[1] * 2 > size[1]:
        fail(source, f"{base}.padding", f"found {describe(layer['padding'])}, expected at "
                                        f"most half the window ({size[0]}×{size[1]}), as "
                                        "torch requires")
    spec = PoolSpec(_geometry(source, base, l, layer, tuple(shape), size, stride, padding,
                              "size"))
    return LayerSpec(activation, param, False, frozenset(), kind, spec), {}, spec.out, \
        spec.units


def _conv(source, i, layer, shape, channels, activation, param):
    l, base = i + 1, f"layers[{i}]"
    if "weights" not in layer:
        fail(source, f"{base}.weights", f"missing, expected the kernels (W{l})")
    order = "(C_out, C_in, kH, kW)" if channels == "first" else "(kH, kW, C_in, C_out)"
    if rank_of(layer["weights"]) != 4:
        fail(source, f"{base}.weights (W{l})", f"found {describe(layer['weights'])}, "
                                               f"expected an array of rank 4: {order}")
    W = array(source, f"{base}.weights", f" (W{l})", layer["weights"], 4)
    if channels == "last":
        W = W.transpose(3, 2, 0, 1)
    W = np.ascontiguousarray(W)
    C_out, C_in = W.shape[:2]
    if C_in != shape[0]:
        found = W.shape if channels == "first" else (W.shape[2], W.shape[3], C_in, C_out)
        fail(source, f"{base}.weights (W{l})", f"shape {shape_text(found)}, expected C_in = "
                                               f"{shape[0]} in {order}: {_h(l - 1)} has "
                                               f"{counted(shape[0], 'channel')}")
    stride = _pair(source, f"{base}.stride", layer.get("stride"), 1, 1, "a stride")
    padding = _pair(source, f"{base}.padding", layer.get("padding"), 0, 0, "a padding")
    flip = layer.get("flip", False)
    if not isinstance(flip, bool):
        fail(source, f"{base}.flip", f"found {describe(flip)}, expected true (a true "
                                     "convolution: the kernel turned 180°) or false (torch's "
                                     "cross-correlation)")
    g = _geometry(source, base, l, layer, tuple(shape), W.shape[2:], stride, padding,
                  f"weights (W{l})")
    params = {f"W{l}": W}
    if "bias" in layer:
        b = vector(source, f"{base}.bias", f" (b{l})", layer["bias"])
        if b.shape != (C_out,):
            fail(source, f"{base}.bias (b{l})", f"shape {shape_text(b.shape)}, expected "
                                                f"{shape_text((C_out,))}: layer {l} has "
                                                f"{counted(C_out, 'output channel')}")
        params[f"b{l}"] = b
    frozen = read_frozen(source, base, l, layer, "bias" in layer)
    spec = ConvSpec(g, C_out, flip, "bias" in layer)
    return LayerSpec(activation, param, "bias" in layer, frozen, "conv2d", spec), params, \
        spec.out, spec.units


def map_targets(source, raw, shape, n: int, batched: bool, channels: str) -> np.ndarray:
    """`loss: upstream` after a map layer: y = ∂L/∂ŷ, the output map's shape, in rows."""
    C, H, W = shape
    one = (C, H, W) if channels == "first" else (H, W, C)
    want = (n, *one) if batched else one
    rank = rank_of(raw)
    if rank != len(want):
        fail(source, "y", f"found {describe(raw) if rank == 0 else f'an array of rank {rank}'}"
                          f", expected ∂L/∂ŷ of shape {shape_text(want)}: the output is "
                          f"{counted(C, 'channel')} of {H}×{W}")
    arr = array(source, "y", "", raw, rank)
    if arr.shape != want:
        fail(source, "y", f"shape {shape_text(arr.shape)}, expected {shape_text(want)}: the "
                          f"output is {counted(C, 'channel')} of {H}×{W}")
    arr = arr if batched else arr[None]
    return np.ascontiguousarray(to_first(arr, channels)).reshape(n, -1)


def written(problem, rows: np.ndarray, l: int) -> np.ndarray:
    """Rows (N, C·H·W) of h_l's feature maps (l = 0: x) as the file writes maps: (N, C, H,
    W), or (N, H, W, C) with channels last; one sample without N; x written (H, W) as
    (H, W)."""
    arr = rows.reshape(rows.shape[0], *problem.model.map_of(l))
    if problem.channels == "last":
        arr = arr.transpose(0, 2, 3, 1)
    if l == 0 and problem.sample_rank == 2:
        arr = arr.reshape(arr.shape[0], *problem.model.map_of(0)[1:])
    return arr if problem.batched else arr[0]
