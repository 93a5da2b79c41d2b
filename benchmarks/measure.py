"""Shared measuring tools: alternating rounds, child processes' rusage, result rows."""

from __future__ import annotations

import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from types import SimpleNamespace

GOAL_FLOOR = 1.1  # issue 20: a step within 1.1 times its matrix products alone
SPAWN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "spawn.py")


@dataclass(frozen=True)
class Settings:
    rounds: int  # alternating rounds per row (ours, baseline, ours, baseline, ...)
    quick: bool
    threads: int
    launcher: tuple[str, ...]  # argv that starts the installed `backprop`
    launcher_note: str
    repo: str  # the checkout holding problems/ (the package itself is the installed one)
    workdir: str  # a temporary folder for generated files and the children's cwd
    torch: bool  # torch is importable
    quiet_wait: float = 0.0  # before each round, wait up to this long for an idle machine


@dataclass
class Row:
    goal: str  # "1", "2", ... as in issue 7
    what: str
    against: str  # the baseline, in words
    unit: str  # "ms", "us", "MiB"
    target: float | None  # the goal's ratio; None: informational
    ours: list[float] = field(default_factory=list)
    base: list[float] = field(default_factory=list)
    skipped: str = ""  # why the baseline was not measured (ours may still be)
    error: str = ""  # why the row could not be measured at all
    others_cpu: float | None = None  # share of the machine's CPU other processes used
    paired: bool = False  # ratio: the median of the per-round ratios, not of the medians
    floor: list[float] = field(default_factory=list)  # goal 2: the matrix products alone

    @property
    def ours_median(self) -> float:
        return statistics.median(self.ours)

    @property
    def base_median(self) -> float:
        return statistics.median(self.base)

    @property
    def ratio(self) -> float:
        if self.paired:
            return statistics.median(self.paired_ratios())
        return self.ours_median / self.base_median

    def paired_ratios(self) -> list[float]:
        """ours/baseline within each round: their spread shows the noise."""
        return [o / b for o, b in zip(self.ours, self.base)]

    @property
    def floor_ratio(self) -> float:
        """ours / the floor: the median of the per-round ratios (GOAL_FLOOR's)."""
        return statistics.median(o / f for o, f in zip(self.ours, self.floor))

    @property
    def floor_share(self) -> float:
        """the floor / the baseline, per round, median: above the row's goal, no numpy
        engine can reach it with this BLAS, and ours/floor is the goal that applies."""
        return statistics.median(f / b for f, b in zip(self.floor, self.base))

    @property
    def verdict(self) -> str:
        if self.error:
            return "ERROR"
        if self.skipped:
            return "skipped"
        if self.target is None:
            return "info"
        return "pass" if self.ratio <= self.target else "FAIL"


def progress(message: str) -> None:
    print(f"  .. {message}", file=sys.stderr, flush=True)


def settle() -> None:
    """Collect garbage and let other threads' spin-waits run out before a timed block."""
    gc.collect()
    time.sleep(0.02)


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) CPU time of the whole machine so far, in clock ticks."""
    with open("/proc/stat", encoding="ascii") as f:
        values = [int(v) for v in f.readline().split()[1:9]]
    idle = values[3] + values[4]  # idle, iowait
    return sum(values) - idle, sum(values)


def _own_cpu() -> float:
    """This process's CPU seconds, with every child it has waited for (and theirs)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


class OthersCpu:
    """How much CPU other processes used since this was made: share() of the machine's."""

    def __init__(self):
        self.busy, self.total = _cpu_jiffies()
        self.own = _own_cpu()

    def ticks(self) -> tuple[float, int]:
        """(other processes' busy ticks, all ticks of every CPU) since the start."""
        busy, total = _cpu_jiffies()
        own = (_own_cpu() - self.own) * os.sysconf("SC_CLK_TCK")
        return max(0.0, busy - self.busy - own), total - self.total

    def share(self) -> float:
        others, total = self.ticks()
        return others / total if total else 0.0


def wait_quiet(limit: float, threshold: float = 0.1, window: float = 0.25) -> bool:
    """Wait (up to `limit` seconds) for a `window` in which other processes use under
    `threshold` of the CPU. True when it had to wait."""
    deadline, waited = time.monotonic() + limit, False
    while time.monotonic() < deadline:
        others = OthersCpu()
        time.sleep(window)
        if others.share() < threshold:
            break
        waited = True
    return waited


def alternate(row: Row, ours: Callable[[], float], base: Callable[[], float],
              settings: Settings, rounds: int | None = None, warm_up: bool = True,
              floor: Callable[[], float] | None = None) -> Row:
    """Fill row with alternating measurements, ours, baseline, ours, baseline..., for
    `rounds` (default settings.rounds) rounds, noting how busy other processes kept the
    machine meanwhile. warm_up=False: the caller has warmed both sides up already. floor,
    when given, is measured third in every round, into row.floor."""
    if warm_up:
        ours(), base()  # warm-up: caches, lazy imports, first-touch page faults
        if floor is not None:
            floor()
    others, total = 0.0, 0
    for i in range(rounds or settings.rounds):
        if settings.quiet_wait and wait_quiet(settings.quiet_wait):
            ours(), base()  # warm up again after the machine was busy or idle a while
        progress(f"goal {row.goal}: {row.what}: round {i + 1}/{rounds or settings.rounds}")
        window = OthersCpu()
        settle()
        row.ours.append(ours())
        settle()
        row.base.append(base())
        if floor is not None:
            settle()
            row.floor.append(floor())
        o, t = window.ticks()
        others, total = others + o, total + t
    row.others_cpu = others / total if total else None
    return row


class ChildFailed(RuntimeError):
    pass


def run_child(argv, cwd: str | None = None, env: dict | None = None) -> SimpleNamespace:
    """Run argv to completion with no input, output discarded; its own resource usage
    (ru_utime, ru_stime: CPU of every thread; ru_maxrss: peak RSS in KiB), as os.wait4
    reports it in spawn.py, a small launcher, so that our RSS does not leak into it.
    env: the child's environment (default: this process's)."""
    with tempfile.TemporaryFile() as err:
        done = subprocess.run([sys.executable, "-I", "-S", SPAWN, *map(str, argv)],
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=err,
                              cwd=cwd, env=env, check=False)
        report = json.loads(done.stdout) if done.returncode == 0 else {"exitcode": "?"}
        if report["exitcode"] != 0:
            err.seek(0)
            message = err.read().decode(errors="replace").strip()[-2000:]
            raise ChildFailed(f"{' '.join(map(str, argv))} exited {report['exitcode']}:\n"
                              + message)
    return SimpleNamespace(**report)


def child_cpu_ms(argv, cwd: str | None = None, env: dict | None = None) -> float:
    usage = run_child(argv, cwd, env)
    return (usage.ru_utime + usage.ru_stime) * 1e3


def child_output(argv, cwd: str | None = None, env: dict | None = None) -> str:
    """Standard output of a successful run (for checking what a timed command prints)."""
    done = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          cwd=cwd, env=env)
    if done.returncode != 0:
        raise ChildFailed(f"{' '.join(map(str, argv))} exited {done.returncode}:\n"
                          + done.stderr.strip()[-2000:])
    return done.stdout


def wall_ms(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return (time.perf_counter() - start) * 1e3
