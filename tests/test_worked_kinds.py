"""Worked solutions (solve --format markdown|latex) with the layer kinds: batch norm (train
and eval mode, with and without γ and β, either variance), layer norm, dropout (train and
eval, p or keep, inverted or no scaling), residual connections, the four L2 forms and
`loss: upstream`, over every bundled example, layer-kinds golden fixture and published
example. Every number shown for a kind's quantities is the JSON solution's value
correctly rounded (compared as numbers: the last bits of a BLAS product may differ on
another CPU, the JSON and the worked solution of one run never do), each kind's formulas
are there, the answers table holds the JSON's values, and the LaTeX compiles."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import yaml
from helpers import GOLDEN, PROBLEMS, ROOT, assert_markdown_well_formed, compile_latex
from test_worked import NEEDS_PDFLATEX, assert_every_number

from backprop_cli.output.fmt import MAX_SHOWN, elide
from backprop_cli.problem import load

DECIMALS = 4  # solve's default
# the layer kinds' problems; feature maps have their own (tests/test_worked_maps.py)
# and sequences theirs (tests/test_worked_sequences.py)
SOURCES = ([p for p in sorted(PROBLEMS.glob("*.yaml"))
            if load(str(p)).model.extended and load(str(p)).model.map_of(0) is None
            and load(str(p)).model.time is None]
           + sorted((GOLDEN / "layers").glob("*.json"))
           + sorted((ROOT / "tests" / "published").glob("*.yaml")))
FORMATS = ["markdown", "latex"]
ALIGNED = re.compile(r"\\begin\{aligned\}\n(.*?)\n\\end\{aligned\}", re.S)
BMATRIX = re.compile(r"\\begin\{bmatrix\} (.*?) \\end\{bmatrix\}")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


@pytest.fixture(params=SOURCES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def source(request, tmp_path):
    """The problem as a YAML file (a golden fixture's "problem" written out)."""
    path = request.param
    if path.suffix != ".json":
        return path
    out = tmp_path / f"{path.stem}.yaml"
    out.write_text(yaml.safe_dump(json.loads(path.read_text())["problem"]))
    return out


def worked(run, source, fmt) -> tuple[str, dict]:
    """The worked solution (exit 0) and the JSON solution of the same problem."""
    got = run("solve", source, "--format", fmt)
    assert got.exit_code == 0, got.stderr
    doc = run("solve", source, "--format", "json")
    return got.stdout, json.loads(doc.stdout)


# ------------------------------------------------------------------ reading the maths back


def chains(text: str) -> list[tuple[str, list[str]]]:
    """Every displayed chain as (lhs, [the text after each relation]): "lhs &= a \\\\ &= b"
    is (lhs, [a, b]); a row that continues a long step (&\\quad ...) joins its step."""
    out = []
    for block in ALIGNED.findall(text):
        for row in block.split(" \\\\\n"):
            lhs, rest = row.split("&", 1)
            if rest.startswith(r"\quad "):  # the step above, continued
                out[-1][1][-1] += " " + rest[len(r"\quad "):]
                continue
            rel, body = re.match(r"(=|\\leftarrow) ?(.*)", rest, re.S).groups()
            if lhs.strip():
                out.append((lhs.strip(), []))
            out[-1][1].append(body)
    return out


def values(lhs: str, text: str) -> list[str]:
    """The last step (the value) of each chain whose left-hand side is lhs."""
    return [steps[-1] for name, steps in chains(text) if name == lhs]


def grid(term: str) -> list[list[str]]:
    """A term's first matrix as rows of cells, or its last number as a 1 x 1 grid."""
    m = BMATRIX.search(term)
    if m:
        return [row.split(" & ") for row in m.group(1).split(r" \\ ")]
    return [[NUMBER.findall(term)[-1]]]


def rounds_to(shown: str, value: float) -> bool:
    """shown is value correctly rounded to DECIMALS (or, shorter, exactly as written)."""
    decimals = len(shown.partition(".")[2])
    if decimals < DECIMALS:  # an input as written (a mask's 0 and 1, a scale of 2)
        return abs(float(shown) - value) <= 1e-12 * max(1.0, abs(value))
    return abs(float(shown) - value) <= 0.5 * 10.0 ** -decimals * (1 + 1e-9)


def assert_shows(cells: list[list[str]], value, where: str):
    """The grid shows value (a number, a vector or a matrix, either way round, its middle
    elided past MAX_SHOWN entries as the page elides it) correctly rounded."""
    array = np.atleast_2d(np.asarray(value, dtype=float))
    for candidate in (array, array.T):
        rows = elide(list(range(candidate.shape[0])), None)
        cols = elide(list(range(candidate.shape[1])), None)
        if (len(cells), len(cells[0])) != (len(rows), len(cols)):
            continue
        for shown_row, i in zip(cells, rows):
            for shown, j in zip(shown_row, cols):
                if i is None or j is None:
                    assert shown in (r"\vdots", r"\cdots", r"\ddots"), (where, shown)
                else:
                    assert rounds_to(shown, candidate[i, j]), (where, shown, candidate[i, j])
        return
    raise AssertionError(f"{where}: {cells} does not have the shape of {array.shape}")


def elided(value) -> bool:
    """Whether some list of the document is longer than a page shows in full."""
    if isinstance(value, dict):
        return any(map(elided, value.values()))
    if isinstance(value, list):
        return len(value) > MAX_SHOWN or any(map(elided, value))
    return False


def get(doc: dict, path: str):
    for key in path.split("."):
        doc = doc[key]
    return doc


# ------------------------------------------------------------------ what each kind shows


def symbols(problem) -> dict:
    """TeX left-hand side -> the JSON path of the value it ends with, for every kind's
    quantity of this problem (the kind's own symbols, the loss parts, ∂L/∂x)."""
    batch = problem.batched
    cap = {True: {"a": "A", "x": "X", "xhat": r"\hat X", "M": "M"},
           False: {"a": "a", "x": "x", "xhat": r"\hat x", "M": "m"}}[batch]

    def d(sym):
        return rf"\frac{{\partial L}}{{\partial {sym}}}"

    out = {d(cap["x"]): "gradients.x"}
    for l, spec in enumerate(problem.model.layers, 1):
        if spec.kind in ("batchnorm", "layernorm"):
            out |= {rf"\mu_{{{l}}}": f"forward.mean{l}", rf"\sigma_{{{l}}}^2": f"forward.var{l}",
                    rf"{cap['xhat']}_{{{l}}}": f"forward.xhat{l}",
                    d(rf"{cap['xhat']}_{{{l}}}"): f"gradients.xhat{l}",
                    f"{cap['a']}_{{{l}}}": f"forward.a{l}"}
            if spec.kind == "layernorm" or spec.settings.mode == "train":
                out |= {d(rf"\sigma_{{{l}}}^2"): f"gradients.var{l}",
                        d(rf"\mu_{{{l}}}"): f"gradients.mean{l}"}
            if spec.settings.affine:
                for p in ("gamma", "beta"):
                    out |= {d(rf"\{p}_{{{l}}}"): f"gradients.{p}{l}",
                            rf"\{p}_{{{l}}}": f"update.parameters.{p}{l}"}
            if spec.kind == "batchnorm":
                for q in ("mean", "var"):
                    out[rf"\mathrm{{running\_{q}}}_{{{l}}}"] = f"update.running.running_{q}{l}"
        elif spec.kind == "dropout":
            out[f"{cap['a']}_{{{l}}}"] = f"forward.a{l}"
            if spec.settings.mode == "train":
                out |= {f"{cap['M']}_{{{l}}}": f"forward.mask{l}",
                        f"s_{{{l}}}": f"forward.scale{l}"}
    if problem.model.penalty is not None:
        out |= {"R": "loss_parts.penalty", r"L_{\text{data}}": "loss_parts.data", "L": "loss",
                r"L_{\text{after}}": "update.loss"}
    return out


def formulas(problem) -> list[str]:
    """Pieces of TeX that each kind's worked solution must show."""
    batch = problem.batched
    A, H, Xh = ("A", "H", r"\hat X") if batch else ("a", "h", r"\hat x")
    out = []
    for l, spec in enumerate(problem.model.layers, 1):
        if spec.kind in ("batchnorm", "layernorm"):
            train = spec.kind == "layernorm" or spec.settings.mode == "train"
            k, div = ("j", "n") if spec.kind == "layernorm" else ("i", "N'")
            count = "n" if spec.kind == "layernorm" else "N"
            out += [rf"{Xh}_{{{l}}} &= \frac{{{H}_{{{l - 1}}} - \mu_{{{l}}}}}"
                    rf"{{\sqrt{{\sigma_{{{l}}}^2 + \epsilon}}}}"]
            if spec.settings.affine:
                out.append(rf"{A}_{{{l}}} &= \gamma_{{{l}}} \odot {Xh}_{{{l}}} + \beta_{{{l}}}")
            if train:  # the three paths back
                out += [rf"\frac{{1}}{{{div}}} \sum_{k} (h_{{{l - 1},{k}}} - \mu_{{{l}}})^2",
                        rf"\left(\sigma_{{{l}}}^2 + \epsilon\right)^{{-3/2}}",
                        rf"\frac{{1}}{{{div}}} \sum_{k} -2 (h_{{{l - 1},{k}}} - \mu_{{{l}}})",
                        rf"\frac{{\partial L / \partial {Xh}_{{{l}}}}}"
                        rf"{{\sqrt{{\sigma_{{{l}}}^2 + \epsilon}}}} + \frac{{\partial L}}"
                        rf"{{\partial \sigma_{{{l}}}^2}} \cdot \frac{{2 ({H}_{{{l - 1}}} - "
                        rf"\mu_{{{l}}})}}{{{div}}} + \frac{{1}}{{{count}}} \frac{{\partial L}}"
                        rf"{{\partial \mu_{{{l}}}}}"]
            else:
                out += [rf"\mu_{{{l}}} &= \mathrm{{running\_mean}}_{{{l}}}",
                        "carries the gradient back", "stay as they were"]
            if spec.kind == "batchnorm" and train:
                out.append(rf"\mathrm{{running\_var}}_{{{l}}} &\leftarrow (1 - m)\, "
                           rf"\mathrm{{running\_var}}_{{{l}}} + m\, \frac{{1}}{{N - 1}}")
        elif spec.kind == "dropout":
            if spec.settings.mode == "train":
                M = "M" if batch else "m"
                out += [rf"{H}_{{{l - 1}}} \odot {M}_{{{l}}} \cdot s_{{{l}}}",
                        rf"\Delta_{{{l}}} \odot {M}_{{{l}}} \cdot s_{{{l}}}" if batch else
                        rf"\delta_{{{l}}} \odot {M}_{{{l}}} \cdot s_{{{l}}}"]
            else:
                out.append(rf"{A}_{{{l}}} &= {H}_{{{l - 1}}}")
        elif spec.residual is not None:
            out += [rf"+ {H}_{{{spec.residual}}}", "the sum of the paths"]
    penalty = problem.model.penalty
    if penalty is not None:
        c, twice = {"lambda/2": (r"\frac{\lambda}{2}", r"\lambda"),
                    "lambda/2m": (r"\frac{\lambda}{2 \cdot N}", r"\frac{\lambda}{N}"),
                    "lambda": (r"\lambda", r"2 \cdot \lambda"),
                    "lambda/m": (r"\frac{\lambda}{N}", r"\frac{2 \cdot \lambda}{N}")}[penalty.form]
        out += [rf"R &= {c} \left(\sum W_", rf"+ {twice} W_{{", r"L &= L_{\text{data}} + R"]
    if problem.model.loss == "upstream":
        y, yhat = ("y_{n,k}", r"\hat y_{n,k}") if batch else ("y_k", r"\hat y_k")
        out += [rf"\sum_k {y} \, {yhat}", "gives the upstream gradient instead of targets"]
    return out


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_kind_quantity_is_the_json_value(run, source, fmt):
    text, doc = worked(run, source, fmt)
    problem = load(str(source))
    for lhs, path in symbols(problem).items():
        shown = values(lhs, text)
        assert shown, f"{lhs} ({path}) is not worked"
        for value in shown[-1:] if path.startswith("update.") else shown:
            assert_shows(grid(value), get(doc, path), f"{lhs} = {path}")
    if "loss_parts" in doc:  # L = L_data + R with the parts' numbers, before and after
        for lhs, parts in (("L", doc["loss_parts"]),
                           (r"L_{\text{after}}", doc["update"]["loss_parts"])):
            middle = next(steps[-2] for name, steps in chains(text) if name == lhs)
            data, penalty = NUMBER.findall(middle)
            assert rounds_to(data, parts["data"]) and rounds_to(penalty, parts["penalty"])
    if not elided(doc):  # every number of the document, the dense layers' too
        shown = {**doc, "forward": {k: v for k, v in doc["forward"].items()
                                    if not k.startswith("scale")}}  # a scale is as given
        assert_every_number(text, shown, DECIMALS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_answers_hold_the_json_values(run, source, fmt):
    text, doc = worked(run, source, fmt)
    if fmt == "markdown":
        rows = re.findall(r"^\| (.+) \| \*\*(.+)\*\* \|$", text, re.M)
    else:
        rows = re.findall(r"^(.+) & \{\\boldmath\$(.+)\$\} \\\\$", text, re.M)
    answers = {label: re.sub(r"\\allowbreak(\\ )?", " ", value).replace(r"\ldots", "...")
               for label, value in rows}
    expected = {"Loss $L$": "loss", "Loss after the update": "update.loss"}
    if "loss_parts" in doc:
        expected |= {"Data loss": "loss_parts.data", "L2 penalty $R$": "loss_parts.penalty"}
    x = "X" if load(str(source)).batched else "x"
    expected[rf"$\partial L / \partial {x}$"] = "gradients.x"
    for name in doc["gradients"]:
        if re.fullmatch(r"(gamma|beta)\d+", name):
            what, l = re.fullmatch(r"(\w+?)(\d+)", name).groups()
            expected[rf"$\partial L / \partial \{what}_{{{l}}}$"] = f"gradients.{name}"
    for label, path in expected.items():
        assert label in answers, f"no answer for {label}"
        cells = [[c for c in re.split(r",\s*", row.strip("()"))]
                 for row in re.split(r";\s*", answers[label])]
        cells = [[r"\cdots" if c == "..." else c for c in row] for row in cells]
        cells = [[r"\vdots"] * len(cells[0]) if row == [r"\cdots"] else row for row in cells]
        assert_shows(cells, get(doc, path), label)


def test_each_kind_formula_appears(run, source):
    text, _ = worked(run, source, "markdown")
    assert_markdown_well_formed(text)
    missing = [piece for piece in formulas(load(str(source))) if piece not in text]
    assert not missing, "missing formulas:\n" + "\n".join(missing)


@NEEDS_PDFLATEX
def test_latex_compiles(run, source, tmp_path):
    text, _ = worked(run, source, "latex")
    log = compile_latex(tmp_path, text)
    assert "Overfull \\hbox" not in log, "a display is wider than the page"
