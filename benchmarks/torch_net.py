"""The PyTorch side: the same network, eager float64, torch.optim.SGD, as people write it.

The softmax output layer becomes logits fed to F.cross_entropy, torch's idiom for a softmax
output with cross-entropy loss; the input needs no gradient (torch skips dL/dx).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

HIDDEN = {"sigmoid": nn.Sigmoid, "relu": nn.ReLU, "tanh": nn.Tanh}


def build(doc: dict) -> tuple[nn.Module, torch.Tensor, torch.Tensor, float]:
    """(model, x, class targets, lr) from a problem document with class-index targets."""
    layers = []
    for layer in doc["layers"]:
        w = torch.tensor(layer["weights"], dtype=torch.float64)
        linear = nn.Linear(w.shape[1], w.shape[0], dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(w)
            linear.bias.copy_(torch.tensor(layer["bias"], dtype=torch.float64))
        layers.append(linear)
        if layer["activation"] != "softmax":
            layers.append(HIDDEN[layer["activation"]]())
    x = torch.tensor(doc["x"], dtype=torch.float64)
    y = torch.tensor(doc["y"], dtype=torch.long)
    if x.ndim == 1:
        x, y = x[None, :], y.reshape(1)
    return nn.Sequential(*layers), x, y, float(doc["optimizer"]["lr"])


def train(model: nn.Module, x, y, lr: float, steps: int, progress=None) -> list[float]:
    """`steps` SGD updates; the loss before each, as a float (as `backprop step` reports).
    progress(i) is called after step i when given, as engine.train does."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
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
