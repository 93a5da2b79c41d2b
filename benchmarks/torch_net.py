"""The PyTorch side: the same network, eager float64, torch.optim.SGD, as people write it.

The softmax output layer becomes logits fed to F.cross_entropy, torch's idiom for a softmax
output with cross-entropy loss; the input needs no gradient (torch skips dL/dx). A batch
norm layer is nn.BatchNorm1d (train mode, its running statistics updated as ours are), a
dropout layer its file's fixed mask multiplied in with 1/keep (what nn.Dropout does with
the mask it draws). Issue 21's maps: conv2d is nn.Conv2d (its flip: the kernel stored
rotated by 180 degrees), maxpool2d / avgpool2d nn.MaxPool2d / nn.AvgPool2d
(count_include_pad), flatten nn.Flatten; with `channels: last` x and the kernels are
turned into torch's order and flatten reads the maps in (H, W, C) order, as the file does.
Issue 22's sequences: an rnn / lstm / gru layer is nn.RNN / nn.LSTM / nn.GRU (one layer,
batch_first, the file's stacked weights in torch's gate order; a bias the file leaves out
is zero and not trained), its output h_T (`output: last`) or every step as N·T rows (all).
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


class FlattenLast(nn.Module):
    """Flatten of `channels: last`: (N, C, H, W) maps read in (H, W, C) order."""

    def forward(self, x):
        return x.permute(0, 2, 3, 1).flatten(1)


class Sequence(nn.Module):
    """nn.RNN / nn.LSTM / nn.GRU from h0 (and c0), what the next layer sees of its h_t."""

    CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(self, layer: dict):
        super().__init__()
        if isinstance(layer["wx"], dict) or layer.get("gates") or layer.get("form") == "cho":
            raise ValueError("torch_net reads a recurrent layer's weights stacked in torch's "
                             "gate order (torch's form), as netgen writes them")
        wx, wh = _tensor(layer["wx"]), _tensor(layer["wh"])
        biased = "bias" in layer or "bias_h" in layer
        extra = {"nonlinearity": layer.get("activation", "tanh")} if layer["kind"] == "rnn" \
            else {}
        self.cell = self.CELLS[layer["kind"]](wx.shape[1], wh.shape[1], bias=biased,
                                              batch_first=True, dtype=torch.float64, **extra)
        self.last = layer.get("output", "last") == "last"
        self.states = [_tensor(layer[k]) if k in layer else None for k in ("h0", "c0")]
        with torch.no_grad():
            self.cell.weight_ih_l0.copy_(wx)
            self.cell.weight_hh_l0.copy_(wh)
            for key, bias in (("bias", self.cell.bias_ih_l0 if biased else None),
                              ("bias_h", self.cell.bias_hh_l0 if biased else None)):
                if bias is not None:
                    bias.copy_(_tensor(layer[key]) if key in layer else torch.zeros_like(bias))
                    bias.requires_grad_(key in layer)

    def forward(self, x):
        N, hidden = x.shape[0], self.cell.hidden_size
        h0, c0 = (torch.zeros(1, N, hidden, dtype=x.dtype) if s is None
                  else s.expand(N, hidden)[None].contiguous() for s in self.states)
        out, _ = self.cell(x, (h0, c0) if isinstance(self.cell, nn.LSTM) else h0)
        return out[:, -1] if self.last else out.reshape(-1, hidden)


def _pair(value) -> tuple[int, int]:
    return (value, value) if isinstance(value, int) else tuple(value)


def _tensor(values):
    return torch.tensor(values, dtype=torch.float64)


def _linear(layer: dict) -> nn.Module:
    w = _tensor(layer["weights"])
    linear = nn.Linear(w.shape[1], w.shape[0], bias="bias" in layer, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(w)
        if "bias" in layer:
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


def _conv(layer: dict, last: bool) -> nn.Module:
    w = _tensor(layer["weights"])
    if last:  # (kH, kW, C_in, C_out) -> (C_out, C_in, kH, kW)
        w = w.permute(3, 2, 0, 1)
    if layer.get("flip", False):  # a true convolution: torch's cross-correlation, rotated
        w = w.flip(-1, -2)
    conv = nn.Conv2d(w.shape[1], w.shape[0], tuple(w.shape[2:]),
                     stride=_pair(layer.get("stride", 1)),
                     padding=_pair(layer.get("padding", 0)), bias="bias" in layer,
                     dtype=torch.float64)
    with torch.no_grad():
        conv.weight.copy_(w)
        if "bias" in layer:
            conv.bias.copy_(_tensor(layer["bias"]))
    conv.file_layout = (last, layer.get("flip", False))  # for parameters()
    return conv


def _pool(layer: dict) -> nn.Module:
    size = _pair(layer["size"])
    stride = _pair(layer.get("stride", size))
    padding = _pair(layer.get("padding", 0))
    if layer["kind"] == "maxpool2d":
        return nn.MaxPool2d(size, stride, padding)
    return nn.AvgPool2d(size, stride, padding, count_include_pad=True)


def _module(layer: dict, last: bool) -> nn.Module:
    kind = layer.get("kind", "dense")
    if kind == "dropout":
        keep = layer["keep"] if "keep" in layer else 1.0 - layer.get("p", 0.5)
        return FixedMask(layer["mask"], keep)
    if kind == "conv2d":
        return _conv(layer, last)
    if kind in ("maxpool2d", "avgpool2d"):
        return _pool(layer)
    if kind == "flatten":
        return FlattenLast() if last else nn.Flatten()
    if kind in Sequence.CELLS:
        return Sequence(layer)
    return _batchnorm(layer) if kind == "batchnorm" else _linear(layer)


def _maps(x: torch.Tensor, last: bool) -> torch.Tensor:
    """x of a network that starts with a map layer, as (N, C, H, W): the rank decides,
    (H, W) is one sample of one channel, (C, H, W) (or (H, W, C)) one sample."""
    if x.ndim == 2:
        return x[None, None]
    if x.ndim == 3:
        x = x[None]
    return x.permute(0, 3, 1, 2) if last else x


def build(doc: dict) -> tuple[nn.Module, torch.Tensor, torch.Tensor, float]:
    """(model, x, class targets, lr) from a problem document with class-index targets.
    Each layer's module knows the file's layer number (`backprop_layer`, for
    parameters())."""
    last = doc.get("channels", "first") == "last"
    layers = []
    for l, layer in enumerate(doc["layers"], 1):
        module = _module(layer, last)
        module.backprop_layer = l
        layers.append(module)
        activation = layer.get("activation", "identity")
        if activation in HIDDEN:
            layers.append(HIDDEN[activation]())
    x = torch.tensor(doc["x"], dtype=torch.float64)
    y = torch.tensor(doc["y"], dtype=torch.long).reshape(-1)
    if doc["layers"][0].get("kind") in ("conv2d", "maxpool2d", "avgpool2d"):
        x = _maps(x, last).contiguous()
    elif x.ndim == 1:
        x = x[None, :]
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
    """The parameters as `backprop step` names them (by the file's layer number), in the
    file's layout."""
    out = {}
    for module in model:
        l = getattr(module, "backprop_layer", None)
        if isinstance(module, nn.Linear):
            out[f"W{l}"] = module.weight.detach().numpy()
            if module.bias is not None:
                out[f"b{l}"] = module.bias.detach().numpy()
        elif isinstance(module, nn.Conv2d):
            w = module.weight.detach()
            last, flip = module.file_layout
            w = w.flip(-1, -2) if flip else w
            out[f"W{l}"] = (w.permute(2, 3, 1, 0) if last else w).numpy()
            if module.bias is not None:
                out[f"b{l}"] = module.bias.detach().numpy()
        elif isinstance(module, Sequence):
            cell = module.cell
            out[f"Wx{l}"] = cell.weight_ih_l0.detach().numpy()
            out[f"Wh{l}"] = cell.weight_hh_l0.detach().numpy()
            for name, bias in (("b", "bias_ih_l0"), ("bh", "bias_hh_l0")):
                if getattr(cell, bias, None) is not None and getattr(cell, bias).requires_grad:
                    out[f"{name}{l}"] = getattr(cell, bias).detach().numpy()
        elif isinstance(module, nn.BatchNorm1d):
            out[f"gamma{l}"] = module.weight.detach().numpy()
            out[f"beta{l}"] = module.bias.detach().numpy()
    return out
