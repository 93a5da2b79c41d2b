"""Forward pass, loss, backward pass and one update of a stack of layers (dense ones here,
the other kinds' rules in layers/, residual connections, an L2 penalty): the only
implementation, used by `solve` (fresh arrays, every quantity kept for the report) and by
the training loop (buffers reused from step to step, nothing kept that training ignores).

Numpy only; nothing here prints. Shapes are model.py's. Every array is shown to a watch
(watch.py) as it is made: by default one that names the first value that is not finite,
in the order the maths computes them. The training loop passes no watch to the *_unguarded
functions and examines the step's results once it is over; its buffers are workspace.py's.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.functions import LOSSES
from backprop_cli.engine.model import Forward, Gradients, Inputs, Model, Solution, Update
from backprop_cli.engine.penalty import FORMS
from backprop_cli.engine.watch import Checked


def forward(model: Model, params: dict, x: np.ndarray, y: np.ndarray, when: str = "",
            rounding=None, ws=None, watch=None) -> Forward:
    """x (N, n_0), y (N, n_L) targets. rounding, when given, is applied to every value as
    it is computed (textbook rounding). Raises NumericalError on overflow."""
    with np.errstate(all="ignore"):  # overflow is watched for and reported by name
        return forward_unguarded(model, params, x, y, watch or Checked(when), rounding, ws)


def forward_unguarded(model, params, x, y, watch, rounding=None, ws=None) -> Forward:
    """forward() for callers already inside np.errstate(all="ignore") (the training loop)."""
    a_s, h_s, saved_s, caches = [], [x], [], []
    h = x
    for l, step in enumerate(model.steps, 1):
        cache = None
        if step.kind is None:  # dense
            a = np.matmul(h, params[step.W].T, out=None if ws is None else ws.a[l - 1])
            if step.b is not None:
                a += params[step.b]
            if step.residual is not None:
                a += h_s[step.residual]
        else:
            p = {short: params[name] for short, name in step.params.items()}
            kept = {"scratch": ws.scratch[l - 1]} if ws is not None and step.kind.keeps \
                else {}
            a, cache = step.kind.forward(h, p, step.settings, rounding, **kept)
        if rounding is not None:
            a = rounding(a)
        if watch is not None:
            _watch_cache(watch, l, cache)
            watch(f"a{l}", a)
        h, saved = step.forward(a, step.param)
        if rounding is not None:
            h, saved = rounding(h), None
        if watch is not None:
            watch(f"h{l}", h)
        a_s.append(a)
        h_s.append(h)
        saved_s.append(saved)
        caches.append(cache)
    loss = reduce_loss(LOSSES[model.loss].value(a, h, y, saved), model.reduction)
    parts = ()
    if model.penalty is not None:
        penalty = _penalty(model, params, x.shape[0])
        if rounding is not None:
            loss, penalty = rounding(loss), rounding(penalty)
        parts, loss = (loss, penalty), loss + penalty
    if rounding is not None:
        loss = rounding(loss)
    if watch is not None:
        watch("the loss", loss)
    return Forward(tuple(a_s), tuple(h_s), tuple(saved_s), loss, tuple(caches), parts)


def _penalty(model: Model, params: dict, N: int) -> float:
    """The L2 term: penalty.FORMS's form of λ over every weight, dense or convolution."""
    weights = [params[name] for name in model.weights]
    return FORMS[model.penalty.form].value(weights, model.penalty.lam, N)


def _watch_cache(watch, l: int, cache) -> None:
    for name, value in (cache or {}).items():  # "_": kept for the backward pass only
        if isinstance(value, np.ndarray) and not name.startswith("_"):
            watch(f"{name}{l}", value)


def reduce_loss(per_sample: np.ndarray, reduction: str) -> float:
    """Combine the (N,) per-sample losses: their sum, or their mean (the same bits as
    numpy's mean, without its overhead)."""
    total = float(np.add.reduce(per_sample))
    return total if reduction == "sum" else total / per_sample.shape[0]


def backward(model: Model, params: dict, fwd: Forward, y: np.ndarray, when: str = "",
             rounding=None, ws=None, watch=None) -> Gradients:
    """Every gradient of the loss, output to input, ∂L/∂x included (every solution shows
    it; the training loop, which never reads it, skips it)."""
    with np.errstate(all="ignore"):
        return backward_unguarded(model, params, fwd, y, watch or Checked(when), rounding, ws)


def backward_unguarded(model, params, fwd, y, watch, rounding=None, ws=None) -> Gradients:
    """backward() inside np.errstate. With a workspace (the training loop) the gradients
    are written into its buffers, and ∂L/∂h_L, which only the report shows, is skipped
    when the loss has a fused ∂L/∂a_L. rounding (--round) rounds each value as it is made."""
    r = rounding or _unrounded
    L = len(model.layers)
    scale = 1.0 if model.reduction == "sum" else 1.0 / y.shape[0]
    loss = LOSSES[model.loss]
    a, h = fwd.a[-1], fwd.h[-1]
    da_s: list = [None] * L
    dh_s: list = [None] * L
    grads = {}
    if ws is None or loss.grad_a is None:  # inf at saturation: shown as null
        dh_s[L - 1] = r(_scaled(loss.grad_h(a, h, y), scale, None if ws is None else ws.dh[-1]))
    if loss.grad_a is not None:
        da = r(_scaled(loss.grad_a(a, h, y), scale, None if ws is None else ws.da_out))
    else:
        da = r(_activation_backward(model, L, fwd, dh_s[L - 1]))
        if ws is not None:  # where the watch looks
            np.copyto(ws.da_out, da)
            da = ws.da_out
    skips: dict = {}  # k -> the sum of ∂L/∂a_l of the layers that add h_k (residual)
    inter: list = [None] * L
    dx = None
    for l in range(L, 0, -1):
        if watch is not None:
            watch(f"the gradient of a{l}", da)
        da_s[l - 1] = da
        step = model.steps[l - 1]
        if step.kind is None:
            dh = _dense_backward(model, params, fwd, step, l, da, grads, r, ws)
            if step.residual is not None:
                skips[step.residual] = da if step.residual not in skips else \
                    skips[step.residual] + da
        else:
            dh, inter[l - 1] = _kind_backward(model, params, fwd, step, l, da, grads, r, ws,
                                              rounding)
        if l - 1 in skips and dh is not None:
            dh = r(dh + skips.pop(l - 1))
        if l == 1:
            dx = dh
            break
        if watch is not None:
            watch(f"the gradient of h{l - 1}", dh)
        dh_s[l - 2] = dh
        da = r(_activation_backward(model, l - 1, fwd, dh))
    if watch is not None:
        if dx is not None:
            watch("the gradient of x", dx)
        for name, g in grads.items():  # frozen parameters' too: solve reports them
            watch(f"the gradient of {name}", g)
    return Gradients(tuple(da_s), tuple(dh_s), grads, dx, tuple(inter))


def _kind_backward(model, params, fwd, step, l: int, da, grads: dict, r, ws, rounding):
    """Another kind's backward pass: its parameters' gradients (with the penalty's part
    for a convolution's weights) into grads; returns (∂L/∂h_{l-1}, the gradients of its
    intermediates). A first layer in the training loop skips ∂L/∂x where it can."""
    p = {short: params[name] for short, name in step.params.items()}
    if l == 1 and ws is not None and step.kind.parameter_gradients is not None:
        dh, inter = None, {}
        dp = step.kind.parameter_gradients(da, fwd.caches[0], p, step.settings)
    else:
        dh, dp, inter = step.kind.backward(da, fwd.caches[l - 1], p, step.settings, rounding)
        dh = r(dh)
    for short, g in dp.items():
        name = step.params[short]
        if name in model.weights and model.penalty is not None:  # conv W, recurrent Wx, Wh
            g = g + FORMS[model.penalty.form].grad(params[name], model.penalty.lam,
                                                   da.shape[0])
        if ws is not None:  # into the workspace's buffer: plain SGD's update reads it
            np.copyto(ws.grads[name], g)
            g = ws.grads[name]
        grads[name] = r(g)
    return dh, inter


def _dense_backward(model, params, fwd, step, l: int, da, grads: dict, r, ws):
    """∂L/∂W_l (with the penalty's part), ∂L/∂b_l into grads; returns ∂L/∂h_{l-1}, or
    None for ∂L/∂x in the training loop, which never reads it."""
    w, b = step.W, step.b
    g = np.matmul(da.T, fwd.h[l - 1], out=None if ws is None else ws.grads[w])
    if model.penalty is not None:
        form, lam = FORMS[model.penalty.form], model.penalty.lam
        g = np.add(g, form.grad(params[w], lam, da.shape[0]), out=g)
    grads[w] = r(g)
    if b is not None:
        grads[b] = r(_sum_rows(da, None if ws is None else ws.grads[b]))
    if l == 1 and ws is not None:
        return None
    return r(np.matmul(da, params[w], out=None if ws is None or l == 1 else ws.dh[l - 2]))


def _unrounded(value):
    return value


def _scaled(value, scale: float, out):
    return value * scale if out is None else np.multiply(value, scale, out=out)


def _sum_rows(da, out):
    """The bias gradient: the sum of da's rows. One row is added to 0.0 as np.add.reduce
    would (the same bits, -0.0 included) without the reduction's fixed cost, which
    outweighs the sum itself on the classic exercise's 3-unit layers."""
    if da.shape[0] == 1:
        return np.add(da[0], 0.0, out=out)
    return np.add.reduce(da, axis=0, out=out)


def _activation_backward(model: Model, l: int, fwd: Forward, dh):
    step = model.steps[l - 1]
    return step.backward(fwd.a[l - 1], fwd.h[l], fwd.saved[l - 1], dh, step.param)


def apply_update(model: Model, params: dict, grads: dict, optimizer: str, hyper: dict,
                 state: dict, when: str = "", rounding=None, ws=None,
                 watch=None) -> tuple[dict, dict]:
    """One optimizer step on the trainable parameters; returns new (params, state), the
    given ones untouched."""
    with np.errstate(all="ignore"):
        return update_unguarded(model, params, grads, optimizer, hyper, state,
                                watch or Checked(when), rounding, ws)


def update_unguarded(model, params, grads, optimizer, hyper, state, watch, rounding=None,
                     ws=None) -> tuple[dict, dict]:
    """apply_update() inside np.errstate."""
    if ws is None:
        names = model.trainable_names()
        new, new_state = optimizers.step(
            optimizer, hyper, {n: params[n] for n in names}, {n: grads[n] for n in names},
            {n: state[n] for n in names if n in state})
    else:  # into the workspace's spare buffers
        new, new_state = ws.update(optimizer, hyper, params, grads, state)
    if rounding is not None:
        new = {n: rounding(v) for n, v in new.items()}
        new_state = {n: {k: v if k == "step" else rounding(v) for k, v in s.items()}
                     for n, s in new_state.items()}
    if watch is not None:
        for name, value in new.items():
            watch(name, value)
        for name, entry in new_state.items():
            for key, value in entry.items():
                if key != "step":
                    watch(f"the optimizer state {name}.{key}", value)
    return {**params, **new}, new_state


def solve(inputs: Inputs, rounding=None) -> Solution:
    """Everything `solve` reports: forward, gradients, one update and the loss after it."""
    model, params, x, y = inputs.model, inputs.params, inputs.x, inputs.y
    optimizer, hyper, state = inputs.optimizer, inputs.hyper, inputs.state
    fwd = forward(model, params, x, y, rounding=rounding)
    grads = backward(model, params, fwd, y, rounding=rounding)
    when = "after the update"
    new_params, new_state = apply_update(model, params, grads.params, optimizer, hyper, state,
                                         when, rounding)
    after = forward(model, new_params, x, y, when, rounding)  # same masks, same mode
    stats = running(model, fwd)
    if rounding is not None:
        stats = {name: rounding(v) for name, v in stats.items()}
    return Solution(fwd, grads, Update(optimizer, hyper, new_params, new_state, after.loss,
                                       stats, after.parts))


def running(model: Model, fwd: Forward, old: dict | None = None) -> dict:
    """Batch norm's running statistics by name (running_mean{l}, running_var{l}) after the
    forward pass fwd, from `old` (default: the layers' settings): torch's momentum rule in
    train mode; eval mode keeps them. {} without batch norm."""
    out = {}
    for l, step in enumerate(model.steps, 1):
        if step.kind is None or step.kind.running is None:
            continue
        names = (f"running_mean{l}", f"running_var{l}")
        new = step.kind.running(fwd.caches[l - 1], step.settings, fwd.a[l - 1].shape[0],
                                None if old is None else (old[names[0]], old[names[1]]))
        out.update(zip(names, (new["running_mean"], new["running_var"])))
    return out
