"""The command line: exit codes, exact output, formats, --get, stdin, chaining, -o."""

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from helpers import PROBLEMS, ROOT, on_a_terminal, same_output

CLASSIC = str(PROBLEMS / "classic.yaml")
EXAMPLES = sorted(PROBLEMS.glob("*.yaml"))


def python_m(*args, **kw):
    env = dict(os.environ, NO_COLOR="1", COLUMNS="100")
    return subprocess.run([sys.executable, "-m", "backprop_cli", *args], capture_output=True,
                          text=True, timeout=60, env=env, **kw)


# ------------------------------------------------------------------ basics


def test_version(run):
    from backprop_cli import __version__

    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"backprop, version {__version__}\n"


@pytest.mark.parametrize("command", ["solve", "step", "new", "check", "draw"])
def test_every_command_has_help_with_examples(run, command):
    result = run(command, "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    assert f"backprop {command}" in result.stdout


def test_python_dash_m():
    result = python_m("solve", CLASSIC, "--get", "loss")
    assert result.returncode == 0, result.stderr
    assert same_output(result.stdout, "0.8563785642771483\n")


# ------------------------------------------------------------------ solve


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_every_example_solves_in_every_format(run, path):
    table = run("solve", path)
    assert table.exit_code == 0 and table.stderr == ""
    assert "Step 4 · Update" in table.stdout
    as_json = json.loads(run("solve", path, "--format", "json").stdout)
    as_yaml = yaml.safe_load(run("solve", path, "--format", "yaml").stdout)
    assert as_json == as_yaml
    assert set(as_json) >= {"parameters", "trainable", "forward", "sums", "loss", "gradients",
                            "update"}


def test_table_shows_the_quiz_quantities(run):
    out = run("solve", CLASSIC).stdout
    assert "Learnable parameters  36" in out
    assert "a1       [ 1.5350  1.9825  1.9301]   5.4477" in out
    assert "h1       [ 0.8227  0.8789  0.8733]   2.5750" in out
    assert "L (cross_entropy, mean)   0.8564" in out
    assert "∂L/∂a3   [ 0.2369  0.3384 -0.5753]" in out
    assert "∂L/∂b2   [ 0.0184 -0.0200 -0.0038]" in out
    assert "L after the update" in out and "0.0725" in out


def test_decimals_changes_the_table_only(run):
    out = run("solve", CLASSIC, "--decimals", "8").stdout
    assert "0.85637856" in out
    assert same_output(run("solve", CLASSIC, "--decimals", "8", "--get", "loss").stdout,
                       "0.8563785642771483\n")


EXACT_TABLE = """\
Problem               A frozen bias and a layer without bias
File                  {path}
Network               3 → 2 → 2  (leaky_relu, sigmoid)
Loss                  sse_half, reduction mean, 1 sample, layout out_in
Learnable parameters  12 (10 trainable)

Step 1 · Forward pass: a = W h + b, h = f(a)
          value                  sum
─────────────────────────────────────
 h0 = x   [ 0.50 -0.50  1.00]
 a1       [ 0.75 -0.25]         0.50
 h1       [ 0.75 -0.03]         0.72
 a2       [ 0.24  0.60]         0.84
 h2       [ 0.56  0.64]         1.20
"""


def test_exact_table_output(run):
    path = str(PROBLEMS / "frozen_bias.yaml")
    result = run("solve", path, "--decimals", "2")
    assert result.exit_code == 0
    expected = EXACT_TABLE.format(path=path)
    got = "\n".join(line.rstrip() for line in result.stdout.splitlines()[:len(
        expected.splitlines())])
    assert got == "\n".join(line.rstrip() for line in expected.splitlines())
    assert "b1  (frozen, unchanged)" in result.stdout


@pytest.mark.parametrize("path, expected", [
    ("loss", "0.8563785642771483"),
    ("parameters", "36"),
    ("sums.h1", "2.5749524952855887"),
    ("forward.a1.0", "1.5350183999999998"),
    ("gradients.b2", "[0.018381981178422102,-0.019976437922250036,-0.003840103967333151]"),
    ("update.optimizer.name", "sgd"),  # a string plainly, not as JSON
    ("update.optimizer.nesterov", "false"),
    ("update.state", "{}"),
    ("update.loss", "0.0725333007370964"),
])
def test_get(run, path, expected):
    result = run("solve", CLASSIC, "--get", path)
    assert result.exit_code == 0
    assert result.stdout.endswith("\n") and "\n" not in result.stdout[:-1]
    assert same_output(result.stdout, expected + "\n")  # last bits: the BLAS kernel's


def test_get_follows_update_parameter_positions(run, solve_json):
    doc = solve_json(CLASSIC)
    result = run("solve", CLASSIC, "--get", "update.parameters.W2.1.0")
    assert float(result.stdout) == doc["update"]["parameters"]["W2"][1][0]


@pytest.mark.parametrize("path, message", [
    ("nope", "Error: --get nope: no 'nope' in the document, expected one of title, parameters, "
             "trainable, forward, sums, loss, gradients, update\n"),
    ("forward.a1.3", "Error: --get forward.a1.3: no '3' in forward.a1, expected a position "
                     "0..2\n"),
    ("loss.x", "Error: --get loss.x: no 'x' in loss, expected nothing further: it is a single "
               "value\n"),
])
def test_get_unknown_path_is_an_error(run, path, message):
    result = run("solve", CLASSIC, "--get", path)
    assert result.exit_code == 2
    assert result.stderr == message
    assert result.stdout == ""


def test_several_problems(run):
    paths = [CLASSIC, str(PROBLEMS / "in_out.yaml")]
    result = run("solve", *paths, "--get", "update.loss")
    lines = result.stdout.splitlines()
    assert same_output(lines[0], "0.0725333007370964") and len(lines) == 2
    docs = json.loads(run("solve", *paths, "--format", "json").stdout)
    assert isinstance(docs, list) and len(docs) == 2
    assert docs[1]["update"]["loss"] == float(lines[1])


@pytest.mark.parametrize("args", [["-"], []], ids=["dash", "nothing"])
def test_stdin(run, args):
    text = Path(CLASSIC).read_text()
    result = run("solve", *args, "--get", "loss", input=text)
    assert result.exit_code == 0
    assert same_output(result.stdout, "0.8563785642771483\n")


def test_json_problem_from_stdin_round_trips(run, solve_json):
    doc = yaml.safe_load(Path(CLASSIC).read_text())
    from_json = solve_json("-", input=json.dumps(doc))
    assert from_json == solve_json(CLASSIC)


def test_terminal_on_stdin_says_how_to_give_a_problem():
    master, slave = pty.openpty()
    try:
        result = python_m("solve", stdin=slave)
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 2
    assert result.stderr.startswith("Error: no problem given")
    assert "Traceback" not in result.stderr


def test_lr_override(run):
    result = run("solve", CLASSIC, "--lr", "0.5", "--get", "update.optimizer.lr")
    assert result.stdout == "0.5\n"
    slower = float(run("solve", CLASSIC, "--lr", "0.5", "--get", "update.loss").stdout)
    assert 0.0725333007370964 < slower < 0.8563785642771483


def test_closed_pipe_ends_quietly():
    cmd = f"{sys.executable} -m backprop_cli solve {CLASSIC} --format yaml | head -1"
    result = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], capture_output=True,
                            text=True, timeout=60, cwd=ROOT)
    assert result.stdout == "title: Two sigmoid hidden layers, softmax output\n"
    assert result.stderr == ""
    assert result.returncode == 0


# ------------------------------------------------------------------ step


def test_step_to_a_pipe_writes_the_updated_problem(run, solve_json):
    result = run("step", CLASSIC)
    assert result.exit_code == 0
    updated = yaml.safe_load(result.stdout)
    doc = solve_json(CLASSIC)
    assert updated["layers"][1]["bias"] == doc["update"]["parameters"]["b2"]
    assert updated["title"] == doc["title"]
    assert updated["optimizer"] == {"name": "sgd", "lr": 1.0}


def test_step_chain_equals_steps_2_exactly(run):
    once = run("step", CLASSIC, "--lr", "1").stdout
    twice = run("step", "--lr", "1", input=once).stdout
    final = run("solve", "--get", "loss", input=twice)
    direct = json.loads(run("step", CLASSIC, "--lr", "1", "--steps", "2",
                            "--format", "json").stdout)
    assert float(final.stdout) == direct["losses"][2]  # exactly, not approximately
    assert yaml.safe_load(twice)["layers"][0]["weights"] == direct["parameters"]["W1"]


def test_step_json_report(run):
    doc = json.loads(run("step", CLASSIC, "--steps", "3", "--format", "json").stdout)
    assert list(doc) == ["steps", "optimizer", "losses", "parameters", "state"]
    assert doc["steps"] == 3 and len(doc["losses"]) == 4
    assert doc["losses"][0] == pytest.approx(0.8563785642771483, rel=1e-14)
    assert doc["losses"][1] == pytest.approx(0.0725333007370964, abs=1e-12)


def test_step_output_file(run, tmp_path):
    out = tmp_path / "after.yaml"
    result = run("step", CLASSIC, "-o", out)
    assert result.exit_code == 0 and result.stdout == ""  # not a terminal: no tables
    loss = run("solve", out, "--get", "loss").stdout
    assert float(loss) == pytest.approx(0.0725333007370964, abs=1e-12)
    assert [p.name for p in tmp_path.iterdir()] == ["after.yaml"]  # no temporary left


def test_step_output_json_and_in_place(run, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(yaml.safe_load(Path(CLASSIC).read_text())))
    assert run("step", path, "-o", path).exit_code == 0
    json.loads(path.read_text())  # still JSON
    assert float(run("solve", path, "--get", "loss").stdout) == pytest.approx(
        0.0725333007370964, abs=1e-12)


def test_step_output_dash_and_table_format(run):
    result = run("step", CLASSIC, "-o", "-")
    assert yaml.safe_load(result.stdout)["x"] == [1.0, 0.0, 1.0]
    table = run("step", CLASSIC, "--steps", "2", "--format", "table")
    assert "2 steps with sgd" in table.stdout and "0 (start)" in table.stdout


def test_failed_step_writes_nothing(run, tmp_path):
    out = tmp_path / "after.yaml"
    out.write_text("keep me\n")
    result = run("step", CLASSIC, "--lr", "1e308", "--steps", "3", "-o", out)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"Error: {CLASSIC}: ")
    assert "not finite" in result.stderr and result.stderr.count("\n") == 1
    assert out.read_text() == "keep me\n"


# ------------------------------------------------------------------ errors


def problem_with(tmp_path, old, new):
    text = Path(CLASSIC).read_text()
    assert old in text
    path = tmp_path / "p.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


COMMON_MISTAKES = [
    ("activation: softmax", "activation: sofmax",
     "layers[2].activation (h3): found the string 'sofmax', expected an activation: identity | "
     "sigmoid | tanh | relu | leaky_relu | elu | softplus | softmax (did you mean softmax?)"),
    ("[0.56804456, 0.92559664, 0.07103606]", "[0.56804456, 0.92559664]",
     "layers[1].weights[1] (W2): row 1 has 3 numbers, expected 2 like row 0"),
    ("[0.0871293, 0.0202184, 0.83261985],\n", "",
     "layers[1].bias (b2): shape (3,), expected (2,): layer 2 has 2 units"),
    ("x: [1.0, 0.0, 1.0]", "x: [1.0, 0.0]",
     "layers[0].weights (W1): shape (3, 3), expected (3, 2): x has 2 features"),
    ("y: [0, 0, 1]", "y: [0, 1]", "y: shape (2,), expected (3,): layer 3 has 3 units"),
    ("y: [0, 0, 1]", "y: 3",
     "y: found 3, expected a class index, an integer 0..2: layer 3 has 3 units"),
    ("loss: cross_entropy", "loss: crossentropy",
     "loss: found the string 'crossentropy', expected a loss: cross_entropy | mse | sse_half | "
     "bce | upstream (did you mean cross_entropy?)"),
    ("loss: cross_entropy", "loss: bce",
     "layers[2].activation (h3): found softmax, expected sigmoid: bce needs a sigmoid output"),
    ("loss: cross_entropy\n", "",
     "loss: missing, expected it at the top level"),
    ("    activation: sigmoid\n", "    activaton: sigmoid\n",
     "layers[0].activaton: unknown key 'activaton', expected one of kind, weights, bias, "
     "activation, slope, alpha, frozen, residual (did you mean activation?)"),
    ("{name: sgd, lr: 1.0}", "{name: sgd, lr: 1.0, momentun: 0.9}",
     "optimizer.momentun: unknown key 'momentun' for sgd, expected one of lr, momentum, "
     "dampening, weight_decay, nesterov, maximize (did you mean momentum?)"),
    ("loss: cross_entropy", "loss: MSE",
     "loss: found the string 'MSE', expected a loss: cross_entropy | mse | sse_half | bce "
     "| upstream (did you mean mse?)"),
    ("{name: sgd, lr: 1.0}", "{name: sgdd}",
     "optimizer.name: found the string 'sgdd', expected an optimizer: sgd | adagrad | rmsprop | "
     "adam | adamw (did you mean sgd?)"),
    ("0.5488135,", "0.5488135x,",
     "layers[0].weights[0][0] (W1): found the string '0.5488135x', expected a number"),
]


@pytest.mark.parametrize("old, new, message", COMMON_MISTAKES, ids=lambda v: str(v)[:20])
def test_common_mistakes(run, tmp_path, old, new, message):
    path = problem_with(tmp_path, old, new)
    result = run("solve", path)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {path}: {message}\n"
    assert result.stdout == ""


@pytest.mark.parametrize("command", ["solve", "step"])
def test_missing_file(run, command, tmp_path):
    missing = tmp_path / "nope.yaml"
    result = run(command, missing)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {missing}: cannot read: No such file or directory\n"


def test_errors_from_stdin_name_stdin(run):
    result = run("solve", "-", input="x: [1]\n")
    assert result.exit_code == 2
    assert result.stderr == "Error: <stdin>: y: missing, expected it at the top level\n"


def test_bad_flag_is_exit_2(run):
    result = run("solve", CLASSIC, "--format", "xml")
    assert result.exit_code == 2
    assert "Invalid value for '--format'" in result.stderr


def _stderr_on_a_terminal(*args, env=None):
    return on_a_terminal("stderr", *args, env=env)


def test_progress_bar_on_a_terminal_only_when_asked_for():
    args = ("step", CLASSIC, "--steps", "300", "--format", "json")
    result, stderr = _stderr_on_a_terminal(*args, env={"BACKPROP_PROGRESS_AFTER": "0"})
    assert result.returncode == 0
    assert "steps" in stderr and "%" in stderr
    assert json.loads(result.stdout)["steps"] == 300  # the bar never touches stdout
    result, stderr = _stderr_on_a_terminal(*args, "--quiet",
                                           env={"BACKPROP_PROGRESS_AFTER": "0"})
    assert result.returncode == 0 and stderr == ""
    # a run shorter than the threshold shows no bar (one far above any run's time, so that
    # a loaded machine cannot make this run look slow)
    result, stderr = _stderr_on_a_terminal(*args, env={"BACKPROP_PROGRESS_AFTER": "3600"})
    assert stderr == ""


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_three_chained_steps_equal_steps_3_exactly(run, optimizer):
    chained = Path(CLASSIC).read_text()
    for _ in range(3):
        result = run("step", "-", "--optimizer", optimizer, "--lr", "0.1", input=chained)
        assert result.exit_code == 0, result.stderr
        chained = result.stdout
    at_once = run("step", CLASSIC, "--optimizer", optimizer, "--lr", "0.1", "--steps", "3")
    assert chained == at_once.stdout  # the same file, bit for bit
    assert "state:" in chained or optimizer == "sgd"


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
def test_frozen_parameters_never_change_and_carry_no_state(run, optimizer):
    path = PROBLEMS / "frozen_bias.yaml"
    doc = json.loads(run("step", path, "--optimizer", optimizer, "--lr", "0.1", "--steps", "5",
                         "--format", "json").stdout)
    before = yaml.safe_load(path.read_text())["layers"][0]["bias"]
    assert doc["parameters"]["b1"] == before
    assert "b1" not in doc["state"]
    assert doc["parameters"]["W1"] != yaml.safe_load(path.read_text())["layers"][0]["weights"]
    if optimizer != "sgd":
        assert set(doc["state"]) == {"W1", "W2"}


@pytest.mark.parametrize("with_output", [False, True])
def test_step_shows_tables_on_a_terminal(tmp_path, with_output):
    extra = ["-o", str(tmp_path / "after.yaml")] if with_output else []
    result, out = on_a_terminal("stdout", "step", CLASSIC, *extra)
    assert result.returncode == 0, result.stderr
    assert "1 step with sgd" in out and "layers:" not in out  # tables, not the problem file
    assert (tmp_path / "after.yaml").exists() == with_output
