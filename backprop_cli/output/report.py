"""The JSON documents of contract section 4, built from engine results, and --get."""

from __future__ import annotations

import math

import numpy as np

from backprop_cli.engine import quantities
from backprop_cli.engine.model import Solution, Training, count_parameters
from backprop_cli.errors import NumericalError, PathError
from backprop_cli.problem.maps import written
from backprop_cli.problem.reader import Problem
from backprop_cli.problem.sequences import file_order, steps_written
from backprop_cli.problem.writer import in_file_layout, state_document

_NEGATIVE_ZERO = np.float64(-0.0).view(np.uint64)  # the bits of -0.0


def plain_zero(value):
    """value with every negative zero made 0.0 (JSON, YAML and --get print zeros as 0.0);
    every other number, bit for bit, as it is. Arrays, lists and tuples entry by entry.
    The test is on the bits: arithmetic (x + 0.0) or a comparison with 0 would also touch
    subnormals where the CPU flushes them to zero."""
    if isinstance(value, np.ndarray):
        if value.dtype != np.float64:
            return value
        return np.where(value.view(np.uint64) == _NEGATIVE_ZERO, 0.0, value)
    if isinstance(value, float):
        return 0.0 if np.float64(value).view(np.uint64) == _NEGATIVE_ZERO else value
    if isinstance(value, list | tuple):
        return [plain_zero(v) for v in value]
    return value


def _rows(problem: Problem, arr: np.ndarray):
    """An (N, k) per-sample array in the rank of x: one row per sample, or a vector."""
    arr = plain_zero(arr)
    return arr.tolist() if problem.batched else arr[0].tolist()


def _nulled(value):
    """A document's value with every number that is not finite as null: only
    gradients.h{L} may hold one (a saturated output), and JSON holds no inf."""
    if isinstance(value, list):
        return [_nulled(v) for v in value]
    return value if value is None or np.isfinite(value) else None


def optimizer_document(problem: Problem) -> dict:
    doc = {"name": problem.optimizer}
    for key, value in problem.hyper.items():
        doc[key] = plain_zero(value)  # a tuple (adam's betas) as a list
    return doc


def parameters_document(problem: Problem, params: dict) -> dict:
    return {n: in_file_layout(problem, n, plain_zero(params[n]))
            for n in problem.model.parameter_names()}


def _state_document(problem: Problem, state: dict) -> dict:
    return state_document(problem, {p: {k: plain_zero(v) for k, v in s.items()}
                                    for p, s in state.items()})


def gradient_arrays(grads, model) -> list[tuple[str, str, object, int]]:
    """(name, shape, array, layer) of every gradient in the document's order
    (engine/quantities.py: output to input, then the parameters)."""
    out = []
    for q in quantities.gradients(model):
        if q.layer and q.shape != "param" and quantities.stepped(model, q.layer):
            value = grads.inter[q.layer - 1][q.what] if grads.inter else None
            if q.what == "a" and value is not None:
                value = file_order(model, value, q.layer)
        elif q.what in ("h", "a"):
            value = (grads.h if q.what == "h" else grads.a)[q.layer - 1]
        elif q.what == "x":
            value = grads.x
        elif q.shape == "param":
            value = grads.params.get(q.name)
        else:  # a kind's intermediate: only where its backward gives one
            value = (grads.inter[q.layer - 1] or {}).get(q.what) if grads.inter else None
        if value is not None:
            out.append((q.name, q.shape, value, q.layer))
    return out


def shown(problem: Problem, shape: str, value, layer: int = 0):
    """A value as the document writes it, by its registry shape (and, for feature maps,
    the layer they belong to: 0 for x)."""
    if shape == "sample":
        return _rows(problem, value)
    if shape == "map":
        return plain_zero(written(problem, value, layer)).tolist()
    if shape == "steps":
        return plain_zero(steps_written(problem, value)).tolist()
    if shape == "per-sample":
        value = plain_zero(np.asarray(value))
        return value.tolist() if problem.batched else float(value[0])
    if shape == "feature":
        return plain_zero(np.asarray(value)).tolist()
    return plain_zero(float(value))


def forward_values(problem: Problem, fwd) -> dict:
    """forward.*: each layer's intermediates, a_l and h_l, by name."""
    out = {}
    for q in quantities.forward(problem.model):
        if quantities.stepped(problem.model, q.layer):
            value = fwd.caches[q.layer - 1][q.what]
            if q.what == "a":
                value = file_order(problem.model, value, q.layer)
        elif q.what in ("a", "h"):
            value = fwd.a[q.layer - 1] if q.what == "a" else fwd.h[q.layer]
        else:
            value = fwd.caches[q.layer - 1][q.what]
        out[q.name] = shown(problem, q.shape, value, q.layer)
    return out


def layer_values(model, fwd, l: int) -> tuple:
    """(a_l, h_l) as a solution shows them: a recurrent layer's at every step."""
    if quantities.stepped(model, l):  # a in the file's gate order, as documents show it
        cache = fwd.caches[l - 1]
        return file_order(model, cache["a"], l), cache["h"]
    return fwd.a[l - 1], fwd.h[l]


def _sum(name: str, arr: np.ndarray, rounded: int | None) -> float:
    """The exactly rounded sum of arr's entries; with textbook rounding (--round K) rounded
    to K decimals like every value it sums (5.4476, not 5.4475999999999996)."""
    try:
        total = math.fsum(arr.ravel().tolist())
    except OverflowError:  # finite entries whose sum is beyond float64
        raise NumericalError(f"the sum of {name} is not finite in float64") from None
    if rounded is not None:
        from backprop_cli.engine.rounding import round_half_away

        total = round_half_away(rounded)(total)
    return plain_zero(total)


def solve_document(problem: Problem, sol: Solution, rounded: int | None = None) -> dict:
    model, fwd, grads = problem.model, sol.forward, sol.gradients
    L = len(model.layers)
    doc: dict = {}
    if problem.title is not None:
        doc["title"] = problem.title
    if rounded is not None:
        doc["rounded"] = rounded  # every value was rounded to this many decimals
    doc["parameters"] = count_parameters(problem.params, model.parameter_names())
    doc["trainable"] = count_parameters(problem.params, model.trainable_names())
    forward = forward_values(problem, fwd)
    sums = {name: _sum(name, arr, rounded) for l in range(1, L + 1)
            for name, arr in zip((f"a{l}", f"h{l}"), layer_values(model, fwd, l))}
    doc["forward"], doc["sums"], doc["loss"] = forward, sums, plain_zero(fwd.loss)
    if model.penalty is not None:
        doc["loss_parts"] = _parts(*fwd.parts)
    doc["gradients"] = {
        name: in_file_layout(problem, name, plain_zero(arr)) if shape == "param" else
        shown(problem, shape, arr, l) if name != f"h{L}" else
        _nulled(shown(problem, shape, arr, l))
        for name, shape, arr, l in gradient_arrays(grads, model)}
    doc["update"] = {
        "optimizer": optimizer_document(problem),
        "parameters": parameters_document(problem, sol.update.params),
        "state": _state_document(problem, sol.update.state),
    }
    if sol.update.running:
        doc["update"]["running"] = _running_document(sol.update.running)
    doc["update"]["loss"] = plain_zero(sol.update.loss)
    if model.penalty is not None:
        doc["update"]["loss_parts"] = _parts(*sol.update.parts)
    return doc


def _parts(data: float, penalty: float) -> dict:
    """The objective's two parts: the data loss and the L2 penalty (their sum is loss)."""
    return {"data": plain_zero(data), "penalty": plain_zero(penalty)}


def _running_document(running: dict) -> dict:
    return {name: plain_zero(value).tolist() for name, value in running.items()}


def step_document(problem: Problem, run: Training) -> dict:
    return {
        "steps": len(run.losses) - 1,
        "optimizer": optimizer_document(problem),
        "losses": plain_zero(np.array(run.losses, dtype=np.float64)).tolist(),
        "parameters": parameters_document(problem, run.params),
        "state": _state_document(problem, run.state),
        **({"running": _running_document(run.running)} if run.running else {}),
    }


def csv_table(files: list[str], docs: list[dict]) -> str:
    """An answer key: one row per problem with the values quizzes ask for. Columns are
    named by their --get paths; problems of different depths get the union of columns."""
    import csv
    import io

    sums = []
    for doc in docs:
        sums += [k for k in doc["sums"] if k not in sums]
    sums.sort(key=lambda k: (int(k[1:]), k[0]))  # a1, h1, a2, h2, ...
    header = ["file", "parameters"] + [f"sums.{k}" for k in sums] + ["loss", "update.loss"]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    for name, doc in zip(files, docs, strict=True):
        writer.writerow([name, doc["parameters"]]
                        + [repr(doc["sums"][k]) if k in doc["sums"] else "" for k in sums]
                        + [repr(doc["loss"]), repr(doc["update"]["loss"])])
    return out.getvalue()


def get(doc, path: str):
    """The value at a dotted PATH ('update.parameters.W2.1.0')."""
    value = doc
    walked = []
    for key in path.split("."):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.lstrip("-").isdigit() and \
                -len(value) <= int(key) < len(value):
            value = value[int(key)]
        else:
            at = ".".join(walked) or "the document"
            if isinstance(value, dict):
                expected = "one of " + ", ".join(value)
            elif isinstance(value, list):
                expected = f"a position 0..{len(value) - 1}"
            else:
                expected = "nothing further: it is a single value"
            raise PathError(f"--get {path}: no {key!r} in {at}, expected {expected}")
        walked.append(key)
    return value


def format_value(value) -> str:
    """A float as its shortest round-trip repr, an int as an int, a string as it is (a
    title, a name), the rest compact JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    from backprop_cli.problem.documents import dump_compact_json

    return dump_compact_json(value)
