"""Seeded CNN exercises for `backprop new`: an image x, conv2d and pooling layers, flatten,
then dense layers, every number whole or with one decimal, so they can be done by hand.

--layers gives the input's map, HxW (one channel, x written (H, W)) or CxHxW, then the map
kinds up to flatten, then widths (and batchnorm, layernorm, dropout) as for any network. A
map kind may pin settings after colons (conv2d:kernels=2:size=3:stride=1:padding=1,
maxpool2d:size=2:stride=2); the others are drawn from the seed among the choices (CONV,
POOL) that give whole outputs everywhere, preferring at most CELLS convolution outputs (each
a dot product by hand) and a flatten of NARROWEST to WIDEST features.

Draw order: numpy.random.seed(S); one randint picks the geometry (the valid choices in a
fixed order); then each try draws W1, b1, W2, b2, ... where their layers come (a kind after
flatten: its numbers, as generate draws them), then x and y where they are not given. x is
whole numbers 0 to PIXELS, weights and biases tenths (KERNELS, DENSE; whole numbers everywhere
meet a 0 or a tie in most draws of small kernels: --decimals is 1 or not given). A try is
kept when it is no degenerate exercise (fair): no kinked activation (relu, ...) meets an
input of 0, no max-pool window holds its maximum twice, the output layer's a stays within
±OUTPUTS, every kernel and every weight row gets a gradient of at least SMALL in size; else
the next try draws again, up to TRIES.
"""

from __future__ import annotations

import itertools

import numpy as np

from backprop_cli.engine import network
from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.layers.windows import Geometry, padded, view
from backprop_cli.errors import ProblemError, UsageError
from backprop_cli.problem import generate

CONV = {"kernels": (1, 2), "size": (2, 3), "stride": (1, 2), "padding": (0, 1)}
POOL = {"size": (2, 3), "stride": (1, 2, 3)}  # a drawn stride is at most the size
PIXELS = 3  # x is whole numbers 0 to PIXELS
KERNELS = 10  # a kernel's weights and bias: tenths in [-1, 1]
DENSE = 5  # a dense layer's: tenths in [-0.5, 0.5] (more features than a kernel's window)
WIDEST = 18  # the flattened width preferred at most (3×3 maps from two kernels)
NARROWEST = 4  # and at least (a 2×2 map), so the dense layer has something to weigh
CELLS = 32  # the convolution outputs preferred at most (4×4 maps from two kernels)
OUTPUTS = 5  # the output layer's a at most, in size (a softmax of e^±5 by hand)
TRIES = 3000
TOL = 1e-9  # closer to 0 (or to a window's maximum) is 0 (a tie) by hand
SMALL = 1e-3  # a gradient smaller than this in size counts as none


def problem(sizes: list, activations: list[str], loss: str, seed: int, decimals: int | None,
            x, y, title: str | None, batch: int | None) -> dict:
    """A CNN exercise document (sizes as generate.problem takes them)."""
    image, maps, rest = _split(sizes)
    if decimals not in (None, 1):
        raise UsageError(f"--decimals {decimals}: a CNN exercise draws x as whole numbers "
                         "and weights and biases with one decimal (--decimals 1, the "
                         "default)")
    decimals = 1
    shape = (1, *image) if len(image) == 2 else tuple(image)
    np.random.seed(seed)
    settings = _geometry(shape, maps)
    for _ in range(TRIES):
        layers, n = _layers(shape, maps, settings, rest, activations, decimals, batch)
        drawn_x = _image(x, image, shape, batch)
        drawn_y = generate.targets(loss, n, batch, decimals) if y is None else y
        doc = generate.document(title, drawn_x, drawn_y, loss, layers, n)
        if fair(doc):
            return doc
    hints = ["other settings", "smaller maps"] + (["a smaller --batch"] if batch else []) \
        + (["another --x"] if x is not None else [])
    raise UsageError(f"--layers: no draw in {TRIES} tries gave an exercise without a kink "
                     "(0 into relu), a max-pool tie, a zero gradient or an output beyond "
                     f"±{OUTPUTS}: try {', '.join(hints[:-1])} or {hints[-1]}")


def _split(sizes: list):
    """(the input's (H, W) or (C, H, W), the map layers up to flatten as (kind, settings),
    the rest), refused when the order cannot make a CNN."""
    image = sizes[0]
    if not isinstance(image, tuple):
        raise UsageError("--layers: conv2d, maxpool2d, avgpool2d and flatten take an image: "
                         "give the input as HxW or CxHxW, like 1x5x5,conv2d,maxpool2d,"
                         "flatten,3")
    maps, rest = [], list(sizes[1:])
    while rest and generate.kind_of(rest[0]) in generate.MAPS:
        size = rest.pop(0)
        maps.append((size, ()) if isinstance(size, str) else size)
        if size == "flatten":
            break
    if not maps or maps[-1][0] != "flatten":
        found = "the end" if not rest else generate.kind_of(rest[0]) or f"a width ({rest[0]})"
        raise UsageError(f"--layers: an image goes through map layers (conv2d, maxpool2d, "
                         f"avgpool2d) and flatten before dense layers, found {found} "
                         "before flatten: like 1x5x5,conv2d,maxpool2d,flatten,3")
    late = [generate.kind_of(s) for s in rest if generate.kind_of(s) in generate.MAPS]
    if late:
        raise UsageError(f"--layers: found {late[0]} after flatten, expected widths (or "
                         "batchnorm, layernorm, dropout) after it")
    return image, maps, rest


# ------------------------------------------------------------------ geometry


def _choices(kind: str, pinned: dict) -> list[dict]:
    """Every setting of a map layer, pinned ones as given, the others from CONV or POOL."""
    if kind == "flatten":
        return [{}]
    table = CONV if kind == "conv2d" else POOL
    keys = list(table)
    out = []
    for values in itertools.product(*((pinned[k],) if k in pinned else table[k]
                                      for k in keys)):
        s = dict(zip(keys, values))
        if kind != "conv2d" and "stride" not in pinned and s["stride"] > s["size"]:
            continue
        out.append(s)
    return out


def _output(kind: str, s: dict, shape):
    """The map a layer with settings s makes of shape (C, H, W); None when its windows do
    not fit whole; flatten: (width,)."""
    C, H, W = shape
    if kind == "flatten":
        return (C * H * W,)
    p = s.get("padding", 0)
    k, stride = s["size"], s["stride"]
    sides = [n + 2 * p - k for n in (H, W)]
    if min(sides) < 0 or any(d % stride for d in sides) or (kind == "conv2d" and p >= k):
        return None
    return (s["kernels"] if kind == "conv2d" else C, *(d // stride + 1 for d in sides))


def _geometry(shape, maps) -> list[dict]:
    """Each map layer's settings, drawn (one randint) among the chains that fit."""
    chains = [((), shape, 0)]  # (settings so far, the map they make, conv outputs)
    for kind, pinned in maps:
        chains = [(chosen + (s,), out, cells + (np.prod(out) if kind == "conv2d" else 0))
                  for chosen, at, cells in chains for s in _choices(kind, dict(pinned))
                  if (out := _output(kind, s, at)) is not None]
    if not chains:
        shown = "x".join(map(str, shape))
        raise UsageError(f"--layers: no sizes, strides and paddings give whole outputs from a "
                         f"{shown} input with the settings pinned: pin fewer, or change the "
                         "input's size")
    narrow = [c for c in chains if NARROWEST <= c[1][0] <= WIDEST and c[2] <= CELLS] \
        or chains
    return list(narrow[np.random.randint(len(narrow))][0])


# ------------------------------------------------------------------ drawing


def tenths(shape, most: int):
    """Tenths in [-most/10, most/10]."""
    return np.round(np.random.randint(-most, most + 1, shape) / 10, 1).tolist()


def _layers(shape, maps, settings, rest, activations, decimals, batch):
    """The layers of one try, drawn in order, and the output's width."""
    layers, acts = [], iter(activations)
    for (kind, _), s in zip(maps, settings, strict=True):
        layer = {"kind": kind}
        if kind == "conv2d":
            k, C = s["size"], shape[0]
            layer.update(weights=tenths((s["kernels"], C, k, k), KERNELS),
                         bias=tenths((s["kernels"],), KERNELS), stride=s["stride"],
                         padding=s["padding"])
        elif kind != "flatten":
            layer.update(size=s["size"], stride=s["stride"])
        shape, activation = _output(kind, s, shape), next(acts)
        if kind == "conv2d" or activation != "identity":  # a pool's default, flatten's
            layer["activation"] = activation
        layers.append(layer)
    n, N = shape[0], batch or 1
    for size in rest:
        if isinstance(size, str):
            layers.append(generate.kind_layer(size, n, N, batch is not None, next(acts),
                                              decimals))
            continue
        layers.append({"weights": tenths((size, n), DENSE),
                       "bias": tenths((size,), DENSE), "activation": next(acts)})
        n = size
    return layers, n


def _image(x, image, shape, batch):
    """x as the file writes it: (N, C, H, W) for a batch, else (H, W) or (C, H, W) as the
    input was given; drawn as whole numbers 0 to 3 unless given (a flat list)."""
    if x is None:
        return np.random.randint(0, PIXELS + 1, (batch, *shape) if batch else image).tolist()
    return np.reshape(np.array(x, dtype=object), image).tolist()


# ------------------------------------------------------------------ fairness


def fair(doc: dict, also=None) -> bool:
    """No kink met, no max-pool tie, no (near) zero gradient, every number finite; and
    also(model, fwd) when given (a sequence exercise's own rule, rnn_exercises.py)."""
    from backprop_cli.problem import from_document

    try:
        inputs = from_document(doc, "backprop new").inputs
    except ProblemError as e:
        raise UsageError(f"backprop new: {e.place}: {e.message}") from None
    model, params = inputs.model, inputs.params
    with np.errstate(all="ignore"):
        fwd = network.forward_unguarded(model, params, inputs.x, inputs.y, None)
        if not _fair_forward(model, fwd) or also is not None and not also(model, fwd):
            return False
        grads = network.backward_unguarded(model, params, fwd, inputs.y, None)
    for name, g in grads.params.items():
        rows = np.abs(g).reshape(g.shape[0], -1) if name.startswith("W") else np.abs(g)[None]
        if not np.isfinite(rows).all() or rows.max(axis=1).min() < SMALL:
            return False
    return True


def _fair_forward(model, fwd) -> bool:
    if not all(np.isfinite(v).all() for v in (*fwd.a, fwd.loss)) \
            or np.abs(fwd.a[-1]).max() > OUTPUTS:
        return False
    for l, spec in enumerate(model.layers, 1):
        if ACTIVATIONS[spec.activation].kinked and np.abs(fwd.a[l - 1]).min() <= TOL:
            return False
        if spec.kind == "maxpool2d" and _tied(fwd.h[l - 1], spec.settings.geometry):
            return False
    return True


def _tied(rows: np.ndarray, g: Geometry) -> bool:
    """Whether a window of the map (rows (N, C·H·W)) holds its maximum twice."""
    x4 = rows.reshape(rows.shape[0], *g.inp)
    windows = view(padded(x4, g, -np.inf), g)
    top = np.sort(windows.reshape(*windows.shape[:4], -1), axis=-1)[..., -2:]
    return bool((top[..., 1] - top[..., 0] <= TOL).any())
