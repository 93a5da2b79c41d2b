"""The backward pass of batch norm and layer norm in a worked solution: from δ_l to ∂L/∂x̂,
∂L/∂γ and ∂L/∂β, then the three paths back to the input (through x̂, σ² and μ).

Each step shows its formula, its terms with numbers, and the document's value. The terms
(−½(σ² + ε)^(−3/2), the sums over the statistics' axis, each path's share of ∂L/∂x) are
not in the document: they are computed here from its x̂ gradient, σ² and μ, as the engine
computes them, and shown rounded; every result is the document's.
"""

from __future__ import annotations

import numpy as np

from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.norms import axis, cache, stat, symbols
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


def backward(note: Notation, l: int, through, lhs: str) -> list[Block]:
    """From δ_l to ∂L/∂x̂, ∂L/∂γ, ∂L/∂β, then ∂L/∂σ², ∂L/∂μ and the input's gradient
    (lhs; through: its value)."""
    s, sym = note.model.layers[l - 1].settings, symbols(note, l)
    d_s = note.symbol("delta", l)
    dxhat = note.gradient(f"xhat{l}")
    if s.affine:
        out = [eq((note.partial("xhat", l), "=", [rf"{d_s} \odot \gamma_{{{l}}}"]),
                  (None, "=", [(note.vector(note.gradient(f"a{l}")), r"\odot",
                                note.bias(note.problem.params[f"gamma{l}"], note.given))]),
                  (None, "=", [note.vector(dxhat)])), _parameters(note, l)]
    else:
        out = [eq((note.partial("xhat", l), "=", [d_s]), (None, "=", [note.vector(dxhat)]))]
    if note.kind(l) == "batchnorm" and s.mode == "eval":
        c = cache(note, l)
        return out + [par("In eval mode ", Math(rf"{sym['mu']}, {sym['var']}"),
                          " are constants (the running statistics): only ",
                          Math(sym["xhat"]), " carries the gradient back."),
                      eq((lhs, "=", [rf"\frac{{\partial L / \partial {sym['xhat']}}}"
                                     rf"{{{sym['std']}}}"]),
                         (None, "=", [(note.vector(dxhat), "/", stat(note, l, c["std"]))]),
                         (None, "=", [note.vector(through)]))]
    return out + _three_paths(note, l, through, lhs)


def _parameters(note: Notation, l: int) -> Block:
    """∂L/∂γ and ∂L/∂β: per feature for both kinds, so summed over the batch's rows."""
    delta, xhat = note.gradient(f"a{l}"), note.forward_value(f"xhat{l}")
    d_s, x_s = note.symbol("delta", l), note.symbol("xhat", l)
    g = note.doc["gradients"]
    dgamma, dbeta = note.partial("gamma", l), note.partial("beta", l)
    if not note.batch:
        return eq((dgamma, "=", [rf"{d_s} \odot {x_s}"]),
                  (None, "=", [(note.vector(delta), r"\odot", note.vector(xhat))]),
                  (None, "=", [note.bias(g[f"gamma{l}"])]),
                  (dbeta, "=", [d_s]), (None, "=", [note.bias(g[f"beta{l}"])]))
    ones = note.matrix(np.ones((1, note.samples)), lambda v: "1")
    rows = r"\quad \text{(the sum of its rows)}"
    return eq((dgamma, "=", [rf"\mathbf{{1}}^\top \left({d_s} \odot {x_s}\right)", rows]),
              (None, "=", [(ones, note.matrix(delta * xhat))]),
              (None, "=", [note.bias(g[f"gamma{l}"])]),
              (dbeta, "=", [rf"\mathbf{{1}}^\top {d_s}", rows]),
              (None, "=", [(ones, note.matrix(delta))]),
              (None, "=", [note.bias(g[f"beta{l}"])]))


def _terms(note: Notation, l: int) -> dict:
    """The numbers the three paths are made of, as the engine combines them: statistics
    (one per feature or per sample) and each path's share of ∂L/∂x (one per entry)."""
    ax, c = axis(note, l), cache(note, l)
    eps = note.model.layers[l - 1].settings.eps
    over = 0 if ax.batch else 1  # batch norm sums over the samples, layer norm the features

    def spread(v):  # a statistic against the (N, n) entries it belongs to
        return v if ax.batch else v[:, None]

    dxhat = note.gradient(f"xhat{l}")
    dvar, dmu = (np.atleast_1d(np.asarray(note.doc["gradients"][f"{q}{l}"], dtype=float))
                 for q in ("var", "mean"))
    return {"power": (c["var"] + eps) ** -1.5, "sum": (dxhat * c["xmu"]).sum(axis=over),
            "mu_xhat": -(dxhat / spread(c["std"])).sum(axis=over),
            "mu_var": dvar * (-2.0 * c["xmu"]).sum(axis=over) / ax.divisor[1],
            "x_xhat": dxhat / spread(c["std"]), "x_var": spread(dvar) * 2.0 * c["xmu"]
            / ax.divisor[1], "x_mu": dmu / ax.count[1], "dvar": dvar, "dmu": dmu}


def _three_paths(note: Notation, l: int, through, lhs: str) -> list[Block]:
    """∂L/∂σ², ∂L/∂μ and the input's gradient, the sum of the three paths."""
    sym, ax, t = symbols(note, l), axis(note, l), _terms(note, l)
    dvar = rf"\frac{{\partial L}}{{\partial {sym['var']}}}"
    dmu = rf"\frac{{\partial L}}{{\partial {sym['mu']}}}"
    k, x_mu = sym["k"], rf"({sym['xk']} - {sym['mu']})"
    numbers = f"{ax.count[0]} = {ax.count[1]}" + (
        f", {ax.divisor[0]} = {ax.divisor[1]}" if ax.divisor[0] != ax.count[0] else "")
    times = r"\odot" if ax.batch or note.batch else r"\cdot"  # vectors, or plain numbers

    def shown(name):
        return stat(note, l, t[name])

    return [
        par(f"The input reaches the loss three ways: through x̂, through σ² and through μ "
            f"(sums over {k}; {numbers}):"),
        eq((dvar, "=", [rf"-\frac{{1}}{{2}} \left({sym['var']} + \epsilon\right)^{{-3/2}}",
                        rf"\sum_{k} \left({sym['dxk']}\right) {x_mu}"]),
           (None, "=", [(r"-\frac{1}{2} \cdot", shown("power"), times, shown("sum"))]),
           (None, "=", [shown("dvar")]),
           (dmu, "=", [rf"-\sum_{k} \frac{{{sym['dxk']}}}{{{sym['std']}}}",
                       rf"+ {dvar} \cdot \frac{{1}}{{{sym['div']}}} \sum_{k} -2 {x_mu}"]),
           (None, "=", [shown("mu_xhat"), "+ " + shown("mu_var")]),
           (None, "=", [shown("dmu")])),
        par("The second term of ", Math(dmu), " is zero in exact arithmetic (",
            Math(rf"\sum_{k} {x_mu} = 0"), "); it is kept, as autograd keeps it."),
        eq((lhs, "=", [rf"\frac{{\partial L / \partial {sym['xhat']}}}{{{sym['std']}}}",
                       rf"+ {dvar} \cdot \frac{{2 ({sym['X']} - {sym['mu']})}}{{{sym['div']}}}",
                       rf"+ \frac{{1}}{{{sym['count']}}} {dmu}"]),
           (None, "=", [note.vector(t["x_xhat"]), "+ " + note.vector(t["x_var"]),
                        "+ " + shown("x_mu")]),
           (None, "=", [note.vector(through)]))]
