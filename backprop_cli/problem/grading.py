"""A problem file's `grading:` section and marking schemes (`--scheme FILE`), checked.

    grading:
      precision: 3sf or 4dp      # the exercise's precision (default: 3sf or 4dp)
      precisions: {loss: 4dp}    # per path: the most specific path holding an answer counts
      points: {loss: 2, gradients.W1: 3}   # a quantity's points (default 1 each)
      default: 1                 # points of a quantity no listed path holds

A scheme file has `points` and `default` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backprop_cli.engine.grading.precision import DEFAULT, Precision, parse
from backprop_cli.errors import describe
from backprop_cli.problem import documents
from backprop_cli.problem.checks import check_keys, fail, is_num


@dataclass(frozen=True)
class Scheme:
    source: str
    points: dict  # path -> points
    default: float  # points of a quantity no listed path holds


@dataclass(frozen=True)
class Grading:
    precision: Precision = DEFAULT
    precisions: dict = field(default_factory=dict)  # path -> Precision
    scheme: Scheme | None = None  # the section's points, if it lists any


def scheme(label: str, doc, where: str = "") -> Scheme:
    """`points: {PATH: points}` and optionally `default: points`, found at `where`."""
    points = doc.get("points")
    if not isinstance(points, dict) or not points:
        fail(label, f"{where}points", f"found {describe(points)}, expected a mapping of "
                                      "paths to points, like loss: 2")
    default = doc.get("default", 1)
    for key, value in [*points.items(), ("default", default)]:
        place = f"{where}default" if key == "default" and value is default \
            else f"{where}points.{key}"
        if not isinstance(key, str):
            fail(label, f"{where}points", f"found the key {documents.shown_key(key)}, "
                                          "expected a path")
        if not is_num(value) or not 0 <= value < float("inf"):
            fail(label, place, f"found {describe(value)}, expected a number of points >= 0")
    return Scheme(label, {k: float(v) for k, v in points.items()}, float(default))


def precision(label: str, place: str, value) -> Precision:
    if not isinstance(value, str):
        fail(label, place, f"found {describe(value)}, expected decimal places or "
                           "significant figures, like 4dp, 3sf or '3sf or 4dp'")
    try:
        return parse(value)
    except ValueError as e:
        fail(label, place, str(e))


def section(label: str, doc) -> Grading:
    """The `grading:` mapping of a problem file."""
    if not isinstance(doc, dict):
        fail(label, "grading", f"found {describe(doc)}, expected a mapping with precision, "
                               "precisions, points or default")
    check_keys(label, "grading", doc, ("precision", "precisions", "points", "default"))
    exercise = precision(label, "grading.precision", doc["precision"]) \
        if "precision" in doc else DEFAULT
    paths = doc.get("precisions", {})
    if not isinstance(paths, dict):
        fail(label, "grading.precisions", f"found {describe(paths)}, expected a mapping of "
                                          "paths to precisions, like loss: 4dp")
    per_path = {str(k): precision(label, f"grading.precisions.{k}", v) for k, v in paths.items()}
    points = scheme(label, doc, "grading.") if "points" in doc or "default" in doc else None
    return Grading(exercise, per_path, points)
