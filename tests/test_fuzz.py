"""Property tests through the command line.

(a) Random mutations of valid problem files (deleted and renamed keys, changed shapes,
    wrong types, huge and non-finite numbers, garbage bytes, truncation, stray unicode)
    never give a traceback: the exit status is 0 or 2 (1 only from `check`, as a finding),
    and a failure is exactly one `Error: ` line on stderr.
(b) Random valid problems of every shape, activation, loss, reduction, layout and batch
    solve with exit 0, and their JSON holds only finite numbers (and the one null the
    contract allows, in gradients.h{L}).

Both are derandomized (the same examples on every run, so CI cannot flake) and small
enough to run in a few seconds; raise FUZZ_EXAMPLES to search harder locally.
"""

import copy
import json
import math
import os
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from helpers import PROBLEMS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from backprop_cli.cli import cli
from backprop_cli.engine import optimizers
from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.problem import documents

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
FUZZ = settings(max_examples=EXAMPLES or 200, deadline=None, derandomize=not EXAMPLES,
                suppress_health_check=list(HealthCheck), database=None)
VALID = settings(max_examples=EXAMPLES or 60, deadline=None, derandomize=not EXAMPLES,
                 suppress_health_check=list(HealthCheck), database=None)

FILES = {p.name: p.read_text() for p in sorted(PROBLEMS.glob("*.yaml"))}
NAMES = list(ACTIVATIONS)
OPTIMIZERS = ["sgd", "adagrad", "rmsprop", "adam", "adamw"]


def invoke(args, input=None):
    # catch_exceptions=False: an exception escaping the command fails the test right here
    return CliRunner().invoke(cli, [str(a) for a in args], input=input,
                              catch_exceptions=False)


def strict_json(text):
    def refuse(name):
        raise AssertionError(f"JSON output holds {name}")

    return json.loads(text, parse_constant=refuse)


# ------------------------------------------------------------ valid problems


@st.composite
def valid_problems(draw):
    """A problem document that the contract accepts, of random shape and kind."""
    loss = draw(st.sampled_from(list(LOSSES)))
    depth = draw(st.integers(1, 3))
    sizes = draw(st.lists(st.integers(1, 4), min_size=depth + 1, max_size=depth + 1))
    layout = draw(st.sampled_from(["out_in", "in_out"]))
    batch = draw(st.one_of(st.none(), st.integers(1, 3)))
    n = batch or 1
    number = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 6))

    def matrix(rows, cols):
        return [draw(st.lists(number, min_size=cols, max_size=cols)) for _ in range(rows)]

    x = matrix(n, sizes[0])
    layers = []
    for l in range(1, depth + 1):
        if l == depth and LOSSES[loss].output:
            activation = LOSSES[loss].output
        else:
            activation = draw(st.sampled_from(NAMES))
        W = matrix(sizes[l], sizes[l - 1])
        layer = {"weights": [list(r) for r in zip(*W)] if layout == "in_out" else W}
        if draw(st.booleans()) or l == 1:
            layer["bias"] = draw(st.lists(number, min_size=sizes[l], max_size=sizes[l]))
        layer["activation"] = activation
        param = ACTIVATIONS[activation].param
        if param and draw(st.booleans()):
            layer[param] = round(draw(st.floats(0.01, 2)), 3)
        frozen = draw(st.sampled_from([[], ["weights"], ["bias"], ["weights", "bias"]]))
        if "bias" not in layer:
            frozen = [f for f in frozen if f != "bias"]
        if frozen:
            layer["frozen"] = frozen
        layers.append(layer)
    k = sizes[-1]
    if loss == "cross_entropy" and draw(st.booleans()):
        idx = draw(st.lists(st.integers(0, k - 1), min_size=n, max_size=n))
        y = idx if batch else idx[0]
    else:
        if loss == "bce":
            target = st.floats(0, 1).map(lambda v: round(v, 4))
        elif loss == "cross_entropy":
            target = st.sampled_from([0.0, 1.0, 0.25, 0.5])
        else:
            target = number
        rows = [draw(st.lists(target, min_size=k, max_size=k)) for _ in range(n)]
        y = rows if batch else rows[0]
    title = st.text(st.characters(categories=("L", "N", "P", "S", "Zs")), max_size=20)
    doc = {"title": draw(title),
           "x": x if batch else x[0], "y": y, "loss": loss, "layers": layers}
    if draw(st.booleans()):
        # upstream's y is ∂L/∂ŷ: its loss is a sum, the only reduction it takes
        doc["reduction"] = "sum" if loss == "upstream" else draw(st.sampled_from(["mean",
                                                                                   "sum"]))
    if layout == "in_out" or draw(st.booleans()):
        doc["layout"] = layout
    name = draw(st.sampled_from(OPTIMIZERS))
    optimizer = {"name": name, "lr": round(draw(st.floats(0.001, 1)), 4)}
    if name in ("sgd", "rmsprop") and draw(st.booleans()):
        optimizer["momentum"] = 0.9
    if name in ("adam", "adamw") and draw(st.booleans()):
        optimizer["amsgrad"] = True
    if draw(st.booleans()):
        optimizer["weight_decay"] = 0.01
    if draw(st.booleans()):  # a state, as a chain of `step`s writes it
        keys = optimizers.state_keys(name, optimizers.hyperparameters(name, dict(
            (k, v) for k, v in optimizer.items() if k != "name")))
        state = {}
        for l, layer in enumerate(layers, 1):
            frozen = layer.get("frozen", [])
            for pname, key in ((f"W{l}", "weights"), (f"b{l}", "bias")):
                if key in layer and key not in frozen and keys:
                    value = layer[key]
                    square = st.floats(0, 4).map(lambda v: round(v, 5))
                    state[pname] = {
                        k: draw(st.integers(1, 5)) if k == "step" else
                        [[draw(square) for _ in r] for r in value] if key == "weights" else
                        [draw(square) for _ in value] for k in keys}
        if state:
            optimizer["state"] = state
    doc["optimizer"] = optimizer
    return doc


def dump(doc, kind):
    if kind == "json":
        return json.dumps(doc)
    return documents.dump_yaml(doc)  # the project's own writer, as `step` writes files


def check_finite(value, path="", allow_null=()):
    """Every number in a JSON document is finite; null only at the dotted keys in
    allow_null (list positions are not part of the path)."""
    if value is None:
        assert path in allow_null, f"null at {path}"
    elif isinstance(value, bool):
        pass
    elif isinstance(value, (int, float)):
        assert math.isfinite(value), f"{value} at {path}"
    elif isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, f"{path}.{key}" if path else key, allow_null)
    elif isinstance(value, list):
        for item in value:
            check_finite(item, path, allow_null)


@VALID
@given(doc=valid_problems(), kind=st.sampled_from(["yaml", "json"]))
def test_valid_problems_solve_to_finite_json(doc, kind):
    text = dump(doc, kind)
    result = invoke(["solve", "-", "--format", "json"], input=text)
    assert result.exit_code == 0, result.stderr
    out = strict_json(result.stdout)
    last = f"gradients.h{len(doc['layers'])}"
    check_finite(out, allow_null=(last,))
    assert set(out["gradients"]) >= {f"W{len(doc['layers'])}", f"h{len(doc['layers'])}"}


@VALID
@given(doc=valid_problems())
def test_valid_problems_step_and_chain(doc):
    text = dump(doc, "yaml")
    report = invoke(["step", "-", "--steps", "2", "--format", "json"], input=text)
    assert report.exit_code == 0, report.stderr
    check_finite(strict_json(report.stdout))
    once = invoke(["step", "-"], input=text)
    assert once.exit_code == 0, once.stderr
    twice = invoke(["step", "-", "--format", "json"], input=once.stdout)
    assert twice.exit_code == 0, twice.stderr
    assert strict_json(twice.stdout)["parameters"] == strict_json(report.stdout)["parameters"]


# ------------------------------------------------------------ mutations

WRONG = ["text", "", True, False, None, {}, {"k": 1}, [], [[]], [[1.0]], [1, [2]], 1e400,
         -1e400, float("nan"), 1e300, -1e300, 10**400, 2**70, -1, 0, 0.5, 3, "1:30", "010",
         "0x1F", "sigmoyd", "bias", "adam", "adagrad", "rmsprop", "\u202e", "\x00", "é" * 3]


def paths(value, prefix=()):
    """Every (container, key) in a document, depth first."""
    if isinstance(value, dict):
        for key in list(value):
            yield value, key
            yield from paths(value[key], prefix + (key,))
    elif isinstance(value, list):
        for i in range(len(value)):
            yield value, i
            yield from paths(value[i], prefix + (i,))


def mutate(doc, draw):
    places = list(paths(doc))
    if not places:
        return doc
    container, key = places[draw(st.integers(0, len(places) - 1))]
    value = container[key]
    op = draw(st.sampled_from(["delete", "wrong", "wrong", "rename", "grow", "shrink",
                               "transpose", "number"]))
    if op == "delete":
        del container[key]
    elif op == "wrong":
        container[key] = copy.deepcopy(draw(st.sampled_from(WRONG)))
    elif op == "rename" and isinstance(container, dict):
        new = draw(st.sampled_from([str(key) + "s", str(key)[:-1], str(key).upper(),
                                    str(key).replace("_", "-"), "extra"]))
        container[new] = container.pop(key)
    elif op == "grow" and isinstance(value, list) and value:
        if all(isinstance(r, list) and r for r in value) and draw(st.booleans()):
            for r in value:
                r.append(copy.deepcopy(r[-1]))  # a column more
        else:
            value.append(copy.deepcopy(value[-1]))  # a row more
    elif op == "shrink" and isinstance(value, list) and value:
        if all(isinstance(r, list) and r for r in value) and draw(st.booleans()):
            for r in value:
                r.pop()
        else:
            value.pop()
    elif op == "transpose" and isinstance(value, list) and value and \
            all(isinstance(r, list) for r in value) and len({len(r) for r in value}) == 1:
        container[key] = [list(c) for c in zip(*value)]
    else:  # an extreme or odd number in place of whatever was there
        container[key] = draw(st.one_of(
            st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
            st.sampled_from([1e308, -1e308, 5e-324, 1000.0, -1000.0, 40.0, 1e20])))
    return doc


@st.composite
def mutated_files(draw):
    """(bytes, file kind) of a valid problem after a few random mutations."""
    if draw(st.booleans()):
        doc = yaml.safe_load(FILES[draw(st.sampled_from(sorted(FILES)))])
    else:
        doc = draw(valid_problems())
    for _ in range(draw(st.integers(1, 3))):
        doc = mutate(doc, draw)
    kind = draw(st.sampled_from(["yaml", "yaml", "json"]))
    try:
        data = dump(doc, kind).encode("utf-8", "surrogatepass")
    except (ValueError, TypeError, OverflowError):  # something even the dumper refuses
        data = repr(doc).encode()
    for _ in range(draw(st.integers(0, 2))):
        at = draw(st.integers(0, len(data)))
        how = draw(st.sampled_from(["garbage", "truncate", "unicode", "delete"]))
        if how == "garbage":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:]
        elif how == "truncate":
            data = data[:at]
        elif how == "unicode":
            data = data[:at] + draw(st.text(min_size=1, max_size=4)).encode(
                "utf-8", "surrogatepass") + data[at:]
        else:
            data = data[:at] + data[at + draw(st.integers(1, 20)):]
    return data, kind


COMMANDS = [["solve"], ["solve", "--format", "json"], ["solve", "--format", "yaml"],
            ["solve", "--format", "markdown"], ["solve", "--format", "latex"],
            ["solve", "--format", "csv"], ["solve", "--round", "3", "--format", "json"],
            ["solve", "--get", "update.loss"], ["step", "--format", "json"], ["step"],
            ["step", "--steps", "3", "-o", "OUT"], ["step", "--format", "table"],
            ["check", "--format", "json"], ["check"]]


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@FUZZ
@given(case=mutated_files(), command=st.sampled_from(COMMANDS),
       via=st.sampled_from(["file", "stdin"]))
def test_mutated_files_never_trace_back(workdir, case, command, via):
    data, kind = case
    out = workdir / "out.yaml"
    if out.exists():
        out.unlink()
    args = [str(out) if a == "OUT" else a for a in command]
    if via == "file":
        path = workdir / f"p.{kind}"
        path.write_bytes(data)
        result = invoke([args[0], path, *args[1:]])
        source = str(path)
    else:
        result = invoke([args[0], "-", *args[1:]], input=data)
        source = "<stdin>"
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith(f"Error: {source}: ")
        assert result.stderr.endswith("\n") and result.stderr.count("\n") == 1
        assert not out.exists()  # a failed step writes nothing
        return
    assert result.exit_code == 0 or (result.exit_code == 1 and args[0] == "check"), \
        (result.exit_code, result.stderr)
    assert result.stderr == ""
    if "json" in args:
        check_finite(strict_json(result.stdout), allow_null=tuple(
            f"gradients.h{i}" for i in range(1, 10)))
    if "-o" in args:  # what step wrote reads back
        assert invoke(["solve", out, "--get", "loss"]).exit_code == 0


def test_fuzz_sources_are_valid():
    for name, text in FILES.items():
        assert invoke(["solve", "-", "--get", "loss"], input=text).exit_code == 0, name
    assert Path(PROBLEMS).is_dir()
