"""The rows of `backprop grade`'s results: each student's answers, path by path, as
written, with their verdict, slips and points, read from the marking of the whole class.

A row's fields are built for a block of sheets at once, a column per path (a class of
10,000 has a million rows: a few array operations per path and block, not per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from backprop_cli.engine.grading.verdicts import CARRIED, VERDICTS, WRONG
from backprop_cli.output.grading import points

BLOCK = 500  # sheets whose rows are built at once


class Row(NamedTuple):  # a tuple: a class of 1,000 has a hundred thousand of them
    path: str
    given: object  # as written: a number or nested lists; None when blank
    decimals: object  # the decimals of each number written, nested like given
    expected: object  # solve's value
    own: object  # what the person's own earlier numbers give (carried and wrong)
    verdict: str
    slips: tuple
    sources: tuple  # the wrong answers a carried one follows from
    points: float
    max_points: float


@dataclass(frozen=True)
class Marked:
    """Every row of every sheet, by path: what each student's rows are read from."""
    batch: object
    marks: object
    expected: dict  # key -> solve's value
    shapes: dict  # key -> the answer's shape
    weights: dict  # key -> (S, m) each entry's points (points.share)
    earned: dict = field(default_factory=dict, compare=False)  # key -> (got, most), by sheet
    # the rows' fields of one block of sheets, by path: {"block": b, key: columns}
    block: dict = field(default_factory=dict, compare=False)

    def scored(self, k: str) -> tuple:
        """((S,) points earned, (S,) points possible) of path k, for the whole class at once:
        a row is read from them (points.earned is row by row, so the sums are the same)."""
        if k not in self.earned:
            w = self.weights[k]
            self.earned[k] = (points.earned(w, self.marks.entries[k] <= CARRIED),
                              points.earned(w, np.ones(w.shape, bool)))
        return self.earned[k]

    def rows(self, s: int, keys: tuple) -> tuple:
        """Sheet s's rows, read from its block's columns (built once for BLOCK sheets: a
        class's rows cost a few array operations per path, not a few per row)."""
        b, j = divmod(s, BLOCK)
        if self.block.get("block") != b:
            self.block.clear()
            self.block["block"] = b
        out = []
        for k in keys:
            if k not in self.block:
                self.block[k] = self.columns(k, slice(b * BLOCK, (b + 1) * BLOCK))
            given, decimals, own, codes, got, most = self.block[k]
            code = codes[j]
            out.append(Row(k, given[j], decimals[j], self.expected[k],
                           own[j] if code in (CARRIED, WRONG) else None, VERDICTS[code],
                           self.marks.slips[k][s], self.marks.sources[k][s], got[j], most[j]))
        return tuple(out)

    def columns(self, k: str, rows: slice) -> tuple:
        """(given, decimals, own, verdict codes, points, max points) of path k for some
        sheets, as lists: the numbers as written (None where blank), what their own numbers
        give (null where not finite)."""
        batch, shape = self.batch, self.shapes[k]
        values, decimals = batch.given[k][rows], batch.decimals[k][rows]
        flipped = batch.transposed[k][rows] if k in batch.transposed else None
        text = batch.raw[k][rows] if k in batch.raw else None
        given, written = _as_written(values, decimals, shape)
        blank = np.isnan(values[:, 0]) if values.shape[1] else np.ones(len(values), bool)
        unread = (text != None).any(axis=1) if text is not None \
            else np.zeros(len(values), bool)  # noqa: E711 (elementwise)
        flipped = flipped if flipped is not None else np.zeros(len(values), bool)
        for j in np.flatnonzero(blank):
            given[j] = written[j] = None
        for j in np.flatnonzero((flipped & ~blank) | unread):  # shown as written, or the text
            given[j], d = _one(values[j], decimals[j], shape, flipped[j],
                               text[j] if unread[j] else None)
            written[j] = None if blank[j] else d
        own = self.marks.own[k][rows]
        own = np.where(np.isfinite(own), own, None).reshape((len(own),) + shape).tolist()
        got, most = (a[rows].tolist() for a in self.scored(k))
        return given, written, own, self.marks.verdicts[k][rows].tolist(), got, most


def _one(values, decimals, shape: tuple, flipped: bool, text) -> tuple:
    """(given, decimals) of one row written transposed or with unreadable text: shown as
    written, the text of each unreadable number in its place (the text alone when the whole
    answer was one)."""
    if flipped:  # shown as it was written
        shape = shape[::-1]
        values, decimals = (np.reshape(a, shape[::-1]).T.ravel() for a in (values, decimals))
        if text is not None:
            text = np.reshape(text, shape[::-1]).T.ravel()
    (given,), (written,) = _as_written(values[None], decimals[None], shape)
    if text is not None and (text != None).any():  # noqa: E711
        if len(set(text.tolist())) == 1:
            given = text[0]
        else:
            shown = np.array(given, dtype=object)
            given = np.where(np.reshape(text, shape) != None, np.reshape(text, shape),  # noqa: E711
                             shown).tolist()
    return given, written


def _as_written(values, decimals, shape: tuple) -> tuple:
    """([n numbers as the sheets wrote them, nested in shape], [their decimals]) of n rows:
    whole numbers written without decimals as ints."""
    whole = (decimals <= 0) & np.isfinite(values) & (np.abs(values) < 2 ** 53)
    whole &= np.floor(np.where(whole, values, 0.0)) == np.where(whole, values, 0.0)
    shaped = (len(values),) + shape
    if whole.any():
        given = values.astype(object)
        given[whole] = values[whole].astype(np.int64).astype(object)
        values = given
    return values.reshape(shaped).tolist(), decimals.reshape(shaped).tolist()
