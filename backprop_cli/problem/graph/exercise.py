"""Graph exercises: an expression, a value for each of its inputs, and which inputs want
gradients, from a YAML/JSON file, the command line or the Python API's keywords (the
seeded variants of `backprop new --graph` are variants.py's).

A file holds `expression`, `values`, optional `title`, optional `inputs` and, for a
result that is not a scalar, `upstream` (∂L/∂f in its shape):

    title: The sigmoid neuron
    expression: f = sigmoid(w0*x0 + w1*x1 + w2)
    values: {w0: 2, x0: -1, w1: -3, x1: -2, w2: -3}
    inputs: [w0, w1, w2]

A value is a number, a vector [1, -2] or a matrix [[1, 2], [3, 4]].
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from backprop_cli.engine.graph.steps import Program
from backprop_cli.errors import ProblemError, describe
from backprop_cli.problem import documents
from backprop_cli.problem.checks import check_keys, fail, suggest
from backprop_cli.problem.graph import values as reading
from backprop_cli.problem.graph.expression import parse

KEYS = ("title", "expression", "values", "inputs", "upstream")
COMMAND_LINE = "expression"  # how messages name an expression given as an argument
_ASSIGNMENT = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)\Z", re.S)


@dataclass(frozen=True)
class Exercise:
    source: str  # the file, or "expression"
    title: str | None
    program: Program
    written: dict  # input -> its value as written (a number or lists), in program order
    wanted: tuple[str, ...]  # the inputs whose gradients are asked for
    upstream: object = None  # ∂L/∂f as written, for a result that is not a scalar
    upstream_at: tuple | None = None  # (source, place) that messages name it by

    @property
    def values(self) -> dict:
        """input -> a float, or a float64 array for a vector or matrix."""
        return {name: reading.array(v) for name, v in self.written.items()}

    @property
    def seed(self):
        """The upstream gradient as the engine takes it, or None."""
        return None if self.upstream is None else reading.array(self.upstream)


def load(path: str) -> Exercise:
    """Read and check an exercise file; '-' is standard input."""
    label, doc = documents.load(path)
    return from_document(doc, label)


def from_document(doc, source: str) -> Exercise:
    if not isinstance(doc, dict):
        fail(source, None, f"found {describe(doc)} at the top, expected a mapping of "
                           "expression, values, ...")
    check_keys(source, "", doc, KEYS)
    for key in ("expression", "values"):
        if key not in doc:
            fail(source, key, "missing, expected it at the top level")
    title = doc.get("title")
    if title is not None and not (isinstance(title, str) and title.isprintable()):
        fail(source, "title", f"found {describe(title)}, expected one line of printable text")
    text = doc["expression"]
    if not isinstance(text, str):
        fail(source, "expression", f"found {describe(text)}, expected the expression as text")
    program = parse(text, source, "expression")
    values = doc["values"]
    if not isinstance(values, dict):
        fail(source, "values", f"found {describe(values)}, expected a mapping of input names "
                               "to numbers")
    numbers = {}
    for key, value in values.items():
        place = f"values.{documents.key_text(key)}"
        if key not in program.inputs:
            _unused(source, place, key, program)
        numbers[key] = reading.read(source, place, value)
    _require_all(source, "values", program, numbers, "a number for each input")
    wanted = _wanted(source, doc.get("inputs"), program)
    upstream = doc.get("upstream")
    if upstream is not None:
        upstream = reading.read(source, "upstream", upstream)
    return Exercise(source, title, program,
                    {name: numbers[name] for name in program.inputs}, wanted, upstream,
                    (source, "upstream"))


def from_arguments(text: str, assignments: tuple[str, ...],
                   upstream: str | None = None) -> Exercise:
    """An expression and NAME=VALUE arguments from the command line; upstream: the text
    of --upstream."""
    program = parse(text, COMMAND_LINE)
    values: dict = {}
    for arg in assignments:
        m = _ASSIGNMENT.match(arg)
        if m is None:
            fail(arg, None, "found no NAME=, expected NAME=VALUE like x=-2")
        name = m[1]
        if name not in program.inputs:
            _unused(arg, None, name, program)
        if name in values:
            fail(arg, None, f"found {name} a second time, expected each input once")
        values[name] = reading.parse(arg, m[2])
    _require_all(COMMAND_LINE, None, program, values, "NAME=VALUE for each input")
    seed = None if upstream is None else reading.parse("--upstream", upstream)
    return Exercise(COMMAND_LINE, None, program,
                    {name: values[name] for name in program.inputs}, program.inputs, seed,
                    ("--upstream", None))


def from_values(text: str, values: dict, upstream=None) -> Exercise:
    """An expression and a number for each input by name (the Python API's
    bp.graph(expression, **values)), checked as from_arguments checks NAME=VALUE: a
    value's messages name it as the keyword it was given as (x=0.5)."""
    program = parse(text, COMMAND_LINE)
    numbers: dict = {}
    for name, value in values.items():
        arg = f"{name}={reading.shown(value)}"
        if name not in program.inputs:
            _unused(arg, None, name, program)
        numbers[name] = reading.read(arg, None, value)
    seed = None if upstream is None else reading.read("upstream", None, upstream)
    _require_all(COMMAND_LINE, None, program, numbers, "NAME=VALUE for each input")
    return Exercise(COMMAND_LINE, None, program,
                    {name: numbers[name] for name in program.inputs}, program.inputs, seed,
                    ("upstream", None))


def _unused(source, place, key, program: Program):
    raise ProblemError(source, place, f"found {documents.shown_key(key)}, which the "
                       f"expression does not use, expected values for "
                       f"{', '.join(program.inputs)} only" + suggest(key, program.inputs))


def _require_all(source, place, program: Program, values: dict, what: str):
    missing = [name for name in program.inputs if name not in values]
    if missing:
        fail(source, place, f"found no value for {', '.join(missing)}, expected {what}: "
                            + ", ".join(program.inputs))


def _wanted(source, names, program: Program) -> tuple[str, ...]:
    if names is None:
        return program.inputs
    if not isinstance(names, list) or not names:
        fail(source, "inputs", f"found {describe(names)}, expected a non-empty list of input "
                               "names")
    for i, name in enumerate(names):
        if name not in program.inputs or not isinstance(name, str):
            fail(source, f"inputs[{i}]", f"found {describe(name)}, expected one of the "
                 "expression's inputs: " + ", ".join(program.inputs)
                 + suggest(name, program.inputs))
        if name in names[:i]:
            fail(source, f"inputs[{i}]", f"found {name} a second time, expected each input "
                                         "once")
    return tuple(names)
