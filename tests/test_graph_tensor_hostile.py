"""Bad input for `backprop graph` with vectors and matrices, issue 23's "Bad input": each
is one line `Error: <source>: <place>: found ..., expected ...` on standard error, exit 2,
nothing on standard output, no traceback, and the same message from the command line,
from an exercise file (its place names the key: values.W[1], upstream) and from the
Python API (bp.graph raises it). Messages the engine should word otherwise are written
as proposed and marked xfail (strict) with the reason."""

import json

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import backprop_cli as bp
from backprop_cli.cli import cli
from backprop_cli.errors import ProblemError, UsageError

W = [[1, 2], [3, 4]]
X = [1, -1]
Z = [[1, 2, 3], [1, 2, 3]]
FUNCTIONS = "exp, log, sqrt, log10, sin, cos, square, sigmoid, tanh, relu, abs, max, min, " \
            "sum, mean, dot, norm, softmax, log_softmax, cross_entropy"


def col(n: int) -> tuple:
    """Where: column n of the expression."""
    return ("column", n)


def entry(name: str, index: str = "") -> tuple:
    """Where: an input's value (index: the entry, [1][0]), or 'upstream' for the
    upstream gradient as written."""
    return ("value", name, index)


SEED = ("seed",)  # the upstream gradient against the output's shape
NOWHERE = ("nowhere",)  # the exercise as a whole

# (expression, values, upstream, where, message): the same message on the command line
# (values as their Python repr), in an exercise file and through bp.graph
CASES = [
    # shapes that do not match, with both shapes and the operator
    ("sum(W + x)", {"W": W, "x": [1, 2, 3]}, None, col(7),
     "found shapes (2, 2) and (3,) in +, expected shapes that broadcast (equal sizes, or 1, "
     "in each dimension from the last)"),
    ("sum(W * x)", {"W": W, "x": [[1, 2, 3]]}, None, col(7),
     "found shapes (2, 2) and (1, 3) in *, expected shapes that broadcast (equal sizes, or 1, "
     "in each dimension from the last)"),
    ("sum(max(a, b))", {"a": [1, 2], "b": [1, 2, 3]}, None, col(5),
     "found shapes (2,) and (3,) in max, expected shapes that broadcast (equal sizes, or 1, "
     "in each dimension from the last)"),
    ("sum(W @ x)", {"W": W, "x": [1, 2, 3]}, None, col(7),
     "found shapes (2, 2) @ (3,), whose inner sizes differ (2 and 3), expected as many "
     "columns on the left as rows on the right"),
    ("sum(W @ W.T @ V)", {"W": W, "V": [[1, 2, 3]]}, None, col(13),
     "found shapes (2, 2) @ (1, 3), whose inner sizes differ (2 and 1), expected as many "
     "columns on the left as rows on the right"),
    ("dot(a, b)", {"a": [1, 2], "b": [1, 2, 3]}, None, col(1),
     "found dot of shapes (2,) and (3,), expected two vectors of the same length (A @ B "
     "multiplies matrices)"),
    # @ with a scalar
    ("sum(W @ s)", {"W": W, "s": 2}, None, col(7),
     "found @ with a scalar (shapes (2, 2) and ()), expected vectors or matrices on both "
     "sides (* multiplies by a scalar)"),
    ("sum(2 @ W)", {"W": W}, None, col(7),
     "found @ with a scalar (shapes () and (2, 2)), expected vectors or matrices on both "
     "sides (* multiplies by a scalar)"),
    # an axis out of range, or no axis to take
    ("sum(W, axis=2)", {"W": W}, None, col(1),
     "found axis=2 in sum(...) of shape (2, 2), expected an axis from -2 to 1"),
    ("sum(mean(x, -2))", {"x": X}, None, col(5),
     "found axis=-2 in mean(...) of shape (2,), expected an axis from -1 to 0"),
    ("sum(softmax(x, dim=1))", {"x": X}, None, col(5),
     "found axis=1 in softmax(...) of shape (2,), expected an axis from -1 to 0"),
    ("x.max(axis=0) * 2", {"x": 3}, None, col(1),
     "found axis=0 in max(...) of a scalar, which has no axes, expected a vector or a matrix"),
    # softmax of a scalar
    ("softmax(s) * 2", {"s": 2}, None, col(1),
     "found softmax of a scalar, expected a vector or a matrix (the softmax of one number "
     "is 1)"),
    ("sum(log_softmax(sum(x)))", {"x": X}, None, col(5),
     "found log_softmax of a scalar, expected a vector or a matrix (the softmax of one "
     "number is 1)"),
    # a target index outside the classes, or a target of the wrong shape
    ("cross_entropy(z, t)", {"z": [1, 2, 3], "t": 3}, None, col(1),
     "found the class 3 in cross_entropy, expected a class index from 0 to 2"),
    ("cross_entropy(z, t)", {"z": Z, "t": [0, -1]}, None, col(1),
     "found the class -1 at [1] in cross_entropy, expected a class index from 0 to 2"),
    ("cross_entropy(z, t)", {"z": Z, "t": [0, 1, 2]}, None, col(1),
     "found a target of shape (3,) for logits of shape (2, 3), expected class indices of "
     "shape (2,) or one-hot rows of shape (2, 3)"),
    ("cross_entropy(z, t)", {"z": [1, 2], "t": [0]}, None, col(1),
     "found a target of shape (1,) for logits of shape (2,), expected a class index or "
     "one-hot rows of shape (2,)"),
    ("cross_entropy(z, t)", {"z": 1.5, "t": 0}, None, col(1),
     "found cross_entropy of logits of shape (), expected logits as a vector (K,) or a "
     "matrix (N, K)"),
    ("cross_entropy(z, t)", {"z": [[[1, 2], [3, 4]]], "t": 0}, None, entry("z", "[0][0]"),
     "found a list of 2, expected a number: values have at most two dimensions (a vector "
     "or a matrix)"),
    # the upstream gradient: of the wrong shape, or missing for a result that is no scalar
    ("W @ x", {"W": W, "x": X}, [1, 2, 3], SEED,
     "found an upstream gradient of shape (3,), expected the shape of f, (2,)"),
    ("W @ x", {"W": W, "x": X}, [[1, 2]], SEED,
     "found an upstream gradient of shape (1, 2), expected the shape of f, (2,)"),
    ("sum(W @ x)", {"W": W, "x": X}, [1, 2], SEED,
     "found an upstream gradient of shape (2,), expected the shape of f, ()"),
    ("W @ x", {"W": W, "x": X}, None, NOWHERE,
     "found f of shape (2,), expected a scalar result, or the upstream gradient ∂L/∂f in that "
     "shape (--upstream, upstream: in an exercise file, upstream= in Python)"),
    ("W @ x", {"W": W, "x": X}, [[1], [2, 3]], entry("upstream", "[1]"),
     "found a row of 2 numbers, expected 1 like row 0"),
    # x**y with x <= 0 and y not an integer: the entry is named
    ("sum(x ** y)", {"x": [1, -2], "y": [0.5, 0.5]}, None, col(7),
     "found (-2) ** 0.5 at [1], a negative base with a fractional exponent, expected a base "
     "of 0 or more"),
    ("sum(x ** 0.5)", {"x": [[1, 2], [3, -2]]}, None, col(7),
     "found (-2) ** 0.5 at [1, 1], a negative base with a fractional exponent, expected a "
     "base of 0 or more"),
    ("sum(x ** y)", {"x": [[4, 0]], "y": [0.5, -1.5]}, None, col(7),
     "found 0 ** (-1.5) at [0, 1], a division by zero, expected a base other than 0"),
    ("sum(x ** y)", {"x": [1, -2], "y": 2}, None, col(7),
     "found (-2) ** 2 at [1] with a variable exponent, whose derivative x**y·ln(x) needs the "
     "ln of a negative number, expected a base of 0 or more"),
    # names that collide with functions: assigned, or as an input
    ("sum = W @ x; f = sum(sum)", {"W": W, "x": X}, None, col(1),
     "found the function name sum assigned, expected another name"),
    ("dot = x * 2; f = dot(dot, x)", {"x": X}, None, col(1),
     "found the function name dot assigned, expected another name"),
    ("sum(x) + norm", {"x": X, "norm": 1}, None, col(10),
     "found the function norm without arguments, expected norm(...), or another name for "
     "an input"),
    ("sum(softmax * x)", {"x": X, "softmax": 2}, None, col(5),
     "found the function softmax without arguments, expected softmax(...), or another name "
     "for an input"),
    ("sum(np * x)", {"x": X, "np": 2}, None, col(5),
     "found np on its own, expected np.exp(...) or another of its functions, or another name "
     "for an input"),
    # values that are no vector or matrix
    ("sum(W)", {"W": [[1, 2], [3]]}, None, entry("W", "[1]"),
     "found a row of 1 number, expected 2 like row 0"),
    ("sum(W)", {"W": [[1, 2], 3]}, None, entry("W", "[1]"),
     "found 3 among rows, expected a row like row 0 (a list of 2 numbers)"),
    ("sum(W)", {"W": [1, [2, 3]]}, None, entry("W", "[1]"),
     "found a list of 2, expected a number: a vector's entries are numbers"),
    ("sum(W)", {"W": [[1, 2], [3, [4]]]}, None, entry("W", "[1][1]"),
     "found a list of 1, expected a number: values have at most two dimensions (a vector or "
     "a matrix)"),
    ("sum(W)", {"W": []}, None, entry("W"),
     "found an empty list, expected numbers in it, like [1, -2] or [[1, 2], [3, 4]]"),
    ("sum(W)", {"W": [[1], []]}, None, entry("W", "[1]"), "found an empty row, expected numbers"),
    # axes and keywords
    ("sum(W, axis=1.5)", {"W": W}, None, col(13),
     "found the axis '1.5' in sum(...), expected a whole number like 0, 1 or -1"),
    ("sum(W, axis=x)", {"W": W, "x": 1}, None, col(13),
     "found the axis 'x' in sum(...), expected a whole number like 0, 1 or -1"),
    ("sum(W, 1e300)", {"W": W}, None, col(8),
     "found the axis '1e300' in sum(...), expected a whole number like 0, 1 or -1"),
    ("sum(W, axis=0, dim=1)", {"W": W}, None, col(16),
     "found a second axis in sum(...), expected one"),
    ("sum(W, 0, 1)", {"W": W}, None, col(1),
     "found sum with 3 arguments, expected 1, or 2 with the axis"),
    ("W.sum(0, 1)", {"W": W}, None, col(1),
     "found .sum() with 2 arguments, expected 0, or 1 with the axis"),
    ("sum(exp(W) / sum(exp(W), axis=1, keepdims=True))", {"W": W}, None, col(34),
     "found the keyword argument 'keepdims=True' in sum(...), expected axis=k (or dim=k) "
     "alone: the axis is dropped (keepdims is not read; softmax(z, axis=k) normalises along "
     "an axis)"),
    ("softmax(W, axis=0, dtype=1).sum()", {"W": W}, None, col(20),
     "found the keyword argument 'dtype=1' in softmax(...), expected axis=k (or dim=k)"),
    ("norm(W, ord=2)", {"W": W}, None, col(9),
     "found the keyword argument 'ord=2' in norm(...), expected norm(x) alone, the Euclidean "
     "norm of every entry"),
    ("cross_entropy(z, t, reduction=1)", {"z": [1, 2], "t": 0}, None, col(21),
     "found the keyword argument 'reduction=1' in cross_entropy(...), expected plain "
     "arguments"),
    ("sum(max(a, b, axis=0))", {"a": W, "b": W}, None, col(5),
     "found max(a, b, axis=...), expected axis= with one argument (max(x, axis=0)): max(a, "
     "b) compares entry by entry"),
    # x.max(0): an axis to NumPy and torch, max(x, 0) entry by entry here: both offered
    ("sum(W.max(0))", {"W": W}, None, col(5),
     "found 'W.max(0)', whose 0 NumPy and torch read as an axis, expected max(W, axis=0) "
     "along an axis, or max(W, 0) entry by entry"),
    ("sum(np.min(W, -1))", {"W": W}, None, col(5),
     "found 'np.min(W, -1)', whose -1 NumPy and torch read as an axis, expected min(W, "
     "axis=-1) along an axis, or min(W, -1) entry by entry"),
    ("max(a, axis=0, b)", {"a": W, "b": W}, None, col(17),
     "found a plain argument after a keyword argument, expected the keyword arguments last "
     "(max(x, axis=0))"),
    # overflow at ±1e200
    ("sum(A @ B)", {"A": [[1e200, 1e200]], "B": [[1e200], [1e200]]}, None, col(7),
     "found a (1, 2) @ (2, 1) product, which overflows float64, expected results below "
     "1.8e308 in size"),
    ("sum(A @ B)", {"A": [[1e200, -1e200]], "B": [[-1e200], [1e200]]}, None, col(7),
     "found a (1, 2) @ (2, 1) product, which overflows float64, expected results below "
     "1.8e308 in size"),
    ("sum(a * 1e200)", {"a": [1, 1e200]}, None, col(7),
     "found 1e+200 * 1e+200 at [1], which overflows float64, expected results below 1.8e308 "
     "in size"),
    ("sum(a, axis=0)", {"a": [[1e308, 1], [1e308, 1]]}, None, col(1),
     "found the sum of a (2, 2) array, which overflows float64, expected results below "
     "1.8e308 in size"),
    ("norm(a)", {"a": [-1e200, 1e200]}, None, col(1),
     "found the norm of a (2,) array, which overflows float64, expected results below "
     "1.8e308 in size"),
    ("dot(a, a)", {"a": [1e200, 1]}, None, col(1),
     "found dot of two (2,) vectors, which overflows float64, expected results below "
     "1.8e308 in size"),
    ("mean(a)", {"a": [1e308, 1e308]}, None, col(1),
     "found the mean of a (2,) array, which overflows float64, expected results below "
     "1.8e308 in size"),
    # logits further apart than float64's range: log-probabilities of -inf
    ("log_softmax(a)", {"a": [1e308, -1e308]}, [1, 1], col(1),
     "found log_softmax of a (2,) array, which overflows float64, expected results below "
     "1.8e308 in size"),
    ("cross_entropy(a, t)", {"a": [1e308, -1e308], "t": 1}, None, col(1),
     "found cross_entropy of logits of shape (2,), which overflows float64, expected results "
     "below 1.8e308 in size"),
    ("cross_entropy(a, a)", {"a": [[0, -1e200]]}, None, col(1),
     "found cross_entropy of logits of shape (1, 2), which overflows float64, expected "
     "results below 1.8e308 in size"),
    # the libraries' spellings that are not read: what to write instead
    ("torch.mm(A, B).sum()", {"A": W, "B": W}, None, col(1),
     "found a call of 'torch.mm', expected A @ B for a matrix product"),
    ("A.mm(B).sum()", {"A": W, "B": W}, None, col(1),
     "found the method .mm(), expected A @ B for a matrix product"),
    ("sum(A @ B.t())", {"A": W, "B": W}, None, col(9),
     "found the method .t(), expected W.T for a transpose"),
    ("sum(A @ B.transpose(0, 1))", {"A": W, "B": W}, None, col(9),
     "found .transpose() with arguments, expected W.T for a transpose"),
    ("sum(A @ B.mT)", {"A": W, "B": W}, None, col(9),
     "found the attribute access 'B.mT', expected W.T for a transpose"),
    ("x.pow(2).sum()", {"x": X}, None, col(1), "found the method .pow(), expected x ** p for a "
                                                "power"),
    ("torch.pow(x, 2).sum()", {"x": X}, None, col(1),
     "found a call of 'torch.pow', expected x ** p for a power"),
    ("np.maximum(x, 0).sum()", {"x": X}, None, col(1),
     "found a call of 'np.maximum', expected max(a, b), entry by entry"),
    ("x.clamp(min=0).sum()", {"x": X}, None, col(1),
     "found the method .clamp(), expected max(x, low) or min(x, high) (relu(x) for "
     "clamp(x, min=0))"),
    ("sum(F.softmax(z, dim=-1) * x)", {"z": X, "x": X}, None, col(5),
     "found a call of 'F.softmax', expected softmax(...): F. (torch.nn.functional) is not "
     "read"),
    ("torch.nn.functional.cross_entropy(z, t)", {"z": X, "t": 0}, None, col(1),
     "found a call of 'torch.nn.functional.cross_e...', expected cross_entropy(...): F. "
     "(torch.nn.functional) is not read"),
    ("nn.CrossEntropyLoss()(z, t)", {"z": X, "t": 0}, None, col(1),
     "found a call of 'nn.CrossEntropyLoss()', expected cross_entropy(z, t)"),
    ("F.mse_loss(y, t)", {"y": X, "t": X}, None, col(1),
     "found a call of 'F.mse_loss', expected mean((y - t) ** 2)"),
    ("torch.tensor([1.0, 2.0]) @ x", {"x": X}, None, col(1),
     "found a call of 'torch.tensor', expected an input with its value (v=[1, -2] on the "
     "command line)"),
    ("sum(x.view(2, 1))", {"x": X}, None, col(5),
     "found the method .view(), expected the value given in the shape it needs (a column as "
     "[[1], [2]])"),
    ("x.argmax()", {"x": X}, None, col(1),
     "found the method .argmax(), expected max(x) for the largest entry (an index has no "
     "gradient)"),
    ("[1, 2] @ x", {"x": X}, None, col(1),
     "found a list '[1, 2]', expected an input with its value (v=[1, -2] on the command "
     "line)"),
    ("sum(W, axis=(0, 1))", {"W": W}, None, col(13),
     "found a tuple '(0, 1)', expected numbers, input names, + - * / ** @, .T, parentheses "
     f"or the functions {FUNCTIONS}"),
]


# the same, with values the command line cannot type (it reads numbers and brackets only)
OBJECTS = [
    ("W @ x", {"W": W, "x": X}, [1, "a"], entry("upstream", "[1]"),
     "found the string 'a', expected a number"),
    ("sum(W)", {"W": [[1, 2], [3, "4"]]}, None, entry("W", "[1][1]"),
     "found the string '4', expected a number"),
    ("sum(W)", {"W": [[1, 2], [True, 4]]}, None, entry("W", "[1][0]"),
     "found the boolean true, expected a number"),
    ("sum(W)", {"W": [[1, 2], [None, 4]]}, None, entry("W", "[1][0]"),
     "found null, expected a number"),
    ("sum(W)", {"W": [1, float("nan")]}, None, entry("W", "[1]"),
     "found nan, expected a finite number"),
    ("sum(W)", {"W": [[1, 2], [float("-inf"), 4]]}, None, entry("W", "[1][0]"),
     "found -inf, expected a finite number"),
    ("sum(W)", {"W": [1, 10 ** 400]}, None, entry("W", "[1]"),
     "found a number of 401 digits, expected a finite number"),
]


def _ids(cases):
    return [f"{c[0][:40]}|{json.dumps(c[1])[:30]}" for c in cases]


def _arguments(values: dict) -> list[str]:
    return [f"{name}={value!r}" for name, value in values.items()]


def expected_line(surface: str, where: tuple, message: str, values: dict, upstream) -> str:
    """The error line (without 'Error: ') on surface 'cli', 'file' (f.yaml) or 'api'."""
    kind = where[0]
    source = "f.yaml" if surface == "file" else "expression"
    if kind == "column":
        key = "expression, " if surface == "file" else ""
        return f"{source}: {key}column {where[1]}: {message}"
    if kind == "seed":  # named as it was given: the option, the file's key, the keyword
        return {"cli": "--upstream", "file": "f.yaml: upstream", "api": "upstream"}[surface] \
            + f": {message}"
    if kind == "nowhere":
        return f"{source}: {message}"
    name, index = where[1], where[2]
    if surface == "file":
        key = "upstream" if name == "upstream" else f"values.{name}"
        return f"f.yaml: {key}{index}: {message}"
    value = repr(upstream if name == "upstream" else values[name])
    if surface == "api" and len(value) > 40:  # bp.graph names a long value W=...
        value = "..."
    shown = "--upstream" if (name, surface) == ("upstream", "cli") else \
        "upstream" if name == "upstream" else f"{name}={value}"
    return f"{shown}: {index}: {message}" if index else f"{shown}: {message}"


class _Written(yaml.SafeDumper):
    """Each value written out where it is used: exercise files take no YAML aliases."""

    def ignore_aliases(self, data):
        return True


def assert_refused(result, line: str):
    assert (result.exit_code, result.stdout) == (2, ""), result.stdout
    assert "Traceback" not in result.stderr
    assert result.stderr == f"Error: {line}\n"


@pytest.mark.parametrize(("expression", "values", "upstream", "where", "message"), CASES,
                         ids=_ids(CASES))
def test_the_command_line(run, expression, values, upstream, where, message):
    seed = [] if upstream is None else ["--upstream", repr(upstream)]
    result = run("graph", *seed, "--", expression, *_arguments(values))
    assert_refused(result, expected_line("cli", where, message, values, upstream))


@pytest.mark.parametrize(("expression", "values", "upstream", "where", "message"),
                         CASES + OBJECTS, ids=_ids(CASES + OBJECTS))
def test_an_exercise_file(run, tmp_path, monkeypatch, expression, values, upstream, where,
                          message):
    monkeypatch.chdir(tmp_path)
    doc = {"expression": expression, "values": values}
    if upstream is not None:
        doc["upstream"] = upstream
    (tmp_path / "f.yaml").write_text(yaml.dump(doc, Dumper=_Written, allow_unicode=True))
    assert_refused(run("graph", "f.yaml"), expected_line("file", where, message, values,
                                                         upstream))


@pytest.mark.parametrize(("expression", "values", "upstream", "where", "message"),
                         CASES + OBJECTS, ids=_ids(CASES + OBJECTS))
def test_the_python_api(expression, values, upstream, where, message):
    with pytest.raises(ProblemError) as e:
        bp.graph(expression, upstream=upstream, **values)
    assert str(e.value) == expected_line("api", where, message, values, upstream)


# ------------------------------------------------------------------ the command line's text

BIG = "1" + "0" * 400
# (arguments, the line after "Error: "): values as typed, which only the command line reads
TYPED = [
    (["sum(W)", "W=[1, 2"], "W=[1, 2: found a '[' that is never closed, expected a matching "
                            "']'"),
    (["sum(W)", "W=[[1, 2], [3, 4]"], "W=[[1, 2], [3, 4]: found a '[' that is never closed, "
                                      "expected a matching ']'"),
    (["sum(W)", "W=[1 2]"], "W=[1 2]: found '2' at character 4, expected ',' or ']'"),
    (["sum(W)", "W=[1, 2,]"], "W=[1, 2,]: found ']' at character 7, expected a number or '['"),
    (["sum(W)", "W=[1,,2]"], "W=[1,,2]: found ',' at character 4, expected a number or '['"),
    (["sum(W)", "W=[1, 2]]"], "W=[1, 2]]: found ']' at character 7, expected nothing after "
                              "the list's closing ']'"),
    (["sum(W)", "W=[[1, 2], [3, 4]] x"], "W=[[1, 2], [3, 4]] x: found 'x' at character 18, "
                                         "expected nothing after the list's closing ']'"),
    (["sum(W)", "W=[nan, 1]"], "W=[nan, 1]: found 'nan' at character 2, expected a number, "
                               "'[' or ']'"),
    (["sum(W)", "W=[1, inf]"], "W=[1, inf]: found 'inf' at character 5, expected a number or "
                               "'['"),
    (["sum(W)", "W=[true, 1]"], "W=[true, 1]: found 'true' at character 2, expected a number, "
                                "'[' or ']'"),
    (["sum(W)", "W=[null]"], "W=[null]: found 'null' at character 2, expected a number, '[' "
                             "or ']'"),
    (["sum(W)", 'W=["a", 1]'], "W=[\"a\", 1]: found '\"' at character 2, expected a number, "
                               "'[' or ']'"),
    (["sum(W)", "W=[1e999, 1]"], "W=[1e999, 1]: [0]: found 1e999, beyond float64's range, "
                                 "expected a finite number"),
    (["sum(W)", "W=[[1, 2], [3, -1e999]]"], "W=[[1, 2], [3, -1e999]]: [1][1]: found -1e999, "
                                            "beyond float64's range, expected a finite number"),
    (["sum(W)", f"W=[1, {BIG}]"], f"W=[1, {BIG}]: [1]: found a number of 401 digits, expected "
                                  "a finite number"),
    (["sum(W)", "W=[[[1]]]"], "W=[[[1]]]: [0][0]: found a list of 1, expected a number: values "
                              "have at most two dimensions (a vector or a matrix)"),
    (["sum(W)", "W=[]"], "W=[]: found an empty list, expected numbers in it, like [1, -2] or "
                         "[[1, 2], [3, 4]]"),
    (["sum(W)", "W={'a': 1}"], "W={'a': 1}: found \"{'a': 1}\", expected a finite number like "
                               "-2 or 0.5, or a list like [1, -2] or [[1, 2], [3, 4]]"),
    (["sum(W)", "W=(1, 2)"], "W=(1, 2): found '(1, 2)', expected a finite number like -2 or "
                             "0.5, or a list like [1, -2] or [[1, 2], [3, 4]]"),
    (["sum(x)", "x=" + "1" * 5000], "x=" + "1" * 5000 + ": found a number of 5000 digits, "
                                    "expected a finite number"),
    (["--upstream", "[1, 2", "W @ x", "W=[[1, 2], [3, 4]]", "x=[1, -1]"],
     "--upstream: found a '[' that is never closed, expected a matching ']'"),
    (["--upstream", "[1, nan]", "W @ x", "W=[[1, 2], [3, 4]]", "x=[1, -1]"],
     "--upstream: found 'nan' at character 5, expected a number or '['"),
    (["--upstream", "abc", "W @ x", "W=[[1, 2], [3, 4]]", "x=[1, -1]"],
     "--upstream: found 'abc', expected a finite number like -2 or 0.5, or a list like "
     "[1, -2] or [[1, 2], [3, 4]]"),
    (["--upstream", "[[1, 2], [3]]", "W @ x", "W=[[1, 2], [3, 4]]", "x=[1, -1]"],
     "--upstream: [1]: found a row of 1 number, expected 2 like row 0"),
]


@pytest.mark.parametrize(("args", "line"), TYPED, ids=[" ".join(a)[:50] for a, _ in TYPED])
def test_values_as_typed(run, args, line):
    assert_refused(run("graph", *args), line)


def test_typed_lists_read_as_the_expression_writes_numbers(run):
    """1., .5, +2, 2e-3 and a typeset minus, as the expression and a lone value take them."""
    doc = json.loads(run("graph", "sum(W * x)", "W=[[1., .5], [+2, 2e-3]]", "x=[\u22121, 2]",
                         "--format", "json").stdout)
    assert doc["value"] == pytest.approx(-1 + 1 - 2 + 0.004, rel=1e-15)
    deep = "[" * 10_000 + "1" + "]" * 10_000  # read without recursion
    assert_refused(run("graph", "sum(W)", f"W={deep}"),
                   f"W={deep}: [0][0]: found a list of 1, expected a number: values have at "
                   "most two dimensions (a vector or a matrix)")


# ------------------------------------------------------------------ a file's own values

# (the file's lines after the expression, the line after "Error: ")
IN_FILES = [
    ("values: {W: '[[1, 2], [3, 4]]'}\n",
     "f.yaml: values.W: found the string '[[1, 2], [3, 4]]', expected the list itself, "
     "without quotes"),
    ("values: {W: [[1, 2], [3, .nan]]}\n",
     "f.yaml: values.W[1][1]: found nan, expected a finite number"),
    ("values: {W: [[1, 2], [3, -.inf]]}\n",
     "f.yaml: values.W[1][1]: found -inf, expected a finite number"),
    ("values: {W: [[1, 2], [3, null]]}\n",
     "f.yaml: values.W[1][1]: found null, expected a number"),
    ("values: {W: [[1, 2], [true, 4]]}\n",
     "f.yaml: values.W[1][0]: found the boolean true, expected a number"),
    ("values: {W: [[1, 2], [3, four]]}\n",
     "f.yaml: values.W[1][1]: found the string 'four', expected a number"),
    ("values: {W: [[1, 2], [3, {a: 1}]]}\n",
     "f.yaml: values.W[1][1]: found a mapping, expected a number"),
    (f"values: {{W: [[1, 2], [3, {BIG}]]}}\n",
     "f.yaml: values.W[1][1]: found a number of 401 digits, expected a finite number"),
    ("values: {W: [[1, 2], [3, 4]]}\nupstream: '[1, 2]'\n",
     "f.yaml: upstream: found the string '[1, 2]', expected the list itself, without quotes"),
    ("values: {W: [[1, 2], [3, 4]]}\nupstream: [1, .nan]\n",
     "f.yaml: upstream[1]: found nan, expected a finite number"),
    ("values: {W: [[1, 2], [3, 4]]}\nupstream: []\n",
     "f.yaml: upstream: found an empty list, expected numbers in it, like [1, -2] or [[1, 2], "
     "[3, 4]]"),
    ("values: {W: [[1, 2], [3, 4]]}\nupstream: {a: 1}\n",
     "f.yaml: upstream: found a mapping, expected a number"),
]


@pytest.mark.parametrize(("text", "line"), IN_FILES, ids=[t[:40] for t, _ in IN_FILES])
def test_a_files_values(run, tmp_path, monkeypatch, text, line):
    monkeypatch.chdir(tmp_path)
    values = text.replace("W: ", "x0: [1, 2], W: ")
    (tmp_path / "f.yaml").write_text("expression: W @ x0\n" + values)
    assert_refused(run("graph", "f.yaml"), line)


# ------------------------------------------------------------------ the API's own values


def test_the_apis_arrays_tuples_and_objects():
    np = pytest.importorskip("numpy")
    cases = [
        # arrays reach the reader as nested lists (api.graph_result._number)
        (np.zeros((2, 2, 2)), "W=...: [0][0]: found a list of 2, expected a number: values "
                              "have at most two dimensions (a vector or a matrix)"),
        (np.zeros((2, 0)), "W=[[], []]: [0]: found an empty row, expected numbers"),
        (((1, 2), (3,)), "W=((1, 2), (3,)): [1]: found a row of 1 number, expected 2 like row 0"),
        ([[1, 2], [3, float("nan")]], "W=[[1, 2], [3, nan]]: [1][1]: found nan, expected a "
                                      "finite number"),
        ([[1, 2], [3, float("-inf")]], "W=[[1, 2], [3, -inf]]: [1][1]: found -inf, expected a "
                                       "finite number"),
        ([[1, 2], [None, 4]], "W=[[1, 2], [None, 4]]: [1][0]: found null, expected a number"),
        ([[1, 2], [3, "4"]], "W=[[1, 2], [3, '4']]: [1][1]: found the string '4', expected a "
                             "number"),
        ([[1, 2], [3, 1j]], "W=[[1, 2], [3, 1j]]: [1][1]: found a complex, expected a number"),
        ("[[1, 2], [3, 4]]", "W='[[1, 2], [3, 4]]': found the string '[[1, 2], [3, 4]]', "
                             "expected the list itself, without quotes"),
        # beyond the 4300 digits Python writes out
        (10 ** 5000, "W=...: found a number of 5001 digits, expected a finite number"),
        ([[1, 2], [3, -10 ** 5000]], "W=...: [1][1]: found a number of 5001 digits, expected "
                                     "a finite number"),
    ]
    for value, line in cases:
        with pytest.raises(ProblemError) as e:
            bp.graph("sum(W)", W=value)
        assert str(e.value) == line
    with pytest.raises(ProblemError) as e:
        bp.graph("W @ x", W=W, x=X, upstream=[1, float("nan")])
    assert str(e.value) == "upstream: [1]: found nan, expected a finite number"


def test_upstream_with_an_exercise_file_through_the_api(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text(yaml.safe_dump({"expression": "W @ x", "values": {"W": W, "x": X},
                                    "upstream": [1, 0]}))
    assert bp.graph(path).value.tolist() == [-1.0, -1.0]  # (1·1 + 2·-1, 3·1 + 4·-1)
    with pytest.raises(UsageError) as e:
        bp.graph(path, upstream=[1, 0])
    assert str(e.value) == "upstream=...: found a value after an exercise file, expected " \
                           "values only with an expression (a file gives its own values)"


# ------------------------------------------------------------------ wordings the review chose


@pytest.mark.parametrize(("expression", "values", "line"), [
    ("sum(x ** y)", ["x=[1, -2]", "y=[0.5, 0.5]"],
     "column 7: found (-2) ** 0.5 at [1], a negative base with a fractional exponent, "
     "expected a base of 0 or more"),
    ("sum(x ** y)", ["x=[1, -2]", "y=2"],
     "column 7: found (-2) ** 2 at [1] with a variable exponent, whose derivative "
     "x**y·ln(x) needs the ln of a negative number, expected a base of 0 or more"),
    ("sum(exp(x))", ["x=[1, 1000]"],
     "column 5: found exp(1000) at [1], which overflows float64, expected results below "
     "1.8e308 in size"),
])
def test_proposed_the_entry_beside_its_operation(run, expression, values, line):
    assert_refused(run("graph", expression, *values), f"expression: {line}")


def test_proposed_dot_of_matrices_says_what_to_write(run):
    assert_refused(run("graph", "np.dot(A, B).sum()", "A=[[1, 2], [3, 4]]",
                       "B=[[1, 2], [3, 4]]"),
                   "expression: column 1: found dot of shapes (2, 2) and (2, 2), expected two "
                   "vectors of the same length (A @ B multiplies matrices)")


def test_proposed_a_wrong_upstream_names_the_option(run):
    assert_refused(run("graph", "--upstream", "[1, 2, 3]", "W @ x", "W=[[1, 2], [3, 4]]",
                       "x=[1, -1]"),
                   "--upstream: found an upstream gradient of shape (3,), expected the shape "
                   "of f, (2,)")


def test_proposed_upstream_with_an_exercise_file(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.yaml").write_text(yaml.safe_dump({"expression": "W @ x",
                                                     "values": {"W": W, "x": X}}))
    assert_refused(run("graph", "--upstream", "[1, 0]", "f.yaml"),
                   "--upstream: found a value after an exercise file, expected --upstream "
                   "only with an expression (a file gives its own: upstream: in the file)")


# ------------------------------------------------------------------ fuzz

NAMES = ("a", "b", "W")
UNARY = ("exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sum", "mean", "norm",
         "softmax", "log_softmax", "max", "min", "square", "sin")
BINARY = ("+", "-", "*", "/", "**", "@")
CALLS2 = ("max", "min", "dot", "cross_entropy")


def _expressions():
    leaf = st.sampled_from(NAMES * 3 + ("2", "0.5", "-1"))

    def grow(inner):
        return st.one_of(
            st.tuples(inner, st.sampled_from(BINARY), inner).map(
                lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(UNARY), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(("sum", "mean", "softmax", "max")), inner,
                      st.sampled_from(("axis=0", "axis=-1", "1", "dim=2"))).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(st.sampled_from(CALLS2), inner, inner).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            st.tuples(inner, st.sampled_from(("0", "1", "b"))).map(
                lambda t: f"cross_entropy({t[0]}, {t[1]})"),
            inner.map(lambda e: f"({e}).T"),
        )
    return st.recursive(leaf, grow, max_leaves=6)


_number = st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -0.5, 1e200, -1e200, 1e308,
                                                          -1e308, 1e-300, 5e-324]))
_value = st.one_of(
    _number,
    st.integers(1, 3).flatmap(lambda n: st.lists(_number, min_size=n, max_size=n)),
    st.tuples(st.integers(1, 3), st.integers(1, 3)).flatmap(
        lambda s: st.lists(st.lists(_number, min_size=s[1], max_size=s[1]), min_size=s[0],
                           max_size=s[0])),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_expressions(), st.fixed_dictionaries({n: _value for n in NAMES}),
       st.one_of(st.none(), st.none(), _value))
def test_any_tensor_expression_exits_0_or_2(expression, values, upstream):
    """Random expressions of vectors and matrices, values and upstream gradients through
    the command line: a document or one line of error, never a traceback."""
    words = set(expression.replace("(", " ").replace(")", " ").replace(",", " ")
                .replace(".", " ").split())
    used = [f"{n}={json.dumps(v)}" for n, v in values.items() if n in words]
    seed = [] if upstream is None else ["--upstream", json.dumps(upstream)]
    result = CliRunner().invoke(cli, ["graph", "--format", "json", *seed, "--", expression,
                                      *used], catch_exceptions=False)
    assert result.exit_code in (0, 2), result.output
    if result.exit_code == 2:
        assert result.stdout == ""
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    else:
        json.loads(result.stdout)


def test_max_with_a_number_is_entry_by_entry_and_an_axis_is_a_keyword(run):
    """max(W, 0) and W.max(y) compare entry by entry (torch.maximum); max(W, axis=0) and
    W.max(dim=0) reduce (torch.amax): NumPy's numbers are the oracle."""
    np = pytest.importorskip("numpy")
    w = np.array([[1.0, -2.0], [3.0, 4.0]])

    def value(*args):
        result = run("graph", *args, "W=[[1, -2], [3, 4]]", "--get", "value")
        assert result.exit_code == 0, result.stderr
        return float(result.stdout)

    assert value("sum(max(W, 0))") == np.maximum(w, 0).sum()
    assert value("sum(W.max(0.5))") == np.maximum(w, 0.5).sum()
    assert value("sum(W.max(axis=0))") == w.max(axis=0).sum()
    assert value("sum(np.max(W, dim=1))") == w.max(axis=1).sum()
