"""step's output routing as a pure function, and usage checks that run before any work."""

import pytest
from helpers import CLASSIC

import backprop_cli.engine
from backprop_cli.cli.step import Route, route
from backprop_cli.errors import UsageError


@pytest.mark.parametrize("output, fmt, terminal, expected", [
    # neither -o nor --format: the problem to a pipe, tables to a terminal
    (None, None, False, Route("-", None, False)),
    (None, None, True, Route(None, None, True)),
    # --format alone: the report, or the tables
    (None, "json", False, Route(None, "json", False)),
    (None, "yaml", True, Route(None, "yaml", False)),
    (None, "table", False, Route(None, None, True)),
    # -o FILE: the problem there; tables only on a terminal; a report when asked
    ("p.yaml", None, False, Route("p.yaml", None, False)),
    ("p.yaml", None, True, Route("p.yaml", None, True)),
    ("p.yaml", "json", True, Route("p.yaml", "json", False)),
    ("p.yaml", "table", False, Route("p.yaml", None, True)),
    # -o -: the problem on standard output, nothing else
    ("-", None, True, Route("-", None, False)),
    ("-", None, False, Route("-", None, False)),
])
def test_route(output, fmt, terminal, expected):
    assert route(output, fmt, terminal) == expected


@pytest.mark.parametrize("fmt", ["json", "yaml", "table"])
def test_two_writers_to_stdout_are_refused(fmt):
    with pytest.raises(UsageError, match="choose one"):
        route("-", fmt, False)


@pytest.fixture
def no_work(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the work ran before the usage check")

    monkeypatch.setattr(backprop_cli.engine, "train", refuse)
    monkeypatch.setattr(backprop_cli.engine, "solve", refuse)


@pytest.mark.parametrize("args, message", [
    (["step", CLASSIC, "--steps", "20000", "-o", "-", "--format", "json"],
     "-o - and --format both write to standard output: choose one"),
    (["step", CLASSIC, "--steps", "20000", "--plot", "loss.txt", "-o", "x.yaml"],
     "loss.txt: found the extension '.txt', expected a picture name ending in .svg, .png "
     "or .pdf"),
    (["solve", CLASSIC, "--diagram", "net.png"],
     "--diagram goes with --format markdown or latex"),
    (["solve", CLASSIC, CLASSIC, "--format", "markdown", "--diagram", "net.png"],
     "--diagram draws one problem's network: give one PROBLEM"),
    (["step", CLASSIC, "--example", "classic"], "step takes one problem, found 2: give one "
                                                "PROBLEM or one --example"),
    (["draw", CLASSIC, CLASSIC, "-o", "net.svg"], "draw takes one problem, found 2: give one "
                                                  "PROBLEM or one --example"),
    (["step", CLASSIC, "--every", "5", "-o", "x.yaml"],
     "--every thins the table of losses, and no table is shown here: use it on a terminal or "
     "with --format table"),
    (["solve", CLASSIC, "--get", "loss", "--format", "csv"],
     "--get prints values, --format csv a document: choose one"),
    (["solve", CLASSIC, "--get", "loss", "--format", "latex"],
     "--get prints values, --format latex a document: choose one"),
])
def test_usage_is_checked_before_any_work(run, no_work, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    result = run(*args)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"
    assert list(tmp_path.iterdir()) == []


FROZEN_OVERFLOW = """\
x: [1.0e200]
y: [0.0]
loss: sse_half
layers:
  - {weights: [[1.0e-200]], bias: [0.0], activation: identity, frozen: [weights]}
  - {weights: [[1.0e150]], activation: identity}
optimizer: {name: sgd, lr: 1.0e-300}
"""


@pytest.mark.parametrize("command", [["solve"], ["step", "--steps", "3", "-o", "after.yaml"],
                                     ["step", "-o", "after.yaml"], ["check"]])
def test_solve_and_step_fail_alike_on_an_overflowing_frozen_gradient(run, tmp_path,
                                                                     monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(FROZEN_OVERFLOW)
    result = run(command[0], "p.yaml", *command[1:])
    assert result.exit_code == 2
    when = " in step 1" if command[0] == "step" else ""
    assert result.stderr == (f"Error: p.yaml: the gradient of W1 is not finite in float64"
                             f"{when}, expected finite values (try a smaller learning rate "
                             "or smaller weights)\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.yaml"]
