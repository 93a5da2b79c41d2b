"""What bp.solve and bp.step return: the numbers as numpy arrays, named as the JSON names
them, with the JSON document itself (to_dict, get) and the terminal's tables.

Arrays are read-only. Per-sample arrays (a_l, h_l and their gradients) have the rank of x
in the file: a vector for one sample, one row per sample for a batch; a sequence's every
step, (N, T, k). Weight-shaped arrays (W_l, its gradient and optimizer state) are in the
problem's layout, as the JSON is; a recurrent layer's gates by name are a mapping of
arrays, as the file writes them.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from backprop_cli.api.display import Markdown, Shown, View, picture
from backprop_cli.api.documented import Documented
from backprop_cli.engine import model as engine_model
from backprop_cli.output import report
from backprop_cli.problem.maps import written
from backprop_cli.problem.reader import Problem
from backprop_cli.problem.sequences import steps_written
from backprop_cli.problem.writer import in_file_array


def frozen(value: np.ndarray) -> np.ndarray:
    """A read-only view of an array."""
    view = value.view()
    view.flags.writeable = False
    return view


def per_sample(problem: Problem, value: np.ndarray, layer: int | None = None) -> np.ndarray:
    """An (N, k) array in the rank of x: a vector for one sample; h_layer's feature maps
    (when it is one) in the file's map shape; h_layer's T steps as (N, T, k) (one sample
    (T, k))."""
    if layer is not None and problem.model.map_of(layer) is not None:
        return frozen(written(problem, value, layer))
    if layer is not None and problem.model.sequence(layer):
        return frozen(steps_written(problem, value))
    return frozen(value if problem.batched else value[0])


def shaped(problem: Problem, name: str, value: np.ndarray):
    """A parameter-shaped array as the file lays it out (its layout, its channel order, a
    recurrent layer's gates by name as a mapping of arrays or stacked in its order)."""
    value = in_file_array(problem, name, value)
    if isinstance(value, dict):
        return MappingProxyType({g: frozen(v) for g, v in value.items()})
    return frozen(value)


def state_arrays(problem: Problem, state: dict) -> Mapping:
    return MappingProxyType({name: MappingProxyType(
        {k: v if k == "step" else shaped(problem, name, v) for k, v in entry.items()})
        for name, entry in state.items()})


class ByLayer:
    """Arrays numbered as in the maths: a[1] is a_1, h[0] is x; a[-1] is the output
    layer's. Iterating gives the arrays in order."""

    def __init__(self, arrays, first: int):
        self._arrays, self._first = tuple(arrays), first

    def __getitem__(self, l: int) -> np.ndarray:
        last = self._first + len(self._arrays) - 1
        if isinstance(l, bool) or not isinstance(l, int | np.integer):
            raise TypeError(f"a layer number, {self._first}..{last}, not {type(l).__name__}")
        index = int(l) + (last + 1 if l < 0 else 0)
        if not self._first <= index <= last:
            raise IndexError(f"layer {l}: expected {self._first}..{last} (or -1 for the last)")
        return self._arrays[index - self._first]

    def __len__(self) -> int:
        return len(self._arrays)

    def __iter__(self) -> Iterator[np.ndarray]:
        return iter(self._arrays)

    def __repr__(self) -> str:
        return f"ByLayer({self._first}..{self._first + len(self._arrays) - 1})"


@dataclass(frozen=True, eq=False)
class Forward:
    """The forward pass: a[l] = a_l (pre-activations), h[l] = h_l = f_l(a_l), h[0] = x."""

    a: ByLayer
    h: ByLayer
    loss: float


@dataclass(frozen=True, eq=False)
class Update:
    """One optimizer step: its settings (optimizer, as JSON), every parameter after it
    (frozen ones unchanged), the optimizer's state (torch's names) and the new loss."""

    optimizer: Mapping
    parameters: Mapping
    state: Mapping
    loss: float


@dataclass(frozen=True, repr=False, eq=False)
class Solution(Shown, Documented):
    """Everything `backprop solve` reports about one problem. Shown as the terminal's
    tables; to_dict() is the JSON document of `solve --format json`."""

    problem: Problem  # as solved (with lr/optimizer overrides)
    forward: Forward
    loss: float
    sums: Mapping  # exact sum of each a_l and h_l, by name
    gradients: Mapping  # ∂L/∂h_l, ∂L/∂a_l, ∂L/∂W_l, ∂L/∂b_l, ... by their JSON names
    update: Update
    rounded: int | None  # solve(..., round=K): every value was rounded to K decimals
    _document: dict = field(compare=False)

    @classmethod
    def of(cls, problem: Problem, sol: engine_model.Solution, rounded: int | None) -> Solution:
        """The API's record of an engine solution (and its JSON document)."""
        doc = report.solve_document(problem, sol, rounded)
        fwd = sol.forward
        shown = [report.layer_values(problem.model, fwd, l)
                 for l in range(1, len(fwd.a) + 1)]  # a recurrent layer's: every step
        forward = Forward(ByLayer((per_sample(problem, a, l) for l, (a, _) in
                                   enumerate(shown, 1)), 1),
                          ByLayer((per_sample(problem, h, l) for l, h in
                                   enumerate([fwd.h[0]] + [h for _, h in shown])), 0),
                          fwd.loss)
        gradients = {name: per_sample(problem, arr) if shape == "sample" else
                     frozen(steps_written(problem, arr)) if shape == "steps" else
                     per_sample(problem, arr, l) if shape == "map" else
                     shaped(problem, name, arr) if shape == "param" else frozen(np.asarray(arr))
                     for name, shape, arr, l in report.gradient_arrays(sol.gradients,
                                                                       problem.model)}
        up = sol.update
        parameters = {n: shaped(problem, n, up.params[n])
                      for n in problem.model.parameter_names()}
        update = Update(MappingProxyType(copy.deepcopy(doc["update"]["optimizer"])),
                        MappingProxyType(parameters), state_arrays(problem, up.state), up.loss)
        return cls(problem, forward, fwd.loss, MappingProxyType(dict(doc["sums"])),
                   MappingProxyType(gradients), update, rounded, doc)

    def a(self, l: int) -> np.ndarray:
        """a_l, the pre-activation of layer l."""
        return self.forward.a[l]

    def h(self, l: int) -> np.ndarray:
        """h_l, the activation of layer l; h(0) is x."""
        return self.forward.h[l]



    def view(self, decimals: int = 4):
        from backprop_cli.output.tables import solve_view

        return solve_view(self.problem, self._document, decimals)

    def table(self, decimals: int = 4) -> View:
        """The terminal's tables with `decimals` decimals (shown, printed or rich.print)."""
        return View(lambda: self.view(decimals))

    def markdown(self, decimals: int = 4, diagram: str | None = None) -> Markdown:
        """The worked solution as `solve --format markdown` writes it (a str that a
        notebook shows as maths). diagram: a picture file to show with the statement."""
        from backprop_cli.output import worked

        return Markdown(worked.markdown(self.problem, self._document, decimals, diagram))

    def latex(self, decimals: int = 4, diagram: str | None = None) -> str:
        """The worked solution as a LaTeX document, as `solve --format latex` writes it."""
        from backprop_cli.output import worked

        return worked.latex(self.problem, self._document, decimals, diagram)

    def draw(self, values: bool = True, gradients: bool = False, biases: bool = True,
             decimals: int = 4):
        """The network diagram (as `backprop draw`; needs matplotlib, the plot extra):
        shown inline by a notebook, .save(path) for a file. values: each neuron's a and h
        and the weights; gradients: each neuron's ∂L/∂a (of the problem as given)."""
        from backprop_cli.api.commands import network
        from backprop_cli.output import diagram

        diagram.require_matplotlib()
        net = network(self.problem, values, gradients, decimals, biases)
        return picture(diagram.network_figure(net, decimals))


@dataclass(frozen=True, repr=False, eq=False)
class StepReport(Shown, Documented):
    """What `backprop step --format json` reports: the loss before each step and after
    the last, the parameters and the optimizer state after the last step."""

    problem: Problem  # as stepped from (with overrides)
    steps: int
    losses: np.ndarray  # steps + 1 values
    parameters: Mapping
    state: Mapping
    optimizer: Mapping
    _document: dict = field(compare=False)

    @classmethod
    def of(cls, problem: Problem, run: engine_model.Training) -> StepReport:
        doc = report.step_document(problem, run)
        parameters = {n: shaped(problem, n, run.params[n])
                      for n in problem.model.parameter_names()}
        return cls(problem, doc["steps"], frozen(np.array(run.losses, dtype=np.float64)),
                   MappingProxyType(parameters), state_arrays(problem, run.state),
                   MappingProxyType(copy.deepcopy(doc["optimizer"])), doc)



    def view(self, decimals: int = 4, every: int | None = None):
        from backprop_cli.output.tables import step_view

        every = every or max(1, -(-self.steps // 20))  # about 20 rows, as the command
        return step_view(self.problem, self._document, decimals, every)

    def table(self, decimals: int = 4, every: int | None = None) -> View:
        """The terminal's tables: the loss every `every` steps (and the last)."""
        return View(lambda: self.view(decimals, every))
