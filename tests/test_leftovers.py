"""Everyday rough edges: each test pins one behaviour a newcomer tripped over."""

import math

import pytest
from click.testing import CliRunner

from backprop_cli.cli import cli

INPUT_ERRORS = 2


def _one_line(text: str) -> str:
    return " ".join(text.split())


# ------------------------------------------------------------------ solve --round K


def test_round_rounds_the_sums_too(run):
    result = run("solve", "--example", "classic", "--round", "4", "--get", "sums.a1",
                 "--get", "sums.h1", "--get", "sums.a3")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "5.4476\n2.5749\n4.8748\n"  # not 5.4475999999999996


def test_round_sums_in_the_api():
    import backprop_cli as bp

    sums = bp.solve(bp.example("classic"), round=4).sums
    assert all(v == round(v, 4) for v in sums.values()), sums


def test_unrounded_sums_stay_exact(solve_json):
    doc = solve_json("--example", "classic")
    assert doc["sums"]["a1"] == math.fsum(doc["forward"]["a1"])


# ------------------------------------------------------------------ --example NAME


def test_an_example_is_named_in_errors_not_by_its_installed_path(run):
    result = run("solve", "--example", "classic", "--lr", "-1")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == "Error: example classic: --lr: found -1.0, expected a number >= 0\n"


def test_an_example_is_named_in_step_errors_too(run):
    result = run("step", "--example", "classic", "--lr", "-1", "--format", "json")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr.startswith("Error: example classic: --lr: ")


# ------------------------------------------------------------------ --optimizer


@pytest.mark.parametrize("written", ["Adam", "ADAM", "adam"])
def test_optimizer_is_read_whatever_its_case(run, written):
    result = run("solve", "--example", "classic", "--optimizer", written, "--get",
                 "update.optimizer.name")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "adam\n"


def test_an_unknown_optimizer_is_still_refused(run):
    result = run("solve", "--example", "classic", "--optimizer", "Adams")
    assert result.exit_code == INPUT_ERRORS
    assert "'Adams' is not one of" in result.stderr


# ------------------------------------------------------------------ completion


def _complete(words: str) -> list[str]:
    """What bash completion offers for the command line `words` (the last one being typed)."""
    parts = words.split(" ")
    env = {"_BACKPROP_COMPLETE": "bash_complete", "COMP_WORDS": words,
           "COMP_CWORD": str(len(parts) - 1)}
    result = CliRunner().invoke(cli, [], env=env, prog_name="backprop")
    assert result.exit_code == 0, result.output
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


EXAMPLES = ["batch_classes", "batch_mse", "classic", "frozen_bias", "in_out", "textbook_321"]


@pytest.mark.parametrize("command", ["solve", "step", "check", "draw", "grade"])
def test_completion_offers_the_example_names(command):
    assert _complete(f"backprop {command} --example ") == [*EXAMPLES, "list"]


def test_completion_narrows_the_example_names():
    assert _complete("backprop solve --example b") == ["batch_classes", "batch_mse"]
    assert _complete("backprop solve --example cl") == ["classic"]


def test_new_completes_its_example_names():
    assert _complete("backprop new --example ") == EXAMPLES  # new lists with --list-examples


# ------------------------------------------------------------------ standard input once


@pytest.mark.parametrize("command", ["solve", "check", "step"])
def test_standard_input_can_be_read_once(run, command):
    result = run(command, "-", "-", input="x: [1]\n")
    assert result.exit_code == INPUT_ERRORS
    assert result.stdout == ""
    assert result.stderr == "Error: standard input (-) can be read once: name the other files\n"


def test_grade_says_the_same_about_standard_input(run):
    result = run("grade", "-", "-", input="x: [1]\n")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == "Error: standard input (-) can be read once: name the other files\n"
