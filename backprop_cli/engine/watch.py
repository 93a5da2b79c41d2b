"""Watching values for overflow: every array network.py makes is shown to a watch.

Checked (solve, and any step that must name its culprit) tests each array as it is made
and raises NumericalError naming the first that is not finite, in the order the maths
computes them. Cheap (the training loop) looks once a step is over, in as few numpy calls
as it can: on a small network one sum over the workspace (workspace.py) that holds every
array the step wrote; otherwise one sum over its pre-activations and ∂L/∂h, small
parameter arrays in one concatenation, larger ones by one BLAS pass each, and a
weight-sized gradient or plain-SGD update proven finite by a bound instead of a pass
over it. When Cheap cannot prove a step finite, the loop redoes it with Checked, which
names the quantity (or, when finite values only summed to infinity, finds nothing and the
step stands).
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

    def accepts(self, model, fwd, grads, new: dict, state: dict, lr: float | None,
                ws) -> bool:
        """Whether every value the step made is proven finite. lr: plain SGD's learning
        rate (the new parameters are old - lr * gradient), else None. ws: the workspace
        the step wrote into."""
        if not math.isfinite(fwd.loss):
            return False
        if not model.plain:  # other kinds, skips, a penalty: every array, one pass each
            seen: set = set()  # an identity's h is its a: each array once
            return all(math.isfinite(_square_norm(v)) for v in _every(fwd, grads, new, state)
                       if not (id(v) in seen or seen.add(id(v))))
        # besides what the workspace holds: a steep activation's h and da (see Step) and
        # the optimizer's state
        values = [h for step, h in zip(model.steps, fwd.h[1:]) if step.grows]
        values += [da for step, da in zip(model.steps[:-1], grads.a) if not step.contracts]
        values += [v for e in state.values() for k, v in e.items() if k != "step"]
        if ws.arena.size <= SMALL:  # a small network: one sum over the workspace
            rest = values if ws.flat else [*values, *new.values()]  # not in it: other rules'
            return math.isfinite(np.add.reduce(ws.arena)) and (not rest or math.isfinite(
                np.add.reduce(np.concatenate([v.ravel() for v in rest]))))
        # the workspace's a, dh and output da lie side by side: one sum over them all
        if not math.isfinite(np.add.reduce(ws.activations)):
            return False
        params = [*grads.params.values(), *new.values()]
        tiny = [v.ravel() for v in values + params if v.size <= TINY]
        if tiny and not math.isfinite(np.add.reduce(np.concatenate(tiny))):
            return False
        return self._larger_ok(fwd, grads, new, values, lr)

    def _larger_ok(self, fwd, grads, new: dict, values: list, lr) -> bool:
        # one BLAS pass each, no copies; its square norm serves the bounds below
        sq = {id(v): _square_norm(v) for v in values if v.size > TINY}
        if not all(map(math.isfinite, sq.values())):
            return False
        # a weight-sized gradient by a bound on its entries, a mid-sized one by one pass
        bounds = {name: self._product_bound(g, fwd, grads, name, sq) if g.size > SMALL
                  else _square_norm(g) for name, g in grads.params.items() if g.size > TINY}
        if not all(map(math.isfinite, bounds.values())):
            return False
        return all(self._update_ok(name, value, lr, bounds) for name, value in new.items()
                   if value.size > TINY)

    def _product_bound(self, g, fwd, grads, name, sq) -> float:
        # dW_l = da_l^T h_{l-1}: |entry| <= |da_l| |h_{l-1}| (Cauchy-Schwarz, Frobenius
        # norms), so finite norms and a small bound prove every entry finite unread
        l = int(name[1:])
        da, h = grads.a[l - 1], fwd.h[l - 1]
        da_sq = sq[id(da)] if id(da) in sq else _square_norm(da)
        h_sq = self.x_sq if h is self.x else sq[id(h)] if id(h) in sq else _square_norm(h)
        bound = math.sqrt(da_sq) * math.sqrt(h_sq) if name[0] == "W" else \
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


def _every(fwd, grads, new: dict, state: dict):
    """Every array a step made (a dropout mask is the file's, not made)."""
    yield from fwd.a
    yield from fwd.h[1:]
    for part in (*fwd.caches, *grads.inter, grads.params, new, *state.values()):
        yield from (v for k, v in (part or {}).items()
                    if isinstance(v, np.ndarray) and k not in ("step", "mask"))
    yield from (v for v in (*grads.a, *grads.h) if v is not None)


def _square_norm(value) -> float:
    # one BLAS pass; not finite when any entry is not (or, rarely, when entries past 1e154
    # square to infinity: then the step is redone with Checked, which finds no culprit)
    flat = value.ravel()
    return float(flat @ flat)


def _max_abs(value) -> float:
    return float(max(value.max(), -value.min())) if value.size else 0.0
