"""bp.compare: one forward and backward pass (and optimizer step) of a PyTorch model run
in torch and in backprop, every quantity side by side: exact, close or different.

torch runs on deep copies of the model, loss and optimizer (the caller's are untouched),
in the model's own dtype; backprop runs from_torch's problem in float64.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

import numpy as np

from backprop_cli.api.display import Shown
from backprop_cli.api.functions import solve
from backprop_cli.api.pytorch import model as torch_model
from backprop_cli.api.pytorch.bridge import from_torch
from backprop_cli.api.solution import Solution

# torch.testing.assert_close's default (rtol, atol) for the model's dtype
TOLERANCES = {"float64": (1e-7, 1e-7), "float32": (1.3e-6, 1e-5),
              "float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5)}
VERDICTS = ("exact", "close", "different")


@dataclass(frozen=True)
class Row:
    """One quantity: its maths name, its --get path in solve's JSON, and the verdict with
    the largest absolute and relative differences (relative to backprop's value)."""

    quantity: str
    path: str
    verdict: str
    max_abs: float
    max_rel: float


def verdict(torch_value, exact_value, rtol: float, atol: float) -> tuple[str, float, float]:
    """(verdict, max |Δ|, max |Δ|/|backprop|): exact when every entry is equal, close
    when every |torch − backprop| <= atol + rtol·|backprop| (torch.isclose's rule)."""
    e = np.asarray(exact_value, dtype=np.float64)
    t = np.asarray(torch_value, dtype=np.float64)
    if t.size != e.size:
        return "different", float("inf"), float("inf")
    t = t.reshape(e.shape)
    with np.errstate(all="ignore"):
        diff = np.where(t == e, 0.0, np.abs(t - e))
        rel = np.where(diff == 0, 0.0, diff / np.abs(e))
        within = diff <= atol + rtol * np.abs(e)
    big, worst = float(diff.max(initial=0.0)), float(rel.max(initial=0.0))
    if np.array_equal(t, e):
        return "exact", big, worst
    return ("close" if bool(within.all()) else "different"), big, worst


@dataclass(frozen=True, repr=False, eq=False)
class Comparison(Shown):
    """The table of every quantity torch and backprop both computed. True (bool) when
    every one is exact or close; `rows` holds them, `solution` is backprop's."""

    rows: tuple[Row, ...]
    dtype: str  # the torch model's
    rtol: float
    atol: float
    solution: Solution

    @property
    def ok(self) -> bool:
        """Every quantity exact or close."""
        return all(row.verdict != "different" for row in self.rows)

    def __bool__(self) -> bool:
        return self.ok

    def counts(self) -> dict:
        """How many quantities are exact, close and different."""
        return {v: sum(row.verdict == v for row in self.rows) for v in VERDICTS}

    def summary(self) -> str:
        n = self.counts()
        return (f"PyTorch ({self.dtype}) against backprop (float64): {len(self.rows)} "
                f"quantities, {n['exact']} exact, {n['close']} close, {n['different']} "
                "different")

    def view(self, decimals: int = 4):
        from rich import box
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD)
        for name in ("quantity", "verdict", "max abs diff", "max rel diff"):
            table.add_column(name, justify="right" if "diff" in name else "left",
                             no_wrap=True)
        for row in self.rows:
            table.add_row(row.quantity, row.verdict, f"{row.max_abs:.1e}",
                          f"{row.max_rel:.1e}",
                          style="bold" if row.verdict == "different" else None)
        rule = (f"close: |torch − backprop| ≤ {self.atol:g} + {self.rtol:g}·|backprop| in "
                "every entry; rel: relative to |backprop|")
        return Group(Text(self.summary(), style="bold"), table, Text(rule))


def _tensor(value, dtype):
    import torch

    if torch.is_tensor(value):
        return value
    value = np.asarray(value)
    return torch.as_tensor(value, dtype=None if np.issubdtype(value.dtype, np.integer)
                           else dtype)


def _forward_hooks(layers, seen: dict) -> list:
    def keep(name):
        def hook(module, inputs, output):
            if output.requires_grad:
                output.retain_grad()
            seen[name] = output
        return hook

    handles = []
    for l, layer in enumerate(layers, 1):
        handles.append(layer.linear.register_forward_hook(keep(f"a{l}")))
        if layer.module is not None:
            if hasattr(layer.module, "inplace"):
                layer.module.inplace = False  # a copy: a_l must survive its activation
            handles.append(layer.module.register_forward_hook(keep(f"h{l}")))
    return handles


def _output(loss: str, a):
    """h_L where the torch loss brings the output activation (it never forms h_L)."""
    import torch

    return torch.softmax(a, dim=-1) if loss == "cross_entropy" else torch.sigmoid(a)


def _torch_run(problem, model, x, y, loss_fn, optimizer) -> dict:
    """Every quantity torch computes, by its --get path, as float64 arrays."""
    import torch

    model, loss_fn, optimizer = copy.deepcopy((model, loss_fn, optimizer))
    layers = torch_model.read_layers(model, np.ndim(x))
    parameters = torch_model.parameters(layers)
    dtype = parameters["W1"].dtype
    x, y = _tensor(x, dtype), _tensor(y, dtype)
    seen: dict = {}
    handles = _forward_hooks(layers, seen)
    for p in parameters.values():
        p.grad = None
    loss = loss_fn(model(x), y)
    for handle in handles:
        handle.remove()
    if loss.requires_grad:
        loss.backward()
    found, grads, L = {}, {}, len(layers)
    for l, layer in enumerate(layers, 1):
        a = seen[f"a{l}"]
        brought = l == L and layer.activation != problem.model.layers[-1].activation
        h = _output(problem.model.loss, a.detach()) if brought else seen.get(f"h{l}", a)
        found[f"forward.a{l}"], found[f"forward.h{l}"] = a, h
        grads[l] = {f"gradients.h{l}": None if brought else h.grad, f"gradients.a{l}": a.grad}
    found["loss"] = loss
    for l in range(L, 0, -1):  # the JSON's order: output to input, then the parameters
        found.update(grads[l])
    found.update({f"gradients.{n}": parameters[n].grad for l in range(L, 0, -1)
                  for n in (f"W{l}", f"b{l}") if n in parameters})
    if optimizer is not None:
        optimizer.step()
        found.update({f"update.parameters.{n}": p for n, p in parameters.items()})
        for n in problem.model.trainable_names():
            for key, value in optimizer.state.get(parameters[n], {}).items():
                found[f"update.state.{n}.{key}"] = value
        with torch.no_grad():
            found["update.loss"] = loss_fn(model(x), y)
    return {k: torch_model.array(v) for k, v in found.items() if v is not None}


def _label(path: str) -> str:
    parts = path.split(".")
    if parts[0] == "forward":
        return parts[1]
    if parts[0] == "gradients":
        return f"∂L/∂{parts[1]}"
    if path == "loss":
        return "L"
    if path == "update.loss":
        return "L after the update"
    if parts[1] == "parameters":
        return f"{parts[2]} new"
    return f"state {parts[2]}.{parts[3]}"


def _exact(solution: Solution, path: str):
    parts = path.split(".")
    if path in ("loss", "update.loss"):
        return solution.loss if path == "loss" else solution.update.loss
    if parts[0] == "forward":
        return (solution.forward.a if parts[1][0] == "a" else solution.forward.h)[
            int(parts[1][1:])]
    if parts[0] == "gradients":
        return solution.gradients[parts[1]]
    if parts[1] == "parameters":
        return solution.update.parameters[parts[2]]
    return solution.update.state.get(parts[2], {}).get(parts[3], np.nan)


def compare(model, x, y, loss_fn, optimizer=None, *, rtol: float | None = None,
            atol: float | None = None) -> Comparison:
    """Run one forward and backward pass (and one optimizer step, if an optimizer is
    given) in torch and in backprop, and compare every quantity both compute: each layer's
    a and h, the loss, every gradient torch keeps, the parameters, state and loss after
    the step. rtol, atol: what 'close' allows (default: torch.testing's for the model's
    dtype). The model, loss and optimizer given are not changed."""
    problem = from_torch(model, x, y, loss_fn, optimizer)
    solution = solve(problem)
    found = _torch_run(problem, model, x, y, loss_fn, optimizer)
    dtype = str(next(iter(model.parameters())).dtype).removeprefix("torch.")
    default = TOLERANCES.get(dtype, TOLERANCES["float32"])
    rtol, atol = default[0] if rtol is None else rtol, default[1] if atol is None else atol
    rows = tuple(Row(_label(path), path, *verdict(value, _exact(solution, path), rtol, atol))
                 for path, value in found.items())
    return Comparison(rows, dtype, rtol, atol, solution)
