"""The same results on every CPU: the documentation's and the command line's examples rerun
under other BLAS kernels.

OpenBLAS chooses its matrix kernels for the CPU it runs on, and the last bits of a matrix
product depend on the kernel (its order of summation, fused multiply-adds): the classic
exercise's post-update loss is 0.0725333007370964 under one kernel, 0.0725333007370962 under
another. So the tests compare printed floats as numbers (helpers.same_output: rel 1e-14, the
rest of the text exactly), and here they must pass under kernels other than this machine's:
OPENBLAS_CORETYPE forces one, in a fresh `python -m pytest` (it is read when OpenBLAS loads).
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT

# AVX2 + FMA, AVX-512, SSE4.2 (no FMA): three different sets of last bits on x86-64.
CORE_TYPES = ["Haswell", "SkylakeX", "Nehalem"]
# The tests that check printed numbers: every documentation page's console and Python
# examples, the README's table, the command line's --get, CSV, JSON and tables, the Python
# API's records and grade's JSON.
TESTS = ["tests/test_docs.py", "tests/test_api_docs.py", "tests/test_cli.py",
         "tests/test_api.py", "tests/test_grade_cli.py"]
# A CPU without the kernel's instructions (SkylakeX's AVX-512 on an AVX2 machine) cannot
# run it: which products then die of SIGILL depends on their shapes (a 1x3 by 3x2 product
# does, 1x3 by 3x3 does not), so no subset of the tests is safe and that kernel is skipped;
# the other two still differ from this machine's and from each other.
PROBE = "import numpy as np; np.ones((2, 2)) @ np.ones((2, 2))"


def _env(core: str) -> dict:
    env = dict(os.environ, OPENBLAS_CORETYPE=core, NO_COLOR="1", COLUMNS="100")
    env.pop("FORCE_COLOR", None)
    env.pop("OPENBLAS_VERBOSE", None)  # it would print to every command's stderr
    return env


@dataclass
class Run:
    """One kernel's `python -m pytest`, its output going to a file (no pipe to fill up)."""
    process: subprocess.Popen
    log: Path
    tests: list


def _start(core: str, tmp: Path) -> Run | str:
    """The test run started under `core`, or why it cannot be (a reason to skip)."""
    probe = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                           env=dict(_env(core), OPENBLAS_VERBOSE="2"), timeout=120)
    if f"Core: {core}" not in probe.stderr:  # not an OpenBLAS that chooses at run time
        return f"numpy's BLAS does not load OpenBLAS's {core} kernel: {probe.stderr.strip()!r}"
    assert probe.returncode in (0, -signal.SIGILL), probe.stderr
    if probe.returncode:
        return f"this CPU lacks the instructions of OpenBLAS's {core} kernel"
    log = tmp / f"{core}.log"
    with open(log, "w", encoding="utf-8") as out:  # the child keeps its own descriptor
        process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider",
             "--basetemp", str(tmp / core), *TESTS],
            cwd=ROOT, env=_env(core), stdout=out, stderr=subprocess.STDOUT)
    return Run(process, log, TESTS)


@pytest.fixture(scope="module")
def runs(request, tmp_path_factory):
    """The selected kernels' runs, started at once: each is one process, so two cores
    halve the wait."""
    tmp = tmp_path_factory.mktemp("kernels")
    cores = {item.callspec.params["core"] for item in request.session.items
             if item.path == request.path and hasattr(item, "callspec")}
    started = {core: _start(core, tmp) for core in CORE_TYPES if core in cores}
    yield started
    for run in started.values():
        if isinstance(run, Run):
            if run.process.poll() is None:  # an interrupted session
                run.process.kill()
            run.process.wait()


@pytest.mark.parametrize("core", CORE_TYPES)
def test_the_examples_print_the_same_numbers_under_every_kernel(runs, core):
    run = runs[core]
    if isinstance(run, str):
        pytest.skip(run)
    status = run.process.wait(timeout=900)
    output = run.log.read_text(encoding="utf-8")
    assert status == 0, (
        f"OPENBLAS_CORETYPE={core} python -m pytest {' '.join(run.tests)}: exit {status}\n"
        + output[-6000:])
    passed = re.search(r"(\d+) passed", output)
    assert passed and int(passed.group(1)) >= 50, output[-2000:]  # the tests did run
