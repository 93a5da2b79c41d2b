"""Worked solutions (solve --format markdown|latex) of convolution and pooling networks:
every feature map shown channel by channel (a_l[n, c], h_l[n, c], δ_l[n, c], ∂L/∂h[n, c],
the kernels W_l[o, c] and their gradients) is the JSON solution's value correctly rounded;
the padded inputs, the kernels turned 180°, δ spread out by the stride and padded for the
full convolution, average pooling's shares and max pooling's argmax positions are what an
independent computation here gives from the JSON's numbers; every worked sum of products
(one output cell, one kernel entry, one input cell, a bias, the cells where windows
overlap) adds up to the value it ends with; each formula is there; the LaTeX compiles.
And the checks bite: a worked solution of a wrong document, or of a kernel that was not
turned, fails them.

Problems: the issue's example, a strided and padded convolution of a two-channel batch
before an overlapping max pool, a true convolution (flip) before a padded average pool
with an L2 penalty and Adam, a channels-last file, an upstream max pool with ties, nine
samples of nine channels (the middle ones elided), and every golden convolution fixture
(tests/golden/conv/) there is.
"""

from __future__ import annotations

import copy
import json
import re

import numpy as np
import pytest
import yaml
from helpers import GOLDEN, ROOT, assert_markdown_well_formed, compile_latex
from test_worked import NEEDS_PDFLATEX, assert_every_number, solved
from test_worked_kinds import NUMBER, chains, elided, rounds_to, values

from backprop_cli.output import worked
from backprop_cli.output.fmt import elide
from backprop_cli.problem import from_document, load

DECIMALS = 4
RNG = np.random.default_rng(21)


def _values(*shape):
    return RNG.uniform(-1.5, 1.5, shape).round(1).tolist()


EXAMPLE = {  # the example: 1×4×4 → conv 2@2×2 relu → max pool 2, stride 1 → dense
    "x": [[[1, 2, 0, 1], [0, 1, 3, 1], [2, 1, 0, 0], [1, 0, 1, 2]]],
    "layers": [
        {"kind": "conv2d", "weights": [[[[1, 0], [0, -1]]], [[[0.5, 1], [-1, 0]]]],
         "bias": [0.1, -0.2], "activation": "relu"},
        {"kind": "maxpool2d", "size": 2, "stride": 1},
        {"kind": "flatten"},
        {"weights": [[0.1, 0.2, -0.1, 0.3, 0.2, -0.3, 0.1, 0.4],
                     [0.2, -0.1, 0.3, 0.1, -0.2, 0.1, 0.3, -0.1]],
         "bias": [0, 0.1], "activation": "softmax"}],
    "loss": "cross_entropy", "y": 1}
STRIDED = {  # two samples of two channels, stride 2 and padding 1, overlapping max pool
    "title": "strided and padded",
    "x": _values(2, 2, 5, 5),
    "layers": [
        {"kind": "conv2d", "weights": _values(3, 2, 3, 3), "bias": [0.1, -0.2, 0.05],
         "stride": 2, "padding": 1, "activation": "relu"},
        {"kind": "maxpool2d", "size": 2, "stride": 1},
        {"kind": "flatten"},
        {"weights": _values(2, 12), "bias": [0, 0.1], "activation": "softmax"}],
    "loss": "cross_entropy", "y": [0, 1], "optimizer": {"name": "sgd", "lr": 0.1}}
AVERAGE = {  # one sample written (H, W), a true convolution, a padded average pool
    "x": _values(5, 5),
    "layers": [
        {"kind": "conv2d", "weights": _values(2, 1, 2, 2), "bias": [0.2, -0.1], "flip": True,
         "activation": "tanh"},
        {"kind": "avgpool2d", "size": 3, "stride": 1, "padding": 1},
        {"kind": "flatten"},
        {"weights": _values(1, 32), "activation": "sigmoid"}],
    "loss": "bce", "y": [1], "l2": {"lambda": 0.1},
    "optimizer": {"name": "adam", "lr": 0.01}}
LAST = {  # channels last: x (N, H, W, C), kernels (kH, kW, C_in, C_out)
    "channels": "last",
    "x": _values(2, 4, 4, 2),
    "layers": [
        {"kind": "conv2d", "weights": _values(2, 2, 2, 3), "bias": [0, 0.1, -0.1],
         "padding": [1, 0], "stride": [1, 1], "frozen": ["bias"], "activation": "relu"},
        {"kind": "maxpool2d", "size": 2, "stride": [1, 1]},
        {"kind": "flatten"},
        {"weights": _values(3, 24), "activation": "softmax"}],
    "loss": "cross_entropy", "y": [2, 0], "optimizer": {"name": "sgd", "lr": 0.5,
                                                       "momentum": 0.9}}
TIES = {  # a map output: the upstream gradient, and a max pool whose windows tie
    "x": [[[1, 1, 0, 2], [1, 1, 2, 2], [0, 3, 3, 1], [0, 3, 3, 0]]],
    "layers": [{"kind": "maxpool2d", "size": 2, "stride": 1}],
    "loss": "upstream", "y": [[[0.5, -1, 2], [1, 0.25, -0.5], [1.5, -2, 1]]]}
MANY = {  # nine samples, nine output channels: the middle ones elided
    "x": _values(9, 3, 6, 6),
    "layers": [
        {"kind": "conv2d", "weights": _values(9, 3, 3, 3), "bias": _values(9), "padding": 1,
         "activation": "relu"},
        {"kind": "maxpool2d", "size": 2},
        {"kind": "flatten"},
        {"weights": _values(2, 81), "activation": "softmax"}],
    "loss": "cross_entropy", "y": [0, 1, 1, 0, 1, 0, 0, 1, 1]}
INLINE = {"example": EXAMPLE, "strided": STRIDED, "average": AVERAGE, "last": LAST,
          "ties": TIES, "many": MANY}
FIXTURES = sorted((GOLDEN / "conv").glob("*.json"))
BUNDLED = sorted((ROOT / "problems").glob("cnn*.yaml"))  # the bundled CNN examples
FORMATS = ["markdown", "latex"]


@pytest.fixture(params=[*INLINE, *FIXTURES, *BUNDLED], ids=lambda p: getattr(p, "stem", p))
def source(request, tmp_path):
    """The problem as a YAML file."""
    name = request.param
    doc = INLINE[name] if name in INLINE else yaml.safe_load(name.read_text()) \
        if name.suffix == ".yaml" else json.loads(name.read_text())["problem"]
    path = tmp_path / f"{getattr(name, 'stem', name)}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def worked_text(run, source, fmt) -> tuple[str, dict]:
    """The worked solution (its ⋮ rows for elided samples or channels left out: the
    chains' reader wants a relation on every row) and the JSON solution."""
    got = run("solve", source, "--format", fmt)
    assert got.exit_code == 0, got.stderr
    return (re.sub(r"^\\vdots & ?( \\\\)?\n", "", got.stdout, flags=re.M),
            json.loads(run("solve", source, "--format", "json").stdout))


# ------------------------------------------------------------------ the JSON's maps, by hand


def as_maps(problem, value) -> np.ndarray:
    """A map of the document or the file, in the file's shape and channel order, as
    (N, C, H, W)."""
    arr = np.array(value, dtype=float)
    arr = arr if problem.batched else arr[None]
    if arr.ndim == 3:  # x written (H, W): one channel
        arr = arr[:, None] if problem.channels == "first" else arr[..., None]
    return arr.transpose(0, 3, 1, 2) if problem.channels == "last" else arr


def as_kernels(problem, value) -> np.ndarray:
    arr = np.array(value, dtype=float)
    return arr.transpose(3, 2, 0, 1) if problem.channels == "last" else arr


def padded(arr, padding, fill):
    pH, pW = padding
    out = np.full((*arr.shape[:2], arr.shape[2] + 2 * pH, arr.shape[3] + 2 * pW), fill)
    out[:, :, pH:pH + arr.shape[2], pW:pW + arr.shape[3]] = arr
    return out


def argmax_positions(x, g):
    """(row, column) in x of each window's first largest cell, row-major."""
    (kH, kW), (sH, sW), (pH, pW) = g.kernel, g.stride, g.padding
    xp = padded(x, g.padding, -np.inf)
    N, C = x.shape[:2]
    Ho, Wo = (xp.shape[2] - kH) // sH + 1, (xp.shape[3] - kW) // sW + 1
    out = np.empty((N, C, Ho, Wo), dtype=object)
    for n, c, i, j in np.ndindex(out.shape):
        win = xp[n, c, i * sH:i * sH + kH, j * sW:j * sW + kW]
        p, q = divmod(int(np.argmax(win)), kW)
        out[n, c, i, j] = f"({i * sH + p - pH}, {j * sW + q - pW})"
    return out


def shown(N: int, C: int) -> list[tuple[int, int]]:
    """The (sample, channel) pairs a page shows: past MAX_SHOWN, the first and last three."""
    return [(n, c) for n in elide(list(range(N)), None) if n is not None
            for c in elide(list(range(C)), None) if c is not None]


def expected(problem, raw: dict, doc: dict) -> dict:
    """TeX left-hand side -> the array its chains must end with (the last step of each)."""
    A, H, D, X = ("A", "H", r"\Delta", "X") if problem.batched else ("a", "h", r"\delta", "x")
    out = {}

    def d(sym):
        return rf"\frac{{\partial L}}{{\partial {sym}}}"

    def each(name, arr4):  # name: a symbol, or (n, c) -> the symbol of channel c of n
        for n, c in shown(*arr4.shape[:2]):
            out[name(n, c) if callable(name) else f"{name}[{n}, {c}]"] = arr4[n, c]

    x = as_maps(problem, raw["x"])
    each(X, x)
    fwd, grads = doc["forward"], doc["gradients"]
    for l, spec in enumerate(problem.model.layers, 1):
        if spec.kind == "dense":
            continue
        h_in = x if l == 1 else as_maps(problem, fwd[f"h{l - 1}"])
        dx = as_maps(problem, grads["x" if l == 1 else f"h{l - 1}"])
        each(lambda n, c, l=l: d(f"{X if l == 1 else f'{H}_{{{l - 1}}}'}[{n}, {c}]"), dx)
        if spec.kind == "flatten":
            out[f"{A}_{{{l}}}"] = np.array(fwd[f"a{l}"], dtype=float)
            continue
        delta = as_maps(problem, grads[f"a{l}"])
        each(f"{A}_{{{l}}}", as_maps(problem, fwd[f"a{l}"]))
        each(f"{H}_{{{l}}}", as_maps(problem, fwd[f"h{l}"]))
        each(f"{D}_{{{l}}}", delta)
        g = spec.settings.geometry
        if any(g.padding):
            fill = -np.inf if spec.kind == "maxpool2d" else 0.0
            each(rf"{H}_{{{l - 1}}}^{{\mathrm{{pad}}}}", padded(h_in, g.padding, fill))
        if spec.kind == "maxpool2d":
            each(rf"\operatorname{{argmax}}_{{{l}}}", argmax_positions(h_in, g))
        elif spec.kind == "avgpool2d":
            kH, kW = g.kernel
            each(rf"\frac{{1}}{{{kH} \cdot {kW}}} {D}_{{{l}}}", delta / (kH * kW))
        else:
            out |= conv_expected(problem, l, spec, doc, delta, d)
    if problem.model.loss == "upstream" and problem.model.map_of(len(problem.model.layers)):
        each("Y" if problem.batched else "y", as_maps(problem, raw["y"]))
    return out


def conv_expected(problem, l, spec, doc, delta, d) -> dict:
    out = {}
    W = problem.params[f"W{l}"]
    grad = as_kernels(problem, doc["gradients"][f"W{l}"])
    for o, c in shown(*W.shape[:2]):
        out[d(f"W_{{{l}}}[{o}, {c}]")] = grad[o, c]
        out[rf"\operatorname{{rot180}}\left(W_{{{l}}}[{o}, {c}]\right)"] = W[o, c, ::-1, ::-1]
    if spec.bias:
        out[d(f"b_{{{l}}}")] = np.array(doc["gradients"][f"b{l}"])
        for o, v in enumerate(doc["gradients"][f"b{l}"]):
            if o in elide(list(range(W.shape[0])), None):
                out[d(f"b_{{{l}}}[{o}]")] = np.array(v)
    (sH, sW), (kH, kW) = spec.settings.geometry.stride, spec.settings.geometry.kernel
    N, Co, Ho, Wo = delta.shape
    spread = np.zeros((N, Co, (Ho - 1) * sH + 1, (Wo - 1) * sW + 1))
    spread[:, :, ::sH, ::sW] = delta
    base = r"\Delta" if problem.batched else r"\delta"
    for n, o in shown(N, Co):
        if sH > 1 or sW > 1:
            out[rf"\tilde{{{base}}}_{{{l}}}[{n}, {o}]"] = spread[n, o]
        out[rf"\hat{{{base}}}_{{{l}}}[{n}, {o}]"] = padded(spread, (kH - 1, kW - 1), 0.0)[n, o]
    return out


# ------------------------------------------------------------------ reading the page


def cells(term: str) -> list[list[str]]:
    """The first matrix of a term as rows of cells (a lone number as a 1 × 1 grid)."""
    m = re.search(r"\\begin\{bmatrix\} (.*?) \\end\{bmatrix\}", term)
    if m is None:
        return [[NUMBER.findall(term)[-1]]]
    return [re.split(r" & (?![^()]*\))", row) for row in m.group(1).split(r" \\ ")]


def assert_cells(shown: list[list[str]], value, where: str):
    """Each cell is value's entry correctly rounded (−∞ as -\\infty, positions as text), a
    matrix's middle elided past MAX_SHOWN rows or columns as the page elides it."""
    arr = np.array(value, dtype=object if np.asarray(value).dtype == object else float)
    arr = arr.reshape(1, -1) if arr.ndim < 2 else arr
    for candidate in (arr, arr.T):
        rows, cols = (elide(list(range(k)), None) for k in candidate.shape)
        if (len(shown), len(shown[0])) == (len(rows), len(cols)):
            break
    else:
        raise AssertionError(f"{where}: {shown} does not have the shape of {arr.shape}")
    for got_row, i in zip(shown, rows):
        for got, j in zip(got_row, cols):
            want = None if i is None or j is None else candidate[i, j]
            if want is None:
                assert got in (r"\vdots", r"\cdots", r"\ddots"), (where, got)
            elif isinstance(want, str):
                assert got == want, (where, got, want)
            elif want == -np.inf:
                assert got == r"-\infty", (where, got)
            else:
                assert rounds_to(got, want), (where, got, want)


def sums(text: str):
    """(lhs, expression, value) of every numeric step of a map chain that the next step's
    lone number ends: a sum of products, a bias's sum, a share of a window."""
    for lhs, steps in chains(text):
        if "[" not in lhs:
            continue
        for expr, nxt in zip(steps, steps[1:]):
            value = evaluate(expr)
            if value is not None and re.fullmatch(r"\s*-?\d+\.\d+\s*", nxt):
                yield lhs, expr, value, float(nxt)


def evaluate(expr: str):
    """A step made of numbers, +, ·, brackets and 1/(k·k) evaluated (None for others)."""
    s = re.sub(r"\\frac\{(\d+)\}\{([\d \\cdot]+)\}", r"(\1/(\2))", expr)
    s = s.replace(r"\cdot", "*").replace(r"\bigl(", "(").replace(r"\bigr)", ")")
    s = re.sub(r"\)\s*\(", ")*(", s)  # 1/(k·k) times the bracket
    if re.search(r"[A-Za-z\\{}&]", s) or not re.search(r"\d", s):
        return None
    return float(eval(s))  # digits, + - * / and brackets only


def assert_sums_add_up(text: str) -> int:
    """Every worked sum equals its value, within what rounding its shown numbers allows."""
    count, half = 0, 0.5 * 10.0 ** -DECIMALS
    for lhs, expr, value, shown in sums(text):
        # each term rounded (a product: each factor, the other one's size times it), and
        # the value itself
        terms = re.sub(r"\\frac\{\d+\}\{[^}]*\}", "", expr).split(" + ")
        slack = half * (1 + sum(max(1.0, sum(abs(float(v)) for v in NUMBER.findall(t)))
                                for t in terms)) * (1 + 1e-9)
        assert abs(value - shown) <= slack, f"{lhs}: {expr} = {value}, shown {shown}"
        count += 1
    return count


def assert_max_windows(text: str):
    """A max pool's worked window ends with its largest cell."""
    for lhs, steps in chains(text):
        for expr, nxt in zip(steps, steps[1:]):
            if expr.startswith(r"\max \begin{bmatrix}"):
                entries = [v for row in cells(expr) for v in row if v != r"-\infty"]
                assert max(map(float, entries)) == float(nxt), (lhs, expr, nxt)


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_map_is_the_json_value(run, source, fmt):
    text, doc = worked_text(run, source, fmt)
    problem = load(str(source))
    raw = yaml.safe_load(source.read_text())
    for lhs, value in expected(problem, raw, doc).items():
        terms = values(lhs, text)
        assert terms, f"{lhs} is not worked"
        for term in terms:
            assert_cells(cells(term), value, lhs)
    for l, spec in enumerate(problem.model.layers, 1):  # kernels as given, then updated
        if spec.kind == "conv2d":
            new = as_kernels(problem, doc["update"]["parameters"][f"W{l}"])
            for o, c in shown(*new.shape[:2]):
                given, *_, after = values(f"W_{{{l}}}[{o}, {c}]", text)
                assert_cells(cells(given), problem.params[f"W{l}"][o, c], f"W{l}[{o}, {c}]")
                assert_cells(cells(after), new[o, c], f"new W{l}[{o}, {c}]")
    if not elided(doc):
        assert_every_number(text, doc, DECIMALS)


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_worked_sum_adds_up(run, source, fmt):
    text, doc = worked_text(run, source, fmt)
    problem = load(str(source))
    worked_sums = assert_sums_add_up(text)
    assert_max_windows(text)
    kinds = {spec.kind for spec in problem.model.layers}
    assert worked_sums or kinds == {"maxpool2d"}  # a lone max pool may have no overlap


def test_each_formula_appears(run, source):
    text, _ = worked_text(run, source, "markdown")
    assert_markdown_well_formed(text)
    problem = load(str(source))
    missing = [piece for piece in formulas(problem) if piece not in text]
    assert not missing, "missing formulas:\n" + "\n".join(missing)


def formulas(problem) -> list[str]:
    H, X = ("H", "X") if problem.batched else ("h", "x")
    out = []
    if problem.channels == "last":
        out.append("The file writes its channels last")
    for l, spec in enumerate(problem.model.layers, 1):
        s = spec.settings
        windows = spec.kind in ("conv2d", "maxpool2d", "avgpool2d")
        padding = windows and any(s.geometry.padding)
        below = f"{H}_{{{l - 1}}}" + (r"^{\mathrm{pad}}" if padding else "")
        if spec.kind == "conv2d":
            turned = rf"\operatorname{{rot180}}\left(W_{{{l}}}[o, c]\right)"
            out += [rf"\sum_c K_{{{l}}}[o, c] \star {below}[n, c]",
                    rf"K_{{{l}}}[o, c] &= " + (turned if s.flip else f"W_{{{l}}}[o, c]"),
                    "One cell in full", "One entry in full", "full convolution",
                    r"\star " + (f"W_{{{l}}}[o, c]" if s.flip else turned)]
            if s.flip:
                out.append("a true convolution turns each kernel 180°")
        elif spec.kind == "maxpool2d":
            out += [rf"\max_{{p, q}} {below}[n, c, i s_H + p, j s_W + q]",
                    rf"\operatorname{{argmax}}_{{{l}}}[0, 0] &= ", "first in row-major order"]
        elif spec.kind == "avgpool2d":
            kH, kW = s.geometry.kernel
            out += [rf"\frac{{1}}{{k_H k_W}} \sum_{{p, q}} {below}",
                    rf"\frac{{1}}{{{kH} \cdot {kW}}} \bigl("]
        elif spec.kind == "flatten":
            C, Hh, W = s.inp
            out.append(rf"k = (i \cdot {W} + j) \cdot {C} + c" if problem.channels == "last"
                       else rf"k = c \cdot {Hh * W} + i \cdot {W} + j")
        if padding:
            out.append("The input padded with")
    if problem.model.map_of(0) is not None:
        out.append(rf"{X}[0, 0] &= \begin{{bmatrix}}")
    return out


@NEEDS_PDFLATEX
def test_latex_compiles(run, source, tmp_path):
    got = run("solve", source, "--format", "latex")
    assert got.exit_code == 0, got.stderr
    log = compile_latex(tmp_path, got.stdout)
    assert "Overfull \\hbox" not in log, "a display is wider than the page"


def test_answers_are_in_the_files_order(run, source):
    text, doc = worked_text(run, source, "markdown")
    rows = dict(re.findall(r"^\| (.+) \| \*\*(.+)\*\* \|$", text, re.M))
    x = "X" if load(str(source)).batched else "x"
    shown = rows[rf"$\partial L / \partial {x}$"]
    flat = np.array(doc["gradients"]["x"], dtype=float).reshape(-1)
    if "..." not in shown:
        assert [float(v) for v in re.findall(r"-?\d+\.\d+", shown)] == [
            float(f"{v:.{DECIMALS}f}") for v in flat]


def test_many_samples_and_channels_are_elided(run, tmp_path):
    """Past MAX_SHOWN samples or channels, the first three and the last three are shown."""
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(MANY))
    text = run("solve", path, "--format", "markdown").stdout
    for n in range(9):
        assert (f"X[{n}, 0] &=" in text) == (n < 3 or n > 5), n
        assert (f"A_{{1}}[0, {n}] &=" in text) == (n < 3 or n > 5), n
    assert text.count("\\vdots &") >= 4  # samples of x, a_1, h_1, ...


# ------------------------------------------------------------------ the checks bite


def example(**changes):
    doc = copy.deepcopy(STRIDED)
    doc["layers"][0].update(changes)
    return from_document(doc, "<test>")


@pytest.mark.parametrize("where", [("forward", "a1", (0, 0, 0, 0)),
                                   ("gradients", "W1", (0, 0, 0, 0)),
                                   ("gradients", "x", (0, 0, 2, 2))])
def test_a_wrong_number_is_caught(where):
    """The worked sums are computed from the problem's numbers: a document with one
    wrong cell (the one worked in full) does not add up."""
    problem = example()
    doc = solved(problem)
    assert_sums_add_up(worked.markdown(problem, doc, DECIMALS))
    section, name, index = where
    wrong = copy.deepcopy(doc)
    cell = wrong[section][name]
    for i in index[:-1]:
        cell = cell[i]
    cell[index[-1]] += 0.01
    with pytest.raises(AssertionError):
        assert_sums_add_up(worked.markdown(problem, wrong, DECIMALS))


def test_a_kernel_not_turned_is_caught():
    """flip: true with the kernel as written (the numbers of a cross-correlation) does not
    add up: the worked cell slides the turned kernel."""
    doc = solved(example(flip=False))
    with pytest.raises(AssertionError):
        assert_sums_add_up(worked.markdown(example(flip=True), doc, DECIMALS))
