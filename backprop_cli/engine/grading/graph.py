"""The quantities of one problem as a dependency graph, in an order every rule respects.

Names follow the maths: a1, h1 (forward), loss, dh1, da1, dW1, db1, dx (∂L/∂ of each), W1', b1'
(after the update), state:W1:exp_avg (optimizer state after the update), loss' (the loss
after the update), sum:a1 (the sum of a1's entries), const:lr and the like (settings and
counts, never computed from answers) and ~a1, ~h1: the forward pass after the update, which
no answer sheet shows but a person computes (they carry the rounding of those hidden steps).

A node's value has the engine's shape: (N, n_l) per sample, (n_l, n_{l-1}) for weights.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.model import Inputs, Solution, count_parameters, dense_only


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    layer: int  # the layer the quantity belongs to (0 when none)
    shape: tuple
    param: str = ""  # new, state: the parameter; state: also the key
    key: str = ""


@dataclass(frozen=True)
class Rule:
    """How a node is computed: f(*values of inputs), each with any leading dimensions.
    elementwise: each entry reads only the same entry of each input (same shapes), which
    lets its uncertainty be found with one perturbation per input."""
    inputs: tuple
    f: Callable
    elementwise: bool = False
    # (node, rule): for the sheets that wrote all of node, this rule instead. A fused
    # output's ∂L/∂a_L is (ŷ − y) from ŷ, but from ∂L/∂ŷ ⊙ f′ where ∂L/∂ŷ was written:
    # each person is judged against their own inputs.
    alt: tuple | None = None
    # spread(values, weights) -> Σ_p |∂f/∂x_p|·w_p from the rule's derivative, without
    # perturbing each input (the class-sized arrays that costs): for a rule linear in each
    # input (a product, a sum) exactly its finite difference; for the loss after the update
    # of a smooth network its first order. None: finite differences.
    spread: Callable | None = None


def nodes(ctx: Inputs) -> tuple[Node, ...]:
    """Every quantity, forward first, then backward with each layer's update right after its
    gradients (so a rule may read the updated weights of the layer above), then the rest."""
    dense_only(ctx.model, "grading")
    L, N = ctx.depth, ctx.x.shape[0]
    out = []
    for l in range(1, L + 1):
        n = ctx.units(l)
        out += [Node(f"a{l}", "a", l, (N, n)), Node(f"h{l}", "h", l, (N, n))]
    out.append(Node("loss", "loss", L, ()))
    for l in range(1, L + 1):
        out += [Node(f"sum:a{l}", "sum", l, ()), Node(f"sum:h{l}", "sum", l, ())]
    out.append(Node(f"dh{L}", "dh_out", L, (N, ctx.units(L))))
    out.append(Node(f"da{L}", "da_out" if ctx.fused else "da", L, (N, ctx.units(L))))
    for l in range(L, 0, -1):
        out.append(Node(f"dW{l}", "dW", l, ctx.params[f"W{l}"].shape))
        if ctx.model.layers[l - 1].bias:
            out.append(Node(f"db{l}", "db", l, ctx.params[f"b{l}"].shape))
        out += _updates(ctx, l)
        if l > 1:
            out += [Node(f"dh{l - 1}", "dh", l - 1, (N, ctx.units(l - 1))),
                    Node(f"da{l - 1}", "da", l - 1, (N, ctx.units(l - 1)))]
    out.append(Node("dx", "dh", 0, ctx.x.shape))  # ∂L/∂x: single-layer exercises ask it
    for l in range(1, L + 1):
        out += [Node(f"~a{l}", "bump", l, (N, ctx.units(l))),
                Node(f"~h{l}", "bump", l, (N, ctx.units(l)))]
    out.append(Node("loss'", "loss_after", L, ()))
    out += [Node(f"const:{name}", "const", 0, np.shape(value))
            for name, value in constants(ctx).items()]
    return tuple(out)


def _updates(ctx: Inputs, l: int) -> list[Node]:
    out = []
    for name in (f"W{l}", f"b{l}"):
        if name not in ctx.params:
            continue
        shape = ctx.params[name].shape
        out.append(Node(f"{name}'", "new", l, shape, name))
        if name in ctx.model.trainable_names():
            for key in optimizers.state_keys(ctx.optimizer, ctx.hyper):
                kind = "const" if key == "step" else "state"
                out.append(Node(f"state:{name}:{key}", kind, l, () if key == "step" else shape,
                                name, key))
    return out


def constants(ctx: Inputs) -> dict:
    """Numbers a sheet may state that nothing computes: the settings and the counts."""
    out = {"parameters": float(count_parameters(ctx.params, ctx.model.parameter_names())),
           "trainable": float(count_parameters(ctx.params, ctx.model.trainable_names()))}
    for key, value in ctx.hyper.items():
        if not isinstance(value, bool):
            out[key] = np.array(value, dtype=np.float64)
    return out


def exact_values(ctx: Inputs, sol: Solution, graph) -> dict:
    """Every node's exact value, from the engine's own solution."""
    fwd, grads, upd = sol.forward, sol.gradients, sol.update
    out = {}
    for node in graph:
        l, kind = node.layer, node.kind
        if kind in ("a", "h"):
            value = fwd.a[l - 1] if kind == "a" else fwd.h[l]
        elif kind == "sum":
            value = math.fsum(out[node.name[4:]].ravel().tolist())
        elif kind in ("dh", "dh_out"):
            value = grads.x if l == 0 else grads.h[l - 1]
        elif kind in ("da", "da_out"):
            value = grads.a[l - 1]
        elif kind in ("dW", "db"):
            value = grads.params[node.name[1:]]
        elif kind == "new":
            value = upd.params[node.param]
        elif kind == "state" or (kind == "const" and node.key):
            value = upd.state[node.param][node.key]
        elif kind == "const":
            value = constants(ctx)[node.name[6:]]
        else:
            value = {"loss": fwd.loss, "loss'": upd.loss}.get(node.name, 0.0)
        out[node.name] = np.broadcast_to(np.asarray(value, dtype=np.float64), node.shape)
    return out
