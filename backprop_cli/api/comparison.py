"""bp.compare: one forward and backward pass (and optimizer step) of a PyTorch model run
in torch and in backprop, every quantity side by side: exact, close or different.

torch runs on deep copies of the model, loss and optimizer (the caller's are untouched),
in the model's own dtype; backprop runs from_torch's problem in float64. What 'close'
allows: in float64 torch.testing's tolerances; in a lower precision, the bound on what a
correct run in that dtype can reach for a computation of that size (pytorch/bounds.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from backprop_cli.api.display import Shown
from backprop_cli.api.functions import solve
from backprop_cli.api.pytorch import bounds
from backprop_cli.api.pytorch import model as torch_model
from backprop_cli.api.pytorch import run as torch_run
from backprop_cli.api.pytorch.bridge import read as from_torch  # with compare's masks
from backprop_cli.api.pytorch.model import fail
from backprop_cli.api.pytorch.sequences import is_sequence
from backprop_cli.api.solution import Solution

TOLERANCES = {"float64": (1e-7, 1e-7)}  # torch.testing.assert_close's (rtol, atol)
VERDICTS = ("exact", "close", "different")


@dataclass(frozen=True)
class Row:
    """One quantity: its maths name, its --get path in solve's JSON, and the verdict with
    the largest absolute and relative differences (relative to backprop's value) and the
    largest ratio of a difference to what 'close' allows for its entry (close: <= 1)."""

    quantity: str
    path: str
    verdict: str
    max_abs: float
    max_rel: float
    ratio: float = 0.0


def verdict(torch_value, exact_value, allowed) -> tuple[str, float, float, float]:
    """(verdict, max |Δ|, max |Δ|/|backprop|, max |Δ|/allowed): exact when every entry is
    equal, close when every |torch − backprop| <= allowed (a number, or one per entry)."""
    e = np.asarray(exact_value, dtype=np.float64)
    t = np.asarray(torch_value, dtype=np.float64)
    if t.size != e.size:
        return "different", float("inf"), float("inf"), float("inf")
    t = t.reshape(e.shape)
    allowed = np.broadcast_to(np.reshape(allowed, e.shape if np.size(allowed) > 1 else ()),
                              e.shape)
    with np.errstate(all="ignore"):
        diff = np.where(t == e, 0.0, np.abs(t - e))
        rel = np.where(diff == 0, 0.0, diff / np.abs(e))
        # an infinite bound (a quantity the dtype cannot resolve) is all used only by an
        # infinite difference
        ratio = np.where(diff == 0, 0.0, np.where(np.isinf(allowed), np.isinf(diff) * 1.0,
                                                  diff / allowed))
        ratio[np.isnan(diff)] = np.inf  # torch's nan is within no bound
        within = diff <= allowed
    big, worst = float(diff.max(initial=0.0)), float(rel.max(initial=0.0))
    most = float(np.nan_to_num(ratio, nan=np.inf, posinf=np.inf).max(initial=0.0))
    if np.array_equal(t, e):
        return "exact", big, worst, most
    return ("close" if bool(within.all()) else "different"), big, worst, most


@dataclass(frozen=True, repr=False, eq=False)
class Comparison(Shown):
    """The table of every quantity torch and backprop both computed. True (bool) when
    every one is exact or close; `rows` holds them, `solution` is backprop's. rtol and
    atol are None where close means within the dtype's error bound."""

    rows: tuple[Row, ...]
    dtype: str  # the torch model's
    rtol: float | None
    atol: float | None
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

    def rule(self) -> str:
        """What close means, in one line."""
        if self.rtol is None:
            return (f"close: |torch − backprop| ≤ the error bound of a correct {self.dtype} "
                    "run, entry by entry; of bound: the largest |torch − backprop| / bound; "
                    "rel: relative to |backprop|")
        return (f"close: |torch − backprop| ≤ {self.atol:g} + {self.rtol:g}·|backprop| in "
                "every entry; rel: relative to |backprop|")

    def view(self, decimals: int = 4):
        from rich import box
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        table = Table(box=box.SIMPLE_HEAD)
        names = ["quantity", "verdict", "max abs diff", "max rel diff"]
        names += ["of bound"] if self.rtol is None else []
        for name in names:
            table.add_column(name, justify="left" if name in names[:2] else "right",
                             no_wrap=True)
        for row in self.rows:
            cells = [row.quantity, row.verdict, f"{row.max_abs:.1e}", f"{row.max_rel:.1e}"]
            cells += [f"{row.ratio:.1e}"] if self.rtol is None else []
            table.add_row(*cells, style="bold" if row.verdict == "different" else None)
        return Group(Text(self.summary(), style="bold"), table, Text(self.rule()))


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
    if parts[1] in ("parameters", "running"):
        return f"{parts[2]} new"
    return f"state {parts[2]}.{parts[3]}"


def _exact(solution: Solution, path: str, engine: dict | None = None):
    """backprop's value at a path, in the rank of x and the problem's layout; with
    `engine` (arrays by path in the engine's shapes), that array shaped alike."""
    if engine is not None:
        return np.reshape(engine.get(path, 0.0), np.shape(_exact(solution, path)))
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
    if parts[1] == "running":
        return np.asarray(solution.get(path), dtype=np.float64)
    return solution.update.state.get(parts[2], {}).get(parts[3], np.nan)


def compare(model, x, y, loss_fn, optimizer=None, *, rtol: float | None = None,
            atol: float | None = None) -> Comparison:
    """Run one forward and backward pass (and one optimizer step, if an optimizer is
    given) in torch and in backprop, and compare every quantity both compute: each layer's
    a and h, the loss, every gradient torch keeps, the parameters, state and loss after
    the step. rtol, atol: what 'close' allows, |Δ| <= atol + rtol·|backprop| (default:
    in float64 torch.testing's 1e-7 and 1e-7; in a lower precision, each entry's bound on
    what a correct run in that dtype can reach). The model, loss and optimizer given are
    not changed."""
    torch_model.require_torch("bp.compare")
    if is_sequence(model):  # nn.Embedding, nn.RNN, nn.LSTM, nn.GRU: sequences_run.py
        from backprop_cli.api.pytorch.sequences_run import compare as compare_sequence

        return compare_sequence(model, x, y, loss_fn, optimizer, rtol=rtol, atol=atol)
    # what has no equivalent first (nn.Dropout's masks in train mode: ones until torch
    # has drawn them)
    problem = from_torch(model, x, y, loss_fn, optimizer, masks=True)
    layers = torch_model.read_layers(model, np.ndim(x))
    dtype, xt, yt = torch_run.inputs(layers, x, y, loss_fn)
    if xt is not x or yt is not y:  # lists or arrays: read as torch computes with them
        problem, x, y = from_torch(model, xt, yt, loss_fn, optimizer, masks=True), xt, yt
    found, logits, masks = torch_run.run(problem, model, x, y, loss_fn, optimizer)
    if masks:  # the masks torch drew
        problem = from_torch(model, x, y, loss_fn, optimizer, masks=masks)
    solution = solve(problem)
    allowed = None
    if rtol is None and atol is None and dtype in bounds.UNITS:
        why = torch_run.unbounded(problem, model, dtype)
        if why is not None:
            fail(None, why)
        bound = bounds.allowed(problem, dtype, logits)
        allowed = {path: _exact(solution, path, bound) for path in found}
    return judged(found, solution, dtype, rtol, atol, allowed)


def judged(found: dict, solution: Solution, dtype: str, rtol, atol, allowed=None,
           exact=_exact) -> Comparison:
    """torch's values (by path) against backprop's (exact(solution, path)), each entry
    close within allowed[path], or (None) atol + rtol·|backprop|, torch.testing's by
    default."""
    if allowed is None:
        rtol, atol = TOLERANCES["float64"][0] if rtol is None else rtol, \
            TOLERANCES["float64"][1] if atol is None else atol
        allowed = {path: atol + rtol * np.abs(exact(solution, path)) for path in found}
    rows = tuple(Row(_label(path), path, *verdict(value, exact(solution, path), allowed[path]))
                 for path, value in found.items())
    return Comparison(rows, dtype, rtol, atol, solution)
