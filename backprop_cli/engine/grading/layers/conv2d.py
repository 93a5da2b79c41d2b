"""Convolution in the marking graph (engine/layers/conv2d.py computes the same), as a
person works it, window by window. With cols the input's windows as rows (im2col: P =
H'·W' windows of K = C·kH·kW cells) and W_k the kernels as rows (turned 180° with flip):

    a{l}        = cols W_kᵀ + b                      from h_{l−1} (x), the problem's W, b
    dW{l}       = Σ_n δ_nᵀ cols_n  (turned back with flip)      from ∂L/∂a_l, h_{l−1}
    db{l}       = Σ_n,p δ
    ∂L/∂h_{l−1} = each window's δ W_k added into the cells it covers (col2im)

The slips' forms (engine/slips/maps.py): `flip` the kernel turned where it is not (or
not where it is), `shift` the windows placed without the padding before x, `unit` the
backward pass's windows at unit steps (the stride forgotten); windows.py says how.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.grading.layers import GradedKind, on_input, spec
from backprop_cli.engine.grading.layers.windows import maps, moves, scatter, windows


def _turned(W, s, flip: bool):
    """W as the person applies it: turned 180° when the layer flips (or the slip does)."""
    return W[..., ::-1, ::-1] if s.flip != flip else W


def _cols(h, s, shift=False, unit=False):
    """(…, N, P, K): every window of h (…, N, C·H·W) as a row, in W's (c, u, v) order."""
    win = windows(maps(h, s.inp), s.geometry, 0.0, shift, unit)  # (…, N, C, H', W', kH, kW)
    win = np.moveaxis(win, -5, -3)  # (…, N, H', W', C, kH, kW)
    return win.reshape(win.shape[:-5] + (win.shape[-5] * win.shape[-4], -1))


def convolve(h, W, b, s, flip=False, shift=False):
    """a (…, N, C'·H'·W') from h (…, N, C·H·W), W (…, C', C, kH, kW), b (…, C') or None."""
    K = _turned(W, s, flip)
    K = K.reshape(K.shape[:-3] + (-1,))  # (…, C', K)
    out = _cols(h, s, shift) @ np.swapaxes(K, -1, -2)[..., None, :, :]  # (…, N, P, C')
    if b is not None:
        out = out + np.asarray(b)[..., None, None, :]
    out = np.swapaxes(out, -1, -2)  # (…, N, C', P)
    return out.reshape(out.shape[:-2] + (-1,))


def weight_gradient_of(da, h, s, flip=False, shift=False, unit=False):
    """∂L/∂W (…, C', C, kH, kW) from δ (…, N, C'·P) and h (…, N, C·H·W)."""
    d = np.asarray(da)
    d = d.reshape(d.shape[:-1] + (s.out_channels, -1))  # (…, N, C', P)
    g = (d @ _cols(h, s, shift, unit)).sum(axis=-3)  # (…, C', K)
    g = g.reshape(g.shape[:-1] + s.inp[:1] + s.geometry.kernel)
    return _turned(g, s, flip)


def input_gradient_of(da, W, s, flip=False, shift=False, unit=False):
    """∂L/∂h_{l−1} (…, N, C·H·W): each window's δ W_k added into its cells."""
    d = np.asarray(da)
    d = d.reshape(d.shape[:-1] + (s.out_channels, -1))  # (…, N, C', P)
    K = _turned(W, s, flip)
    K = K.reshape(K.shape[:-3] + (-1,))  # (…, C', K)
    cols = np.swapaxes(d, -1, -2) @ K[..., None, :, :]  # (…, N, P, K)
    (C, _, _), (Ho, Wo), (kH, kW) = s.inp, s.geometry.out_hw, s.geometry.kernel
    parts = cols.reshape(cols.shape[:-2] + (Ho, Wo, C, kH, kW))
    dx = scatter(np.moveaxis(parts, -3, -5), s.geometry, shift, unit)  # (…, N, C, H, W)
    return dx.reshape(dx.shape[:-3] + (-1,))


def turns(ctx, l: int) -> bool:
    """Turning layer l's kernels changes them (not every kernel is symmetric under 180°)."""
    W = ctx.params[f"W{l}"]
    return bool((W != W[..., ::-1, ::-1]).any())


def _can(ctx, l: int, flip: bool, shift: bool, unit: bool) -> bool:
    return (not flip or turns(ctx, l)) and moves(spec(ctx, l).geometry, shift, unit)


def forward_nodes(ctx, l: int) -> list[Node]:
    return []


def backward_nodes(ctx, l: int) -> list[Node]:
    """∂L/∂W_l (the kernels' shape), ∂L/∂b_l where the layer has a bias."""
    out = []
    for name in ctx.model.layers[l - 1].names(l):
        kind = "dW_conv" if name.startswith("W") else "db_conv"
        out.append(Node(f"d{name}", kind, l, ctx.params[name].shape, name))
    return out


# ----------------------------------------------------------------------- the rules


def output(flip=False, shift=False):
    """a_l's factory; flip, shift: the slips kernel-flip and padding-ignored (None where
    they change nothing)."""
    def factory(ctx, node):
        l = node.layer
        if not _can(ctx, l, flip, shift, False):
            return None
        s, W, b = spec(ctx, l), ctx.params[f"W{l}"], ctx.params.get(f"b{l}")
        absW = np.abs(W)
        return on_input(ctx, l, (), lambda h: convolve(h, W, b, s, flip, shift),
                        spread=lambda v, w: convolve(w[0], absW, None, s, flip, shift))
    return factory


def weight_gradient(flip=False, shift=False, unit=False):
    """∂L/∂W_l's factory (the slips' forms as output's, unit: stride-backward)."""
    def factory(ctx, node):
        l = node.layer
        if not _can(ctx, l, flip, shift, unit):
            return None
        s = spec(ctx, l)

        def spread(v, w):
            out = weight_gradient_of(w[1], np.abs(v[0]), s, flip, shift, unit)
            if np.ndim(w[0]):  # h_{l−1}'s share (x, for the first layer, is given)
                out = out + weight_gradient_of(np.abs(v[1]), w[0], s, flip, shift, unit)
            return out
        return on_input(ctx, l, (f"da{l}",),
                        lambda h, da: weight_gradient_of(da, h, s, flip, shift, unit),
                        spread=spread)
    return factory


def _db(ctx, node):
    l, C = node.layer, spec(ctx, node.layer).out_channels

    def total(d):
        d = np.asarray(d)
        return d.reshape(d.shape[:-1] + (C, -1)).sum(axis=(-3, -1))
    return Rule((f"da{l}",), total, spread=lambda v, w: total(w[0]))


def input_gradient(flip=False, shift=False, unit=False, updated=False):
    """∂L/∂h_{l−1}'s factory (node layer l − 1); updated: through W_l after the update
    (the slip updated-weights)."""
    def factory(ctx, node):
        l = node.layer + 1
        if not _can(ctx, l, flip, shift, unit):
            return None
        s = spec(ctx, l)
        if updated:
            if f"W{l}" not in ctx.model.trainable_names():
                return None
            return Rule((f"da{l}", f"W{l}'"),
                        lambda da, W: input_gradient_of(da, W, s, flip, shift, unit),
                        spread=lambda v, w: input_gradient_of(w[0], np.abs(v[1]), s) +
                        input_gradient_of(np.abs(v[0]), w[1], s))
        W = ctx.params[f"W{l}"]
        absW = np.abs(W)
        return Rule((f"da{l}",), lambda da: input_gradient_of(da, W, s, flip, shift, unit),
                    spread=lambda v, w: input_gradient_of(w[0], absW, s, flip, shift, unit))
    return factory


RULES = {"a_conv": output(), "dW_conv": weight_gradient(), "db_conv": _db,
         "dh_conv": input_gradient()}


def run(ctx, l: int, h, params: dict, flip: bool = False, shift: bool = False):
    """a_l from h (…, N, C·H·W) with the parameters after the update (the slips' forms)."""
    return convolve(h, params[f"W{l}"], params.get(f"b{l}"), spec(ctx, l), flip, shift)


def exact(node, sol):
    if node.kind in ("dW_conv", "db_conv"):
        return sol.gradients.params[node.param]
    return None


KIND = GradedKind(forward_nodes, "a_conv", backward_nodes, "dh_conv", RULES, run, exact)
