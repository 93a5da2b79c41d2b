"""Hostile and broken expressions through the command line: one line on stderr that says
where, what was found and what was expected; exit 2; no traceback; nothing evaluated
but the whitelisted operations."""

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.cli import cli

DEEP = 10_000

HOSTILE = [
    # (expression, NAME=VALUE arguments, the message after "Error: expression: ")
    ("__import__('os')", [], "column 1: found a call of '__import__', expected one of the "
                             "functions exp, log, sqrt, log10, sin, cos, square, sigmoid, "
                             "tanh, relu, abs, max, min, sum, mean, dot, norm, softmax, "
                             "log_softmax, cross_entropy (also np.exp, math.log, torch.tanh, "
                             "ln)"),
    ("__import__('os').system('touch pwned')", [],
     "column 1: found the method .system(), expected one of .exp(), .log(), .sqrt(), "
     ".log10(), .sin(), .cos(), .square(), .sigmoid(), .tanh(), .relu(), .abs(), .max(), "
     ".min(), .sum(), .mean(), .dot(), .norm(), .softmax(), .log_softmax(), "
     ".cross_entropy()"),
    ("os.system('ls')", [], "column 1: found the method .system(), expected one of"),
    ("np.system('ls')", [], "column 1: found a call of 'np.system', expected one of the "
                            "functions"),
    ("open('pwned', 'w')", [], "column 1: found a call of 'open', expected one of the "
                               "functions exp, log, sqrt, log10, sin, cos, square, sigmoid, "
                               "tanh, relu, abs, max, min, sum, mean, dot, norm, softmax, "
                               "log_softmax, cross_entropy (also np.exp, math.log, "
                               "torch.tanh, ln)"),
    ("x.__class__", [], "column 1: found the attribute access 'x.__class__', expected numbers"),
    ("().__class__.__bases__[0]", [], "column 1: found the subscript "
                                      "'().__class__.__bases__[0]', expected numbers"),
    ("(lambda: x)()", [], "column 1: found a call of 'lambda: x', expected one of the"),
    ("lambda x: x", [], "column 1: found a lambda 'lambda x: x', expected numbers"),
    ("[x for x in y]", [], "column 1: found a list comprehension '[x for x in y]', expected"),
    ("sum(x for x in y)", [], "column 4: found a generator expression '(x for x in y)', "
                              "expected numbers"),
    ("{x: y}", [], "column 1: found a dict '{x: y}', expected numbers"),
    ("x if y else z", [], "column 1: found the conditional expression 'x if y else z'"),
    ("x < y", [], "column 1: found the comparison 'x < y', expected numbers"),
    ("x and y", [], "column 1: found the boolean operation 'x and y', expected numbers"),
    ("'a' * x", [], "column 1: found the string 'a', expected numbers"),
    ("f'{x}'", [], "column 1: found an f-string \"f'{x}'\", expected numbers"),
    ("1j * x", [], "column 1: found the imaginary number 1j, expected numbers"),
    ("True * x", [], "column 1: found 'True', a reserved word in Python, expected another"),
    ("x // y", [], "column 3: found the operator '//', expected numbers"),
    ("x % y", [], "column 3: found the operator '%', expected numbers"),
    ("x @ y", ["x=1", "y=2"], "column 3: found @ with a scalar (shapes () and ()), expected "
                              "vectors or matrices on both sides (* multiplies by a scalar)"),
    ("~x", [], "column 1: found the operator '~x', expected numbers"),
    ("import os", [], "column 1: found the statement 'import os', expected NAME = expression, "
                      "or an expression"),
    ("x; import os", [], "column 1: found an expression that is not the last step and has "
                         "no name, expected NAME = expression"),
    ("x += 1", [], "column 1: found 'x += 1' before any x = ..., expected x = expression "
                   "first (an input is not assigned)"),
    ("(y := x) * 2", [], "column 2: found the assignment expression 'y := x', expected"),
    ("x[0]", [], "column 1: found the subscript 'x[0]', expected numbers"),
    ("x $ y", [], "column 3: found '$', expected numbers"),
    ("x +", [], "column 4: found the end of the line, expected numbers"),
    ("(x + y", [], "column 1: found '(' that is never closed, expected a matching ')'"),
    ("x – y", [], "column 3: found the character '–', expected '-'"),  # an en dash
    ("σ(x)", [], "column 1: found the character 'σ', expected sigmoid(...)"),
    ("x\x1b[31m", [], "column 2: found the control character '\\x1b', expected printable text"),
    ("x ** y", ["x=-2", "y=2"], "column 3: found (-2) ** 2 with a variable exponent, whose "
                                "derivative x**y·ln(x) needs the ln of a negative number, "
                                "expected a base of 0 or more"),
    ("max(x, y, x)", [], "column 1: found max with 3 arguments, expected 1 or 2"),
    ("exp(x, y)", [], "column 1: found exp with 2 arguments, expected 1"),
    ("max(x, y=1)", [], "column 8: found the keyword argument 'y=1' in max(...), expected "
                        "axis=k (or dim=k)"),
    ("exp(x, y=1)", [], "column 8: found the keyword argument 'y=1' in exp(...), expected "
                        "plain arguments"),
    ("sigmoid + x", [], "column 1: found the function sigmoid without arguments, expected "
                        "sigmoid(...)"),
    ("exp = x * 2; f = exp + 1", [], "column 1: found the function name exp assigned"),
    ("f = s * 2; s = x + 1", [], "column 5: found s before the step that assigns it"),
    ("s = x * 2; s = x + 1; f = s * 2", [], "column 1: found s assigned but never used"),
    ("np = x * 2; f = np + 1", [], "column 1: found the function name np assigned"),
    ("ln + x", [], "column 1: found the function ln without arguments, expected ln(...)"),
    ("x.relu(2)", [], "column 1: found .relu() with arguments, expected none"),
    ("a = x * 2; f = x + 1", [], "column 1: found a assigned but never used, expected every "
                                 "step to lead to f"),
    ("f = x", [], "column 5: found f = x, which only renames x, expected an operation"),
    ("1 + 2", [], "column 1: found f without any input (a constant), expected an expression"),
    ("", [], "found no expression, expected numbers"),
    ("1" * 5000 + " * x", [], "column 1: found a number of more than 4300 digits"),
    ("1e999 * x", [], "column 1: found the number '1e999', beyond float64's range"),
    ("(" * DEEP + "x" + ")" * DEEP, [], "column 101: found more than 100 nested parentheses, "
                                        "expected at most 100"),
    ("-" * DEEP + "x", [], "found operations nested too deeply for the parser, expected at "
                           "most 100 (name intermediate steps: s = ...; f = ...)"),
    ("+".join(["x"] * DEEP), [], "found operations nested too deeply for the parser"),
    ("+".join(["x"] * 500), [], "column 801: found operations nested more than 100 deep, "
                                "expected at most 100 (name intermediate steps"),
    ("sigmoid(" * 150 + "x" + ")" * 150, [], "column 808: found more than 100 nested "
                                             "parentheses"),
    ("x" * 200_000, [], "found an expression of 200000 characters, expected at most 100000"),
    # numbers with no finite answer
    ("2**10**10 * x", ["x=1"], "column 2: found 2 ** 10000000000, which overflows float64"),
    ("x ** 10**10", ["x=2"], "column 3: found 2 ** 10000000000, which overflows float64"),
    ("x / (y - y)", ["x=1", "y=3"], "column 3: found a division by zero (1 / 0), expected a "
                                    "divisor other than 0"),
    ("log(x)", ["x=-1"], "column 1: found log(-1), expected an argument above 0"),
    ("log(x - 1)", ["x=1"], "column 1: found log(0), expected an argument above 0"),
    ("sqrt(x)", ["x=-4"], "column 1: found sqrt(-4), expected an argument of 0 or more"),
    ("sqrt(x) * y", ["x=0", "y=1"], "column 1: found sqrt(0), whose derivative is infinite, "
                                    "expected an argument above 0"),
    ("x ** 0.5", ["x=-2"], "column 3: found (-2) ** 0.5, a negative base with a fractional "
                           "exponent, expected a base of 0 or more"),
    ("x ** -1", ["x=0"], "column 3: found 0 ** (-1), a division by zero, expected a base other "
                         "than 0"),
    ("exp(x)", ["x=1000"], "column 1: found exp(1000), which overflows float64, expected "
                           "results below 1.8e308 in size"),
    ("x * 1e308 * 10", ["x=1"], "column 11: found 1e+308 * 10, which overflows float64"),
    ("log(x) + x", ["x=1e-320"], "column 1: found log(1e-320), whose derivative overflows "
                                 "float64, expected derivatives below 1.8e308 in size"),
    ("x * 1e200 * 1e200", ["x=1e-300"], "column 3: found ∂f/∂x beyond float64's range "
                                        "(through n1), expected gradients below 1.8e308"),
    ("1 / x", ["x=1e-200"], "column 3: found 1 / 1e-200, whose derivative overflows "
                            "float64, expected derivatives below 1.8e308 in size"),
]


@pytest.mark.parametrize(("expression", "values", "message"), HOSTILE,
                         ids=[repr(h[0][:30]) for h in HOSTILE])
def test_hostile_expressions(run, tmp_path, monkeypatch, expression, values, message):
    monkeypatch.chdir(tmp_path)
    result = run("graph", "--", expression, *values)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"Error: expression: {message}")
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "\x1b" not in result.stderr
    assert not (tmp_path / "pwned").exists()


@pytest.mark.parametrize("fmt", ["table", "json", "markdown", "latex", "csv"])
def test_every_format_fails_the_same_way(run, fmt):
    result = run("graph", "log(x)", "x=0", "--format", fmt)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == "Error: expression: column 1: found log(0), expected an " \
                            "argument above 0\n"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.lists(st.from_regex(r"[xyz]=-?[0-9]{1,3}", fullmatch=True),
                                      max_size=3))
def test_any_arguments_exit_0_or_2(expression, values):
    result = CliRunner().invoke(cli, ["graph", "--format", "json", "--", expression, *values],
                                catch_exceptions=False)
    assert result.exit_code in (0, 2)
    if result.exit_code == 2:
        assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
