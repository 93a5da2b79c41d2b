"""The PyTorch side: the same network, eager float64, torch.optim.SGD, as people write it.

The softmax output layer becomes logits fed to F.cross_entropy, torch's idiom for a softmax
output with cross-entropy loss; the input needs no gradient (torch skips dL/dx). A batch
norm layer is nn.BatchNorm1d (train mode, its running statistics updated as ours are), a
dropout layer its file's fixed mask multiplied in with 1/keep (what nn.Dropout does with
the mask it draws).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HIDDEN = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}


class FixedMask(nn.Module):
    """Dropout with a given mask: x ⊙ (mask / keep), as nn.Dropout scales its own."""

    def __init__(self, mask, keep: float):
        super().__init__()
        self.register_buffer("scaled", torch.tensor(mask, dtype=torch.float64) / keep)

    def forward(self, x):
        return x * self.scaled


def _tensor(values):
    return torch.tensor(values, dtype=torch.float64)


def _linear(layer: dict) -> nn.Module:
    w = _tensor(layer["weights"])
    linear = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(w)
        linear.bias.copy_(_tensor(layer["bias"]))
    return linear


def _batchnorm(layer: dict) -> nn.Module:
    gamma = _tensor(layer["gamma"])
    norm = nn.BatchNorm1d(len(gamma), eps=layer.get("eps", 1e-5),
                          momentum=layer.get("momentum", 0.1), dtype=torch.float64)
    with torch.no_grad():
        norm.weight.copy_(gamma)
        norm.bias.copy_(_tensor(layer["beta"]))
    return norm


def _module(layer: dict) -> nn.Module:
    kind = layer.get("kind", "dense")
    if kind == "dropout":
        keep = layer["keep"] if "keep" in layer else 1.0 - layer.get("p", 0.5)
        return FixedMask(layer["mask"], keep)
    return _batchnorm(layer) if kind == "batchnorm" else _linear(layer)


def build(doc: dict) -> tuple[nn.Module, torch.Tensor, torch.Tensor, float]:
    """(model, x, class targets, lr) from a problem document with class-index targets."""
    layers = []
    for layer in doc["layers"]:
        layers.append(_module(layer))
        activation = layer.get("activation", "identity")
        if activation in HIDDEN:
            layers.append(HIDDEN[activation]())
    x = torch.tensor(doc["x"], dtype=torch.float64)
    y = torch.tensor(doc["y"], dtype=torch.long)
    if x.ndim == 1:
        x, y = x[None, :], y.reshape(1)
    return nn.Sequential(*layers), x, y, float(doc["optimizer"]["lr"])


def train(model: nn.Module, x, y, lr: float, steps: int, progress=None) -> list[float]:
    """`steps` SGD updates; the loss before each, as a float (as `backprop step` reports).
    progress(i) is called after step i when given, as engine.train does."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, foreach=False)
    losses = []
    for i in range(1, steps + 1):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        if progress is not None:
            progress(i)
    return losses


def loss(model: nn.Module, x, y) -> float:
    with torch.no_grad():
        return F.cross_entropy(model(x), y).item()


def parameters(model: nn.Module) -> dict[str, np.ndarray]:
    out, l = {}, 0
    for module in model:
        if isinstance(module, nn.Linear):
            l += 1
            out[f"W{l}"] = module.weight.detach().numpy()
            out[f"b{l}"] = module.bias.detach().numpy()
    return out
