"""Layer normalisation (torch.nn.LayerNorm over the last axis): each sample normalised
over its own features, with the biased variance and eps inside the square root, as torch.

Shapes: x, out, dout, xmu, xhat (N, n); gamma, beta (n,); mean, var, std (N,).

    mean = Σ_j x_j / n,  xmu = x − mean,  var = Σ_j xmu_j² / n,  std = √(var + eps)
    xhat = xmu / std,    out = gamma ⊙ xhat + beta    (no gamma/beta: 1 and 0, frozen)

cache: "mean", "var", "std" (N,), "xmu", "xhat" (N, n). The backward pass is batch norm's
three paths (batchnorm.py) with the sums over each sample's features instead of the batch;
gamma's and beta's gradients still sum over the batch:

    ∂L/∂x̂  = ∂L/∂out ⊙ gamma
    ∂L/∂σ² = Σ_j ∂L/∂x̂ ⊙ xmu · (−½)(var + eps)^(−3/2)               (N,)
    ∂L/∂μ  = Σ_j −∂L/∂x̂ / std + ∂L/∂σ² · Σ_j (−2 xmu) / n             (N,)
    ∂L/∂x  = ∂L/∂x̂ / std + ∂L/∂σ² · 2 xmu / n + ∂L/∂μ / n
"""

from __future__ import annotations

from dataclasses import dataclass

from backprop_cli.engine.layers import Kind
from backprop_cli.engine.layers.batchnorm import (
    affine,
    affine_backward,
    normalise,
    normalise_backward,
)


@dataclass(frozen=True)
class LayerNormSpec:
    eps: float = 1e-5
    affine: bool = True  # False: gamma 1 and beta 0, frozen, whatever p holds


def forward(x, p, spec, r=None):
    """x (N, n) -> (out (N, n), cache); r (--round) as batch norm's."""
    mean, xmu, var, std, xhat, _ = normalise(x, 1, x.shape[1], spec.eps, r)
    out = affine(xhat, p if spec.affine else {})
    return out, {"mean": mean[:, 0], "var": var[:, 0], "std": std[:, 0], "xmu": xmu,
                 "xhat": xhat}


def backward(dout, cache, p, spec, r=None):
    """dout (N, n) -> (dx (N, n), dp, inter {"xhat" (N, n), "var" (N,), "mean" (N,)})."""
    dxhat, dp = affine_backward(dout, cache["xhat"], p if spec.affine else {}, r)
    xmu = cache["xmu"]
    dx, dvar, dmean = normalise_backward(dxhat, xmu, cache["var"][:, None],
                                         cache["std"][:, None], spec.eps, 1, xmu.shape[1], r)
    return dx, dp, {"xhat": dxhat, "var": dvar[:, 0], "mean": dmean[:, 0]}


KIND = Kind("layernorm", ("gamma", "beta"), forward, backward, None,
            (("mean", "per-sample"), ("var", "per-sample"), ("xhat", "sample")))
