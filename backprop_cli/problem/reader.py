"""A problem file, validated into float64 arrays: the Problem record and its loader.

Every error names the file, the key path (counted from 0, as YAML lists are) with its
maths name, what was found and what was expected (layers.py and state.py check the parts).
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass, replace

import numpy as np

from backprop_cli.engine import optimizers
from backprop_cli.engine.functions import LOSSES, REDUCTIONS
from backprop_cli.engine.layers import RECURRENT
from backprop_cli.engine.model import Inputs, Model
from backprop_cli.errors import OptimizerError, ProblemError, counted, describe
from backprop_cli.problem import documents, kinds, maps, sequences, stack
from backprop_cli.problem import grading as grading_checks
from backprop_cli.problem import layers as layer_checks
from backprop_cli.problem import state as state_checks
from backprop_cli.problem.checks import check_keys, choice, fail
from backprop_cli.problem.grading import Grading

TOP_KEYS = ("title", "x", "y", "loss", "reduction", "layout", "channels", "layers", "l2",
            "optimizer", "grading")
LAYOUTS = ("out_in", "in_out")
# a layer's keys that hold parameters: rewritten from arrays when a problem is written back
PARAMETER_KEYS = {"weights": "W", "bias": "b", "gamma": "gamma", "beta": "beta",
                  "wx": "Wx", "wh": "Wh", "bias_h": "bh", "table": "E"}
HTML_NUMBERS = 20_000  # a notebook shows a problem file of up to this many numbers


@dataclass(frozen=True)
class Problem:
    source: str  # the path, or <stdin>
    document: dict  # the mapping as read, less parameters and optimizer: for writing back
    title: str | None
    x: np.ndarray  # (N, n_0); feature maps (C, H, W) as rows of C·H·W in that order
    y: np.ndarray  # (N, n_L) targets; class indices become one-hot rows
    batched: bool  # x was a list of lists (of maps): outputs keep that rank
    layout: str
    model: Model
    params: dict  # W{l} (n_l, n_{l-1}) in out_in layout, b{l} (n_l,)
    optimizer: str
    given: dict  # the optimizer settings written in the file (lr included)
    hyper: dict  # every setting, defaults filled in
    state: dict  # optimizer state by parameter name, out_in layout
    grading: Grading = Grading()  # how answers are marked: precision, points
    channels: str = "first"  # maps written (C, H, W) or, "last", (H, W, C)
    sample_rank: int | None = None  # maps: one sample of x written (C, H, W) 3, or (H, W) 2

    @property
    def inputs(self) -> Inputs:
        """What the engine computes from."""
        return Inputs(self.model, self.params, self.x, self.y, self.optimizer, self.hyper,
                      self.state)

    def with_optimizer(self, name: str | None = None, lr: float | None = None) -> Problem:
        """Command-line overrides; another optimizer starts from its defaults, no state."""
        given, state = dict(self.given), self.state
        if name is not None and name != self.optimizer:
            given, state = {}, {}
        else:
            name = self.optimizer
        if lr is not None:
            given["lr"] = lr
        try:
            hyper = optimizers.hyperparameters(name, given)
        except OptimizerError as e:
            raise ProblemError(self.source, f"--{e.key}" if e.key == "lr" else e.key,
                               str(e)) from None
        return replace(self, optimizer=name, given=given, hyper=hyper, state=state)

    # ---------------------------------------------------------------- written back

    def to_document(self) -> dict:
        """The problem file's mapping: its parameters, optimizer (with any overrides) and
        state as they are now, each weight-shaped array in the file's layout."""
        from backprop_cli.problem.writer import updated_document

        return updated_document(self, self.params, self.state)

    def to_yaml(self) -> str:
        """The problem file as YAML: what save() writes to a .yaml name (and `step -o`)."""
        return documents.dump_yaml(self.to_document())

    def to_json(self) -> str:
        """The problem file as JSON: what save() writes to a .json name."""
        return documents.dump_json(self.to_document()) + "\n"

    def save(self, path) -> None:
        """Write the problem file to `path` atomically (all of it or, on any failure,
        nothing): JSON for a .json name, else YAML. Raises WriteError when it cannot."""
        path = os.fspath(path)
        kind = "json" if path.lower().endswith(".json") else "yaml"
        documents.write_file(path, self.to_document(), kind)

    # ---------------------------------------------------------------- shown

    def sizes(self) -> list[str]:
        """The width of x and of each h_l, a feature map's as C×H×W."""
        model = self.model
        widths = [self.x.shape[1]] + model.widths(self.params, self.x.shape[1])
        T, k = model.time, model.recurrent or 0
        out = []
        for l, n in enumerate(widths):
            if model.map_of(l) is not None:
                out.append(stack.size_text(model.map_of(l)))
            elif T is not None and l == 0 and not model.sequence(0):
                out.append(counted(T, "token"))
            elif model.sequence(l):  # rows of T·d before the recurrent layer, of d after
                out.append(f"{T}×{n // T if l < k else n}")
            else:
                out.append(str(n))
        return out

    def summary(self) -> list[tuple[str, str]]:
        """(label, text) lines that describe the problem: what repr() and a notebook show."""
        sizes = self.sizes()
        n = self.x.shape[0]
        settings = ", ".join(f"{k} = {list(v) if isinstance(v, tuple) else v!r}"
                             for k, v in self.hyper.items()
                             if k == "lr" or v != optimizers.DEFAULTS[self.optimizer][k])
        lines = [("Problem", self.title)] if self.title else []
        return lines + [
            ("File", self.source),
            ("Network", " → ".join(map(str, sizes)) + "  ("
             + ", ".join(s.label() for s in self.model.layers) + ")"),
            ("Loss", f"{self.model.loss}, reduction {self.model.reduction}, "
                     f"{counted(n, 'sample')}, layout {self.layout}"),
            ("Optimizer", f"{self.optimizer} ({settings})"
             + (", with state" if self.state else "")),
        ]

    def __repr__(self) -> str:
        lines = dict(self.summary())
        named = f"{lines['Problem']!r} ({self.source})" if self.title else self.source
        return (f"<Problem {named}: {lines['Network']}; {lines['Loss']}; "
                f"{lines['Optimizer']}>")

    def _repr_html_(self) -> str:
        """A notebook's view: the summary, then the problem file (YAML) under it."""
        import html

        rows = "".join(f"<tr><th style='text-align:left'>{html.escape(k)}</th>"
                       f"<td style='text-align:left'>{html.escape(v)}</td></tr>"
                       for k, v in self.summary())
        size = self.x.size + self.y.size + sum(v.size for v in self.params.values())
        if size > HTML_NUMBERS:  # not written out: to_yaml() gives it
            return f"<table>{rows}</table><p>({size} numbers: to_yaml() gives the file)</p>"
        text = self.to_yaml()
        opened = " open" if text.count("\n") <= 60 else ""
        return (f"<table>{rows}</table><details{opened}><summary>Problem file (YAML)"
                f"</summary><pre>{html.escape(text)}</pre></details>")


def load(path: str) -> Problem:
    """Read and validate a problem file; '-' is standard input."""
    label, doc = documents.load(path)
    return from_document(doc, label)


def from_document(doc, source: str) -> Problem:
    if not isinstance(doc, dict):
        fail(source, None, f"found {describe(doc)} at the top, expected a mapping of "
                            "x, y, loss, layers, ...")
    check_keys(source, "", doc, TOP_KEYS)
    for key in ("x", "y", "loss", "layers"):
        if key not in doc:
            fail(source, key, "missing, expected it at the top level")
    title = doc.get("title")
    if title is not None and not isinstance(title, str):
        fail(source, "title", f"found {describe(title)}, expected a string")
    if title and not title.isprintable():
        bad = next((c for c in title if unicodedata.category(c) == "Cc" and c not in "\n\t"),
                   None)
        if bad is not None:  # an escape sequence from a stranger's file must not reach a tty
            fail(source, "title", f"found the control character {bad!r}, expected printable "
                                   "text (new lines and tabs are fine)")
    loss = choice(source, "loss", doc["loss"], tuple(LOSSES), "a loss")
    reduction = choice(source, "reduction",
                       doc.get("reduction", "sum" if loss == "upstream" else "mean"),
                       REDUCTIONS, "a reduction")
    if loss == "upstream" and reduction != "sum":
        fail(source, "reduction", f"found {reduction}, expected sum: with loss upstream, y is "
                                  "∂L/∂ŷ itself and L = Σ y ⊙ ŷ")
    layout = choice(source, "layout", doc.get("layout", "out_in"), LAYOUTS, "a layout")

    channels = choice(source, "channels", doc.get("channels", "first"), maps.CHANNELS,
                      "a channel order")
    layers = doc["layers"]
    if not isinstance(layers, list) or not layers:
        fail(source, "layers", f"found {describe(layers)}, expected a list of layers, "
                                "input to output")
    x, batched, sample_rank, specs, params, y = _network(source, doc, layers, loss, layout,
                                                         channels)
    penalty = kinds.l2(source, doc["l2"]) if "l2" in doc else None
    model = Model(tuple(specs), loss, reduction, penalty)
    name, given, hyper, state = state_checks.optimizer(
        source, doc.get("optimizer"), model, params, layout, channels)
    grading = grading_checks.section(source, doc["grading"]) if "grading" in doc else Grading()
    return Problem(source, _kept(doc), title, x, y, batched, layout, model, params, name,
                   given, hyper, state, grading, channels, sample_rank)


def _network(source, doc, layers, loss, layout, channels):
    """x, the layers and y, each checked against what comes before it: (x rows, batched,
    how one sample of maps is written, specs, parameters, y)."""
    every = False  # y holds a target for every step
    if sequences.is_sequence(source, layers):
        x, batched, steps, why = sequences.inputs(source, doc["x"], layers)
        specs, params, inputs, why, every = sequences.walk(source, layers, layout, x,
                                                           batched, steps, why)
        shape = sample_rank = None
    else:
        x, batched, shape, sample_rank, why = stack.inputs(source, doc["x"], layers, channels)
        specs, params, shape, inputs, why = stack.layers(source, layers, layout, channels, x,
                                                         batched, shape, why)
    if shape is not None and loss != "upstream":
        fail(source, "loss", f"found {loss} after feature maps, expected a flatten (and dense "
                             f"layers) before the output, or loss upstream: {why}")
    out_activation = specs[-1].activation
    need = LOSSES[loss].output
    if need and specs[-1].kind in RECURRENT:
        n = len(layers)
        fail(source, f"layers[{n - 1}]", f"found the {specs[-1].kind} layer last, expected a dense "
                                         f"{need} layer after it: {loss} needs a {need} output")
    if need and out_activation != need:
        n = len(layers)
        fail(source, f"layers[{n - 1}].activation (h{n})",
              f"found {out_activation}, expected {need}: {loss} needs a {need} output")
    if every:
        y = sequences.targets(source, doc["y"], loss, x.shape[0], steps, batched, inputs, why)
    elif shape is None:
        y = layer_checks.targets(source, doc["y"], loss, x.shape[0], batched, inputs, why)
    else:  # loss upstream: ∂L/∂ŷ in the output's map shape
        y = maps.map_targets(source, doc["y"], shape, x.shape[0], batched, channels)
    return x, batched, sample_rank, specs, params, y


def _kept(doc: dict) -> dict:
    """What writing the file back needs of the document: everything but the parameters
    and the optimizer block, which are rewritten from arrays anyway (and, in a large
    problem, are most of its memory). Placeholders keep each layer's key order."""
    kept = {k: v for k, v in doc.items() if k != "optimizer"}
    kept["layers"] = [{k: (None if k in PARAMETER_KEYS else v) for k, v in layer.items()}
                      for layer in doc["layers"]]
    return kept
