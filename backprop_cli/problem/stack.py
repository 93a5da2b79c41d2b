"""The walk from x through the layers: each layer validated against what the one before
it gives (rows of n features, or feature maps C×H×W), by the dense and kinds checks
(layers.py, kinds.py) or the feature-map ones (maps.py). Blame goes downstream, so each
layer's `why` names what fixed its input."""

from __future__ import annotations

from backprop_cli.engine.layers import MAPS
from backprop_cli.errors import counted
from backprop_cli.problem import layers as layer_checks
from backprop_cli.problem import maps
from backprop_cli.problem.checks import fail, matrix, vector


def kind_of(layer):
    return layer.get("kind", "dense") if isinstance(layer, dict) else None


def size_text(shape) -> str:
    return "×".join(map(str, shape))


def maps_text(shape) -> str:
    C, H, W = shape
    return f"{counted(C, 'map')} of {H}×{W}"


def inputs(source, raw_x, layers: list, channels: str):
    """(x rows, batched, x's map (C, H, W) or None, how one sample is written, why): x is
    feature maps when the first layer takes them."""
    if kind_of(layers[0]) in MAPS:
        x, batched, shape, sample_rank = maps.image(source, raw_x, channels)
        return x, batched, shape, sample_rank, f"x has {maps_text(shape)}"
    batched = isinstance(raw_x, list) and bool(raw_x) and isinstance(raw_x[0], list)
    x = matrix(source, "x", "", raw_x) if batched else vector(source, "x", "", raw_x)[None, :]
    return x, batched, None, None, f"x has {counted(x.shape[1], 'feature')}"


def layers(source, raw: list, layout: str, channels: str, x, batched: bool, shape, why):
    """(specs, parameters, the output's map or None, its width, why) of every layer."""
    specs, params = [], {}
    inputs = x.shape[1]
    widths = [inputs]  # h_0 = x, h_1, ...: what a residual may add
    for i, layer in enumerate(raw):
        kind, l = kind_of(layer), i + 1
        if kind in MAPS:
            if shape is None:
                fail(source, f"layers[{i}].kind", f"found {kind}, expected a kind that takes "
                                                  f"rows: {why}, not feature maps")
            spec, found, shape, inputs = maps.map_layer(
                source, i, layer, shape, channels,
                lambda lay, i=i: layer_checks.read_activation(source, f"layers[{i}]", i + 1,
                                                              lay, "identity"))
            why = f"layer {l} ({kind}) gives " + (maps_text(shape) if shape is not None else
                                                  f"{counted(inputs, 'feature')} "
                                                  f"({size_text(spec.settings.inp)})")
        else:
            if shape is not None:
                fail(source, f"layers[{i}]", f"found a {kind} layer, expected flatten first: "
                                             f"{why}")
            spec, found, inputs = layer_checks.layer(source, i, layer, layout, inputs, why,
                                                     len(raw), x.shape[0], batched, widths)
            why = f"layer {l} has {counted(inputs, 'unit')}"
        specs.append(spec)
        params.update(found)
        widths.append(inputs)
    return specs, params, shape, inputs, why
