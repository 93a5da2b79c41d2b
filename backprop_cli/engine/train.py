"""The training loop: `step --steps N`, and the one place updates are repeated.

Each step is network.py's forward, backward and update (the code `solve` runs), with a
Workspace so the big arrays (pre-activations, gradients, plain SGD's new parameters) are
allocated once, sigmoid(−a) kept from the forward pass, no ∂L/∂x and no rounding hook.
"""

from __future__ import annotations

from backprop_cli.engine.model import Model, Training
from backprop_cli.engine.network import Workspace, apply_update, backward, forward


def train(model: Model, params: dict, x, y, optimizer: str, hyper: dict, state: dict,
          steps: int, progress=None) -> Training:
    """`steps` updates; progress(i) is called after step i when given. The given params
    and state are never written into. Raises NumericalError naming the first quantity that
    leaves float64's range, and the step it happened in."""
    ws = Workspace(model, params, x.shape[0])
    losses = []
    for i in range(1, steps + 1):
        when = f"in step {i}"
        fwd = forward(model, params, x, y, when, ws=ws)
        losses.append(fwd.loss)
        grads = backward(model, params, fwd, y, when, ws=ws)
        params, state = apply_update(model, params, grads.params, optimizer, hyper, state,
                                     when, ws=ws)
        if progress is not None:
            progress(i)
    losses.append(forward(model, params, x, y, f"after step {steps}", ws=ws).loss)
    return Training(tuple(losses), params, state)
