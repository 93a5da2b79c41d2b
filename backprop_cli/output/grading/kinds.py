"""The right formula of the layer kinds' quantities (batch norm, layer norm, dropout), the
L2 penalty's and the running statistics', with the person's own numbers put in where the
formula reads few enough of them to stay readable. Each function gives the parts that
formulas.formula joins with " = ": the quantity, its rule, the rule with their numbers."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.penalty import FORMS


def _input(problem, values, l: int):
    """h_{l-1} as the person has it (x for the first layer)."""
    return problem.x if l == 1 else values[f"h{l - 1}"]


def _over(problem, l: int) -> tuple[str, str]:
    """(the sum's index, the count) of layer l's statistics: the batch or the features."""
    spec = problem.model.layers[l - 1]
    if spec.kind == "layernorm":
        return "j", "n"
    return "i", "N - 1" if spec.settings.variance == "unbiased" else "N"


def _mean(problem, w, node, values):
    l = node.layer
    i, _ = _over(problem, l)
    count = "n" if i == "j" else "N"
    if i == "i" and problem.model.layers[l - 1].settings.mode == "eval":
        return [rf"\mu_{{{l}}}", r"\text{the running mean}"]
    return [rf"\mu_{{{l}}}", rf"\frac{{1}}{{{count}}} \sum_{i} h_{{{l - 1},{i}}}",
            rf"\operatorname{{mean}}_{i}\left({w.sample(_input(problem, values, l))}\right)"]


def _var(problem, w, node, values):
    l = node.layer
    i, divisor = _over(problem, l)
    if i == "i" and problem.model.layers[l - 1].settings.mode == "eval":
        return [rf"\sigma^2_{{{l}}}", r"\text{the running variance}"]
    return [rf"\sigma^2_{{{l}}}",
            rf"\frac{{1}}{{{divisor}}} \sum_{i} (h_{{{l - 1},{i}}} - \mu_{{{l}}})^2,\quad "
            rf"\mu_{{{l}}} = {w.any(values[f'mean{l}'])}\ \Rightarrow\ \sigma^2_{{{l}}}"]


def _xhat(problem, w, node, values):
    l = node.layer
    return [rf"\hat x_{{{l}}}", rf"\frac{{h_{{{l - 1}}} - \mu_{{{l}}}}}{{\sqrt{{\sigma^2_{{{l}}}"
            rf" + \epsilon}}}},\quad \mu_{{{l}}} = {w.any(values[f'mean{l}'])},\ "
            rf"\sigma^2_{{{l}}} = {w.any(values[f'var{l}'])}\ \Rightarrow\ \hat x_{{{l}}}"]


def _a_norm(problem, w, node, values):
    l = node.layer
    return [f"a_{{{l}}}", rf"\gamma_{{{l}}} \odot \hat x_{{{l}}} + \beta_{{{l}}}",
            rf"\hat x_{{{l}}} = {w.sample(values[f'xhat{l}'])}"]


def _dxhat(problem, w, node, values):
    l = node.layer
    return [rf"\frac{{\partial L}}{{\partial \hat x_{{{l}}}}}", rf"\delta_{{{l}}} \odot "
            rf"\gamma_{{{l}}}", rf"{w.sample(values[f'da{l}'])} \odot \gamma_{{{l}}}"]


def _dvar(problem, w, node, values):
    l = node.layer
    i, _ = _over(problem, l)
    return [rf"\frac{{\partial L}}{{\partial \sigma^2_{{{l}}}}}",
            rf"-\frac{{1}}{{2}} (\sigma^2_{{{l}}} + \epsilon)^{{-3/2}} \sum_{i} "
            rf"\frac{{\partial L}}{{\partial \hat x_{{{l},{i}}}}} (h_{{{l - 1},{i}}} - "
            rf"\mu_{{{l}}})"]


def _dmean(problem, w, node, values):
    l = node.layer
    i, divisor = _over(problem, l)
    return [rf"\frac{{\partial L}}{{\partial \mu_{{{l}}}}}",
            rf"-\sum_{i} \frac{{\partial L / \partial \hat x_{{{l},{i}}}}}{{\sqrt{{\sigma^2_"
            rf"{{{l}}} + \epsilon}}}} + \frac{{\partial L}}{{\partial \sigma^2_{{{l}}}}} "
            rf"\frac{{1}}{{{divisor}}} \sum_{i} -2 (h_{{{l - 1},{i}}} - \mu_{{{l}}})"]


def _dh_norm(problem, w, node, values):
    l = node.layer + 1
    i, divisor = _over(problem, l)
    count = "n" if i == "j" else "N"
    lhs = r"\frac{\partial L}{\partial x}" if l == 1 else \
        rf"\frac{{\partial L}}{{\partial h_{{{l - 1}}}}}"
    first = rf"\frac{{\partial L / \partial \hat x_{{{l}}}}}{{\sqrt{{\sigma^2_{{{l}}} + " \
        r"\epsilon}}"
    if f"dvar{l}" not in values:  # constant statistics: the one path
        return [lhs, first]
    return [lhs, first + rf" + \frac{{\partial L}}{{\partial \sigma^2_{{{l}}}}} \frac{{2 (h_"
            rf"{{{l - 1}}} - \mu_{{{l}}})}}{{{divisor}}} + \frac{{1}}{{{count}}} "
            rf"\frac{{\partial L}}{{\partial \mu_{{{l}}}}}" + _skips(node, values)]


def _param(problem, w, node, values):
    l, name = node.layer, node.kind[1:]
    symbol = {"gamma": r"\gamma", "beta": r"\beta"}[name]
    rule = rf"\sum_i \delta_{{{l},i}} \odot \hat x_{{{l},i}}" if name == "gamma" else \
        rf"\sum_i \delta_{{{l},i}}"
    return [rf"\frac{{\partial L}}{{\partial {symbol}_{{{l}}}}}", rule]


def _a_drop(problem, w, node, values):
    l = node.layer
    return [f"a_{{{l}}}", rf"h_{{{l - 1}}} \odot m_{{{l}}} \cdot s_{{{l}}}",
            rf"{w.sample(_input(problem, values, l))} \odot m_{{{l}}} \cdot "
            rf"{w.num(_scale(problem, l))}"]


def _dh_drop(problem, w, node, values):
    l = node.layer + 1
    lhs = r"\frac{\partial L}{\partial x}" if l == 1 else \
        rf"\frac{{\partial L}}{{\partial h_{{{l - 1}}}}}"
    return [lhs, rf"\delta_{{{l}}} \odot m_{{{l}}} \cdot s_{{{l}}}" + _skips(node, values),
            rf"{w.sample(values[f'da{l}'])} \odot m_{{{l}}} \cdot {w.num(_scale(problem, l))}"]


def _scale(problem, l: int) -> float:
    s = problem.model.layers[l - 1].settings
    return 1.0 if s.mode == "eval" else s.factor


def _skips(node, values) -> str:
    """+ δ_m for each residual connection that adds this h (the rule reads its δ_m)."""
    extra = sorted(int(k[2:]) for k in values if k.startswith("da") and
                   int(k[2:]) > node.layer + 1)
    return "".join(rf" + \delta_{{{m}}}" for m in extra)


def _running(problem, w, node, values):
    l, m = node.layer, problem.model.layers[node.layer - 1].settings.momentum
    stat = rf"\mu_{{{l}}}" if node.key == "mean" else \
        rf"\tfrac{{N}}{{N - 1}} \sigma^2_{{{l}}}\ (\text{{unbiased}})"
    return [rf"\mathrm{{running\_{node.key}}}_{{{l}}}'",
            rf"(1 - {w.num(m)})\,\mathrm{{running\_{node.key}}}_{{{l}}} + {w.num(m)}\, {stat}"]


def _penalty(problem, w, node, values):
    p = problem.model.penalty
    c = FORMS[p.form].coefficient(p.lam, problem.x.shape[0])
    after = "'" if node.name.endswith("'") else ""
    return [f"R{after}", rf"{w.num(c)} \sum_l \lVert W_l{after} \rVert^2 \quad "
            rf"(\text{{{p.form}}},\ \lambda = {w.num(p.lam)})"]


def _total(problem, w, node, values):
    after = "'" if node.name.endswith("'") else ""
    return [f"L{after}", rf"L_{{\text{{data}}}}{after} + R{after}",
            " + ".join(w.num(np.asarray(v)) for v in values.values())]


KIND_FORMULAS = {"mean": _mean, "var": _var, "xhat": _xhat, "a_norm": _a_norm,
                 "dxhat": _dxhat, "dvar": _dvar, "dmean": _dmean, "dh_norm": _dh_norm,
                 "dgamma": _param, "dbeta": _param, "a_drop": _a_drop, "dh_drop": _dh_drop,
                 "running": _running, "penalty": _penalty, "penalty_after": _penalty,
                 "loss_total": _total}
