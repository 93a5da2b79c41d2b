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
from backprop_cli.api.pytorch import model as torch_model
from backprop_cli.api.pytorch import optim as torch_optim
from backprop_cli.api.pytorch.model import SOURCE, array, fail, require_torch
from backprop_cli.engine.model import dense_only
from backprop_cli.problem import reader
from backprop_cli.problem.reader import Problem


class TorchProblem(NamedTuple):
    """A problem in PyTorch, in from_torch's and compare's order (bp.compare(*t) works):
    model(x) is the network's output (logits for cross_entropy), loss_fn(model(x), y)
    its loss, optimizer (None when every parameter is frozen) its optimizer."""

    model: object  # torch.nn.Sequential, float64
    x: object  # torch.Tensor: (N, n_0), or (n_0,) for one sample
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
    Identity), each Linear its own (tied weights are refused); a parameter with
    requires_grad=False, or one the optimizer does not hold, is frozen. loss_fn:
    nn.CrossEntropyLoss (the model ends in logits), nn.MSELoss, nn.BCELoss (after
    nn.Sigmoid), nn.BCEWithLogitsLoss, or bp.torch_loss(...); reduction mean or sum.
    optimizer: torch.optim SGD, Adagrad, RMSprop, Adam or AdamW with its settings and
    current state (None: sgd with lr 1.0, the problem file's default)."""
    nn = require_torch("bp.from_torch").nn
    try:  # the model first: a conv net is named for its first module, not for x's shape
        rank = np.ndim(x)
    except (TypeError, ValueError):  # ragged lists: _inputs names them
        rank = 2
    layers = torch_model.read_layers(model, rank)
    x = _inputs(x)
    outputs = layers[-1].linear.out_features
    targets, indices = _targets(y, type(loss_fn) is nn.CrossEntropyLoss)
    loss, reduction, output = torch_losses.read_loss(loss_fn, layers[-1], outputs, indices)
    if output is not None:  # the loss's own softmax or sigmoid
        layers[-1] = replace(layers[-1], activation=output)
    parameters = torch_model.parameters(layers)
    trainable = {n for n, p in parameters.items() if p.requires_grad}
    block = {}
    if optimizer is not None:
        block = torch_optim.read_settings(optimizer)
        trainable &= torch_optim.held(optimizer, {id(p): n for n, p in parameters.items()})
        state = torch_optim.read_state(optimizer, block, parameters, trainable)
        if state:
            block["state"] = state
    doc = {} if title is None else {"title": title}
    doc.update(x=x.tolist(), y=targets, loss=loss, reduction=reduction,
               layers=torch_model.layer_documents(layers, set(parameters) - trainable))
    if block:
        doc["optimizer"] = block
    return reader.from_document(doc, SOURCE)


def to_torch(problem) -> TorchProblem:
    """The problem built in PyTorch (float64): from_torch of the result is the problem
    again, and torch's forward pass, gradients and step are backprop's."""
    torch = require_torch("bp.to_torch")

    problem = load(problem)
    dense_only(problem.model, "bp.to_torch", problem.source)
    net = problem.model
    logits = net.loss == "cross_entropy"
    model = torch_model.build(problem, logits)
    outputs = problem.y.shape[1]
    loss_fn = torch_losses.loss_module(net.loss, net.reduction, outputs)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    parameters = {}
    for l, linear in enumerate(linears, 1):
        parameters[f"W{l}"] = linear.weight
        if linear.bias is not None:
            parameters[f"b{l}"] = linear.bias
    optimizer = torch_optim.build(problem, parameters)
    x = torch.tensor(problem.x if problem.batched else problem.x[0])
    raw_y, raw_x = problem.document["y"], problem.document["x"]
    if logits and np.ndim(raw_y) < np.ndim(raw_x):  # class indices, as the file has them
        y = torch.tensor(np.argmax(problem.y, axis=1), dtype=torch.int64)
        y = y if problem.batched else y[0]
    else:
        y = torch.tensor(problem.y if problem.batched else problem.y[0])
    return TorchProblem(model, x, y, loss_fn, optimizer)


def torch_loss(name: str, reduction: str = "mean"):
    """backprop's loss `name` (cross_entropy, mse, sse_half, bce) with `reduction` as a
    torch module: torch's own where one is equal (nn.CrossEntropyLoss takes logits), else a
    BackpropLoss (sse_half; mse and bce with reduction sum, torch's sum / outputs)."""
    require_torch("bp.torch_loss")
    return torch_losses.loss_module(name, reduction)
