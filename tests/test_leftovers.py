"""Everyday rough edges: each test pins one behaviour a newcomer tripped over."""

import math
import re

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


def test_a_mistyped_example_gets_a_suggestion(run):
    result = run("solve", "--example", "clasic")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == ("Error: --example clasic: no such example, expected one of "
                             "batch_classes, batch_mse, batchnorm, char_rnn, classic, cnn, "
                             "dropout_l2, frozen_bias, in_out, layernorm_residual, lstm, "
                             "textbook_321 (did you mean classic?)\n")


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


EXAMPLES = ["batch_classes", "batch_mse", "batchnorm", "char_rnn", "classic", "cnn",
            "dropout_l2", "frozen_bias", "in_out", "layernorm_residual", "lstm", "textbook_321"]


@pytest.mark.parametrize("command", ["solve", "step", "check", "draw", "grade"])
def test_completion_offers_the_example_names(command):
    assert _complete(f"backprop {command} --example ") == [*EXAMPLES, "list"]


def test_completion_narrows_the_example_names():
    assert _complete("backprop solve --example b") == ["batch_classes", "batch_mse",
                                                            "batchnorm"]
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


def test_graph_says_the_same_about_standard_input(run):
    result = run("graph", "-", "-", input="expression: x * y\nvalues: {x: 1, y: 2}\n")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == "Error: standard input (-) can be read once: name the other files\n"


def test_grade_says_the_same_about_standard_input(run):
    result = run("grade", "-", "-", input="x: [1]\n")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == "Error: standard input (-) can be read once: name the other files\n"


# ------------------------------------------------------------------ check


# The first layer sits at relu's kink (a1 = 0): W1 and b1 cannot be compared, W2 and b2 can.
HALF_AT_A_KINK = """\
x: [1.0]
y: [1.0]
loss: mse
layers:
  - {weights: [[0.0]], bias: [0.0], activation: relu}
  - {weights: [[0.5]], bias: [0.1], activation: sigmoid}
"""


def _check_rows(stdout: str) -> dict:
    rows = {}
    for line in stdout.splitlines():
        cells = line.rstrip().split(None, 5)
        if cells and cells[0] in ("W1", "b1", "W2", "b2"):
            rows[cells[0]] = cells
    return rows


def test_check_shows_no_ok_for_a_parameter_with_nothing_compared(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(HALF_AT_A_KINK)
    result = run("check", path)
    assert result.exit_code == 0, result.stdout  # what was compared agrees
    rows = _check_rows(result.stdout)
    assert rows["W1"] == ["W1", "0", "1", "—", "—", "not compared"]
    assert rows["b1"] == ["b1", "0", "1", "—", "—", "not compared"]
    assert rows["W2"][1:3] == ["1", "0"] and rows["W2"][5] == "ok"
    assert rows["b2"][1:3] == ["1", "0"] and rows["b2"][5] == "ok"


def test_check_says_not_compared_on_a_narrow_terminal_too(run, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    path = tmp_path / "p.yaml"
    path.write_text(HALF_AT_A_KINK)
    result = run("check", path)
    assert " W1   not compared\n     0 entries, 1 skipped (kink)\n" in result.stdout
    assert " W2   ok\n" in result.stdout


# ------------------------------------------------------------------ new -o FILE


def test_new_refuses_to_replace_a_file_without_force(run, tmp_path):
    out = tmp_path / "p.yaml"
    out.write_text("# mine\n")
    result = run("new", "--layers", "2,2", "-o", out)
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == (f"Error: -o {out}: the file already exists: add --force to "
                             "replace it, or choose another name\n")
    assert out.read_text() == "# mine\n"


@pytest.mark.parametrize("args", [["--layers", "2,2"], ["--example", "classic"],
                                  ["--graph", "x * y"]])
def test_new_replaces_a_file_with_force(run, tmp_path, args):
    out = tmp_path / "p.yaml"
    out.write_text("# mine\n")
    assert run("new", *args, "-o", out).exit_code == INPUT_ERRORS
    result = run("new", *args, "-o", out, "--force")
    assert result.exit_code == 0, result.stderr
    assert out.read_text() == run("new", *args).stdout


def test_new_writes_a_new_file_without_force(run, tmp_path):
    out = tmp_path / "p.json"
    assert run("new", "--layers", "2,2", "-o", out).exit_code == 0
    assert out.read_text().startswith("{")


@pytest.mark.parametrize("args", [["--layers", "2,2"],
                                  ["--layers", "2,2", "--count", "2", "-o", "variants"]])
def test_force_goes_with_o_file(run, tmp_path, args, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("new", *args, "--force")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == ("Error: --force goes with -o FILE: it replaces an existing file "
                             "(with --count, --replace removes an earlier run's variant "
                             "files)\n")
    assert not (tmp_path / "variants").exists()


# ------------------------------------------------------------------ tables into a pipe

TABLES = [
    ["solve", "--example", "classic"],
    ["solve", "--example", "classic", "--example", "in_out"],  # two views and a rule
    ["step", "--example", "classic", "--format", "table"],
    ["check", "--example", "classic"],
    ["graph", "(x + y) * z", "x=-2", "y=5", "z=-4"],
]


@pytest.mark.parametrize("args", TABLES, ids=lambda a: " ".join(a[:3]))
def test_piped_tables_carry_no_trailing_spaces(run, args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) > 8
    assert [line for line in lines if line != line.rstrip()] == []


def test_a_terminal_gets_the_same_lines(run):
    from helpers import on_a_terminal

    _, shown = on_a_terminal("stdout", "solve", "--example", "classic")
    shown = re.sub(r"\x1b\[[0-9;]*m", "", shown)  # NO_COLOR keeps bold
    piped = run("solve", "--example", "classic").stdout
    assert shown.count(" \r\n") > 8  # a terminal gets Rich's padding, as it always did
    assert [line.rstrip() for line in shown.splitlines()] == piped.splitlines()


def test_the_api_text_carries_no_trailing_spaces():
    import backprop_cli as bp

    text = str(bp.solve(bp.example("classic")))
    assert text.count("\n") > 8 and all(line == line.rstrip() for line in text.splitlines())


# ------------------------------------------------------------------ optimizer state


def _row(stdout: str, label: str, height: int) -> list[str]:
    lines = stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(f" {label} "))
    return [line.rstrip() for line in lines[at:at + height]]


def test_state_below_the_decimals_is_shown_in_scientific_form(run):
    result = run("solve", "--example", "classic", "--optimizer", "adam")
    assert result.exit_code == 0, result.stderr
    assert _row(result.stdout, "state W1.exp_avg_sq", 3) == [
        " state W1.exp_avg_sq   [ 6.9420e-10  0.0000e+00  6.9420e-10]",
        "                       [ 1.9933e-09  0.0000e+00  1.9933e-09]",
        "                       [ 4.4614e-09  0.0000e+00  4.4614e-09]"]
    # W3's smallest entry (4.5e-05) rounds to 0.0000 at 4 decimals: the whole matrix is
    # scientific; b3's entries all show, so it stays fixed, as every other row does
    assert _row(result.stdout, "state W3.exp_avg_sq", 1) == [
        " state W3.exp_avg_sq   [ 4.4953e-05  3.4334e-05  5.1121e-05]"]
    assert _row(result.stdout, "state b3.exp_avg_sq", 1) == [
        " state b3.exp_avg_sq   [ 0.0001  0.0001  0.0003]"]
    assert _row(result.stdout, "state W1.step", 1) == [" state W1.step         1"]


def test_state_follows_the_decimals_asked_for(run):
    result = run("solve", "--example", "classic", "--optimizer", "adam", "--decimals", "2")
    assert _row(result.stdout, "state b3.exp_avg_sq", 1) == [
        " state b3.exp_avg_sq   [ 5.61e-05  1.15e-04  3.31e-04]"]
    result = run("solve", "--example", "classic", "--optimizer", "adam", "--decimals", "10")
    assert _row(result.stdout, "state b1.exp_avg_sq", 1) == [
        " state b1.exp_avg_sq   [ 0.0000000007  0.0000000020  0.0000000045]"]


def test_step_shows_state_in_scientific_form_too(run):
    result = run("step", "--example", "classic", "--optimizer", "adam", "--format", "table")
    assert result.exit_code == 0, result.stderr
    assert _row(result.stdout, "state b1.exp_avg_sq", 1) == [
        " state b1.exp_avg_sq   [ 6.9420e-10  1.9933e-09  4.4614e-09]"]


def test_hides_values_is_about_nonzero_entries_only():
    from backprop_cli.output.fmt import hides_values

    assert hides_values([[1.0, 4e-5]], 4) and hides_values(-4e-5, 4)
    assert not hides_values([0.0, 1e-4, 1], 4)  # exact zeros and integers show as they are
    assert not hides_values([None, float("inf")], 4)


# ------------------------------------------------------------------ grammar


def test_counted_says_one_in_the_singular():
    from backprop_cli.errors import counted

    assert counted(1, "field") == "1 field" and counted(0, "field") == "0 fields"
    assert counted(2, "class index", "class indices") == "2 class indices"
    assert counted(1, "entry", "entries") == "1 entry"


ONE_FEATURE = """\
x: [1.0]
y: 1
loss: cross_entropy
layers:
  - {weights: [[0.1, 0.2], [0.3, 0.4]], bias: [0, 0], activation: softmax}
"""
ONE_UNIT = """\
x: [1.0, 2.0]
y: [1.0]
loss: mse
layers:
  - {weights: [[0.1, 0.2]], bias: [0, 0], activation: sigmoid}
"""
ONE_SAMPLE = """\
x: [[1.0, 2.0]]
y: [0, 1]
loss: cross_entropy
layers:
  - {weights: [[0.1, 0.2], [0.3, 0.4]], bias: [0, 0], activation: softmax}
"""
ONE_NUMBER = """\
x: [1.0, 2.0]
y: [1.0]
loss: mse
layers:
  - {weights: [[0.1, 0.2], [0.3]], bias: [0], activation: sigmoid}
"""


@pytest.mark.parametrize("text, message", [
    (ONE_FEATURE, "layers[0].weights (W1): shape (2, 2), expected (2, 1): x has 1 feature"),
    (ONE_UNIT, "layers[0].bias (b1): shape (2,), expected (1,): layer 1 has 1 unit"),
    (ONE_SAMPLE, "y: 2 class indices, expected 1: x has 1 sample"),
    (ONE_NUMBER, "layers[0].weights[1] (W1): row 1 has 1 number, expected 2 like row 0"),
], ids=["feature", "unit", "sample", "number"])
def test_problem_errors_count_one_in_the_singular(run, tmp_path, text, message):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("solve", path)
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == f"Error: {path}: {message}\n"


def test_new_counts_one_activation(run):
    result = run("new", "--layers", "2,3,1", "--loss", "mse", "--activations", "sigmoid")
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == ("Error: Invalid value for --activations: found 1 activation, "
                             "expected 2: one per layer after the input (see 'backprop new "
                             "--help')\n")


def test_new_counts_one_problem_written(run, tmp_path):
    result = run("new", "--layers", "2,2", "--count", "1", "-o", tmp_path / "v")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == (f"wrote 1 problem to {tmp_path / 'v'} (variant-000.yaml to "
                             "variant-000.yaml)\n")


def test_a_class_csv_line_of_one_field(run, tmp_path):
    sheet = tmp_path / "class.csv"
    sheet.write_text("student,loss,update.loss\nAda\n")
    result = run("grade", "--example", "classic", sheet)
    assert result.exit_code == INPUT_ERRORS
    assert result.stderr == f"Error: {sheet}: line 2: found 1 field, expected 3 like the header\n"


def test_one_sample_in_the_table_header(run):
    result = run("solve", "--example", "classic")
    assert "Loss                  cross_entropy, reduction mean, 1 sample, layout out_in\n" \
        in result.stdout


# ------------------------------------------------------------------ help and docs

FORMAT_WORDS = {"tables": "table", "Markdown": "markdown", "LaTeX": "latex", "JSON": "json",
                "YAML": "yaml"}


def test_grade_help_offers_only_the_formats_grade_has(run):
    result = run("grade", "--help")
    assert result.exit_code == 0
    text = _one_line(result.stdout)
    assert "--format [table|json|csv|gradescope|markdown]" in text
    assert "Decimals shown in tables and Markdown (JSON is always full precision)." in text
    assert "YAML are" not in text and "LaTeX" not in text


@pytest.mark.parametrize("command", ["solve", "step", "grade", "graph"])
def test_decimals_help_names_only_the_commands_formats(run, command):
    options = {p.name: p for p in cli.get_command(None, command).params}
    formats = set(options["fmt"].type.choices)
    named = {FORMAT_WORDS[w] for w in re.findall(r"\w+", options["decimals"].help)
             if w in FORMAT_WORDS}
    assert named and named <= formats, (named, formats)


def test_commands_md_lists_every_command_in_its_table():
    from helpers import ROOT

    from backprop_cli.cli import COMMANDS

    text = (ROOT / "docs" / "commands.md").read_text(encoding="utf-8")
    table = text.split("| command | what it does |", 1)[1].split("\n\n", 1)[0]
    listed = set(re.findall(r"^\| \[`(\w+)`\]", table, re.M))
    assert listed == set(COMMANDS)


def test_the_docs_index_lists_every_command():
    from helpers import ROOT

    from backprop_cli.cli import COMMANDS

    text = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| [Commands]"))
    assert set(re.findall(r"`(\w+)`", row)) == set(COMMANDS)


def test_worked_solutions_show_tiny_state_in_powers_of_ten(run):
    result = run("solve", "--example", "classic", "--optimizer", "adam", "--format",
                 "markdown")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (r"\mathrm{exp\_avg\_sq} &= \begin{bmatrix} 6.9420 \times 10^{-10} & 0 & "
            r"6.9420 \times 10^{-10} \\ 1.9933 \times 10^{-9} & 0 & 1.9933 \times 10^{-9} \\ "
            r"4.4614 \times 10^{-9} & 0 & 4.4614 \times 10^{-9} \end{bmatrix}") in lines
    # b3's squared gradients all show at 4 decimals: fixed, as every other value
    assert r"\mathrm{exp\_avg\_sq} &= \begin{bmatrix} 0.0001 \\ 0.0001 \\ 0.0003 \end{bmatrix}" \
        in lines
