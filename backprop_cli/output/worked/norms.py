"""Batch norm and layer norm in a worked solution (engine/layers/batchnorm.py and
layernorm.py give the formulas): the statistics, x̂ and the affine output forward, and
batch norm's running statistics after the update; the backward pass is norms_backward.py's.

The two kinds are one arithmetic over different axes: batch norm's statistics run over
the batch's N samples i (one per feature, N' = N or N − 1 dividing the variance), layer
norm's over each sample's n features j (one per sample, N' = n). Every number shown is
the document's; √(σ² + ε) and x − μ, which it does not hold, are computed from its σ² and
μ as the engine computes them.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from backprop_cli.engine.rounding import round_half_away
from backprop_cli.output.worked import tex
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


class Axis(NamedTuple):
    """Where a norm's statistics run: the index of its sums, the count it averages over
    (symbol, value) and the variance's divisor N' (symbol, value)."""

    index: str
    count: tuple[str, int]
    divisor: tuple[str, int]
    batch: bool  # batch norm: statistics per feature; layer norm: per sample


def axis(note: Notation, l: int) -> Axis:
    spec = note.model.layers[l - 1]
    if spec.kind == "layernorm":
        n = note.width(l)
        return Axis("j", ("n", n), ("n", n), False)
    N = note.samples
    unbiased = spec.settings.variance == "unbiased"
    return Axis("i", ("N", N), ("N'", N - 1 if unbiased else N), True)


def stat(note: Notation, l: int, values) -> str:
    """μ, σ², their gradients, √(σ² + ε): a bias-like vector for batch norm, one number
    per sample for layer norm."""
    return note.bias(values) if axis(note, l).batch else note.statistic(values)


def _values(note: Notation, section: str, name: str) -> np.ndarray:
    return np.atleast_1d(np.asarray(note.doc[section][name], dtype=float))


def cache(note: Notation, l: int) -> dict:
    """The layer's intermediates as the engine's kind keeps them (engine/layers/), from the
    document's μ, σ² and x̂; √(σ² + ε) (rounded with --round) and x − μ computed as the
    engine computes them."""
    mean, var = _values(note, "forward", f"mean{l}"), _values(note, "forward", f"var{l}")
    eps = note.model.layers[l - 1].settings.eps
    batch = axis(note, l).batch
    std = np.sqrt(var + eps)
    if note.doc.get("rounded") is not None:  # --round K: the engine rounded it too
        std = round_half_away(note.doc["rounded"])(std)
    xmu = note.layer_input(l) - (mean if batch else mean[:, None])
    return {"mean": mean, "var": var, "std": std, "xmu": xmu,
            "xhat": note.forward_value(f"xhat{l}")}


def symbols(note: Notation, l: int) -> dict:
    ax = axis(note, l)
    k = ax.index
    return {"mu": rf"\mu_{{{l}}}", "var": rf"\sigma_{{{l}}}^2", "X": note.symbol("h", l - 1),
            "xk": rf"h_{{{l - 1},{k}}}", "xhat": note.symbol("xhat", l),
            "dxk": rf"\partial L / \partial \hat x_{{{l},{k}}}",
            "std": rf"\sqrt{{\sigma_{{{l}}}^2 + \epsilon}}", "k": k,
            "count": ax.count[0], "div": ax.divisor[0]}


# ------------------------------------------------------------------------ the problem


def settings(note: Notation, l: int) -> list:
    """The layer's line in the Problem section."""
    s = note.model.layers[l - 1].settings
    eps = Math(rf"\epsilon = {tex.plain(s.eps)}")
    if note.kind(l) == "layernorm":
        return [f"Layer {l}: layer norm (torch's LayerNorm): each sample normalised over "
                "its own features, biased variance, ", eps, "."]
    if s.mode == "eval":
        how = "eval mode: normalised with the running statistics, not the batch's"
    else:
        how = (f"train mode: each feature normalised over the batch, {s.variance} variance "
               f"(divided by N{' − 1' if s.variance == 'unbiased' else ''})")
    return [f"Layer {l}: batch norm (torch's BatchNorm1d), {how}; ", eps,
            f", momentum {tex.plain(s.momentum)}."]


def given(note: Notation, l: int) -> list[Block]:
    """γ and β (or their absence), and batch norm's running statistics before."""
    spec = note.model.layers[l - 1]
    out = []
    if spec.settings.affine:
        def shown(name):
            frozen = r"\ \text{(frozen)}" if note.frozen(name) else ""
            return note.bias(note.problem.params[name], note.given) + frozen

        g, b = spec.names(l)
        out.append(eq((note.param_symbol(g), "=",
                       [shown(g) + ",", rf"\qquad {note.param_symbol(b)} = {shown(b)}"])))
    else:
        out.append(par(f"Layer {l} has no γ, β (torch's affine=False): ",
                       Math(r"\gamma = 1, \beta = 0"), ", nothing to learn."))
    if spec.kind == "batchnorm":
        n = note.width(l)
        out.append(eq((rf"\mathrm{{running\_mean}}_{{{l}}}", "=",
                       [note.bias(np.zeros(n) + spec.settings.running_mean, note.given) + ",",
                        rf"\qquad \mathrm{{running\_var}}_{{{l}}} = "
                        + note.bias(np.zeros(n) + spec.settings.running_var, note.given)])))
    return out


# ------------------------------------------------------------------------ forward


def forward(note: Notation, l: int) -> list[Block]:
    """μ, σ², x − μ, √(σ² + ε), x̂ and a_l = γ ⊙ x̂ + β."""
    s, ax, c = note.model.layers[l - 1].settings, axis(note, l), cache(note, l)
    sym = symbols(note, l)
    if ax.batch and s.mode == "eval":
        out = [par("Eval mode: the running statistics stand in for the batch's:"),
               eq((sym["mu"], "=", [rf"\mathrm{{running\_mean}}_{{{l}}}"]),
                  (None, "=", [stat(note, l, c["mean"])]),
                  (sym["var"], "=", [rf"\mathrm{{running\_var}}_{{{l}}}"]),
                  (None, "=", [stat(note, l, c["var"])]))]
    else:
        over = (f"over the batch's {ax.count[1]} samples, feature by feature" if ax.batch
                else f"over each sample's {ax.count[1]} features")
        where = ""
        if ax.divisor[0] != ax.count[0]:
            same = "N" if ax.divisor[1] == ax.count[1] else "N − 1"
            where = f"; {ax.divisor[0]} = {same} = {ax.divisor[1]}"
        out = [par(f"Statistics {over} ({ax.count[0]} = {ax.count[1]}{where}):"),
               eq((sym["mu"], "=", [rf"\frac{{1}}{{{sym['count']}}} \sum_{sym['k']} "
                                    f"{sym['xk']}"]),
                  (None, "=", [stat(note, l, c["mean"])]),
                  (sym["var"], "=", [rf"\frac{{1}}{{{sym['div']}}} \sum_{sym['k']} "
                                     rf"({sym['xk']} - {sym['mu']})^2"]),
                  (None, "=", [stat(note, l, c["var"])]))]
    out.append(eq((rf"{sym['X']} - {sym['mu']}", "=", [note.vector(c["xmu"])]),
                  (sym["std"], "=", [stat(note, l, c["std"]), rf"\quad (\epsilon = "
                                     rf"{tex.plain(s.eps)})"]),
                  (sym["xhat"], "=", [rf"\frac{{{sym['X']} - {sym['mu']}}}{{{sym['std']}}}"]),
                  (None, "=", [note.vector(c["xhat"])])))
    return out + _affine(note, l)


def _affine(note: Notation, l: int) -> list[Block]:
    a_l, xhat = note.symbol("a", l), note.symbol("xhat", l)
    a = note.vector(note.forward_value(f"a{l}"))
    if not note.model.layers[l - 1].settings.affine:
        return [eq((a_l, "=", [xhat]), (None, "=", [a]))]
    p = note.problem.params
    each = " (each feature its own γ and β, in every row)" if note.batch else ""
    return [par("The affine output" + each + ":"),
            eq((a_l, "=", [rf"\gamma_{{{l}}} \odot {xhat} + \beta_{{{l}}}"]),
               (None, "=", [(note.bias(p[f"gamma{l}"], note.given), r"\odot",
                             note.vector(note.forward_value(f"xhat{l}"))),
                            "+ " + note.bias(p[f"beta{l}"], note.given)]),
               (None, "=", [a]))]


# ------------------------------------------------------------------------ update


def running(note: Notation, l: int) -> list[Block]:
    """Batch norm's running statistics after this forward pass (torch's rule)."""
    s = note.model.layers[l - 1].settings
    if note.kind(l) != "batchnorm":
        return []
    new = note.doc["update"].get("running", {})
    mean_new, var_new = new.get(f"running_mean{l}"), new.get(f"running_var{l}")
    if mean_new is None:
        return []
    names = [rf"\mathrm{{running\_{q}}}_{{{l}}}" for q in ("mean", "var")]
    if s.mode == "eval":
        return [par(f"Layer {l} is in eval mode: its running statistics stay as they were."),
                eq((names[0], "=", [note.bias(mean_new)]), (names[1], "=", [note.bias(var_new)]))]
    n, m = note.width(l), tex.plain(s.momentum)
    old_mean, old_var = np.zeros(n) + s.running_mean, np.zeros(n) + s.running_var
    N = note.samples
    # torch averages the batch's unbiased variance in, whatever normalised the batch
    factor = "" if s.variance == "unbiased" else rf"\frac{{{N}}}{{{N - 1}}} "
    keep = rf"(1 - {m})"
    c = cache(note, l)
    return [par(f"Batch norm's running statistics (layer {l}) move toward the batch's, "
                "torch's rule with momentum ", Math(f"m = {m}"),
                " and the batch's unbiased variance:"),
            eq((names[0], r"\leftarrow", [rf"(1 - m)\, {names[0]} + m\, \mu_{{{l}}}"]),
               (None, "=", [rf"{keep} {note.bias(old_mean, note.given)}",
                            rf"+ {m} \cdot {note.bias(c['mean'])}"]),
               (None, "=", [note.bias(mean_new)]),
               (names[1], r"\leftarrow",
                [rf"(1 - m)\, {names[1]} + m\, \frac{{1}}{{N - 1}} \sum_i "
                 rf"(h_{{{l - 1},i}} - \mu_{{{l}}})^2"]),
               (None, "=", [rf"{keep} {note.bias(old_var, note.given)}",
                            rf"+ {m} \cdot {factor}{note.bias(c['var'])}"]),
               (None, "=", [note.bias(var_new)]))]

