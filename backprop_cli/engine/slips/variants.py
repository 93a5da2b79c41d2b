"""What a slip is: one or more variants of the marking rules, each a table node kind ->
factory (ctx, node) -> Rule (None where the slip cannot be made at that node)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backprop_cli.engine.grading.graph import Node, Rule
from backprop_cli.engine.model import Inputs

Factory = Callable[[Inputs, Node], "Rule | None"]


@dataclass(frozen=True)
class Variant:
    name: str
    rules: dict  # node kind -> Factory


@dataclass(frozen=True)
class Slip:
    id: str
    text: str
    variants: Callable[[Inputs], list]  # ctx -> [Variant]; [] for arithmetic


def one(kind: str, factory: Factory):
    """A slip of one variant that changes one node kind."""
    return lambda ctx: [Variant("", {kind: factory})]
