"""The last section of a worked solution: the answers an exercise asks for, in a box."""

from __future__ import annotations

import numpy as np

from backprop_cli.output.worked import tex
from backprop_cli.output.worked.blocks import Block, answer_table, section
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def answers(note: Notation) -> list[Block]:
    """Parameter count, sums, loss (and its parts), output delta, the gradients of the
    biases, γ, β and x, and the loss after."""
    doc, L = note.doc, note.depth
    count, trainable = doc["parameters"], doc["trainable"]
    rows = [(["Learnable parameters"],
             str(count) + (f" ({trainable} trainable)" if trainable != count else ""))]
    for l in range(1, L + 1):
        for q in ("a", "h"):
            rows.append((["Sum of ", Math(note.symbol(q, l))], note.number(doc["sums"][f"{q}{l}"])))
    rows.append((["Loss ", Math("L")], note.number(doc["loss"])))
    if "loss_parts" in doc:
        rows.append((["Data loss"], note.number(doc["loss_parts"]["data"])))
        rows.append((["L2 penalty ", Math("R")], note.number(doc["loss_parts"]["penalty"])))
    rows.append(([Math(rf"\partial L / \partial {note.symbol('a', L)}")],
                 tex.tuple_text(_flat(note, doc["gradients"][f"a{L}"]), note.number)))
    for l in range(L, 0, -1):
        for name in (f"b{l}", f"gamma{l}", f"beta{l}"):
            if name in doc["gradients"]:
                rows.append(([Math(rf"\partial L / \partial {note.param_symbol(name)}")],
                             tex.tuple_text(note.gradient(name), note.number)))
    if "x" in doc["gradients"]:
        rows.append(([Math(rf"\partial L / \partial {note.symbol('x', None)}")],
                     tex.tuple_text(_flat(note, doc["gradients"]["x"]), note.number)))
    rows.append((["Loss after the update"], note.number(doc["update"]["loss"])))
    return [section("Answers"), answer_table(rows)]


def _flat(note: Notation, value) -> np.ndarray:
    """A per-sample quantity as one row per sample, in the order the document writes it
    (a feature map's entries in the file's order)."""
    return np.array(value, dtype=float).reshape(note.samples, -1)
