"""The training loop: `step --steps N`, and the one place updates are repeated.

Each step is network.py's forward, backward and update (the code `solve` runs), with a
Workspace so the big arrays (pre-activations, gradients, plain SGD's new parameters) are
allocated once, sigmoid(−a) kept from the forward pass, no ∂L/∂x and no rounding hook.
A step is watched cheaply (watch.Cheap); only when that watch trips is the step redone
with the checked watch, from the same parameters and state (a step changes nothing until
it is over), so that the error names the quantity and the step, as `solve` would.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.model import Inputs, Training
from backprop_cli.engine.network import (
    backward_unguarded,
    forward_unguarded,
    running,
    update_unguarded,
)
from backprop_cli.engine.watch import Cheap, Checked
from backprop_cli.engine.workspace import Workspace


def train(inputs: Inputs, steps: int, progress=None) -> Training:
    """`steps` updates; progress(i) is called after step i when given. The given params
    and state are never written into. Raises NumericalError naming the first quantity that
    leaves float64's range, and the step it happened in."""
    model, params, x, y = inputs.model, inputs.params, inputs.x, inputs.y
    optimizer, hyper, state = inputs.optimizer, inputs.hyper, inputs.state
    lr = hyper["lr"] if optimizers.is_plain_sgd(optimizer, hyper) else None
    # the dense layers' rows: y's (N·T after a recurrent layer that gives every step)
    ws = Workspace(model, params, y.shape[0], x.shape[1], flat=lr is not None)
    params = ws.start(params)
    losses, stats = [], None  # stats: batch norm's running statistics, step to step
    with np.errstate(all="ignore"):  # every value is watched; overflow is reported by name
        cheap = Cheap(x)
        for i in range(1, steps + 1):
            fwd, grads, new_params, new_state = _step(model, params, x, y, optimizer, hyper,
                                                      state, ws, None)
            if not cheap.accepts(model, fwd, grads, new_params, new_state, lr, ws):
                fwd, grads, new_params, new_state = _step(model, params, x, y, optimizer,
                                                          hyper, state, ws,
                                                          Checked(f"in step {i}"))
            losses.append(fwd.loss)
            stats = running(model, fwd, stats)
            ws.accept(params, new_params)
            params, state = new_params, new_state
            if progress is not None:
                progress(i)
        last = forward_unguarded(model, params, x, y, None, ws=ws)
        if not (math.isfinite(last.loss) and all(map(_finite, last.a + last.h[1:]))):
            last = forward_unguarded(model, params, x, y, Checked(f"after step {steps}"))
    losses.append(last.loss)
    return Training(tuple(losses), params, state, stats or {})


def _step(model, params, x, y, optimizer, hyper, state, ws, watch):
    fwd = forward_unguarded(model, params, x, y, watch, ws=ws)
    grads = backward_unguarded(model, params, fwd, y, watch, ws=ws)
    new_params, new_state = update_unguarded(model, params, grads.params, optimizer, hyper,
                                             state, watch, ws=ws)
    return fwd, grads, new_params, new_state


def _finite(value) -> bool:
    return math.isfinite(np.add.reduce(value, axis=None)) or bool(np.isfinite(value).all())
