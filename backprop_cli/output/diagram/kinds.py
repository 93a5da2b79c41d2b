"""What the block of each layer kind says in a network diagram: one entry per kind, keyed
as a problem file spells it (`kind: batchnorm`). A block stands between the columns of a
kind's input h_{l-1} and its output h_l (same width, unit to unit); the numbers under
its units come from the kind's cache (engine/layers/) for the first sample. The map
kinds' blocks (conv2d, the pools, flatten) stand between feature maps drawn as stacks of
channels (maps.py draws their windows); they say their settings only."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_cli.output.fmt import fixed as number

SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def sub(l: int) -> str:
    """A layer number as subscript digits: 12 -> ₁₂."""
    return str(l).translate(SUBSCRIPTS)


@dataclass(frozen=True)
class Look:
    """A kind's block: its short name (with the layer's number as a subscript), the lines
    of its settings under the name, the lines its numbers add to the block (per-sample
    statistics) and under each unit (per-unit ones), and its colour."""

    short: str
    settings: Callable  # (settings, l) -> lines
    block: Callable  # (cache, decimals) -> lines with --values
    # (symbol, (cache, params, l, settings) -> (n,), or None: nothing to write)
    units: tuple[tuple[str, Callable], ...]
    fill: str


def _affine(spec, l: int) -> str:
    return f"γ{sub(l)}, β{sub(l)}" if spec.affine else "no γ, β"


def _batchnorm(spec, l: int) -> tuple[str, ...]:
    stats = (f"batch μ, σ² (÷ {'N' if spec.variance == 'biased' else 'N − 1'})"
             if spec.mode == "train" else "eval: running μ, σ²")
    return (_affine(spec, l), f"ε = {spec.eps:g}", stats)


def _layernorm(spec, l: int) -> tuple[str, ...]:
    return (_affine(spec, l), f"ε = {spec.eps:g}", "per sample μ, σ²")


def _dropout(spec, l: int) -> tuple[str, ...]:
    if spec.mode == "eval":
        return (f"p = {1 - spec.keep:g}", "eval: identity")
    scale = f"× 1/keep = {1 / spec.keep:g}" if spec.scale == "inverted" else "no scaling"
    return (f"p = {1 - spec.keep:g}", scale, "mask given")


def shape_text(shape) -> str:
    """A map's shape as the diagram writes it: 6×24×24 (C×H×W)."""
    return "×".join(map(str, shape))


def _pair(name: str, pair) -> str:
    """stride 1, or stride (2, 1) when the rows' and the columns' differ."""
    return f"{name} {pair[0]}" if pair[0] == pair[1] else f"{name} ({pair[0]}, {pair[1]})"


def _window(g) -> tuple[str, str]:
    return _pair("stride", g.stride), _pair("padding", g.padding)


def _conv(spec, l: int) -> tuple[str, ...]:
    """Channels in and out, the kernel, stride and padding, flip, the parameters."""
    g = spec.geometry
    return (f"{g.inp[0]} → {spec.out_channels} channels", f"kernel {shape_text(g.kernel)}",
            *_window(g), "flip (true conv.)" if spec.flip else "no flip",
            f"W{sub(l)}, b{sub(l)}" if spec.bias else f"W{sub(l)}, no bias")


def _pool(average: bool):
    """A pool's size, stride and padding (average pooling divides by the whole window)."""

    def lines(spec, l: int) -> tuple[str, ...]:
        g = spec.geometry
        pad = ("÷ whole window",) if average and any(g.padding) else ()
        return (f"size {shape_text(g.kernel)}", *_window(g), "per channel", *pad)

    return lines


def _flatten(spec, l: int) -> tuple[str, ...]:
    order = "(C, H, W)" if spec.order == "first" else "(H, W, C)"
    return (f"{shape_text(spec.inp)} → {spec.units}", f"{order} order")


def _owned(spec, l: int) -> str:
    """A sequence layer's parameters as the JSON names them (Wx1, Wh1, b1): the unrolled
    picture's subscripts count steps (x₁, h₂), not layers."""
    return ", ".join(f"{p}{l}" for p in spec.owned)


def _recurrent(spec, l: int) -> tuple[str, ...]:
    """A recurrent layer's width, its nonlinearity or gates (and a GRU's form), which
    steps the next layer sees, its parameters (the same at every step)."""
    how = (spec.nonlinearity,) if spec.cell == "rnn" else \
        (f"gates {spec.gates}",) + ((f"form {spec.form}",) if spec.cell == "gru" else ())
    seen = "output every step" if spec.output == "all" else "output last step"
    return (f"H = {spec.hidden}", *how, seen, f"{_owned(spec, l)} at every step")


def _embedding(spec, l: int) -> tuple[str, ...]:
    return (f"E{l}: {spec.vocabulary}×{spec.width}", "a row per token")


def _nothing(cache, decimals: int) -> tuple[str, ...]:
    return ()


def _sample_statistics(cache, decimals: int) -> tuple[str, ...]:
    """Layer norm's μ and σ² of the first sample: one number a sample, not a unit."""
    return (f"μ = {number(cache['mean'][0], decimals)}",
            f"σ² = {number(cache['var'][0], decimals)}")


def _parameter(name: str):
    """gamma{l} or beta{l}; None without them (affine=False)."""
    return lambda cache, params, l, spec: params.get(f"{name}{l}")


def _first(name: str):
    """A cache entry's first sample (N, n), or a per-feature one (n,) as it is."""
    return lambda cache, params, l, spec: cache[name][0] if np.ndim(cache[name]) == 2 \
        else cache[name]


def _mask(cache, params, l, spec):
    """The first sample's mask, while training (eval mode has none)."""
    return cache["mask"][0] if spec.mode == "train" else None


GAMMA_BETA = (("γ", _parameter("gamma")), ("β", _parameter("beta")))

LOOKS = {
    "batchnorm": Look("BN", _batchnorm, _nothing,
                      (("μ", _first("mean")), ("σ²", _first("var")), ("x̂", _first("xhat")),
                       *GAMMA_BETA), "#fff2cc"),
    "layernorm": Look("LN", _layernorm, _sample_statistics,
                      (("x̂", _first("xhat")), *GAMMA_BETA), "#ece4f7"),
    "dropout": Look("dropout", _dropout, _nothing, (("mask", _mask),), "#eeeeee"),
    "conv2d": Look("conv", _conv, _nothing, (), "#dfe7fd"),
    "maxpool2d": Look("max pool", _pool(False), _nothing, (), "#dcf0f0"),
    "avgpool2d": Look("avg pool", _pool(True), _nothing, (), "#dcf0f0"),
    "flatten": Look("flatten", _flatten, _nothing, (), "#f0f0f0"),
    # a sequence is drawn unrolled (sequences.py): these name the rows of its steps
    "embedding": Look("embedding", _embedding, _nothing, (), "#f3e6f7"),
    "rnn": Look("RNN", _recurrent, _nothing, (), "#e3edf9"),
    "lstm": Look("LSTM", _recurrent, _nothing, (), "#e3edf9"),
    "gru": Look("GRU", _recurrent, _nothing, (), "#e3edf9"),
}


def block_lines(spec, l: int, cache=None, decimals: int = 4) -> tuple[str, ...]:
    """The block's text: its name, its settings, and with a cache its statistics."""
    look = LOOKS[spec.kind]
    lines = (f"{look.short}{sub(l)}", *look.settings(spec.settings, l))
    return lines + (look.block(cache, decimals) if cache is not None else ())


def unit_notes(spec, l: int, j: int, cache, params: dict, decimals: int) -> list[str]:
    """The lines the kind writes under unit j of its layer l (first sample): a mask as
    0 or 1, every other number as the diagram writes numbers."""
    lines = []
    for symbol, value in LOOKS[spec.kind].units:
        v = value(cache, params, l, spec.settings)
        if v is None:
            continue
        text = f"{int(v[j])}" if symbol == "mask" else number(v[j], decimals)
        lines.append(f"{symbol} = {text}")
    return lines
