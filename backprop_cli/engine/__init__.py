"""The engine: numpy only. It computes and returns frozen records; it never prints, reads
files or knows about the command line.

    functions   activations and losses, each next to its derivative (ACTIVATIONS, LOSSES)
    optimizers  torch.optim's update rules (DEFAULTS, step)
    model       Model, LayerSpec, Inputs (what the engine computes from), the results
    network     forward, backward, apply_update, solve: the only implementation
    train       the training loop (buffers reused from step to step)
    rounding    textbook rounding for --round
    gradcheck   central finite differences
"""

from backprop_cli.engine.model import (
    Forward,
    Gradients,
    Inputs,
    LayerSpec,
    Model,
    Solution,
    Training,
    Update,
    count_parameters,
)
from backprop_cli.engine.network import apply_update, backward, forward, solve
from backprop_cli.engine.train import train
from backprop_cli.errors import NumericalError

__all__ = ["Forward", "Gradients", "Inputs", "LayerSpec", "Model", "NumericalError", "Solution",
           "Training", "Update", "apply_update", "backward", "count_parameters", "forward",
           "solve", "train"]
