"""Pictures: the network diagram and loss curves. Matplotlib is imported only when drawing.

    pictures  formats, the matplotlib check, the style, atomic saving
    plots     the loss curve
    model     what a network diagram shows (Network, Column) and its builder
    layout    where everything of the diagram goes: pure geometry, no matplotlib
    figure    the diagram drawn from its layout

The names below are the package's interface (the command line uses only these)."""

from backprop_cli.output.diagram.figure import draw_network
from backprop_cli.output.diagram.model import network
from backprop_cli.output.diagram.pictures import picture_format, require_matplotlib
from backprop_cli.output.diagram.plots import plot_losses

__all__ = ["draw_network", "network", "picture_format", "plot_losses", "require_matplotlib"]
