"""Answer sheets in the marking graph's terms: each path of solve's document as the node it
answers and, in the document's layout (rank of x, the file's weight layout), the flat
indices of the node's entries it gives. Paths are checked as --get checks them; a sheet in
the other weight layout is turned into the problem's first (layouts.py). Feature maps are
written as the file writes them ((N, C, H, W), one sample (C, H, W), channels last
(N, H, W, C)), a convolution's kernels in the file's channel order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.grading.marking import Item
from backprop_cli.errors import PathError, ProblemError, UsageError, counted
from backprop_cli.output.grading import layouts, sequences
from backprop_cli.output.grading.layouts import per_sample
from backprop_cli.output.report import get
from backprop_cli.problem.maps import kernel_in_file, written


@dataclass(frozen=True)
class Batch:
    """Every sheet's rows together: S rows, one item per path any of them gives."""
    items: tuple  # of Item
    given: dict  # key -> (S, m) the numbers written, nan where blank or not asked
    decimals: dict  # key -> (S, m)
    transposed: dict  # key -> (S,) a matrix written the wrong way round
    asked: dict  # key -> (S,) the row's sheet lists it, or --expect or the scheme does
    students: tuple  # (S,)
    sources: tuple  # (S,) the file each row comes from
    raw: dict  # key -> (S, m) the text of each unreadable number, None elsewhere (the keys
    #            that have one); given has nan there
    notes: tuple = ()  # for the person grading: the sheets read in the other layout
    listed: tuple = ()  # the paths --expect or a scheme names: asked of every sheet, whole

    def unreadable(self, key: str) -> np.ndarray:
        """(S,) the rows with an unreadable number in this answer."""
        raw = self.raw.get(key)
        if raw is None:
            return np.zeros(len(self.students), dtype=bool)
        return (raw != None).any(axis=1)  # noqa: E711 (elementwise)


def target(problem, doc: dict, graph: dict, path: str) -> np.ndarray | tuple:
    """(node, flat indices in the answer's shape) of a path, or PathError naming what is
    there (without --get's prefix: the caller says where the path was written)."""
    try:
        value = get(doc, path)
    except PathError as e:
        raise PathError(str(e).split(": ", 1)[1]) from None
    keys = path.split(".")
    node, used = _node_of(keys)
    node = sequences.graph_name(graph, node)
    if isinstance(value, dict):
        raise PathError(f"{path} is a section, expected a path to numbers in it: one of "
                        + ", ".join(f"{path}.{k}" for k in value))
    if node not in graph or isinstance(value, (str, bool)):
        raise PathError(f"found {value!r} there, expected a path to numbers to mark")
    grid = _grid(problem, graph[node])
    for key in keys[used:]:
        grid = grid[key] if isinstance(grid, dict) else grid[int(key)]
    return node, np.asarray(grid)


def _node_of(keys: list) -> tuple:
    top, rest = keys[0], keys[1:] + ["", "", ""]
    if top in ("forward", "sums", "gradients"):
        return {"forward": "", "sums": "sum:", "gradients": "d"}[top] + rest[0], 2
    if top in ("parameters", "trainable"):
        return f"const:{top}", 1
    if top == "loss_parts":  # with an L2 penalty: the data loss and the penalty
        return rest[0], 2
    if top == "update":
        return {"loss": ("loss'", 2), "parameters": (rest[1] + "'", 3),
                "state": (f"state:{rest[1]}:{rest[2]}", 4),
                "optimizer": (f"const:{rest[1]}", 3), "running": (rest[1] + "'", 3),
                "loss_parts": (rest[1] + "'", 3)}.get(rest[0], ("", 2))
    return top, 1


def _grid(problem, node) -> np.ndarray:
    grid = np.arange(int(np.prod(node.shape))).reshape(node.shape)
    if per_sample(node) and sequences.stepped(problem, node):  # T steps per sample
        return sequences.steps_grid(problem, node, grid)
    named = None if per_sample(node) else sequences.parameter_grid(problem, node, grid)
    if named is not None:  # a recurrent layer's, stacked in the file's order or by gate
        return named
    if per_sample(node):  # a row per sample, whatever the layout
        if _is_map(problem, node):  # feature maps, as the file writes them
            return written(problem, grid, node.layer)
        return grid if problem.batched else grid[0]
    if grid.ndim == 4:  # a convolution's kernels, in the file's channel order
        return kernel_in_file(grid, problem.channels)
    if grid.ndim == 2 and problem.layout == "in_out":  # weight-shaped: the file's layout
        return grid.T
    return grid


def _is_map(problem, node) -> bool:
    """A per-sample node that is h_l's feature maps (a_l, h_l and their gradients; ∂L/∂x
    with an image x), rows (N, C·H·W) in the engine."""
    shape = problem.model.map_of(node.layer)
    return shape is not None and node.shape[1:] == (int(np.prod(shape)),) and \
        node.name in (f"a{node.layer}", f"h{node.layer}", f"da{node.layer}",
                      f"dh{node.layer}", "dx" if node.layer == 0 else "")


def shape_words(shape: tuple) -> str:
    if not shape:
        return "a number"
    if len(shape) == 1:
        return f"a list of {counted(shape[0], 'number')}"
    return f"{counted(shape[0], 'row')} of {shape[1]}" if len(shape) == 2 else f"shape {shape}"


def claim(covered: dict, node: str, key: str, grid, source: str, place: str) -> None:
    """Note that key answers grid's entries of node; ProblemError where an earlier key of
    the sheet answered one of them already (each number once)."""
    seen = covered.setdefault(node, {})
    clash = next((k for k, flat in seen.items() if np.intersect1d(flat, grid).size), None)
    if clash is not None:
        raise ProblemError(source, place, f"gives entries {clash} gives too, expected each "
                                          "number once")
    seen[key] = grid.ravel()


def fitted_answer(source, answer, grid, turnable: bool):
    """(values (S, m), decimals (S, m), raw (S, m) or None, transposed (S,)) of one path
    of a sheet; turnable: a matrix of the other shape is turned back and flagged (a
    weight's gradient, written the wrong way round)."""
    _, place, values, written, raw = answer
    rows, shape = values.shape[0], values.shape[1:]
    flipped = np.zeros(rows, dtype=bool)
    if shape == () and np.isnan(values).all():  # a bare null (or text): all blank
        values = np.full((rows,) + grid.shape, np.nan)
        written = np.zeros(values.shape, dtype=np.int64)
    elif shape != grid.shape:
        if not (len(shape) == 2 and shape == grid.shape[::-1] and turnable):
            raise ProblemError(source, place, f"found {shape_words(shape)}, expected "
                                              f"{shape_words(grid.shape)}")
        values, written = np.swapaxes(values, 1, 2), np.swapaxes(written, 1, 2)
        raw = None if raw is None else np.swapaxes(raw, 1, 2)
        flipped[:] = True  # ∂L/∂W written h δᵀ: marked wrong, its numbers still carried
    if raw is not None:
        raw = np.broadcast_to(raw.reshape(rows, -1), (rows, grid.size))
    return values.reshape(rows, -1), written.reshape(rows, -1), raw, flipped


def _place(sheet, key) -> str:
    return f"column {key}" if sheet.table else f"answers.{key}"


def _resolve(problem, doc, graph, key, source, place, targets):
    if key not in targets:
        try:
            targets[key] = target(problem, doc, graph, key)
        except PathError as e:
            if source is None:
                raise UsageError(f"--expect {key}: {e}") from None
            raise ProblemError(source, place, str(e)) from None
    return targets[key]


def _answers(sheet, problem, graph: dict, layout) -> tuple:
    """([(key, place, values, decimals, raw)] of a sheet in the problem's layout, a note
    when its layout was told from its shapes)."""
    mine, note = layouts.layout_of(sheet, layout, problem, graph, _node_of)
    out = []
    for key in sheet.values:
        place = _place(sheet, key)
        if mine != problem.layout:
            out += layouts.turned(sheet, key, place, problem, graph, _node_of)
        else:
            out.append((key, place, sheet.values[key], sheet.decimals[key],
                        sheet.raw.get(key)))
    return out, note


def batch(problem, doc: dict, graph: dict, sheets, expect=(), scheme=None,
          layout: str | None = None) -> Batch:
    """Every row of every sheet, each asked its own paths and those --expect (or a
    scheme's points) list that it does not already answer in part. layout: the one the
    sheets that declare none are written in (else told from their shapes)."""
    targets, rows, notes = {}, [], []
    for sheet in sheets:
        fitted, covered = {}, {}
        answers, note = _answers(sheet, problem, graph, layout)
        notes += [note] if note else []
        for answer in answers:
            key, place = answer[:2]
            node, grid = _resolve(problem, doc, graph, key, sheet.source, place, targets)
            claim(covered, node, key, grid, sheet.source, place)
            fitted[key] = fitted_answer(sheet.source, answer, grid, node.startswith("dW"))
        rows.append((sheet, fitted, covered))
    extra = [(k, None, None) for k in expect]
    if scheme is not None:
        extra += [(k, scheme.source, f"points.{k}") for k in scheme.points]
    for key, source, place in extra:
        _resolve(problem, doc, graph, key, source, place, targets)
    return assemble(targets, rows, [k for k, _, _ in extra], tuple(notes))


def assemble(targets: dict, rows: list, extra: list, notes: tuple) -> Batch:
    total = sum(len(sheet.students) for sheet, _, _ in rows)
    given = {k: np.full((total, grid.size), np.nan) for k, (_, grid) in targets.items()}
    written = {k: np.zeros((total, grid.size), dtype=np.int64) for k, (_, grid) in
               targets.items()}
    flipped = {k: np.zeros(total, dtype=bool) for k in targets}
    asked = {k: np.zeros(total, dtype=bool) for k in targets}
    raw = {k: np.full((total, targets[k][1].size), None, dtype=object) for k in
           {k for _, fitted, _ in rows for k, f in fitted.items() if f[2] is not None}}
    start, students, sources = 0, [], []
    for sheet, fitted, covered in rows:
        rows_here = slice(start, start + len(sheet.students))
        for key, (values, decimals, text, flip) in fitted.items():
            given[key][rows_here], written[key][rows_here] = values, decimals
            flipped[key][rows_here], asked[key][rows_here] = flip, True
            if text is not None:
                raw[key][rows_here] = text
        for key in extra:
            node, grid = targets[key]
            if not any(np.intersect1d(flat, grid).size for flat in
                       covered.get(node, {}).values()):
                asked[key][rows_here] = True
        students += sheet.students
        sources += [sheet.source] * len(sheet.students)
        start += len(sheet.students)
    items = tuple(Item(k, node, grid) for k, (node, grid) in targets.items())
    return Batch(items, given, written, {k: f for k, f in flipped.items() if f.any()}, asked,
                 tuple(students), tuple(sources), raw, notes, tuple(extra))
