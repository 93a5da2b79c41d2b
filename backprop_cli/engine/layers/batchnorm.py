"""Batch normalisation (torch.nn.BatchNorm1d): each feature normalised over the batch.

Shapes: x, out, dout, xmu, xhat (N, n); gamma, beta, mean, var, std (n,).

    mean = Σ_i x_i / N                  train; eval: spec.running_mean
    xmu  = x − mean
    var  = Σ_i xmu_i² / N'              N' = N (biased, torch) or N − 1 (unbiased, as
                                        makemore part 4 normalises); eval: spec.running_var
    std  = √(var + eps)
    xhat = xmu / std
    out  = gamma ⊙ xhat + beta          no gamma/beta (affine=False): gamma 1, beta 0

cache: "mean", "var", "std", "xmu", "xhat" (train mode also "squares", Σ_i xmu_i², for the
running variance). The backward pass goes through the three paths
as a person works them (CS231n's staged graph), each gradient the total derivative
autograd gives for that node:

    ∂L/∂x̂  = ∂L/∂out ⊙ gamma                         ∂L/∂gamma = Σ_i ∂L/∂out ⊙ x̂
    ∂L/∂σ² = Σ_i ∂L/∂x̂ ⊙ xmu · (−½)(var + eps)^(−3/2)  ∂L/∂beta = Σ_i ∂L/∂out
    ∂L/∂μ  = Σ_i −∂L/∂x̂ / std + ∂L/∂σ² · Σ_i (−2 xmu) / N'
    ∂L/∂x  = ∂L/∂x̂ / std + ∂L/∂σ² · 2 xmu / N' + ∂L/∂μ / N

In eval mode mean and var are constants: ∂L/∂x = ∂L/∂x̂ / std, and only x̂ has a gradient.
Layer norm (layernorm.py) is the same arithmetic over the other axis: normalise,
normalise_backward, affine and affine_backward serve both.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.layers import Kind
from backprop_cli.errors import BackpropError

MODES, VARIANCES = ("train", "eval"), ("biased", "unbiased")


@dataclass(frozen=True, eq=False)  # eq=False: arrays have no single truth value
class BatchNormSpec:
    eps: float = 1e-5  # inside the square root, as torch
    momentum: float = 0.1  # weight of the new batch in the running statistics (torch)
    mode: str = "train"  # eval: normalise with the running statistics
    variance: str = "biased"  # the divisor of the normalising variance: N or N − 1
    affine: bool = True  # False: gamma 1 and beta 0, frozen, whatever p holds
    running_mean: np.ndarray | float = 0.0  # (n,) or a scalar for every feature
    running_var: np.ndarray | float = 1.0

    def __post_init__(self):
        if self.mode not in MODES or self.variance not in VARIANCES:
            raise ValueError(f"batch norm: mode {self.mode!r}, variance {self.variance!r}")


# ------------------------------------------------- the arithmetic both norm kinds share


def _same(v):
    return v


def normalise(x, axis, divisor, eps, r=None):
    """(mean, xmu, var, std, xhat, Σ xmu²) of x over `axis`, the statistics kept with
    length 1 on it so they broadcast back; var divides Σ xmu² by `divisor`. r (--round)
    rounds μ, σ², √(σ² + ε) and x̂ as a person writes them, each from the rounded ones."""
    r = r or _same
    mean = r(np.add.reduce(x, axis=axis, keepdims=True) / x.shape[axis])
    xmu = x - mean
    squares = np.add.reduce(xmu * xmu, axis=axis, keepdims=True)
    var = r(squares / divisor)
    std, xhat = standardise(xmu, var, eps, r)
    return mean, xmu, var, std, xhat, squares


def standardise(xmu, var, eps, r=None):
    r = r or _same
    std = r(np.sqrt(var + eps))  # eps > 0: a constant feature gives xhat 0, never 0/0
    return std, r(xmu / std)


def normalise_backward(dxhat, xmu, var, std, eps, axis, divisor, r=None):
    """(dx, dvar, dmean) from ∂L/∂x̂ through the three paths; var and std broadcast against
    xmu, dvar and dmean keep length 1 on `axis`; r (--round) rounds ∂L/∂σ² and ∂L/∂μ."""
    def total(v):
        return np.add.reduce(v, axis=axis, keepdims=True)

    r = r or _same
    t = dxhat * xmu  # one scratch array for the products summed or added below
    dvar = r(total(t) * (-0.5 * (var + eps) ** -1.5))
    q = dxhat / std  # ∂L/∂x̂ / std: both the mean's and x's first term
    # Σ(−∂L/∂x̂ / std) is −Σq, and Σ(−2 xmu) is −2 Σxmu, to the bit: negating and doubling
    # are exact and the sums run in the same order. The variance path's term is ~0 in
    # exact arithmetic (Σ xmu = 0) but part of the total derivative autograd gives, so kept
    dmean = r(np.negative(total(q)) + dvar * (-2.0 * total(xmu)) / divisor)
    # dx = q + dvar · (2 xmu / N') + dmean / N, in that order, into q; 2 xmu / N' is
    # xmu / (N'/2) to the bit (the same exact quotient, rounded once)
    np.multiply(dvar, np.divide(xmu, 0.5 * divisor, out=t), out=t)
    dx = np.add(q, t, out=q)
    dx += dmean / xmu.shape[axis]
    return dx, dvar, dmean


def affine(xhat, p):
    """gamma ⊙ xhat + beta with the parameters present (absent: gamma 1, beta 0)."""
    out = xhat * p["gamma"] if "gamma" in p else xhat.copy()
    if "beta" in p:
        out += p["beta"]
    return out


def affine_backward(dout, xhat, p, r=None):
    """(∂L/∂x̂, {"gamma", "beta"} for those present): the parameters' sums run over axis 0,
    the batch, for both norm kinds (gamma and beta are per feature); r rounds ∂L/∂x̂."""
    dxhat = dout * p["gamma"] if "gamma" in p else dout.copy()
    if r is not None:
        dxhat = r(dxhat)
    dp = {}
    if "gamma" in p:
        dp["gamma"] = np.add.reduce(dout * xhat, axis=0)
    if "beta" in p:
        dp["beta"] = np.add.reduce(dout, axis=0)
    return dxhat, dp


# ------------------------------------------------------------------------- the kind


def _affine_params(p, spec):
    return p if spec.affine else {}


def _divisor(spec, N):
    return N - 1 if spec.variance == "unbiased" else N


def forward(x, p, spec, r=None):
    """x (N, n) -> (out (N, n), cache). Train mode needs N ≥ 2, as torch's BatchNorm1d.
    r (--round): each intermediate rounded as it is made (the caller rounds out)."""
    N, n = x.shape
    if spec.mode == "train":
        if N < 2:
            raise BackpropError("batch norm in train mode needs at least 2 samples, "
                                f"got {N} (torch's rule; eval mode takes 1)")
        mean, xmu, var, std, xhat, squares = normalise(x, 0, _divisor(spec, N), spec.eps, r)
        mean, var, std, squares = mean[0], var[0], std[0], squares[0]
    else:
        mean = np.zeros(n) + spec.running_mean
        var = np.zeros(n) + spec.running_var
        xmu, squares = x - mean, None
        std, xhat = standardise(xmu, var, spec.eps, r)
    out = affine(xhat, _affine_params(p, spec))
    cache = {"mean": mean, "var": var, "std": std, "xmu": xmu, "xhat": xhat}
    if squares is not None:  # Σ xmu², which the running variance divides by N − 1
        cache["squares"] = squares
    return out, cache


def backward(dout, cache, p, spec, r=None):
    """dout (N, n) -> (dx (N, n), dp, inter {"xhat", "var", "mean"}; eval: {"xhat"});
    r (--round) rounds the intermediates' gradients (the caller rounds dx and dp)."""
    dxhat, dp = affine_backward(dout, cache["xhat"], _affine_params(p, spec), r)
    if spec.mode == "eval":
        return dxhat / cache["std"], dp, {"xhat": dxhat}
    dx, dvar, dmean = normalise_backward(dxhat, cache["xmu"], cache["var"], cache["std"],
                                         spec.eps, 0, _divisor(spec, dout.shape[0]), r)
    return dx, dp, {"xhat": dxhat, "var": dvar[0], "mean": dmean[0]}


def running(cache, spec, N, old=None):
    """The running statistics after this pass, torch's rule: (1 − momentum)·old +
    momentum·batch, with the batch's unbiased variance (Σ xmu² / (N − 1)) whatever
    `variance` normalised with. Eval mode leaves them as they were. old: (mean, var) in
    place of spec's running_mean and running_var (the training loop's, step to step)."""
    n = cache["mean"].shape[0]
    old_mean, old_var = (spec.running_mean, spec.running_var) if old is None else old
    old_mean, old_var = np.zeros(n) + old_mean, np.zeros(n) + old_var
    if spec.mode == "eval":
        return {"running_mean": old_mean, "running_var": old_var}
    m = spec.momentum
    unbiased = cache["squares"] / (N - 1)
    return {"running_mean": (1.0 - m) * old_mean + m * cache["mean"],
            "running_var": (1.0 - m) * old_var + m * unbiased}


def follows(cache, spec):
    """Train mode with eps > 0: xmu and x̂ are finite when Σ xmu² is (a finite sum of
    squares has finite terms, and |x̂| = |xmu| / √(Σ xmu² / N' + eps) ≤ √N', or, where a
    square underflows, |xmu| < 1e-154 over √eps > 1e-162)."""
    return ("xmu", "xhat") if "squares" in cache and spec.eps > 0 else ()


KIND = Kind("batchnorm", ("gamma", "beta"), forward, backward, running,
            (("mean", "feature"), ("var", "feature"), ("xhat", "sample")), follows)
