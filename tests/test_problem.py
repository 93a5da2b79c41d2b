"""The problem file: file kinds, number rules, hostile YAML, layouts, targets, overrides."""

import json
import time
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import PROBLEMS

from backprop_cli.errors import ProblemError
from backprop_cli.problem import documents, from_document, load
from backprop_cli.problem.writer import updated_document

CLASSIC = PROBLEMS / "classic.yaml"

SMALL = """\
x: [1.0, 2.0]
y: [0.5]
loss: mse
layers:
  - {weights: [[0.1, 0.2]], bias: [0.3], activation: identity}
"""


def parse(text, name="p.yaml"):
    return documents.parse(name, text.encode())


def error(text, name="p.yaml") -> str:
    with pytest.raises(ProblemError) as info:
        from_document(parse(text, name), name)
    return str(info.value)


# ----------------------------------------------------------------- numbers


@pytest.mark.parametrize("written, value", [
    ("1e-3", 1e-3), ("1.0E5", 1e5), ("+0.5", 0.5), ("-2", -2), ("0", 0), (".5", 0.5),
    ("3.", 3.0), ("-1.5e+2", -150.0),
])
def test_numbers_as_people_write_them(written, value):
    doc = parse(f"lr: {written}\n")
    assert doc["lr"] == value and type(doc["lr"]) in (int, float)


@pytest.mark.parametrize("written", ["010", "1:30", "0x1F", "1_000", "0o17", "yes", "on", "true"])
def test_not_numbers(written):
    message = error(SMALL.replace("y: [0.5]", f"y: [{written}]"))
    assert message.startswith("p.yaml: y[0]: found the ")
    assert message.endswith(", expected a number")


def test_lr_1e_minus_3_is_a_number_in_the_optimizer():
    problem = from_document(parse(SMALL + "optimizer: {name: sgd, lr: 1e-3}\n"), "p.yaml")
    assert problem.hyper["lr"] == 0.001


@pytest.mark.parametrize("written", [".nan", ".inf", "-.inf"])
def test_non_finite_numbers_are_refused(written):
    message = error(SMALL.replace("[[0.1, 0.2]]", f"[[0.1, {written}]]"))
    assert message.startswith("p.yaml: layers[0].weights[0][1] (W1): found ")
    assert message.endswith(", expected a finite number")


def test_json_nan_is_refused():
    with pytest.raises(ProblemError, match="found NaN, expected finite numbers"):
        parse('{"x": [NaN]}', "p.json")


# ------------------------------------------------------------- file kinds


def test_json_by_name_and_by_brace(tmp_path):
    doc = yaml.safe_load(SMALL)
    for name in ("p.json", "p.txt"):
        path = tmp_path / name
        path.write_text(json.dumps(doc))
        assert load(str(path)).params["W1"].tolist() == [[0.1, 0.2]]


def test_brace_that_is_not_json_falls_back_to_yaml():
    assert parse("{x: 1, y: [1e-3]}") == {"x": 1, "y": [0.001]}


def test_bad_json_named_json_is_an_error():
    with pytest.raises(ProblemError, match=r"line 1, column 7: .*expected valid JSON"):
        parse('{"x": ', "p.json")


@pytest.mark.parametrize("text, message", [
    ("", "p.yaml: the file is empty, expected a problem mapping"),
    ("   \n\n", "p.yaml: the file is empty, expected a problem mapping"),
    ("[1, 2]", "p.yaml: found a list of 2 at the top, expected a mapping of x, y, loss, "
               "layers, ..."),
    ("3", "p.yaml: found 3 at the top, expected a mapping of x, y, loss, layers, ..."),
])
def test_not_a_mapping(text, message):
    assert error(text) == message


def test_binary_garbage():
    with pytest.raises(ProblemError, match="is not UTF-8 text"):
        documents.parse("p.yaml", b"\xff\xfe\x00\x01garbage")


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(ProblemError, match="is a directory"):
        load(str(tmp_path))
    with pytest.raises(ProblemError, match="cannot read: No such file"):
        load(str(tmp_path / "missing.yaml"))


# --------------------------------------------------------------- hostile YAML


def test_python_tags_do_not_run(tmp_path):
    marker = tmp_path / "ran"
    text = f"x: !!python/object/apply:os.system ['touch {marker}']\n"
    with pytest.raises(ProblemError, match=r"found the tag !!python/object/apply:os.system"):
        parse(text)
    assert not marker.exists()


def test_alias_bomb_is_refused_fast():
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, 30):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]")
    start = time.perf_counter()
    with pytest.raises(ProblemError, match="YAML aliases"):
        parse("\n".join(lines))
    assert time.perf_counter() - start < 1.0


def test_duplicate_keys():
    assert error(SMALL + "x: [3, 4]\n") == \
        "p.yaml: x (line 6, column 1): duplicate key 'x', expected each key once"


def test_unknown_top_level_key_with_suggestion():
    assert error(SMALL + "reduce: sum\n").startswith(
        "p.yaml: reduce: unknown key 'reduce', expected one of title, x, y, loss")


# ---------------------------------------------------------------- semantics


def test_in_out_layout_is_transposed_inside_and_outside():
    text = SMALL.replace("[[0.1, 0.2]]", "[[0.1], [0.2]]") + "layout: in_out\n"
    problem = from_document(parse(text), "p.yaml")
    assert problem.params["W1"].shape == (1, 2)
    doc = updated_document(problem, problem.params, {})
    assert doc["layers"][0]["weights"] == [[0.1], [0.2]]


def test_transposed_weights_get_a_hint():
    text = SMALL.replace("[[0.1, 0.2]]", "[[0.1], [0.2]]")
    assert error(text) == ("p.yaml: layers[0].weights (W1): shape (2, 1), expected (1, 2): x has "
                           "2 features; the weights look transposed: use layout: in_out")


def test_batch_and_class_indices():
    text = """\
x: [[1, 0], [0, 1], [1, 1]]
y: [1, 0, 1]
loss: cross_entropy
layers: [{weights: [[1, 2], [3, 4]], activation: softmax}]
"""
    problem = from_document(parse(text), "p.yaml")
    assert problem.batched and problem.x.shape == (3, 2)
    assert problem.y.tolist() == [[0, 1], [1, 0], [0, 1]]
    assert "b1" not in problem.params
    assert error(text.replace("y: [1, 0, 1]", "y: [1, 0]")) == \
        "p.yaml: y: 2 class indices, expected 3: x has 3 samples"
    assert error(text.replace("y: [1, 0, 1]", "y: [1, 2, 0]")) == \
        "p.yaml: y[1]: found 2, expected a class index, an integer 0..1: layer 1 has 2 units"
    assert error(text.replace("cross_entropy", "mse").replace("softmax", "sigmoid")) == \
        ("p.yaml: y: found class indices, expected target vectors of 2 numbers: class indices "
         "need loss cross_entropy")


def test_batch_of_one_keeps_its_rank():
    problem = from_document(parse(SMALL.replace("x: [1.0, 2.0]", "x: [[1.0, 2.0]]")
                                  .replace("y: [0.5]", "y: [[0.5]]")), "p.yaml")
    assert problem.batched and problem.x.shape == (1, 2)


def test_frozen_and_parameters():
    text = SMALL.replace("activation: identity}", "activation: identity, frozen: [bias]}")
    problem = from_document(parse(text), "p.yaml")
    assert problem.model.trainable_names() == ["W1"]
    bad = SMALL.replace("bias: [0.3], activation: identity}",
                        "activation: identity, frozen: [bias]}")
    assert error(bad) == ("p.yaml: layers[0].frozen[0]: found bias, expected weights only: "
                          "layer 1 has no bias")


def test_slope_belongs_to_leaky_relu():
    assert error(SMALL.replace("activation: identity}", "activation: relu, slope: 0.2}")) == \
        "p.yaml: layers[0].slope: found slope on a relu layer, expected it only with leaky_relu"
    text = SMALL.replace("activation: identity}", "activation: leaky_relu, slope: 0.2}")
    assert from_document(parse(text), "p.yaml").model.layers[0].param == 0.2


def test_optimizer_override_drops_state():
    text = SMALL + "optimizer: {name: sgd, lr: 0.5, momentum: 0.9, state: " \
                   "{W1: {momentum_buffer: [[1, 1]]}, b1: {momentum_buffer: [2]}}}\n"
    problem = from_document(parse(text), "p.yaml")
    assert problem.state["b1"]["momentum_buffer"].tolist() == [2.0]
    same = problem.with_optimizer(None, 0.1)
    assert same.hyper["lr"] == 0.1 and same.hyper["momentum"] == 0.9 and same.state
    other = problem.with_optimizer("adam", None)
    assert other.state == {} and other.hyper["lr"] == 1.0 and other.hyper["betas"] == (0.9, 0.999)


def test_state_must_fit_the_optimizer():
    text = SMALL + "optimizer: {name: adam, state: {W1: {step: 1, exp_avg: [[1, 1]]}}}\n"
    assert error(text) == ("p.yaml: optimizer.state.W1: found step, exp_avg, expected step, "
                           "exp_avg, exp_avg_sq for adam with these settings")


def test_classic_file_loads_as_float64():
    problem = load(str(CLASSIC))
    assert all(v.dtype == np.float64 for v in problem.params.values())
    assert problem.x.dtype == np.float64 and problem.y.dtype == np.float64


def test_updated_document_round_trips_through_yaml():
    problem = load(str(CLASSIC))
    text = documents.dump_yaml(updated_document(problem, problem.params, {}))
    again = from_document(documents.parse("p.yaml", text.encode()), "p.yaml")
    for name, value in problem.params.items():
        assert np.array_equal(again.params[name], value)
    assert Path(CLASSIC).read_text() != text  # rewritten, not copied
