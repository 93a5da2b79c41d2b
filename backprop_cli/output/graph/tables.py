"""`backprop graph` output as data: the JSON document (and so --get), CSV answer keys, and
how a value is written (as given, its shape). The terminal's tables are in view.py."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.program import Graph
from backprop_cli.problem.graph.exercise import Exercise


def listed(v):
    """A value as JSON writes it: a float, or nested lists; None stays None."""
    return v.tolist() if isinstance(v, np.ndarray) else v


def document(ex: Exercise, graph: Graph) -> dict:
    """{"title"?, "expression", "upstream"?, "value", "shape", "nodes": [...], "forward":
    {...}, "backward": {...}, "gradients": {...}}: nodes in evaluation order, each node's
    value and ∂f/∂node by name, gradients for the inputs the exercise asks about (not class
    indices, which take none)."""
    doc: dict = {} if ex.title is None else {"title": ex.title}
    doc["expression"] = ex.program.text
    if graph.upstream is not None:
        doc["upstream"] = listed(graph.upstream)
    doc["value"] = listed(graph.value)
    doc["shape"] = list(np.shape(graph.value))
    rules: dict = {}
    for e in graph.edges:
        if e.rule is not None:
            rules.setdefault(e.node, {})[e.input] = e.rule
    doc["nodes"] = []
    for n in graph.nodes:
        node = {"name": n.name, "op": n.op, "inputs": list(n.inputs), "value": listed(n.value),
                "shape": list(n.shape), "local": {a: listed(d) for a, d in n.local}}
        if n.params:
            node["params"] = dict(n.params)
        if n.name in rules:
            node["rules"] = rules[n.name]
        # class indices take no gradient: null, not a gradient of zeros
        node["upstream"] = None if n.name in graph.labels else listed(n.upstream)
        doc["nodes"].append(node)
    # the same numbers by name, for --get paths and answer sheets: forward.n1, backward.n1
    doc["forward"] = {n.name: listed(n.value) for n in graph.nodes}
    doc["backward"] = {n["name"]: n["upstream"] for n in doc["nodes"]}
    gradients = dict(graph.gradients)
    doc["gradients"] = {name: listed(gradients[name]) for name in ex.wanted
                        if name in gradients}
    return doc


def entries(path: str, value) -> list[tuple[str, object]]:
    """(path, number) of each entry of a value: itself for a number, path.i.j for a matrix."""
    if not isinstance(value, list):
        return [(path, value)]
    return [pair for i, v in enumerate(value) for pair in entries(f"{path}.{i}", v)]


def csv_table(files: list[str], docs: list[dict]) -> str:
    """An answer key: one row per exercise, columns named by their --get paths (a vector's
    or matrix's entries a column each: gradients.W.0.1)."""
    import csv
    import io

    rows = [dict(entries("value", doc["value"])
                 + [pair for name, g in doc["gradients"].items()
                    for pair in entries(f"gradients.{name}", g)]) for doc in docs]
    columns: list[str] = []
    for row in rows:
        columns += [path for path in row if path not in columns]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file"] + columns)
    for name, row in zip(files, rows, strict=True):
        writer.writerow([name] + [repr(row[c]) if c in row else "" for c in columns])
    return out.getvalue()


def written(value) -> str:
    """An input's value as the user wrote it: -2 stays -2, 0.1 stays 0.1, [[1, 2], [3, 4]]."""
    if isinstance(value, list):
        return "[" + ", ".join(written(v) for v in value) + "]"
    return str(value) if isinstance(value, int) else repr(float(value))


def shape_text(value) -> str:
    """A node's shape as the tables show it: 2×3, 3 for a vector, scalar."""
    s = np.shape(value)
    return "scalar" if not s else "×".join(map(str, s))
