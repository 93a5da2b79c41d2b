"""Layer kinds beyond dense: one module per kind, its forward beside its backward.

Every kind maps a layer's input x (N, n) to its output (N, n'), before the activation the
network applies after every kind; the norms and dropout keep the width (n' = n), the map
kinds (conv2d, pooling, flatten) hold each sample's (C, H, W) map as a row in that order,
the sequence kinds (embedding, recurrent/: rnn, lstm, gru) each sample's T steps as a row
(N, T·D), and a recurrent layer that gives every step its output as N·T rows (N·T, H).
A kind's functions:

    forward(x, p, spec, r=None) -> (out, cache)
        p {"gamma": (n,), "beta": (n,)}: the parameters present (a kind without affine
        parameters, or a norm layer with affine=False, gets {}: gamma 1, beta 0, frozen);
        spec the kind's frozen settings; cache the intermediates a person computes, under
        the names the kind's module documents.
    backward(dout, cache, p, spec, r=None) -> (dx, dp, inter)
        dout = ∂L/∂out (N, n); dx = ∂L/∂x (N, n); dp the gradients of the parameters in p;
        inter the gradients of the cache's named intermediates, by the same names.
        r, when given (solve --round), rounds each intermediate and its gradient as a
        person writes them, each computed from the rounded ones before it; the network
        rounds out, dx and dp.
    running(cache, spec, N, old=None) -> {"running_mean": (n,), "running_var": (n,)}
        the running statistics after a forward pass of batch size N (batch norm only),
        from old (mean, var) when given, else from spec's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # as a problem file spells it: `kind: batchnorm`
    params: tuple[str, ...]  # the parameters it may own; layer l's are named gamma{l}, ...
    forward: Callable
    backward: Callable
    running: Callable | None  # None: the kind keeps no running statistics
    # (name, shape) of the cache's intermediates a solution shows (forward.mean2, ...), in
    # the order a person computes them, shaped as engine/quantities.py says; their
    # gradients (where backward gives one) are shown too
    shown: tuple[tuple[str, str], ...] = ()
    # follows(cache, spec) -> the names of cache arrays that are finite whenever the
    # cache's other arrays are (the training loop's watch reads only those others)
    follows: Callable | None = None
    # parameter_gradients(dout, cache, p, spec) -> dp: backward without ∂L/∂x, for a first
    # layer in the training loop (which never reads ∂L/∂x); None: backward's dp serves
    parameter_gradients: Callable | None = None
    # a recurrent kind: (name, shape) of the backward pass's intermediates in the order a
    # solution shows them (∂L/∂h_t, its two parts, ...); its cache's "a" and "h" hold every
    # step and stand for a_l and h_l in every document (recurrent/)
    backward_shown: tuple[tuple[str, str], ...] | None = None
    # forward takes scratch=: a dict the training loop keeps for the layer from step to
    # step, where the kind may keep its arrays (recurrent/: a sequence's are large)
    keeps: bool = False


# The kind modules build their KIND from Kind above, so they are imported after it.
from backprop_cli.engine.layers import (  # noqa: E402
    batchnorm,
    conv2d,
    dropout,
    embedding,
    flatten,
    layernorm,
    pooling,
)
from backprop_cli.engine.layers.recurrent import gru, lstm, rnn  # noqa: E402

KINDS = {kind.name: kind for kind in (batchnorm.KIND, layernorm.KIND, dropout.KIND,
                                      conv2d.KIND, pooling.MAX, pooling.AVG, flatten.KIND,
                                      embedding.KIND, rnn.KIND, lstm.KIND, gru.KIND)}
# the kinds whose input is a feature map (C, H, W): their settings say its shape (inp),
# their output's (out: None for flatten's row) and its width (units)
MAPS = ("conv2d", "maxpool2d", "avgpool2d", "flatten")
# the kinds of a sequence exercise: their settings say the input's (T, D) (inp) and, when
# the next layer sees every step, the output's (out)
RECURRENT = ("rnn", "lstm", "gru")
SEQUENCES = ("embedding", *RECURRENT)

__all__ = ["KINDS", "MAPS", "RECURRENT", "SEQUENCES", "Kind"]
