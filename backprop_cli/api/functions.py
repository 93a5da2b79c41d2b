"""load, example, solve and step: the commands' work as functions that return records.

Errors are the command line's, raised (never printed): a ProblemError names the source,
the place and what was expected, word for word as `backprop` prints it after `Error: `.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import replace

import numpy as np

from backprop_cli.api.commands import (
    EXAMPLES,
    blamed_on,
    example_names,
    solution,
    train,
    updated_document,
)
from backprop_cli.api.solution import Solution, StepReport
from backprop_cli.engine.optimizers import DEFAULTS as OPTIMIZERS
from backprop_cli.errors import UsageError, describe, suggest
from backprop_cli.problem import documents, reader
from backprop_cli.problem import state as state_checks
from backprop_cli.problem.reader import Problem

TEXT, MAPPING = "<text>", "<dict>"  # the source named in errors about text and mappings


def load(source) -> Problem:
    """A validated problem from a path (str or os.PathLike), YAML or JSON text (a str
    holding a new line, or starting with '{'), or a mapping in the file's schema (numpy
    arrays and tuples in it read as lists). A Problem is returned as it is."""
    if isinstance(source, Problem):
        return source
    if isinstance(source, Mapping):
        return reader.from_document(_plain(source), MAPPING)
    if isinstance(source, str) and ("\n" in source or source.lstrip().startswith("{")):
        return reader.from_document(documents.parse_text(TEXT, source), TEXT)
    if isinstance(source, str | os.PathLike):
        return reader.load(os.fspath(source))
    raise UsageError(f"load: found {describe(source)}, expected a path, YAML or JSON text, "
                     "or a mapping like a problem file")


def _plain(value):
    """A mapping as a parsed file holds it: dicts, lists, ints, floats, strings."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


def examples() -> list[str]:
    """The names of the bundled example problems."""
    return example_names()


def example(name: str) -> Problem:
    """A bundled example problem by name ('classic'; examples() lists them), its source
    named `example NAME` as the command line names it."""
    names = examples()
    if name not in names:
        raise UsageError(f"example {name!r}: no such example, expected one of "
                         + ", ".join(names) + suggest(name, names))
    _, doc = documents.load(os.path.join(EXAMPLES, f"{name}.yaml"))
    return reader.from_document(doc, f"example {name}")


def overridden(problem, optimizer=None, lr: float | None = None) -> Problem:
    """load(problem) with the command line's --optimizer and --lr; optimizer may also be
    an optimizer block like the file's ({"name": "adam", "lr": 0.1, "betas": [...]})."""
    problem = load(problem)
    if isinstance(optimizer, Mapping):
        block = _plain(optimizer)
        name, given, hyper, state = state_checks.optimizer(
            problem.source, block, problem.model, problem.params, problem.layout)
        problem = replace(problem, optimizer=name, given=given, hyper=hyper, state=state)
        optimizer = None
    elif optimizer is not None and (not isinstance(optimizer, str) or optimizer not in
                                    OPTIMIZERS):
        raise UsageError(f"optimizer: found {describe(optimizer)}, expected one of "
                         + ", ".join(OPTIMIZERS) + suggest(optimizer, OPTIMIZERS))
    return problem.with_optimizer(optimizer, lr)


def _whole(value, name: str, low: int, high: float, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) \
            or not low <= value <= high:
        raise UsageError(f"{name}={value!r}: expected {what}")
    return int(value)


def solve(problem, *, lr: float | None = None, optimizer=None,
          round: int | None = None) -> Solution:
    """Forward pass, loss, every gradient and one update, as `backprop solve`. problem:
    a Problem or anything load() reads; lr and optimizer override the file's; round=K
    carries every value rounded to K decimals (half away from zero) into the next step."""
    problem = overridden(problem, optimizer, lr)
    if round is not None:
        round = _whole(round, "round", 0, 15, "a whole number of decimals from 0 to 15")
    sol = solution(problem, round)
    with blamed_on(problem):
        return Solution.of(problem, sol, round)


def step(problem, steps: int = 1, *, lr: float | None = None,
         optimizer=None) -> tuple[Problem, StepReport]:
    """`steps` updates, as `backprop step`: the updated problem (what `step -o` writes,
    read back) and the report of `step --format json`."""
    problem = overridden(problem, optimizer, lr)
    steps = _whole(steps, "steps", 1, float("inf"), "a whole number of steps >= 1")
    run = train(problem, steps)
    updated = reader.from_document(updated_document(problem, run), problem.source)
    return updated, StepReport.of(problem, run)
