"""Pictures: the network diagram and loss curves. Matplotlib is imported only when drawing.

The names below are the package's interface (the command line uses only these)."""

from backprop_cli.output.diagram.figure import (
    draw_network,
    network,
    picture_format,
    plot_losses,
    require_matplotlib,
)

__all__ = ["draw_network", "network", "picture_format", "plot_losses", "require_matplotlib"]
