"""The optimizer half of the PyTorch bridge: a torch.optim optimizer read as the problem
file's optimizer block (settings and state, torch's names), and built back.

Settings that choose an implementation (foreach, fused, capturable, differentiable) and a
scheduler's initial_lr do not change the formula and are not read. Parameters the
optimizer does not hold, or that do not require a gradient, are frozen.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.api.pytorch.model import array, fail, shown
from backprop_cli.engine.optimizers import DEFAULTS
from backprop_cli.errors import describe

CLASSES = {"SGD": "sgd", "Adagrad": "adagrad", "RMSprop": "rmsprop", "Adam": "adam",
           "AdamW": "adamw"}
TORCH_NAMES = {name: cls for cls, name in CLASSES.items()}
NOT_READ = ("params", "foreach", "fused", "capturable", "differentiable", "initial_lr",
            "decoupled_weight_decay")


def _plain(value):
    """A setting as a number, a bool or a tuple of numbers (tensors read as numbers)."""
    if hasattr(value, "item") and not isinstance(value, bool | int | float):
        value = value.item()
    if isinstance(value, tuple | list):
        return tuple(_plain(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    return value


def _settings(group: dict) -> dict:
    return {k: _plain(v) for k, v in group.items() if k not in NOT_READ}


def _name(optimizer) -> str:
    kind = type(optimizer)
    name = CLASSES.get(kind.__name__) if kind.__module__.startswith("torch.optim") else None
    if name is None:
        fail("optimizer", f"found {shown(optimizer)}, which backprop has no equivalent for; "
                          "expected torch.optim.SGD, Adagrad, RMSprop, Adam or AdamW")
    if name == "adam" and optimizer.param_groups[0].get("decoupled_weight_decay"):
        name = "adamw"  # Adam(decoupled_weight_decay=True) is AdamW
    return name


def read_settings(optimizer) -> dict:
    """The optimizer block without state: name, lr and the settings that are not the
    defaults. One setting for every parameter: param groups must agree."""
    name = _name(optimizer)
    groups = [_settings(g) for g in optimizer.param_groups]
    for i, other in enumerate(groups[1:], 1):
        for key in sorted(set(groups[0]) | set(other)):
            if other.get(key) != groups[0].get(key):
                fail(f"optimizer.param_groups[{i}].{key}",
                     f"found {other.get(key)!r}, expected {groups[0].get(key)!r} as in "
                     "param_groups[0]: backprop has one setting for every parameter")
    settings, defaults = groups[0], DEFAULTS[name]
    for key, value in settings.items():
        if key not in defaults:
            fail(f"optimizer.{key}", f"found {key} = {value!r}, which backprop's {name} has "
                                     "no equivalent for")
    block = {"name": name, "lr": settings["lr"]}
    for key, value in settings.items():
        if key != "lr" and value != defaults[key]:
            block[key] = list(value) if isinstance(value, tuple) else value
    return block


def held(optimizer, names: dict) -> set:
    """The backprop names of the parameters the optimizer holds (names: id -> name)."""
    found = set()
    for group in optimizer.param_groups:
        for p in group["params"]:
            if id(p) not in names:
                fail("optimizer", "found a parameter that is not the model's, expected the "
                                  "model's parameters only")
            found.add(names[id(p)])
    return found


def _entry(name: str, block: dict, pname: str, state: dict) -> dict:
    import torch

    entry = {}
    for key, value in state.items():
        if value is None:
            continue
        if key == "step":
            step = float(value.item() if torch.is_tensor(value) else value)
            if not step.is_integer():
                fail(f"optimizer.state.{pname}.step", f"found {step!r}, expected a count")
            entry[key] = int(step)
        elif torch.is_tensor(value):
            entry[key] = array(value).tolist()
        else:
            fail(f"optimizer.state.{pname}.{key}", f"found {describe(value)}, expected a tensor")
    init = block.get("initial_accumulator_value", 0.0)
    if name == "adagrad" and entry.get("step") == 0 and np.all(np.equal(entry["sum"], init)):
        return {}  # as torch.optim.Adagrad makes it: the same as no state
    return entry


def read_state(optimizer, block: dict, parameters: dict, trainable: set) -> dict:
    """The state of the trainable parameters, by name (frozen ones' is never used)."""
    state = {}
    for pname, p in parameters.items():
        if pname in trainable and p in optimizer.state:
            entry = _entry(block["name"], block, pname, optimizer.state[p])
            if entry:
                state[pname] = entry
    return state


def _step_tensor(step: int):
    import torch

    try:  # the dtype torch.optim keeps its step counts in
        from torch.optim.optimizer import _get_scalar_dtype

        dtype = _get_scalar_dtype()
    except ImportError:  # pragma: no cover - older or newer torch
        dtype = torch.float32
    return torch.tensor(float(step), dtype=dtype)


def build(problem, parameters: dict):
    """The problem's optimizer over its trainable parameters (torch.optim, foreach=False:
    the single-tensor code backprop mirrors), with its state; None when every parameter
    is frozen (torch.optim refuses an empty list)."""
    import torch

    trainable = [parameters[n] for n in problem.model.trainable_names()]
    if not trainable:
        return None
    hyper = {k: tuple(v) if isinstance(v, list | tuple) else v
             for k, v in problem.hyper.items()}
    optimizer = getattr(torch.optim, TORCH_NAMES[problem.optimizer])(trainable, foreach=False,
                                                                       **hyper)
    for pname, entry in problem.state.items():
        optimizer.state[parameters[pname]] = {
            k: _step_tensor(v) if k == "step" else torch.tensor(v, dtype=torch.float64)
            for k, v in entry.items()}
    return optimizer
