"""`backprop graph`: the published numbers, the tables, JSON and --get, exercise files,
formats, answer keys and several files, through the command line."""

import json
import math

import pytest
import yaml

CLASSIC = ["(x + y) * z", "x=-2", "y=5", "z=-4"]
NEURON = ["f = sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]
STAGED = ["s = sigmoid(y); f = (x + s) / (sigmoid(x) + (x + y)**2)", "x=3", "y=-4"]


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def graph_json(run, *args, input=None):
    result = run("graph", *args, "--format", "json", input=input)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


# ------------------------------------------------------------------ published numbers


def test_classic_exercise(run):
    doc = graph_json(run, *CLASSIC)
    assert doc["value"] == -12.0
    assert doc["gradients"] == {"x": -4.0, "y": -4.0, "z": 3.0}


@pytest.mark.parametrize("expression", [NEURON[0], "f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))"])
def test_sigmoid_neuron(run, expression):
    doc = graph_json(run, expression, *NEURON[1:])
    g = doc["gradients"]
    assert f"{doc['value']:.4f}" == "0.7311"
    assert [f"{g[k]:.4f}" for k in ("x0", "x1")] == ["0.3932", "-0.5898"]
    assert [f"{g[k]:.4f}" for k in ("w0", "w1", "w2")] == ["-0.1966", "-0.3932", "0.1966"]


def test_fan_out_adds_gradients(run):
    assert run("graph", "x * x", "x=3", "--get", "gradients.x").stdout == "6.0\n"
    assert run("graph", "x * x * x", "x=2", "--get", "gradients.x").stdout == "12.0\n"
    assert run("graph", "s = sigmoid(x); f = s * s + s", "x=0", "--get",
               "gradients.x").stdout == "0.5\n"  # (2 s + 1) s (1 - s) at s = 1/2


# ------------------------------------------------------------------ tables


def test_tables(run):
    result = run("graph", "x * x + max(x, y)", "x=3", "y=3")
    assert result.exit_code == 0 and result.stderr == ""
    assert lines(result.stdout) == [
        "Expression  x * x + max(x, y)",
        "Values      x = 3, y = 3",
        "",
        "Forward pass: each node's value",
        " node   operation     value",
        "────────────────────────────",
        " x      input        3.0000",
        " y      input        3.0000",
        " n1     x * x        9.0000",
        " n2     max(x, y)    3.0000",
        " f      n1 + n2     12.0000",
        "",
        "Backward pass: upstream ∂f/∂node × local ∂node/∂input, summed for each input",
        " node   input    local   upstream   product   ∂f/∂input so far",
        "───────────────────────────────────────────────────────────────",
        " f      n1      1.0000     1.0000    1.0000             1.0000",
        " f      n2      1.0000     1.0000    1.0000             1.0000",
        " n2     x       0.5000     1.0000    0.5000             0.5000",
        " n2     y       0.5000     1.0000    0.5000             0.5000",
        " n1     x       6.0000     1.0000    6.0000             6.5000",
        "",
        "Result",
        "           value",
        "─────────────────",
        " f       12.0000",
        " ∂f/∂x    6.5000",
        " ∂f/∂y    0.5000",
    ]


def test_staged_names_appear_and_decimals(run):
    out = run("graph", *STAGED, "--decimals", "2").stdout
    assert " s      sigmoid(y)    0.02" in lines(out)
    assert " f      n1 / n5       1.55" in lines(out)
    assert "Values      y = -4, x = 3" in lines(out)  # inputs in order of appearance


def test_constants_stay_in_the_operation(run):
    out = lines(run("graph", "1 / (1 + exp(-x))", "x=0").stdout)
    assert " n1     -x          0.0000" in out
    assert " n3     1 + n2      2.0000" in out
    assert " f      1 / n3      0.5000" in out


# ------------------------------------------------------------------ JSON and --get


def test_json_document(run):
    doc = graph_json(run, *CLASSIC)
    assert list(doc) == ["expression", "value", "shape", "nodes", "forward", "backward",
                         "gradients"]
    assert doc["forward"] == {"x": -2.0, "y": 5.0, "z": -4.0, "n1": 3.0, "f": -12.0}
    assert doc["backward"] == {"x": -4.0, "y": -4.0, "z": 3.0, "n1": -4.0, "f": 1.0}
    assert doc["shape"] == []
    assert doc["expression"] == "(x + y) * z"
    assert doc["nodes"] == [
        {"name": "x", "op": "input", "inputs": [], "value": -2.0, "shape": [],
         "local": {}, "upstream": -4.0},
        {"name": "y", "op": "input", "inputs": [], "value": 5.0, "shape": [],
         "local": {}, "upstream": -4.0},
        {"name": "z", "op": "input", "inputs": [], "value": -4.0, "shape": [],
         "local": {}, "upstream": 3.0},
        {"name": "n1", "op": "+", "inputs": ["x", "y"], "value": 3.0, "shape": [],
         "local": {"x": 1.0, "y": 1.0}, "upstream": -4.0},
        {"name": "f", "op": "*", "inputs": ["n1", "z"], "value": -12.0, "shape": [],
         "local": {"n1": -4.0, "z": 3.0}, "upstream": 1.0},
    ]


def test_json_constants_and_repeated_inputs(run):
    nodes = graph_json(run, "x * x + 2", "x=3")["nodes"]
    assert nodes[1] == {"name": "n1", "op": "*", "inputs": ["x", "x"], "value": 9.0,
                        "shape": [], "local": {"x": 6.0}, "upstream": 1.0}
    assert nodes[2]["inputs"] == ["n1", 2.0]


@pytest.mark.parametrize(("path", "printed"), [
    ("value", "-12.0"), ("gradients.x", "-4.0"), ("gradients.z", "3.0"),
    ("nodes.3.name", "n1"), ("nodes.-1.local.z", "3.0"), ("nodes.4.inputs", '["n1","z"]'),
    ("gradients", '{"x":-4.0,"y":-4.0,"z":3.0}'), ("expression", "(x + y) * z"),
])
def test_get(run, path, printed):
    result = run("graph", *CLASSIC, "--get", path)
    assert result.exit_code == 0
    assert result.stdout == printed + "\n"


def test_get_unknown_path(run):
    result = run("graph", *CLASSIC, "--get", "gradients.w")
    assert result.exit_code == 2
    assert result.stderr == "Error: --get gradients.w: no 'w' in gradients, expected one of " \
                            "x, y, z\n"


def test_yaml_is_the_json_document(run):
    as_yaml = yaml.safe_load(run("graph", *STAGED, "--format", "yaml").stdout)
    assert as_yaml == graph_json(run, *STAGED)


# ------------------------------------------------------------------ files


NEURON_FILE = """\
title: The sigmoid neuron
expression: f = sigmoid(w0*x0 + w1*x1 + w2)
values: {w0: 2, x0: -1, w1: -3, x1: -2, w2: -3}
inputs: [w0, w1, w2]
"""
STAGED_FILE = """\
expression: |
  s = sigmoid(y)
  f = (x + s) / (sigmoid(x) + (x + y)**2)
values:
  x: 3
  y: -4
"""


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "neuron.yaml").write_text(NEURON_FILE)
    (tmp_path / "staged.yaml").write_text(STAGED_FILE)
    (tmp_path / "classic.json").write_text(json.dumps(
        {"expression": "(x + y) * z", "values": {"x": -2, "y": 5, "z": -4}}))
    return tmp_path


def test_file_with_title_and_inputs(run, files):
    doc = graph_json(run, "neuron.yaml")
    assert doc["title"] == "The sigmoid neuron"
    assert list(doc["gradients"]) == ["w0", "w1", "w2"]
    assert [n["name"] for n in doc["nodes"]][:5] == ["w0", "x0", "w1", "x1", "w2"]
    table = lines(run("graph", "neuron.yaml").stdout)
    assert table[:3] == ["Exercise    The sigmoid neuron", "File        neuron.yaml",
                         "Expression  f = sigmoid(w0*x0 + w1*x1 + w2)"]
    assert " ∂f/∂w2    0.1966" in table and not any("∂f/∂x0 " in t for t in table)


def test_file_equals_command_line(run, files):
    from_file = graph_json(run, "staged.yaml")
    from_args = graph_json(run, *STAGED)
    assert from_file["nodes"] == from_args["nodes"]
    assert graph_json(run, "classic.json") == graph_json(run, *CLASSIC)


def test_standard_input(run, files):
    result = run("graph", "--get", "gradients.x", input=(files / "classic.json").read_text())
    assert result.stdout == "-4.0\n"
    assert run("graph", "-", "--get", "value", input=NEURON_FILE).stdout == \
        "0.7310585786300049\n"


def test_several_files(run, files):
    docs = graph_json(run, "classic.json", "neuron.yaml")
    assert [d["value"] for d in docs] == [-12.0, 0.7310585786300049]
    assert run("graph", "classic.json", "neuron.yaml", "--get", "value").stdout == \
        "-12.0\n0.7310585786300049\n"
    tables = run("graph", "classic.json", "neuron.yaml").stdout
    assert tables.count("Forward pass") == 2 and "File        neuron.yaml" in tables


def test_csv_answer_key(run, files):
    result = run("graph", "classic.json", "neuron.yaml", "staged.yaml", "--format", "csv")
    assert result.exit_code == 0
    assert result.stdout.splitlines() == [
        "file,value,gradients.x,gradients.y,gradients.z,gradients.w0,gradients.w1,"
        "gradients.w2",
        "classic.json,-12.0,-4.0,-4.0,3.0,,,",
        "neuron.yaml,0.7310585786300049,,,,-0.19661193324148185,-0.3932238664829637,"
        "0.19661193324148185",
        "staged.yaml,1.5456448841066441,2.0595697955721652,1.5922327514838093,,,,",
    ]


@pytest.mark.parametrize(("text", "message"), [
    ("expresion: x*y\nvalues: {x: 1, y: 2}\n",
     "f.yaml: expresion: unknown key 'expresion', expected one of title, expression, values, "
     "inputs, upstream (did you mean expression?)"),
    ("values: {x: 1}\n", "f.yaml: expression: missing, expected it at the top level"),
    ("expression: x*y\n", "f.yaml: values: missing, expected it at the top level"),
    ("- x\n", "f.yaml: found a list of 1 at the top, expected a mapping of expression, "
              "values, ..."),
    ("expression: 3\nvalues: {}\n", "f.yaml: expression: found 3, expected the expression "
                                    "as text"),
    ("expression: x*y\nvalues: [1, 2]\n", "f.yaml: values: found a list of 2, expected a "
                                          "mapping of input names to numbers"),
    ("expression: x*y\nvalues: {x: 1}\n", "f.yaml: values: found no value for y, expected "
                                          "a number for each input: x, y"),
    ("expression: x*y\nvalues: {x: 1, y: 2, w: 3}\n",
     "f.yaml: values.w: found 'w', which the expression does not use, expected values for "
     "x, y only"),
    ("expression: x*y\nvalues: {x: 1, y: .inf}\n",
     "f.yaml: values.y: found inf, expected a finite number"),
    ("expression: x*y\nvalues: {x: 1, y: '2'}\n",
     "f.yaml: values.y: found the string '2', expected a number"),
    ("expression: x*y\nvalues: {x: 1, y: 2}\ninputs: [x, q]\n",
     "f.yaml: inputs[1]: found the string 'q', expected one of the expression's inputs: x, y"),
    ("expression: x*y\nvalues: {x: 1, y: 2}\ninputs: [x, x]\n",
     "f.yaml: inputs[1]: found x a second time, expected each input once"),
    ("expression: x*y\nvalues: {x: 1, y: 2}\ninputs: []\n",
     "f.yaml: inputs: found a list of 0, expected a non-empty list of input names"),
    ("title: [a]\nexpression: x*y\nvalues: {x: 1, y: 2}\n",
     "f.yaml: title: found a list of 1, expected one line of printable text"),
    ("expression: |\n  s = x * 2\n  f = s + log(y)\nvalues: {x: 1, y: -2}\n",
     "f.yaml: expression, line 2, column 9: found log(-2), expected an argument above 0"),
    ("expression: x +* y\nvalues: {x: 1, y: 2}\n",
     "f.yaml: expression, column 4: found '*', expected numbers, input names, + - * / ** "
     "@, .T, parentheses or the functions exp, log, sqrt, log10, sin, cos, square, sigmoid, "
     "tanh, relu, abs, max, min, sum, mean, dot, norm, softmax, log_softmax, cross_entropy"),
])
def test_bad_files(run, tmp_path, monkeypatch, text, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.yaml").write_text(text)
    result = run("graph", "f.yaml")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["x*y", "x=1", "y=abc"],
     "y=abc: found 'abc', expected a finite number like -2 or 0.5, or a list like [1, -2] "
     "or [[1, 2], [3, 4]]"),
    (["x*y", "x=1", "y=nan"],
     "y=nan: found 'nan', expected a finite number like -2 or 0.5, or a list like [1, -2] "
     "or [[1, 2], [3, 4]]"),
    (["x*y", "x=1", "y=inf"],
     "y=inf: found 'inf', expected a finite number like -2 or 0.5, or a list like [1, -2] "
     "or [[1, 2], [3, 4]]"),
    (["x*y", "x=1", "y=1e999"], "y=1e999: found 1e999, beyond float64's range, expected a "
                                "finite number"),
    (["x*y", "x=1"], "expression: found no value for y, expected NAME=VALUE for each input: "
                     "x, y"),
    (["x*y", "x=1", "y=2", "z=3"], "z=3: found 'z', which the expression does not use, "
                                   "expected values for x, y only"),
    (["x*y", "x=1", "y=2", "x=3"], "x=3: found x a second time, expected each input once"),
    (["x*y", "x=1", "y"], "y: found no NAME=, expected NAME=VALUE like x=-2"),
    (["x*y", "x=1", "y=2", "--draw", "g.txt"],
     "g.txt: found the extension '.txt', expected a picture name ending in .svg, .png or .pdf"),
    (["x*y", "x=1", "y=2", "--draw", "g.svg", "--format", "latex"],
     "--draw g.svg: pdflatex cannot include SVG, expected a .pdf or .png name"),
])
def test_bad_arguments(run, args, message):
    result = run("graph", *args)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("args", "message"), [
    (["lambda * x", "x=1"], "expression: column 1: found 'lambda', a reserved word in Python, "
                            "expected another name: rename it (like lambda_)"),
    (["lambda = 0.1; f = lambda * x", "x=1"],
     "expression: column 1: found 'lambda', a reserved word in Python, expected another "
     "name: rename it (like lambda_)"),
    (["x * (in + 1)", "x=1"], "expression: column 6: found 'in', a reserved word in Python, "
                              "expected another name: rename it (like in_)"),
    (["None * x", "x=1"], "expression: column 1: found 'None', a reserved word in Python, "
                          "expected another name: rename it (like None_)"),
    (["1if x else 2", "x=1"],  # Python's parser warns here: no warning line is printed
     "expression: column 1: found the conditional expression '1if x else 2', expected "
     "numbers, input names, + - * / ** @, .T, parentheses or the functions exp, log, sqrt, "
     "log10, sin, cos, square, sigmoid, tanh, relu, abs, max, min, sum, mean, dot, norm, "
     "softmax, log_softmax, cross_entropy"),
    (["x ^ 2", "x=1"], "expression: column 3: found the operator '^', expected ** for a "
                       "power (x**2)"),
    (["s = x^2; f = s * y", "x=1", "y=2"],
     "expression: column 6: found the operator '^', expected ** for a power (x**2)"),
    # the value 1e308 is finite, its derivative -1e616 is not: the message names it
    (["x ** -1", "x=1e-308"], "expression: column 3: found 1e-308 ** (-1), whose derivative "
                              "overflows float64, expected derivatives below 1.8e308 in size"),
    (["x ** 2", "x=1e155"],  # where the value overflows, the message names the value
     "expression: column 3: found 1e+155 ** 2, which overflows float64, expected results "
     "below 1.8e308 in size"),
    (["(x + y) * z", "x=-2", "y=5", "z=-4", "--get", "value", "--format", "latex"],
     "--get prints values, --format latex a document: choose one"),
    (["(x + y) * z", "x=-2", "y=5", "z=-4", "--get", "value", "--format", "table"],
     "--get prints values, --format table a document: choose one"),
])
def test_messages_a_newcomer_needs(run, args, message):
    result = run("graph", *args)
    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize(("typeset", "ascii_args"), [
    (["x * y", "x=\u22122", "y=3"], ["x * y", "x=-2", "y=3"]),
    (["\u2212x * y", "x=1.5", "y=2"], ["-x * y", "x=1.5", "y=2"]),
    (["\u2212x * y", "x=\u22122", "y=\u22120.5e\u22121"], ["-x * y", "x=-2", "y=-0.5e-1"]),
    (["s = x \u2212 y; f = s ** \u22122", "x=3", "y=1"], ["s = x - y; f = s ** -2", "x=3", "y=1"]),
])
def test_a_typeset_minus_is_a_minus(run, typeset, ascii_args):
    """U+2212, as a PDF's formulas print minus, reads as '-' in values and expressions."""
    typeset_doc = graph_json(run, *typeset)
    ascii_doc = json.loads(run("graph", "--format", "json", "--", *ascii_args).stdout)
    assert typeset_doc["value"] == ascii_doc["value"]
    assert typeset_doc["gradients"] == ascii_doc["gradients"]
    assert typeset_doc["nodes"] == ascii_doc["nodes"]
    assert typeset_doc["expression"] == ascii_doc["expression"]  # shown with '-'


def test_a_typeset_minus_in_a_file(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "f.yaml").write_text("expression: \u2212x * y\nvalues: {x: \u22122, y: 3}\n",
                                     encoding="utf-8")
    doc = graph_json(run, "f.yaml")
    assert doc["value"] == 6.0 and doc["gradients"] == {"x": -3.0, "y": 2.0}
    (tmp_path / "g.yaml").write_text("expression: x * y\nvalues: {x: \u2212two, y: 3}\n",
                                     encoding="utf-8")
    result = run("graph", "g.yaml")
    assert result.stderr == "Error: g.yaml: values.x: found the string '\u2212two', expected " \
                            "a number\n"


def test_values_after_a_file_are_refused(run, files):
    result = run("graph", "neuron.yaml", "x0=3")
    assert result.exit_code == 2
    assert result.stderr == ("Error: x0=3: found a value after an exercise file, expected "
                             "NAME=VALUE only after an expression (a file gives its own "
                             "values)\n")


def test_draw_takes_one_graph(run, files):
    result = run("graph", "neuron.yaml", "staged.yaml", "--draw", "g.svg")
    assert result.exit_code == 2
    assert result.stderr == "Error: --draw draws one graph: give one expression or one " \
                            "exercise file\n"


def test_help_has_examples(run):
    result = run("graph", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and 'backprop graph "(x + y) * z"' in result.stdout


# ------------------------------------------------------------------ backprop new --graph


def test_new_graph_writes_an_exercise(run):
    result = run("new", "--graph", "(x + y) * z", "--seed", "2")
    assert result.exit_code == 0
    doc = yaml.safe_load(result.stdout)
    assert list(doc) == ["title", "expression", "values"]
    assert doc["title"] == "Seeded exercise (seed 2)" and doc["expression"] == "(x + y) * z"
    assert list(doc["values"]) == ["x", "y", "z"]
    assert all(isinstance(v, int) and -5 <= v <= 5 for v in doc["values"].values())
    assert run("new", "--graph", "(x + y) * z", "--seed", "2").stdout == result.stdout
    solved = run("graph", "-", "--get", "value", input=result.stdout)
    x, y, z = doc["values"].values()
    assert solved.stdout == f"{float((x + y) * z)}\n"


def test_new_graph_variants_and_their_answer_key(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("new", "--graph", "s = sigmoid(y); f = log(x) * s", "--low", "-3", "--high",
                 "3", "--decimals", "2", "--seed", "10", "--count", "12", "-o", "variants")
    assert result.exit_code == 0
    assert result.stderr == "wrote 12 exercises to variants (variant-000.yaml to " \
                            "variant-011.yaml)\n"
    files = sorted((tmp_path / "variants").glob("*.yaml"))
    assert [f.name for f in files] == [f"variant-{i:03d}.yaml" for i in range(12)]
    for i, f in enumerate(files):
        doc = yaml.safe_load(f.read_text())
        assert doc["title"] == f"Variant {i} (seed {10 + i})"
        for v in doc["values"].values():
            assert isinstance(v, float) and -3 <= v <= 3 and round(v, 2) == v
        assert doc["values"]["x"] > 0  # log(x): draws where it is undefined are redrawn
    key = run("graph", *[f"variants/{f.name}" for f in files], "--format", "csv").stdout
    rows = key.splitlines()
    assert rows[0] == "file,value,gradients.y,gradients.x" and len(rows) == 13
    # a second run into the same folder: as for network variants, --replace or refused
    again = ["new", "--graph", "x * y", "--count", "2", "-o", "variants", "--title", "Quiz"]
    refused = run(*again)
    assert refused.exit_code == 2 and "add --replace to remove them" in refused.stderr
    replaced = run(*again, "--replace")
    assert replaced.stderr == "wrote 2 exercises to variants (variant-000.yaml to " \
                              "variant-001.yaml), after removing the 12 of an earlier run\n"
    assert sorted(f.name for f in (tmp_path / "variants").iterdir()) == \
        ["variant-000.yaml", "variant-001.yaml"]
    assert yaml.safe_load((tmp_path / "variants" / "variant-001.yaml").read_text())["title"] \
        == "Quiz"
    run("new", "--graph", "x * y", "-o", "one.json")
    assert json.loads((tmp_path / "one.json").read_text())["expression"] == "x * y"


@pytest.mark.parametrize(("args", "message"), [
    (["--graph", "x*y", "--layers", "2,2"], "--layers does not go with --graph"),
    (["--low", "1"], "--low and --high go with --graph EXPRESSION"),
    (["--graph", "x*y", "--low", "3", "--high", "1"],
     "--low 3 is above --high 1, expected low <= high"),
    (["--graph", "x*y", "--low", "0.5"],
     "--low and --high are whole numbers unless --decimals is given"),
    (["--graph", "log(x)", "--low", "-5", "--high", "0"],
     "--graph: found no values in [-5, 0] where the expression is defined in 100 draws "
     "(seed 0), expected another --low and --high"),
    (["--graph", "x ** y", "--low", "-5", "--high", "-1"],  # a variable exponent: base > 0
     "--graph: found no values in [-5, -1] where the expression is defined in 100 draws "
     "(seed 0), expected another --low and --high"),
])
def test_new_graph_bad_options(run, args, message):
    result = run("new", *args)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {message}\n"


@pytest.mark.parametrize("args", [[*CLASSIC, "--get", "gradients.x"],
                                  [*CLASSIC, "--format", "json"]])
def test_json_and_get_never_import_rich_or_matplotlib(args):
    import subprocess
    import sys

    code = ("import sys, json\nfrom backprop_cli.cli import cli\n"
            f"cli.main({['graph', *args]!r}, prog_name='backprop', standalone_mode=False)\n"
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert not {"rich", "matplotlib", "torch"} & set(json.loads(out.splitlines()[-1]))


@pytest.mark.parametrize("written, plain", [
    ("np.exp(x) * math.log(y) + torch.tanh(x) - numpy.sqrt(y)",
     "exp(x) * log(y) + tanh(x) - sqrt(y)"),
    ("(x * y).tanh() + x.relu() - y.sigmoid() + x.exp().log()",
     "tanh(x * y) + relu(x) - sigmoid(y) + log(exp(x))"),
    ("ln(y) + np.log10(x)", "log(y) + log10(x)"),
    ("c = x * y; c += x; c = c * c; c", "c = x * y; d = c + x; f = d * d"),
])
def test_sources_spellings_are_the_same_graph(run, written, plain):
    """np./math./torch. prefixes, micrograd's methods, ln and reassignment (c += x, each
    assignment a node of its own) give the value and every gradient of the plain form."""
    docs = []
    for text in (written, plain):
        result = run("graph", text, "x=0.7", "y=1.3", "--format", "json")
        assert result.exit_code == 0, result.stderr
        docs.append(json.loads(result.stdout))
    assert docs[0]["value"] == docs[1]["value"]
    assert docs[0]["gradients"] == docs[1]["gradients"]


def test_a_reassigned_name_is_a_node_of_its_own(run):
    result = run("graph", "c = a * b; c += a; c", "a=1.5", "b=-2", "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    names = [n["name"] for n in doc["nodes"]]
    assert names == ["a", "b", "c", "c_2"]
    assert doc["gradients"] == {"a": -1.0, "b": 1.5}  # ∂(ab + a)/∂a = b + 1, ∂/∂b = a


def test_a_variable_exponent_has_both_derivatives(run):
    result = run("graph", "x ** y", "x=2", "y=3", "--format", "json")
    doc = json.loads(result.stdout)
    assert doc["value"] == 8.0
    assert doc["gradients"] == {"x": 12.0, "y": 8.0 * math.log(2.0)}


def test_a_reassigned_name_never_takes_a_name_the_expression_writes(run):
    """c assigned again is c_3 when the expression has an input c_2 of its own."""
    result = run("graph", "c = x * 2; c = c * 3; f = c + c_2", "x=1", "c_2=5",
                 "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert [n["name"] for n in doc["nodes"]] == ["x", "c_2", "c", "c_3", "f"]
    assert doc["gradients"] == {"x": 6.0, "c_2": 1.0}
