"""A recurrent layer's parameters as a file writes them (stacked in its `gates` order, or
a mapping by gate name; in its layout) and as the engine holds them (stacked in torch's
order, out_in): the reader, and the way back for documents and written files."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.engine.model import layer_of
from backprop_cli.errors import counted, describe
from backprop_cli.problem.checks import check_keys, fail, shape_text
from backprop_cli.problem.maps import array, rank_of

# file key -> the engine's short name (layer l's parameter is short + l)
PARAMETERS = {"wx": "Wx", "wh": "Wh", "bias": "b", "bias_h": "bh"}
WHAT = {"wx": "input weights", "wh": "hidden weights", "bias": "bias", "bias_h": "hidden bias"}


class Gated:
    """Reads a recurrent parameter as the file writes it (stacked in `order`, or a mapping
    by gate name; in the file's layout) into the engine's array: stacked in torch's
    order, out_in. Remembers whether the file named the gates."""

    def __init__(self, source, base, l, kind, order, layout):
        self.source, self.base, self.l, self.kind = source, base, l, kind
        self.order, self.layout = order, layout
        self.named = False
        self.H = None  # the hidden width, fixed by the first array read
        self.fixed_by = None  # where: a later mismatch within that parameter names it

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
            if self.kind == "lstm" and "c" in raw and "g" not in raw:
                fail(self.source, f"{place}.c", "found c, expected g: the cell candidate is "
                                                "g here (torch's name; Keras and "
                                                "deeplearning.ai call it c)")
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
        if self.H is None:
            if arr.shape[0] % G:
                fail(self.source, f"{place}{label}",
                     f"shape {self._text(arr.shape)}, expected {G} gates ({self.order}) of "
                     f"H rows each: {counted(arr.shape[0], 'row')} is not a multiple of "
                     f"{G}")
            self.H, self.fixed_by = arr.shape[0] // G, place
        want = (G * self.H,) if cols is None else (G * self.H, cols)
        if arr.shape != want:
            like = self.fixed_by if self.fixed_by and cols == arr.shape[-1] and \
                self.fixed_by.rsplit(".", 1)[0] == place.rsplit(".", 1)[0] else None
            gates = f" ({G} gates ({self.order}) of H = {self.H} rows each)" if G > 1 else ""
            fail(self.source, f"{place}{label}", f"shape {self._text(arr.shape)}, expected "
                                                 f"{self._text(want)}{gates}"
                                                 + (f" like {like}" if like else f": {why}"))
        return arr


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
    as the file writes it: a mapping of arrays by gate, or stacked in its order; in its
    layout."""
    l = layer_of(name)
    s = problem.model.layers[l - 1].settings
    order, H = GATES[s.cell], s.hidden
    blocks = {g: value[k * H:(k + 1) * H] for k, g in enumerate(order)}
    turn = (lambda a: a.T) if problem.layout == "in_out" else (lambda a: a)
    if s.named:
        return {g: turn(blocks[g]) for g in order}
    return turn(np.concatenate([blocks[g] for g in s.gates]))


def from_file(source, place, raw, model, name: str, layout: str) -> np.ndarray:
    """in_file's inverse for optimizer state written at `place`: the engine's array."""
    l = layer_of(name)
    s = model.layers[l - 1].settings
    key = {v: k for k, v in PARAMETERS.items()}[name[:-len(str(l))]]
    read = Gated(source, f"layers[{l - 1}]", l, s.cell, s.gates, layout)
    read.H = s.hidden
    cols = None if key in ("bias", "bias_h") else (s.inputs if key == "wx" else s.hidden)
    return read(key, raw, cols, f"the shape of {name}", place)


