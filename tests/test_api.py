"""The Python API (import backprop_cli as bp): load, example, solve, step and the records
they return, checked against the command line, which is the reference: the same JSON, the
same values, the same error messages."""

import json
import math
import os
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import CLASSIC, GOLDEN, PROBLEMS

import backprop_cli as bp
from backprop_cli.errors import (
    BackpropError,
    NumericalError,
    PathError,
    ProblemError,
    UsageError,
    WriteError,
)

GOLDEN_FILES = sorted((GOLDEN / "engine").glob("*.json")) + sorted((GOLDEN / "optim").glob(
    "*.json"))
SMALL = "x: [1.0, 2.0]\ny: [0.5]\nloss: mse\nlayers:\n" \
        "  - {weights: [[0.1, 0.2]], bias: [0.3], activation: identity}\n"


def cli_json(run, *args, input=None):
    result = run(*args, "--format", "json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def cli_error(run, *args, input=None) -> str:
    result = run(*args, input=input)
    assert result.exit_code == 2
    return result.stderr.strip().removeprefix("Error: ")


# ----------------------------------------------------------------------- the number


def test_the_classic_exercise():
    # to a few dozen ulps: the last bits of a matrix product depend on the BLAS kernel
    assert bp.solve(bp.example("classic")).update.loss == pytest.approx(0.0725333007370964,
                                                                        rel=1e-14)


# ----------------------------------------------------------------------- load


def test_load_reads_a_path_a_pathlike_text_json_and_a_mapping():
    by_path = bp.load(str(CLASSIC))
    assert by_path.source == str(CLASSIC)
    assert bp.load(CLASSIC).source == str(CLASSIC)
    text = CLASSIC.read_text()
    from_text = bp.load(text)
    assert from_text.source == "<text>"
    from_json = bp.load(json.dumps(yaml.safe_load(text)))
    from_dict = bp.load(yaml.safe_load(text))
    assert from_dict.source == "<dict>"
    for p in (from_text, from_json, from_dict):
        assert bp.solve(p).to_dict() == bp.solve(by_path).to_dict()
    assert bp.load(by_path) is by_path  # a Problem is taken as it is


def test_load_takes_numpy_arrays_and_tuples_in_a_mapping():
    doc = yaml.safe_load(CLASSIC.read_text())
    doc["x"] = np.array(doc["x"])
    doc["layers"][0]["weights"] = np.array(doc["layers"][0]["weights"])
    doc["layers"][0]["bias"] = tuple(doc["layers"][0]["bias"])
    doc["optimizer"] = {"name": "adam", "lr": np.float64(0.1), "betas": (0.8, 0.9)}
    p = bp.load(doc)
    assert p.hyper["betas"] == (0.8, 0.9)
    assert isinstance(p.document["x"], list)
    assert bp.solve(p).to_dict() == bp.solve(bp.load(CLASSIC), optimizer={
        "name": "adam", "lr": 0.1, "betas": [0.8, 0.9]}).to_dict()


@pytest.mark.parametrize("text", [
    SMALL.replace("mse", "msee"),
    SMALL.replace("[0.5]", "[0.5, 1.0]"),
    SMALL.replace("identity", "gelu"),
    SMALL + "bogus: 1\n",
    "x: [1, 2\n",
    "- 1\n- 2\n",
])
def test_load_raises_the_command_line_message(run, text):
    cli = cli_error(run, "solve", "-", input=text).replace("<stdin>", "<text>")
    with pytest.raises(ProblemError) as info:
        bp.load(text)
    assert str(info.value) == cli


def test_load_of_a_mapping_has_the_file_messages(run):
    doc = yaml.safe_load(SMALL)
    doc["layers"][0]["activation"] = "relu6"
    cli = cli_error(run, "solve", "-", input=yaml.safe_dump(doc))
    with pytest.raises(ProblemError) as info:
        bp.load(doc)
    assert str(info.value) == cli.replace("<stdin>", "<dict>")


def test_load_of_a_missing_file_names_it(run, tmp_path):
    path = str(tmp_path / "nope.yaml")
    with pytest.raises(ProblemError) as info:
        bp.load(path)
    assert str(info.value) == cli_error(run, "solve", path)


@pytest.mark.parametrize("source", [42, None, b"x: 1", ["x"]])
def test_load_refuses_what_is_no_problem(source):
    with pytest.raises(UsageError, match="expected a path, YAML or JSON text, or a mapping"):
        bp.load(source)


def test_errors_are_one_family_and_never_printed(capsys):
    for call in (lambda: bp.load("missing.yaml"), lambda: bp.example("clasic"),
                 lambda: bp.solve(SMALL, optimizer="adamm")):
        with pytest.raises(BackpropError):
            call()
    assert capsys.readouterr() == ("", "")


# ----------------------------------------------------------------------- examples


def test_examples_are_the_bundled_problems(run):
    names = bp.examples()
    assert names == sorted(p.stem for p in PROBLEMS.glob("*.yaml"))
    for name in names:
        p = bp.example(name)
        assert p.source == f"example {name}"
        assert bp.solve(p).to_dict() == cli_json(run, "solve", "--example", name)


def test_an_unknown_example_is_named_with_a_suggestion():
    with pytest.raises(UsageError) as info:
        bp.example("clasic")
    assert str(info.value).startswith("example 'clasic': no such example, expected one of ")
    assert str(info.value).endswith("(did you mean classic?)")


# ----------------------------------------------------------------------- solve


@pytest.mark.parametrize("path", sorted(PROBLEMS.glob("*.yaml")), ids=lambda p: p.stem)
def test_to_dict_is_the_command_line_json_for_every_example(run, path):
    assert bp.solve(bp.load(path)).to_dict() == cli_json(run, "solve", path)


@pytest.mark.parametrize("fixture", GOLDEN_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_to_dict_is_the_command_line_json_for_every_golden_problem(run, tmp_path, fixture):
    problem = json.loads(fixture.read_text())["problem"]
    path = tmp_path / "p.json"
    path.write_text(json.dumps(problem))
    doc = bp.solve(problem).to_dict()
    assert doc == cli_json(run, "solve", path)
    assert json.loads(json.dumps(doc)) == doc  # plain JSON values only


@pytest.mark.parametrize("args, kwargs", [
    (["--lr", "0.5"], {"lr": 0.5}),
    (["--optimizer", "adam"], {"optimizer": "adam"}),
    (["--optimizer", "rmsprop", "--lr", "0.01"], {"optimizer": "rmsprop", "lr": 0.01}),
    (["--round", "4"], {"round": 4}),
    (["--round", "0"], {"round": 0}),
])
def test_overrides_and_rounding_are_the_command_line_options(run, args, kwargs):
    for path in (CLASSIC, PROBLEMS / "batch_classes.yaml"):
        assert bp.solve(bp.load(path), **kwargs).to_dict() == cli_json(run, "solve", path,
                                                                        *args)


def test_an_optimizer_block_sets_every_setting():
    s = bp.solve(CLASSIC, optimizer={"name": "sgd", "lr": 0.5, "momentum": 0.9}, lr=0.25)
    assert s.update.optimizer["lr"] == 0.25 and s.update.optimizer["momentum"] == 0.9
    assert set(s.update.state["W1"]) == {"momentum_buffer"}


@pytest.mark.parametrize("kwargs, error, message", [
    ({"optimizer": "adamm"}, UsageError,
     "optimizer: found the string 'adamm', expected one of sgd, adagrad, rmsprop, adam, "
     "adamw (did you mean adam?)"),
    ({"optimizer": 3}, UsageError, "optimizer: found 3, expected one of"),
    ({"optimizer": {"name": "adam", "betas": [0.9]}}, ProblemError,
     "optimizer.betas: found a list of 1, expected two numbers"),
    ({"optimizer": {"name": "sgd", "nesterov": True}}, ProblemError,
     "nesterov needs momentum > 0"),
    ({"round": 16}, UsageError, "round=16: expected a whole number of decimals from 0 to 15"),
    ({"round": 2.5}, UsageError, "round=2.5: expected"),
    ({"round": True}, UsageError, "round=True: expected"),
])
def test_bad_settings_are_named(kwargs, error, message):
    with pytest.raises(error) as info:
        bp.solve(CLASSIC, **kwargs)
    assert message in str(info.value)


@pytest.mark.parametrize("lr", [-1.0, math.inf, "fast"])
def test_a_bad_learning_rate_has_the_command_line_message(run, lr):
    if isinstance(lr, str):
        with pytest.raises(ProblemError) as info:
            bp.solve(CLASSIC, lr=lr)
        assert str(info.value).endswith("--lr: found the string 'fast', expected a finite "
                                        "number")
        return
    with pytest.raises(ProblemError) as info:
        bp.solve(CLASSIC, lr=lr)
    assert str(info.value) == cli_error(run, "solve", CLASSIC, "--lr", str(lr))


def test_a_numerical_error_names_the_source(run):
    text = SMALL.replace("[[0.1, 0.2]]", "[[1e308, 1e308]]")
    with pytest.raises(NumericalError) as info:
        bp.solve(text)
    assert str(info.value) == cli_error(run, "solve", "-", input=text).replace("<stdin>",
                                                                                 "<text>")


# ----------------------------------------------------------------------- the Solution


def test_the_solution_names_its_numbers_as_the_json_does():
    s = bp.solve(bp.example("classic"))
    doc = s.to_dict()
    assert s.loss == doc["loss"] == s.forward.loss
    assert dict(s.sums) == doc["sums"]
    for l in (1, 2, 3):
        assert s.a(l).tolist() == doc["forward"][f"a{l}"] == s.forward.a[l].tolist()
        assert s.h(l).tolist() == doc["forward"][f"h{l}"] == s.forward.h[l].tolist()
    assert s.h(0).tolist() == [1.0, 0.0, 1.0]  # h0 is x
    assert list(s.gradients) == list(doc["gradients"])
    for name, value in s.gradients.items():
        assert value.tolist() == doc["gradients"][name]
    assert list(s.update.parameters) == list(doc["update"]["parameters"])
    for name, value in s.update.parameters.items():
        assert value.tolist() == doc["update"]["parameters"][name]
    assert dict(s.update.optimizer) == doc["update"]["optimizer"]
    assert s.update.loss == doc["update"]["loss"]
    assert s.rounded is None and bp.solve(CLASSIC, round=3).rounded == 3


def test_layers_are_numbered_as_in_the_maths():
    s = bp.solve(bp.example("classic"))
    assert s.forward.a[-1] is s.forward.a[3] and s.forward.h[-1] is s.forward.h[3]
    assert len(s.forward.a) == 3 and len(s.forward.h) == 4
    assert [v.tolist() for v in s.forward.a] == [s.a(l).tolist() for l in (1, 2, 3)]
    for bad in (0, 4, -4):
        with pytest.raises(IndexError, match=r"expected 1\.\.3"):
            s.a(bad)
    with pytest.raises(IndexError, match=r"expected 0\.\.3"):
        s.h(4)
    with pytest.raises(TypeError):
        s.forward.a["1"]
    assert repr(s.forward.h) == "ByLayer(0..3)"


def test_arrays_are_read_only_and_the_document_is_a_copy():
    s = bp.solve(bp.example("classic"))
    with pytest.raises(ValueError):
        s.gradients["W3"][0, 0] = 1.0
    with pytest.raises(TypeError):
        s.gradients["W3"] = None
    doc = s.to_dict()
    doc["loss"] = 0.0
    assert s.to_dict()["loss"] == s.loss != 0.0
    assert s.get("update.optimizer") is not s.get("update.optimizer")


def test_arrays_keep_the_rank_of_x_and_the_files_layout():
    batch = bp.solve(bp.example("batch_classes"))
    assert batch.a(1).shape == (batch.problem.x.shape[0], batch.a(1).shape[1])
    in_out = bp.solve(bp.example("in_out"))
    doc = in_out.to_dict()
    assert in_out.gradients["W1"].tolist() == doc["gradients"]["W1"]
    assert in_out.gradients["W1"].shape == in_out.problem.params["W1"].T.shape
    assert in_out.update.parameters["W1"].shape == in_out.problem.params["W1"].T.shape


def test_state_is_in_the_files_layout():
    s = bp.solve(bp.example("in_out"), optimizer="adam")
    doc = s.to_dict()
    assert s.update.state["W1"]["step"] == 1
    assert s.update.state["W1"]["exp_avg"].tolist() == doc["update"]["state"]["W1"]["exp_avg"]


@pytest.mark.parametrize("path", ["loss", "sums.h1", "gradients.b2", "gradients.W3.1.0",
                                  "update.loss", "update.parameters.W2.-1", "title",
                                  "update.optimizer.name", "parameters"])
def test_get_follows_the_get_rules(run, path):
    value = bp.solve(CLASSIC).get(path)
    result = run("solve", CLASSIC, "--get", path)
    from backprop_cli.output.report import format_value

    assert format_value(value) == result.stdout.strip()


@pytest.mark.parametrize("path", ["sums.h9", "gradients.W3.7", "loss.x", "nothing"])
def test_a_bad_get_path_is_the_command_line_error(run, path):
    with pytest.raises(PathError) as info:
        bp.solve(CLASSIC).get(path)
    assert str(info.value) == cli_error(run, "solve", CLASSIC, "--get", path)


def test_a_saturated_output_gradient_is_inf_in_the_array_and_null_in_the_json():
    text = SMALL.replace("mse", "bce").replace("identity", "sigmoid").replace(
        "[[0.1, 0.2]]", "[[40.0, 0.0]]").replace("[0.5]", "[0.0]")
    s = bp.solve(text)
    assert s.gradients["h1"][0] == math.inf
    assert s.to_dict()["gradients"]["h1"] == [None]


# ----------------------------------------------------------------------- step


@pytest.mark.parametrize("name, kwargs, args", [
    ("classic", {"steps": 3}, ["--steps", "3"]),
    ("batch_mse", {"steps": 5, "optimizer": "adam", "lr": 0.1},
     ["--steps", "5", "--optimizer", "adam", "--lr", "0.1"]),
    ("in_out", {"steps": 2, "optimizer": "rmsprop"}, ["--steps", "2", "--optimizer", "rmsprop"]),
    ("frozen_bias", {}, []),
])
def test_step_is_the_command_line_step(run, tmp_path, name, kwargs, args):
    updated, report = bp.step(bp.example(name), **kwargs)
    assert report.to_dict() == cli_json(run, "step", "--example", name, *args)
    out = tmp_path / "after.yaml"
    assert run("step", "--example", name, *args, "-o", out).exit_code == 0
    assert updated.to_yaml() == out.read_text()
    assert updated.source == f"example {name}"
    doc = report.to_dict()
    assert report.steps == doc["steps"] == kwargs.get("steps", 1)
    assert report.losses.tolist() == doc["losses"]
    assert {n: v.tolist() for n, v in report.parameters.items()} == doc["parameters"]
    assert report.get("losses.-1") == doc["losses"][-1]
    assert dict(report.optimizer) == doc["optimizer"]


def test_steps_chain_as_the_files_do():
    once, _ = bp.step(bp.example("classic"), optimizer="adam", lr=0.1)
    twice, report = bp.step(once)
    _, both = bp.step(bp.example("classic"), steps=2, optimizer="adam", lr=0.1)
    assert report.losses[-1] == both.losses[-1]
    assert twice.to_yaml() == bp.step(bp.example("classic"), steps=2, optimizer="adam",
                                      lr=0.1)[0].to_yaml()
    assert report.state["W1"]["step"] == 2


@pytest.mark.parametrize("steps", [0, -1, 1.5, True, "2"])
def test_a_bad_number_of_steps_is_named(steps):
    with pytest.raises(UsageError, match=f"steps={steps!r}: expected a whole number"):
        bp.step(CLASSIC, steps)


def test_a_step_that_overflows_names_the_source(run):
    text = SMALL.replace("[[0.1, 0.2]]", "[[1e154, 1e154]]")
    with pytest.raises(NumericalError) as info:
        bp.step(text, 3)
    assert str(info.value) == cli_error(run, "step", "-", "--steps", "3", "--format", "json",
                                        input=text).replace("<stdin>", "<text>")


# ----------------------------------------------------------------------- writing problems


def test_to_yaml_and_to_json_are_what_save_writes(tmp_path):
    p = bp.solve(bp.example("in_out"), optimizer="adam").problem
    p.save(tmp_path / "p.yaml")
    p.save(str(tmp_path / "p.JSON"))
    assert (tmp_path / "p.yaml").read_text() == p.to_yaml()
    assert (tmp_path / "p.JSON").read_text() == p.to_json()
    assert json.loads(p.to_json()) == yaml.safe_load(p.to_yaml())
    again = bp.load(tmp_path / "p.JSON")
    assert bp.solve(again).to_dict() == bp.solve(p).to_dict()


def test_save_writes_the_overrides_and_state(tmp_path, run):
    updated, _ = bp.step(bp.example("classic"), steps=2, optimizer="adam", lr=0.1)
    updated.save(tmp_path / "p.yaml")
    written = yaml.safe_load((tmp_path / "p.yaml").read_text())
    assert written["optimizer"]["name"] == "adam" and written["optimizer"]["lr"] == 0.1
    assert written["optimizer"]["state"]["W1"]["step"] == 2
    assert bp.solve(tmp_path / "p.yaml").to_dict() == cli_json(run, "solve", tmp_path / "p.yaml")


def test_save_is_atomic_and_names_the_path(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    with pytest.raises(WriteError, match="folder: cannot write"):
        bp.example("classic").save(folder)
    target = tmp_path / "p.yaml"
    target.write_text("old")
    os.chmod(tmp_path, 0o500)
    try:
        if os.access(tmp_path, os.W_OK):  # root writes anywhere: nothing to prove here
            pytest.skip("running as root")
        with pytest.raises(WriteError):
            bp.example("classic").save(target)
        assert target.read_text() == "old"
    finally:
        os.chmod(tmp_path, 0o700)


def test_the_problem_shows_a_summary():
    p = bp.example("classic")
    assert repr(p) == ("<Problem 'Two sigmoid hidden layers, softmax output' (example classic):"
                       " 3 → 3 → 3 → 3  (sigmoid, sigmoid, softmax); cross_entropy, reduction "
                       "mean, 1 sample, layout out_in; sgd (lr = 1.0)>")
    html = p._repr_html_()
    assert "<th style='text-align:left'>Network</th>" in html
    assert "0.5488135" in html and "<details open>" in html  # the numbers, in the YAML
    adam = bp.step(bp.load(SMALL), optimizer={"name": "adam", "lr": 0.1, "amsgrad": True})[0]
    assert repr(adam) == ("<Problem <text>: 2 → 1  (identity); mse, reduction mean, 1 sample, "
                          "layout out_in; adam (lr = 0.1, amsgrad = True), with state>")
    titled = bp.load(SMALL.replace("x:", "title: '<b>&'\nx:"))
    assert "&lt;b&gt;&amp;" in titled._repr_html_()
    big = bp.load({"x": [0.5] * 200, "y": [0.0] * 200, "loss": "mse", "layers": [
        {"weights": [[0.01] * 200] * 200, "activation": "identity"}]})
    assert "(40400 numbers: to_yaml() gives the file)" in big._repr_html_()


def test_the_problem_record_is_unchanged_for_the_command_line():
    p = bp.example("classic")
    assert p.with_optimizer("adam").optimizer == "adam"
    assert Path(bp.load(CLASSIC).source) == CLASSIC
