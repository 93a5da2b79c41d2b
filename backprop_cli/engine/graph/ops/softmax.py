"""softmax, log_softmax and cross_entropy over the last axis (or the one given): each
forward rule next to its vector-Jacobian product and the rule as the tables state it.

Written to be stable at any size: the largest entry is subtracted before exp, so
softmax([1000, 0]) is [1, e^-1000] and log_softmax never takes log(0). cross_entropy is
torch.nn.functional.cross_entropy: logits (K,) or (N, K); a target of class indices
(a scalar, or (N,)) or of probabilities (one-hot rows, the logits' shape); the mean over
the N rows. Class indices are labels: they take no gradient.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.ops.domain import DomainError, axis_of, overflow, shape


def _axis(a, axis, op):
    if a.ndim == 0:
        raise DomainError(f"found {op} of a scalar",
                          "expected a vector or a matrix (the softmax of one number is 1)")
    return axis_of(a, -1 if axis is None else axis, op)


def _log_softmax(z, axis):
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(a, axis=-1):
    axis = _axis(a, axis, "softmax")
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True), None


def softmax_vjp(g, value, a, axis=-1):
    axis = _axis(a, axis, "softmax")
    return (value * (g - np.sum(g * value, axis=axis, keepdims=True)),)


def softmax_rule(i, a, d, ndims, out, axis=-1):
    return f"{out} ⊙ ({d} − Σ {d} ⊙ {out}), Σ along axis {axis}"


def log_softmax(a, axis=-1):
    # logits further apart than float64's range (1e308 and -1e308): a log-probability of -inf
    return overflow(_log_softmax(a, _axis(a, axis, "log_softmax")),
                    f"log_softmax of a {shape(a)} array"), None


def log_softmax_vjp(g, value, a, axis=-1):
    axis = _axis(a, axis, "log_softmax")
    return (g - np.exp(value) * np.sum(g, axis=axis, keepdims=True),)


def log_softmax_rule(i, a, d, ndims, out, axis=-1):
    return f"{d} − exp({out}) ⊙ Σ {d}, Σ along axis {axis}"


def _target(z, t):
    """'index' or 'probability', or DomainError when t fits neither way."""
    if z.ndim == 0 or z.ndim > 2:
        raise DomainError(f"found cross_entropy of logits of shape {shape(z)}",
                          "expected logits as a vector (K,) or a matrix (N, K)")
    if t.shape == z.shape:
        return "probability"
    if t.shape != z.shape[:-1]:
        rows = "a class index" if z.ndim == 1 else f"class indices of shape {z.shape[:-1]}"
        raise DomainError(f"found a target of shape {shape(t)} for logits of shape "
                          f"{shape(z)}", f"expected {rows} or one-hot rows of shape "
                          f"{shape(z)}")
    k = z.shape[-1]
    bad = (t != np.trunc(t)) | (t < 0) | (t >= k)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        where = f" at [{', '.join(map(str, index))}]" if index else ""
        raise DomainError(f"found the class {float(t[index]):g}{where} in cross_entropy",
                          f"expected a class index from 0 to {k - 1}")
    return "index"


def _rows(z):
    return 1 if z.ndim == 1 else z.shape[0]


def cross_entropy(z, t):
    logp = _log_softmax(z, -1)
    if _target(z, t) == "index":
        picked = np.take_along_axis(np.atleast_2d(logp), t.reshape(-1, 1).astype(int), -1)
        loss = -np.sum(picked) / _rows(z)
    else:  # a probability of 0 times a log-probability of -inf: nan
        loss = -np.sum(t * logp) / _rows(z)
    return overflow(loss, f"cross_entropy of logits of shape {shape(z)}"), None


def cross_entropy_vjp(g, value, z, t):
    logp = _log_softmax(z, -1)
    p = np.exp(logp)
    n = _rows(z)
    if _target(z, t) == "index":
        onehot = np.zeros_like(z)
        np.put_along_axis(np.atleast_2d(onehot) if z.ndim == 1 else onehot,
                          t.reshape(-1, 1).astype(int), 1.0, -1)
        return g * (p - onehot) / n, None  # indices are labels: no gradient
    total = np.sum(t, axis=-1, keepdims=True)  # 1 for one-hot rows
    return g * (p * total - t) / n, -g * logp / n


def cross_entropy_rule(i, a, d, ndims, out):
    mean = "" if ndims[0] == 1 else " / N, N the rows"  # the mean over the rows
    if i == 0:
        target = a[1] if ndims[1] == ndims[0] else f"one_hot({a[1]})"
        return f"{d} · (softmax({a[0]}) − {target}){mean}"
    return f"−{d} · log_softmax({a[0]}){mean}"
