"""Validation of a sequence exercise: x as T steps (or token indices for an embedding),
an optional embedding, the one recurrent layer (rnn, lstm, gru) with its gates written
stacked (in the file's `gates` order) or by name, the dense layers after it, and y for
the last step or for every step. Also the way back: the engine's arrays (gates stacked in
torch's order, out_in) in the file's form, and steps in the file's shape."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers import RECURRENT, SEQUENCES
from backprop_cli.engine.layers.embedding import EmbeddingSpec
from backprop_cli.engine.layers.recurrent import FORMS, GATES, OUTPUTS, RecurrentSpec
from backprop_cli.engine.model import LayerSpec, layer_of
from backprop_cli.errors import counted, describe
from backprop_cli.problem import layers as layer_checks
from backprop_cli.problem.checks import check_keys, choice, fail, shape_text
from backprop_cli.problem.maps import array, rank_of

KEYS = {
    "embedding": ("kind", "table", "frozen"),
    "rnn": ("kind", "wx", "wh", "bias", "bias_h", "h0", "activation", "output", "frozen"),
    "lstm": ("kind", "wx", "wh", "bias", "bias_h", "h0", "c0", "output", "gates", "frozen"),
    "gru": ("kind", "wx", "wh", "bias", "bias_h", "h0", "output", "gates", "form", "frozen"),
}
# file key -> the engine's short name (layer l's parameter is short + l)
PARAMETERS = {"wx": "Wx", "wh": "Wh", "bias": "b", "bias_h": "bh"}
WHAT = {"wx": "input weights", "wh": "hidden weights", "bias": "bias", "bias_h": "hidden bias"}


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
                 f"found {arr[tuple(at[0])]!r}, expected a token index (a whole number)")
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
            spec, found = _embedding(source, layer, x, T, batched)
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
            spec, found = _recurrent(source, i, layer, layout, width, T, N, batched, why)
            width, every = spec.settings.hidden, spec.settings.output == "all"
            why = f"layer {l} ({kind}) gives " + (f"{counted(T, 'step')} of {width}" if every
                                                  else f"h_T of {counted(width, 'unit')}")
        else:
            if not recurrent_before:
                fail(source, f"{base}.kind", f"found {describe(kind)}, expected a recurrent "
                                             "layer (rnn, lstm or gru) after the embedding")
            if kind != "dense":
                fail(source, f"{base}.kind", f"found {describe(kind)}, expected dense: after "
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


def _embedding(source, layer, x, T, batched):
    check_keys(source, "layers[0]", layer, KEYS["embedding"])
    if "table" not in layer:
        fail(source, "layers[0].table", "missing, expected the embedding table (E1): one "
                                        "row per token")
    if rank_of(layer["table"]) != 2:
        fail(source, "layers[0].table (E1)", f"found {describe(layer['table'])}, expected "
                                             "a list of rows: one vector per token")
    E = array(source, "layers[0].table", " (E1)", layer["table"], 2)
    V = E.shape[0]
    bad = np.argwhere((x < 0) | (x >= V))
    if bad.size:
        at = bad[0] if batched else bad[0][1:]
        fail(source, "x" + "".join(f"[{i}]" for i in at),
             f"found {int(x[tuple(bad[0])])}, expected a token index 0..{V - 1}: layers[0]."
             f"table (E1) has {counted(V, 'row')}")
    frozen = _frozen(source, "layers[0]", layer, ("table",))
    spec = EmbeddingSpec(T, V, E.shape[1])
    return LayerSpec("identity", None, False, frozen, "embedding", spec), {"E1": E}


def _recurrent(source, i, layer, layout, D, T, N, batched, why):
    l, base = i + 1, f"layers[{i}]"
    kind = layer["kind"]
    check_keys(source, base, layer, KEYS[kind])
    for key in ("wx", "wh"):
        if key not in layer:
            fail(source, f"{base}.{key}", f"missing, expected the {WHAT[key]} "
                                          f"({PARAMETERS[key]}{l})")
    order = GATES[kind]
    if "gates" in layer:
        order = layer["gates"]
        if not isinstance(order, str) or sorted(order) != sorted(GATES[kind]):
            fail(source, f"{base}.gates", f"found {describe(order)}, expected the order of "
                                          f"the stacked gates: the letters "
                                          f"{', '.join(GATES[kind])} in some order, such as "
                                          f"{GATES[kind]} (torch's)"
                                          + (" or ifog (CS231n's)" if kind == "lstm" else ""))
    read = _Gated(source, base, l, kind, order, layout)
    Wx = read("wx", layer["wx"], D, why)
    H = Wx.shape[0] // len(order)
    Wh = read("wh", layer["wh"], H, f"the layer has {counted(H, 'hidden unit')}")
    params = {f"Wx{l}": Wx, f"Wh{l}": Wh}
    for key in ("bias", "bias_h"):
        if key in layer:
            params[f"{PARAMETERS[key]}{l}"] = read(key, layer[key], None,
                                                   f"the layer has {counted(H, 'hidden unit')}")
    owned = tuple(PARAMETERS[k] for k in ("wx", "wh", "bias", "bias_h")
                  if k in ("wx", "wh") or k in layer)
    states = {key: _state(source, f"{base}.{key}", layer[key], H, N, batched)
              for key in ("h0", "c0") if key in layer}
    nonlinearity = choice(source, f"{base}.activation", layer.get("activation", "tanh"),
                          ("tanh", "relu"), "the rnn's nonlinearity") if kind == "rnn" \
        else "tanh"
    output = choice(source, f"{base}.output", layer.get("output", "last"), OUTPUTS,
                    "which steps the next layer sees")
    form = choice(source, f"{base}.form", layer.get("form", "torch"), FORMS, "a GRU form") \
        if kind == "gru" else "torch"
    frozen = _frozen(source, base, layer, tuple(k for k in PARAMETERS if k in layer))
    spec = RecurrentSpec(kind, T, D, H, owned, nonlinearity, output, form,
                         states.get("h0"), states.get("c0"), order, read.named)
    return LayerSpec("identity", None, "bias" in layer, frozen, kind, spec), params


class _Gated:
    """Reads a recurrent parameter as the file writes it (stacked in `order`, or a mapping
    by gate name; in the file's layout) into the engine's array: stacked in torch's
    order, out_in. Remembers whether the file named the gates."""

    def __init__(self, source, base, l, kind, order, layout):
        self.source, self.base, self.l, self.kind = source, base, l, kind
        self.order, self.layout = order, layout
        self.named = False
        self.H = None  # the hidden width, fixed by the first array read

    def __call__(self, key, raw, cols, why, place=None):
        """cols: the columns (D or H), None for a bias; place: where it is written (the
        layer's key by default)."""
        name = f"{PARAMETERS[key]}{self.l}"
        place = place or f"{self.base}.{key}"
        if isinstance(raw, dict):
            if self.kind == "rnn":
                fail(self.source, f"{place} ({name})", "found a mapping by gate, expected "
                                                        "one array: an rnn has no gates")
            self.named = True
            check_keys(self.source, place, raw, tuple(GATES[self.kind]))
            blocks = []
            for g in GATES[self.kind]:
                if g not in raw:
                    fail(self.source, f"{place}.{g}", f"missing, expected the {g} gate's "
                                                      f"{WHAT[key]} ({name})")
                blocks.append(self._one(f"{place}.{g}", f" ({name})", raw[g], cols, 1, why))
            return np.ascontiguousarray(np.concatenate(blocks))
        G = len(self.order)
        arr = self._one(place, f" ({name})", raw, cols, G, why)
        H = arr.shape[0] // G
        blocks = {g: arr[k * H:(k + 1) * H] for k, g in enumerate(self.order)}
        return np.ascontiguousarray(np.concatenate([blocks[g] for g in GATES[self.kind]]))

    def _text(self, shape):
        return shape_text(shape[::-1] if self.layout == "in_out" and len(shape) == 2
                          else shape)

    def _one(self, place, label, raw, cols, G, why):
        """One array of G gates' rows: (G·H, cols) in the file's layout, or (G·H,) when
        cols is None. The first one read (wx) fixes H."""
        rank = 1 if cols is None else 2
        if rank_of(raw) != rank:
            fail(self.source, f"{place}{label}", f"found {describe(raw)}, expected "
                                                 + ("a list of numbers" if rank == 1 else
                                                    "a list of rows"))
        arr = array(self.source, place, label, raw, rank)
        if rank == 2 and self.layout == "in_out":
            arr = arr.T
        gates = f"{G} gates ({self.order}) of H rows each" if G > 1 else "H rows"
        if self.H is None:
            if arr.shape[0] % G:
                fail(self.source, f"{place}{label}",
                     f"shape {self._text(arr.shape)}, expected {gates}: "
                     f"{arr.shape[0]} rows is not a multiple of {G}")
            self.H = arr.shape[0] // G
        want = (G * self.H,) if cols is None else (G * self.H, cols)
        if arr.shape != want:
            fail(self.source, f"{place}{label}", f"shape {self._text(arr.shape)}, expected "
                                                 f"{self._text(want)} ({gates}): {why}")
        return arr


def _state(source, place, raw, H, N, batched):
    """h0 or c0: (H,) for every sample, or (N, H) one row per sample."""
    rank = rank_of(raw)
    if rank not in (1, 2) or (rank == 2 and not batched):
        want = f"({H},)" + (f" or ({N}, {H})" if batched else "")
        fail(source, place, f"found {_found(raw, rank)}, expected {want}: the layer has "
                            f"{counted(H, 'hidden unit')}")
    arr = array(source, place, "", raw, rank)
    want = (H,) if rank == 1 else (N, H)
    if arr.shape != want:
        fail(source, place, f"shape {shape_text(arr.shape)}, expected {shape_text(want)}: "
                            f"the layer has {counted(H, 'hidden unit')}"
                            + (f", x {counted(N, 'sample')}" if rank == 2 else ""))
    return arr


def _frozen(source, base, layer, allowed) -> frozenset:
    frozen = layer.get("frozen", [])
    frozen = [frozen] if isinstance(frozen, str) else frozen
    if not isinstance(frozen, list):
        fail(source, f"{base}.frozen", f"found {describe(frozen)}, expected a list of "
                                        + ", ".join(allowed))
    for j, item in enumerate(frozen):
        choice(source, f"{base}.frozen[{j}]", item, allowed, "a parameter of the layer")
    return frozenset(frozen)


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


# ---------------------------------------------------------------- the way back


def steps_written(problem, value: np.ndarray) -> np.ndarray:
    """Rows or (N, T, k) of T steps per sample, as (N, T, k); one sample (T, k)."""
    arr = value.reshape(problem.x.shape[0], problem.model.time, -1)
    return arr if problem.batched else arr[0]


def file_order(model, value: np.ndarray, l: int) -> np.ndarray:
    """A recurrent layer's stacked a_l (..., G·H) from torch's gate order into the file's
    `gates` order (torch's when the file names the gates)."""
    s = model.layers[l - 1].settings
    order = GATES[s.cell]
    if s.named or s.gates == order:
        return value
    H = s.hidden
    return np.concatenate([value[..., order.index(g) * H:(order.index(g) + 1) * H]
                           for g in s.gates], axis=-1)


def in_file(problem, name: str, value: np.ndarray):
    """A recurrent layer's parameter (or its gradient or state), stacked in torch's order,
    as the file writes it: a mapping by gate, or stacked in its order; in its layout."""
    l = layer_of(name)
    s = problem.model.layers[l - 1].settings
    order, H = GATES[s.cell], s.hidden
    blocks = {g: value[k * H:(k + 1) * H] for k, g in enumerate(order)}
    turn = (lambda a: a.T) if problem.layout == "in_out" else (lambda a: a)
    if s.named:
        return {g: turn(blocks[g]).tolist() for g in order}
    return turn(np.concatenate([blocks[g] for g in s.gates])).tolist()


def from_file(source, place, raw, model, name: str, layout: str) -> np.ndarray:
    """in_file's inverse for optimizer state written at `place`: the engine's array."""
    l = layer_of(name)
    s = model.layers[l - 1].settings
    key = {v: k for k, v in PARAMETERS.items()}[name[:-len(str(l))]]
    read = _Gated(source, f"layers[{l - 1}]", l, s.cell, s.gates, layout)
    read.H = s.hidden
    cols = None if key in ("bias", "bias_h") else (s.inputs if key == "wx" else s.hidden)
    return read(key, raw, cols, f"the shape of {name}", place)


def is_sequence(layers) -> bool:
    return bool(layers) and _kind(layers[0]) in SEQUENCES
