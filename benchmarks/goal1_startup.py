"""Goal 1: start-up, as the child's CPU time (user + sys) of a whole command."""

from __future__ import annotations

import json
import os
import sys

from measure import Row, Settings, alternate, child_cpu_ms, child_output

BASELINE = (sys.executable, "-c", "import numpy, yaml, click")

CASES = (  # (what, arguments after the problem path, the goal's ratio)
    ("solve classic --format json", ("--format", "json"), 1.25),
    ("solve classic --get loss", ("--get", "loss"), 1.25),
    ("solve classic (Rich table)", (), 1.6),
)


def _command(settings: Settings, extra) -> list[str]:
    classic = os.path.join(settings.repo, "problems", "classic.yaml")
    return [*settings.launcher, "solve", classic, *extra]


def _check_outputs(settings: Settings) -> None:
    """The commands timed below must work and print what they promise."""
    cwd = settings.workdir
    json.loads(child_output(_command(settings, ("--format", "json")), cwd))
    float(child_output(_command(settings, ("--get", "loss")), cwd))
    if "loss" not in child_output(_command(settings, ()), cwd).lower():
        raise RuntimeError("the Rich table of classic.yaml does not mention the loss")


def case_row(what: str, extra, target: float, settings: Settings) -> Row:
    # cwd is a scratch folder, so `-m backprop_cli` cannot pick up a checkout by accident
    cwd, ours = settings.workdir, _command(settings, extra)
    row = Row("1", f"start-up CPU: {what}", "python -c 'import numpy, yaml, click'", "ms",
              target)
    return alternate(row, lambda: child_cpu_ms(ours, cwd), lambda: child_cpu_ms(BASELINE, cwd),
                     settings)


def run(settings: Settings) -> list[Row]:
    _check_outputs(settings)
    return [case_row(what, extra, target, settings) for what, extra, target in CASES]
