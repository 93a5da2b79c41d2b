"""What batch norm and layer norm share in the marking graph: the same arithmetic over
another axis (engine/layers/batchnorm.py), as a person works it, step by step:

    mean{l}  = Σ h / count                      var{l} = Σ (h − μ)² / divisor
    xhat{l}  = (h − μ) / √(σ² + ε)              a{l}   = γ ⊙ x̂ + β
    dxhat{l} = δ ⊙ γ                            dgamma{l} = Σ_i δ ⊙ x̂,  dbeta{l} = Σ_i δ
    dvar{l}  = Σ ∂L/∂x̂ ⊙ (h − μ) · (−½)(σ² + ε)^(−3/2)
    dmean{l} = Σ −∂L/∂x̂ / √(σ² + ε) + ∂L/∂σ² · Σ −2(h − μ) / divisor
    ∂L/∂h_{l−1} = ∂L/∂x̂ / √(σ² + ε) + ∂L/∂σ² · 2(h − μ) / divisor + ∂L/∂μ / count

Σ runs over `axis` of values shaped (…, N, n): −2 (the batch) for batch norm, −1 (the
sample's features) for layer norm; γ's and β's sums always over the batch. With constant
statistics (batch norm in eval mode) ∂L/∂h_{l−1} = ∂L/∂x̂ / √(σ² + ε).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.grading.layers import on_input, parameter, spec


@dataclass(frozen=True)
class Axis:
    """How layer l normalises: over which axis, the divisors, whether from the batch."""
    axis: int  # −2: over the batch (batch norm), −1: over a sample's features
    count: int  # the entries averaged: N or n
    divisor: int  # the variance's: N, N − 1 or n
    batch_stats: bool  # False: constant statistics (eval mode)
    eps: float


def axis_of(ctx, l: int, other_divisor: bool = False) -> Axis:
    s = spec(ctx, l)
    if ctx.model.layers[l - 1].kind == "layernorm":
        n = ctx.units(l)
        return Axis(-1, n, n, True, s.eps)
    N = ctx.x.shape[0]
    unbiased = (s.variance == "unbiased") != other_divisor
    return Axis(-2, N, N - 1 if unbiased else N, s.mode == "train", s.eps)


def _e(s, ax: Axis):
    """A statistic broadcast back against (…, N, n)."""
    return np.expand_dims(s, ax.axis)


def _std(v, ax: Axis):
    return np.sqrt(_e(v, ax) + ax.eps)


def forward_nodes(ctx, l: int) -> list[Node]:
    N, n = ctx.x.shape[0], ctx.units(l)
    per_sample = axis_of(ctx, l).axis == -1
    stat = (N,) if per_sample else (n,)
    return [Node(f"mean{l}", "mean", l, stat, rows=per_sample),
            Node(f"var{l}", "var", l, stat, rows=per_sample),
            Node(f"xhat{l}", "xhat", l, (N, n), rows=True)]


def backward_nodes(ctx, l: int) -> list[Node]:
    """∂L/∂γ, ∂L/∂β (where the layer has them), ∂L/∂x̂, then ∂L/∂σ² and ∂L/∂μ where the
    statistics come from the batch; batch norm's running statistics after the update."""
    n, ax = ctx.units(l), axis_of(ctx, l)
    N = ctx.x.shape[0]
    stat = (N,) if ax.axis == -1 else (n,)
    out = [Node(f"d{name}", f"d{name[:-len(str(l))]}", l, (n,), name)
           for name in ctx.model.layers[l - 1].names(l)]
    out.append(Node(f"dxhat{l}", "dxhat", l, (N, n), rows=True))
    if ax.batch_stats:
        out += [Node(f"dvar{l}", "dvar", l, stat, rows=ax.axis == -1),
                Node(f"dmean{l}", "dmean", l, stat, rows=ax.axis == -1)]
    if ctx.model.layers[l - 1].kind == "batchnorm":
        out += [Node(f"running_{s}{l}'", "running", l, (n,), f"running_{s}{l}", s)
                for s in ("mean", "var")]
    return out


# ----------------------------------------------------------------------- the rules


def _mean(ctx, node):
    l, ax = node.layer, axis_of(ctx, node.layer)
    if not ax.batch_stats:
        running = _running(ctx, l, "mean")
        return Rule((), lambda: running)
    return on_input(ctx, l, (), lambda h: np.add.reduce(h, axis=ax.axis) / ax.count,
                    spread=lambda v, w: np.add.reduce(w[0], axis=ax.axis) / ax.count)


def variance(other_divisor: bool = False) -> Callable:
    def factory(ctx, node):
        l, ax = node.layer, axis_of(ctx, node.layer, other_divisor)
        if not ax.batch_stats:
            running = _running(ctx, l, "var")
            return None if other_divisor else Rule((), lambda: running)
        return on_input(ctx, l, (f"mean{l}",), lambda h, m: np.add.reduce(
            (h - _e(m, ax)) ** 2, axis=ax.axis) / ax.divisor)
    return factory


def _running(ctx, l: int, which: str) -> np.ndarray:
    return np.zeros(ctx.units(l)) + getattr(spec(ctx, l), f"running_{which}")


def _xhat(ctx, node):
    l, ax = node.layer, axis_of(ctx, node.layer)
    return on_input(ctx, l, (f"mean{l}", f"var{l}"),
                    lambda h, m, v: (h - _e(m, ax)) / _std(v, ax))


def _a(ctx, node):
    l = node.layer
    gamma, beta = parameter(ctx, l, "gamma", 1.0), parameter(ctx, l, "beta", 0.0)
    return Rule((f"xhat{l}",), lambda xhat: xhat * gamma + beta, True,
                spread=lambda v, w: w[0] * np.abs(gamma))


def _dgamma(ctx, node):
    l = node.layer
    return Rule((f"da{l}", f"xhat{l}"), lambda da, xhat: np.add.reduce(da * xhat, axis=-2),
                spread=lambda v, w: np.add.reduce(w[0] * np.abs(v[1]) + np.abs(v[0]) * w[1],
                                                  axis=-2))


def _dbeta(ctx, node):
    return Rule((f"da{node.layer}",), lambda da: np.add.reduce(da, axis=-2),
                spread=lambda v, w: np.add.reduce(w[0], axis=-2))


def _dxhat(ctx, node):
    gamma = parameter(ctx, node.layer, "gamma", 1.0)
    return Rule((f"da{node.layer}",), lambda da: da * gamma, True,
                spread=lambda v, w: w[0] * np.abs(gamma))


def _dvar(ctx, node):
    l, ax = node.layer, axis_of(ctx, node.layer)
    return on_input(ctx, l, (f"dxhat{l}", f"mean{l}", f"var{l}"), lambda h, g, m, v: np.add.reduce(
        g * (h - _e(m, ax)), axis=ax.axis) * (-0.5 * (v + ax.eps) ** -1.5))


def mean_gradient(other_divisor: bool = False) -> Callable:
    def factory(ctx, node):
        l, ax = node.layer, axis_of(ctx, node.layer, other_divisor)
        return on_input(ctx, l, (f"dxhat{l}", f"dvar{l}", f"mean{l}", f"var{l}"),
                        lambda h, g, dv, m, v: np.add.reduce(-g / _std(v, ax), axis=ax.axis)
                        + dv * np.add.reduce(-2.0 * (h - _e(m, ax)), axis=ax.axis) / ax.divisor)
    return factory


def input_gradient(paths: str = "all", other_divisor: bool = False) -> Callable:
    """∂L/∂h_{l−1} through the three paths; `paths` "xhat" (through x̂/σ only) or "no mean"
    (∂L/∂μ's term left out) for the slip bn-mean-path-missing."""
    def factory(ctx, node):
        l = node.layer + 1
        ax = axis_of(ctx, l, other_divisor)
        if not ax.batch_stats:
            if paths != "all" or other_divisor:
                return None
            return Rule((f"dxhat{l}", f"var{l}"), lambda g, v: g / _std(v, ax))
        if paths == "xhat":
            return Rule((f"dxhat{l}", f"var{l}"), lambda g, v: g / _std(v, ax))

        def f(h, g, dv, dm, m, v):
            out = g / _std(v, ax) + _e(dv, ax) * 2.0 * (h - _e(m, ax)) / ax.divisor
            return out if paths == "no mean" else out + _e(dm, ax) / ax.count
        return on_input(ctx, l, (f"dxhat{l}", f"dvar{l}", f"dmean{l}", f"mean{l}",
                                 f"var{l}"), f)
    return factory


def _running_after(ctx, node):
    """torch's momentum rule, with the batch's unbiased variance whatever normalised."""
    l, m = node.layer, spec(ctx, node.layer).momentum
    old, ax = _running(ctx, l, node.key), axis_of(ctx, node.layer)
    if not ax.batch_stats:
        return Rule((), lambda: old)
    N = ctx.x.shape[0]
    factor = (ax.divisor / (N - 1)) if node.key == "var" else 1.0
    return Rule((f"{node.key}{l}",), lambda s: (1.0 - m) * old + m * (s * factor), True,
                spread=lambda v, w: m * factor * w[0])


RULES = {"mean": _mean, "var": variance(), "xhat": _xhat, "a_norm": _a, "dgamma": _dgamma,
         "dbeta": _dbeta, "dxhat": _dxhat, "dvar": _dvar, "dmean": mean_gradient(),
         "dh_norm": input_gradient(), "running": _running_after}


def run(ctx, l: int, h, params: dict, other_divisor: bool = False):
    """Layer l's output from h (…, N, n) with the parameters params (after the update): the
    statistics from this h in train mode, the running ones in eval mode (unchanged);
    other_divisor: the variance's other divisor (the slip bn-variance, batch norm only)."""
    ax = axis_of(ctx, l, other_divisor)
    if ax.batch_stats:
        m = np.add.reduce(h, axis=ax.axis) / ax.count
        v = np.add.reduce((h - _e(m, ax)) ** 2, axis=ax.axis) / ax.divisor
    else:
        m, v = _running(ctx, l, "mean"), _running(ctx, l, "var")
    xhat = (h - _e(m, ax)) / _std(v, ax)
    gamma, beta = params.get(f"gamma{l}"), params.get(f"beta{l}")
    out = xhat if gamma is None else xhat * np.expand_dims(gamma, -2)
    return out if beta is None else out + np.expand_dims(beta, -2)


def exact(node, sol):
    """The exact values of the node kinds above (None for another kind's)."""
    l, kind = node.layer, node.kind
    if kind in ("mean", "var", "xhat"):
        return sol.forward.caches[l - 1][kind]
    if kind in ("dxhat", "dvar", "dmean"):
        return sol.gradients.inter[l - 1][kind[1:]]
    if kind == "running":
        return sol.update.running[node.param]
    return None
