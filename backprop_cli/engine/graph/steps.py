"""A program of `backprop graph`: the named steps an expression is read into (by
backprop_cli.problem.graph.expression), over its inputs, before any value is known."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Const:
    value: float


@dataclass(frozen=True)
class Ref:
    name: str  # an input, or an earlier step


@dataclass(frozen=True)
class Apply:
    op: str  # a key of ops.OPERATIONS
    args: tuple
    place: str  # where the expression writes it ("column 7"), for messages
    params: tuple = ()  # (keyword, value) pairs: (("axis", 0),)


Expr = Const | Ref | Apply


@dataclass(frozen=True)
class Step:
    name: str
    expr: Expr


@dataclass(frozen=True)
class Program:
    source: str  # the file, or "expression" for one given on the command line
    text: str
    inputs: tuple[str, ...]  # in order of first appearance
    steps: tuple[Step, ...]  # the last one is the output, f

    @property
    def output(self) -> str:
        return self.steps[-1].name
