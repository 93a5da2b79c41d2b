"""Pictures: the network diagram of a problem (with its numbers) and loss curves.

Matplotlib is an optional extra (`pip install 'backprop-cli[plot]'`): it is imported only
inside these functions, never when the package is imported, and drawn with the Agg canvas
(no pyplot, no global backend or rcParams changes). Text stays text in SVG files
(`svg.fonttype: none`), so labels and numbers can be searched and copied.
"""

from __future__ import annotations

import contextlib
import math
import os
from dataclasses import dataclass

import numpy as np

from backprop_cli.errors import PictureError
from backprop_cli.output.fmt import fixed as number
from backprop_cli.problem.atomic import atomic_file

MESSAGE = "drawing needs matplotlib: pip install 'backprop-cli[plot]'"
FORMATS = ("svg", "png", "pdf")
DPI = 150
MAX_SHOWN = 12  # neurons drawn per layer; larger layers show the first few, ⋮, the last
HEAD = 9  # how many come first in an elided layer
SMALL = 6  # edge weights are written out when no layer has more neurons than this
RC = {"svg.fonttype": "none", "svg.hashsalt": "backprop", "text.parse_math": False,
      "font.family": "sans-serif", "pdf.fonttype": 42}


class MissingExtra(PictureError):
    """Matplotlib is not installed."""


class UnknownFormat(PictureError):
    """The picture's file name does not end in .svg, .png or .pdf."""


def require_matplotlib():
    """Import matplotlib, or raise MissingExtra naming the extra to install."""
    try:
        import matplotlib
    except ImportError:
        raise MissingExtra(MESSAGE) from None
    return matplotlib


def picture_format(path: str) -> str:
    """The format a picture path asks for, from its extension (svg, png or pdf)."""
    ext = os.path.splitext(path)[1].lower().lstrip(".")
    if ext not in FORMATS:
        found = f"the extension '.{ext}'" if ext else "no extension"
        raise UnknownFormat(f"{path}: found {found}, expected a picture name ending in "
                            ".svg, .png or .pdf")
    return ext


def save(fig, path: str) -> None:
    """Write the figure in the format of path's extension, atomically: through a
    temporary file in the same folder, renamed over path. WriteError when it cannot."""
    fmt = picture_format(path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    metadata = {"svg": {"Date": None}, "pdf": {"CreationDate": None}, "png": {}}[fmt]
    with atomic_file(path, binary=True) as f, _rc():
        fig.savefig(f, format=fmt, dpi=DPI, metadata=metadata)


@contextlib.contextmanager
def _rc():
    """Matplotlib's default style with our settings, whatever the user's matplotlibrc."""
    mpl = require_matplotlib()
    import matplotlib.style

    with matplotlib.style.context("default"), mpl.rc_context(RC):
        yield


def _given(value: float, decimals: int) -> str:
    """An input or target as written: whole numbers (one-hot targets) without decimals."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else \
        number(value, decimals)


# ------------------------------------------------------------------ loss curves


def loss_scale(losses) -> str:
    """'log' when the (positive) losses span more than two decades, else 'linear'."""
    values = [v for v in losses if math.isfinite(v)]
    if not values or min(values) <= 0:
        return "linear"
    return "log" if max(values) / min(values) > 100 else "linear"


def losses_figure(losses, title: str):
    """The loss before each step and after the last, against the step number."""
    require_matplotlib()
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    with _rc():
        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.add_subplot()
        steps = list(range(len(losses)))
        ax.plot(steps, list(losses), color="#1f5fa8", linewidth=1.6,
                marker="o" if len(losses) <= 30 else None, markersize=3.5)
        ax.set_yscale(loss_scale(losses))
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title(title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
        fig.tight_layout()
    return fig


def plot_losses(losses: list[float], path: str, title: str) -> None:
    """Write the loss curve to path (svg, png or pdf by its extension), atomically.
    Raises MissingExtra, UnknownFormat or WriteError."""
    picture_format(path)
    save(losses_figure(losses, title), path)


# ------------------------------------------------------------------ the network


@dataclass(frozen=True)
class Column:
    """One layer as drawn: its neurons' labels and, per neuron, the numbers to show."""

    name: str  # input, hidden 1, ..., output
    activation: str | None  # None for the input
    labels: tuple[str, ...]
    notes: tuple[tuple[str, ...], ...]  # lines written under each neuron (may be empty)


@dataclass(frozen=True)
class Network:
    title: str
    subtitle: str
    columns: tuple[Column, ...]
    weights: tuple[np.ndarray, ...]  # W_l (n_l, n_{l-1}): the edges into column l
    biases: tuple[np.ndarray | None, ...]  # b_l, or None: no bias node for column l
    values: bool  # write (or colour) the weights on the edges


def network(problem, fwd=None, grads=None, decimals: int = 4, biases: bool = True) -> Network:
    """The diagram of a problem; fwd (engine.Forward) adds each neuron's a and h, grads
    (engine.Gradients) its ∂L/∂a. Values are those of the first sample."""
    model, L = problem.model, len(problem.model.layers)
    sizes = [problem.x.shape[1]] + [problem.params[f"W{l}"].shape[0] for l in range(1, L + 1)]
    columns = []
    for l, n in enumerate(sizes):
        spec = model.layers[l - 1] if l else None
        name = "input" if l == 0 else "output" if l == L else f"hidden {l}"
        stem = "x" if l == 0 else "ŷ" if l == L else f"h{l}_"
        notes = []
        for j in range(n):
            lines = []
            if fwd is not None and l == 0:
                lines.append(f"x = {_given(fwd.h[0][0, j], decimals)}")
            elif fwd is not None:
                lines.append(f"a = {number(fwd.a[l - 1][0, j], decimals)}")
                lines.append(f"h = {number(fwd.h[l][0, j], decimals)}")
            if grads is not None and l:
                lines.append(f"∂L/∂a = {number(grads.a[l - 1][0, j], decimals)}")
            if fwd is not None and l == L:
                lines.append(f"y = {_given(problem.y[0, j], decimals)}")
            notes.append(tuple(lines))
        activation = None
        if spec is not None:
            activation = spec.activation
            if spec.activation in ("leaky_relu", "elu") and spec.param is not None:
                activation += f" ({'slope' if spec.activation == 'leaky_relu' else 'alpha'}"
                activation += f" {spec.param:g})"
        columns.append(Column(name, activation, tuple(f"{stem}{j + 1}" for j in range(n)),
                              tuple(notes)))
    title = problem.title or os.path.basename(problem.source)
    parts = [" → ".join(map(str, sizes)), f"loss {model.loss}"]
    n = problem.x.shape[0]
    batch = problem.batched or n > 1
    if fwd is not None:
        over = f" ({model.reduction} over {n} samples)" if batch else ""
        parts.append(f"L = {number(fwd.loss, decimals)}{over}")
    if (fwd is not None or grads is not None) and batch:
        parts.append(f"neurons show sample 1 of {n}")
    weights = tuple(problem.params[f"W{l}"] for l in range(1, L + 1))
    bias = tuple(problem.params.get(f"b{l}") if biases else None for l in range(1, L + 1))
    return Network(title, " · ".join(parts), tuple(columns), weights, bias, fwd is not None)


def shown(n: int) -> list:
    """The neurons drawn for a layer of n: all up to MAX_SHOWN, else the first HEAD, None
    (the ⋮) and the last."""
    return list(range(n)) if n <= MAX_SHOWN else list(range(HEAD)) + [None, n - 1]


R, RB = 0.25, 0.15  # neuron and bias-node radius, inches (the axes are in inches)
NOTE_PT, EDGE_PT = 7.0, 7.0
FILL = {"input": "#e6f0fa", "output": "#fcebdc"}


def _width(text: str, points: float) -> float:
    return len(text) * points * 0.62 / 72  # inches, DejaVu Sans digits are 0.64 em


def network_figure(net: Network, decimals: int = 4):
    """The diagram as a matplotlib Figure, sized in inches to what it holds."""
    require_matplotlib()
    with _rc():
        return _network_figure(net, decimals)


def _network_figure(net: Network, decimals: int):
    from matplotlib import colormaps
    from matplotlib.cm import ScalarMappable
    from matplotlib.collections import LineCollection
    from matplotlib.colors import Normalize
    from matplotlib.figure import Figure
    from matplotlib.patches import Circle

    cols = net.columns
    sizes = [len(c.labels) for c in cols]
    slots = [shown(n) for n in sizes]
    labelled = net.values and max(sizes) <= SMALL  # weights written on the edges
    coloured = net.values and not labelled  # weights as colour and width
    has_bias = [k + 1 < len(cols) and net.biases[k] is not None for k in range(len(cols))]
    line = NOTE_PT * 1.25 / 72
    note_lines = max((len(n) for c in cols for n in c.notes), default=0)
    note_hw = [max((_width(s, NOTE_PT) / 2 + 0.05 for n in c.notes for s in n), default=0)
               for c in cols]
    edge_hw = 0.0
    if labelled:
        texts = [number(v, decimals) for k, W in enumerate(net.weights)
                 for v in list(W.ravel()) + list(net.biases[k] if has_bias[k] else [])]
        edge_hw = max(_width(t, EDGE_PT) for t in texts) / 2 + 0.05

    # Geometry: neuron spacing d, one gap per pair of columns, all in inches.
    d = 0.62 if not note_lines else 2 * R + note_lines * line + 0.2
    if labelled:  # a label every d / (n + 1) along a column: see the edge labels below
        d = max(d, (max(sizes) + 1) * 0.17)
    gaps = []
    for k in range(len(cols) - 1):
        g = max(1.7, 0.25 * max(len(slots[k]), len(slots[k + 1])),
                note_hw[k] + note_hw[k + 1] + 0.5)
        if labelled:
            s = 1 / (sizes[k + 1] + 1)
            g = max(g, (max(note_hw[k], R) + edge_hw + 0.05) / s,
                    (note_hw[k + 1] + edge_hw + 0.05) / (1 - s))
        gaps.append(g)
    xs = [0.0]
    for g in gaps:
        xs.append(xs[-1] + g)
    left = 0.45 + max(note_hw[0], R)
    right = 0.45 + max(note_hw[-1], R)
    width = max(left + xs[-1] + right, 4.0, _width(net.title, 13) * 1.1 + 0.6,
                _width(net.subtitle, 9) + 0.6)
    shift = (width - xs[-1]) / 2  # centre the columns
    xs = [x + shift for x in xs]

    # Bias nodes share a row, at least a slot above every column: their labels then stay
    # above the labels of the other edges.
    bias_row = max((len(slots[c]) + 1) / 2 * d for c in range(len(cols)) if has_bias[c]) \
        if any(has_bias) else 0.0

    def y_of(c, k):  # slot k of column c, relative to the middle; k = -1 is the bias node
        return bias_row if k == -1 else ((len(slots[c]) - 1) / 2 - k) * d

    top = max(y_of(c, -1 if has_bias[c] else 0) + R for c in range(len(cols)))
    bottom = min(y_of(c, len(slots[c]) - 1) - R - (note_lines * line + 0.12 if note_lines
                                                   else 0) for c in range(len(cols)))
    foot = 0.65 + (0.75 if coloured else 0)
    height = 0.95 + (top - bottom) + foot
    base = foot + 0.1 - bottom

    fig = Figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    fig.text(0.5, 1 - 0.3 / height, net.title, ha="center", va="center", fontsize=13,
             fontweight="bold")
    fig.text(0.5, 1 - 0.58 / height, net.subtitle, ha="center", va="center", fontsize=9,
             color="#555555")

    def at(c, k):
        return xs[c], base + y_of(c, k)

    # Edges, with their weights: (start, end, value, is_bias, s), where s is the label's
    # place: at 1/(n + 1) of the way from the source, with n targets, the labels of all
    # the edges between two columns fall on one vertical line, d / (n + 1) apart.
    edges = []
    for k, W in enumerate(net.weights):
        targets = [(t, j) for t, j in enumerate(slots[k + 1]) if j is not None]
        sources = [(s, i) for s, i in enumerate(slots[k]) if i is not None]
        place = 1 / (len(slots[k + 1]) + 1)
        for t, j in targets:
            for s, i in sources:
                edges.append((at(k, s), at(k + 1, t), float(W[j, i]), False, place))
            if has_bias[k]:
                edges.append((at(k, -1), at(k + 1, t), float(net.biases[k][j]), True, place))
    values = np.array([e[2] for e in edges])
    top_w = float(np.abs(values).max()) if len(values) and coloured else 0.0
    norm = Normalize(-top_w or -1.0, top_w or 1.0)
    cmap = colormaps["RdBu_r"]
    for bias in (False, True):
        group = sorted((e for e in edges if e[3] == bias), key=lambda e: abs(e[2]))
        if not group:
            continue
        segments = [(e[0], e[1]) for e in group]
        style = (0, (4, 2)) if bias else "solid"
        if coloured:
            mag = np.array([abs(e[2]) for e in group]) / (top_w or 1.0)
            lc = LineCollection(segments, colors=cmap(norm([e[2] for e in group])),
                                linewidths=0.3 + 1.7 * mag, linestyles=style, zorder=1)
        else:
            lc = LineCollection(segments, colors="#8c96a0", linewidths=0.8,
                                linestyles=style, zorder=1)
        ax.add_collection(lc)
    if labelled:
        for (x0, y0), (x1, y1), v, _, s in edges:
            ax.text(x0 + s * (x1 - x0), y0 + s * (y1 - y0), number(v, decimals),
                    fontsize=EDGE_PT, ha="center", va="center", zorder=5,
                    color="#b2182b" if v < 0 else "#1a1a1a",
                    bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none",
                          "alpha": 0.9})

    # Neurons, bias nodes, the ⋮ of elided layers, notes and layer names.
    for c, col in enumerate(cols):
        fill = FILL.get(col.name, "#e9f5e9")
        for k, j in enumerate(slots[c]):
            x, y = at(c, k)
            if j is None:
                ax.text(x, y, "⋮", fontsize=18, ha="center", va="center", zorder=4)
                continue
            ax.add_patch(Circle((x, y), R, facecolor=fill, edgecolor="#333333",
                                linewidth=1.2, zorder=3))
            label = col.labels[j]
            ax.text(x, y, label, fontsize=9 if len(label) <= 4 else 7.5, ha="center",
                    va="center", zorder=4)
            if col.notes[j]:
                ax.text(x, y - R - 0.05, "\n".join(col.notes[j]), fontsize=NOTE_PT,
                        ha="center", va="top", zorder=6, linespacing=1.25,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "#cccccc",
                              "lw": 0.5, "alpha": 0.92})
        if has_bias[c]:
            x, y = at(c, -1)
            ax.add_patch(Circle((x, y), RB, facecolor="#f4f4f4", edgecolor="#777777",
                                linewidth=1.0, zorder=3))
            ax.text(x, y, "1", fontsize=8, ha="center", va="center", zorder=4)
        y_name = foot - 0.05
        ax.text(xs[c], y_name, col.name, fontsize=9.5, fontweight="bold", ha="center",
                va="top")
        if col.activation:
            ax.text(xs[c], y_name - 0.2, col.activation, fontsize=8.5, style="italic",
                    color="#444444", ha="center", va="top")
    if coloured:
        cax = fig.add_axes(((width / 2 - 1.6) / width, 0.42 / height, 3.2 / width,
                            0.13 / height))
        bar = fig.colorbar(ScalarMappable(norm=norm, cmap=cmap), cax=cax,
                           orientation="horizontal")
        bar.ax.tick_params(labelsize=7)
        bar.set_label("weight (colour); |weight| (line width); bias edges dashed",
                      fontsize=7.5)
    return fig


def draw_network(net: Network, path: str, decimals: int = 4) -> None:
    """Write the diagram to path (svg, png or pdf by its extension), atomically."""
    picture_format(path)
    save(network_figure(net, decimals), path)
