"""The layer kinds in the PyTorch bridge: nn.BatchNorm1d, nn.LayerNorm and nn.Dropout read
as a problem file's `kind:` layers (docs/layers.md), and built back. A dropout layer in train
mode is built as a FixedDropout, whose mask is the file's (nn.Dropout draws its own). The
map kinds' modules (nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten) are in maps.py.

torch is imported inside the functions only.
"""

from __future__ import annotations

import functools

import numpy as np

from backprop_cli.api.pytorch import maps
from backprop_cli.api.pytorch.maps import KINDS as MAPS
from backprop_cli.api.pytorch.model import fail, shown


@functools.cache
def fixed_dropout_class():
    """FixedDropout, made the first time it is needed (torch is imported then)."""
    import torch

    class FixedDropout(torch.nn.Module):
        """Dropout with a given mask (0 drops a unit, 1 keeps it) and probability p of
        dropping: in train mode x ⊙ (mask · scale), scale 1/(1 − p) (inverted) or 1
        (none); in eval mode the identity, as nn.Dropout."""

        def __init__(self, mask, p: float = 0.5, scale: str = "inverted"):
            super().__init__()
            self.register_buffer("mask", torch.as_tensor(mask, dtype=torch.float64))
            self.p, self.scale = float(p), scale

        def forward(self, x):
            if not self.training:
                return x
            factor = 1.0 / (1.0 - self.p) if self.scale == "inverted" else 1.0
            return x * (self.mask.to(x.dtype) * factor)

        def extra_repr(self) -> str:
            return f"p={self.p}, scale={self.scale!r}"

    FixedDropout.__module__ = __name__
    return FixedDropout


# Each kind's torch module, by the name a problem file spells (torch is imported lazily,
# so the table names the class); the map kinds' are read and built in maps.py
MODULES = {"batchnorm": "BatchNorm1d", "layernorm": "LayerNorm", "dropout": "Dropout",
           "conv2d": "Conv2d", "maxpool2d": "MaxPool2d", "avgpool2d": "AvgPool2d",
           "flatten": "Flatten"}


def kind_of(module) -> str | None:
    """The problem file's kind of a module: batchnorm, layernorm, dropout, conv2d,
    maxpool2d, avgpool2d, flatten or None."""
    import torch.nn as nn

    kind = type(module)
    if kind is fixed_dropout_class():  # to_torch's dropout with the file's mask
        return "dropout"
    return next((name for name, cls in MODULES.items() if kind is getattr(nn, cls)), None)


def check(module, place: str) -> None:
    """What a kind's module may hold that has no equivalent, whatever x is (read_layers
    checks it with the modules, before the loss and the optimizer)."""
    if kind_of(module) in MAPS:
        maps.check(module, place)
        return
    if kind_of(module) == "batchnorm" and module.momentum is None:
        fail(f"{place}.momentum", f"found None in {shown(module)} (a cumulative average), "
                                  "expected a number: backprop's running statistics move by "
                                  "a fixed momentum")
    if kind_of(module) == "layernorm" and len(module.normalized_shape) != 1:
        fail(place, f"found nn.LayerNorm with normalized_shape "
                    f"{tuple(module.normalized_shape)}, expected one number: a layer norm "
                    "over the last dimension only")


def params(module) -> dict:
    """The module's gamma and beta (None where torch has none); a convolution's W and b."""
    if kind_of(module) == "conv2d":
        return {"W": module.weight, "b": module.bias}
    return {"gamma": getattr(module, "weight", None), "beta": getattr(module, "bias", None)}


def _list(t) -> list:
    return t.detach().to("cpu").double().numpy().tolist()


def document(module, place: str, width: int, masks, x_shape: tuple) -> dict:
    """The layer as a problem file writes it (without activation and frozen); width: its
    input's features; masks: compare's {place: mask} of nn.Dropout in train mode, True for a
    placeholder (all ones, x_shape's rows), False to refuse one."""

    kind = kind_of(module)
    doc = {"kind": kind}
    if kind == "dropout":
        return doc | _dropout(module, place, width, masks, x_shape)
    if kind == "batchnorm" and module.num_features != width:
        fail(place, f"found nn.BatchNorm1d with num_features {module.num_features} after "
                    f"{width} features, expected {width}")
    if kind == "layernorm" and tuple(module.normalized_shape) != (width,):
        fail(place, f"found nn.LayerNorm with normalized_shape "
                    f"{tuple(module.normalized_shape)} after {width} features, expected "
                    f"({width},): a layer norm over the last dimension only")
    gamma, beta = params(module).values()
    if gamma is not None:
        doc["gamma"] = _list(gamma)
        doc["beta"] = _list(beta) if beta is not None else [0.0] * width
    doc["eps"] = float(module.eps)
    if kind == "batchnorm":
        doc.update(_batchnorm(module))
    return doc


def _batchnorm(module) -> dict:
    doc = {"momentum": float(module.momentum), "variance": "biased"}
    if module.track_running_stats:
        return doc | {"running_mean": _list(module.running_mean),
                      "running_var": _list(module.running_var),
                      "mode": "train" if module.training else "eval"}
    # without running statistics torch normalises with the batch's in both modes: train
    n = module.num_features
    return doc | {"running_mean": [0.0] * n, "running_var": [1.0] * n, "mode": "train"}


def _dropout(module, place, width, masks, x_shape) -> dict:
    doc = {"p": float(module.p), "mode": "train" if module.training else "eval"}
    if type(module) is fixed_dropout_class():
        return doc | {"mask": _list(module.mask)} | (
            {"scale": module.scale} if module.scale != "inverted" else {})
    if not module.training:
        return doc
    if masks is False:
        fail(place, f"found nn.Dropout(p={module.p}) in train mode, whose mask torch draws "
                    "at random, expected eval mode (model.eval(), the identity) or "
                    "bp.compare, which takes the mask from torch's forward pass")
    mask = np.ones(tuple(x_shape[:-1]) + (width,)) if masks is True else masks[place]
    return doc | {"mask": np.asarray(mask, dtype=np.float64).tolist()}


def module(spec, l: int, problem, width: int):
    """Layer l of the problem (a batch norm, layer norm or dropout layer of `width`
    features) as a torch module in float64, in the layer's mode."""
    import torch
    import torch.nn as nn

    s, p = spec.settings, problem.params
    if spec.kind in MAPS:
        return maps.module(spec, l, problem)
    if spec.kind == "dropout":  # the file's p as written (1 − keep may round otherwise)
        drop = problem.document["layers"][l - 1].get("p", 1.0 - s.keep)
        if s.mode == "eval":
            return nn.Dropout(drop).eval()
        mask = s.mask if problem.batched else s.mask[0]
        return fixed_dropout_class()(mask, drop, s.scale)
    if spec.kind == "layernorm":
        m = nn.LayerNorm(width, eps=s.eps, elementwise_affine=s.affine, dtype=torch.float64)
    else:
        if s.variance != "biased":
            fail(None, f"layer {l} normalises with variance: unbiased, expected biased: "
                       "nn.BatchNorm1d divides by N")
        if not problem.batched:
            fail(None, f"layer {l} is a batch norm layer and x is one sample, expected x as "
                       "a list of rows: nn.BatchNorm1d takes a batch")
        m = nn.BatchNorm1d(width, eps=s.eps, momentum=s.momentum, affine=s.affine,
                           dtype=torch.float64)
        with torch.no_grad():
            m.running_mean.copy_(torch.as_tensor(np.zeros(width) + s.running_mean))
            m.running_var.copy_(torch.as_tensor(np.zeros(width) + s.running_var))
        m.train(s.mode == "train")
    if s.affine:
        with torch.no_grad():
            m.weight.copy_(torch.as_tensor(p[f"gamma{l}"]))
            m.bias.copy_(torch.as_tensor(p[f"beta{l}"]))
        m.weight.requires_grad_("gamma" not in spec.frozen)
        m.bias.requires_grad_("beta" not in spec.frozen)
    return m
