"""What a graph's picture writes, before any geometry: each edge's number (a scalar as the
tables round it, a vector or matrix as a small block of rows), each node's name (with its
shape, in a graph of vectors and matrices) and each operation's circle.

A vector or matrix is written in rows of a monospaced font, so that its columns line up:
whole up to WHOLE rows and columns, past that its first and last row and column with
`…` (columns) and `:` (rows) between, as the tables elide with … and ⋮: a picture is no
place for a large matrix, and the tables print every entry.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.graph.ops import show
from backprop_cli.engine.graph.program import Graph, Node
from backprop_cli.output.fmt import fixed
from backprop_cli.output.graph.tables import shape_text

WHOLE = 3  # rows and columns of a value shown whole
GAP, ROWS_GAP = "…", ":"  # the monospaced font has no ⋮
# what pads: an SVG viewer collapses a run of plain spaces (matplotlib does not ask it to
# keep them), and a no-break space is no space to it
PAD = "\u00a0"
NO_GRADIENT = "no gradient"  # the edge of a class index (cross_entropy's target)
_SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "÷", "**": "^", "neg": "−x", "sqrt": "√",
            "sigmoid": "σ", "abs": "|x|", "pow": "^", "square": "x²"}  # pow: 2 ** x is 2^


@dataclass(frozen=True)
class Label:
    text: str  # one line, or the rows of a vector or matrix
    mono: bool = False  # rows drawn in a monospaced font, their columns aligned


def tensors(graph: Graph) -> bool:
    """Whether the graph holds a vector or a matrix: then every node shows its shape."""
    return any(n.shape for n in graph.nodes)


def name(node: Node, shapes: bool) -> str:
    """A node's name, with its shape as the tables write it: "W  2×3", "f  scalar"."""
    return f"{node.name}{PAD} {shape_text(node.value)}" if shapes else node.name


def number(value, decimals: int, whole: bool = False) -> Label:
    """A value as an edge shows it: a number to `decimals`, a vector as one row, a matrix
    as rows; whole: integers (class indices) without decimals."""
    def entry(v: float) -> str:
        return str(int(v)) if whole else fixed(v, decimals)

    a = np.asarray(value, dtype=float)
    if a.ndim == 0:
        return Label(entry(float(a)))
    if a.ndim > 2:  # not made by the engine today; its shape says more than a slice
        return Label(shape_text(a))
    rows = a if a.ndim == 2 else a[None, :]
    keep = [_kept(n) for n in rows.shape]
    cells = [[None if j is None else entry(rows[i, j]) for j in keep[1]]
             for i in keep[0] if i is not None]
    width = max(len(c) for r in cells for c in r if c is not None)
    lines = ["[" + " ".join(GAP if c is None else c.rjust(width, PAD) for c in r) + "]"
             for r in cells]
    if None in keep[0]:  # the rows left out: a colon under each column shown
        lines.insert(1, "[" + PAD.join(PAD if j is None else ROWS_GAP.center(width, PAD)
                                       for j in keep[1]) + "]")
    return Label("\n".join(lines), mono=True)


def _kept(n: int) -> list:
    """The indices shown of an axis of n entries, None for those left out."""
    return list(range(n)) if n <= WHOLE else [0, None, n - 1]


def gate(node: Node) -> str:
    """The label of an operation's circle: an element-wise operation's symbol, a constant
    folded in (+, ×2, ^2, 1÷, σ); a matrix operation as the forward table writes it (W @ x,
    K.T, sum(n1, axis=0), softmax(n3)), its operands' order being part of it."""
    if node.local and all(d is None for _, d in node.local):
        return node.text
    symbol = _SYMBOLS.get(node.op, node.op)
    # a constant as the forward table writes it: a number, or a call as written (sqrt(2))
    written = node.written or tuple(a if isinstance(a, str) else show(a) for a in node.inputs)
    constants = [w for a, w in zip(node.inputs, written) if not isinstance(a, str)]
    if not constants:
        return symbol
    if isinstance(node.inputs[0], str) or node.op in ("+", "*"):
        return f"{symbol}{constants[0]}"
    return f"{constants[0]}{symbol}"  # 1 ÷ x, 1 − x


def gates(node: Node) -> tuple[str, ...]:
    """The ways a circle may write its gate: on one line, or a call broken before its
    arguments (cross_entropy over (n2, y)); the layout takes the smaller circle."""
    text = gate(node)
    cut = text.find("(")
    return (text,) if cut <= 0 else (text, text[:cut] + "\n" + text[cut:])


def edge_labels(graph: Graph, routes: dict, decimals: int) -> dict:
    """(value, gradient) of each edge (input, node), and of the output's arrow ("out"):
    the input's value and this use's share of its gradient (a class index, whole, takes
    none); the output's value and ∂f/∂f = 1, or the upstream gradient given."""
    nodes = {n.name: n for n in graph.nodes}
    products = {(e.input, e.node): e.product for e in graph.edges}
    labels = {}
    for key in routes:
        index = key[0] in graph.labels
        labels[key] = (number(nodes[key[0]].value, decimals, whole=index),
                       Label(NO_GRADIENT) if key not in products
                       else number(products[key], decimals))
    seed = 1.0 if graph.upstream is None else graph.upstream
    labels["out"] = (number(graph.value, decimals), number(seed, decimals))
    return labels
