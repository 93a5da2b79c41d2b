"""A class's results are written as they are made (JSON a compact student document a line,
CSV a block of students at a time), what the documents are, byte for byte."""

from __future__ import annotations

import io
import json

import pytest
from helpers import CLASSIC

from backprop_cli.problem import documents

CLASS = """student,loss,forward.h1.0,gradients.a3.2,update.loss
Ada,0.8564,0.8227,-0.5753,0.0725
Bob,0.8,0.82,0.5753,
Cy,,0.8227,-0.5753,0.0725
Dee,1.7128,0.9,-1.1506,0.07253
"""


@pytest.mark.parametrize("items", [[], [{}], [{"a": [1, [2.5, None]], "b": "x\ny\u2028é",
                                              "c": {}, "d": []}],
                                   [{"s": 1}, [], [[1, 2], [3]], "text", 0.1]])
def test_a_json_array_item_by_item(items):
    """One compact item a line, the whole still one JSON array."""
    streamed = io.StringIO()
    documents.write_json_lines(map(documents.dump_compact_json, items), streamed)
    text = streamed.getvalue()
    assert json.loads(text) == items
    lines = text.split("\n")
    assert lines[0] == "[" if items else text == "[]\n"
    if items:
        assert lines[-2:] == ["]", ""] and len(lines) == len(items) + 3
        assert [json.loads(line.removesuffix(",")) for line in lines[1:-2]] == items
        assert all(line.endswith(",") for line in lines[1:-3])


@pytest.fixture
def marked(tmp_path):
    from backprop_cli import problem as problems
    from backprop_cli.api.marking import grade
    from backprop_cli.problem import answers

    (tmp_path / "class.csv").write_text(CLASS)
    graded = grade(problems.load(str(CLASSIC)), [answers.load(str(tmp_path / "class.csv"))])
    return list(graded.results)


def test_csv_in_blocks(marked):
    from backprop_cli.output.grading.report import csv_chunks, csv_text

    whole = csv_text(marked)
    assert whole.count("\n") == 5 and whole.startswith("student,file,score")
    for block in (1, 2, 3, 4, 5):
        chunks = list(csv_chunks(marked, block))
        assert "".join(chunks) == whole
        assert len([c for c in chunks if c]) == -(-4 // block)  # a piece per block


def test_the_command_streams_what_the_documents_are(run, tmp_path, marked):
    from backprop_cli.output.grading.report import csv_text, student_document

    (tmp_path / "class.csv").write_text(CLASS)
    got = run("grade", CLASSIC, tmp_path / "class.csv", "--format", "json")
    assert got.exit_code in (0, 1), got.stderr
    docs = [student_document(g) for g in marked]
    assert got.stdout == "[\n" + ",\n".join(map(documents.dump_compact_json, docs)) + "\n]\n"
    assert [d["student"] for d in json.loads(got.stdout)] == ["Ada", "Bob", "Cy", "Dee"]
    got = run("grade", CLASSIC, tmp_path / "class.csv", "--format", "csv")
    assert got.stdout == csv_text(marked)


def test_marked_a_block_of_sheets_at_a_time(run, tmp_path, monkeypatch):
    """The perturbations of a class's inputs are computed a block of sheets at a time (for
    memory): the same marks, to the last bit, as all at once."""
    from backprop_cli.engine.grading import worlds

    (tmp_path / "class.csv").write_text(CLASS)
    whole = run("grade", CLASSIC, tmp_path / "class.csv", "--format", "json").stdout
    monkeypatch.setattr(worlds, "BLOCK", 50)  # every rule with inputs: a sheet at a time
    assert run("grade", CLASSIC, tmp_path / "class.csv", "--format", "json").stdout == whole
    assert '"own"' in whole  # own values (full precision) are compared too


@pytest.mark.parametrize("block", [1, 3])
def test_a_class_marked_and_shown_in_blocks(run, tmp_path, monkeypatch, block):
    """A class is marked in equal blocks of at most BLOCK sheets, and its rows built BLOCK
    at a time: the same output, to the last bit, as all at once (here 4 students: blocks
    of 1; or marked 2 and 2, rows built 3 and 1)."""
    from backprop_cli.api import marking as grade_run
    from backprop_cli.output.grading import rows

    (tmp_path / "class.csv").write_text(CLASS)
    args = ("grade", CLASSIC, tmp_path / "class.csv", "--format")
    whole = {fmt: run(*args, fmt).stdout for fmt in ("json", "csv", "markdown")}
    monkeypatch.setattr(grade_run, "BLOCK", block)
    monkeypatch.setattr(rows, "BLOCK", block)
    for fmt, text in whole.items():
        assert run(*args, fmt).stdout == text, fmt
    assert '"own"' in whole["json"] and ",wrong," in whole["csv"]


def test_several_sheets_json_lines_are_their_documents(run, tmp_path, solve_json):
    """A class's JSON lines are built a block at a time, path by path (report.json_lines):
    each line is json's own encoding of the student's document, for lists and matrices,
    a matrix written transposed, unreadable text, whole numbers, blanks and nan-free own
    values alike."""
    from backprop_cli import problem as problems
    from backprop_cli.api.marking import grade
    from backprop_cli.output.grading.report import json_lines, student_document
    from backprop_cli.problem import answers

    source = CLASSIC.parent / "frozen_bias.yaml"  # W1 is 2 x 3: written transposed, told
    doc = solve_json(source)
    dW1 = doc["gradients"]["W1"]
    sheets = {
        "a.yaml": {"gradients.W1": [list(c) for c in zip(*dW1)], "loss": 1,
                   "forward.h1": [2, "abc"],
                   "update.parameters.W1": doc["update"]["parameters"]["W1"]},
        "b.yaml": {"gradients.W1": dW1, "loss": doc["loss"], "forward.h1": None},
        "c.yaml": {"gradients.W1": [[0, 0, 0], [0, 0, 0]], "loss": "x",
                   "forward.h1": [round(v, 2) for v in doc["forward"]["h1"]]},
    }
    for name, given in sheets.items():
        (tmp_path / name).write_text(json.dumps({"student": name[0], "answers": given}))
    paths = [str(tmp_path / name) for name in sheets]
    graded = grade(problems.load(str(source)), [answers.load(p) for p in paths])
    results = list(graded.results)
    lines = list(json_lines(results))
    assert lines == [documents.dump_compact_json(student_document(g)) for g in results]
    assert '"abc"' in lines[0] and "transposed-gradient" in lines[0] and '"loss":{"given":1,' \
        in lines[0]
    got = run("grade", source, *paths, "--format", "json")
    assert got.stdout == "[\n" + ",\n".join(lines) + "\n]\n"


def _random_class(doc: dict, students: int, seed: int) -> str:
    """A class CSV of every number of solve's document, as people write them: mostly right
    to 4 decimals, some to 2 or in full, some wrong (scaled, the sign flipped, off), some
    blank (the benchmark's class, smaller)."""
    import random

    def leaves(value, path=""):
        if isinstance(value, dict):
            for k, v in value.items():
                if k not in ("title", "rounded", "optimizer", "parameters", "trainable"):
                    yield from leaves(v, f"{path}.{k}" if path else k)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                yield from leaves(v, f"{path}.{i}")
        elif isinstance(value, float):
            yield path, value

    found = list(leaves(doc))
    rng = random.Random(seed)

    def cell(exact):
        u = rng.random()
        return (f"{exact:.4f}" if u < .6 else f"{exact:.2f}" if u < .72 else repr(exact)
                if u < .78 else f"{exact * rng.choice((.5, 2.0, 1.1)):.4f}" if u < .86 else
                f"{-exact:.4f}" if u < .92 else f"{exact + rng.uniform(-1, 1):.3f}"
                if u < .97 else "")
    lines = [",".join(["student"] + [p for p, _ in found])]
    lines += [",".join([f"s{s}"] + [cell(v) for _, v in found]) for s in range(students)]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("name", ["classic.yaml", "batch_classes.yaml", "batch_mse.yaml"])
def test_each_world_only_for_the_sheets_its_slip_can_change(run, tmp_path, monkeypatch,
                                                           solve_json, name):
    """A slip's world is computed only for the sheets with a wrong answer it can change
    (through numbers they did not write): the same marks, to the last bit, as a world for
    every sheet with a wrong answer downstream of the slip."""
    import numpy as np

    from backprop_cli.engine.grading import marking

    source = CLASSIC.parent / name
    (tmp_path / "class.csv").write_text(_random_class(solve_json(source), 40, seed=3))
    args = ("grade", source, tmp_path / "class.csv", "--format", "json")
    pruned = run(*args).stdout
    narrow = marking.slipped_reach

    def every_sheet(graph, rules, full, sheets):
        return {n: np.ones(sheets, dtype=bool) for n in narrow(graph, rules, full, sheets)}

    monkeypatch.setattr(marking, "slipped_reach", every_sheet)
    assert run(*args).stdout == pruned
    assert '"slips":["' in pruned.replace(" ", "")  # some slips were found


@pytest.mark.parametrize("slip,shown", [("derivative-with-a", "gradients.W1"),
                                        ("transposed-weights", "gradients.b1"),
                                        ("derivative-with-a", "update.parameters.W1")])
def test_a_slip_seen_only_downstream_of_numbers_not_written(run, tmp_path, slip, shown):
    """A slip made in a step the sheet does not show is still named where it shows: the
    world is computed for that sheet because its slip reaches the answer through numbers
    the sheet did not write (a world for the sheets that wrote them would miss it)."""
    from test_grade_textbook import NETWORKS, Textbook, sheet_text

    made = Textbook(NETWORKS["classic"]).sheet(slip)
    right = Textbook(NETWORKS["classic"]).sheet()
    kept = {p: v for p, v in made.items()
            if p == shown or p.startswith("forward") or p == "loss"}
    assert kept[shown] != right[shown]  # the slip shows there
    (tmp_path / "t.yaml").write_text(sheet_text(kept))
    (tmp_path / "u.yaml").write_text(sheet_text(right, student="u"))  # writes every step
    got = json.loads(run("grade", CLASSIC, tmp_path / "t.yaml", tmp_path / "u.yaml",
                         "--format", "json").stdout)
    mine = next(g for g in got if g["student"] == "t")
    assert mine["answers"][shown]["verdict"] == "wrong"
    assert mine["answers"][shown]["slips"] == [slip]


def test_a_world_for_every_sheet_or_for_some_gives_the_same_marks(run, tmp_path, monkeypatch,
                                                                 solve_json):
    """A world for most of a block's sheets is computed for all of them (marking.WHOLE):
    the same marks, to the last bit, as one computed for just the sheets it can change."""
    from backprop_cli.engine.grading import marking

    (tmp_path / "class.csv").write_text(_random_class(solve_json(CLASSIC), 30, seed=4))
    args = ("grade", CLASSIC, tmp_path / "class.csv", "--format", "json")
    got = {}
    for share in (0.0, 2.0):  # every world for every sheet; none
        monkeypatch.setattr(marking, "WHOLE", share)
        got[share] = run(*args).stdout
    assert got[0.0] == got[2.0] and '"own"' in got[0.0]
