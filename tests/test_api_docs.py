"""docs/api.md is true: its ```pycon examples run, in order, as doctests (from the
repository's root), and every function of the API has one. Numbers are compared as the other
pages' examples are (helpers.as_shown: within rel 1e-14, so another BLAS kernel's last bits
pass), the rest as doctest does.

The torch examples need torch: CI installs it (.ci/run), and there (CI set) a missing
torch fails this test instead of skipping it."""

import doctest
import os
import re

import pytest
from helpers import ROOT, as_shown

import backprop_cli.api as api

PAGE = ROOT / "docs" / "api.md"
PYCON = re.compile(r"^```pycon\n(.*?)^```$", re.M | re.S)


def _examples() -> list[str]:
    return PYCON.findall(PAGE.read_text(encoding="utf-8"))


class NumbersAsShown(doctest.OutputChecker):
    def check_output(self, want, got, optionflags):
        return super().check_output(want, as_shown(got, want), optionflags)


def test_every_function_has_an_example():
    code = "\n".join(_examples())
    functions = [name for name in api.__all__ if name[0].islower()]
    missing = [name for name in functions if f"bp.{name}(" not in code]
    assert not missing, missing
    for method in ("to_yaml()", "save(", "to_dict()", ".get(", ".markdown()", ".latex()",
                   ".draw(", ".h(", ".table("):
        assert method in code, method


def test_the_examples_run_as_shown(monkeypatch):
    try:
        import torch  # noqa: F401 - the bridge's examples
    except ImportError:  # pragma: no cover - CI installs torch
        if os.environ.get("CI"):
            raise
        pytest.skip("torch is not installed (CI installs it: pip install torch==2.13.0)")
    monkeypatch.chdir(ROOT)
    text = "\n".join(_examples())
    test = doctest.DocTestParser().get_doctest(text, {}, "docs/api.md", str(PAGE), 0)
    runner = doctest.DocTestRunner(NumbersAsShown(),
                                   optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    failures = []
    runner.run(test, out=failures.append)
    assert runner.failures == 0, "\n".join(failures)
    assert runner.tries >= 40
