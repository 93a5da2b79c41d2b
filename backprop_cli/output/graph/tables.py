"""`backprop graph` output: the JSON document (and --get, CSV answer keys) and the Rich
tables of the forward and backward passes. Rich is imported only when tables are shown.
"""

from __future__ import annotations

from backprop_cli.engine.graph.ops import formula
from backprop_cli.engine.graph.program import Graph
from backprop_cli.output.fmt import fixed
from backprop_cli.problem.graph.exercise import Exercise


def document(ex: Exercise, graph: Graph) -> dict:
    """{"title"?, "expression", "value", "nodes": [...], "gradients": {...}}: nodes in
    evaluation order, gradients for the inputs the exercise asks about."""
    doc: dict = {} if ex.title is None else {"title": ex.title}
    doc["expression"] = ex.program.text
    doc["value"] = graph.value
    doc["nodes"] = [{"name": n.name, "op": n.op, "inputs": list(n.inputs), "value": n.value,
                     "local": dict(n.local), "upstream": n.upstream} for n in graph.nodes]
    gradients = dict(graph.gradients)
    doc["gradients"] = {name: gradients[name] for name in ex.wanted}
    return doc


def csv_table(files: list[str], docs: list[dict]) -> str:
    """An answer key: one row per exercise, columns named by their --get paths."""
    import csv
    import io

    inputs: list[str] = []
    for doc in docs:
        inputs += [name for name in doc["gradients"] if name not in inputs]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["file", "value"] + [f"gradients.{name}" for name in inputs])
    for name, doc in zip(files, docs, strict=True):
        grads = doc["gradients"]
        writer.writerow([name, repr(doc["value"])]
                        + [repr(grads[i]) if i in grads else "" for i in inputs])
    return out.getvalue()


def operation(node) -> str:
    """A node's operation as the forward table shows it: x + y, sigmoid(n4), 1 / n3."""
    return "input" if node.op == "input" else formula(node.op, node.inputs)


def written(value) -> str:
    """An input's value as the user wrote it: -2 stays -2, 0.1 stays 0.1."""
    return str(value) if isinstance(value, int) else repr(float(value))


def view(ex: Exercise, graph: Graph, decimals: int):
    from rich import box
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    def number(v: float) -> str:
        return fixed(v, decimals)

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

    head, fwd = section("Forward pass: each node's value", 2, "node", "operation", "value")
    for node in graph.nodes:
        fwd.add_row(node.name, operation(node), number(node.value))
    parts = [header, head, fwd]

    head, bwd = section(f"Backward pass: upstream ∂{f}/∂node × local ∂node/∂input, summed "
                        "for each input", 2, "node", "input", "local", "upstream", "product",
                        f"∂{f}/∂input so far")
    for e in graph.edges:
        bwd.add_row(e.node, e.input, number(e.local), number(e.upstream), number(e.product),
                    number(e.accumulated))
    parts += [head, bwd]

    head, result = section("Result", 1, "", "value")
    result.add_row(f, Text(number(graph.value), style="bold"))
    gradients = dict(graph.gradients)
    for name in ex.wanted:
        result.add_row(f"∂{f}/∂{name}", Text(number(gradients[name]), style="bold"))
    return Group(*parts, head, result)
