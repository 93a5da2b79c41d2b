"""The texts of a graph's picture and their boxes: each text's extent estimated from its
characters (layout.text_width; a monospaced line, a vector's or matrix's row, at a fixed
width a character), a line of HEIGHT em for each of its lines, and a clearance PAD."""

from __future__ import annotations

from dataclasses import dataclass

from backprop_cli.output.diagram.layout import text_width

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # left, bottom, right, top

LABEL_PT, NAME_PT, GATE_PT, NODE_PT = 8.0, 11.0, 10.0, 8.0  # font sizes
GATE_MIN_PT, GATE_WIDTH = 7.0, 0.36  # a longer gate is smaller, down to GATE_MIN_PT
PAD = 0.025  # the clearance around every text
HEIGHT = 1.2  # a line of text's box, in em (matplotlib's box of a line is about 1.17)
MONO_EM = 0.62  # DejaVu Sans Mono's advance is 0.60 em, every character


@dataclass(frozen=True)
class Text:
    text: str
    kind: str  # value, gradient, input, output, node (a name over a circle), gate
    centre: Point  # drawn centred here, horizontally and vertically
    points: float  # the font size
    box: Box  # what it may cover: its estimated extent and clearance
    mono: bool = False  # lines of a monospaced font: a vector's or matrix's rows


def text(string: str, kind: str, centre: Point, points: float, mono: bool = False) -> Text:
    hw, hh = half(string, points, mono)
    return Text(string, kind, centre, points,
                (centre[0] - hw, centre[1] - hh, centre[0] + hw, centre[1] + hh), mono)


def width(string: str, points: float, mono: bool = False) -> float:
    """A text's width in inches: its widest line."""
    if mono:
        return max(len(line) for line in string.split("\n")) * MONO_EM * points / 72
    return max(text_width(line, points) for line in string.split("\n"))


def half(string: str, points: float, mono: bool = False) -> tuple[float, float]:
    """Half the width and height of a text's box (of as many lines as it has)."""
    lines = string.count("\n") + 1
    return width(string, points, mono) / 2 + PAD, lines * HEIGHT * points / 72 / 2 + PAD


def gate_points(string: str) -> float:
    """A gate's font size: GATE_PT, smaller for a long one (a constant folded in), so
    that it fits a circle of radius R where it can."""
    return max(GATE_MIN_PT, min(GATE_PT, GATE_PT * GATE_WIDTH / width(string, GATE_PT)))
