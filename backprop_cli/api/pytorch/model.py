"""The model half of the PyTorch bridge: an nn.Sequential read as backprop's layers (each
nn.Linear, or a kind's module, with the activation module after it), and a problem's
layers built back.

torch is imported inside the functions only: importing this module costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.errors import BackpropError, ProblemError, describe

NO_PARAMETERS = ("dropout", "maxpool2d", "avgpool2d", "flatten")
SOURCE = "<torch>"  # how errors and problems name what came from PyTorch
KNOWN = ("nn.Linear, nn.BatchNorm1d, nn.LayerNorm, nn.Dropout, nn.Conv2d, nn.MaxPool2d, "
         "nn.AvgPool2d, nn.Flatten, nn.Sigmoid, nn.Tanh, nn.ReLU, nn.LeakyReLU, nn.ELU, "
         "nn.Softplus (beta=1), nn.Softmax (dim=-1) or nn.Identity")


def fail(place: str | None, message: str):
    raise ProblemError(SOURCE, place, message)


def require_torch(what: str):
    """torch, or a BackpropError saying how to install it (it is never a dependency)."""
    try:
        import torch
    except ImportError:
        raise BackpropError(f"{what} needs PyTorch, which is not installed: pip install "
                            "torch (the CPU build is enough)") from None
    return torch


def shown(module) -> str:
    """How a message names a module, a loss or an optimizer: nn.ELU(alpha=0.5)."""
    kind = type(module)
    name = kind.__name__
    if kind.__module__.startswith("torch.nn"):
        name = "nn." + name
    elif kind.__module__.startswith("torch.optim"):
        name = "torch.optim." + name
    extra = module.extra_repr() if hasattr(module, "extra_repr") else ""
    return f"{name}({extra})" if extra and len(extra) <= 60 and "\n" not in extra else name


@dataclass(frozen=True)
class Layer:
    """One layer read from the model: its nn.Linear (or nn.BatchNorm1d, nn.LayerNorm,
    nn.Dropout, nn.Conv2d, nn.MaxPool2d, nn.AvgPool2d, nn.Flatten: the layer's kind) and
    the activation after it."""

    place: str  # where the core module is: model[0]
    core: object  # the nn.Linear, or the kind's module
    module: object | None = None  # the activation module, None: identity
    activation: str = "identity"
    param: float | None = None  # leaky_relu's slope, elu's alpha
    module_place: str | None = None
    kind: str = "dense"


def flatten(model, place: str = "model") -> list[tuple[str, object]]:
    """(place, module) of every module, nested nn.Sequentials opened, nn.Identity left out."""
    import torch.nn as nn

    if not isinstance(model, nn.Sequential) or type(model).forward is not nn.Sequential.forward:
        fail(place, f"found {shown(model)}, expected an nn.Sequential of {KNOWN}")
    found = []
    for i, module in enumerate(model):
        where = f"{place}[{i}]"
        if isinstance(module, nn.Sequential):
            found += flatten(module, where)
        elif type(module) is not nn.Identity:
            found.append((where, module))
    return found


def activation(module, place: str, x_rank: int) -> tuple[str, float | None] | None:
    """(backprop's name, its parameter) of an activation module; None if it is none."""
    import torch.nn as nn

    name = next((n for n, act in ACTIVATIONS.items()
                 if act.torch is not None and type(module) is getattr(nn, act.torch)), None)
    if name == "softplus" and module.beta != 1:
        fail(place, f"found {shown(module)}, expected beta=1: backprop's softplus is "
                    "log(1 + e^a)")
    if name == "softmax" and module.dim not in (-1, x_rank - 1):
        fail(place, f"found {shown(module)}, expected dim=-1: a softmax over each sample's "
                    "outputs")
    if name is None:
        return None
    param = ACTIVATIONS[name].torch_param
    return name, float(getattr(module, param)) if param else None


def read_layers(model, x_rank: int, modules: list | None = None) -> list[Layer]:
    """The model's layers, or a ProblemError naming the first module that has no
    backprop equivalent or is out of place; modules: (place, module) to read instead of
    the model's (a sequence model's layers after its recurrent one)."""
    import torch.nn as nn

    from backprop_cli.api.pytorch import maps
    from backprop_cli.api.pytorch.kinds import check, kind_of

    layers: list[Layer] = []
    cores: dict[int, str] = {}  # id -> place: a Linear (or a norm) used twice is refused
    for place, module in flatten(model) if modules is None else modules:
        kind = "dense" if type(module) is nn.Linear else kind_of(module)
        if kind is not None:
            maps.follow(layers, kind, module, place)
            if id(module) in cores:
                fail(place, f"found {shown(module)} again (it is {cores[id(module)]}), "
                            "expected each module once: backprop gives every layer its "
                            "own parameters, so tied ones have no equivalent")
            cores[id(module)] = place
            if kind != "dense":
                check(module, place)
            layers.append(Layer(place, module, kind=kind))
            continue
        if layers and layers[-1].kind in maps.WINDOWS and type(module) is nn.Softmax:
            fail(place, f"found {shown(module)} after feature maps ({layers[-1].place}), "
                        "expected it after rows: a softmax over each sample's outputs")
        found = activation(module, place, maps.rows_rank(layers, x_rank))
        if found is None:
            fail(place, f"found {shown(module)}, which backprop has no equivalent for; "
                        f"expected {KNOWN}")
        if not layers or layers[-1].module is not None:
            after = "the input" if not layers else shown(layers[-1].module)
            fail(place, f"found {shown(module)} right after {after}, expected each "
                        "activation to follow an nn.Linear, nn.BatchNorm1d, nn.LayerNorm or "
                        "nn.Dropout (a layer is one of them and its activation)")
        name, param = found
        layers[-1] = replace(layers[-1], module=module, module_place=place, activation=name,
                             param=param)
    if not layers:
        fail("model", f"found no layer, expected an nn.Sequential of {KNOWN}")
    _own_tensors(layers)
    return layers


def _own_tensors(layers: list[Layer]) -> None:
    """Two layers whose parameters share memory (one Parameter given to both, or views of
    one tensor) are tied: refused, as backprop would update them as two."""
    seen: list[tuple[int, int, str]] = []  # the memory each parameter spans
    for layer in layers:
        for key in ("weight", "bias"):
            p = getattr(layer.core, key, None)
            if p is None or not p.numel():
                continue
            where, start = f"{layer.place}.{key}", p.data_ptr()
            end = start + p.numel() * p.element_size()
            for first, last, other in seen:
                if start < last and first < end:
                    fail(where, f"found the tensor of {other} (tied weights), expected the "
                                "layer's own: backprop gives every layer its own weights")
            seen.append((start, end, where))


def array(value, place: str | None = None) -> np.ndarray:
    """A tensor (any float dtype, any device), an array or nested lists as float64;
    place names it in the error when it holds something else."""
    import torch

    if torch.is_tensor(value):
        return value.detach().to("cpu", torch.float64).numpy()
    try:
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(place, f"found {describe(value)}, expected a tensor, an array or lists of "
                    "numbers")


def layer_parameters(layer: Layer) -> dict:
    """A layer's parameters by their short names (W, b; gamma, beta), None where absent."""
    from backprop_cli.api.pytorch.kinds import params

    if layer.kind == "dense":
        return {"W": layer.core.weight, "b": layer.core.bias}
    return params(layer.core) if layer.kind not in NO_PARAMETERS else {}


def parameters(layers: list[Layer]) -> dict:
    """The model's parameters by backprop's names: W1, b1, gamma2, beta2, W3, ..."""
    return {f"{short}{l}": p for l, layer in enumerate(layers, 1)
            for short, p in layer_parameters(layer).items() if p is not None}


def shapes(layers: list[Layer], first) -> list:
    """What each layer takes and gives, from x's: a width n, or maps (C, H, W) (the map
    layers' checked as torch and backprop both take them, maps.outputs)."""
    from backprop_cli.api.pytorch import maps

    out = [first]
    for layer in layers:
        if layer.kind in maps.KINDS:
            out.append(maps.outputs(layer, out[-1]))
        else:
            out.append(layer.core.out_features if layer.kind == "dense" else out[-1])
    return out


def widths(layers: list[Layer], first) -> list[int]:
    """n_0, n_1, ..., n_L: a Linear's out_features, a map's C·H·W, a kind keeps its input's
    width; first: x's width, or its maps (C, H, W)."""
    return [int(np.prod(n)) for n in shapes(layers, first)]


def layer_documents(layers: list[Layer], frozen: set, x_shape: tuple, masks=False,
                    first=None) -> list[dict]:
    """The layers as a problem file writes them (out_in layout, torch's); masks as
    kinds.document takes them; x_shape: x's rows ((N, n) or (n,)), first: what the first
    layer takes (widths), its width or maps (C, H, W)."""
    from backprop_cli.api.pytorch import maps
    from backprop_cli.api.pytorch.kinds import document

    docs, n = [], widths(layers, x_shape[-1] if first is None else first)
    keys = {"W": "weights", "b": "bias", "gamma": "gamma", "beta": "beta"}
    for l, layer in enumerate(layers, 1):
        if layer.kind in maps.KINDS:
            doc = maps.document(layer)
        elif layer.kind == "dense":
            doc = {"weights": array(layer.core.weight).tolist()}
            if layer.core.bias is not None:
                doc["bias"] = array(layer.core.bias).tolist()
        else:
            doc = document(layer.core, layer.place, n[l - 1], masks, x_shape)
        doc["activation"] = layer.activation
        if layer.param is not None:
            doc["slope" if layer.activation == "leaky_relu" else "alpha"] = layer.param
        present = layer_parameters(layer)
        still = [keys[short] for short, p in present.items()
                 if f"{short}{l}" in frozen or (p is None and "gamma" in doc)]
        if still:
            doc["frozen"] = still
        docs.append(doc)
    return docs


def activation_module(name: str, param: float | None):
    import torch.nn as nn

    act = ACTIVATIONS[name]
    module = getattr(nn, act.torch)
    if name == "softmax":
        return module(dim=-1)
    return module(param) if act.torch_param else module()


def loaded(module, spec, l: int, problem):
    """nn.Linear or nn.Conv2d holding layer l's W_l (and b_l), frozen as the file says."""
    import torch

    with torch.no_grad():
        module.weight.copy_(torch.as_tensor(problem.params[f"W{l}"]))
        if spec.bias:
            module.bias.copy_(torch.as_tensor(problem.params[f"b{l}"]))
    module.weight.requires_grad_("weights" not in spec.frozen)
    if spec.bias:
        module.bias.requires_grad_("bias" not in spec.frozen)
    return module


def build(problem, logits: bool, first: int = 1):
    """The problem's network as an nn.Sequential in float64: each layer an nn.Linear (or
    its kind's module, kinds.module) and its activation module (none for identity, nor for
    the output when the loss takes logits); frozen parameters have requires_grad=False;
    first: the layer to start from (after a sequence model's recurrent layer)."""
    import torch
    import torch.nn as nn

    from backprop_cli.api.pytorch.kinds import module

    modules = []
    last = len(problem.model.layers)
    n = [problem.x.shape[1], *problem.model.widths(problem.params, problem.x.shape[1])]
    for l, spec in enumerate(problem.model.layers[first - 1:], first):
        if spec.kind != "dense":
            modules.append(module(spec, l, problem, n[l - 1]))
        else:
            W = problem.params[f"W{l}"]
            modules.append(loaded(nn.Linear(W.shape[1], W.shape[0], bias=spec.bias,
                                            dtype=torch.float64), spec, l, problem))
        if spec.activation != "identity" and not (logits and l == last):
            modules.append(activation_module(spec.activation, spec.param))
    return nn.Sequential(*modules)
