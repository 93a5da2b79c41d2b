"""A problem written back: new parameters, the optimizer with its overrides, its state,
each weight-shaped array in the file's layout."""

from __future__ import annotations

import numpy as np

from backprop_cli.problem.reader import Problem


def in_file_layout(problem: Problem, name: str, value):
    """A parameter-shaped array as the file lays it out, as nested lists / floats."""
    if isinstance(value, np.ndarray):
        if value.ndim == 2 and problem.layout == "in_out":
            value = value.T
        return value.tolist()
    return value


def state_document(problem: Problem, state: dict) -> dict:
    return {p: {k: in_file_layout(problem, p, v) for k, v in s.items()} for p, s in state.items()}


def updated_document(problem: Problem, params: dict, state: dict) -> dict:
    """The problem file with new parameters, the optimizer (with overrides) and its state."""
    # Shallow copies: only the layers' parameters and the optimizer block change.
    doc = {k: v for k, v in problem.document.items() if k != "optimizer"}
    doc["layers"] = [dict(layer) for layer in doc["layers"]]
    for i, layer in enumerate(doc["layers"]):
        layer["weights"] = in_file_layout(problem, f"W{i + 1}", params[f"W{i + 1}"])
        if "bias" in layer:
            layer["bias"] = in_file_layout(problem, f"b{i + 1}", params[f"b{i + 1}"])
    block = {"name": problem.optimizer, "lr": problem.hyper["lr"]}
    for key, value in problem.given.items():
        if key != "lr":
            block[key] = list(value) if isinstance(value, tuple) else value
    if state:
        block["state"] = state_document(problem, state)
    doc["optimizer"] = block
    return doc

