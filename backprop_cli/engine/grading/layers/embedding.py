"""An embedding in the marking graph: a{l} = each token's row of E_l (x's indices are
given, so a{l} is a constant of the problem), ∂L/∂E_l row v = Σ of ∂L/∂a_l over the
places token v appears (one-hot rows: Oᵀ ∂L/∂a). Indices have no gradient: the node
under it (kind dh_embed, no exact value: solve has no ∂L/∂x) is a zero nothing answers."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.grading.layers import GradedKind, spec


def _onehot(ctx, l: int) -> np.ndarray:
    """(N·T, V): row n·T + t picks x[n, t]'s token."""
    idx = ctx.x.astype(np.intp).ravel()
    out = np.zeros((idx.size, spec(ctx, l).vocabulary))
    out[np.arange(idx.size), idx] = 1.0
    return out


def looked_up(ctx, l: int, E):
    """a_l (…, N, T·D) from E (…, V, D)."""
    rows = _onehot(ctx, l) @ np.asarray(E)  # (…, N·T, D)
    return rows.reshape(rows.shape[:-2] + (ctx.x.shape[0], -1))


def forward_nodes(ctx, l: int) -> list:
    return []


def backward_nodes(ctx, l: int) -> list:
    return [Node(f"dE{l}", "dE_embed", l, ctx.params[f"E{l}"].shape, f"E{l}")]


def _a(ctx, node):
    value = looked_up(ctx, node.layer, ctx.params[f"E{node.layer}"])
    return Rule((), lambda: value)


def _dE(ctx, node):
    O, l, D = _onehot(ctx, node.layer), node.layer, spec(ctx, node.layer).width

    def total(da):
        da = np.asarray(da)
        return O.T @ da.reshape(da.shape[:-2] + (-1, D))
    return Rule((f"da{l}",), total, spread=lambda v, w: total(w[0]))


def _nothing(ctx, node):
    zero = np.zeros(node.shape)
    return Rule((), lambda: zero)


def run(ctx, l: int, h, params: dict):
    return looked_up(ctx, l, params[f"E{l}"])


def exact(node, sol):
    return sol.gradients.params[node.param] if node.kind == "dE_embed" else None


KIND = GradedKind(forward_nodes, "a_embed", backward_nodes, "dh_embed",
                  {"a_embed": _a, "dE_embed": _dE, "dh_embed": _nothing}, run, exact)
