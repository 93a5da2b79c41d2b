"""Validation of the optimizer block: its settings and the state `step` writes."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.layers import RECURRENT
from backprop_cli.engine.model import layer_of
from backprop_cli.errors import OptimizerError, describe
from backprop_cli.problem import documents, maps, sequences
from backprop_cli.problem.checks import choice, fail, matrix, shape_text, vector


def optimizer(source, block, model, params, layout, channels="first"):
    if block is None:
        block = {}
    if not isinstance(block, dict):
        fail(source, "optimizer", f"found {describe(block)}, expected a mapping like "
                                   "{name: sgd, lr: 1.0}")
    name = choice(source, "optimizer.name", block.get("name", "sgd"),
                   tuple(optimizers.DEFAULTS), "an optimizer")
    given = {k: v for k, v in block.items() if k not in ("name", "state")}
    try:
        hyper = optimizers.hyperparameters(name, given)
    except OptimizerError as e:
        fail(source, f"optimizer.{documents.key_text(e.key)}", str(e))
    state = _state(source, block.get("state"), name, hyper, model, params, layout, channels)
    return name, given, hyper, state


_SQUARES = ("sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq")  # never negative in torch


def _state(source, raw, name, hyper, model, params, layout, channels) -> dict:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        fail(source, "optimizer.state", f"found {describe(raw)}, expected a mapping by "
                                         "parameter name")
    trainable = model.trainable_names()
    keys = optimizers.state_keys(name, hyper)
    state = {}
    for pname, entry in raw.items():
        shown = documents.key_text(pname)
        base = f"optimizer.state.{shown}"
        if pname not in trainable:
            why = "it is frozen" if pname in params else "there is no such parameter"
            fail(source, base, f"found state for {shown}, expected state only for "
                                f"trainable parameters ({', '.join(trainable)}): {why}")
        if not isinstance(entry, dict) or set(entry) != set(keys):
            found = (", ".join(map(documents.key_text, entry)) if isinstance(entry, dict)
                     else describe(entry))
            wanted = ", ".join(keys) if keys else "no state (none is kept)"
            fail(source, base, f"found {found or 'nothing'}, expected {wanted} "
                                f"for {name} with these settings")
        shape = params[pname].shape
        s = {}
        for key, value in entry.items():
            if key == "step":
                # The optimizers compute with the step as a float (beta ** step): past 2**53
                # it is not a count float64 can hold, and past 2**1024 it is no float at all.
                if type(value) is not int or not 0 <= value <= 2**53:
                    found = (f"an integer of {len(str(value))} digits" if type(value) is int
                             and abs(value) > 10**20 else describe(value))
                    fail(source, f"{base}.step", f"found {found}, expected a whole number "
                                                  "from 0 to 2**53")
                s[key] = value
                continue
            arr = _array(source, f"{base}.{key}", value, model, pname, shape, layout,
                         channels)
            if key in _SQUARES and (arr < 0).any():
                at = tuple(int(v) for v in np.argwhere(arr < 0)[0])
                written = at[::-1] if layout == "in_out" and len(at) == 2 else at
                fail(source, f"{base}.{key}" + "".join(f"[{v}]" for v in written),
                      f"found {arr[at]}, expected a number >= 0: {key} is a sum or an average "
                      "of squares")
            s[key] = np.ascontiguousarray(arr)
        state[pname] = s
    return state


def _array(source, place, value, model, pname, shape, layout, channels) -> np.ndarray:
    """One state array as the file writes it (like its parameter) -> the engine's."""
    kind = model.layers[layer_of(pname) - 1].kind
    if kind in RECURRENT:  # by gate or stacked, as the layer is written
        arr = sequences.from_file(source, place, value, model, pname, layout)
    elif kind == "embedding":  # an embedding's table: rows whatever the layout
        arr = matrix(source, place, "", value)
    elif len(shape) == 4:  # a convolution's kernels, in the file's channel order
        arr = maps.array(source, place, "", value, 4)
        want = maps.kernel_in_file(shape, channels)
        if arr.shape != want:
            fail(source, place, f"shape {shape_text(arr.shape)}, expected "
                                f"{shape_text(want)} like {pname}")
        arr = arr if channels == "first" else arr.transpose(3, 2, 0, 1)
    elif len(shape) == 2:
        arr = matrix(source, place, "", value)
        arr = arr.T if layout == "in_out" else arr
    else:
        arr = vector(source, place, "", value)
    if arr.shape != shape:
        turned = layout == "in_out" and len(shape) == 2 and kind != "embedding"
        file_shape = shape[::-1] if turned else shape
        found = arr.shape[::-1] if turned else arr.shape
        fail(source, place, f"shape {shape_text(found)}, expected {shape_text(file_shape)} "
                            f"like {pname}")
    return arr
