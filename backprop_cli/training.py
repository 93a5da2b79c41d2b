"""The training loop behind `backprop step`: engine.train's arithmetic, operation for
operation (so the results are bit-for-bit the same), with the per-array bookkeeping taken
out of the hot path.

engine.forward/backward check every array for overflow so that an error can name the
quantity. Here a step is only watched: the sum of every pre-activation, the loss and the
sum of every updated optimizer value must be finite (an overflow anywhere reaches one of
them). When one is not, the step is recomputed by engine's checked functions, which name
the culprit, or, on a false alarm (finite values whose sum overflows), carry on.
Plain SGD's new parameters are not summed (a pass over every weight): a non-finite weight
always makes the next forward pass's pre-activations non-finite (inf·h, or inf·0 = nan),
and then the previous update, whose inputs are still at hand, is redone with checks.
Shapes as in engine.py: h[0] = x (N, n_0), a[l] = h[l-1] W_l^T + b_l.
"""

from __future__ import annotations

import math

import numpy as np

from backprop_cli import engine, optimizers
from backprop_cli.functions import ACTIVATIONS, LOSSES, sigmoid_pair


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
        self.sigmoid = [s.activation == "sigmoid" for s in model.layers]
        self.names = [(f"W{l}", f"b{l}") for l in range(1, self.L + 1)]
        self.s_neg = [None] * self.L
        self.loss = LOSSES[model.loss]
        self.scale = 1.0 if model.reduction == "sum" else 1.0 / y.shape[0]
        self.trainable = model.trainable_names()
        self.plain_sgd = optimizer == "sgd" and hyper["momentum"] == 0 and \
            hyper["weight_decay"] == 0 and not hyper["maximize"]
        self.given = params  # the caller's arrays: never written into
        self.params = dict(params)
        # plain SGD writes each update into a spare buffer, swapped in once it is watched
        self.spare = {n: [np.empty_like(params[n])] for n in self.trainable} \
            if self.plain_sgd else {}
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
            if self.sigmoid[l]:  # keep sigmoid(-a) for the backward pass
                h, self.s_neg[l] = sigmoid_pair(a)
            else:
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
            w_name, b_name = self.names[l - 1]
            grads[w_name] = da.T @ h_s[l - 1]
            if self.b[l - 1] is not None:
                grads[b_name] = da.sum(axis=0)
            if l == 1:
                break
            dh = da @ self.W[l - 1]
            if self.sigmoid[l - 2]:  # sigmoid_backward's arithmetic, sigmoid(-a) kept
                da = dh * h_s[l - 1] * self.s_neg[l - 2]
            else:
                da = self.acts[l - 2].backward(a_s[l - 2], h_s[l - 1], dh, self.ps[l - 2])
        return grads

    def update(self, grads: dict, state: dict) -> dict:
        """Compute every new value, watch them, then commit (so a suspect step has
        changed nothing and can be redone)."""
        if self.plain_sgd:  # p - lr*g: the same bits as optimizers._sgd, into spare buffers
            lr = self.hyper["lr"]
            new = {}
            for n in self.trainable:
                g = np.multiply(grads[n], lr, out=grads[n])  # the gradient is ours to reuse
                new[n] = np.subtract(self.params[n], g, out=self.spare[n][0])
        else:
            new, state = optimizers.step(
                self.optimizer, self.hyper, {n: self.params[n] for n in self.trainable},
                {n: grads[n] for n in self.trainable},
                {n: state[n] for n in self.trainable if n in state})
        if not self.plain_sgd and not all(map(_finite_sum, new.values())):
            raise _Suspect
        for entry in state.values():
            if not all(_finite_sum(v) for k, v in entry.items() if k != "step"):
                raise _Suspect
        self.commit(new)
        return state

    def commit(self, new: dict) -> None:
        self.previous = {n: self.params[n] for n in new}  # intact until the next update
        for n, value in new.items():
            old = self.params[n]
            if n in self.spare and value is self.spare[n][0]:  # swap the double buffer
                self.spare[n][0] = old if old is not self.given[n] else np.empty_like(old)
            self.params[n] = value
        self.W = [self.params[w] for w, _ in self.names]
        self.b = [self.params.get(b) for _, b in self.names]

    def recheck_last_update(self, state: dict, step: int) -> None:
        """A suspect forward pass: if the last update left a parameter non-finite, redo it
        with checks from the parameters it started from, to name it (this raises)."""
        if step and not all(np.isfinite(v).all() for v in self.params.values()):
            self.commit(self.previous)
            self.checked_step(state, f"in step {step}")

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
                loop.recheck_last_update(state, i - 1)
                loss, state = loop.checked_step(state, f"in step {i}")
            losses.append(loss)
            if progress is not None:
                progress(i)
        try:
            losses.append(loop.forward()[2])
        except _Suspect:
            loop.recheck_last_update(state, steps)
            losses.append(engine.forward(model, loop.params, x, y, f"after step {steps}").loss)
    return engine.Training(tuple(losses), loop.params, state)
