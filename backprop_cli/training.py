"""The training loop behind `backprop step`: engine.train's arithmetic, operation for
operation (so the results are bit-for-bit the same), with the per-array bookkeeping taken
out of the hot path.

engine.forward/backward check every array for overflow so that an error can name the
quantity. Here a step is only watched: the sum of every pre-activation, the loss and the
sum of every updated parameter must be finite (an overflow anywhere reaches one of them).
When one is not, the step is recomputed by engine's checked functions, which name the
culprit, or, on a false alarm (finite values whose sum overflows), carry on.
Shapes as in engine.py: h[0] = x (N, n_0), a[l] = h[l-1] W_l^T + b_l.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_cli import engine, optimizers
from backprop_cli.functions import ACTIVATIONS, LOSSES


class _Suspect(Exception):
    """Something in this step may have overflowed: redo it with checks."""


def _finite_sum(a) -> bool:
    return math.isfinite(np.add.reduce(a, axis=None))


class _Loop:
    def __init__(self, model: engine.Model, params: dict, x, y, optimizer, hyper):
        self.model, self.x, self.y = model, x, y
        self.optimizer, self.hyper = optimizer, hyper
        self.L = len(model.layers)
        self.acts = [ACTIVATIONS[s.activation] for s in model.layers]
        self.ps = [s.param for s in model.layers]
        self.loss = LOSSES[model.loss]
        self.scale = 1.0 if model.reduction == "sum" else 1.0 / y.shape[0]
        self.trainable = model.trainable_names()
        self.plain_sgd = optimizer == "sgd" and hyper["momentum"] == 0 and \
            hyper["weight_decay"] == 0 and not hyper["maximize"]
        self.params = dict(params)  # rebound, never written into
        self.commit({})

    def forward(self):
        a_s, h_s = [], [self.x]
        h = self.x
        for l in range(self.L):
            a = h @ self.W[l].T
            if self.b[l] is not None:
                a += self.b[l]
            if not _finite_sum(a):
                raise _Suspect
            h = self.acts[l].forward(a, self.ps[l])
            a_s.append(a)
            h_s.append(h)
        loss = engine.reduce_loss(self.loss.value(a, h, self.y), self.model.reduction)
        if not math.isfinite(loss):
            raise _Suspect
        return a_s, h_s, loss

    def gradients(self, a_s, h_s) -> dict:
        a, h, y = a_s[-1], h_s[-1], self.y
        if self.loss.grad_a is not None:
            da = self.loss.grad_a(a, h, y) * self.scale
        else:
            dh = self.loss.grad_h(a, h, y) * self.scale
            da = self.acts[-1].backward(a, h, dh, self.ps[-1])
        grads = {}
        for l in range(self.L, 0, -1):
            grads[f"W{l}"] = da.T @ h_s[l - 1]
            if self.b[l - 1] is not None:
                grads[f"b{l}"] = da.sum(axis=0)
            if l == 1:
                break
            dh = da @ self.W[l - 1]
            da = self.acts[l - 2].backward(a_s[l - 2], h_s[l - 1], dh, self.ps[l - 2])
        return grads

    def update(self, grads: dict, state: dict) -> dict:
        """Compute every new value, watch them, then commit (so a suspect step has
        changed nothing and can be redone)."""
        if self.plain_sgd:  # p - lr*g: the same bits as optimizers._sgd
            lr = self.hyper["lr"]
            new = {n: self.params[n] - lr * grads[n] for n in self.trainable}
        else:
            new, state = optimizers.step(
                self.optimizer, self.hyper, {n: self.params[n] for n in self.trainable},
                {n: grads[n] for n in self.trainable},
                {n: state[n] for n in self.trainable if n in state})
        watched = list(new.values()) + [v for entry in state.values()
                                        for k, v in entry.items() if k != "step"]
        if not all(map(_finite_sum, watched)):
            raise _Suspect
        self.commit(new)
        return state

    def commit(self, new: dict) -> None:
        self.params.update(new)
        self.W = [self.params[f"W{l}"] for l in range(1, self.L + 1)]
        self.b = [self.params.get(f"b{l}") for l in range(1, self.L + 1)]

    def checked_step(self, state: dict, when: str):
        """engine's checked functions: they raise NumericalError naming the quantity."""
        fwd = engine.forward(self.model, self.params, self.x, self.y, when)
        grads = engine.backward(self.model, self.params, fwd, self.y, when)
        new, state = engine.apply_update(self.model, self.params, grads.params,
                                         self.optimizer, self.hyper, state, when)
        self.commit(new)
        return fwd.loss, state


def train(model: engine.Model, params: dict, x, y, optimizer: str, hyper: dict, state: dict,
          steps: int, progress=None) -> engine.Training:
    """`steps` updates; the same results as engine.train, faster. progress(i) is called
    after step i when given."""
    loop = _Loop(model, params, x, y, optimizer, hyper)
    losses = []
    with np.errstate(all="ignore"):  # overflow is caught by the watch, named by engine
        for i in range(1, steps + 1):
            try:
                a_s, h_s, loss = loop.forward()
                state = loop.update(loop.gradients(a_s, h_s), state)
            except _Suspect:
                loss, state = loop.checked_step(state, f"in step {i}")
            losses.append(loss)
            if progress is not None:
                progress(i)
        try:
            losses.append(loop.forward()[2])
        except _Suspect:
            losses.append(engine.forward(model, loop.params, x, y, f"after step {steps}").loss)
    return engine.Training(tuple(losses), loop.params, state)
