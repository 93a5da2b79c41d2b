"""Rich tables for terminals, drawn from the same documents the JSON output prints.

Imported only when tables are asked for, so JSON and --get never pay for rich.
"""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from backprop_cli.engine.model import count_parameters
from backprop_cli.output.fmt import MAX_SHOWN, elide, fixed
from backprop_cli.problem.reader import Problem


def number(v, decimals: int, sign_space: bool = False) -> str:
    """Fixed decimals; a rounded zero is a zero ("-0.0000" says nothing a reader can use).
    sign_space keeps a column for the sign, so mixed-sign matrices line up."""
    if v is None:
        return " null" if sign_space else "null"
    s = fixed(v, decimals)
    return s if not sign_space or s.startswith("-") else " " + s


def cell(value, decimals: int) -> str:
    """A scalar, vector or matrix as aligned text, long dimensions elided in the middle."""
    if not isinstance(value, list):
        return number(value, decimals)
    rows = value if value and isinstance(value[0], list) else [value]
    shown = [
        [number(v, decimals, True) if v is not ... else "…" for v in elide(list(r), ...)]
        for r in elide(rows, None) if r is not None
    ]
    width = max(len(s) for r in shown for s in r)
    lines = ["[" + " ".join(s.rjust(width) for s in r) + "]" for r in shown]
    if len(rows) > MAX_SHOWN:
        lines.insert(3, " " * (len(lines[0]) // 2) + "⋮")
    return "\n".join(lines)


def architecture(problem: Problem) -> str:
    sizes = [problem.x.shape[1]] + [problem.params[f"W{l}"].shape[0]
                                    for l in range(1, len(problem.model.layers) + 1)]
    return " → ".join(map(str, sizes))


def _header(problem: Problem) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    model = problem.model
    if problem.title:
        grid.add_row("Problem", problem.title)
    grid.add_row("File", problem.source)
    grid.add_row("Network", f"{architecture(problem)}  ("
                 + ", ".join(s.activation for s in model.layers) + ")")
    samples = problem.x.shape[0]
    grid.add_row("Loss", f"{model.loss}, reduction {model.reduction}, "
                 f"{samples} sample{'s' if samples != 1 else ''}, layout {problem.layout}")
    total = count_parameters(problem.params, model.parameter_names())
    trainable = count_parameters(problem.params, model.trainable_names())
    extra = "" if trainable == total else f" ({trainable} trainable)"
    grid.add_row("Learnable parameters", f"{total}{extra}")
    return grid


def _section(title: str, *columns: str) -> tuple[Text, Table]:
    """A bold heading (not a table title, which would wrap to the table's width) and a table."""
    table = Table(box=box.SIMPLE_HEAD, show_edge=False)
    for name in columns:  # matrices read best left-aligned; sums and losses right-aligned
        table.add_column(name, justify="right" if name in ("sum", "loss") else "left",
                         no_wrap=True)
    return Text("\n" + title, style="bold"), table


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


def solve_view(problem: Problem, doc: dict, decimals: int) -> Group:
    L = len(problem.model.layers)
    parts = [_header(problem)]

    head_fwd, fwd = _section("Step 1 · Forward pass: a = W h + b, h = f(a)", "", "value", "sum")
    fwd.add_row("h0 = x", cell(problem.x.tolist() if problem.batched else
                               problem.x[0].tolist(), decimals), "")
    for l in range(1, L + 1):
        for name in (f"a{l}", f"h{l}"):
            fwd.add_row(name, cell(doc["forward"][name], decimals),
                        number(doc["sums"][name], decimals))
    parts += [head_fwd, fwd]

    head_loss, loss = _section("Step 2 · Loss", "", "value")
    loss.add_row(f"L ({problem.model.loss}, {problem.model.reduction})",
                 number(doc["loss"], decimals))
    parts += [head_loss, loss]

    head_grads, grads = _section("Step 3 · Gradients, output to input", "", "value")
    g = doc["gradients"]
    for l in range(L, 0, -1):
        for name in (f"h{l}", f"a{l}", f"W{l}", f"b{l}"):
            if name in g:
                label = f"∂L/∂{name}" + ("  (frozen)" if _frozen(problem, name) else "")
                grads.add_row(label, cell(g[name], decimals))
    parts += [head_grads, grads]

    up = doc["update"]
    head_update, update = _section("Step 4 · Update with " + _optimizer_line(up["optimizer"]),
                                   "", "value")
    for name, value in up["parameters"].items():
        label = name + ("  (frozen, unchanged)" if _frozen(problem, name) else "  new")
        update.add_row(label, cell(value, decimals))
    for name, entry in up["state"].items():
        for key, value in entry.items():
            update.add_row(f"state {name}.{key}", cell(value, decimals)
                           if not isinstance(value, int) else str(value))
    update.add_row(Text("L after the update", style="bold"),
                   Text(number(up["loss"], decimals), style="bold"))
    parts += [head_update, update]
    return Group(*parts)


def step_view(problem: Problem, doc: dict, decimals: int, every: int = 1) -> Group:
    parts = [_header(problem)]
    losses = doc["losses"]
    n = doc["steps"]
    title = f"{n} step{'s' if n != 1 else ''} with " + _optimizer_line(doc["optimizer"])
    head_table, table = _section(title, "after step", "loss")
    for i, value in enumerate(losses):
        if i % every == 0 or i == n:
            table.add_row(f"{i} (start)" if i == 0 else str(i), number(value, decimals))
    parts += [head_table, table]
    head_params, params = _section("Parameters after the last step", "", "value")
    for name, value in doc["parameters"].items():
        params.add_row(name + ("  (frozen)" if _frozen(problem, name) else ""),
                       cell(value, decimals))
    for name, entry in doc["state"].items():
        for key, value in entry.items():
            params.add_row(f"state {name}.{key}", cell(value, decimals)
                           if not isinstance(value, int) else str(value))
    parts += [head_params, params]
    return Group(*parts)


def check_view(problem: Problem, result) -> Group:
    """The gradient check: one row per parameter, the tolerance stated."""
    parts = [_header(problem)]
    rule = (f"central differences, step {result.step:g}; entries agree when |analytic − "
            f"numeric| ≤ {result.atol:g}·max(1, |L|) + {result.rtol:g}·|numeric|")
    head, table = _section("Gradient check: " + rule, "parameter", "entries", "skipped (kink)",
                           "max abs error", "max rel error", "result")
    for p in result.parameters:
        table.add_row(p.name, str(p.checked), str(p.skipped), f"{p.max_abs:.2e}",
                      f"{p.max_rel:.2e}", "ok" if p.ok else f"FAIL ({p.failures})")
    parts += [head, table]
    failures = sum(p.failures for p in result.parameters)
    verdict = ("All analytic gradients agree with finite differences." if result.ok else
               f"{failures} entr{'y' if failures == 1 else 'ies'} disagree.")
    parts.append(Text(verdict, style="bold"))
    return Group(*parts)
