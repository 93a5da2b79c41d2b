"""From PyTorch and back: from_torch reads an nn.Sequential, its loss and optimizer (with
its state) as a Problem; to_torch builds a problem's model, loss and optimizer in torch.

torch is never a dependency: it is imported inside these functions only. Anything with no
backprop equivalent is a ProblemError naming the module or the setting (source <torch>).
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

import numpy as np

from backprop_cli.api.functions import load
from backprop_cli.api.pytorch import losses as torch_losses
from backprop_cli.api.pytorch import maps as torch_maps
from backprop_cli.api.pytorch import model as torch_model
from backprop_cli.api.pytorch import optim as torch_optim
from backprop_cli.api.pytorch import sequences as torch_sequences
from backprop_cli.api.pytorch.model import SOURCE, array, fail, require_torch
from backprop_cli.errors import ProblemError
from backprop_cli.problem import reader
from backprop_cli.problem.reader import Problem


class TorchProblem(NamedTuple):
    """A problem in PyTorch, in from_torch's and compare's order (bp.compare(*t) works):
    model(x) is the network's output (logits for cross_entropy), loss_fn(model(x), y)
    its loss, optimizer (None when every parameter is frozen) its optimizer."""

    model: object  # torch.nn.Sequential, float64
    x: object  # torch.Tensor: (N, n_0), or (n_0,) for one sample; maps (N, C, H, W)
    y: object  # float64 targets, or int64 class indices
    loss_fn: object  # torch.nn.Module
    optimizer: object  # torch.optim.Optimizer or None


def _inputs(x) -> np.ndarray:
    x = array(x, "x")
    if x.ndim not in (1, 2) or not x.size:
        fail("x", f"found an array of shape {x.shape}, expected (N, n) rows of samples or "
                  "one sample (n,)")
    return x


def _targets(y, loss: bool):
    """y as a problem file writes it: class indices (an int, or a list of them) when it is
    an integer tensor and the loss is nn.CrossEntropyLoss, else numbers."""
    import torch

    kind = y.dtype if torch.is_tensor(y) else np.asarray(y).dtype
    integer = kind in (torch.int8, torch.int16, torch.int32, torch.int64, torch.uint8) \
        if torch.is_tensor(y) else np.issubdtype(kind, np.integer)
    if loss and integer:
        values = (y.detach().cpu() if torch.is_tensor(y) else np.asarray(y)).tolist()
        return values, (values if isinstance(values, list) else [values])
    return array(y, "y").tolist(), None


def from_torch(model, x, y, loss_fn, optimizer=None, *, title: str | None = None) -> Problem:
    """The problem a PyTorch model, its inputs, targets, loss and optimizer pose.

    model: an nn.Sequential of nn.Linear (with or without bias) and activation modules
    (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Softplus with beta=1, Softmax(dim=-1),
    Identity), each Linear its own (tied weights are refused); before them nn.Conv2d,
    nn.MaxPool2d and nn.AvgPool2d on images x (N, C, H, W) up to an nn.Flatten, which may
    come first (x (N, H, W) is one channel), see maps.py; a parameter with
    requires_grad=False, or one the optimizer does not hold, is frozen. loss_fn:
    nn.CrossEntropyLoss (the model ends in logits), nn.MSELoss, nn.BCELoss (after
    nn.Sigmoid), nn.BCEWithLogitsLoss, or bp.torch_loss(...); reduction mean or sum.
    optimizer: torch.optim SGD, Adagrad, RMSprop, Adam or AdamW with its settings and
    current state (None: sgd with lr 1.0, the problem file's default). nn.BatchNorm1d,
    nn.LayerNorm (over the last dimension) and nn.Dropout (in eval mode) are layers of
    their kinds (docs/layers.md), in each module's mode."""
    require_torch("bp.from_torch")
    return read(model, x, y, loss_fn, optimizer, title=title)


def read(model, x, y, loss_fn, optimizer=None, *, title=None, masks=False) -> Problem:
    """from_torch, with masks for nn.Dropout in train mode: False refuses one, True puts
    a placeholder of ones, {place: mask} the masks torch drew (bp.compare)."""
    import torch.nn as nn

    if torch_sequences.is_sequence(model):  # nn.Embedding, nn.RNN, nn.LSTM, nn.GRU
        return torch_sequences.read(model, x, y, loss_fn, optimizer, title=title)
    try:  # the model first: what it holds is named before x's shape
        rank = np.ndim(x)
    except (TypeError, ValueError):  # ragged lists: _inputs names them
        rank = 2
    layers = torch_model.read_layers(model, rank)
    if layers[0].kind in torch_maps.KINDS:  # images: maps (C, H, W) per sample
        x, first, batched = torch_maps.image(layers, x)
        rows = (x.shape[0], int(np.prod(first))) if batched else (int(np.prod(first)),)
    else:
        x = _inputs(x)
        first, batched, rows = x.shape[-1], x.ndim == 2, x.shape
    batch_norm = next((layer for layer in layers if layer.kind == "batchnorm"), None)
    if not batched and batch_norm is not None:
        fail("x", f"found one sample of shape {x.shape}, expected rows (N, n): "
                  f"{batch_norm.place}, nn.BatchNorm1d, takes a batch")
    outputs = torch_model.widths(layers, first)[-1]
    targets, indices = _targets(y, type(loss_fn) is nn.CrossEntropyLoss)
    loss, reduction, output = torch_losses.read_loss(loss_fn, layers[-1], outputs, indices)
    if output is not None:  # the loss's own softmax or sigmoid
        layers[-1] = replace(layers[-1], activation=output)
    parameters = torch_model.parameters(layers)
    block, trainable = optimizer_block(optimizer, parameters)
    doc = {} if title is None else {"title": title}
    doc.update(x=x.tolist(), y=targets, loss=loss, reduction=reduction,
               layers=torch_model.layer_documents(layers, set(parameters) - trainable,
                                                  rows, masks, first))
    if block:
        doc["optimizer"] = block
    return reader.from_document(doc, SOURCE)


def optimizer_block(optimizer, parameters: dict) -> tuple[dict, set]:
    """(the problem file's optimizer block, {} for None; the names of the trainable
    parameters: requires_grad and held by the optimizer)."""
    trainable = {n for n, p in parameters.items() if p.requires_grad}
    if optimizer is None:
        return {}, trainable
    block = torch_optim.read_settings(optimizer)
    trainable &= torch_optim.held(optimizer, {id(p): n for n, p in parameters.items()})
    state = torch_optim.read_state(optimizer, block, parameters, trainable)
    if state:
        block["state"] = state
    return block, trainable


def to_torch(problem) -> TorchProblem:
    """The problem built in PyTorch (float64): from_torch of the result is the problem
    again, and torch's forward pass, gradients and step are backprop's."""
    torch = require_torch("bp.to_torch")

    problem = load(problem)
    _torch_has(problem)
    net = problem.model
    logits = net.loss == "cross_entropy"
    outputs = problem.y.shape[1]
    loss_fn = torch_losses.loss_module(net.loss, net.reduction, outputs)
    if net.time is not None:  # a sequence model: its own modules and x
        model, x = torch_sequences.build(problem, logits)
        parameters = torch_sequences.parameters(torch_sequences.read_modules(model))
    else:
        model = torch_model.build(problem, logits)
        x = torch_maps.torch_x(problem) if net.map_of(0) is not None else \
            torch.tensor(problem.x if problem.batched else problem.x[0])
        parameters = torch_model.parameters(torch_model.read_layers(model, x.ndim))
    optimizer = torch_optim.build(problem, parameters)
    raw_y = problem.document["y"]
    if logits and np.ndim(raw_y) < 1 + problem.batched:  # class indices, as the file has
        y = torch.tensor(np.argmax(problem.y, axis=1), dtype=torch.int64)
        y = y if problem.batched else y[0]
    else:
        y = torch.tensor(problem.y if problem.batched else problem.y[0])
    return TorchProblem(model, x, y, loss_fn, optimizer)


def _torch_has(problem) -> None:
    """A ProblemError for what an nn.Sequential and a torch loss cannot say: a residual
    connection, an L2 penalty in the loss, loss: upstream."""
    net = problem.model
    skip = next((i for i, s in enumerate(net.layers) if s.residual is not None), None)
    if skip is not None:
        found = (f"layers[{skip}].residual", "a residual connection, which an nn.Sequential "
                 "cannot hold, expected none (write the block as your own nn.Module)")
    elif net.penalty is not None:
        found = ("l2", "an L2 penalty in the loss, expected none: torch puts it in the "
                 "optimizer, weight_decay=λ (SGD's gradient for form: lambda/2; see "
                 "docs/api.md)")
    elif net.loss == "upstream":
        found = ("loss", "upstream, expected a loss torch has a module for")
    elif net.map_of(0) is not None and torch_maps.refused(problem) is not None:
        found = torch_maps.refused(problem)
    elif net.time is not None and torch_sequences.refused(problem) is not None:
        found = torch_sequences.refused(problem)
    else:
        return
    raise ProblemError(problem.source, found[0], f"bp.to_torch: found {found[1]}")


def torch_loss(name: str, reduction: str = "mean"):
    """backprop's loss `name` (cross_entropy, mse, sse_half, bce) with `reduction` as a
    torch module: torch's own where one is equal (nn.CrossEntropyLoss takes logits), else a
    BackpropLoss (sse_half; mse and bce with reduction sum, torch's sum / outputs)."""
    require_torch("bp.torch_loss")
    return torch_losses.loss_module(name, reduction)
