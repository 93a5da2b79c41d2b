"""Sequence exercises on answer sheets: a recurrent layer's quantities answered over every
step (forward.h1 (N, T, H), gradients.c1, …) are the marking graph's stacks (h1:t, dc1:t,
…; engine/grading/layers/recurrent.py), written per step as solve writes them: (N, T, k),
one sample (T, k), a{l} and ∂L/∂a_l in the file's gate order; the dense layers after an
`output: all` layer are (N, T, K) too. A recurrent layer's parameters are written as the
file writes them (stacked in its `gates` order, or a mapping by gate name)."""

from __future__ import annotations

import numpy as np

from backprop_cli.problem.sequences import file_order, in_file, steps_written


def graph_name(graph: dict, node: str) -> str:
    """The graph's node of a path's name: a recurrent layer's stack where it has one."""
    return f"{node}:t" if f"{node}:t" in graph else node


def stepped(problem, node) -> bool:
    """The node holds T steps per sample (its answer is written (N, T, k))."""
    m = problem.model
    if m.time is None or node.name in ("dh0", "dc0"):
        return False
    return node.name.endswith(":t") or m.sequence(node.layer)


def steps_grid(problem, node, grid):
    """A per-sample node's index grid as the answer writes it, per step."""
    out = steps_written(problem, grid)
    stem = node.name[:-len(f"{node.layer}:t")] if node.name.endswith(":t") else ""
    if stem in ("a", "da"):
        out = file_order(problem.model, out, node.layer)
    return out


def parameter_grid(problem, node, grid):
    """A recurrent layer's parameter-shaped node (its gradient, value after the update,
    optimizer state) as the file writes the parameter; None for other nodes."""
    name = node.param or node.name[1:]
    m = problem.model
    if m.time is None or not node.layer or m.layers[node.layer - 1].kind not in \
            ("rnn", "lstm", "gru") or np.ndim(grid) not in (1, 2):
        return None
    shown = in_file(problem, name, grid)
    return {g: np.asarray(v) for g, v in shown.items()} if isinstance(shown, dict) \
        else np.asarray(shown)


# Each stacked quantity's rule at step t (TeX): the feedback writes it, then the values
# the person's own numbers give at every step.
_D = r"\frac{\partial L}{\partial %s}"
STEP_RULES = {
    "a": ("a_t", {"rnn": r"x_t W_x^\top + h_{t-1} W_h^\top + b",
                  "lstm": r"x_t W_x^\top + h_{t-1} W_h^\top + b",
                  "gru": r"x_t W_x^\top + h_{t-1} W_h^\top + b\ (n\text{: with } r_t)"}),
    "h": ("h_t", {"rnn": r"f(a_t)", "lstm": r"o_t \odot \tanh(c_t)",
                  "gru": r"(1 - z_t) \odot n_t + z_t \odot h_{t-1}\ \text{(old)},\ "
                         r"(1 - z_t) \odot h_{t-1} + z_t \odot n_t\ \text{(new)}"}),
    "c": ("c_t", r"f_t \odot c_{t-1} + i_t \odot g_t"),
    "dh": (_D % "h_t", r"\text{hout}_t + \text{hnext}_t"),
    "dhout": (r"\text{hout}_t", r"\text{what the layers above send to } h_t"),
    "dhnext": (r"\text{hnext}_t", _D % "h_{t+1}" + r"\text{ through step } t + 1\ "
               r"(\delta_{t+1} W_h)"),
    "dc": (_D % "c_t", _D % "h_t" + r" \odot o_t \odot (1 - \tanh^2 c_t) + "
           r"\text{cnext}_t"),
    "dcnext": (r"\text{cnext}_t", _D % "c_{t+1}" + r" \odot f_{t+1}"),
    "da": (r"\delta_t", r"\text{each gate's } \frac{\partial L}{\partial \text{gate}} \odot "
           r"\sigma'\ (\tanh' \text{ for } g, n)"),
}


def stack_formula(problem, w, node, values):
    """A stacked quantity's rule at step t, then (formula() adds it) what the person's
    numbers give at every step."""
    stem = node.name[:-len(f"{node.layer}:t")]
    cell = problem.model.layers[node.layer - 1].settings.cell
    lhs, rule = STEP_RULES.get(stem, (stem, r"\text{its rule at each step}"))
    if stem in "ifgorzn" and len(stem) == 1:
        lhs, rule = f"{stem}_t", r"\sigma\ (\tanh \text{ for } g, n) \text{ of its block of } a_t"
    elif stem.startswith("d") and stem[1:] in "ifgorzn" and len(stem) == 2:
        lhs, rule = _D % f"{stem[1]}_t", r"\text{the chain rule through } h_t, c_t"
    rule = rule[cell] if isinstance(rule, dict) else rule
    return [rf"{lhs}\ (t = 1 \ldots {problem.model.time})", rule]
