"""`backprop graph` output: the JSON document (and --get, CSV answer keys) and the Rich
tables of the forward and backward passes. Rich is imported only when tables are shown.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.program import Graph
from backprop_cli.output.fmt import fixed
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


def operation(node) -> str:
    """A node's operation as the forward table shows it: x + y, sigmoid(n4), 1 / n3."""
    return node.text


def written(value) -> str:
    """An input's value as the user wrote it: -2 stays -2, 0.1 stays 0.1, [[1, 2], [3, 4]]."""
    if isinstance(value, list):
        return "[" + ", ".join(written(v) for v in value) + "]"
    return str(value) if isinstance(value, int) else repr(float(value))


def shape_text(value) -> str:
    """A node's shape as the tables show it: 2×3, 3 for a vector, scalar."""
    s = np.shape(value)
    return "scalar" if not s else "×".join(map(str, s))


def view(ex: Exercise, graph: Graph, decimals: int):
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    def number(v) -> str:
        """A float to `decimals`; a vector or matrix as aligned rows (a vector as a row)."""
        if v is None:
            return ""
        if isinstance(v, np.ndarray):
            from backprop_cli.output import cells

            return "\n".join(cells.fit(v.tolist(), decimals, 10_000))
        return fixed(v, decimals)

    tensors = any(n.shape for n in graph.nodes)

    def section(title: str, names: int, *columns: str):
        """A bold heading and a table: `names` columns of names, then numbers."""
        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for i, name in enumerate(columns):
            table.add_column(name, justify="left" if i < names else "right", no_wrap=True)
        return Text("\n" + title, style="bold"), table

    f = graph.output
    header = Table.grid(padding=(0, 2))
    header.add_column(style="bold")
    header.add_column()
    if ex.title:
        header.add_row("Exercise", ex.title)
    if ex.source != "expression":
        header.add_row("File", ex.source)
    header.add_row("Expression", ex.program.text.strip())
    header.add_row("Values", ", ".join(f"{k} = {written(v)}" for k, v in ex.written.items()))

    if graph.upstream is not None:
        header.add_row("Upstream", f"∂L/∂{f} = {written(listed(graph.upstream))}")
    if graph.labels:
        header.add_row("Labels", ", ".join(graph.labels) + " (class indices: no gradient)")

    d = graph.wrt
    if tensors:
        head, fwd = section("Forward pass: each node's value", 3, "node", "operation",
                            "shape", "value")
    else:
        head, fwd = section("Forward pass: each node's value", 2, "node", "operation", "value")
    for node in graph.nodes:
        cells_ = (node.name, operation(node)) + ((shape_text(node.value),) if tensors else ())
        fwd.add_row(*cells_, number(node.value))
    parts = [header, head, fwd]

    title = f"Backward pass: upstream ∂{d}/∂node × local ∂node/∂input, summed for each input"
    if tensors:  # an element-wise local entry by entry (⊙), a matrix operation by its rule
        title = (f"Backward pass: upstream ∂{d}/∂node ⊙ local ∂node/∂input entry by entry, "
                 "or the operation's rule; summed over broadcast axes and for each input")
    if tensors:  # an edge a block of rows: matrices side by side would not fit
        head, bwd = section(title, 2, "edge", "", "value")
        edges, labels = bwd.columns[0], bwd.columns[1]
        edges.min_width = max(len(f"{e.node} → {e.input}") for e in graph.edges)
        labels.min_width = max(len(f"∂{d}/∂{e.input} so far") for e in graph.edges)
        bwd.columns[2].no_wrap = False  # a long rule wraps rather than squeeze the names
        for e in graph.edges:
            local = ("rule", f"∂{d}/∂{e.input} += {e.rule}") if e.rule is not None else \
                ("local ∂node/∂input", number(e.local))
            bwd.add_row(f"{e.node} → {e.input}", *local)
            bwd.add_row("", f"upstream ∂{d}/∂{e.node}", number(e.upstream))
            bwd.add_row("", "product", number(e.product))
            bwd.add_row("", f"∂{d}/∂{e.input} so far", number(e.accumulated),
                        end_section=True)
    else:
        head, bwd = section(title, 2, "node", "input", "local", "upstream", "product",
                            f"∂{d}/∂input so far")
        for e in graph.edges:
            bwd.add_row(e.node, e.input, number(e.local), number(e.upstream),
                        number(e.product), number(e.accumulated))
    parts += [head, bwd]

    head, result = section("Result", 1, "", "value")
    result.add_row(f, Text(number(graph.value), style="bold"))
    gradients = dict(graph.gradients)
    for name in ex.wanted:
        if name in gradients:
            result.add_row(f"∂{d}/∂{name}", Text(number(gradients[name]), style="bold"))
    return Group(*parts, head, result)
