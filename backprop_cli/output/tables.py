"""Rich tables for terminals, drawn from the same documents the JSON output prints.

Imported only when tables are asked for, so JSON and --get never pay for rich. Each view is
laid out for the terminal's width when it is printed (sections.py); each value is fitted to
its cell by cells.py, so labels and numbers are never cut.
"""

from __future__ import annotations

import numpy as np
from rich.table import Table
from rich.text import Text

from backprop_cli.engine import quantities
from backprop_cli.engine.model import count_parameters
from backprop_cli.errors import counted
from backprop_cli.output.cells import number
from backprop_cli.output.checktable import check_body
from backprop_cli.output.sections import Fitted, Row, Section, heading
from backprop_cli.problem.maps import written
from backprop_cli.problem.reader import Problem

__all__ = ["check_view", "number", "solve_view", "step_view"]

# The forward pass as the worked solutions write it: by sample (batch) and layout.
FORWARD = {
    (False, "out_in"): "a = W h + b, h = f(a)",
    (False, "in_out"): "a = h W + b, h = f(a)",
    (True, "out_in"): "A = H Wᵀ + b, H = f(A)",
    (True, "in_out"): "A = H W + b, H = f(A)",
}


def architecture(problem: Problem) -> str:
    return " → ".join(problem.sizes())


def _header(problem: Problem) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)  # the labels are never cut; the values wrap
    grid.add_column()
    model = problem.model
    if problem.title:
        grid.add_row("Problem", Text(problem.title))
    grid.add_row("File", Text(problem.source))
    grid.add_row("Network", f"{architecture(problem)}  ("
                 + ", ".join(s.label() for s in model.layers) + ")")
    samples = problem.x.shape[0]
    penalty = f" + L2 ({model.penalty.form}, λ = {model.penalty.lam!r})" if model.penalty \
        else ""
    grid.add_row("Loss", f"{model.loss}{penalty}, reduction {model.reduction}, "
                 f"{counted(samples, 'sample')}, layout {problem.layout}")
    total = count_parameters(problem.params, model.parameter_names())
    trainable = count_parameters(problem.params, model.trainable_names())
    extra = "" if trainable == total else f" ({trainable} trainable)"
    grid.add_row("Learnable parameters", f"{total}{extra}")
    masks = [f"layers[{i}]" for i, s in enumerate(model.layers)
             if s.kind == "dropout" and s.settings.mode == "train"]
    if masks:
        grid.add_row("Dropout", f"the mask{'s' * (len(masks) > 1)} of {', '.join(masks)} "
                     "as the file gives, the same in every step")
    return grid


def _optimizer_line(opt: dict) -> str:
    """The optimizer, its lr and the settings that differ from torch's defaults."""
    from backprop_cli.engine.optimizers import DEFAULTS

    defaults = {k: list(v) if isinstance(v, tuple) else v
                for k, v in DEFAULTS[opt["name"]].items()}

    def fmt(v):
        return str(v).lower() if isinstance(v, bool) else repr(v) if isinstance(v, float) \
            else str(v)

    shown = [f"{k} = {fmt(v)}" for k, v in opt.items()
             if k == "lr" or (k != "name" and v != defaults[k])]
    return opt["name"] + " (" + ", ".join(shown) + ")"


def _frozen(problem: Problem, name: str) -> bool:
    return name in problem.params and name not in problem.model.trainable_names()


def _output_gradient(problem: Problem, doc: dict):
    """gradients.h{L} with its non-finite entries back: the document writes them as null
    (saturated outputs), the table shows -inf or inf, whose sign the reader needs. They are
    the loss's own ∂L/∂ŷ at the document's outputs (a positive batch factor aside)."""
    L = len(problem.model.layers)
    value = doc["gradients"][f"h{L}"]
    if None not in np.ravel(np.array(value, dtype=object)).tolist():
        return value
    from backprop_cli.engine.functions import LOSSES

    a, h = (np.array(doc["forward"][f"{k}{L}"], dtype=float).reshape(problem.y.shape)
            for k in "ah")  # y's rows: a row per sample, or per step of every sample
    with np.errstate(all="ignore"):
        exact = iter(LOSSES[problem.model.loss].grad_h(a, h, problem.y).ravel().tolist())

    def refill(v):  # the same nesting, entry by entry in row-major order
        if isinstance(v, list):
            return [refill(u) for u in v]
        e = next(exact)
        return v if v is not None else e if not np.isfinite(e) else None

    return refill(value)


def _state_rows(problem: Problem, state: dict) -> list[Row]:
    # Adam's exp_avg_sq and the like hold squared gradients, far below the decimals shown.
    return [row for name, entry in state.items() for key, value in entry.items()
            for row in matrices(problem, Row(f"state {name}.{key}", value, tiny=True))]


def matrices(problem: Problem, row: Row, maps: bool = False) -> list[Row]:
    """A row whose value has more than two axes (feature maps, a convolution's kernels)
    as one row per matrix, labelled by its index (a1[0, 1], W1[:, :, 0, 1] with channels
    last); its extra cells (a sum) on the first. maps: the value is feature maps, whose
    matrix axes are H, W; else kernels (kH, kW). A parameter written by gate (an LSTM's
    {i: ..., f: ...}) is a row per gate, labelled Wx1.i."""
    if isinstance(row.value, dict):
        name, gap, note = row.label.partition("  ")
        return [r for key, value in row.value.items() for r in matrices(
            problem, Row(f"{name}.{key}{gap}{note}", value, row.extras, row.bold, row.tiny),
            maps)]
    arr = np.asarray(row.value, dtype=float) if isinstance(row.value, list) else None
    if arr is None or arr.ndim < 3:
        return [row]
    d, last = arr.ndim, problem.channels == "last"
    spatial = ((d - 3, d - 2) if last else (d - 2, d - 1)) if maps else \
        ((0, 1) if last else (2, 3))
    outer = [k for k in range(d) if k not in spatial]
    rows = []
    for index in np.ndindex(*(arr.shape[k] for k in outer)):
        at, it = [], iter(index)
        for k in range(d):
            at.append(slice(None) if k in spatial else next(it))
        label = ", ".join(":" if k in spatial else str(i) for k, i in enumerate(at))
        label = label if last else label.removesuffix(", :, :")
        name, gap, note = row.label.partition("  ")  # "W1  new": the index after the name
        rows.append(Row(f"{name}[{label}]{gap}{note}", arr[tuple(at)].tolist(),
                        row.extras if not rows else tuple("" for _ in row.extras),
                        row.bold, row.tiny))
    return rows


def _solve_sections(problem: Problem, doc: dict, decimals: int) -> list[Section]:
    L, model = len(problem.model.layers), problem.model
    loss = [Row(f"L ({model.loss}, {model.reduction})", doc["loss"])]
    if "loss_parts" in doc:
        loss = _loss_rows(model, doc["loss_parts"], doc["loss"], "L")
    up = doc["update"]
    update = [row for name, value in up["parameters"].items() for row in matrices(
        problem, Row(name + ("  (frozen, unchanged)" if _frozen(problem, name) else "  new"),
                     value))]
    update += _state_rows(problem, up["state"])
    update += [Row(f"{name}  new", value) for name, value in up.get("running", {}).items()]
    if "loss_parts" in up:
        update += _loss_rows(model, up["loss_parts"], up["loss"], "L after the update")
    else:
        update.append(Row("L after the update", up["loss"], bold=True))
    g = dict(doc["gradients"], **{f"h{L}": _output_gradient(problem, doc)})
    if model.time is not None:  # a sequence: a section per time step
        from backprop_cli.output import steps

        return steps.sections(problem, {**doc, "gradients": g}, decimals, loss, update,
                              _optimizer_line(up["optimizer"]))
    if model.map_of(0) is None:
        x = problem.x.tolist() if problem.batched else problem.x[0].tolist()
    else:
        x = written(problem, problem.x, 0).tolist()
    fwd = matrices(problem, Row("h0 = x", x, ("",)), True)
    fwd += [row for q in quantities.forward(model) for row in matrices(
        problem, Row(q.name, _column(problem, q, doc["forward"][q.name]),
                     (number(doc["sums"][q.name], decimals) if q.name in doc["sums"]
                      else "",)), q.shape == "map")]
    forward = FORWARD[problem.batched, problem.layout]
    grads = []
    # layer by layer, output to input, each with its parameters (the document lists them
    # last), then ∂L/∂x: a stable sort of the document's order
    for q in sorted((q for q in quantities.gradients(model) if q.name in g),
                    key=lambda q: -q.layer):
        name = q.name
        grads += matrices(problem, Row(f"∂L/∂{name}" + ("  (frozen)" if _frozen(problem, name)
                                                          else ""),
                                        _column(problem, q, g[name])), q.shape == "map")
        if model.penalty is not None and q.what == "W":  # the L2 term's own row
            grads += matrices(problem, Row(f"  of which ∂(L2)/∂{name}",
                                            _penalty_part(problem, name)))
    return [
        Section(f"Step 1 · Forward pass: {forward}", ("", "value", "sum"), fwd, decimals),
        Section("Step 2 · Loss", ("", "value"), loss, decimals),
        Section("Step 3 · Gradients, output to input", ("", "value"), grads, decimals),
        Section("Step 4 · Update with " + _optimizer_line(up["optimizer"]), ("", "value"),
                update, decimals),
    ]


def _column(problem: Problem, q, value):
    """A number per sample (layer norm's statistics) as a column, a row per sample, as the
    other per-sample values are shown; anything else as it is."""
    if q.shape == "per-sample" and problem.batched:
        return [[v] for v in value]
    return value


def _penalty_part(problem: Problem, name: str):
    """The L2 penalty's part of ∂L/∂W, in the file's layout."""
    from backprop_cli.engine.penalty import FORMS
    from backprop_cli.problem.writer import in_file_layout

    form, lam = FORMS[problem.model.penalty.form], problem.model.penalty.lam
    return in_file_layout(problem, name, form.grad(problem.params[name], lam,
                                                   problem.x.shape[0]))


def _loss_rows(model, parts: dict, total, label: str) -> list[Row]:
    """The objective with an L2 penalty: its data loss, its penalty, their sum."""
    return [Row(f"data loss ({model.loss}, {model.reduction})", parts["data"]),
            Row(f"L2 penalty ({model.penalty.form}, λ = {model.penalty.lam!r})",
                parts["penalty"]),
            Row(label, total, bold=True)]


def solve_view(problem: Problem, doc: dict, decimals: int) -> Fitted:
    sections = _solve_sections(problem, doc, decimals)
    return Fitted(lambda width: [_header(problem)]
                  + [part for s in sections for part in s.render(width)])


def step_view(problem: Problem, doc: dict, decimals: int, every: int = 1) -> Fitted:
    losses = doc["losses"]
    n = doc["steps"]
    title = f"{counted(n, 'step')} with " + _optimizer_line(doc["optimizer"])
    rows = [Row(f"{i} (start)" if i == 0 else str(i), value)
            for i, value in enumerate(losses) if i % every == 0 or i == n]
    params = [row for name, value in doc["parameters"].items() for row in matrices(
        problem, Row(name + ("  (frozen)" if _frozen(problem, name) else ""), value))]
    params += _state_rows(problem, doc["state"])
    params += [Row(name, value) for name, value in doc.get("running", {}).items()]
    sections = [Section(title, ("after step", "loss"), rows, decimals),
                Section("Parameters after the last step", ("", "value"), params, decimals)]
    return Fitted(lambda width: [_header(problem)]
                  + [part for s in sections for part in s.render(width)])


def check_view(problem: Problem, result) -> Fitted:
    """The gradient check: one row per parameter, the tolerance stated."""
    rule = (f"central differences, step {result.step:g} scaled by max(1, |θ|) / max(1, "
            f"|input|); entries agree when |analytic − numeric| ≤ {result.atol:g}·max(1, |L|) "
            f"+ {result.rtol:g}·|numeric|")
    failures = sum(p.failures for p in result.parameters)
    if result.compared == 0:
        verdict = ("Nothing could be compared: every entry sits at a kink, so no gradient "
                   "was verified.")
    elif result.ok:
        verdict = "All analytic gradients agree with finite differences."
    else:
        verdict = f"{counted(failures, 'entry', 'entries')} disagree{'s' if failures == 1 else ''}."
    return Fitted(lambda width: [_header(problem), heading("Gradient check: " + rule),
                                 check_body(result.parameters, width),
                                 Text(verdict, style="bold")])
