"""Seeded variants of a graph exercise for `backprop new --graph`: the template (an
expression with the shapes `--shape NAME=2x3` gives, or an exercise file whose values give
them), the values drawn in those shapes, and the documents written.

A variant keeps the template's expression, title, inputs and upstream gradient, and
draws every value again in its shape: whole numbers in [low, high], or uniform numbers
rounded to `decimals`; class indices of cross_entropy in [0, K) (one-hot rows for a target
of the logits' shape); an upstream gradient in the output's shape when the result is not
a scalar and the template gives none. What is a class index and what shape the output has
are the engine's answers: api/graphs.py evaluates the template once to find them (Plan).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from backprop_cli.engine.graph.steps import Apply, Program, Ref
from backprop_cli.errors import suggest
from backprop_cli.problem import documents
from backprop_cli.problem.checks import fail
from backprop_cli.problem.graph import exercise
from backprop_cli.problem.graph.expression import parse

SIZE_MAX = 1000  # entries along one axis of a drawn vector or matrix
_SHAPE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)\Z", re.S)
EXPECTED = "expected a shape like 3 (a vector) or 2x3 (a matrix of 2 rows and 3 columns)"


@dataclass(frozen=True)
class Template:
    source: str  # "--graph", or the exercise file
    title: str | None
    text: str  # the expression as written
    program: Program
    shapes: dict  # input -> its shape, () for a scalar, in the program's order
    wanted: tuple[str, ...] | None  # the file's `inputs:`, None when it gives none
    upstream: object = None  # the file's upstream gradient, as written


@dataclass(frozen=True)
class Plan:
    """What each draw makes: the inputs' shapes, the class count K of the inputs that are
    cross_entropy's targets, and the shape of the upstream gradient to draw (None: none)."""

    shapes: dict
    classes: dict  # input -> K: class indices in [0, K) in its shape
    one_hot: frozenset = frozenset()  # of those, the ones written as one-hot rows
    upstream: tuple | None = None


def from_expression(text: str, shape_texts: tuple[str, ...]) -> Template:
    """--graph EXPRESSION with its --shape NAME=SHAPE options; unnamed inputs are scalars."""
    program = parse(text, "--graph")
    return Template("--graph", None, text, program, shapes(program, shape_texts), None)


def from_file(path: str) -> Template:
    """An exercise file (or '-'), read and checked as `backprop graph` reads it: its
    values give the shapes."""
    label, doc = documents.load(path)
    ex = exercise.from_document(doc, label)
    return Template(label, ex.title, doc["expression"], ex.program,
                    {name: np.shape(v) for name, v in ex.written.items()},
                    ex.wanted if "inputs" in doc else None, ex.upstream)


def shapes(program: Program, texts: tuple[str, ...]) -> dict:
    """Each input's shape from --shape NAME=SHAPE texts, () for the inputs they leave out."""
    given: dict = {}
    for text in texts:
        source = f"--shape {text}"
        m = _SHAPE.match(text)
        if m is None:
            fail(source, None, "found no NAME=, expected NAME=SHAPE like W=2x3 or x=3")
        name = m[1]
        if name not in program.inputs:
            fail(source, None, f"found {name}, which the expression does not use, expected "
                               f"shapes for {', '.join(program.inputs)} only"
                               + suggest(name, program.inputs))
        if name in given:
            fail(source, None, f"found {name} a second time, expected one shape for each "
                               "input")
        given[name] = sizes(source, m[2])
    return {name: given.get(name, ()) for name in program.inputs}


def sizes(source: str, text: str) -> tuple[int, ...]:
    """'3' -> (3,), '2x3' (or 2×3) -> (2, 3)."""
    parts = [p.strip() for p in re.split(r"[x×]", text.strip())]
    if not all(p.isascii() and p.isdigit() for p in parts):
        fail(source, None, f"found {text.strip()!r}, {EXPECTED}")
    if len(parts) > 2:
        fail(source, None, f"found {len(parts)} sizes, {EXPECTED}: a value is a number, a "
                           "vector or a matrix")
    found = tuple(int(p) for p in parts)
    for n in found:
        if not 1 <= n <= SIZE_MAX:
            fail(source, None, f"found a size of {n}, expected sizes from 1 to {SIZE_MAX}")
    return found


def targets(program: Program) -> set[str]:
    """The inputs given somewhere as cross_entropy's target: the probe that finds the
    labels sets them to class 0."""
    found: set[str] = set()

    def walk(e):
        if isinstance(e, Apply):
            if e.op == "cross_entropy" and len(e.args) == 2 and isinstance(e.args[1], Ref):
                found.add(e.args[1].name)
            for a in e.args:
                walk(a)

    for step in program.steps:
        walk(step.expr)
    return found & set(program.inputs)


def draws(plan: Plan, seed: int, low: float, high: float, decimals: int | None):
    """Endless draws (numpy.random.default_rng(seed)) of (values, upstream): each input in
    the program's order, entries row by row, then the upstream gradient. Scalars draw as
    they always did, so a scalar exercise's seed gives the same file."""
    rng = np.random.default_rng(seed)
    while True:
        values = {name: _classes(rng, plan.classes[name], shape, name in plan.one_hot)
                  if name in plan.classes else _numbers(rng, shape, low, high, decimals)
                  for name, shape in plan.shapes.items()}
        upstream = None if plan.upstream is None else \
            _numbers(rng, plan.upstream, low, high, decimals)
        yield values, upstream


def _numbers(rng, shape: tuple, low: float, high: float, decimals: int | None):
    """A number, or nested lists, as written: ints, or floats with `decimals` decimals
    (Python's round, as the scalar draws had)."""
    if decimals is None:
        return rng.integers(int(low), int(high), endpoint=True, size=shape).tolist()
    drawn = rng.uniform(low, high, size=shape).tolist()
    return _rounded(drawn, decimals)


def _rounded(v, decimals: int):
    if isinstance(v, list):
        return [_rounded(x, decimals) for x in v]
    return round(v, decimals) + 0.0  # + 0.0: no -0.0


def _classes(rng, k: int, shape: tuple, one_hot: bool):
    """Class indices in [0, k) in `shape`, or one-hot rows of `shape` (its last axis k)."""
    if not one_hot:
        return rng.integers(0, k, size=shape).tolist()
    return np.eye(k, dtype=int)[rng.integers(0, k, size=shape[:-1])].tolist()


def document(title: str | None, template: Template, values: dict, upstream=None) -> dict:
    """A variant as a file holds it: title, expression, values, inputs, upstream."""
    doc = {} if title is None else {"title": title}
    doc["expression"] = template.text
    doc["values"] = dict(values)
    if template.wanted is not None:
        doc["inputs"] = list(template.wanted)
    upstream = template.upstream if template.upstream is not None else upstream
    if upstream is not None:
        doc["upstream"] = upstream
    return doc
