"""Activations and losses, each forward rule next to its derivative: the tables the
problem file's names map onto (ACTIVATIONS in activations.py, LOSSES in losses.py)."""

from backprop_cli.engine.functions.activations import ACTIVATIONS, Activation, log_softmax, sigmoid
from backprop_cli.engine.functions.losses import LOSSES, REDUCTIONS, Loss

__all__ = ["ACTIVATIONS", "LOSSES", "REDUCTIONS", "Activation", "Loss", "log_softmax",
           "sigmoid"]
