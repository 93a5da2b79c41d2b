"""A problem file, validated into float64 arrays, and written back after updates.

Every error names the file, the key path (counted from 0, as YAML lists are) with its
maths name, what was found and what was expected. Blame goes downstream: x fixes W1's
inputs, each layer's weights fix its bias and the next layer's inputs, the output width
fixes y.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from backprop_cli import documents, optimizers
from backprop_cli.checks import check_keys, choice, fail, is_num, matrix, shape_text, vector
from backprop_cli.engine import LayerSpec, Model
from backprop_cli.errors import ProblemError, describe
from backprop_cli.functions import ACTIVATIONS, LOSSES, REDUCTIONS

TOP_KEYS = ("title", "x", "y", "loss", "reduction", "layout", "layers", "optimizer")
LAYER_KEYS = ("weights", "bias", "activation", "slope", "alpha", "frozen")
LAYOUTS = ("out_in", "in_out")
FROZEN = ("weights", "bias")


@dataclass(frozen=True)
class Problem:
    source: str  # the path, or <stdin>
    document: dict  # the mapping as read, less parameters and optimizer: for writing back
    title: str | None
    x: np.ndarray  # (N, n_0)
    y: np.ndarray  # (N, n_L) targets; class indices become one-hot rows
    batched: bool  # x was a list of lists: outputs keep that rank
    layout: str
    model: Model
    params: dict  # W{l} (n_l, n_{l-1}) in out_in layout, b{l} (n_l,)
    optimizer: str
    given: dict  # the optimizer settings written in the file (lr included)
    hyper: dict  # every setting, defaults filled in
    state: dict  # optimizer state by parameter name, out_in layout

    def with_optimizer(self, name: str | None = None, lr: float | None = None) -> Problem:
        """Command-line overrides; another optimizer starts from its defaults, no state."""
        given, state = dict(self.given), self.state
        if name is not None and name != self.optimizer:
            given, state = {}, {}
        else:
            name = self.optimizer
        if lr is not None:
            given["lr"] = lr
        try:
            hyper = optimizers.hyperparameters(name, given)
        except optimizers.OptimizerError as e:
            raise ProblemError(self.source, f"--{e.key}" if e.key == "lr" else e.key,
                               str(e)) from None
        return replace(self, optimizer=name, given=given, hyper=hyper, state=state)


def load(path: str) -> Problem:
    """Read and validate a problem file; '-' is standard input."""
    label, doc = documents.load(path)
    return from_document(doc, label)


def from_document(doc, source: str) -> Problem:
    if not isinstance(doc, dict):
        fail(source, None, f"found {describe(doc)} at the top, expected a mapping of "
                            "x, y, loss, layers, ...")
    check_keys(source, "", doc, TOP_KEYS)
    for key in ("x", "y", "loss", "layers"):
        if key not in doc:
            fail(source, key, "missing, expected it at the top level")
    title = doc.get("title")
    if title is not None and not isinstance(title, str):
        fail(source, "title", f"found {describe(title)}, expected a string")
    if title and not title.isprintable():
        bad = next((c for c in title if unicodedata.category(c) == "Cc" and c not in "\n\t"),
                   None)
        if bad is not None:  # an escape sequence from a stranger's file must not reach a tty
            fail(source, "title", f"found the control character {bad!r}, expected printable "
                                   "text (new lines and tabs are fine)")
    loss = choice(source, "loss", doc["loss"], tuple(LOSSES), "a loss")
    reduction = choice(source, "reduction", doc.get("reduction", "mean"), REDUCTIONS,
                        "a reduction")
    layout = choice(source, "layout", doc.get("layout", "out_in"), LAYOUTS, "a layout")

    raw_x = doc["x"]
    batched = isinstance(raw_x, list) and bool(raw_x) and isinstance(raw_x[0], list)
    x = matrix(source, "x", "", raw_x) if batched else vector(source, "x", "", raw_x)[None, :]

    layers = doc["layers"]
    if not isinstance(layers, list) or not layers:
        fail(source, "layers", f"found {describe(layers)}, expected a list of layers, "
                                "input to output")
    specs, params = [], {}
    inputs, why = x.shape[1], f"x has {x.shape[1]} features"
    for i, layer in enumerate(layers):
        spec, W, b = _layer(source, i, layer, layout, inputs, why, len(layers))
        specs.append(spec)
        params[f"W{i + 1}"] = W
        if b is not None:
            params[f"b{i + 1}"] = b
        inputs, why = W.shape[0], f"layer {i + 1} has {W.shape[0]} units"

    out_activation = specs[-1].activation
    need = LOSSES[loss].output
    if need and out_activation != need:
        n = len(layers)
        fail(source, f"layers[{n - 1}].activation (h{n})",
              f"found {out_activation}, expected {need}: {loss} needs a {need} output")
    y = _targets(source, doc["y"], loss, x.shape[0], batched, inputs, why)
    model = Model(tuple(specs), loss, reduction)
    name, given, hyper, state = _optimizer(source, doc.get("optimizer"), model, params, layout)
    return Problem(source, _kept(doc), title, x, y, batched, layout, model, params, name,
                   given, hyper, state)


def _kept(doc: dict) -> dict:
    """What writing the file back needs of the document: everything but the parameters
    and the optimizer block, which are rewritten from arrays anyway (and, in a large
    problem, are most of its memory). Placeholders keep each layer's key order."""
    kept = {k: v for k, v in doc.items() if k != "optimizer"}
    kept["layers"] = [{k: (None if k in ("weights", "bias") else v) for k, v in layer.items()}
                      for layer in doc["layers"]]
    return kept


def _layer(source, i, layer, layout, inputs, why, depth):
    l = i + 1
    base = f"layers[{i}]"
    if not isinstance(layer, dict):
        fail(source, base, f"found {describe(layer)}, expected a mapping with weights, "
                            "bias, activation")
    check_keys(source, base, layer, LAYER_KEYS)
    for key in ("weights", "activation"):
        if key not in layer:
            fail(source, f"{base}.{key}", f"missing, expected it in layer {l}")
    activation = choice(source, f"{base}.activation (h{l})", layer["activation"],
                         tuple(ACTIVATIONS), "an activation")
    W = matrix(source, f"{base}.weights", f" (W{l})", layer["weights"])
    if layout == "in_out":
        W = W.T
    units = W.shape[0]
    if W.shape[1] != inputs:
        found = W.shape if layout == "out_in" else W.shape[::-1]
        expected = (units, inputs) if layout == "out_in" else (inputs, units)
        hint = ""
        bias = layer.get("bias")
        # Transposed weights fit x (or the layer before), and then a bias, if any, fits them.
        if W.shape[0] == inputs and (not isinstance(bias, list) or len(bias) == W.shape[1]):
            other = "in_out" if layout == "out_in" else "out_in"
            hint = f"; the weights look transposed: use layout: {other}"
            expected = (W.shape[1], inputs) if layout == "out_in" else (inputs, W.shape[1])
        fail(source, f"{base}.weights (W{l})",
              f"shape {shape_text(found)}, expected {shape_text(expected)}: {why}{hint}")
    b = None
    if "bias" in layer:
        b = vector(source, f"{base}.bias", f" (b{l})", layer["bias"])
        if b.shape != (units,):
            fail(source, f"{base}.bias (b{l})",
                 f"shape {shape_text(b.shape)}, expected {shape_text((units,))}: "
                 f"layer {l} has {units} units")
    param = None
    for key in ("slope", "alpha"):
        if key in layer:
            if ACTIVATIONS[activation].param != key:
                fail(source, f"{base}.{key}", f"found {key} on a {activation} layer, expected "
                                               f"it only with "
                                               + ("leaky_relu" if key == "slope" else "elu"))
            value = layer[key]
            if not is_num(value) or not math.isfinite(value):
                fail(source, f"{base}.{key}", f"found {describe(value)}, expected a number")
            param = float(value)
    frozen = layer.get("frozen", [])
    if isinstance(frozen, str):
        frozen = [frozen]
    if not isinstance(frozen, list):
        fail(source, f"{base}.frozen", f"found {describe(frozen)}, expected a list of "
                                        "weights and/or bias")
    for j, item in enumerate(frozen):
        choice(source, f"{base}.frozen[{j}]", item, FROZEN, "a parameter")
        if item == "bias" and b is None:
            fail(source, f"{base}.frozen[{j}]", f"found bias, expected weights only: "
                                                 f"layer {l} has no bias")
    spec = LayerSpec(activation, param, b is not None, frozenset(frozen))
    return spec, np.ascontiguousarray(W), b


def _is_index(v) -> bool:
    return type(v) is int


def _targets(source, raw, loss, n, batched, k, why) -> np.ndarray:
    """(n, k) float targets; class indices become one-hot rows."""
    ce = loss == "cross_entropy"
    if not batched and not isinstance(raw, list) and not _is_index(raw):
        expected = (f"a class index 0..{k - 1} or a target vector of {k} numbers" if ce
                    else f"a target vector of {k} numbers")
        fail(source, "y", f"found {describe(raw)}, expected {expected}: {why}")
    flat = isinstance(raw, list) and bool(raw) and not isinstance(raw[0], list)
    if batched and flat and not ce and not all(map(_is_index, raw)):
        fail(source, "y", f"found a list of {len(raw)} numbers, expected {n} target rows of "
                           f"{k} numbers: x is a batch of {n} (a list of rows), so y is too")
    if not batched and isinstance(raw, list) and raw and isinstance(raw[0], list):
        fail(source, "y", f"found a list of rows, expected one target vector of {k} numbers: "
                           "x is one sample (a batch writes x as a list of rows too)")
    indices = (not batched and not isinstance(raw, list)) or (batched and flat)
    if indices:
        idx = raw if batched else [raw]
        if not ce:
            fail(source, "y", f"found class indices, expected target vectors of {k} "
                               f"numbers: class indices need loss cross_entropy")
        if batched and len(idx) != n:
            hint = ""
            if k > 2 and len(idx) == k and all(map(_is_index, idx)) \
                    and sorted(idx) == [0] * (k - 1) + [1]:
                hint = ("; this looks like one one-hot vector: a batch needs one per sample, "
                        "as a list of rows")
            fail(source, "y", f"{len(idx)} class indices, expected {n}: x has {n} samples"
                               + hint)
        for j, c in enumerate(idx):
            where = f"y[{j}]" if batched else "y"
            if not _is_index(c) or not 0 <= c < k:
                fail(source, where, f"found {describe(c)}, expected a class index, an integer "
                                     f"0..{k - 1}: {why}")
        y = np.zeros((n, k))
        y[np.arange(n), idx] = 1.0
        return y
    if batched:
        y = matrix(source, "y", "", raw)
        if y.shape[0] != n:
            fail(source, "y", f"{y.shape[0]} rows, expected {n}: x has {n} samples")
    else:
        y = vector(source, "y", "", raw)[None, :]
    if y.shape[1] != k:
        found = y.shape if batched else y.shape[1:]
        expected = (n, k) if batched else (k,)
        hint = ""
        rows = raw if batched else [raw]
        if ce and y.shape[1] == 1 and all(_is_index(r[0]) and 0 <= r[0] < k for r in rows):
            written = [r[0] for r in rows] if batched else rows[0][0]
            hint = f"; for class indices write y: {written}"
        fail(source, "y",
             f"shape {shape_text(found)}, expected {shape_text(expected)}: {why}{hint}")
    if loss == "bce" and ((y < 0) | (y > 1)).any():
        fail(source, "y", "found a target outside [0, 1], expected probabilities for bce")
    return y


def _optimizer(source, block, model, params, layout):
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
    except optimizers.OptimizerError as e:
        fail(source, f"optimizer.{documents.key_text(e.key)}", str(e))
    state = _state(source, block.get("state"), name, hyper, model, params, layout)
    return name, given, hyper, state


_SQUARES = ("sum", "square_avg", "exp_avg_sq", "max_exp_avg_sq")  # never negative in torch


def _state(source, raw, name, hyper, model, params, layout) -> dict:
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
            if len(shape) == 2:
                arr = matrix(source, f"{base}.{key}", "", value)
                arr = arr.T if layout == "in_out" else arr
            else:
                arr = vector(source, f"{base}.{key}", "", value)
            if arr.shape != shape:
                file_shape = shape[::-1] if layout == "in_out" and len(shape) == 2 else shape
                found = arr.shape[::-1] if layout == "in_out" and len(shape) == 2 else arr.shape
                fail(source, f"{base}.{key}", f"shape {shape_text(found)}, expected "
                                               f"{shape_text(file_shape)} like {pname}")
            if key in _SQUARES and (arr < 0).any():
                at = tuple(int(v) for v in np.argwhere(arr < 0)[0])
                written = at[::-1] if layout == "in_out" and len(at) == 2 else at
                fail(source, f"{base}.{key}" + "".join(f"[{v}]" for v in written),
                      f"found {arr[at]}, expected a number >= 0: {key} is a sum or an average "
                      "of squares")
            s[key] = np.ascontiguousarray(arr)
        state[pname] = s
    return state


# --------------------------------------------------------------------- writing


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
