"""What the tests share: where things are, the classic exercise, defined once, a way to
run the command on a pseudo-terminal, and the comparison of printed output with what a page
shows."""

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
GOLDEN = Path(__file__).resolve().parent / "golden"
CLASSIC = PROBLEMS / "classic.yaml"  # the classic 3-3-3-3 exercise (sigmoid, softmax, CE)


def on_a_terminal(stream, *args, env=None):
    """Run backprop with `stream` ("stdout" or "stderr") on a pseudo-terminal: (result, what
    the terminal received); the other stream is captured in result."""
    master, slave = pty.openpty()
    other = "stderr" if stream == "stdout" else "stdout"
    try:
        result = subprocess.run([sys.executable, "-m", "backprop_cli", *args], timeout=60,
                                **{stream: slave, other: subprocess.PIPE},
                                env=dict(os.environ, NO_COLOR="1", COLUMNS="100", **(env or {})))
        os.close(slave)
        chunks = []
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the other side is closed and drained
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
    return result, b"".join(chunks).decode(errors="replace")


# A number standing alone, not a digit of a name (W3, a1.0); a full stop after it is not its.
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)")
REL = 1e-14  # a few dozen ulps: what another BLAS kernel's order of summation can change


def as_shown(printed: str, expected: str, rel: float = REL) -> str:
    """`printed` with each number spelt as `expected` spells it where they agree within
    `rel`, matched in order (the last bits of a matrix product depend on the BLAS kernel).
    Compare the result with `expected` exactly: what still differs is text or a wrong
    number."""
    want = [(m.group(), float(m.group())) for m in NUMBER.finditer(expected)]
    start = 0

    def spell(m):
        nonlocal start
        value = float(m.group())
        for k in range(start, len(want)):  # the next one, or a later one after an ellipsis
            if abs(value - want[k][1]) <= rel * max(abs(value), abs(want[k][1])):
                start = k + 1
                return want[k][0]
        return m.group()

    return NUMBER.sub(spell, printed)


def same_output(printed: str, expected: str, rel: float = REL) -> bool:
    """Printed text is what a page shows: numbers within `rel`, everything else exactly."""
    return as_shown(printed, expected, rel) == expected


HEAVY = {"rich", "matplotlib", "torch"}  # what the fast paths must not import


def modules_after(code: str) -> set:
    """The top-level modules a fresh Python has loaded after running `code`."""
    import json

    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json\n"
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, cwd=ROOT, check=True).stdout
    return {m.split(".")[0] for m in json.loads(out.splitlines()[-1])}


def assert_markdown_well_formed(text):
    """Fences balance, inline maths is paired and free of what GitHub's Markdown would eat."""
    inside = False
    for line in text.splitlines():
        if line.startswith("```"):
            assert line in ("```math", "```") and (line == "```") == inside, line
            inside = not inside
        elif not inside:
            dollars = re.findall(r"(?<!\\)\$", line)
            assert len(dollars) % 2 == 0, line
            for maths in re.findall(r"(?<!\\)\$(.+?)(?<!\\)\$", line):
                # Markdown's backslash escapes (\\, \{, \, ...) could eat the backslash
                assert not re.search(r"\\[!-/:-@\[-`{-~]", maths), maths
    assert not inside


def compile_latex(tmp_path, text, name="worked") -> str:
    """pdflatex in a temporary folder: exit 0 and a PDF, or the log's error; returns the log."""
    (tmp_path / f"{name}.tex").write_text(text, encoding="utf-8")
    result = subprocess.run(
        ["pdflatex", "-interaction=nonstopmode", "-halt-on-error", f"{name}.tex"],
        cwd=tmp_path, capture_output=True, timeout=120)
    log = (tmp_path / f"{name}.log").read_text(encoding="latin-1")
    errors = "\n".join(line for line in log.splitlines() if line.startswith("!"))
    assert result.returncode == 0, errors or log[-2000:]
    assert (tmp_path / f"{name}.pdf").stat().st_size > 1000
    return log


def one_step_is_solves_update(inputs):
    """engine.train's first step is engine.solve's update, to the last bit: the losses,
    every parameter and batch norm's running statistics. Returns the step's Training."""
    import numpy as np

    from backprop_cli import engine

    sol = engine.solve(inputs)
    one = engine.train(inputs, 1)
    assert one.losses == (sol.forward.loss, sol.update.loss)
    for name, value in sol.update.params.items():
        np.testing.assert_array_equal(one.params[name], value)
    for name, value in sol.update.running.items():
        np.testing.assert_array_equal(one.running[name], value)
    return one


def installed_or_skip(name: str, install: str):
    """The module `name`, or the calling test (or module) skipped when it is not installed;
    under CI (which installs everything the tests use) a missing one fails instead."""
    import importlib
    import os

    import pytest

    try:
        return importlib.import_module(name)
    except ImportError:  # pragma: no cover - CI installs it
        if os.environ.get("CI"):
            raise
        pytest.skip(f"{name} is not installed ({install})", allow_module_level=True)


def torch_or_skip():
    """(torch, torch.nn), or the calling test module skipped when torch is not installed."""
    torch = installed_or_skip("torch", "CI installs it: pip install torch==2.13.0")
    return torch, torch.nn


def rich_or_skip() -> None:
    """Tables need rich, a dependency: an environment without it (python3 outside the
    project's virtualenv) skips what prints them instead of failing on the import."""
    installed_or_skip("rich", "a dependency of the project: pip install -e .")


def assert_diagnosed(doc: dict, sheet, moved: set, slip: str) -> None:
    """grade's JSON document of a sheet worked with `slip`: every path the slip moved is
    wrong or carried and names the slip, every other one is correct; one point per
    quantity, shared by its entries (a wrong one keeps less than the whole point)."""
    assert set(doc["answers"]) == set(sheet)
    for path, answer in doc["answers"].items():
        if path in moved:
            assert answer["verdict"] in ("wrong", "carried"), (path, answer)
            assert slip in answer["slips"], (path, answer)
        else:
            assert answer["verdict"] == "correct", (path, answer)
    for answer in doc["answers"].values():
        assert answer["max_points"] == 1
        assert (answer["points"] == 1) == (answer["verdict"] != "wrong"), answer
