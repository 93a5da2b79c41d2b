"""The training loop's arrays, allocated once for a run and written with out= at every
step: pre-activations, gradients, and each trainable parameter's double buffer (the update
writes its new values into the spare half, so a step changes nothing until it is accepted).

With plain SGD every trainable parameter and its gradient live in one flat array each
(the parameters as views into it): the rule p − η·g then runs once over the whole network
instead of once per parameter, with the same bits, and the watch reads two arrays.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.model import Model


def _views(flat: np.ndarray, shapes: dict) -> dict:
    views, start = {}, 0
    for name, shape in shapes.items():
        size = int(np.prod(shape))
        views[name] = flat[start:start + size].reshape(shape)
        start += size
    return views


class Workspace:
    def __init__(self, model: Model, params: dict, n: int, flat: bool = False):
        units = [params[step.W].shape[0] for step in model.steps]
        self.a = [np.empty((n, k)) for k in units]
        self.dh = [np.empty((n, k)) for k in units]  # dL/dh_l for l < L
        self.grads = {name: np.empty_like(params[name]) for name in model.parameter_names()}
        self.trainable = model.trainable_names()
        self.given = params  # the caller's arrays: never written into
        self.flat = flat and bool(self.trainable)
        if self.flat:
            shapes = {name: params[name].shape for name in self.trainable}
            total = sum(params[name].size for name in self.trainable)
            self.theta = (np.empty(total), np.empty(total))
            self.gradient = np.empty(total)
            self.grads.update(_views(self.gradient, shapes))
            self.views = tuple(_views(theta, shapes) for theta in self.theta)
            self.current = 0
        else:
            self.spare = {name: np.empty_like(params[name]) for name in self.trainable}

    def start(self, params: dict) -> dict:
        """The parameters the first step reads: with flat buffers, copies in them."""
        if not self.flat:
            return params
        for name, view in self.views[0].items():
            view[...] = params[name]
        return {**params, **self.views[0]}

    def update(self, optimizer: str, hyper: dict, params: dict, grads: dict, state: dict):
        """One optimizer step into the spare buffers: (new trainable params, new state)."""
        if self.flat:  # plain SGD, once over every parameter
            out = self.theta[1 - self.current]
            optimizers.step("sgd", hyper, {"θ": self.theta[self.current]},
                            {"θ": self.gradient}, {}, {"θ": out})
            return dict(self.views[1 - self.current]), {}
        names = self.trainable
        return optimizers.step(optimizer, hyper, {n: params[n] for n in names},
                               {n: grads[n] for n in names},
                               {n: state[n] for n in names if n in state}, self.spare)

    def flat_arrays(self):
        """(all gradients, all new parameters) of the last update, or None."""
        if not self.flat:
            return None
        return self.gradient, self.theta[1 - self.current]

    def accept(self, old: dict, new: dict) -> None:
        """Once a step is accepted: the arrays its new values replace become the spares,
        unless they are the caller's."""
        if self.flat:
            self.current = 1 - self.current
            return
        for name, value in new.items():
            if self.spare.get(name) is value:
                was = old[name]
                self.spare[name] = np.empty_like(was) if was is self.given.get(name) else was
