"""A sheet written in the other weight layout (in_out for an out_in problem, or the
reverse), turned into the problem's: its matrices transposed, an entry `W.i.j` read as
`W.j.i`, a row `W.i` as the column's entries. Marked then as if written in the problem's
layout, and shown so.

A sheet's layout is the one it declares (`layout:`), else --layout's, else what its
whole weight-shaped answers show: when every non-square one is the other way round (and
there is one), the sheet is in the other layout; a matrix written the other way round
beside ones written the problem's way is the slip `transposed-gradient`, as before.
Entries alone cannot show a layout: a CSV's is --layout's, else the problem's.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.errors import ProblemError

PER_SAMPLE = ("a", "h", "dh_out", "da_out", "da", "dh")


def per_sample(node) -> bool:
    """A value per sample: a row per sample in a batch, a vector (or a number) for one."""
    return node.rows or node.kind in PER_SAMPLE


def weight_shaped(graph: dict, node: str) -> bool:
    n = graph.get(node)
    return n is not None and not per_sample(n) and len(n.shape) == 2


def layout_of(sheet, declared, problem, graph: dict, node_of) -> tuple[str, str | None]:
    """(the sheet's layout, a note when it was told from its shapes alone)."""
    if sheet.layout or declared:
        return sheet.layout or declared, None
    votes = set()
    for key, values in sheet.values.items():
        keys = key.split(".")
        node, used = node_of(keys)
        shape = values.shape[1:]
        if len(keys) > used or not weight_shaped(graph, node) or len(shape) != 2:
            continue
        mine = _shape(problem, graph[node])
        if mine[0] != mine[1] and shape in (mine, mine[::-1]):
            votes.add(shape == mine)
    if votes != {False}:
        return problem.layout, None
    other = _other(problem.layout)
    return other, (f"{sheet.source}: read in the {other} layout, as its matrices' shapes "
                   f"show (the problem's is {problem.layout}); write layout: {other} in the "
                   "sheet to say so")


def _other(layout: str) -> str:
    return "in_out" if layout == "out_in" else "out_in"


def _shape(problem, node) -> tuple:
    return node.shape[::-1] if problem.layout == "in_out" else node.shape


def turned(sheet, key: str, place: str, problem, graph: dict, node_of) -> list:
    """[(key, place, values, decimals, raw)] of one path of a sheet in the other layout,
    in the problem's: a matrix transposed, an entry's indices swapped, a row split into
    the column's entries."""
    values, written, raw = sheet.values[key], sheet.decimals[key], sheet.raw.get(key)
    keys = key.split(".")
    node, used = node_of(keys)
    rest = keys[used:]
    if not weight_shaped(graph, node) or not all(_is_int(k) for k in rest):
        return [(key, place, values, written, raw)]
    if not rest:
        if values.ndim == 3:
            values, written = np.swapaxes(values, 1, 2), np.swapaxes(written, 1, 2)
            raw = None if raw is None else np.swapaxes(raw, 1, 2)
        return [(key, place, values, written, raw)]
    head = ".".join(keys[:used])
    if len(rest) == 2:
        return [(f"{head}.{rest[1]}.{rest[0]}", place, values, written, raw)]
    if len(rest) > 2:
        return [(key, place, values, written, raw)]  # no such path: target says so
    rows = _shape(problem, graph[node])[0]
    found = "a number" if values.ndim == 1 else f"a list of {values.shape[1]}"
    if values.ndim == 1 and np.isnan(values).all():  # a bare null (or text): all blank
        values, written = (np.repeat(a[:, None], rows, axis=1) for a in (values, written))
        raw = None if raw is None else np.repeat(raw[:, None], rows, axis=1)
    elif values.shape[1:] != (rows,):
        raise ProblemError(sheet.source, place, f"found {found}, expected a list of {rows} "
                                                f"numbers (a row, in the "
                                                f"{_other(problem.layout)} layout)")
    return [(f"{head}.{k}.{rest[0]}", place, values[:, k], written[:, k],
             None if raw is None else raw[:, k]) for k in range(rows)]


def _is_int(text: str) -> bool:
    try:
        int(text)
    except ValueError:
        return False
    return True
