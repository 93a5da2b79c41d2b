"""Formulas for worked solutions: activations, losses and torch.optim's update rules.

Each update rule is written with the settings in effect (momentum, weight decay, ...), in
the order torch applies them; g is the gradient, theta the parameter, t the step (from 1).
"""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.output.worked.tex import Math, given, number, plain


def derivative(note, l: int):
    """(f's symbol, f' as TeX, f'(a_l) at the solution) of layer l's activation, as the
    chain rule writes it (H, A for a batch)."""
    spec = note.model.layers[l - 1]
    a, h = note.forward_value(f"a{l}"), note.forward_value(f"h{l}")
    symbol, _, deriv = ACTIVATIONS[spec.activation].tex
    with np.errstate(all="ignore"):  # f' at a saturated unit must not warn on stderr
        slope = ACTIVATIONS[spec.activation].backward(a, h, None, np.ones_like(a), spec.param)
    deriv = deriv.replace("@", f"{{{l}}}").replace("%", plain(spec.param or 0))
    if note.batch:
        deriv = deriv.replace("h_{", "H_{").replace("a_{", "A_{")
    return symbol, deriv, slope


def _filled(template: str, yhat: str, y: str) -> str:
    return template.replace("$yhat", yhat).replace("$y", y)


def loss_formula(loss: str, yhat: str, y: str) -> str:
    """The loss of one sample, in the symbols given for one output of prediction and target
    (the loss's record holds it)."""
    return _filled(LOSSES[loss].tex[0], yhat, y)


def dh_formula(loss: str, yhat: str, y: str) -> str:
    """dL/dyhat of one sample, without its 1/K (mse: 2/K, bce: 1/K) and batch factors."""
    return _filled(LOSSES[loss].tex[1], yhat, y)


_SYMBOLS = {"lr": r"\eta", "momentum": r"\mu", "dampening": r"\tau", "weight_decay": r"\lambda",
            "eps": r"\epsilon", "alpha": r"\alpha", "initial_accumulator_value": "s_0",
            "lr_decay": r"\mathrm{lr\_decay}"}


def _torch_name(name: str) -> str:
    return r"\quad (\mathrm{" + name.replace("_", r"\_") + "})"


def rule_steps(opt: dict) -> list:
    """(lhs, rel, terms) steps of the rule for this optimizer and these settings."""
    name, steps = opt["name"], []
    arrow = r"\leftarrow"
    if opt.get("maximize"):
        steps.append(("g", arrow, [r"-g", r"\quad \text{(maximize)}"]))
    if opt.get("weight_decay") and name != "adamw":
        steps.append(("g", arrow, [r"g + \lambda \theta"]))
    if name == "sgd":
        if opt.get("momentum"):
            steps.append(("b", arrow, [r"g \text{ at } t = 1, \text{ else } \mu b + (1 - \tau) g",
                                       _torch_name("momentum_buffer")]))
            steps.append(("g", arrow, [r"g + \mu b" if opt.get("nesterov") else "b"]))
        steps.append((r"\theta", arrow, [r"\theta - \eta g"]))
    elif name == "adagrad":
        steps.append((r"\eta_t", "=", [r"\frac{\eta}{1 + (t - 1)\,\mathrm{lr\_decay}}"]))
        steps.append(("s", arrow, [r"s + g \odot g", r"\quad (s = s_0 \text{ at the start})",
                                   _torch_name("sum")]))
        steps.append((r"\theta", arrow, [r"\theta - \eta_t \frac{g}{\sqrt{s} + \epsilon}"]))
    elif name == "rmsprop":
        steps.append(("v", arrow, [r"\alpha v + (1 - \alpha) g \odot g",
                                   _torch_name("square_avg")]))
        if opt.get("centered"):
            steps.append((r"\bar g", arrow, [r"\alpha \bar g + (1 - \alpha) g",
                                             _torch_name("grad_avg")]))
            steps.append(("d", "=", [r"\sqrt{v - \bar g \odot \bar g} + \epsilon"]))
        else:
            steps.append(("d", "=", [r"\sqrt{v} + \epsilon"]))
        if opt.get("momentum"):
            steps.append(("b", arrow, [r"\mu b + g / d", _torch_name("momentum_buffer")]))
            steps.append((r"\theta", arrow, [r"\theta - \eta b"]))
        else:
            steps.append((r"\theta", arrow, [r"\theta - \eta g / d"]))
    else:  # adam, adamw
        if name == "adamw":
            steps.append((r"\theta", arrow, [r"\theta (1 - \eta \lambda)",
                                             r"\quad \text{(decoupled weight decay)}"]))
        steps.append(("m", arrow, [r"\beta_1 m + (1 - \beta_1) g", _torch_name("exp_avg")]))
        steps.append(("v", arrow, [r"\beta_2 v + (1 - \beta_2) g \odot g",
                                   _torch_name("exp_avg_sq")]))
        v = "v"
        if opt.get("amsgrad"):
            steps.append((r"\hat v", arrow, [r"\max(\hat v, v)", _torch_name("max_exp_avg_sq")]))
            v = r"\hat v"
        steps.append((r"\theta", arrow, [r"\theta - \frac{\eta}{1 - \beta_1^t}",
                                         rf"\frac{{m}}{{\sqrt{{{v}}} / \sqrt{{1 - \beta_2^t}} "
                                         r"+ \epsilon}"]))
    return steps


def settings(opt: dict) -> list:
    """Paragraph segments naming every setting and its value."""
    out: list = []
    for key, value in opt.items():
        if key == "name":
            continue
        if out:
            out.append(", ")
        if key == "betas":
            out.append(Math(rf"\beta_1 = {plain(value[0])}, \beta_2 = {plain(value[1])}"))
        elif isinstance(value, bool):
            out.append(f"{key}: {str(value).lower()}")
        else:
            out.append(Math(f"{_SYMBOLS[key]} = {plain(value)}") if key in _SYMBOLS
                       else f"{key} = {value}")
    return out + ["."]


def loss_terms(loss: str, yhat, y, decimals: int) -> list[str]:
    """The loss of one sample with its numbers, as terms (more than 8 outputs: none)."""
    k = len(y)
    if k > 8:
        return [r"\ldots"]
    p = [number(v, decimals) for v in yhat]
    t = [plain(v) if v >= 0 else f"({plain(v)})" for v in y]
    if loss == "cross_entropy":
        parts = [(rf"\log {p[i]}" if y[i] == 1 else rf"{t[i]} \log {p[i]}")
                 for i in range(k) if y[i] != 0]
        if not parts:  # an all-zero (soft) target: every term is 0 log p
            return ["0"]
        if len(parts) == 1:
            return ["-" + parts[0]]
        return [r"-\bigl(" + parts[0]] + ["+ " + q for q in parts[1:]] + [r"\bigr)"]
    if loss == "upstream":  # L = Σ y ŷ: y the given upstream gradient
        parts = [rf"{_signed(given(y[i], decimals))} \cdot {p[i]}" for i in range(k)]
        return [parts[0]] + ["+ " + q for q in parts[1:]]
    if loss == "bce":
        parts = [rf"{t[i]} \log {p[i]} + (1 - {t[i]}) \log(1 - {p[i]})" for i in range(k)]
        head = r"-\bigl[" if k == 1 else rf"-\frac{{1}}{{{k}}}\bigl["
    else:
        parts = [rf"({p[i]} - {t[i]})^2" for i in range(k)]
        head = {"mse": rf"\frac{{1}}{{{k}}}\bigl[", "sse_half": r"\frac{1}{2}\bigl["}[loss]
    return [head + parts[0]] + ["+ " + q for q in parts[1:]] + [r"\bigr]"]


def _signed(v: str) -> str:
    return f"({v})" if v.startswith("-") else v
