"""Goal 2: the engine's cost per training step against PyTorch eager.

A step is forward + backward + SGD update. Each side runs a block of n steps from the same
initial parameters and timestamps every step; a block's sample is the median step after
the first (the steady state, robust to a neighbour's burst on a shared machine), and
the row compares the medians of those samples over alternating blocks. Ours runs the loop
`backprop step` runs, backprop_cli.engine.train (its progress callback marks each step), on
a Problem from backprop_cli.problem.from_document; torch runs torch_net.train's loop in the
same process with the same thread count.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import replace

import floor
import netgen
from measure import Row, Settings, alternate, progress

from backprop_cli import engine, problem

# network, the goal's ratio, steps per block, the same for --quick
CASES = (
    (netgen.CLASSIC, 0.3, 600, 200),
    (netgen.MEDIUM, 0.8, 80, 20),
    (netgen.LARGE, 1.1, 16, 6),
    (netgen.KINDS, 1.0, 80, 20),
    (netgen.LENET, 1.5, 40, 12),
    (netgen.RNN, 1.0, 100, 30),
    (netgen.LSTM, 1.0, 40, 12),
)


class StepClock:
    """Timestamps: call it once per finished step."""

    def __init__(self):
        self.marks = [time.perf_counter()]

    def __call__(self, *_):
        self.marks.append(time.perf_counter())

    def steps(self) -> list[float]:
        return [b - a for a, b in zip(self.marks, self.marks[1:])]


def step_loop():
    """(train function, its name): the training loop behind `backprop step`, the only one."""
    return engine.train, "backprop_cli.engine.train"


def ours_runner(doc: dict):
    """A function n -> (per-step seconds, losses) of our loop from the initial state."""
    prob = problem.from_document(doc, "<benchmark>")
    train, name = step_loop()

    def run(n: int):
        params = {k: v.copy() for k, v in prob.params.items()}  # a loop may work in place
        clock = StepClock()
        result = train(replace(prob.inputs, params=params, state=dict(prob.state)), n, clock)
        if len(clock.marks) != n + 1:
            raise RuntimeError(f"{name} no longer calls progress once per step: "
                               "benchmarks/goal2_engine.py needs another way to time a step")
        return clock.steps(), result.losses

    return run


def torch_runner(doc: dict, threads: int):
    import torch
    import torch_net

    torch.set_num_threads(threads)
    model, x, y, lr = torch_net.build(doc)
    initial = {k: v.clone() for k, v in model.state_dict().items()}

    def run(n: int):
        model.load_state_dict(initial)
        clock = StepClock()
        losses = torch_net.train(model, x, y, lr, n, clock)
        return clock.steps(), losses

    return run


def gemm_runner(doc: dict):
    """The step's matrix products alone (floor.py), in numpy: the floor under any numpy
    engine with this BLAS."""
    step = floor.products(doc)

    def run(n: int):
        clock = StepClock()
        for _ in range(n):
            step()
            clock()
        return clock.steps(), []

    return run


def steady_step(run, n: int, scale: float) -> float:
    """The median step of a block of n, leaving out the first (buffers, caches)."""
    steps, _ = run(n)
    return statistics.median(steps[1:]) * scale


def _same_losses(ours, theirs, label: str) -> None:
    """Both sides must compute the same thing: the first losses agree to float64 noise."""
    _, a = ours(3)
    _, b = theirs(3)
    for u, v in zip(a, b):
        if not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12):
            raise RuntimeError(f"{label}: losses differ from torch's: {a[:3]} vs {b[:3]}")


def network_row(net, target, n: int, settings: Settings) -> Row:
    unit, scale = ("us", 1e6) if net is netgen.CLASSIC else ("ms", 1e3)
    doc = netgen.document(net)
    ours = ours_runner(doc)
    row = Row("2", f"step (fwd+bwd+SGD): {net.label}", "torch eager float64 + optim.SGD",
              unit, target)
    if not settings.torch:
        row.skipped = "torch not installed"
        for i in range(settings.rounds):
            progress(f"goal 2: {row.what}: round {i + 1}/{settings.rounds} (ours only)")
            row.ours.append(steady_step(ours, n, scale))
        return row
    theirs, gemms = torch_runner(doc, settings.threads), gemm_runner(doc)
    _same_losses(ours, theirs, net.label)
    return alternate(row, lambda: steady_step(ours, n, scale),
                     lambda: steady_step(theirs, n, scale), settings,
                     floor=lambda: steady_step(gemms, n, scale))


def run(settings: Settings) -> list[Row]:
    rows = []
    for net, target, steps, quick_steps in CASES:
        n = quick_steps if settings.quick else steps
        try:
            rows.append(network_row(net, target, n, settings))
        except (RuntimeError, ValueError) as e:  # a package that cannot read a network's
            # problem (a ProblemError is a ValueError) keeps the other networks' rows
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            progress(f"goal 2: {net.label} failed: {e}")
            rows.append(Row("2", f"step (fwd+bwd+SGD): {net.label}",
                            "torch eager float64 + optim.SGD", "", target, error=first[:80]))
    return rows
