"""The loss curve of a training run (`backprop step --plot`)."""

from __future__ import annotations

import math

from backprop_cli.output.diagram.pictures import picture_format, require_matplotlib, save, style


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
    from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

    with style():
        fig = Figure(figsize=(6.4, 4.0))
        ax = fig.add_subplot()
        steps = list(range(len(losses)))
        ax.plot(steps, list(losses), color="#1f5fa8", linewidth=1.6,
                marker="o" if len(losses) <= 30 else None, markersize=3.5)
        ax.set_yscale(loss_scale(losses))
        if loss_scale(losses) == "log":
            # the default log labels are mathtext ($\mathdefault{10^{-1}}$), and text.parse_math
            # is off so that titles print as written: label the decades as plain numbers
            ax.yaxis.set_major_formatter(FuncFormatter(_tick))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title(title)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, which="major", alpha=0.3)
        fig.tight_layout()
    return fig


def _tick(value: float, position=None) -> str:
    return f"{value:g}"


def plot_losses(losses: list[float], path: str, title: str) -> None:
    """Write the loss curve to path (svg, png or pdf by its extension), atomically.
    Raises MissingExtra, UnknownFormat or WriteError."""
    picture_format(path)
    save(losses_figure(losses, title), path)
