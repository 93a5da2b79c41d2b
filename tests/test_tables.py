"""Terminal tables at any width: no line wider than the terminal, no label cut, every number
shown whole and equal to the JSON's value rounded to --decimals (or left out, visibly: `…`
for columns, `⋮` for rows, blocks headed by the columns they hold); the forward pass
written for the layout; infinities with their sign; plain strings and zeros in --get."""

import json
import math
import re

import numpy as np
import pytest
import yaml
from helpers import PROBLEMS
from rich.cells import cell_len

from backprop_cli.output.cells import fit
from backprop_cli.output.sections import MIN_WIDTH, UNKNOWN_WIDTH, usable_width

CLASSIC = str(PROBLEMS / "classic.yaml")


# ------------------------------------------------------------------ problems


def network(units: int, batch: int, scale: str, seed: int) -> dict:
    """units → units → units, tanh then identity, sse_half. scale: "small" weights from 1e-5
    to 1; "one" adds a single weight of 1e7 (the one huge entry among small ones); "wide"
    spreads the weights from 1e-5 to 1e7."""
    rng = np.random.default_rng(seed)

    def draw(*shape, lo=-5.0, hi=0.0):
        return rng.choice([-1.0, 1.0], shape) * 10.0 ** rng.uniform(lo, hi, shape)

    w1 = draw(units, units, hi=7.0 if scale == "wide" else 0.0)
    if scale == "one":
        w1[units // 2, 0] = -2911581.64
    x = rng.uniform(-1, 1, (batch, units))
    y = rng.uniform(-1, 1, (batch, units))
    return {"title": f"{units} wide, batch {batch}, {scale}",
            "x": x.tolist() if batch > 1 else x[0].tolist(),
            "y": y.tolist() if batch > 1 else y[0].tolist(), "loss": "sse_half",
            "layers": [{"weights": w1.tolist(), "bias": draw(units).tolist(),
                        "activation": "tanh"},
                       {"weights": draw(units, units).tolist(), "bias": draw(units).tolist(),
                        "activation": "identity"}],
            "optimizer": {"name": "sgd", "lr": 0.5}}


def solve(run, monkeypatch, doc, columns, *args):
    """(the table at `columns`, the JSON document) of one problem."""
    text = json.dumps(doc)
    as_json = run("solve", "-", "--format", "json", *args, input=text)
    assert as_json.exit_code == 0, as_json.stderr
    monkeypatch.setenv("COLUMNS", str(columns))
    table = run("solve", "-", *args, input=text)
    assert table.exit_code == 0 and table.stderr == ""
    return table.stdout, json.loads(as_json.stdout)


# ------------------------------------------------------------------ reading a table


def rows_of(text: str) -> dict:
    """{label: [value lines]} of every table row (or, without a table, every label line
    and the indented lines below it). The header grid, headings, table headers and rules
    (the line above a rule is a table's header) are skipped."""
    lines = text.splitlines()
    lines = lines[next(i for i, line in enumerate(lines) if line.startswith("Step 1 ")):]
    headers = {i - 1 for i, line in enumerate(lines) if line.strip().startswith("─")}
    rows, current = {}, None
    for i, line in enumerate(lines):
        if i in headers or not line.strip() or line.strip().startswith("─"):
            continue
        if not line.startswith(" "):  # a heading, the header grid, a verdict
            current = None
        elif not line.startswith("  "):
            label, _, rest = re.match(r" (\S.*?)( {3,}(\S.*))?$", line.rstrip()).groups()
            assert label not in rows, f"{label!r} twice"
            current = rows[label] = [] if rest is None else [rest]
        else:
            assert current is not None, f"a value without a label: {line!r}"
            current.append(line.strip())
    return rows


def rounded(value, decimals: int) -> float:
    return float(f"{value:.{decimals}f}")


def check_number(token: str, value, decimals: int, where: str):
    assert float(token) == rounded(value, decimals), f"{where}: {token} for {value!r}"


def check_cell(lines: list[str], truth, decimals: int, where: str) -> str | None:
    """Every number in `lines` is the true value's at its place; returns the text after
    the value on its first line (the sum), if any."""
    if not isinstance(truth, list):
        token, *tail = lines[0].split(maxsplit=1)
        check_number(token, truth, decimals, where)
        assert len(lines) == 1
        return tail[0] if tail else None
    matrix = truth if isinstance(truth[0], list) else [truth]
    first = re.match(r"(\[.*?\]|columns? \d+(?:–\d+)?)(.*)$", lines[0])
    assert first, f"{where}: {lines[0]!r}"
    value_lines = [first.group(1)] + lines[1:]
    blocks, block = [], None
    for line in value_lines:
        head = re.fullmatch(r"columns? (\d+)(?:–(\d+))?", line)
        if head:
            start = int(head.group(1))
            block = (list(range(start, int(head.group(2) or start) + 1)), [])
            blocks.append(block)
        elif block is None:
            block = (None, [])
            blocks.append(block)
            block[1].append(line)
        else:
            block[1].append(line)
    for columns, shown in blocks:
        check_block(shown, matrix, columns, decimals, where)
    if blocks[0][0] is not None:  # blocks: together they hold the columns a table shows
        held = [c for columns, _ in blocks for c in columns]
        k = len(matrix[0])
        assert held == (list(range(k)) if k <= 8 else [0, 1, 2, k - 3, k - 2, k - 1])
    return first.group(2).strip() or None


def check_block(lines: list[str], matrix: list, columns, decimals: int, where: str):
    """Rows of a matrix (or its block of `columns`), `⋮` for the rows left out."""
    if "⋮" in lines:
        gap = lines.index("⋮")
        assert len(matrix) > 8 and gap == 3 and len(lines) == 7, where
        picked = matrix[:3] + matrix[-3:]
        lines = lines[:3] + lines[4:]
    else:
        picked = matrix
    assert len(lines) == len(picked), f"{where}: {len(lines)} rows for {len(picked)}"
    for line, row in zip(lines, picked, strict=True):
        assert line.startswith("[") and line.endswith("]"), f"{where}: {line!r}"
        tokens = line[1:-1].split()
        if columns is not None:
            assert "…" not in tokens and len(tokens) == len(columns), f"{where}: {line}"
            values = [row[c] for c in columns]
        elif "…" in tokens:
            gap = tokens.index("…")
            front, back = tokens[:gap], tokens[gap + 1:]
            assert front and back and len(front) + len(back) < len(row), f"{where}: {line}"
            values = row[:len(front)] + row[len(row) - len(back):]
            tokens = front + back
        else:
            assert len(tokens) == len(row), f"{where}: {line}"
            values = row
        for token, value in zip(tokens, values, strict=True):
            check_number(token, value, decimals, where)


def truths(doc: dict, source: dict) -> dict:
    """{label: (value, sum or None)} of every row solve's tables show."""
    out = {"h0 = x": (source["x"], None)}
    out.update({name: (value, doc["sums"][name]) for name, value in doc["forward"].items()})
    out[f"L ({source['loss']}, mean)"] = (doc["loss"], None)
    out.update({f"∂L/∂{name}": (value, None) for name, value in doc["gradients"].items()})
    up = doc["update"]
    out.update({f"{name}  new": (value, None) for name, value in up["parameters"].items()})
    out.update({f"state {p}.{k}": (v, None) for p, s in up["state"].items()
                for k, v in s.items()})
    out["L after the update"] = (up["loss"], None)
    return out


def assert_faithful(text: str, doc: dict, source: dict, columns: int, decimals: int):
    """The property: every line fits, every label is whole, every number is right."""
    for line in text.splitlines():
        assert cell_len(line) <= usable_width(columns), f"wider than {columns}: {line!r}"
    rows = rows_of(text)
    expected = truths(doc, source)
    assert set(rows) == set(expected)  # each label whole, as its own row
    for label, (truth, total) in expected.items():
        lines = rows[label]
        if lines and lines[-1].startswith("sum "):  # without a table, the sum comes last
            tail = lines.pop()[4:]
        else:
            tail = check_cell(lines, truth, decimals, label) if lines else None
            lines = []
        if lines:
            assert check_cell(lines, truth, decimals, label) is None
        if total is not None:
            check_number(tail, total, decimals, f"the sum of {label}")
        else:
            assert tail is None, f"{label}: {tail!r} after the value"


# ------------------------------------------------------------------ the property


@pytest.mark.parametrize("columns", [60, 80, 120])
@pytest.mark.parametrize("units", [3, 8, 12])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("scale", ["small", "one", "wide"])
def test_every_line_fits_and_every_number_is_whole(run, monkeypatch, columns, units, batch,
                                                   scale):
    source = network(units, batch, scale, seed=units * 10 + batch)
    decimals = 4
    text, doc = solve(run, monkeypatch, source, columns)
    assert_faithful(text, doc, source, columns, decimals)


@pytest.mark.parametrize("columns, decimals", [(60, 0), (60, 8), (80, 12), (120, 17)])
def test_decimals_keep_numbers_whole(run, monkeypatch, columns, decimals):
    source = network(8, 3, "wide", seed=decimals)
    text, doc = solve(run, monkeypatch, source, columns, "--decimals", decimals)
    assert_faithful(text, doc, source, columns, decimals)


@pytest.mark.parametrize("columns", [1, 10, 39, 40, 45])
def test_narrow_terminals_are_laid_out_for_40_columns(run, monkeypatch, columns):
    source = network(12, 3, "one", seed=5)
    text, doc = solve(run, monkeypatch, source, columns, "--decimals", "6")
    assert text.strip()
    assert_faithful(text, doc, source, columns, 6)


def test_the_reported_8_8_8_network_at_80_columns(run, monkeypatch):
    made = run("new", "--layers", "8,8,8", "--seed", "1")
    source = yaml.safe_load(made.stdout)
    text, doc = solve(run, monkeypatch, source, 80)
    assert_faithful(text, doc, source, 80, 4)
    for label in ("∂L/∂h2", "∂L/∂a2", "∂L/∂W2", "h0 = x"):
        assert f"\n {label}   " in text
    assert "…   " not in text and ".…" not in text and "∂L/…" not in text


def test_columns_0_means_an_unknown_width(run, monkeypatch):
    source = network(8, 1, "small", seed=1)
    text, doc = solve(run, monkeypatch, source, 0)
    assert text.strip()
    assert_faithful(text, doc, source, UNKNOWN_WIDTH, 4)


def test_the_width_rule():
    assert usable_width(0) == UNKNOWN_WIDTH == 80
    assert usable_width(1) == usable_width(39) == MIN_WIDTH == 40
    assert usable_width(41) == 41 and usable_width(200) == 200


# ------------------------------------------------------------------ cells


def test_a_cell_leaves_out_whole_columns_then_makes_blocks():
    row = [0.5, -1.25, 3.0, 4.0, -5.0]
    assert fit(row, 2, 31) == ["[ 0.50 -1.25  3.00  4.00 -5.00]"]
    assert fit(row, 2, 30) == ["[ 0.50 -1.25 …  4.00 -5.00]"]
    assert fit(row, 2, 26) == ["[ 0.50 -1.25 … -5.00]"]
    assert fit(row, 2, 20) == ["[ 0.50 … -5.00]"]  # the first and the last column
    assert fit(row, 2, 14) == ["columns 0–1", "[ 0.50 -1.25]", "columns 2–3", "[ 3.00  4.00]",
                               "column 4", "[-5.00]"]
    assert len(fit(row, 2, 12)) == 10  # five blocks of one column
    assert fit(row, 2, 7) is None  # no room for a block: shown nowhere rather than cut
    assert fit(1234.5, 2, 7) == ["1234.50"] and fit(1234.5, 2, 6) is None


def test_a_tall_matrix_leaves_out_rows():
    matrix = [[float(i), -float(i)] for i in range(10)]
    lines = fit(matrix, 1, 40)
    assert len(lines) == 7 and lines[3].strip() == "⋮"
    assert lines[0] == "[ 0.0  0.0]" and lines[-1] == "[ 9.0 -9.0]"


# ------------------------------------------------------------------ check


@pytest.mark.parametrize("columns", [60, 80])
def test_check_keeps_fail_counts_and_numbers_whole(run, monkeypatch, columns):
    text = json.dumps(network(12, 1, "small", seed=2))
    args = ("check", "-", "--atol", "0", "--rtol", "0")
    report = json.loads(run(*args, "--format", "json", input=text).stdout)
    monkeypatch.setenv("COLUMNS", str(columns))
    result = run(*args, input=text)
    assert result.exit_code == 1
    out = result.stdout
    for line in out.splitlines():
        assert cell_len(line) <= columns, line
    assert "max abs" in out and "parameter" in out  # still a table
    for name, p in report["parameters"].items():
        line = next(line for line in out.splitlines() if line.split()[:1] == [name])
        result_text = "ok" if p["failures"] == 0 else f"FAIL ({p['failures']})"
        assert line.split()[1:] == [str(p["checked"]), str(p["skipped"]),
                                    f"{p['max_abs']:.2e}", f"{p['max_rel']:.2e}",
                                    *result_text.split()]
    assert any("FAIL (144)" in line for line in out.splitlines())


def test_check_without_a_table_when_too_narrow(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    result = run("check", "-", "--atol", "0", "--rtol", "0",
                 input=json.dumps(network(12, 1, "small", seed=2)))
    assert result.exit_code == 1
    assert all(cell_len(line) <= 40 for line in result.stdout.splitlines())
    assert " W1   FAIL (144)" in result.stdout
    assert "144 entries, 0 skipped (kink)" in result.stdout


# ------------------------------------------------------------------ the forward pass


def test_forward_heading_follows_the_layout(run):
    assert "Step 1 · Forward pass: a = W h + b, h = f(a)" in run("solve", CLASSIC).stdout
    in_out = run("solve", PROBLEMS / "in_out.yaml").stdout
    assert "Step 1 · Forward pass: a = h W + b, h = f(a)" in in_out
    batch = run("solve", PROBLEMS / "batch_mse.yaml").stdout
    assert "Step 1 · Forward pass: A = H Wᵀ + b, H = f(A)" in batch


def test_forward_heading_of_a_batch_in_row_layout(run):
    doc = yaml.safe_load((PROBLEMS / "batch_mse.yaml").read_text())
    doc["layout"] = "in_out"
    for layer in doc["layers"]:
        layer["weights"] = [list(col) for col in zip(*layer["weights"], strict=True)]
    out = run("solve", "-", input=json.dumps(doc)).stdout
    assert "Step 1 · Forward pass: A = H W + b, H = f(A)" in out


# ------------------------------------------------------------------ infinities, zeros, strings


SATURATED = {"x": [1.0], "y": 1, "loss": "cross_entropy",
             "layers": [{"weights": [[1000.0], [-1000.0], [40.0], [-40.0]],
                         "activation": "softmax"}]}


def test_an_infinite_output_gradient_keeps_its_sign(run):
    text = json.dumps(SATURATED)
    doc = json.loads(run("solve", "-", "--format", "json", input=text).stdout)
    assert doc["gradients"]["h1"][1] is None  # the contract: null in JSON
    table = run("solve", "-", input=text).stdout
    row = next(line for line in table.splitlines() if line.startswith(" ∂L/∂h1 "))
    assert row.split("[")[1].split() == ["0.0000", "-inf", "0.0000", "0.0000]"]
    assert "null" not in table
    bce = {"x": [1.0], "y": [0.0], "loss": "bce",
           "layers": [{"weights": [[1000.0]], "bias": [0.0], "activation": "sigmoid"}]}
    table = run("solve", "-", input=json.dumps(bce)).stdout
    assert " ∂L/∂h1   [ inf]" in table


def test_an_infinite_output_gradient_in_a_batch(run):
    doc = dict(SATURATED, x=[[1.0], [-1.0]], y=[1, 0])
    table = run("solve", "-", input=json.dumps(doc)).stdout
    rows = rows_of(table)["∂L/∂h1"]
    assert [r.split() for r in rows] == [["[", "0.0000", "-inf", "0.0000", "0.0000]"],
                                         ["[", "-inf", "0.0000", "0.0000", "0.0000]"]]


def negative_zeros(value, where=""):
    if isinstance(value, float) and value == 0 and math.copysign(1, value) < 0:
        yield where
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from negative_zeros(v, f"{where}.{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from negative_zeros(v, f"{where}.{i}")


def test_zeros_print_as_0_0(run):
    result = run("solve", CLASSIC, "--get", "gradients.h3")
    assert result.stdout.startswith("[0.0,0.0,-2.35")
    as_json = run("solve", CLASSIC, "--format", "json").stdout
    assert not re.search(r"-0\.0\b(?![0-9])", as_json)
    assert not list(negative_zeros(json.loads(as_json)))
    as_yaml = run("solve", CLASSIC, "--format", "yaml").stdout
    assert not re.search(r"-0\.0\b(?![0-9])", as_yaml)
    step = run("step", CLASSIC, "--steps", "2", "--optimizer", "adam", "--format", "json")
    assert not list(negative_zeros(json.loads(step.stdout)))


def test_only_negative_zero_changes_bit_for_bit():
    from backprop_cli.output.report import plain_zero

    tiny = np.nextafter(0.0, 1.0)  # the smallest subnormal
    values = np.array([-0.0, 0.0, -tiny, tiny, -1.5, np.inf, -np.inf, np.nan, 5e-324])
    out = plain_zero(values)
    expected = values.copy()
    expected[0] = 0.0
    assert out.view(np.uint64).tolist() == expected.view(np.uint64).tolist()
    assert values.view(np.uint64)[0] == np.float64(-0.0).view(np.uint64)  # not in place
    assert math.copysign(1, plain_zero(-0.0)) == 1 and plain_zero(-tiny) == -tiny
    assert plain_zero((0.9, -0.0)) == [0.9, 0.0] and plain_zero(3) == 3


def test_get_prints_strings_plainly(run):
    assert run("solve", CLASSIC, "--get", "title").stdout == \
        "Two sigmoid hidden layers, softmax output\n"
    assert run("solve", CLASSIC, "--get", "update.optimizer.name").stdout == "sgd\n"
    assert run("solve", CLASSIC, "--get", "update.optimizer").stdout.startswith('{"name":"sgd"')


def test_tables_print_strings_plainly():
    assert fit("adam", 4, 10) == ["adam"] and fit(True, 4, 10) == ["true"]
    assert fit(7, 4, 10) == ["7"]
