"""Pictures: the network diagram and loss curves. Matplotlib is imported only when drawing.

    pictures  formats, the matplotlib check, the style, atomic saving
    plots     the loss curve
    model     what a network diagram shows (Network, Column, Block, Skip) and its builder
    kinds     what each layer kind's block says (batch norm, layer norm, dropout, conv2d,
              the pools, flatten): one table
    maps      what a convolution's or a pool's window picture shows (its grids, numbers)
    layout    where everything of the diagram goes: pure geometry, no matplotlib
    blocks    the same for the kinds' blocks and the residual connections' arrows
    grids     the same for the feature maps' stacks and the window pictures
    figure    the diagram drawn from its layout
    mapfigure the feature maps' stacks and window pictures drawn
    sequences what a sequence exercise's unrolled diagram shows (model.network hands it
              over): the steps side by side, the cell's gates, the states h_t and c_t
    unrolled  where everything of it goes: pure geometry, no matplotlib
    seqfigure it drawn (figure.network_figure hands it over)
    graph/    the same for a computational graph (`backprop graph --draw`): its columns
              and rows, the plane geometry of placing labels, where everything goes (no
              matplotlib), the picture drawn from that

The names below are the package's interface (the command line and the Python API use
only these)."""

from backprop_cli.output.diagram.figure import draw_network, network_figure
from backprop_cli.output.diagram.model import network
from backprop_cli.output.diagram.pictures import picture_format, require_matplotlib, save
from backprop_cli.output.diagram.plots import plot_losses

__all__ = ["draw_network", "network", "network_figure", "picture_format", "plot_losses",
           "require_matplotlib", "save"]
