"""The update of a sequence exercise's parameters in a worked solution: the recurrent
layer's gate by gate (with plain SGD, the subtraction that gives each), the embedding's
table, and the optimizer's state of each.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.layers.recurrent import GATES
from backprop_cli.output.fmt import hides_values
from backprop_cli.output.worked import tex
from backprop_cli.output.worked.blocks import Block, eq
from backprop_cli.output.worked.notation import split_name
from backprop_cli.output.worked.sequences.timesteps import (
    block,
    engine_param,
    param,
    partial,
    settings,
    step_bias,
    weights_file,
)


def _array(value) -> np.ndarray:
    return np.asarray(value, dtype=float)


def new_value(note, name: str, new, plain_sgd: bool) -> list[Block]:
    """A recurrent parameter (gate by gate) or the embedding table after the update."""
    what, l = split_name(name)
    if what == "E":
        old, grad, new = (note.problem.params[name], _array(note.doc["gradients"][name]),
                          _array(new))
        return [_updated(note, f"E_{{{l}}}", name, note.matrix(old, note.given),
                         note.matrix(grad), note.matrix(new), plain_sgd)]
    s = settings(note, l)
    new = engine_param(note, name, new)
    grad = engine_param(note, name, note.doc["gradients"][name])
    out = []
    for g in GATES[s.cell] if s.named else s.gates:
        show = ((lambda a, cell=None: note.matrix(weights_file(note, a), cell)) if what[0] == "W"
                else (lambda a, cell=None: step_bias(note, a, cell)))
        out.append(_updated(note, param(s.cell, what, g), name,
                            show(block(note, name, g), note.given),
                            show(block(note, name, g, grad)), show(block(note, name, g, new)),
                            plain_sgd))
    return out


def _updated(note, psym: str, name: str, old: str, grad: str, new: str, plain_sgd: bool):
    if note.frozen(name):
        return eq((psym, "=", [new, r"\quad \text{(frozen: unchanged)}"]))
    if not plain_sgd:
        return eq((psym, r"\leftarrow", [new]))
    lr = tex.plain(note.doc["update"]["optimizer"]["lr"])
    return eq((psym, r"\leftarrow", [rf"{psym} - \eta {partial(psym)}"]),
              (None, "=", [old, (rf"- {lr} \cdot", grad)]), (None, "=", [new]))


def state(note, name: str, entries: dict) -> list[Block]:
    """The optimizer's state of a recurrent parameter (gate by gate) or of E."""
    what, l = split_name(name)
    steps_kept = [(k, v) for k, v in entries.items() if isinstance(v, int)]
    rows = [(rf"\mathrm{{{k.replace('_', chr(92) + '_')}}}", "=", [str(v)])
            for k, v in steps_kept]
    for key, value in entries.items():
        if isinstance(value, int):
            continue
        cell = (lambda x: tex.power(x, note.decimals)) if hides_values(value, note.decimals) \
            else None
        label = rf"\mathrm{{{key.replace('_', chr(92) + '_')}}}"
        if what == "E":
            rows.append((label, "=", [note.matrix(_array(value), cell)]))
            continue
        s = settings(note, l)
        arr = engine_param(note, name, value)
        for g in GATES[s.cell] if s.named else s.gates:
            b = block(note, name, g, arr)
            shown = note.matrix(weights_file(note, b), cell) if what[0] == "W" else \
                step_bias(note, b, cell)
            rows.append((rf"{label}\ ({param(s.cell, what, g)})", "=", [shown]))
    return [eq(*rows)]
