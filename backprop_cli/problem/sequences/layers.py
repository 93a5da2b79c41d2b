"""The layers of a sequence exercise that are not dense: the embedding (x's token
indices must index its table) and the recurrent layer (rnn, lstm, gru: its weights by
gate or stacked, h0/c0, output, form, frozen)."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers.embedding import EmbeddingSpec
from backprop_cli.engine.layers.recurrent import (
    FORMS,
    GATES,
    OUTPUTS,
    UPDATES,
    RecurrentSpec,
)
from backprop_cli.engine.model import LayerSpec
from backprop_cli.errors import counted, describe
from backprop_cli.problem.checks import check_keys, choice, fail, frozen_list, shape_text
from backprop_cli.problem.maps import array, rank_of
from backprop_cli.problem.sequences.gates import PARAMETERS, WHAT, Gated

KEYS = {
    "embedding": ("kind", "table", "frozen"),
    "rnn": ("kind", "wx", "wh", "bias", "bias_h", "h0", "activation", "output", "frozen"),
    "lstm": ("kind", "wx", "wh", "bias", "bias_h", "h0", "c0", "output", "gates", "frozen"),
    "gru": ("kind", "wx", "wh", "bias", "bias_h", "h0", "output", "gates", "form", "update",
            "frozen"),
}


def _found(raw, rank):
    return describe(raw) if rank == 0 else f"an array of rank {rank}"


def embedding(source, layer, x, T, batched):
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


def recurrent(source, i, layer, layout, D, T, N, batched, why):
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
    read = Gated(source, base, l, kind, order, layout)
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
    gru = kind == "gru"
    form = choice(source, f"{base}.form", layer.get("form", "torch"), FORMS,
                  "where the reset gate acts: torch (on Wh_n h + bh_n) or cho (on h, before "
                  "Wh_n)") if gru else "torch"
    update = choice(source, f"{base}.update", layer.get("update", "old"), UPDATES,
                    "what z weighs: old (h′ = (1 − z) ⊙ n + z ⊙ h, torch's) or new (h′ = "
                    "(1 − z) ⊙ h + z ⊙ n)") if gru else "old"
    frozen = _frozen(source, base, layer, tuple(PARAMETERS))
    spec = RecurrentSpec(kind, T, D, H, owned, nonlinearity=nonlinearity, output=output,
                         form=form, update=update, h0=states.get("h0"), c0=states.get("c0"),
                         gates=order, named=read.named)
    return LayerSpec("identity", None, "bias" in layer, frozen, kind, spec), params


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


def _frozen(source, base, layer, keys) -> frozenset:
    """`frozen` of an embedding or a recurrent layer: any of its parameters' keys."""
    present = [k for k in keys if k in layer]
    return frozen_list(source, base, layer, keys, ", ".join(keys),
                       lambda item: None if item in layer else
                       f"found {item}, expected one the layer has: {', '.join(present)}")
