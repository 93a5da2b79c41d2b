"""The right formula of the map kinds' quantities (convolution, max and average pooling,
flatten), window by window, with the person's own numbers put in: their h_{l−1} (x) and
δ_l as feature maps, one H×W matrix per channel, and the layer's kernels. Each function
gives the parts that formulas.formula joins with " = " (before the value they give): the
rule entry by entry (the layer's stride and padding written in its indices) with their
numbers, ⇒ the quantity; flatten's, the quantity, its rule, the rule with their numbers.

Indices: a map's [c, i, j] is channel c, row i, column j (of sample n where a sum runs
over the batch); a kernel's [o, c, u, v] output channel o, input channel c, row u, column v.
"""

from __future__ import annotations

from backprop_cli.engine.penalty import FORMS


def _settings(problem, l: int):
    return problem.model.layers[l - 1].settings


def _h(l: int) -> str:
    return "x" if l == 0 else f"h_{{{l}}}"


def _at(index: str, offset: str, stride: int, pad: int) -> str:
    """The input row (column) of a window's cell: stride·index + offset − pad."""
    out = (f"{stride}{index}" if stride != 1 else index) + f" + {offset}"
    return out + (f" - {pad}" if pad else "")


def _cell(g, turned: bool = False) -> tuple[str, str]:
    """The input's row and column under window (i, j)'s kernel cell (u, v), as written in
    a sum over u, v (a turned kernel reads its cell (kH − 1 − u, kW − 1 − v))."""
    (sH, sW), (pH, pW) = g.stride, g.padding
    return _at("i", "u", sH, pH), _at("j", "v", sW, pW)


def _padding_words(g, fill: str = "0") -> str:
    pH, pW = g.padding
    if not (pH or pW):
        return ""
    return rf",\ \text{{padded by }} {pH} \times {pW} \text{{ with }} {fill}"


def _kernel_cell(s) -> str:
    """W_l's cell that multiplies window cell (u, v): turned 180° with flip."""
    kH, kW = s.geometry.kernel
    return f"[o, c, {kH - 1} - u, {kW - 1} - v]" if s.flip else "[o, c, u, v]"


def _a_conv(problem, w, node, values):
    l = node.layer
    s = _settings(problem, l)
    r, c = _cell(s.geometry)
    bias = rf" + b_{{{l}}}[o]" if f"b{l}" in problem.params else ""
    rule = (rf"a_{{{l}}}[o, i, j] = \sum_{{c, u, v}} W_{{{l}}}{_kernel_cell(s)}\, "
            rf"{_h(l - 1)}[c, {r}, {c}]{bias}")
    numbers = rf"{_h(l - 1)} = {w.at(_input(problem, values, l), l - 1)}" \
        rf"{_padding_words(s.geometry)},\ W_{{{l}}} = {w.any(problem.params[f'W{l}'])}"
    if bias:
        numbers += rf",\ b_{{{l}}} = {w.any(problem.params[f'b{l}'])}"
    return [rf"{rule},\quad {numbers}\ \Rightarrow\ a_{{{l}}}"]


def _dW_conv(problem, w, node, values):
    l = node.layer
    s = _settings(problem, l)
    r, c = _cell(s.geometry)
    cell = _kernel_cell(s)
    rule = (rf"\frac{{\partial L}}{{\partial W_{{{l}}}}}{cell} = \sum_{{n, i, j}} "
            rf"\delta_{{{l}}}[n, o, i, j]\, {_h(l - 1)}[n, c, {r}, {c}]")
    p = problem.model.penalty
    if p is not None:  # the L2 penalty's term
        k = 2 * FORMS[p.form].coefficient(p.lam, problem.x.shape[0])
        rule += rf" + {w.num(k)}\, W_{{{l}}}{cell}"
    numbers = rf"\delta_{{{l}}} = {w.at(values[f'da{l}'], l)},\ {_h(l - 1)} = " \
        rf"{w.at(_input(problem, values, l), l - 1)}{_padding_words(s.geometry)}"
    return [rf"{rule},\quad {numbers}\ \Rightarrow\ \frac{{\partial L}}{{\partial W_{{{l}}}}}"]


def _db_conv(problem, w, node, values):
    l = node.layer
    return [rf"\frac{{\partial L}}{{\partial b_{{{l}}}}}[o] = \sum_{{n, i, j}} "
            rf"\delta_{{{l}}}[n, o, i, j],\quad \delta_{{{l}}} = {w.at(values[f'da{l}'], l)}"
            rf"\ \Rightarrow\ \frac{{\partial L}}{{\partial b_{{{l}}}}}"]


def _lhs(l: int) -> str:
    """∂L/∂h_{l−1} (∂L/∂x for the first layer)."""
    return r"\frac{\partial L}{\partial x}" if l == 1 else \
        rf"\frac{{\partial L}}{{\partial h_{{{l - 1}}}}}"


def _skips(node, values, w) -> tuple[str, str]:
    """(+ δ_m, + their numbers) for each residual connection that adds this h."""
    extra = sorted(int(k[2:]) for k in values if k.startswith("da") and
                   int(k[2:]) > node.layer + 1)
    return ("".join(rf" + \delta_{{{m}}}" for m in extra),
            "".join(f" + {w.sample(values[f'da{m}'])}" for m in extra))


def _dh_conv(problem, w, node, values):
    l = node.layer + 1
    s = _settings(problem, l)
    r, c = _cell(s.geometry)
    more, numbers = _skips(node, values, w)
    rule = (rf"{_lhs(l)}[c, {r}, {c}] \mathrel{{+}}= \delta_{{{l}}}[o, i, j]\, "
            rf"W_{{{l}}}{_kernel_cell(s)}\ \text{{for every }} o, i, j, u, v" + more)
    return [rf"{rule},\quad \delta_{{{l}}} = {w.at(values[f'da{l}'], l)},\ "
            rf"W_{{{l}}} = {w.any(problem.params[f'W{l}'])}{numbers}\ \Rightarrow\ {_lhs(l)}"]


def _window(problem, l: int) -> tuple[str, str, int]:
    s = _settings(problem, l)
    r, c = _cell(s.geometry)
    kH, kW = s.geometry.kernel
    return r, c, kH * kW


def _a_maxpool(problem, w, node, values):
    l = node.layer
    r, c, _ = _window(problem, l)
    padding = _padding_words(_settings(problem, l).geometry, r"-\infty")
    return [rf"a_{{{l}}}[c, i, j] = \max_{{u, v}} {_h(l - 1)}[c, {r}, {c}],"
            rf"\quad {_h(l - 1)} = {w.at(_input(problem, values, l), l - 1)}"
            rf"{padding}\ \Rightarrow\ a_{{{l}}}"]


def _dh_maxpool(problem, w, node, values):
    l = node.layer + 1
    r, c, _ = _window(problem, l)
    more, numbers = _skips(node, values, w)
    return [rf"{_lhs(l)}[c, {r}, {c}] \mathrel{{+}}= \delta_{{{l}}}[c, i, j]\ "
            rf"\text{{where }} (u, v) \text{{ is window }} (i, j)\text{{'s largest cell of }}"
            rf" {_h(l - 1)}" + more + rf",\quad \delta_{{{l}}} = {w.at(values[f'da{l}'], l)},\ "
            rf"{_h(l - 1)} = {w.at(_input(problem, values, l), l - 1)}{numbers}\ \Rightarrow\ "
            rf"{_lhs(l)}"]


def _a_avgpool(problem, w, node, values):
    l = node.layer
    r, c, k = _window(problem, l)
    g = _settings(problem, l).geometry
    return [rf"a_{{{l}}}[c, i, j] = \frac{{1}}{{{k}}} \sum_{{u, v}} "
            rf"{_h(l - 1)}[c, {r}, {c}],\quad {_h(l - 1)} = "
            rf"{w.at(_input(problem, values, l), l - 1)}{_padding_words(g)}\ \Rightarrow\ "
            rf"a_{{{l}}}"]


def _dh_avgpool(problem, w, node, values):
    l = node.layer + 1
    r, c, k = _window(problem, l)
    more, numbers = _skips(node, values, w)
    return [rf"{_lhs(l)}[c, {r}, {c}] \mathrel{{+}}= \frac{{\delta_{{{l}}}[c, i, j]}}"
            rf"{{{k}}}\ \text{{for every }} i, j, u, v" + more + rf",\quad \delta_{{{l}}} = "
            rf"{w.at(values[f'da{l}'], l)}{numbers}\ \Rightarrow\ {_lhs(l)}"]


def _order(problem, l: int) -> str:
    return "(C, H, W)" if _settings(problem, l).order == "first" else "(H, W, C)"


def _a_flatten(problem, w, node, values):
    l = node.layer
    return [f"a_{{{l}}}", rf"\operatorname{{vec}}({_h(l - 1)})\ \text{{in {_order(problem, l)} "
            rf"order}}", rf"\operatorname{{vec}}\left({w.at(_input(problem, values, l), l - 1)}"
            r"\right)"]


def _dh_flatten(problem, w, node, values):
    l = node.layer + 1
    more, numbers = _skips(node, values, w)
    return [_lhs(l), rf"\delta_{{{l}}}\ \text{{as maps, read in {_order(problem, l)} order}}"
            + more, w.sample(values[f"da{l}"]) + numbers]


def _input(problem, values, l: int):
    """h_{l−1} as the person has it (x for the first layer)."""
    return problem.x if l == 1 else values[f"h{l - 1}"]


MAP_FORMULAS = {"a_conv": _a_conv, "dW_conv": _dW_conv, "db_conv": _db_conv,
                "dh_conv": _dh_conv, "a_maxpool": _a_maxpool, "dh_maxpool": _dh_maxpool,
                "a_avgpool": _a_avgpool, "dh_avgpool": _dh_avgpool, "a_flatten": _a_flatten,
                "dh_flatten": _dh_flatten}
