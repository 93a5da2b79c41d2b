"""The training loop's arrays, allocated once for a run and written with out= at every
step: pre-activations, ∂L/∂h, the output's ∂L/∂a, the gradients and, with plain SGD, the
parameters' double buffer (the update writes its new values into the spare half, so a step
changes nothing until it is accepted). Other optimizers get a spare buffer per parameter.

Every one of them is a view into one zeroed array, the arena: on a small network the
watch (watch.py) then proves a whole step finite with one sum over it. With plain SGD the
trainable parameters and their gradients are one flat slice each (the parameters as views
into it), so the rule p − η·g runs once over the whole network instead of once per
parameter, with the same bits.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.model import Model


def _views(flat: np.ndarray, shapes: list) -> list[np.ndarray]:
    """Consecutive views of a flat array, one per shape."""
    ends = np.cumsum([0, *(int(np.prod(shape)) for shape in shapes)]).tolist()
    return [flat[start:end].reshape(shape) for start, end, shape in zip(ends, ends[1:], shapes)]


def _carve(shapes: list) -> tuple[np.ndarray, list[np.ndarray]]:
    """One zeroed array and its views, one per shape. Zeros: a view that a step leaves
    unwritten must not trip the watch's sum."""
    whole = np.zeros(sum(int(np.prod(shape)) for shape in shapes))
    return whole, _views(whole, shapes)


def _named(flat: np.ndarray, shapes: dict) -> dict:
    return dict(zip(shapes, _views(flat, list(shapes.values()))))


class Workspace:
    def __init__(self, model: Model, params: dict, n: int, n_in: int, flat: bool = False):
        units = model.widths(params, n_in)  # n is the batch size, n_in x's width
        # a_l's buffer for a dense layer; ∂L/∂h_l's for the dense layer after it, or the
        # loss. Another kind makes its own arrays: its buffers have no width, so the
        # watch's sum reads nothing that a step leaves unwritten.
        dense = [step.kind is None for step in model.steps]
        widths = [k if d else 0 for k, d in zip(units, dense)]
        widths += [k if d else 0 for k, d in zip(units, [*dense[1:], True])]
        self.trainable = model.trainable_names()
        self.given = params  # the caller's arrays: never written into
        self.flat = flat and bool(self.trainable)
        shapes = {name: params[name].shape for name in self.trainable}
        frozen = {name: params[name].shape for name in model.parameter_names()
                  if name not in shapes}
        size = sum(params[name].size for name in self.trainable)
        self.arena, views = _carve([*[(n, k) for k in widths], (n, units[-1]), (size,),
                                    *frozen.values(), *[(size,)] * (2 if self.flat else 0)])
        taken = iter(views)
        self.a = [next(taken) for _ in units]  # a_l, (N, n_l)
        self.scratch = [{} for _ in units]  # a kind's own arrays, step to step (Kind.keeps)
        self.dh = [next(taken) for _ in units]  # dL/dh_l
        self.da_out = next(taken)  # dL/da_L
        # a, dh and da_out, side by side at the arena's start: what the watch sums at once
        self.activations = self.arena[:sum(v.size for v in (*self.a, *self.dh, self.da_out))]
        self.held = frozenset(map(id, (*self.a, *self.dh, self.da_out)))  # what it covers
        self.gradient = next(taken)  # every trainable parameter's gradient
        self.grads = {**_named(self.gradient, shapes), **{name: next(taken) for name in frozen}}
        if self.flat:
            self.theta = tuple((flat, _named(flat, shapes)) for flat in taken)
            self.current = 0
        else:
            self.spare = {name: np.empty_like(params[name]) for name in self.trainable}

    def start(self, params: dict) -> dict:
        """The parameters the first step reads: with flat buffers, copies in them."""
        if not self.flat:
            return params
        for name, view in self.theta[0][1].items():
            view[...] = params[name]
        return {**params, **self.theta[0][1]}

    def update(self, optimizer: str, hyper: dict, params: dict, grads: dict, state: dict):
        """One optimizer step into the spare buffers: (new trainable params, new state)."""
        if self.flat:  # plain SGD, once over every parameter
            (now, _), (out, views) = self.theta[self.current], self.theta[1 - self.current]
            optimizers.step("sgd", hyper, {"θ": now}, {"θ": self.gradient}, {}, {"θ": out})
            return views, {}
        names = self.trainable
        return optimizers.step(optimizer, hyper, {n: params[n] for n in names},
                               {n: grads[n] for n in names},
                               {n: state[n] for n in names if n in state}, self.spare)

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
