"""The feature-map modules in the PyTorch bridge: nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d
and nn.Flatten read as a problem file's conv2d, maxpool2d, avgpool2d and flatten layers
(channels first, torch's order), an image x read as the file writes it, and the layers
built back.

torch is imported inside the functions only.
"""

from __future__ import annotations

from backprop_cli.api.pytorch.model import array, fail, loaded, shown
from backprop_cli.errors import counted

WINDOWS = ("conv2d", "maxpool2d", "avgpool2d")  # the kinds that give maps
KINDS = (*WINDOWS, "flatten")


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else (int(value[0]), int(value[1]))


def _written(pair: tuple[int, int]):
    """A pair as a file writes it: one number when both are alike."""
    return pair[0] if pair[0] == pair[1] else list(pair)


def _text(pair: tuple[int, int]) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]}×{pair[1]}"


def _padding(module, place: str) -> tuple[int, int]:
    """nn.Conv2d's padding as numbers: 'valid' is 0, 'same' (stride 1) half the kernel when
    it is odd; torch pads an even kernel unevenly, which has no equivalent."""
    if module.padding == "valid":
        return 0, 0
    if module.padding == "same":
        kH, kW = module.kernel_size
        if kH % 2 == 0 or kW % 2 == 0:
            fail(place, f"found padding='same' with a {kH}×{kW} kernel, which torch pads "
                        "unevenly (one more row or column after than before), expected an "
                        "odd kernel or padding as numbers: backprop pads both sides alike")
        return (kH - 1) // 2, (kW - 1) // 2
    return _pair(module.padding)


def check(module, place: str) -> None:
    """What a map module may hold that has no equivalent, whatever x is."""
    import torch.nn as nn

    kind = type(module)
    if kind is nn.Flatten:
        if module.end_dim != -1:
            fail(place, f"found {shown(module)}, expected end_dim=-1: each sample's whole map "
                        "flattened into one row")
        return
    if kind is nn.Conv2d:
        _padding(module, place)
        settings = (("groups", 1, "one group: every output channel sees every input "
                     "channel"), ("padding_mode", "zeros", "backprop pads with zeros"))
    elif kind is nn.MaxPool2d:
        settings = (("ceil_mode", False, "backprop's pools take whole windows only"),
                    ("return_indices", False, "the module returns the pooled maps only"))
    else:
        settings = (("ceil_mode", False, "backprop's pools take whole windows only"),)
        if module.count_include_pad is False and _pair(module.padding) != (0, 0):
            fail(f"{place}.count_include_pad", f"found False in {shown(module)}, expected "
                                               "True: backprop's average divides by the "
                                               "whole window, padding included")
        kH, kW = _pair(module.kernel_size)
        if module.divisor_override not in (None, kH * kW):
            fail(f"{place}.divisor_override", f"found {module.divisor_override!r}, expected "
                                              f"None: backprop's average divides by the "
                                              f"window's {kH * kW} cells")
    for key, want, why in settings:
        if getattr(module, key) != want:
            fail(f"{place}.{key}", f"found {getattr(module, key)!r} in {shown(module)}, "
                                   f"expected {want!r}: {why}")
    dilation = getattr(module, "dilation", 1)
    if _pair(dilation) != (1, 1):
        fail(f"{place}.dilation", f"found {dilation!r} in {shown(module)}, expected 1: "
                                  "backprop's windows are dense")


def geometry(module, place: str):
    """(kernel, stride, padding) of a convolution or a pool, each (rows, columns)."""
    import torch.nn as nn

    if type(module) is nn.Conv2d:
        return module.kernel_size, _pair(module.stride), _padding(module, place)
    kernel = _pair(module.kernel_size)
    stride = kernel if module.stride is None else _pair(module.stride)
    return kernel, stride, _pair(module.padding)


def follow(layers: list, kind: str, module, place: str) -> None:
    """A module's place among the layers read so far: maps (convolutions, pools) until a
    flatten, rows after it; a flatten after a convolution or pool, or first."""
    last = layers[-1] if layers else None
    if kind in KINDS:
        if last is not None and last.kind not in WINDOWS:
            there = (f"after rows (N, n) ({last.place} gives rows), expected it first or "
                     "after a convolution or pool: ")
            fail(place, f"found {shown(module)} " + there + (
                "on rows it changes nothing, leave it out" if kind == "flatten" else
                "backprop's convolutions and pools take feature maps, before nn.Flatten"))
    elif last is not None and last.kind in WINDOWS:
        fail(place, f"found {shown(module)} after feature maps ({last.place} gives maps), "
                    "expected nn.Flatten() first: backprop's other layers take rows")


def rows_rank(layers: list, x_rank: int) -> int:
    """The rank of the rows the model's dense part takes: x's rank, or after a flatten
    its start_dim + 1 (the flatten keeps the dimensions before it)."""
    flat = next((layer.core for layer in layers if layer.kind == "flatten"), None)
    if flat is None or x_rank < 1:
        return x_rank
    return flat.start_dim % x_rank + 1


def image(layers: list, x):
    """(x as the problem file writes it: (N, C, H, W), (C, H, W) or (H, W); its maps
    (C, H, W); whether it is a batch), from x as torch takes it. torch's nn.Flatten keeps
    the dimensions before start_dim: the batch, when there is one."""
    x = array(x, "x")
    first, flat = layers[0], next((la for la in layers if la.kind == "flatten"), None)
    r = x.ndim
    if flat is None:
        last = layers[-1]
        fail(last.place, f"found {shown(last.core)} at the output, expected nn.Flatten and "
                         "nn.Linear layers after the maps: backprop's losses take rows")
    if first.kind in WINDOWS:
        if r not in (3, 4) or not x.size:
            fail("x", f"found an array of shape {x.shape}, expected images (N, C, H, W) or "
                      f"one image (C, H, W): {first.place}, {shown(first.core)}, takes "
                      "feature maps")
        batched = r == 4
    else:  # the flatten first: its start_dim says where the batch ends
        start = flat.core.start_dim % r if 2 <= r <= 4 and -r <= flat.core.start_dim < r \
            else None
        if start not in (0, 1) or r - start not in (2, 3) or not x.size:
            fail("x", f"found an array of shape {x.shape} before {shown(flat.core)}, "
                      "expected images (N, C, H, W) or (N, H, W) (one channel) for a batch "
                      "(start_dim=1), (C, H, W) or (H, W) for one sample (start_dim=0)" + (
                          ": on rows (N, n) nn.Flatten changes nothing, leave it out"
                          if r == 2 and start == 1 else ""))
        batched = start == 1
        if batched and r == 3:  # (N, H, W): one channel
            x = x[:, None]
    if first.kind in WINDOWS and flat.core.start_dim % r != int(batched):
        maps = f"a batch (N, C, H, W), x of shape {x.shape}" if batched else \
            f"one sample (C, H, W), x of shape {x.shape}"
        fail(flat.place, f"found {shown(flat.core)} on {maps}, expected "
                         f"start_dim={int(batched)}: each sample's maps flattened into one row"
                         + ("" if batched else " (a batch of images is (N, C, H, W))"))
    shape = tuple(x.shape[-3:]) if x.ndim - int(batched) == 3 else (1, *x.shape[-2:])
    return x, shape, batched


def outputs(layer, shape: tuple):
    """What a map layer gives from maps `shape` (C, H, W): maps, or flatten's width;
    refused where torch and backprop part (a remainder torch drops) or torch refuses."""
    C, H, W = shape
    if layer.kind == "flatten":
        return C * H * W
    module, place = layer.core, layer.place
    if layer.kind == "conv2d" and module.in_channels != C:
        fail(place, f"found {shown(module)} after {counted(C, 'channel')}, expected "
                    f"in_channels {C}")
    (kH, kW), (sH, sW), (pH, pW) = geometry(module, place)
    if layer.kind != "conv2d" and (2 * pH > kH or 2 * pW > kW):
        fail(place, f"found {shown(module)}, expected padding at most half the window "
                    f"({kH}×{kW}), as torch requires")
    Hp, Wp = H + 2 * pH, W + 2 * pW
    if kH > Hp or kW > Wp:
        fail(place, f"found a {kH}×{kW} window on {H}×{W} maps (padded: {Hp}×{Wp}), "
                    "expected one that fits them")
    rest = [f"{counted(n, what)}" for n, what in (((Hp - kH) % sH, "row"),
                                                 ((Wp - kW) % sW, "column")) if n]
    if rest:
        fail(place, f"found {shown(module)} on {H}×{W} maps, whose {kH}×{kW} windows "
                    f"(stride {_text((sH, sW))}, padding {_text((pH, pW))}) leave out the "
                    f"last {' and '.join(rest)} (torch drops them), expected windows that "
                    "cover the padded maps exactly: backprop's convolutions and pools take "
                    "whole windows only")
    out = module.out_channels if layer.kind == "conv2d" else C
    return out, (Hp - kH) // sH + 1, (Wp - kW) // sW + 1


def document(layer) -> dict:
    """A map layer as a problem file writes it (without activation and frozen)."""
    module, doc = layer.core, {"kind": layer.kind}
    if layer.kind == "flatten":
        return doc
    kernel, stride, padding = geometry(module, layer.place)
    if layer.kind == "conv2d":
        doc["weights"] = array(module.weight).tolist()
        if module.bias is not None:
            doc["bias"] = array(module.bias).tolist()
    else:
        doc["size"] = _written(tuple(kernel))
    if tuple(stride) != ((1, 1) if layer.kind == "conv2d" else tuple(kernel)):
        doc["stride"] = _written(tuple(stride))
    if tuple(padding) != (0, 0):
        doc["padding"] = _written(tuple(padding))
    return doc


def module(spec, l: int, problem):
    """Layer l of the problem, a map kind, as a torch module in float64 (channels first;
    a flatten keeps dim 0 as the batch when x is one, else flattens the one sample)."""
    import torch
    import torch.nn as nn

    s = spec.settings
    if spec.kind == "flatten":
        return nn.Flatten() if problem.batched else nn.Flatten(0)
    g = s.geometry
    kernel, stride, padding = (_written(tuple(v)) for v in (g.kernel, g.stride, g.padding))
    if spec.kind != "conv2d":
        pool = nn.MaxPool2d if spec.kind == "maxpool2d" else nn.AvgPool2d
        return pool(kernel, stride, padding)
    W = problem.params[f"W{l}"]
    return loaded(nn.Conv2d(W.shape[1], W.shape[0], kernel, stride, padding, bias=spec.bias,
                            dtype=torch.float64), spec, l, problem)


def torch_x(problem):
    """A map problem's x as torch takes it: (N, C, H, W), or one sample (C, H, W); one
    sample written (H, W) before a flatten as (H, W)."""
    import torch

    x = problem.x.reshape(problem.x.shape[0], *problem.model.map_of(0))
    if problem.batched:
        return torch.tensor(x)
    first = problem.model.layers[0].kind
    return torch.tensor(x[0, 0] if problem.sample_rank == 2 and first == "flatten" else x[0])


def refused(problem) -> tuple[str, str] | None:
    """(place, what) a map problem holds that torch's modules cannot say, or None."""
    if problem.channels == "last":
        return "channels", ("channels: last, expected first: torch's maps are (N, C, H, W) "
                            "and its nn.Flatten flattens them in that order")
    flip = next((i for i, s in enumerate(problem.model.layers)
                 if s.kind == "conv2d" and s.settings.flip), None)
    if flip is not None:
        return f"layers[{flip}].flip", ("flip: true (a true convolution), expected false: "
                                        "nn.Conv2d is a cross-correlation (turn the kernels "
                                        "180° and drop flip)")
    return None

