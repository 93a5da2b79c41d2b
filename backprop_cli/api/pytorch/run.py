"""The torch half of bp.compare: the inputs checked as torch would take them (with what to
change where torch would refuse them), and one forward and backward pass and step of a
deep copy of the model, every quantity collected by its --get path.

torch is imported inside the functions only.
"""

from __future__ import annotations

import copy

import numpy as np

from backprop_cli.api.pytorch import model as torch_model
from backprop_cli.api.pytorch.losses import backprop_loss_class
from backprop_cli.api.pytorch.maps import KINDS as MAPS
from backprop_cli.api.pytorch.model import fail


def _name(dtype) -> str:
    return str(dtype).removeprefix("torch.")


def model_dtype(layers) -> str:
    """The one dtype of the model's parameters ('float32', ...)."""
    return one_dtype((f"{layer.place}.{key}", getattr(layer.core, key, None))
                     for layer in layers for key in ("weight", "bias"))


def one_dtype(tensors) -> str:
    """The one dtype of (place, tensor or None) pairs, float64 if there are none."""
    first = None
    for place, p in tensors:
        if p is None:
            continue
        if first is None:
            first = (place, p.dtype)
        elif p.dtype != first[1]:
            fail(place, f"found dtype {_name(p.dtype)}, expected {_name(first[1])} like "
                        f"{first[0]}: torch computes a model in one dtype: model.to("
                        f"torch.{_name(first[1])})")
    return "float64" if first is None else _name(first[1])


def _tensor(value, dtype):
    import torch

    if torch.is_tensor(value):
        return value
    value = np.asarray(value)
    return torch.as_tensor(value, dtype=None if np.issubdtype(value.dtype, np.integer)
                           else dtype)


def _check_x(x, dtype: str) -> None:
    if _name(x.dtype) != dtype:
        fail("x", f"found dtype {_name(x.dtype)}, expected {dtype} like the model's "
                  f"parameters (torch does not mix them): x.to(torch.{dtype})"
                  + (f", or the model in {_name(x.dtype)}: model.to(torch.{_name(x.dtype)})"
                     if x.is_floating_point() else ""))


def _check_y(y, dtype: str, loss_fn) -> None:
    """What torch's losses refuse: class indices not int64, integer or other-dtype
    probabilities for BCE."""
    import torch.nn as nn

    kind, found = type(loss_fn), _name(y.dtype)
    if kind is nn.CrossEntropyLoss:
        if not y.is_floating_point() and found not in ("int64", "uint8"):
            fail("y", f"found {found} class indices, expected int64, as "
                      "nn.CrossEntropyLoss requires: y.long()")
        return
    bce = kind in (nn.BCELoss, nn.BCEWithLogitsLoss) or (
        kind is backprop_loss_class() and loss_fn.name == "bce")
    exact = kind is not nn.BCEWithLogitsLoss  # BCELoss: the dtype of the model's output
    if bce and (not y.is_floating_point() or (exact and found != dtype)):
        fail("y", f"found {found} targets, expected {dtype} probabilities, as "
                  f"{torch_model.shown(loss_fn)} requires: y.to(torch.{dtype})")


def inputs(layers, x, y, loss_fn):
    """(dtype, x, y) as torch takes them: lists and arrays made tensors in the model's
    dtype (class indices int64), tensors checked as torch would check them."""
    dtype = model_dtype(layers)
    import torch

    x, y = _tensor(x, getattr(torch, dtype)), _tensor(y, getattr(torch, dtype))
    _check_x(x, dtype)
    _check_y(y, dtype, loss_fn)
    return dtype, x, y


def unbounded(problem, model, dtype: str) -> str | None:
    """Why bounds.allowed does not bound this run in `dtype` (a ProblemError's message), or
    None: a layer it has no bound for (batch norm, layer norm, dropout), or a convolution
    torch may compute otherwise than by direct sums (bounds_maps.py): off the CPU (cuDNN:
    TF32 by default, Winograd, FFT), without oneDNN (NNPACK: Winograd, FFT), or with
    oneDNN's float32 convolutions in a lower precision."""
    import torch

    net = problem.model
    if net.penalty is not None or any(s.kind not in ("dense", *MAPS) or s.residual is not None
                                      for s in net.layers):
        what = "batch norm, layer norm or dropout"
    else:
        convs = [m for m in model.modules() if type(m) is torch.nn.Conv2d]
        mkldnn = torch.backends.mkldnn
        precision = getattr(getattr(mkldnn, "conv", None), "fp32_precision", "none")
        if any(conv.weight.device.type != "cpu" for conv in convs):
            what = "convolutions off the CPU (cuDNN may take TF32, Winograd or FFT)"
        elif convs and not (mkldnn.is_available() and mkldnn.enabled):
            what = "convolutions without oneDNN (NNPACK may take Winograd or FFT)"
        elif convs and precision not in ("none", "ieee"):
            what = f"oneDNN's float32 convolutions in {precision}"
        else:
            return None
    return (f"found a {dtype} model with {what}, expected rtol and atol: the error bounds "
            "below float64 cover dense, convolution, pooling and flatten layers on the CPU "
            "only (or compare model.double())")


def _forward_hooks(layers, seen: dict) -> list:
    """Hooks that keep each a_l and h_l (an activation module used twice gives its h's in
    the order of the calls)."""
    names: dict = {}
    for l, layer in enumerate(layers, 1):
        names.setdefault(layer.core, []).append(f"a{l}")
        if layer.module is not None:
            if hasattr(layer.module, "inplace"):
                layer.module.inplace = False  # a copy: a_l must survive its activation
            names.setdefault(layer.module, []).append(f"h{l}")

    def keep(queue):
        def hook(module, inputs, output):
            if output.requires_grad:
                output.retain_grad()
            seen[queue.pop(0)] = output
        return hook

    return [module.register_forward_hook(keep(list(queue))) for module, queue in names.items()]


def _output(loss: str, a):
    """h_L where the torch loss brings the output activation (it never forms h_L)."""
    import torch

    return torch.softmax(a, dim=-1) if loss == "cross_entropy" else torch.sigmoid(a)


def forward_backward(handles: list, parameters: dict, model, x, y, loss_fn):
    """The loss of one forward pass with the hooks `handles` (removed after it), its
    backward pass run (the parameters' gradients from None)."""
    for p in parameters.values():
        p.grad = None
    try:
        loss = loss_fn(model(x), y)
    finally:
        for handle in handles:
            handle.remove()
    if loss.requires_grad:
        loss.backward()
    return loss


def _passes(problem, layers, parameters, model, x, y, loss_fn) -> tuple[dict, object, bool]:
    """(every quantity of the forward and backward pass, the loss tensor, whether the
    loss brings the output activation)."""
    seen: dict = {}
    loss = forward_backward(_forward_hooks(layers, seen), parameters, model, x, y, loss_fn)
    found, grads, L = {}, {}, len(layers)
    brought = layers[-1].activation != problem.model.layers[-1].activation
    for l in range(1, L + 1):
        a = seen[f"a{l}"]
        out = l == L and brought
        h = _output(problem.model.loss, a.detach()) if out else seen.get(f"h{l}", a)
        found[f"forward.a{l}"], found[f"forward.h{l}"] = a, h
        grads[l] = {f"gradients.h{l}": None if out else h.grad, f"gradients.a{l}": a.grad}
    found["loss"] = loss
    for l in range(L, 0, -1):  # the JSON's order: output to input, then the parameters
        found.update(grads[l])
    if x.grad is not None:  # every solution shows ∂L/∂x (class-index inputs have none)
        found["gradients.x"] = x.grad
    found.update({f"gradients.{short}{l}": p.grad for l in range(L, 0, -1)
                  for short, p in torch_model.layer_parameters(layers[l - 1]).items()
                  if p is not None})
    return found, loss, brought


def run(problem, model, x, y, loss_fn, optimizer) -> tuple[dict, bool, dict]:
    """(every quantity torch computes, by its --get path, as float64 arrays; whether the
    torch loss takes logits; the masks its nn.Dropout layers in train mode drew, by
    place). The model, loss and optimizer are deep copies; torch's random state is left
    as it was."""
    import torch

    model, loss_fn, optimizer = copy.deepcopy((model, loss_fn, optimizer))
    layers = torch_model.read_layers(model, np.ndim(x))
    parameters = torch_model.parameters(layers)
    if x.is_floating_point():  # for ∂L/∂x
        x = x.detach().clone().requires_grad_(True)
    noises: dict = {}
    try:
        with torch.random.fork_rng(devices=[]):  # the caller's random state stays
            found = _steps(problem, layers, parameters, model, x, y, loss_fn, optimizer,
                           noises)
    except (RuntimeError, TypeError, ValueError) as e:  # what the checks did not foresee
        fail(None, "torch could not run the model on these inputs: "
                   + (str(e).splitlines() or [type(e).__name__])[0])
    brought = found.pop("brought")
    return ({k: torch_model.array(v) for k, v in found.items() if v is not None}, brought,
            {place: torch_model.array(n != 0) for place, n in noises.items()})


def _steps(problem, layers, parameters, model, x, y, loss_fn, optimizer, noises,
           passes=None) -> dict:
    """The forward and backward pass (passes: another model's, as _passes), the running
    statistics, the step and the loss after it (with the same dropout masks)."""
    import torch

    handles = dropout_hooks(layers, noises)
    try:
        found, loss, brought = (passes or _passes)(problem, layers, parameters, model, x, y,
                                                   loss_fn)
    finally:
        for handle in handles:
            handle.remove()
    found.update(running(layers), brought=brought)
    if optimizer is not None:
        optimizer.step()
        found.update({f"update.parameters.{n}": p for n, p in parameters.items()})
        for n in problem.model.trainable_names():
            for key, value in optimizer.state.get(parameters[n], {}).items():
                found[f"update.state.{n}.{key}"] = value
        handles = dropout_hooks(layers, noises)  # the same masks again, as backprop
        try:
            with torch.no_grad():
                found["update.loss"] = loss_fn(model(x), y)
        finally:
            for handle in handles:
                handle.remove()
    return found


def running(layers) -> dict:
    """Batch norm's running statistics after the forward pass (the step leaves them)."""
    found = {}
    for l, layer in enumerate(layers, 1):
        if layer.kind == "batchnorm" and layer.core.track_running_stats:
            # copies: the forward pass after the step moves them again
            found[f"update.running.running_mean{l}"] = layer.core.running_mean.clone()
            found[f"update.running.running_var{l}"] = layer.core.running_var.clone()
    return found


def dropout_hooks(layers, noises: dict) -> list:
    """Hooks on every nn.Dropout in train mode. Without its place in noises, the hook reads
    the noise (mask / keep) torch drew: it draws again from the random state the module
    started from (the same bits: torch's CPU dropout draws a Bernoulli tensor of the
    input's shape) and checks that input ⊙ noise is torch's output, bit for bit. With it,
    the module's output is input ⊙ that noise: the same mask again."""
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    handles = []
    for layer in layers:
        module, place = layer.core, layer.place
        if type(module) is not nn.Dropout or not module.training:
            continue
        module.inplace = False  # a copy: the input must survive to be compared
        states: list = []

        def before(module, inputs, states=states):
            states.append(torch.get_rng_state())

        def after(module, inputs, output, states=states, place=place):
            x = inputs[0]
            if place in noises:
                return x * noises[place]
            now = torch.get_rng_state()
            torch.set_rng_state(states.pop())
            noise = F.dropout(torch.ones_like(x.detach()), module.p, True)
            torch.set_rng_state(now)
            if not torch.equal((x * noise).detach(), output.detach()):
                fail(place, "found a mask bp.compare could not read from torch's forward "
                            "pass, expected nn.Dropout's own")
            noises[place] = noise
            return None

        handles += [module.register_forward_pre_hook(before),
                    module.register_forward_hook(after)]
    return handles
