"""Watching values for overflow: every array network.py makes is shown to a watch.

Checked (solve, and any step that must name its culprit) tests each array as it is made
and raises NumericalError naming the first that is not finite, in the order the maths
computes them. Cheap (the training loop) looks once a step is over, in as few numpy calls
as it can: on a small network one sum over the workspace (workspace.py) that holds every
array the step wrote; otherwise one square norm (a BLAS pass) over its pre-activations
and ∂L/∂h, which also bounds each of them, small parameter arrays in one concatenation,
larger ones by one BLAS pass each, and a dense layer's weight-sized gradient or
plain-SGD update proven finite by a bound instead of a pass over it. Other layer kinds,
residual sums and a penalty are watched the same way: what they make outside the
workspace is read once, what follows finite from it is not.
When Cheap cannot prove a step finite, the loop redoes it with Checked, which
names the quantity (or, when finite values only summed or squared to infinity, finds
nothing and the step stands).
"""

from __future__ import annotations

import math

import numpy as np

from backprop_cli.errors import NumericalError

TINY = 512  # arrays up to this size are tested together, in one concatenation
SMALL = 4096  # a weight gradient or update past this size is judged by a bound
SAFE = 1e300  # a bound below this proves a value finite, with room for rounding


class Checked:
    """Test each value now; raise NumericalError naming the first that is not finite.
    Use inside np.errstate(all="ignore")."""

    def __init__(self, when: str = ""):
        self.when = when

    def __call__(self, name: str, value) -> None:
        if isinstance(value, float):
            finite = math.isfinite(value)
        else:
            finite = math.isfinite(np.add.reduce(value, axis=None)) or np.isfinite(value).all()
        if not finite:
            where = f" {self.when}" if self.when else ""
            raise NumericalError(f"{name} is not finite in float64{where}")


class Cheap:
    """The training loop's watch. Nothing is called while a step runs (network.py skips
    watching when its watch is None); afterwards accepts() examines everything the step
    made, in as few numpy calls as it can."""

    def __init__(self, x):
        self.x, self.x_sq = x, _square_norm(x)  # the input never changes: its norm is kept
        self.param_max: dict = {}  # a running bound on each plain-SGD parameter's entries
        self.dense: dict | None = None  # W_l, b_l -> (l, is a weight), from the first step

    def accepts(self, model, fwd, grads, new: dict, state: dict, lr: float | None,
                ws) -> bool:
        """Whether every value the step made is proven finite. lr: plain SGD's learning
        rate (the new parameters are old - lr * gradient), else None. ws: the workspace
        the step wrote into."""
        if not math.isfinite(fwd.loss):
            return False
        values = _unproven(model, fwd, grads, state, ws.held)
        if ws.arena.size <= SMALL:  # a small network: one sum over the workspace
            rest = values if ws.flat else [*values, *new.values()]  # not in it: other rules'
            return math.isfinite(np.add.reduce(ws.arena)) and (not rest or math.isfinite(
                np.add.reduce(np.concatenate([v.ravel() for v in rest]))))
        # the workspace's a, dh and output da lie side by side: one BLAS pass over them
        # all, whose square norm bounds each of theirs (the gradients' bounds below)
        total = _square_norm(ws.activations)
        if not math.isfinite(total):
            return False
        params = [*grads.params.values(), *new.values()]
        tiny = [v.ravel() for v in values + params if v.size <= TINY]
        if tiny and not math.isfinite(np.add.reduce(np.concatenate(tiny))):
            return False
        return self._larger_ok(model, fwd, grads, new, values, lr, ws.held, total)

    def _larger_ok(self, model, fwd, grads, new: dict, values: list, lr, held,
                   total: float) -> bool:
        # one BLAS pass each, no copies; its square norm serves the bounds below, as
        # does the workspace's (total) for the arrays it holds
        sq = {id(v): _square_norm(v) for v in values if v.size > TINY}
        if not all(map(math.isfinite, sq.values())):
            return False
        sq.update(dict.fromkeys(held, total))
        if self.dense is None:
            self.dense = {name: (l, name == step.W) for l, step in enumerate(model.steps, 1)
                          for name in (step.W, step.b) if name is not None}
        bounds = {name: self._bound(model, name, g, fwd, grads, sq)
                  for name, g in grads.params.items() if g.size > TINY}
        if not all(map(math.isfinite, bounds.values())):
            return False
        return all(self._update_ok(name, value, lr, bounds) for name, value in new.items()
                   if value.size > TINY)

    def _bound(self, model, name: str, g, fwd, grads, sq) -> float:
        """A bound on the entries of the gradient g: a dense layer's weight-sized one from
        its factors, unread (but W's with a penalty, which adds a term); else its norm."""
        l, weight = self.dense.get(name, (0, False))
        if g.size <= SMALL or not l or (weight and model.penalty is not None):
            return math.sqrt(_square_norm(g))
        # dW_l = da_l^T h_{l-1}: |entry| <= |da_l| |h_{l-1}| (Cauchy-Schwarz, Frobenius
        # norms), so finite norms and a small bound prove every entry finite unread;
        # db_l sums da_l's N rows: |entry| <= sqrt(N) |da_l|
        da, h, dh = grads.a[l - 1], fwd.h[l - 1], grads.h[l - 1]
        # |f'| <= 1: |da_l| <= |dh_l|, so a ∂L/∂h_l already read (another kind's) serves
        da_sq = sq[id(da)] if id(da) in sq else sq[id(dh)] if \
            model.steps[l - 1].contracts and id(dh) in sq else _square_norm(da)
        h_sq = self.x_sq if h is self.x else sq[id(h)] if id(h) in sq else _square_norm(h)
        bound = math.sqrt(da_sq) * math.sqrt(h_sq) if weight else \
            math.sqrt(da_sq * da.shape[0])
        return bound if bound < SAFE else _max_abs(g)

    def _update_ok(self, name: str, value, lr, bounds: dict) -> bool:
        if lr is None or value.size <= SMALL:
            return math.isfinite(_square_norm(value))
        # |old - lr grad| <= max|old| + lr max|grad|, a bound carried from step to step
        bound = self.param_max.get(name, math.inf) + lr * bounds.get(name, math.inf)
        if not bound < SAFE:  # the bound grew too loose (or is new): read the values
            bound = _max_abs(value)
        self.param_max[name] = bound
        return math.isfinite(bound)


def _unproven(model, fwd, grads, state: dict, held) -> list:
    """The arrays a step made that lie outside the workspace's buffers (held: their ids)
    and do not follow finite from those checked, each once: another kind's output, its
    intermediates and their gradients, ∂L/∂h that a kind or a residual's sum made, ∂L/∂x,
    the optimizer's state; h_l only where its activation can grow (else a finite a_l
    gives a finite h_l), ∂L/∂a_l only where |f'| > 1 (else a finite ∂L/∂h_l gives a
    finite one), nor a kind's intermediates that follow finite from its others
    (Kind.follows). A dropout mask is the file's, not made."""
    made = []  # candidates in the maths' order; duplicates and non-arrays dropped below
    last = len(model.steps)
    for l, step in enumerate(model.steps, 1):
        made.append(fwd.a[l - 1])
        if step.grows:
            made.append(fwd.h[l])
        if step.kind is not None:
            cache, follows = fwd.caches[l - 1], step.kind.follows
            skip = ("mask", *(follows(cache, step.settings) if follows else ()))
            made += [v for name, v in cache.items() if name not in skip]
            made += grads.inter[l - 1].values()
        made.append(grads.h[l - 1])
        if l < last and not step.contracts:
            made.append(grads.a[l - 1])
    made.append(grads.x)
    for entry in state.values():
        made += [v for name, v in entry.items() if name != "step"]
    out, seen = [], set(held)
    for v in made:
        if id(v) not in seen and isinstance(v, np.ndarray):
            seen.add(id(v))
            out.append(v)
    return out


def _square_norm(value) -> float:
    # one BLAS pass; not finite when any entry is not (or, rarely, when entries past 1e154
    # square to infinity: then the step is redone with Checked, which finds no culprit)
    flat = value.ravel()
    return float(flat @ flat)


def _max_abs(value) -> float:
    return float(max(value.max(), -value.min())) if value.size else 0.0
