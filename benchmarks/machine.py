"""What the numbers were measured on: CPU, cores, numpy and its BLAS, torch, settings."""

from __future__ import annotations

import ctypes
import glob
import os
import platform
import subprocess
import sys

import numpy as np

ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "GOTO", "KMP_", "BACKPROP_", "PYTHON")


def cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cores() -> str:
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else "?"
    return f"{os.cpu_count()} logical, {usable} usable by this process"


HERE = os.path.dirname(os.path.abspath(__file__))


def numpy_blas() -> str:
    """The BLAS numpy was built with, and the loaded library's own report of its kernel and
    threads (threadpoolctl's when it is installed)."""
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        built = f"{blas.get('name')} {blas.get('version')}"
    except Exception:  # the config format is not a stable API
        built = "unknown"
    runtime = _threadpoolctl_runtime() or _openblas_runtime()
    return f"{built}{'; ' + runtime if runtime else ''}"


def _threadpoolctl_runtime() -> str:
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return ""
    found = []
    for info in threadpool_info():
        if info.get("user_api") == "blas":
            found.append(f"{info.get('internal_api')} {info.get('version')} kernel "
                         f"{info.get('architecture')}, {info.get('num_threads')} threads "
                         "(threadpoolctl)")
    return "; ".join(found)


def _openblas_runtime() -> str:
    """Core type and thread count from the OpenBLAS that numpy loaded (threadpoolctl's
    approach, without needing threadpoolctl)."""
    folder = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(folder, "*openblas*.so*")):
        lib = ctypes.CDLL(path)
        for prefix, suffix in (("scipy_openblas", "64_"), ("scipy_openblas", ""), ("openblas", "")):
            core = getattr(lib, f"{prefix}_get_corename{suffix}", None)
            threads = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
            if core is not None and threads is not None:
                core.restype = ctypes.c_char_p
                return f"OpenBLAS core {core().decode()}, {threads()} threads"
    return ""


def child_numpy_blas(python: str, env: dict) -> str:
    """numpy_blas() as a child process with `env` sees it (the thread and OPENBLAS_*
    variables choose OpenBLAS's kernel and threads when it loads)."""
    code = f"import sys; sys.path.insert(0, {HERE!r}); import machine; print(machine.numpy_blas())"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env,
                          check=False)
    if done.returncode != 0:
        return "unknown (" + (done.stderr.strip().splitlines() or ["?"])[-1] + ")"
    return f"numpy {done.stdout.strip()}"


TORCH_PROBE = """
import os, re, torch
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
blas = re.search(r"BLAS_INFO=(\\w+)", torch.__config__.show())
cpu = getattr(getattr(torch.backends, "cpu", None), "get_cpu_capability", lambda: "?")()
print(f"{torch.__version__}, BLAS {blas.group(1) if blas else '?'}, "
      f"{torch.get_num_threads()} thread(s), CPU capability {cpu}")
"""


def child_torch(python: str, env: dict) -> tuple[bool, str]:
    """(torch importable by `python`, a description or why not), as a child with `env`."""
    try:
        done = subprocess.run([python, "-c", TORCH_PROBE], capture_output=True, text=True,
                              env=env, check=False)
    except OSError as e:
        return False, f"{python} cannot run: {e.strerror}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["?"])[-1]
        return False, f"not importable by {python} ({last})"
    return True, done.stdout.strip()


def torch_info(available: bool) -> str:
    if not available:
        return "not installed (torch comparisons skipped)"
    import torch

    blas = "MKL" if torch.backends.mkl.is_available() else "its own BLAS"
    return f"{torch.__version__}, {blas}, {torch.get_num_threads()} threads"


def yaml_info() -> str:
    import yaml

    return f"PyYAML {yaml.__version__}, libyaml {'yes' if yaml.__with_libyaml__ else 'NO'}"


def load_note() -> str:
    """How busy the machine is: other processes' work makes every number noisy."""
    one, five, _ = os.getloadavg()
    note = f"load average {one:.2f} (1 min), {five:.2f} (5 min)"
    try:
        with open("/proc/pressure/cpu", encoding="utf-8") as f:
            some = f.readline().split()[1]  # "avg10=..."
        note += f", CPU pressure {some.split('=')[1]}% (10 s)"
    except (OSError, IndexError):
        pass
    return note


def machine_line() -> str:
    return f"{cpu_model()}, {cores()}, {platform.system()} {platform.release()}"


def describe(settings) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k.startswith(ENV_PREFIXES)}
    return [
        f"machine:  {machine_line()}",
        f"python:   {sys.version.split()[0]} ({sys.executable})",
        f"numpy:    {np.__version__}, BLAS {numpy_blas()}",
        f"torch:    {torch_info(settings.torch)}",
        f"yaml:     {yaml_info()}",
        f"backprop: {backprop_version()} via {settings.launcher_note}",
        f"load:     {load_note()} before the run",
        "env:      " + (" ".join(f"{k}={v}" for k, v in sorted(env.items())) or "(none)"),
        f"rounds:   {settings.rounds} alternating (ours, baseline, ...) per row, medians"
        + ("; --quick: fewer steps and smaller files, not for the record" if settings.quick
           else ""),
    ]


def backprop_version() -> str:
    import backprop_cli

    return f"{backprop_cli.__version__} from {os.path.dirname(backprop_cli.__file__)}"
