"""How API results show themselves: the terminal's tables as text (a plain REPL, print)
and as HTML (a notebook), worked solutions, diagrams; and what importing costs."""

import ast
import subprocess
import sys

import pytest
from helpers import CLASSIC, HEAVY, ROOT, modules_after

import backprop_cli as bp
from backprop_cli.errors import PictureError


def test_a_solution_prints_the_terminal_tables(run):
    s = bp.solve(bp.example("classic"))
    shown = run("solve", "--example", "classic").stdout
    assert str(s) == shown and repr(s) == shown
    assert str(s.table(decimals=8)) == run("solve", "--example", "classic", "--decimals",
                                           "8").stdout
    batch = bp.solve(bp.example("batch_classes"), lr=0.5)
    assert str(batch) == run("solve", "--example", "batch_classes", "--lr", "0.5").stdout


def test_a_solution_is_html_in_a_notebook():
    html = bp.solve(bp.example("classic"))._repr_html_()
    assert html.startswith("<pre style=") and html.endswith("</pre>")
    assert "∂L/∂W3" in html and "0.2120" in html and "Step 4 · Update with sgd" in html
    assert "<!DOCTYPE" not in html  # a fragment, not a document
    assert "∂L/∂W3" in bp.solve(CLASSIC).table(2)._repr_html_()


def test_rich_prints_the_view_itself():
    import io

    from rich.console import Console

    s = bp.solve(bp.example("classic"))
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    console.print(s)
    # Rich pads each cell to its column; str() (like the command's piped output) does not
    padded = console.export_text()
    assert [line.rstrip() for line in padded.splitlines()] == str(s).splitlines()


def test_a_step_report_prints_the_terminal_tables(run):
    _, report = bp.step(bp.example("classic"), steps=45, optimizer="adam", lr=0.01)
    shown = run("step", "--example", "classic", "--steps", "45", "--optimizer", "adam",
                "--lr", "0.01", "--format", "table").stdout
    assert str(report) == shown == repr(report)
    assert str(report.table(every=5)) == run(
        "step", "--example", "classic", "--steps", "45", "--optimizer", "adam", "--lr", "0.01",
        "--format", "table", "--every", "5").stdout
    assert "after step" in report._repr_html_()


def test_the_worked_solution_is_the_command_lines(run):
    s = bp.solve(bp.example("classic"))
    markdown = s.markdown()
    assert isinstance(markdown, str)
    assert markdown == run("solve", "--example", "classic", "--format",
                                  "markdown").stdout
    assert s.latex(decimals=6) == run("solve", "--example", "classic", "--format",
                                             "latex", "--decimals", "6").stdout
    shown = markdown._repr_markdown_()  # for Jupyter's MathJax: $$ blocks, not ```math
    assert "```math" in markdown and "```math" not in shown
    assert shown.count("$$") == 2 * markdown.count("```math")
    assert "\\begin{aligned}" in shown


def test_the_diagram_is_the_draw_commands(run, tmp_path):
    s = bp.solve(bp.example("classic"))
    picture = s.draw()
    out = tmp_path / "net.svg"
    assert run("draw", "--example", "classic", "--values", "-o", out).exit_code == 0
    assert picture.svg == out.read_text() == picture._repr_svg_()
    plain = tmp_path / "plain.svg"
    run("draw", "--example", "classic", "--gradients", "--biases", "hidden", "-o", plain)
    assert s.draw(values=False, gradients=True, biases=False).svg == plain.read_text()
    picture.save(tmp_path / "net.png")
    assert (tmp_path / "net.png").read_bytes().startswith(b"\x89PNG")
    with pytest.raises(PictureError, match="expected a picture name ending in .svg"):
        picture.save(tmp_path / "net.txt")
    assert repr(picture).startswith("<Picture: an SVG of ")
    from matplotlib.figure import Figure

    assert isinstance(picture.figure, Figure)  # the figure itself, to restyle or save
    assert len(picture.figure.axes) == 1


def test_drawing_without_matplotlib_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PictureError, match=r"pip install 'backprop-cli\[plot\]'"):
        bp.solve(bp.example("classic")).draw()




@pytest.mark.parametrize("path", sorted((ROOT / "backprop_cli" / "api").glob("*.py")),
                         ids=lambda p: p.name)
def test_the_api_imports_rich_torch_and_matplotlib_inside_functions_only(path):
    tree = ast.parse(path.read_text())
    for node in tree.body:  # the module's own statements, run when it is imported
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        assert not {n.split(".")[0] for n in names} & HEAVY, f"{path.name}: {names}"


def test_import_backprop_cli_imports_nothing_heavy():
    """python -X importtime lists every module the import loads."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", "import backprop_cli"],
                            capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = {line.rsplit("|", 1)[1].strip().split(".")[0]
              for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "backprop_cli" in loaded
    assert not (HEAVY | {"numpy", "yaml", "click"}) & loaded, loaded


def test_solving_imports_neither_rich_matplotlib_nor_torch():
    code = ("import backprop_cli as bp\ns = bp.solve(bp.example('classic'))\n"
            "s.to_dict(); s.get('loss'); bp.step(s.problem, 2)[1].to_dict()\n"
            "s.problem.to_yaml(); repr(s.problem); s.problem._repr_html_()")
    assert not HEAVY & modules_after(code)


def test_showing_imports_rich_and_drawing_matplotlib_only_then():
    shown = modules_after("import backprop_cli as bp\nrepr(bp.solve(bp.example('classic')))")
    assert "rich" in shown and not {"matplotlib", "torch"} & shown
    drawn = modules_after("import backprop_cli as bp\nbp.solve(bp.example('classic')).draw()")
    assert "matplotlib" in drawn and "torch" not in drawn


def test_the_package_lists_its_api():
    assert {"load", "example", "solve", "step", "from_torch", "to_torch", "compare",
            "ProblemError"} <= set(dir(bp))
    assert bp.__version__ == "0.1.0"
    with pytest.raises(AttributeError, match="has no attribute 'grades'"):
        bp.grades  # noqa: B018
