"""bp.graph(expression, **values): the command line's `backprop graph` as a function. The
command is the reference: numbers, documents, --get values, tables, worked solutions,
pictures and error messages are compared with what it prints, byte for byte."""

import dataclasses
import json
import sys

import pytest
from helpers import HEAVY, modules_after

import backprop_cli as bp
from backprop_cli.errors import PathError, PictureError, ProblemError, UsageError
from backprop_cli.output.report import format_value

# (expression, values): what `backprop graph EXPRESSION NAME=VALUE...` is given
CASES = [
    ("(x + y) * z", {"x": -2, "y": 5, "z": -4}),
    ("f = sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}),
    ("s = sigmoid(y); f = (x + s) / (sigmoid(x) + (x + y)**2)", {"x": 3, "y": -4}),
    ("x * x + x / (2 * 3)", {"x": 0.1}),
    ("max(a, b) * relu(a - b) + tanh(a) ** 2", {"a": 1.5, "b": -0.25}),
]


def arguments(values: dict) -> list[str]:
    return [f"{name}={value}" for name, value in values.items()]


def cli_error(run, *args) -> str:
    result = run("graph", *args)
    assert result.exit_code == 2, result.stdout
    assert result.stderr.startswith("Error: ")
    return result.stderr.removeprefix("Error: ").rstrip("\n")


@pytest.mark.parametrize(("expression", "values"), CASES, ids=[e for e, _ in CASES])
def test_the_numbers_and_the_document_are_the_commands(run, expression, values):
    result = run("graph", expression, *arguments(values), "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    g = bp.graph(expression, **values)
    assert g.to_dict() == doc
    assert g.value == doc["value"] and g.expression == doc["expression"]
    assert dict(g.gradients) == doc["gradients"] and list(g.gradients) == list(doc["gradients"])
    assert [(n.name, n.op, list(n.inputs), n.value, dict(n.local), n.upstream)
            for n in g.nodes] == [(n["name"], n["op"], n["inputs"], n["value"], n["local"],
                                   n["upstream"]) for n in doc["nodes"]]
    assert g.output == doc["nodes"][-1]["name"] and g.node(g.output).value == g.value
    assert dict(g.values) == values and g.title is None
    assert g.edges[-1].accumulated == g.gradients[g.edges[-1].input]


@pytest.mark.parametrize("path", ["value", "gradients", "gradients.x", "nodes.3",
                                  "nodes.3.upstream", "nodes.-1.local.n1", "expression"])
def test_get_is_the_commands_get(run, path):
    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    shown = run("graph", "(x + y) * z", "x=-2", "y=5", "z=-4", "--get", path).stdout
    got = g.get(path)
    assert (got if isinstance(got, str) else format_value(got)) == shown.rstrip("\n")


def test_a_path_that_is_not_there_is_the_commands_error(run):
    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    for path in ("gradients.w", "nodes.9", "value.0"):
        with pytest.raises(PathError) as e:
            g.get(path)
        assert str(e.value) == cli_error(run, "(x + y) * z", "x=-2", "y=5", "z=-4", "--get",
                                         path)


def test_the_result_is_frozen_and_its_documents_fresh_copies():
    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    doc = g.to_dict()
    doc["gradients"]["x"] = 99.0
    g.get("nodes")[0]["value"] = 99.0
    assert g.to_dict()["gradients"]["x"] == g.get("gradients.x") == -4.0
    assert g.get("nodes.0.value") == -2.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        g.value = 0.0
    with pytest.raises(TypeError):
        g.gradients["x"] = 0.0
    with pytest.raises(TypeError):
        g.values["x"] = 0
    with pytest.raises(KeyError, match="node 'n2': no such node, expected one of x, y, z, "
                                       "n1, f"):
        g.node("n2")


def test_it_shows_the_commands_tables(run):
    g = bp.graph("f = sigmoid(w0*x0 + w1*x1 + w2)", w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
    args = ["f = sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
    assert str(g) == repr(g) == run("graph", *args).stdout
    assert str(g.table(decimals=8)) == run("graph", *args, "--decimals", "8").stdout
    html = g._repr_html_()
    assert html.startswith("<pre style=") and html.endswith("</pre>")
    assert "<!DOCTYPE" not in html and "∂f/∂w0" in html and "-0.1966" in html
    assert "-0.19661193" in g.table(8)._repr_html_()


def test_rich_prints_the_view_itself():
    import io

    from rich.console import Console

    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    console = Console(width=100, record=True, color_system=None, file=io.StringIO())
    console.print(g)
    assert [line.rstrip() for line in console.export_text().splitlines()] == \
        str(g).splitlines()


def test_the_worked_solution_is_the_commands(run, tmp_path):
    args = ["s = sigmoid(y); f = (x + s) / (sigmoid(x) + (x + y)**2)", "x=3", "y=-4"]
    g = bp.graph(args[0], x=3, y=-4)
    markdown = g.markdown()
    assert isinstance(markdown, str)
    assert markdown == run("graph", *args, "--format", "markdown").stdout
    assert g.latex(decimals=6) == run("graph", *args, "--format", "latex", "--decimals",
                                      "6").stdout
    shown = markdown._repr_markdown_()  # for Jupyter's MathJax: $$ blocks, not ```math
    assert "```math" in markdown and "```math" not in shown
    assert shown.count("$$") == 2 * markdown.count("```math")
    picture = tmp_path / "graph.png"
    assert g.latex(diagram=picture) == run("graph", *args, "--format", "latex", "--draw",
                                           picture).stdout
    assert str(picture) in g.markdown(diagram=str(picture))


def test_the_picture_is_the_commands(run, tmp_path):
    args = ["(x + y) * z", "x=-2", "y=5", "z=-4"]
    out = tmp_path / "cli.svg"
    assert run("graph", *args, "--draw", out).exit_code == 0
    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    picture = g.draw()
    assert picture.svg == out.read_text() == picture._repr_svg_()
    written = tmp_path / "api.svg"
    assert g.draw(written).svg == written.read_text() == out.read_text()
    g.draw(str(tmp_path / "api.png"), decimals=2)
    assert (tmp_path / "api.png").read_bytes().startswith(b"\x89PNG")
    two = tmp_path / "two.svg"
    run("graph", *args, "--draw", two, "--decimals", "2")
    assert g.draw(decimals=2).svg == two.read_text()
    from matplotlib.figure import Figure

    assert isinstance(picture.figure, Figure)


def test_a_bad_picture_name_is_refused_before_drawing(tmp_path):
    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    with pytest.raises(PictureError, match="expected a picture name ending in .svg"):
        g.draw(tmp_path / "graph.txt")
    assert not list(tmp_path.iterdir())


def test_drawing_without_matplotlib_names_the_extra(monkeypatch):
    g = bp.graph("(x + y) * z", x=-2, y=5, z=-4)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(PictureError, match=r"pip install 'backprop-cli\[plot\]'"):
        g.draw()


# (expression, values as the API takes them, the same as the command line's arguments)
BAD = [
    ("x +* y", {"x": 1, "y": 2}, ["x=1", "y=2"]),  # located: column 4
    ("(x + y) * ", {"x": 1, "y": 2}, ["x=1", "y=2"]),
    ("log(x)", {"x": -1}, ["x=-1"]),  # no finite answer, located at log
    ("1 / (x - y)", {"x": 2, "y": 2}, ["x=2", "y=2"]),
    ("x * y", {"x": 1}, ["x=1"]),  # no value for y
    ("x * y", {"x": 1, "y": 2, "w": 3}, ["x=1", "y=2", "w=3"]),  # a name it does not use
    ("x * y", {"x": 1, "y": 2, "X": 3}, ["x=1", "y=2", "X=3"]),  # ... with a suggestion
    # names colliding with functions
    ("exp * 2", {"exp": 1}, ["exp=1"]),
    ("exp(x) * exp", {"x": 1, "exp": 2}, ["x=1", "exp=2"]),
    ("sigmoid(x)", {"sigmoid": 1, "x": 1}, ["sigmoid=1", "x=1"]),
    ("sigmoid = x * 2; f = sigmoid + 1", {"x": 1}, ["x=1"]),
    ("relu(x, y)", {"x": 1, "y": 2}, ["x=1", "y=2"]),
    ("2 * 3", {}, []),  # no input
]


@pytest.mark.parametrize(("expression", "values", "args"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_is_the_commands_error(run, expression, values, args):
    with pytest.raises(ProblemError) as e:
        bp.graph(expression, **values)
    assert str(e.value) == cli_error(run, expression, *args)


def test_a_bad_expression_is_located():
    with pytest.raises(ProblemError) as e:
        bp.graph("x +* y", x=1, y=2)
    assert (e.value.source, e.value.place) == ("expression", "column 4")
    assert str(e.value).startswith("expression: column 4: found '*', expected numbers, ")
    with pytest.raises(ProblemError, match=r"^expression: column 1: found log\(-1\), "
                                           "expected an argument above 0$"):
        bp.graph("log(x)", x=-1)


@pytest.mark.parametrize(("value", "message"), [
    ("2", "y='2': found the string '2', expected a number, a vector or a matrix"),
    (True, "y=True: found the boolean true, expected a number, a vector or a matrix"),
    (None, "y=None: found null, expected a number, a vector or a matrix"),
    (float("nan"), "y=nan: found nan, expected a finite number"),
    (float("inf"), "y=inf: found inf, expected a finite number"),
    (10 ** 400, "y=...: found a number of 401 digits, expected a finite number"),
    ([1, "a"], "y=[1, 'a']: [1]: found the string 'a', expected a number"),
    (1j, "y=1j: found a complex, expected a number, a vector or a matrix"),
])
def test_a_value_that_is_no_number_is_named_by_its_keyword(value, message):
    with pytest.raises(ProblemError) as e:
        bp.graph("x * y", x=1, y=value)
    assert str(e.value) == message


def test_numpy_and_torch_scalars_and_a_typeset_minus_are_numbers():
    import numpy as np

    g = bp.graph("x * y + z", x=np.float64(0.5), y=np.int32(-3), z=np.array(2.0))
    assert dict(g.values) == {"x": 0.5, "y": -3, "z": 2.0}
    assert type(g.values["y"]) is int and g.value == 0.5
    assert dict(bp.graph("x * y", x="−2", y=3).values) == {"x": -2, "y": 3}  # U+2212
    torch = pytest.importorskip("torch")
    t = bp.graph("x * y", x=torch.tensor(1.5, dtype=torch.float64), y=2)
    assert t.value == 3.0


def test_an_input_may_be_called_expression():
    g = bp.graph("expression * 2", expression=3)
    assert g.value == 6.0 and dict(g.gradients) == {"expression": 2.0}


def test_an_exercise_file_gives_its_own_values(run, tmp_path):
    path = tmp_path / "neuron.yaml"
    path.write_text("title: The sigmoid neuron\nexpression: f = sigmoid(w0*x0 + w1*x1 + w2)\n"
                    "values: {w0: 2, x0: -1, w1: -3, x1: -2, w2: -3}\ninputs: [w0, w1, w2]\n")
    doc = json.loads(run("graph", path, "--format", "json").stdout)
    for source in (path, str(path)):
        g = bp.graph(source)
        assert g.to_dict() == doc and g.title == "The sigmoid neuron"
        assert list(g.gradients) == ["w0", "w1", "w2"]
    assert str(bp.graph(path)) == run("graph", path).stdout
    with pytest.raises(UsageError, match="w0=...: found a value after an exercise file"):
        bp.graph(path, w0=1)
    bad = tmp_path / "bad.yaml"
    bad.write_text("expression: x * y\nvalues: {x: 1}\n")
    with pytest.raises(ProblemError) as e:
        bp.graph(bad)
    assert str(e.value) == cli_error(run, bad)


def test_an_expression_must_be_text():
    with pytest.raises(UsageError, match="graph: found 3, expected an expression"):
        bp.graph(3)


def test_the_numbers_import_neither_rich_nor_matplotlib():
    code = ("import backprop_cli as bp\ng = bp.graph('(x + y) * z', x=-2, y=5, z=-4)\n"
            "g.to_dict(); g.get('gradients.x'); g.node('n1')")
    assert not HEAVY & modules_after(code)
    shown = modules_after(code + "\nrepr(g); g.markdown()")
    assert "rich" in shown and not {"matplotlib", "torch"} & shown


def test_the_package_lists_it():
    assert {"graph", "GraphResult"} <= set(dir(bp)) and bp.graph is bp.api.graph
    assert isinstance(bp.graph("x + 1", x=1), bp.GraphResult)
