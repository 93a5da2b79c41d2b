"""Goal 2 the issue's way (`run.py --threads 1`): the engine's cost per training step as
CPU time of whole processes, one BLAS / OpenMP thread on each side.

    ours   T(backprop step P --steps N -q -o OUT)        (the installed console script)
    torch  T(python torch_steps.py P.json N)             (eager float64, torch.optim.SGD)
    floor  T(python floor.py P.json N)                   (the step's matrix products alone)

T is user + sys CPU of the child process (all its threads), from os.wait4 in spawn.py.
Per step = (T(N) - T(1)) / (N - 1): start-up, loading the problem and writing the result
cost the same for N steps and for 1, so they cancel, and what is left is N - 1 steps of
forward + backward + update, Python's share included. Each round measures ours (N, then 1)
then torch (N, then 1), then the floor (N, then 1); the row's ratio is the median of the
per-round ratios, ours/floor likewise.
"""

from __future__ import annotations

import json
import math
import os
import sys

import netgen
import yaml
from measure import (
    ChildFailed,
    Row,
    Settings,
    alternate,
    child_cpu_ms,
    child_output,
    progress,
)

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH_STEPS = os.path.join(HERE, "torch_steps.py")
FLOOR = os.path.join(HERE, "floor.py")
AGAINST = "torch eager float64 + optim.SGD, a child process"
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
# Older OpenBLAS builds need these set together; a current numpy picks its own kernel.
OPENBLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

# (network, problem file: None for a netgen file, the goal's ratio, N, N with --quick).
# A torch child spends 5-7 s of CPU before its first step (import torch, and torch.optim
# importing torch._dynamo), with up to a second of jitter on a busy machine; N gives each
# side about 10 s of steps (torch's 20000 classic steps, 8000 medium, 400 large) so that
# jitter stays a small part of the difference (and 2000 steps of the kinds' network, 800
# of LeNet-5's: torch takes about 12 ms a step; issue 22's RNN 3000 at about 3.4 ms, its
# LSTM 800 at about 13 ms).
CASES = (
    (netgen.CLASSIC, "problems/classic.yaml", 0.3, 20000, 5000),
    (netgen.MEDIUM, None, 0.8, 8000, 2000),
    (netgen.LARGE, None, 1.1, 400, 100),
    (netgen.KINDS, None, 1.0, 2000, 500),
    (netgen.LENET, None, 1.5, 800, 200),
    (netgen.RNN, None, 1.0, 3000, 750),
    (netgen.LSTM, None, 1.0, 800, 200),
)


def child_env(keep_openblas: bool) -> tuple[dict, str]:
    """The children's environment: one thread for OpenMP, OpenBLAS and MKL; without
    OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE (both, never one) unless keep_openblas. And what
    was done, in words."""
    env = dict(os.environ)
    for name in THREAD_VARIABLES:
        env[name] = "1"
    note = " ".join(f"{name}=1" for name in THREAD_VARIABLES)
    present = {name: env[name] for name in OPENBLAS_OVERRIDES if name in env}
    if present and not keep_openblas:
        for name in OPENBLAS_OVERRIDES:
            env.pop(name, None)
        note += "; unset in the children: " + " ".join(f"{k}={v}" for k, v in present.items())
    elif present:
        note += "; kept: " + " ".join(f"{k}={v}" for k, v in present.items())
    return env, note


def torch_document(path: str) -> dict:
    """A problem file as torch_net reads it: class-index targets (a one-hot y becomes its
    index), every layer with a bias."""
    with open(path, encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    y = doc["y"]
    if isinstance(y, list) and y and not isinstance(y[0], list):  # one sample, one-hot
        doc["y"] = y.index(max(y))
    elif isinstance(y, list) and y and isinstance(y[0], list):  # a batch, one-hot rows
        doc["y"] = [row.index(max(row)) for row in y]
    return doc


def problem_files(net, source: str | None, settings: Settings) -> tuple[str, str]:
    """(ours' problem file, torch's JSON of the same problem) for one network."""
    stem = net.label.split()[0].replace(" ", "_")
    torch_path = os.path.join(settings.workdir, f"torch-{stem}.json")
    if source is not None:
        ours_path = os.path.join(settings.repo, source)
        netgen.write_json(torch_document(ours_path), torch_path)
        return ours_path, torch_path
    ours_path = os.path.join(settings.workdir, f"{stem}.json")
    if not os.path.exists(ours_path):
        progress(f"writing the {net.label} problem")
        netgen.write_json(netgen.document(net), ours_path)
    return ours_path, ours_path


class Sides:
    """The two commands of one network, run N and 1 steps, each a whole child process."""

    def __init__(self, net, source, n: int, settings: Settings, env: dict, torch_python):
        self.n, self.settings, self.env = n, settings, env
        self.ours_path, self.torch_path = problem_files(net, source, settings)
        extension = os.path.splitext(self.ours_path)[1]
        self.out = os.path.join(settings.workdir, f"out{extension}")
        self.torch_python = torch_python

    def ours(self, steps: int) -> list[str]:
        return [*self.settings.launcher, "step", self.ours_path, "--steps", str(steps), "-q",
                "-o", self.out]

    def theirs(self, steps: int) -> list[str]:
        return [self.torch_python, TORCH_STEPS, self.torch_path, str(steps)]

    def floor(self, steps: int) -> list[str]:
        """numpy's products run by ours' Python: the same numpy, the same BLAS."""
        return [sys.executable, FLOOR, self.torch_path, str(steps)]

    def _per_step(self, command, scale: float) -> float:
        cwd = self.settings.workdir
        many = child_cpu_ms(command(self.n), cwd, self.env)
        one = child_cpu_ms(command(1), cwd, self.env)
        return (many - one) / (self.n - 1) * scale

    def ours_per_step(self, scale: float) -> float:
        return self._per_step(self.ours, scale)

    def torch_per_step(self, scale: float) -> float:
        return self._per_step(self.theirs, scale)

    def floor_per_step(self, scale: float) -> float:
        return self._per_step(self.floor, scale)

    def check_same_losses(self) -> None:
        """Both commands must compute the same thing: the first losses agree."""
        cwd, steps = self.settings.workdir, 3
        ours = [*self.settings.launcher, "step", self.ours_path, "--steps", str(steps), "-q",
                "--format", "json"]
        a = json.loads(child_output(ours, cwd, self.env))["losses"]
        b = json.loads(child_output(self.theirs(steps), cwd, self.env))["losses"]
        if len(a) != len(b) or not all(math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)
                                       for u, v in zip(a, b)):
            raise RuntimeError(f"losses differ from torch's: {a} vs {b}")


def network_row(net, source, target, n, settings: Settings, env, torch_python) -> Row:
    # microseconds for the small network, milliseconds (per step) for the others
    unit, scale = ("us", 1e3) if net is netgen.CLASSIC else ("ms", 1.0)
    what = f"{net.label}{', ' + os.path.basename(source) if source else ''} (N = {n})"
    row = Row("2", what, AGAINST, unit, target, paired=True)
    sides = Sides(net, source, n, settings, env, torch_python)
    if not settings.torch:
        row.skipped = "torch not importable (see --torch-python)"
        child_output(sides.ours(1), settings.workdir, env)  # warm-up
        for i in range(settings.rounds):
            progress(f"goal 2 (--threads 1): {what}: round {i + 1}/{settings.rounds} (ours only)")
            row.ours.append(sides.ours_per_step(scale))
            row.floor.append(sides.floor_per_step(scale))
        return row
    progress(f"goal 2 (--threads 1): {what}: checking that both sides agree (and warm-up)")
    sides.check_same_losses()  # also the warm-up: bytecode, page cache
    child_output(sides.floor(1), settings.workdir, env)  # warm-up
    return alternate(row, lambda: sides.ours_per_step(scale),
                     lambda: sides.torch_per_step(scale), settings, warm_up=False,
                     floor=lambda: sides.floor_per_step(scale))


def run(settings: Settings, env: dict, torch_python: str) -> list[Row]:
    rows = []
    for net, source, target, n, quick_n in CASES:
        try:
            rows.append(network_row(net, source, target, quick_n if settings.quick else n,
                                    settings, env, torch_python))
        except (ChildFailed, RuntimeError) as e:  # one network's failure keeps the others
            last = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
            progress(f"goal 2 (--threads 1): {net.label} failed: {e}")
            # "Error: FILE: place: message" -> "place: message"
            rows.append(Row("2", net.label, AGAINST, "", target,
                            error=last.split(": ", 2)[-1][:80]))
    return rows


if __name__ == "__main__":
    sys.exit("run it as: python benchmarks/run.py --threads 1")
