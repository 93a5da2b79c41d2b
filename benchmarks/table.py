"""The results table, as plain text or Markdown."""

from __future__ import annotations

import statistics

from measure import GOAL_FLOOR, Row

HEADER = ("goal", "measured", "ours", "baseline", "ratio", "goal ratio", "result",
          "paired ratios", "floor", "ours/floor", "floor/torch", "others' CPU")
BUSY = 0.10  # other processes' share of the CPU above which a row is marked noisy


def _number(value: float, unit: str) -> str:
    digits = 0 if value >= 100 else 1 if value >= 10 else 2
    return f"{value:.{digits}f} {unit}"


def cells(row: Row) -> tuple[str, ...]:
    goal = "info" if row.target is None else f"<= {row.target:g}"
    if row.error:
        return (row.goal, row.what, "-", "-", "-", goal, "ERROR", row.error, "", "", "", "")
    ours = _number(row.ours_median, row.unit) if row.ours else "-"
    if row.skipped:
        return (row.goal, row.what, ours, f"skipped: {row.skipped}", "-", goal, "skipped", "",
                *_floor(row), "")
    paired = row.paired_ratios()
    spread = f"{min(paired):.2f} to {max(paired):.2f}"
    return (row.goal, row.what, ours, _number(row.base_median, row.unit), _ratio(row),
            goal, row.verdict, spread, *_floor(row), _others(row))


def _floor(row: Row) -> tuple[str, str, str]:
    """(the floor, ours/floor, floor/baseline) of a goal-2 row; blanks for the others."""
    if not row.floor:
        return "", "", ""
    share = f"{row.floor_share:.2f}" if row.base else ""
    return _number(statistics.median(row.floor), row.unit), f"{row.floor_ratio:.2f}", share


def _ratio(row: Row) -> str:
    """Two decimals, three where two would read as the goal itself (0.30 against 0.3)."""
    text = f"{row.ratio:.2f}"
    if row.target is not None and text == f"{row.target:.2f}" and row.ratio != row.target:
        text = f"{row.ratio:.3f}"
    return text


def _others(row: Row) -> str:
    if row.others_cpu is None:
        return "?"
    return f"{row.others_cpu:.0%}" + (" (noisy)" if row.others_cpu > BUSY else "")


# --threads 1: the engine rows alone, as whole-process CPU per step
CPU_HEADER = ("network", "ours per step", "torch per step", "ratio", "goal", "result",
              "paired ratios", "floor per step", "ours/floor", "floor/torch", "others' CPU")


def cpu_cells(row: Row) -> tuple[str, ...]:
    """A row of the --threads 1 table: the goal's rows without the goal column."""
    _, *rest = cells(row)
    return tuple(rest)


def plain(rows: list[Row], header=HEADER, make=cells, right=(2, 3, 4, 8, 9, 10)) -> str:
    """The rows as text, columns aligned; `right` are the numbers' columns."""
    table = [header, *map(make, rows)]
    widths = [max(len(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for i, r in enumerate(table):
        lines.append("  ".join(c.rjust(w) if j in right else c.ljust(w)
                               for j, (c, w) in enumerate(zip(r, widths))).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[Row], header=HEADER, make=cells, right=(2, 3, 4, 8, 9, 10)) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "|" + "|".join("---:" if i in right else "---" for i in range(len(header)))
             + "|"]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in make(row)) + " |")
    return "\n".join(lines)


def cpu_plain(rows: list[Row]) -> str:
    return plain(rows, CPU_HEADER, cpu_cells, (1, 2, 3, 7, 8, 9))


def cpu_markdown(rows: list[Row]) -> str:
    return markdown(rows, CPU_HEADER, cpu_cells, (1, 2, 3, 7, 8, 9))


def notes(rows: list[Row]) -> str:
    """The baselines in words, and a warning when other processes competed for the CPU."""
    lines = [baselines(rows)]
    if any(r.floor for r in rows):
        lines.append("floor: the step's matrix products alone (benchmarks/floor.py: the same "
                     "shapes, numpy's BLAS); where floor/torch is above a row's goal no numpy "
                     f"engine can reach it on this machine, and the goal is ours/floor <= "
                     f"{GOAL_FLOOR:g}")
    if any(r.others_cpu is not None and r.others_cpu > BUSY for r in rows):
        lines.append(f"(noisy): other processes used over {BUSY:.0%} of the CPU during the "
                     "row; rerun on an idle machine, or with --quiet-wait 60")
    return "\n".join(lines)


def baselines(rows: list[Row]) -> str:
    seen = {}
    for row in rows:
        seen.setdefault(f"goal {row.goal}: {row.against}", None)
    return "baselines: " + "; ".join(seen)
