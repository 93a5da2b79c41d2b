"""Grading a class at scale: `backprop grade` of a class CSV (10,000 students x 100 paths by
default) to CSV and to JSON, each a child process; wall time and peak RSS against the goals
(CSV < 5 s, JSON < 10 s, peak RSS < 300 MB).

    python benchmarks/grade_scale.py                    # 10,000 students, both formats
    python benchmarks/grade_scale.py --students 1000 --formats csv --rounds 3

The class is built from `solve --format json` of the problem (problems/classic.yaml: its
first 99 leaf paths and update.loss), with seeded random answers: most right to 4
decimals, some rounded to 2 or written in full, some wrong (scaled, or the sign flipped),
some blank. This process imports no numpy (stdlib only), so each child's peak RSS
(os.wait4's rusage of that child alone) is its own, not inherited from a large parent.
Output goes to a file in a scratch folder. Wall time is what the goals are stated in; CPU
time (user + system) is printed beside it, since on a shared machine the wall time grows
with the load. Nothing here asserts: it prints a table.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GOALS = {"csv": (5.0, 300.0), "json": (10.0, 300.0)}  # seconds, MB
SKIPPED = ("title", "rounded", "update.optimizer", "parameters", "trainable")


def command() -> list[str]:
    """The installed console script beside this Python, else `python -m backprop_cli`."""
    script = os.path.join(os.path.dirname(sys.executable), "backprop")
    return [script] if os.path.exists(script) else [sys.executable, "-m", "backprop_cli"]


def leaves(value, path: str = ""):
    """(path, number) of every number of solve's document, as --get names them."""
    if path in SKIPPED:
        return
    if isinstance(value, dict):
        for k, v in value.items():
            yield from leaves(v, f"{path}.{k}" if path else k)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from leaves(v, f"{path}.{i}")
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        yield path, float(value)


def answer(rng: random.Random, exact: float) -> str:
    """One cell as a person might write it."""
    u = rng.random()
    if u < 0.60:
        return f"{exact:.4f}"
    if u < 0.72:
        return f"{exact:.2f}"  # rounded coarser
    if u < 0.78:
        return repr(exact)  # in full
    if u < 0.86:
        return f"{exact * rng.choice((0.5, 2.0, 1.1, 0.9)):.4f}"  # wrong
    if u < 0.92:
        return f"{-exact:.4f}"  # the sign flipped
    if u < 0.97:
        return f"{exact + rng.uniform(-1, 1):.3f}"  # arithmetic
    return ""  # blank


def build_class(problem: str, students: int, columns: int, seed: int, path: str) -> int:
    """Write the class CSV to `path`; returns the number of path columns."""
    out = subprocess.run([*command(), "solve", problem, "--format", "json"], check=True,
                         capture_output=True, text=True)
    found = list(leaves(json.loads(out.stdout)))
    last = [p for p in found if p[0] == "update.loss"]
    chosen = [p for p in found if p[0] != "update.loss"][:columns - len(last)] + last
    rng = random.Random(seed)
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(["student"] + [p for p, _ in chosen])
        for s in range(students):
            writer.writerow([f"student{s:05d}"] + [answer(rng, v) for _, v in chosen])
    return len(chosen)


def run(argv: list[str], out_path: str) -> tuple[float, float, float]:
    """(wall seconds, CPU seconds, peak RSS in MB) of one child writing to out_path."""
    with open(out_path, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        err = child.stderr.read().decode()
        child.stderr.close()
    if child.returncode not in (0, 1):
        sys.exit(f"{' '.join(argv)} exited {child.returncode}: {err.strip()[:300]}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024 / 1e6  # KiB -> MB


def main(args=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--problem", default=os.path.join(ROOT, "problems", "classic.yaml"))
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--columns", type=int, default=100)
    parser.add_argument("--formats", default="csv,json")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument("--keep", metavar="DIR", help="build the class CSV here and keep it")
    opts = parser.parse_args(args)
    scratch = tempfile.mkdtemp(prefix="grade-scale-")
    try:
        folder = opts.keep or scratch
        class_csv = os.path.join(folder, "class.csv")
        n = build_class(opts.problem, opts.students, opts.columns, opts.seed, class_csv)
        size = os.path.getsize(class_csv) / 1e6
        print(f"class: {opts.students} students x {n} paths of {opts.problem} "
              f"({size:.1f} MB CSV, seed {opts.seed}); {' '.join(command())}")
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (wall time "
              "grows with it; CPU time much less)")
        print(f"{'format':<7}{'round':>6}{'wall s':>9}{'cpu s':>8}{'goal s':>8}{'ratio':>7}"
              f"{'peak MB':>9}{'goal MB':>9}{'ratio':>7}{'output MB':>11}")
        for fmt in opts.formats.split(","):
            for r in range(opts.rounds):
                out_path = os.path.join(scratch, f"out.{fmt}")
                wall, cpu, peak = run([*command(), "grade", opts.problem, class_csv,
                                       "--format", fmt], out_path)
                goal_s, goal_mb = GOALS.get(fmt, (float("nan"), 300.0))
                print(f"{fmt:<7}{r + 1:>6}{wall:>9.2f}{cpu:>8.2f}{goal_s:>8.0f}"
                      f"{wall / goal_s:>7.2f}"
                      f"{peak:>9.0f}{goal_mb:>9.0f}{peak / goal_mb:>7.2f}"
                      f"{os.path.getsize(out_path) / 1e6:>11.1f}")
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        print(f"children's CPU: {children.ru_utime + children.ru_stime:.1f} s")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
