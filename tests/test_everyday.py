"""Everyday use: what a student, an instructor and a shell scripter meet first."""

import json

import pytest
from helpers import CLASSIC, on_a_terminal, same_output

import backprop_cli.engine
from backprop_cli.api import commands
from backprop_cli.cli import common


@pytest.mark.parametrize("value", ["", "abc", "-1", "nan"])
def test_a_bad_progress_delay_names_the_variable(run, monkeypatch, value):
    monkeypatch.setenv("BACKPROP_PROGRESS_AFTER", value)
    result = run("step", CLASSIC, "--steps", "2", "--format", "json")
    assert result.exit_code == 2
    assert result.stderr == (f"Error: BACKPROP_PROGRESS_AFTER={value!r}: expected a number "
                             "of seconds >= 0, like 0.5\n")


@pytest.mark.parametrize("command", ["solve", "step", "check", "draw"])
def test_no_problem_names_the_command_and_a_bundled_example(run, monkeypatch, command):
    monkeypatch.setattr(common, "stdin_is_terminal", lambda: True)
    extra = ["-o", "net.svg"] if command == "draw" else []
    result = run(command, *extra)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: no problem given: name a problem file, pipe one in "
                             f"(... | backprop {command} -), or use a bundled one (backprop "
                             f"{command} --example classic; --example list lists them)\n")


@pytest.mark.parametrize("command", ["solve", "step", "check", "draw"])
def test_every_command_with_example_lists_them(run, command):
    result = run(command, "--example", "list")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == common.example_names() and "classic" in names


def test_examples_are_called_by_their_name_not_their_install_path(run):
    table = run("solve", "--example", "classic")
    assert "File                  example classic" in table.stdout
    assert commands.EXAMPLES not in table.stdout
    worked = run("solve", "--example", "classic", "--format", "markdown")
    assert "Problem file: example classic." in worked.stdout
    assert commands.EXAMPLES not in worked.stdout


def test_several_gets_print_one_value_a_line(run):
    result = run("solve", CLASSIC, CLASSIC, "--get", "loss", "--get", "parameters")
    assert result.exit_code == 0
    assert same_output(result.stdout, "0.8563785642771483\n36\n" * 2)


def test_usage_errors_are_one_line(run):
    result = run("solve", CLASSIC, "--format", "xml")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: Invalid value for '--format': 'xml' is not one of "
                                    "'table', 'json', ")
    assert result.stderr.endswith(". (see 'backprop solve --help')\n")
    assert result.stderr.count("\n") == 1
    assert run("solve", "--bogus").stderr.count("\n") == 1
    assert run("nope").stderr == "Error: No such command 'nope'. (see 'backprop --help')\n"


def test_ctrl_c_exits_130(run, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(backprop_cli.engine, "solve", interrupted)
    result = run("solve", CLASSIC)
    assert result.exit_code == 130
    assert result.stderr.strip() == "Interrupted."  # after the newline click ends ^C with


@pytest.mark.parametrize("text, message", [
    ("loss: cross_entropy", "loss: LeakyReLU"),
])
def test_a_tab_in_the_indentation_is_named(run, tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(CLASSIC.read_text().replace("\n  - weights", "\n\t- weights", 1))
    result = run("solve", path)
    assert result.exit_code == 2
    assert result.stderr.endswith("expected valid YAML (a tab: YAML indents with spaces only)\n")


def test_check_takes_several_problems(run, tmp_path):
    result = run("check", CLASSIC, "--example", "batch_mse", "--format", "json")
    assert result.exit_code == 0
    docs = json.loads(result.stdout)
    assert [d["file"] for d in docs] == [str(CLASSIC), "example batch_mse"]
    table = run("check", CLASSIC, "--example", "in_out")
    assert table.stdout.count("Gradient check:") == 2


def test_check_exits_1_when_any_problem_disagrees(run, tmp_path):
    bad = tmp_path / "kinks.yaml"
    bad.write_text("x: [1.0]\ny: [1.0]\nloss: mse\nlayers:\n"
                   "  - {weights: [[1.0]], bias: [-1.0], activation: relu}\n")  # a = 0, x too
    result = run("check", CLASSIC, bad, "--format", "json")
    assert result.exit_code == 1
    assert [d["ok"] for d in json.loads(result.stdout)] == [True, False]


def test_a_terminal_without_o_is_told_nothing_was_saved():
    result, out = on_a_terminal("stdout", "step", str(CLASSIC), "--steps", "1000")
    assert result.returncode == 0
    assert result.stderr.decode() == ("Note: the updated problem was not saved; add -o FILE "
                                      "(or pipe the output) to keep it.\n")
    rows = [line.split()[0] for line in out.splitlines() if line.strip()[:1].isdigit()]
    assert rows[0] == "0" and rows[-1] == "1000" and len(rows) == 21  # every 50th: one screen


def test_the_textbook_example_says_which_rounding_reproduces_the_book(solve_json):
    from helpers import PROBLEMS

    path = PROBLEMS / "textbook_321.yaml"
    assert "`backprop solve --round 4`" in path.read_text()
    w15 = solve_json(path, "--round", "4")["update"]["parameters"]["W1"][1][0]
    assert round(w15, 3) == -0.306  # the published value
    assert solve_json(path, "--round", "3")["update"]["parameters"]["W1"][1][0] == -0.305


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_is_documented_and_works(shell):
    import os
    import subprocess
    import sys

    from helpers import ROOT

    readme = (ROOT / "README.md").read_text()
    assert f"_BACKPROP_COMPLETE={shell}_source backprop" in readme
    script = subprocess.run([sys.executable, "-m", "backprop_cli"], capture_output=True,
                            text=True, env={**os.environ, "_BACKPROP_COMPLETE": f"{shell}_source"})
    assert script.returncode == 0 and "backprop" in script.stdout
    words = subprocess.run([sys.executable, "-m", "backprop_cli"], capture_output=True,
                           text=True, env={**os.environ, "_BACKPROP_COMPLETE": "bash_complete",
                                           "COMP_WORDS": "backprop so", "COMP_CWORD": "1"})
    assert "solve" in words.stdout
