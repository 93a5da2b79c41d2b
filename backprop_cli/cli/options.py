"""`new`'s --layers, --activations, --x and --y: the text of each option parsed, checked
against what the others say."""

from __future__ import annotations

import math

import click

from backprop_cli.api import generating
from backprop_cli.api.generating import ACTIVATIONS
from backprop_cli.errors import counted


def numbers(option: str, text: str) -> list:
    values = []
    for part in text.split(","):
        part = part.strip()
        try:
            values.append(int(part) if part.lstrip("+-").isdigit() else float(part))
        except ValueError:
            raise click.BadParameter(f"found {part!r}, expected comma-separated numbers",
                                     param_hint=option) from None
    return values


def sizes(text: str) -> list:
    """The input's width (or its map, a (H, W) or (C, H, W) tuple), then a width per dense
    layer or a layer kind: its name, or (name, pinned settings) for name:key=value:..."""
    parts = [p.strip() for p in text.split(",")]
    found = [_kind(p) if p.split(":")[0] in generating.KINDS else
             _image(p) if i == 0 and "x" in p else numbers("--layers", p)[0]
             for i, p in enumerate(parts)]
    first = found[0]
    image = isinstance(first, tuple) and isinstance(first[0], int)
    if len(found) < 2 or any(not isinstance(n, (str, tuple)) and
                             (not isinstance(n, int) or n < 1) for n in found) \
            or not (isinstance(first, int) or image) or not isinstance(found[-1], int):
        raise click.BadParameter("expected positive whole numbers, input size first, and "
                                 "layer kinds (" + ", ".join(generating.KINDS) + ") between, "
                                 "like 3,3,3,3 or 4,8,batchnorm,dropout,3; an image input "
                                 "HxW or CxHxW before map kinds, like "
                                 "1x5x5,conv2d,maxpool2d,flatten,3", param_hint="--layers")
    return found


def _image(text: str) -> tuple:
    """An image input, HxW (one channel) or CxHxW: its sizes as written."""
    dims = text.split("x")
    if len(dims) not in (2, 3) or not all(d.isdigit() and int(d) >= 1 for d in dims):
        raise click.BadParameter(f"found {text!r}, expected the input's size or an image's, "
                                 "HxW or CxHxW in positive whole numbers, like 5x5 or 2x6x6",
                                 param_hint="--layers")
    return tuple(int(d) for d in dims)


def _kind(text: str):
    """A kind's name, or (name, ((key, value), ...)) with the settings it pins."""
    name, *pins = text.split(":")
    if not pins:
        return name
    keys, settings = generating.KINDS[name], {}
    for pin in pins:
        key, _, value = pin.partition("=")
        if key not in keys or key in settings:
            expected = f"the settings {', '.join(keys)}, each once" if keys else \
                f"no settings: {name} has none to pin"
            raise click.BadParameter(f"found {pin!r} in {text!r}, expected {expected}",
                                     param_hint="--layers")
        if key in generating.WORDS:  # a sequence kind's output, gates, form
            wrong = generating.wrong_word(name, key, value)
            if wrong:
                raise click.BadParameter(f"found {pin!r} in {text!r}, expected {wrong}",
                                         param_hint="--layers")
            settings[key] = value
            continue
        low = 0 if key == "padding" else 1
        if not value.isdigit() or int(value) < low:
            raise click.BadParameter(f"found {pin!r} in {text!r}, expected {key}=N with N a "
                                     f"whole number of at least {low}", param_hint="--layers")
        settings[key] = int(value)
    return name, tuple(settings.items())


def activations(text: str | None, depth: int, loss: str, sizes) -> list[str]:
    if text is None:
        return generating.default_activations(depth, loss, sizes)
    names = [t.strip() for t in text.split(",")]
    for name in names:
        if name not in ACTIVATIONS:
            raise click.BadParameter(f"found {name!r}, expected one of "
                                     + ", ".join(ACTIVATIONS), param_hint="--activations")
    if len(names) != depth:
        raise click.BadParameter(f"found {counted(len(names), 'activation')}, expected "
                                 f"{depth}: one per layer after the input",
                                 param_hint="--activations")
    return names


# what --x's numbers are, by (a sequence exercise, a shaped input)
X_WHAT = {(False, False): "the input size",
          (False, True): "the image's pixels, row by row, channel after channel",
          (True, True): "the steps' features, step after step",
          (True, False): "a token index per step"}


def sample(text: str | None, sizes: list) -> list | None:
    """--x: as many numbers as the input has (an image's pixels, row by row, channel after
    channel; a sequence's features step after step, or its token indices)."""
    if not text:
        return None
    x, image = numbers("--x", text), isinstance(sizes[0], tuple)
    n = math.prod(sizes[0]) if image else sizes[0]
    if len(x) != n:
        what = X_WHAT[generating.is_sequence(sizes), image]
        raise click.BadParameter(f"found {counted(len(x), 'number')}, expected {n} ({what})",
                                 param_hint="--x")
    return x


def target(text: str | None):
    """--y: a class index, or a target vector."""
    if not text:
        return None
    y = numbers("--y", text)
    return y[0] if len(y) == 1 and isinstance(y[0], int) else y
