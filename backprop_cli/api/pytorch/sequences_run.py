"""bp.compare for a sequence model (sequences.py): one forward and backward pass and step
of a deep copy in torch, every quantity it forms by its --get path, against backprop.

torch never forms a recurrent layer's pre-activations or gates (its kernels keep them), so
what is compared is what it shows: the embedding's output h1, every step's h_t
(forward.h{k}, (N, T, H)), the dense layers' a and h, the loss; ∂L/∂h_t from the layers
above (gradients.hout{k}: torch's gradient of the module's output, zero before T), ∂L/∂x
(steps), the embedding's output's, every parameter's; after the step the parameters, the
optimizer's state and the loss. Below float64 compare takes rtol and atol: compare's
error bounds (bounds.py) do not reach through time. torch is imported inside functions.
"""

from __future__ import annotations

import copy

import numpy as np

from backprop_cli.api import comparison
from backprop_cli.api.functions import solve
from backprop_cli.api.pytorch import run as torch_run
from backprop_cli.api.pytorch import sequences
from backprop_cli.api.pytorch.model import array, fail
from backprop_cli.engine.model import layer_of


def _dtype(seq) -> str:
    """The one dtype of the model's parameters, each named by its place in the model."""
    named = [] if seq.embedding is None else [(f"{seq.embedding[0]}.weight",
                                               seq.embedding[1].weight)]
    place, rnn = seq.recurrent
    named += [(f"{place}.{attr}", getattr(rnn, attr, None)) for attr, _, _ in sequences.TENSORS]
    named += [(f"{layer.place}.{key}", getattr(layer.core, key))
              for layer in seq.tail for key in ("weight", "bias")]
    return torch_run.one_dtype(named)


def _inputs(seq, x, y, loss_fn):
    """(dtype, x, y) as torch takes them (token indices stay integers), checked."""
    import torch

    dtype = _dtype(seq)
    x, y = torch_run._tensor(x, getattr(torch, dtype)), torch_run._tensor(y, getattr(torch, dtype))
    if seq.embedding is None:
        torch_run._check_x(x, dtype)
    elif x.is_floating_point():
        fail("x", f"found dtype {str(x.dtype).removeprefix('torch.')}, expected integer token "
                  f"indices, as {seq.embedding[0]}, nn.Embedding, requires: x.long()")
    torch_run._check_y(y, dtype, loss_fn)
    return dtype, x, y


def _keep(seen: dict, name: str, first: bool = False):
    """A forward hook keeping a module's output (a recurrent module's output of every
    step, from its (output, h_n)) with its gradient."""
    def hook(module, inputs, output):
        out = output[0] if first else output
        if out.requires_grad:
            out.retain_grad()
        seen[name] = out
    return hook


def _passes(seq):
    """run._passes for a sequence model: (every quantity, the loss, whether the loss
    brings the output activation)."""
    def passes(problem, layers, parameters, model, x, y, loss_fn):
        seen, tail, k = {}, {}, seq.k
        handles = torch_run._forward_hooks(list(seq.tail), tail)
        handles.append(seq.recurrent[1].register_forward_hook(_keep(seen, "h", True)))
        if seq.embedding is not None:
            handles.append(seq.embedding[1].register_forward_hook(_keep(seen, "e")))
        loss = torch_run.forward_backward(handles, parameters, model, x, y, loss_fn)
        found, grads = {}, {}
        if seq.embedding is not None:
            found["forward.a1"] = found["forward.h1"] = seen["e"]
        found[f"forward.h{k}"] = seen["h"]
        brought = bool(seq.tail) and \
            seq.tail[-1].activation != problem.model.layers[-1].activation
        for j in range(1, len(seq.tail) + 1):
            a, l, out = tail[f"a{j}"], k + j, j == len(seq.tail) and brought
            h = torch_run._output(problem.model.loss, a.detach()) if out else \
                tail.get(f"h{j}", a)
            found[f"forward.a{l}"], found[f"forward.h{l}"] = a, h
            grads[l] = {f"gradients.h{l}": None if out else h.grad, f"gradients.a{l}": a.grad}
        found["loss"] = loss
        for l in sorted(grads, reverse=True):  # output to input, then the parameters
            found.update(grads[l])
        found[f"gradients.hout{k}"] = seen["h"].grad
        if seq.embedding is not None:
            found["gradients.h1"] = found["gradients.a1"] = seen["e"].grad
        if x.grad is not None:
            found["gradients.x"] = x.grad
        found.update({f"gradients.{n}": p.grad for n, p in
                      sorted(parameters.items(), key=lambda item: -layer_of(item[0]))})
        return found, loss, brought
    return passes


def _run(problem, model, x, y, loss_fn, optimizer) -> dict:
    """Every quantity torch computes, by its --get path, as float64 arrays (deep copies
    of the model, loss and optimizer)."""
    model, loss_fn, optimizer = copy.deepcopy((model, loss_fn, optimizer))
    seq = sequences.read_modules(model)
    parameters = sequences.parameters(seq)
    if x.is_floating_point():  # for ∂L/∂x
        x = x.detach().clone().requires_grad_(True)
    try:
        found = torch_run._steps(problem, [], parameters, model, x, y, loss_fn, optimizer, {},
                                 passes=_passes(seq))
    except (RuntimeError, TypeError, ValueError) as e:  # what the checks did not foresee
        fail(None, "torch could not run the model on these inputs: "
                   + (str(e).splitlines() or [type(e).__name__])[0])
    found.pop("brought")
    return {k: array(v) for k, v in found.items() if v is not None}


def compare(model, x, y, loss_fn, optimizer=None, *, rtol=None, atol=None):
    """bp.compare of a sequence model (comparison.compare calls it): a Comparison."""
    problem = sequences.read(model, x, y, loss_fn, optimizer)  # what has no equivalent first
    seq = sequences.read_modules(model)
    dtype, xt, yt = _inputs(seq, x, y, loss_fn)
    if xt is not x or yt is not y:  # lists or arrays: read as torch computes with them
        problem, x, y = sequences.read(model, xt, yt, loss_fn, optimizer), xt, yt
    if rtol is None and atol is None and dtype != "float64":
        fail(None, f"found a {dtype} model with a recurrent layer, expected rtol and atol: "
                   "the error bounds below float64 cover dense, convolution, pooling and "
                   "flatten layers only (or compare model.double())")
    found = _run(problem, model, x, y, loss_fn, optimizer)
    k = seq.k

    def exact(solution, path):  # every step of the embedding's and recurrent layer's h
        parts = path.split(".")
        if parts[0] == "forward" and int(parts[1][1:]) <= k:
            return np.asarray(solution.get(path), dtype=np.float64)
        return comparison._exact(solution, path)

    return comparison.judged(found, solve(problem), dtype, rtol, atol, exact=exact)
