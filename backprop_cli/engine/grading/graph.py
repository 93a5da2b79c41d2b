"""The quantities of one problem as a dependency graph, in an order every rule respects.

Names follow the maths: a1, h1 (forward), loss, dh1, da1, dW1, db1, dx (∂L/∂ of each), W1', b1'
(after the update), state:W1:exp_avg (optimizer state after the update), loss' (the loss
after the update), sum:a1 (the sum of a1's entries), const:lr and the like (settings and
counts, never computed from answers) and ~a1, ~h1: the forward pass after the update, which
no answer sheet shows but a person computes (they carry the rounding of those hidden steps).

A node's value has the engine's shape: (N, n_l) per sample (a feature map (C, H, W) as a
row in that order), (n_l, n_{l-1}) for weights, (C', C, kH, kW) for a convolution's.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.model import DENSE, Inputs, Solution, count_parameters


@dataclass(frozen=True)
class Node:
    name: str
    kind: str
    layer: int  # the layer the quantity belongs to (0 when none)
    shape: tuple
    param: str = ""  # new, state: the parameter; state: also the key
    key: str = ""
    # a value per sample, (N, …) of a kind's own (x̂, a mask, layer norm's μ): written a
    # row per sample in a batch, as a vector for one sample (as a_l and h_l are)
    rows: bool = False
    # a recurrent layer's step node: (stack, T, t, lo, hi), its entries are the stack's
    # (N, T·k) row viewed (N, T, k) at [:, t, lo:hi] (the numbers written there are its own)
    of: tuple = ()


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
    gradients (so a rule may read the updated weights of the layer above), then the rest.
    A layer of another kind adds its own quantities (layers/) before a_l and after ∂L/∂a_l."""
    from backprop_cli.engine.grading.layers import KINDS  # they build on Node and Rule

    L, specs = ctx.depth, ctx.model.layers
    kinds = [None if s.kind == DENSE else KINDS[s.kind] for s in specs]
    out = []
    for l, kind in enumerate(kinds, 1):
        out += [Node(f"a{l}", "a", l, shaped(ctx, l))] if kind is None else \
            [*kind.forward(ctx, l), Node(f"a{l}", kind.a_kind, l, shaped(ctx, l), rows=True)]
        out.append(Node(f"h{l}", "h", l, shaped(ctx, l)))
    out += _loss(ctx, "")
    for l in range(1, L + 1):
        out += [Node(f"sum:a{l}", "sum", l, ()), Node(f"sum:h{l}", "sum", l, ())]
    out.append(Node(f"dh{L}", "dh_out", L, shaped(ctx, L)))
    out.append(Node(f"da{L}", "da_out" if ctx.fused else "da", L, shaped(ctx, L)))
    for l in range(L, 0, -1):
        kind = kinds[l - 1]
        if kind is None:
            out.append(Node(f"dW{l}", "dW", l, ctx.params[f"W{l}"].shape))
            if specs[l - 1].bias:
                out.append(Node(f"db{l}", "db", l, ctx.params[f"b{l}"].shape))
        else:
            out += kind.backward(ctx, l)
        out += _updates(ctx, l)
        # ∂L/∂h_{l-1}, through layer l; ∂L/∂x for the first (single-layer exercises ask it)
        out.append(Node(f"dh{l - 1}" if l > 1 else "dx", "dh" if kind is None else kind.dh,
                        l - 1, shaped(ctx, l - 1), rows=kind is not None))
        if l > 1:
            out.append(Node(f"da{l - 1}", "da", l - 1, shaped(ctx, l - 1)))
    for l in range(1, L + 1):
        out += [Node(f"~a{l}", "bump", l, shaped(ctx, l)),
                Node(f"~h{l}", "bump", l, shaped(ctx, l))]
    out += _loss(ctx, "'")
    out += [Node(f"const:{name}", "const", 0, np.shape(value))
            for name, value in constants(ctx).items()]
    return tuple(out)


def shaped(ctx: Inputs, l: int) -> tuple:
    """(rows, n_l) of h_l: a row per sample, or per sample and step where a dense layer
    (or a recurrent one's output: all) acts on every step of a sequence."""
    m, N = ctx.model, ctx.x.shape[0]
    every = l > 0 and m.sequence(l) and m.layers[l - 1].kind != "embedding"
    return (N * m.time if every else N, ctx.units(l))


def _loss(ctx: Inputs, after: str) -> list[Node]:
    """The loss (after: "'", the loss after the update); with an L2 penalty its parts."""
    kind = "loss_after" if after else "loss"
    if ctx.model.penalty is None:
        return [Node(f"loss{after}", kind, ctx.depth, ())]
    return [Node(f"data{after}", kind, ctx.depth, ()),
            Node(f"penalty{after}", "penalty_after" if after else "penalty", 0, ()),
            Node(f"loss{after}", "loss_total", ctx.depth, ())]


def _updates(ctx: Inputs, l: int) -> list[Node]:
    out = []
    for name in ctx.model.layers[l - 1].names(l):
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
    from backprop_cli.engine.grading.layers import KINDS  # as in nodes(): they import this

    fwd, grads, upd = sol.forward, sol.gradients, sol.update
    named = {"loss": fwd.loss, "loss'": upd.loss, **dict(zip(("data", "penalty"), fwd.parts)),
             **dict(zip(("data'", "penalty'"), upd.parts))}
    out = {}
    for node in graph:
        l, kind = node.layer, node.kind
        if kind == "h" or node.name == f"a{l}":  # a_l of every kind
            value = fwd.h[l] if kind == "h" else fwd.a[l - 1]
        elif kind == "sum":
            value = math.fsum(out[node.name[4:]].ravel().tolist())
        elif kind.startswith("dh"):  # ∂L/∂h through every kind, and the output's
            value = grads.x if l == 0 else grads.h[l - 1]
        elif kind in ("da", "da_out"):
            value = grads.a[l - 1]
        elif kind in ("dW", "db", "dgamma", "dbeta", "dW_conv", "db_conv"):
            value = grads.params[node.name[1:]]
        elif kind == "new":
            value = upd.params[node.param]
        elif kind == "state" or (kind == "const" and node.key):
            value = upd.state[node.param][node.key]
        elif kind == "const":
            value = constants(ctx)[node.name[6:]]
        elif node.name in named:
            value = named[node.name]
        elif kind == "bump":
            value = 0.0
        else:  # a layer kind's own
            value = KINDS[ctx.model.layers[l - 1].kind].exact(node, sol)
        out[node.name] = np.broadcast_to(np.asarray(value, dtype=np.float64), node.shape)
    return out
