"""Validation of a sequence exercise: x as T steps (or token indices for an embedding),
an optional embedding, the one recurrent layer (rnn, lstm, gru) with its gates written
stacked (in the file's `gates` order) or by name, the dense layers after it, and y for
the last step or for every step. Also the way back: the engine's arrays (gates stacked in
torch's order, out_in) in the file's form, and steps in the file's shape."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers import RECURRENT, SEQUENCES
from backprop_cli.errors import counted, describe
from backprop_cli.problem import layers as layer_checks
from backprop_cli.problem.checks import choice, fail, shape_text
from backprop_cli.problem.kinds import KIND_NAMES
from backprop_cli.problem.maps import array, rank_of
from backprop_cli.problem.sequences.gates import file_order, from_file, in_file
from backprop_cli.problem.sequences.layers import embedding, recurrent


def _kind(layer):
    return layer.get("kind", "dense") if isinstance(layer, dict) else None


# ---------------------------------------------------------------- x


def inputs(source, raw, layers: list):
    """(x rows (N, T·D) or token indices (N, T), batched, T, why)."""
    first = _kind(layers[0])
    rank = rank_of(raw)
    if first == "embedding":
        if rank not in (1, 2):
            fail(source, "x", f"found {_found(raw, rank)}, expected token indices for the "
                              "embedding: (N, T) for a batch, (T,) for one sample")
        arr = array(source, "x", "", raw, rank)
        at = np.argwhere(arr != np.round(arr))
        if at.size:
            fail(source, "x" + "".join(f"[{i}]" for i in at[0]),
                 f"found {float(arr[tuple(at[0])])!r}, expected a token index (a whole "
                 "number)")
        arr = arr if rank == 2 else arr[None]
        T = arr.shape[1]
        return arr, rank == 2, T, f"x has {counted(T, 'step')} of token indices"
    if rank not in (2, 3):
        fail(source, "x", f"found {_found(raw, rank)}, expected steps for the {first} layer: "
                          "(N, T, D) for a batch, (T, D) for one sample")
    arr = array(source, "x", "", raw, rank)
    arr = arr if rank == 3 else arr[None]
    N, T, D = arr.shape
    return arr.reshape(N, T * D), rank == 3, T, \
        f"x has {counted(T, 'step')} of {counted(D, 'feature')}"


def _found(raw, rank):
    return describe(raw) if rank == 0 else f"an array of rank {rank}"


# ---------------------------------------------------------------- layers


def walk(source, raw: list, layout: str, x, batched: bool, T: int, why: str):
    """(specs, parameters, the output's width, why, every: the output has T steps)."""
    specs, params = [], {}
    N = x.shape[0]
    width = None if _kind(raw[0]) == "embedding" else x.shape[1] // T
    every = True
    for i, layer in enumerate(raw):
        kind, l, base = _kind(layer), i + 1, f"layers[{i}]"
        recurrent_before = any(s.kind in RECURRENT for s in specs)
        if kind == "embedding":
            if i:
                fail(source, f"{base}.kind", "found embedding, expected it as layers[0] only: "
                                             "it reads x's token indices")
            spec, found = embedding(source, layer, x, T, batched)
            width = spec.settings.width
            why = f"layer 1 (embedding) gives {counted(T, 'step')} of {width}"
        elif kind in RECURRENT:
            if recurrent_before:
                fail(source, f"{base}.kind", f"found a second recurrent layer ({kind}), "
                                             "expected dense layers: a network here has one "
                                             "recurrent layer")
            if i and specs[-1].kind != "embedding":
                fail(source, f"{base}.kind", f"found {kind} after a {specs[-1].kind} layer, "
                                             "expected it first or right after the embedding")
            spec, found = recurrent(source, i, layer, layout, width, T, N, batched, why)
            width, every = spec.settings.hidden, spec.settings.output == "all"
            why = f"layer {l} ({kind}) gives " + (f"{counted(T, 'step')} of {width}" if every
                                                  else f"h_T of {counted(width, 'unit')}")
        else:
            if not recurrent_before:
                fail(source, f"{base}.kind", f"found {describe(kind)}, expected a recurrent "
                                             "layer (rnn, lstm or gru) after the embedding")
            if kind != "dense":
                fail(source, f"{base}.kind", f"found {kind}, expected dense: after "
                                             "a recurrent layer, dense layers (they act on "
                                             "every step with output: all)")
            if isinstance(layer, dict) and "residual" in layer:
                fail(source, f"{base}.residual", "found a residual, expected none: not in a "
                                                 "sequence exercise")
            spec, found, width = layer_checks.layer(source, i, layer, layout, width, why,
                                                    len(raw), N, batched)
            why = f"layer {l} has {counted(width, 'unit')}" + \
                (f" at each of {counted(T, 'step')}" if every else "")
        specs.append(spec)
        params.update(found)
    if not any(s.kind in RECURRENT for s in specs):
        fail(source, "layers", "found an embedding only, expected a recurrent layer (rnn, "
                               "lstm or gru) after it")
    return specs, params, width, why, every


# ---------------------------------------------------------------- y


def targets(source, raw, loss: str, N: int, T: int, batched: bool, K: int, why: str):
    """y for every step (output: all): (N·T, K) rows, sample-major. Written (N, T, K) or
    class indices (N, T); one sample (T, K) or (T,)."""
    ce = loss == "cross_entropy"
    rank = rank_of(raw)
    rows_rank, index_rank = (3, 2) if batched else (2, 1)
    shape = (N, T, K) if batched else (T, K)
    if rank == index_rank and ce:
        arr = array(source, "y", "", raw, rank)
        arr = arr if batched else arr[None]
        if arr.shape != (N, T):
            fail(source, "y", f"shape {shape_text(arr.shape if batched else arr.shape[1:])}"
                              f", expected {shape_text((N, T) if batched else (T,))}: one "
                              f"class index per step; {why}")
        bad = np.argwhere((arr != np.round(arr)) | (arr < 0) | (arr >= K))
        if bad.size:
            at = bad[0] if batched else bad[0][1:]
            fail(source, "y" + "".join(f"[{i}]" for i in at),
                 f"found {describe(raw[at[0]][at[1]] if batched else raw[at[0]])}, expected a"
                 f" class index, an integer 0..{K - 1}: {why}")
        y = np.zeros((N * T, K))
        y[np.arange(N * T), arr.ravel().astype(np.intp)] = 1.0
        return y
    if rank != rows_rank:
        also = f" or class indices {shape_text(shape[:-1])}" if ce else ""
        fail(source, "y", f"found {_found(raw, rank)}, expected one target per step: "
                          f"{shape_text(shape)}{also}; {why}")
    arr = array(source, "y", "", raw, rank)
    if arr.shape != shape:
        fail(source, "y", f"shape {shape_text(arr.shape)}, expected {shape_text(shape)}: "
                          f"one target per step; {why}")
    if loss == "bce" and ((arr < 0) | (arr > 1)).any():
        fail(source, "y", "found a target outside [0, 1], expected probabilities for bce")
    return arr.reshape(N * T, K)


def steps_written(problem, value: np.ndarray) -> np.ndarray:
    """Rows or (N, T, k) of T steps per sample, as (N, T, k); one sample (T, k)."""
    arr = value.reshape(problem.x.shape[0], problem.model.time, -1)
    return arr if problem.batched else arr[0]


def is_sequence(source, layers) -> bool:
    """The layers start with an embedding or a recurrent layer; a sequence kind further on
    (or a kind that does not exist) is refused here, before x is read."""
    for i, layer in enumerate(layers):
        if isinstance(layer, dict):
            choice(source, f"layers[{i}].kind", layer.get("kind", "dense"), KIND_NAMES,
                   "a layer kind")
    for i, layer in enumerate(layers[1:], 1):
        kind = _kind(layer)
        if kind in SEQUENCES and not (kind in RECURRENT and _kind(layers[0]) == "embedding"):
            if _kind(layers[0]) in SEQUENCES:
                break  # the walk names it (a second recurrent layer, a late embedding)
            fail(source, f"layers[{i}].kind", f"found {kind}, expected it as layers[0] (a "
                                              "recurrent layer may follow an embedding): it "
                                              "reads x's steps")
    return _kind(layers[0]) in SEQUENCES


__all__ = ["file_order", "from_file", "in_file", "inputs", "is_sequence", "steps_written",
           "targets", "walk"]
