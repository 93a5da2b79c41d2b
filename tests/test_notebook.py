"""examples/classic.ipynb, executed as a reader runs it (nbclient, an ipykernel kernel of
this Python), and its outputs checked: the tables, the worked solution, the diagram, the
PyTorch check, the grading of a sheet. Cells are found by their tags.

The notebook uses torch: CI installs it (.ci/run), and there (CI set) a missing torch fails
this test instead of skipping it."""

import os
import re

import pytest
from helpers import ROOT, same_output

NOTEBOOK = ROOT / "examples" / "classic.ipynb"


@pytest.fixture(scope="module")
def executed():
    try:
        import torch  # noqa: F401 - the notebook's PyTorch cells
    except ImportError:  # pragma: no cover - CI installs torch
        if os.environ.get("CI"):
            raise
        pytest.skip("torch is not installed (CI installs it: pip install torch==2.13.0)")
    import nbformat
    from jupyter_client.kernelspec import NATIVE_KERNEL_NAME
    from nbclient import NotebookClient

    nb = nbformat.read(NOTEBOOK, as_version=4)
    # the native kernel: ipykernel in this interpreter (jupyter_client runs sys.executable)
    NotebookClient(nb, timeout=120, kernel_name=NATIVE_KERNEL_NAME,
                   resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return {tag: cell for cell in nb.cells for tag in cell.metadata.get("tags", [])}


def data(cell, kind: str) -> str:
    """The cell's result (or printed text) of a MIME type."""
    for output in cell.outputs:
        if output.output_type == "execute_result" and kind in output.data:
            return output.data[kind]
        if output.output_type == "stream" and kind == "stream":
            return output.text
    raise AssertionError(f"no {kind} output in: {cell.source[:60]!r}")


def test_every_cell_ran_without_an_error(executed):
    for cell in executed.values():
        assert all(o.output_type != "error" for o in cell.outputs)
        assert not any(o.get("name") == "stderr" for o in cell.outputs), cell.outputs


def test_the_problem_and_the_solution_show_as_tables(executed):
    assert "<th style='text-align:left'>Network</th>" in data(executed["problem"], "text/html")
    html = data(executed["solution"], "text/html")
    assert "∂L/∂W3" in html
    for value in ("0.2120", "0.3028", "-0.5149"):  # the rows of ∂L/∂W3, 4 decimals
        assert value in html
    assert "Step 4 · Update with sgd" in html


def test_the_numbers_are_the_exercises(executed):
    assert same_output(data(executed["losses"], "text/plain"),
                       "(0.8563785642771483, 0.0725333007370964)")
    assert same_output(data(executed["get"], "text/plain"), "2.5749524952855887")
    assert data(executed["dW3"], "text/plain").startswith("array([[ 0.21202113")


def test_the_worked_solution_is_maths_and_the_diagram_a_picture(executed):
    markdown = data(executed["markdown"], "text/markdown")
    assert markdown.startswith("# Worked solution") and "$$" in markdown
    assert "```math" not in markdown
    assert "<svg" in data(executed["diagram"], "image/svg+xml")
    assert "after step" in data(executed["step"], "text/html")


def test_the_pytorch_check_finds_every_quantity_exact_or_close(executed):
    text = data(executed["comparison"], "text/plain")
    assert "∂L/∂W3" in data(executed["comparison"], "text/html")
    rows = re.findall(r"^\s+(\S.*?)\s+(exact|close|different)\s+\d\.\de[-+]\d+", text, re.M)
    assert len(rows) == 26  # a, h of 3 layers, L, 12 gradients (x's), 6 parameters, L after
    assert {verdict for _, verdict in rows} <= {"exact", "close"}
    summary = data(executed["verdict"], "text/plain")
    assert re.fullmatch(r"'PyTorch \(float64\) against backprop \(float64\): 26 quantities, "
                        r"\d+ exact, \d+ close, 0 different'", summary)
    assert same_output(data(executed["from_torch"], "text/plain"), "0.0725333007370964")
    assert "activation: softmax" in data(executed["from_torch"], "stream")


def test_the_grading_cell_marks_the_sheet(executed):
    html = data(executed["grade"], "text/html")
    assert "ada" in html and "gradients.b3" in html and "wrong" in html
    assert data(executed["score"], "text/plain") == "(3.67, 4.0)"  # b3: 2 of 3 entries
