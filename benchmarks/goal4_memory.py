"""Goal 4: peak RSS of `backprop step BIG.json --steps 100 --format json` against the same
100 SGD steps in a PyTorch script (torch_steps.py), each a child process."""

from __future__ import annotations

import os
import sys

from goal3_files import big_files, big_network
from measure import Row, Settings, alternate, progress, run_child

HERE = os.path.dirname(os.path.abspath(__file__))


def _cpu_ms(usage) -> float:
    return (usage.ru_utime + usage.ru_stime) * 1e3


def _peak_mib(argv, cwd: str, usages: list) -> float:
    """Peak RSS in MiB (ru_maxrss is KiB on Linux); the whole rusage goes to `usages`."""
    usage = run_child(argv, cwd)
    usages.append(usage)
    return usage.ru_maxrss / 1024


def run(settings: Settings) -> list[Row]:
    json_path, _ = big_files(settings)
    steps = 20 if settings.quick else 100
    ours = [*settings.launcher, "step", json_path, "--steps", str(steps), "--format", "json"]
    theirs = [sys.executable, os.path.join(HERE, "torch_steps.py"), json_path, str(steps)]
    label = f"step --steps {steps} --format json, {big_network(settings).label}"
    rss = Row("4", f"peak RSS: {label}", "the same steps in a PyTorch script", "MiB", 0.3)
    cpu = Row("4", f"CPU: {label}", "the same steps in a PyTorch script", "ms", None)
    ours_usage, base_usage = [], []
    if not settings.torch:
        rss.skipped = cpu.skipped = "torch not installed"
        for i in range(settings.rounds):
            progress(f"goal 4: round {i + 1}/{settings.rounds} (ours only)")
            rss.ours.append(_peak_mib(ours, settings.workdir, ours_usage))
    else:
        alternate(rss, lambda: _peak_mib(ours, settings.workdir, ours_usage),
                  lambda: _peak_mib(theirs, settings.workdir, base_usage), settings)
    # the CPU of the same runs, less alternate's warm-up run
    cpu.others_cpu = rss.others_cpu
    cpu.ours = [_cpu_ms(u) for u in ours_usage[-settings.rounds:]]
    cpu.base = [_cpu_ms(u) for u in base_usage[-settings.rounds:]]
    return [rss, cpu]
