"""`backprop graph`'s terminal tables: the header, the forward pass (a row per node), the
backward pass (a row per edge; for vectors and matrices a block of rows per edge, since
matrices side by side would not fit a terminal) and the result. Rich is imported only
here, when tables are shown."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.program import Graph
from backprop_cli.output.fmt import fixed
from backprop_cli.output.graph.tables import shape_text, written
from backprop_cli.problem.graph.exercise import Exercise


def view(ex: Exercise, graph: Graph, decimals: int):
    from rich.console import Group

    v = _View(ex, graph, decimals)
    return Group(v.header(), *v.forward(), *v.backward(), *v.result())


class _View:
    def __init__(self, ex: Exercise, graph: Graph, decimals: int):
        self.ex, self.graph, self.decimals = ex, graph, decimals
        self.tensors = any(n.shape for n in graph.nodes)
        self.d = graph.wrt  # f, or L with an upstream gradient

    def number(self, v) -> str:
        """A float to `decimals`; a vector or matrix as aligned rows (a vector as a row)."""
        if v is None:
            return ""
        if isinstance(v, np.ndarray):
            from backprop_cli.output import cells

            return "\n".join(cells.fit(v.tolist(), self.decimals, 10_000))
        return fixed(v, self.decimals)

    @staticmethod
    def section(title: str, names: int, *columns: str):
        """A bold heading and a table: `names` columns of names, then numbers."""
        from rich import box
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD, show_edge=False)
        for i, name in enumerate(columns):
            table.add_column(name, justify="left" if i < names else "right", no_wrap=True)
        return Text("\n" + title, style="bold"), table

    def header(self):
        from rich.table import Table

        ex, graph = self.ex, self.graph
        header = Table.grid(padding=(0, 2))
        header.add_column(style="bold")
        header.add_column()
        if ex.title:
            header.add_row("Exercise", ex.title)
        if ex.source != "expression":
            header.add_row("File", ex.source)
        header.add_row("Expression", ex.program.text.strip())
        header.add_row("Values", ", ".join(f"{k} = {written(v)}" for k, v in ex.written.items()))
        if ex.upstream is not None:  # as written, as the values are
            header.add_row("Upstream", f"∂L/∂{graph.output} = {written(ex.upstream)}")
        if graph.labels:
            header.add_row("Labels", ", ".join(graph.labels) + " (class indices: no gradient)")
        return header

    def forward(self):
        columns = ("node", "operation") + (("shape",) if self.tensors else ()) + ("value",)
        head, fwd = self.section("Forward pass: each node's value", len(columns) - 1, *columns)
        for node in self.graph.nodes:
            shape = (shape_text(node.value),) if self.tensors else ()
            fwd.add_row(node.name, node.text, *shape, self.number(node.value))
        return head, fwd

    def backward(self):
        d, number = self.d, self.number
        if not self.tensors:
            head, bwd = self.section(f"Backward pass: upstream ∂{d}/∂node × local ∂node/∂input, "
                                     "summed for each input", 2, "node", "input", "local",
                                     "upstream", "product", f"∂{d}/∂input so far")
            for e in self.graph.edges:
                bwd.add_row(e.node, e.input, number(e.local), number(e.upstream),
                            number(e.product), number(e.accumulated))
            return head, bwd
        # an element-wise local entry by entry (⊙), a matrix operation by its rule
        head, bwd = self.section(f"Backward pass: upstream ∂{d}/∂node ⊙ local ∂node/∂input "
                                 "entry by entry, or the operation's rule; summed over "
                                 "broadcast axes and for each input", 2, "edge", "", "value")
        edges = self.graph.edges
        bwd.columns[0].min_width = max(len(f"{e.node} → {e.input}") for e in edges)
        bwd.columns[1].min_width = max(len(f"∂{d}/∂{e.input} so far") for e in edges)
        bwd.columns[2].no_wrap = False  # a long rule wraps rather than squeeze the names
        for e in edges:
            local = ("rule", f"∂{d}/∂{e.input} += {e.rule}") if e.rule is not None else \
                ("local ∂node/∂input", number(e.local))
            bwd.add_row(f"{e.node} → {e.input}", *local)
            bwd.add_row("", f"upstream ∂{d}/∂{e.node}", number(e.upstream))
            bwd.add_row("", "product", number(e.product))
            bwd.add_row("", f"∂{d}/∂{e.input} so far", number(e.accumulated),
                        end_section=True)
        return head, bwd

    def result(self):
        from rich.text import Text

        head, result = self.section("Result", 1, "", "value")
        result.add_row(self.graph.output, Text(self.number(self.graph.value), style="bold"))
        gradients = dict(self.graph.gradients)
        for name in self.ex.wanted:
            if name in gradients:
                result.add_row(f"∂{self.d}/∂{name}",
                               Text(self.number(gradients[name]), style="bold"))
        return head, result
