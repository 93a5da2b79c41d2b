"""The loss half of the PyTorch bridge: torch's loss modules read as backprop's losses and
built back, and BackpropLoss for backprop's losses that no torch module computes.

Backprop's mse and bce are, per sample, the mean over the outputs, then the mean or the
sum over samples. With reduction 'mean' that is torch's MSELoss and BCELoss; with 'sum'
and K outputs it is torch's sum / K, which only BackpropLoss computes (for K = 1 it is
torch's sum). sse_half, ½ Σ (h - y)², has no torch module either.
"""

from __future__ import annotations

import functools

from backprop_cli.api.pytorch.model import Layer, fail, shown
from backprop_cli.engine.functions import LOSSES, REDUCTIONS
from backprop_cli.errors import UsageError, describe, suggest

LOSS_MODULES = ("nn.CrossEntropyLoss, nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss or "
                "bp.torch_loss(...)")
NAMES = ("mse", "sse_half", "bce")  # BackpropLoss's: the losses on the model's output


@functools.cache
def backprop_loss_class():
    """BackpropLoss, made the first time it is needed (torch is imported then)."""
    import torch
    import torch.nn.functional as F

    class BackpropLoss(torch.nn.Module):
        """backprop's loss `name` ('mse', 'sse_half' or 'bce', on the model's output h)
        with `reduction` ('mean' or 'sum' over samples), exactly as a problem file
        defines it: per sample, mse and bce average over the outputs, sse_half is
        ½ Σ (h - y)²."""

        def __init__(self, name: str, reduction: str = "mean"):
            super().__init__()
            if name not in NAMES or reduction not in REDUCTIONS:
                raise UsageError(f"BackpropLoss({name!r}, {reduction!r}): expected a name "
                                 "of " + ", ".join(NAMES) + " and a reduction mean or sum")
            self.name, self.reduction = name, reduction

        def forward(self, h, y):
            if self.name == "sse_half":
                per_sample = 0.5 * ((h - y) ** 2).sum(-1)
                return per_sample.mean() if self.reduction == "mean" else per_sample.sum()
            loss = F.mse_loss if self.name == "mse" else F.binary_cross_entropy
            if self.reduction == "mean":
                return loss(h, y, reduction="mean")
            return loss(h, y, reduction="sum") / h.shape[-1]

        def extra_repr(self) -> str:
            return f"name={self.name!r}, reduction={self.reduction!r}"

    BackpropLoss.__module__ = __name__
    return BackpropLoss


def loss_module(name: str, reduction: str = "mean", outputs: int | None = None):
    """The torch loss equal to backprop's `name` with `reduction` (on `outputs` outputs,
    when known): torch's own module where one is equal, else a BackpropLoss.
    cross_entropy's takes logits (nn.CrossEntropyLoss), the others the model's output."""
    import torch.nn as nn

    if name not in LOSSES:
        raise UsageError(f"loss: found {describe(name)}, expected one of "
                         + ", ".join(LOSSES) + suggest(name, LOSSES))
    if reduction not in REDUCTIONS:
        raise UsageError(f"reduction: found {describe(reduction)}, expected mean or sum")
    if name == "cross_entropy":
        return nn.CrossEntropyLoss(reduction=reduction)
    if name != "sse_half" and (reduction == "mean" or outputs == 1):
        return (nn.MSELoss if name == "mse" else nn.BCELoss)(reduction=reduction)
    return backprop_loss_class()(name, reduction)


def _no(loss_fn, key: str, why: str) -> None:
    value = getattr(loss_fn, key, None)
    if value is not None:
        fail(f"loss_fn.{key}", f"found {describe(value)}, expected None: {why}")


def _summed(loss_fn, outputs: int) -> None:
    """torch's sum over K > 1 outputs: no backprop loss adds up every entry."""
    if loss_fn.reduction == "sum" and outputs > 1:
        name = "mse" if "MSE" in type(loss_fn).__name__ else "bce"
        fail("loss_fn.reduction", f"found 'sum' with {outputs} outputs, expected 'mean' "
                                  f"(or one output): backprop's {name} with reduction sum "
                                  "adds up each sample's mean over its outputs, torch's "
                                  f"sum / {outputs}; bp.torch_loss('{name}', 'sum') is that")


def _ends_in(last: Layer, loss_fn, wanted: str, why: str) -> None:
    """The model's output module is `wanted` ("identity": the Linear, "sigmoid")."""
    if last.activation != wanted:
        found = shown(last.module) if last.module is not None else "nn.Linear"
        end = "nn.Linear" if wanted == "identity" else "nn.Sigmoid"
        fail(last.module_place or last.place,
             f"found {found} before {shown(loss_fn)}, expected the model to end in {end}: "
             + why)


def read_loss(loss_fn, last: Layer, outputs: int, indices) -> tuple[str, str, str | None]:
    """(loss, reduction, output activation the loss brings or None) of a torch loss;
    indices: the class-index targets, or None."""
    import torch.nn as nn

    kind = type(loss_fn)
    reduction = getattr(loss_fn, "reduction", None)
    if kind not in (nn.CrossEntropyLoss, nn.MSELoss, nn.BCELoss, nn.BCEWithLogitsLoss,
                    backprop_loss_class()):
        fail("loss_fn", f"found {shown(loss_fn)}, which backprop has no equivalent for; "
                        f"expected {LOSS_MODULES}")
    if reduction not in REDUCTIONS:
        fail("loss_fn.reduction", f"found {describe(reduction)}, expected 'mean' or 'sum': "
                                  "backprop reduces the per-sample losses to one number")
    if kind is nn.CrossEntropyLoss:
        _no(loss_fn, "weight", "backprop's cross_entropy weighs every class alike")
        if loss_fn.label_smoothing != 0:
            fail("loss_fn.label_smoothing", f"found {loss_fn.label_smoothing!r}, expected "
                                            "0.0: backprop's cross_entropy has no smoothing")
        if indices is not None and loss_fn.ignore_index in indices:
            fail("loss_fn.ignore_index", f"found {loss_fn.ignore_index}, a class the targets "
                                         "use, expected a value no target has (torch's "
                                         "default is -100)")
        _ends_in(last, loss_fn, "identity", "it takes logits and applies its own softmax")
        return "cross_entropy", reduction, "softmax"
    if kind is nn.BCEWithLogitsLoss:
        _no(loss_fn, "weight", "backprop's bce weighs every output alike")
        _no(loss_fn, "pos_weight", "backprop's bce weighs both classes alike")
        _summed(loss_fn, outputs)
        _ends_in(last, loss_fn, "identity", "it takes logits and applies its own sigmoid")
        return "bce", reduction, "sigmoid"
    if kind is nn.BCELoss or (kind is not nn.MSELoss and loss_fn.name == "bce"):
        _no(loss_fn, "weight", "backprop's bce weighs every output alike")
        _ends_in(last, loss_fn, "sigmoid", "it takes probabilities (nn.BCEWithLogitsLoss "
                                           "takes logits)")
    if kind is nn.MSELoss or kind is nn.BCELoss:
        _summed(loss_fn, outputs)
        return ("mse" if kind is nn.MSELoss else "bce"), reduction, None
    return loss_fn.name, reduction, None
