"""A problem written back: new parameters, the optimizer with its overrides, its state,
each weight-shaped array in the file's layout."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers import RECURRENT
from backprop_cli.engine.model import layer_of
from backprop_cli.problem.maps import kernel_in_file
from backprop_cli.problem.reader import PARAMETER_KEYS, Problem
from backprop_cli.problem.sequences import in_file


def in_file_layout(problem: Problem, name: str, value):
    """A parameter-shaped array as the file lays it out, as nested lists / floats."""
    if isinstance(value, np.ndarray):
        value = in_file_array(problem, name, value)
        return {g: v.tolist() for g, v in value.items()} if isinstance(value, dict) \
            else value.tolist()
    return value


def in_file_array(problem: Problem, name: str, value: np.ndarray):
    """A parameter-shaped array (the engine's: out_in, kernels (C_out, C_in, kH, kW), gates
    stacked in torch's order) as the file lays it out: its layout, its channel order, its
    gates by name (a mapping of arrays) or stacked in its order; an embedding's table as
    it is."""
    spec = problem.model.layers[layer_of(name) - 1]
    if spec.kind in RECURRENT:  # by gate, or stacked in the file's order
        return in_file(problem, name, value)
    if spec.kind == "embedding":  # a table of rows, whatever the layout
        return value
    if value.ndim == 2 and problem.layout == "in_out":
        return value.T
    if value.ndim == 4:  # a convolution's kernels
        return kernel_in_file(value, problem.channels)
    return value


def state_document(problem: Problem, state: dict) -> dict:
    return {p: {k: in_file_layout(problem, p, v) for k, v in s.items()} for p, s in state.items()}


def updated_document(problem: Problem, params: dict, state: dict,
                     running: dict | None = None) -> dict:
    """The problem file with new parameters, batch norm's running statistics, the
    optimizer (with overrides) and its state."""
    # Shallow copies: only the layers' parameters and the optimizer block change.
    doc = {k: v for k, v in problem.document.items() if k != "optimizer"}
    doc["layers"] = [dict(layer) for layer in doc["layers"]]
    for i, layer in enumerate(doc["layers"]):
        for key, short in PARAMETER_KEYS.items():
            if key in layer:
                name = f"{short}{i + 1}"
                layer[key] = in_file_layout(problem, name, params[name])
        for key in ("running_mean", "running_var"):
            if f"{key}{i + 1}" in (running or {}):
                layer[key] = running[f"{key}{i + 1}"].tolist()
    block = {"name": problem.optimizer, "lr": problem.hyper["lr"]}
    for key, value in problem.given.items():
        if key != "lr":
            block[key] = list(value) if isinstance(value, tuple) else value
    if state:
        block["state"] = state_document(problem, state)
    doc["optimizer"] = block
    return doc

