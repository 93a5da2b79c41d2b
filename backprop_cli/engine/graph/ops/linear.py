"""Matrix products and transposes: each forward rule next to its vector-Jacobian product
(∂L/∂ each argument from g = ∂L/∂value) and the rule as the tables state it.

Shapes as NumPy's and torch's @: (m, n) @ (n, k) is (m, k); a vector on the left is a row,
on the right a column, and the vector's side drops from the result: (m, n) @ (n,) is (m,),
(n,) @ (n,) a scalar. Rules are text with a the arguments' names and d the upstream
gradient's (∂f/∂n2).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.graph.ops.domain import DomainError, overflow, shape


def _check_matmul(a, b, op="@"):
    for v in (a, b):
        if v.ndim == 0:
            raise DomainError(f"found {op} with a scalar (shapes {shape(a)} and {shape(b)})",
                              "expected vectors or matrices on both sides (* multiplies by "
                              "a scalar)")
    inner_a, inner_b = a.shape[-1], b.shape[0]
    if inner_a != inner_b:
        raise DomainError(f"found shapes {shape(a)} {op} {shape(b)}, whose inner sizes "
                          f"differ ({inner_a} and {inner_b})",
                          "expected as many columns on the left as rows on the right")


def _matmul(a, b):
    _check_matmul(a, b)
    return overflow(a @ b, f"a {shape(a)} @ {shape(b)} product"), None


def _matmul_vjp(g, value, a, b):
    if a.ndim == 1 and b.ndim == 1:
        return g * b, g * a
    if b.ndim == 1:  # (m, n) @ (n,): g is (m,)
        return np.outer(g, b), a.T @ g
    if a.ndim == 1:  # (n,) @ (n, k): g is (k,)
        return b @ g, np.outer(a, g)
    return g @ b.T, a.T @ g


def _matmul_rule(i, a, d, ndims, out):
    if ndims == (1, 1):
        return f"{d} · {a[1 - i]}"
    if i == 0:  # g @ Bᵀ; a vector on the left: B @ g
        return f"{a[1]} · {d}" if ndims[0] == 1 else f"{d} · {a[1]}ᵀ"
    # Aᵀ @ g; a vector on the left: the outer product a gᵀ
    return f"{a[0]}ᵀ · {d}" if ndims[0] == 2 else f"{a[0]} · ({d})ᵀ"


def _dot(a, b):
    if a.ndim != 1 or b.ndim != 1 or a.shape != b.shape:
        raise DomainError(f"found dot of shapes {shape(a)} and {shape(b)}",
                          "expected two vectors of the same length (A @ B multiplies "
                          "matrices)")
    return overflow(np.dot(a, b), f"dot of two {shape(a)} vectors"), None


def _dot_vjp(g, value, a, b):
    return g * b, g * a


def _dot_rule(i, a, d, ndims, out):
    return f"{d} · {a[1 - i]}"


def _transpose(a):
    return a.T, None


def _transpose_vjp(g, value, a):
    return (g.T,)


def _transpose_rule(i, a, d, ndims, out):
    return f"({d})ᵀ" if ndims[0] == 2 else d
