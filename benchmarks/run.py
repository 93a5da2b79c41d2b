"""Measure issue 7's performance goals against the installed backprop, side by side.

    python benchmarks/run.py [--quick] [--rounds N] [--goals 1,2,3,4] [--markdown]
    python benchmarks/run.py --threads 1 [--torch-python PYTHON] [--quick] [--markdown]

Every row alternates ours and its baseline (ours, baseline, ours, baseline, ...) for
--rounds rounds after one warm-up of each. Baselines are measured in the same run, never
written down. The default mode measures every goal (the engine in-process, wall clock,
--threads BLAS threads, torch in this Python); --threads 1 measures the engine as the
issue specifies it: CPU time of whole `backprop step` processes against a PyTorch script,
one BLAS / OpenMP thread each. Torch rows say they skipped when torch is not importable.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOALS = ("1", "2", "3", "4")
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="3 rounds, fewer steps and a smaller big problem (a smoke run, "
                             "not for the record)")
    parser.add_argument("--rounds", type=int,
                        help="alternating rounds per row (default 7; 5 with --threads 1; 3 "
                             "with --quick)")
    parser.add_argument("--threads", type=int, default=2,
                        help="1: the engine per step as whole-process CPU, one BLAS / OpenMP "
                             "/ torch thread on each side (issue 7's way); N >= 2: every goal "
                             "with N such threads for both sides (default 2)")
    parser.add_argument("--goals", default=None,
                        help="which of issue 7's goals to measure (default 1,2,3,4; with "
                             "--threads 1, goal 2 only)")
    parser.add_argument("--torch-python", metavar="PYTHON", default=sys.executable,
                        help="with --threads 1: the Python that runs the PyTorch side "
                             "(default: this one); ours is the `backprop` beside this Python")
    parser.add_argument("--keep-openblas-env", action="store_true",
                        help="with --threads 1: leave OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE "
                             "set in the children (by default both are unset there)")
    parser.add_argument("--launcher", choices=("script", "module"), default="script",
                        help="start `backprop` as the console script beside this Python "
                             "(default) or as python -m backprop_cli")
    parser.add_argument("--quiet-wait", type=float, default=0.0, metavar="SECONDS",
                        help="before each round, wait up to SECONDS for other processes to "
                             "leave the CPU idle (default 0: don't wait)")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--json", metavar="FILE", help="also write every sample to FILE")
    args = parser.parse_args(argv)
    if args.threads < 1:
        parser.error("--threads: expected at least 1")
    if args.threads == 1 and args.goals not in (None, "2"):
        parser.error("--goals: --threads 1 measures goal 2 (the engine) only")
    args.goals = [g.strip() for g in (args.goals or ",".join(GOALS)).split(",") if g.strip()]
    if set(args.goals) - set(GOALS):
        parser.error(f"--goals: expected some of {','.join(GOALS)}")
    if args.rounds is None:
        args.rounds = 3 if args.quick else 5 if args.threads == 1 else 7
    if args.rounds < 1:
        parser.error("--rounds: expected at least 1")
    return args


def set_threads(threads: int) -> None:
    """Before numpy (OpenBLAS reads these once, when it loads) or torch is imported."""
    for name in THREAD_VARIABLES:
        os.environ[name] = str(threads)


def launcher(kind: str) -> tuple[tuple[str, ...], str]:
    """The argv prefix that starts the installed `backprop`, and how to say so."""
    script = os.path.join(os.path.dirname(sys.executable), "backprop")
    if kind == "script" and os.access(script, os.X_OK):
        return (script,), f"console script {script}"
    return (sys.executable, "-m", "backprop_cli"), f"{sys.executable} -m backprop_cli"


def cache_bytecode(workdir: str) -> None:
    """Children compile each module once, into the scratch folder, and reuse it after the
    warm-up run, as an installed package's .pyc files are reused. (A machine that sets
    PYTHONDONTWRITEBYTECODE would otherwise recompile the editable package at every start.)
    """
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = os.path.join(workdir, "pycache")


def check_installed() -> None:
    if importlib.util.find_spec("backprop_cli") is None:
        sys.exit(f"backprop_cli is not installed in {sys.executable}: "
                 f"pip install -e {REPO} first")


def measure_goals(goals, settings) -> list:
    import goal1_startup
    import goal2_engine
    import goal3_files
    import goal4_memory
    from measure import ChildFailed, Row

    modules = {"1": goal1_startup, "2": goal2_engine, "3": goal3_files, "4": goal4_memory}
    rows = []
    for goal in goals:
        started = time.perf_counter()
        try:
            rows += modules[goal].run(settings)
            print(f"goal {goal}: {time.perf_counter() - started:.0f} s", file=sys.stderr)
        except (ChildFailed, RuntimeError, OSError, ValueError) as e:
            # one goal's failure still leaves the others' numbers
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            print(f"goal {goal} failed: {e}", file=sys.stderr)
            rows.append(Row(goal, "(could not be measured)", "", "", None, error=first[:80]))
    return rows


def cpu_mode(args, started: float) -> int:
    """--threads 1: goal 2 as whole-process CPU time, one thread on each side."""
    import goal2_cpu
    import machine
    import table
    from measure import ChildFailed, Row, Settings

    with tempfile.TemporaryDirectory(prefix="backprop-bench-") as workdir:
        cache_bytecode(workdir)
        env, env_note = goal2_cpu.child_env(args.keep_openblas_env)
        has_torch, torch_note = machine.child_torch(args.torch_python, env)
        argv0, note = launcher(args.launcher)
        settings = Settings(args.rounds, args.quick, 1, argv0, note, REPO, workdir, has_torch,
                            args.quiet_wait)
        steps = ", ".join(f"{net.label.split(',')[0]}: N = {quick if args.quick else n}"
                          for net, _, _, n, quick in goal2_cpu.CASES)
        print("\n".join([
            f"machine:  {machine.machine_line()}",
            f"python:   {sys.version.split()[0]} ({sys.executable})",
            f"backprop: {machine.backprop_version()} via {note}",
            f"BLAS:     {machine.child_numpy_blas(sys.executable, env)} (in ours' children)",
            f"torch:    {torch_note} (in its children, run by {args.torch_python})",
            f"children: {env_note}",
            "measure:  CPU (user + sys) of whole processes; per step = (T(N) - T(1)) / (N - 1)",
            f"steps:    {steps}",
            f"rounds:   {settings.rounds} alternating (ours N, 1; torch N, 1; ...) per row after "
            "a warm-up; ratio = median of the per-round ratios"
            + ("; --quick: fewer steps, not for the record" if settings.quick else ""),
            f"load:     {machine.load_note()} before the run",
        ]), flush=True)
        try:
            rows = goal2_cpu.run(settings, env, args.torch_python)
        except (ChildFailed, RuntimeError, OSError, ValueError) as e:
            print(f"goal 2 (--threads 1) failed: {e}", file=sys.stderr)
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            rows = [Row("2", "(could not be measured)", "", "", None, error=first[:80])]
    return report(rows, args, started, table.cpu_markdown if args.markdown else table.cpu_plain)


def main(argv=None) -> int:
    args = parse_args(argv)
    set_threads(args.threads)
    check_installed()
    if args.threads == 1:
        return cpu_mode(args, time.perf_counter())
    import machine
    import table
    from measure import Settings

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="backprop-bench-") as workdir:
        cache_bytecode(workdir)
        argv0, note = launcher(args.launcher)
        settings = Settings(args.rounds, args.quick, args.threads, argv0, note, REPO, workdir,
                            importlib.util.find_spec("torch") is not None, args.quiet_wait)
        print("\n".join(machine.describe(settings)), flush=True)
        if "2" in args.goals:
            import goal2_engine

            print(f"step loop: {goal2_engine.step_loop()[1]} (goal 2)", flush=True)
        rows = measure_goals(args.goals, settings)
    return report(rows, args, started, table.markdown if args.markdown else table.plain)


def report(rows, args, started: float, render) -> int:
    """The table, its notes, the time taken and the JSON file: exit 1 when a row failed."""
    import machine
    import table

    print()
    print(render(rows))
    print(table.notes(rows))
    print(f"total time: {time.perf_counter() - started:.0f} s; "
          f"{machine.load_note()} at the end (this run's own work included)")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump([asdict(r) for r in rows], f, indent=1)
    return 1 if any(r.verdict == "ERROR" for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
