"""The house rules, checked on the source: data flows file → problem → engine → output →
api → cli (the Python API, on which the command line is a thin shell), each subpackage
importing only what its place allows; small modules and functions; one error path; light
imports for the fast paths."""

import ast
import subprocess
import sys

import pytest
from helpers import CLASSIC, HEAVY, ROOT, modules_after

PACKAGE = ROOT / "backprop_cli"
SOURCES = sorted(PACKAGE.rglob("*.py"))
STDLIB = set(sys.stdlib_module_names)


def _imports(path):
    """(top-level module, full name) of every import in a file, lazy ones included."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from ((a.name.split(".")[0], a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module.split(".")[0], node.module


def _part(path) -> str:
    """The subpackage a file belongs to: engine, problem, output, cli, or '' (top level)."""
    rel = path.relative_to(PACKAGE).parts
    return rel[0] if len(rel) > 1 else ""


def test_every_source_is_checked():
    assert {_part(p) for p in SOURCES} >= {"engine", "problem", "output", "cli", "api", ""}


# Third-party imports each part may make (the standard library is always allowed).
ALLOWED = {
    "engine": {"numpy"},
    "problem": {"numpy", "yaml"},
    "output": {"numpy", "rich", "matplotlib"},
    "cli": {"click"},
    "api": {"numpy", "rich", "torch"},  # rich to show results; both inside functions only
    "": {"click"},  # __main__ starts the command line
}
# What each part may import of the package: the flow goes one way. The command line is a
# thin shell over the API: it parses options, calls api/ and prints; each command's flow
# (load, override, compute, document) lives once, in api/ (api.commands).
FLOW = {
    "engine": {"engine", ""},
    "problem": {"problem", "engine", ""},
    "output": {"output", "problem", "engine", ""},
    "api": {"api", "output", "problem", "engine", ""},  # never cli
    "cli": {"cli", "api", ""},
    "": {"cli", "api", ""},  # the package's __getattr__ imports the API when it is used
}
@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_follow_the_flow(path):
    part = _part(path)
    for top, full in _imports(path):
        if top == "backprop_cli":
            inner = full.split(".")
            target = inner[1] if len(inner) > 1 and (PACKAGE / inner[1]).is_dir() else ""
            assert target in FLOW[part], f"{path.name} ({part}) imports {full}"
        elif top not in STDLIB and top != "__future__":
            assert top in ALLOWED[part], f"{path.name} ({part}) imports {top}"


LAZY = {"rich", "matplotlib", "torch"}  # imported inside the functions that need them


@pytest.mark.parametrize("path", [p for p in SOURCES if _part(p) == "api"],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_api_imports_renderers_inside_functions(path):
    """The command line runs through api/: a module-level import of Rich or of a renderer
    there would load it for `--format json` and `--get` too (output.report builds the
    documents and imports no Rich)."""
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                assert name.split(".")[0] not in LAZY, f"{path.name} imports {name} at the top"
                if name.startswith("backprop_cli.output."):
                    assert name == "backprop_cli.output.report", f"{path.name} imports {name}"


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_only_the_problem_package_reads_and_writes_yaml_and_json(path):
    if _part(path) != "problem":
        assert not {"yaml", "json"} & {top for top, _ in _imports(path)}, path.name


def test_matplotlib_only_in_the_diagram_package():
    for path in SOURCES:
        if "matplotlib" in {top for top, _ in _imports(path)}:
            assert "diagram" in path.relative_to(PACKAGE).parts[:-1], path


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_one_error_path(path):
    """Only cli/common.py prints errors and exits; library code never prints."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = ast.unparse(node.func)
        assert func != "print", f"{path.name} prints"
        if func in ("sys.exit", "exit", "os._exit"):
            assert path.name == "common.py" and _part(path) == "cli", f"{path.name} exits"
        if func == "click.echo" and any("Error" in ast.unparse(a) for a in node.args):
            assert path.name == "common.py", f"{path.name} prints an error"


def _logic_lines(func) -> int:
    body = func.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    lines = set()
    for stmt in body:
        for node in ast.walk(stmt):
            if isinstance(node, ast.stmt | ast.expr):
                lines.update(range(node.lineno, node.end_lineno + 1))
    return len(lines)


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_small_modules_and_functions(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 300, f"{path.name}: split it by responsibility"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef):
            assert _logic_lines(node) <= 60, f"{path.name}: {node.name} is too long"




def test_importing_the_package_is_light():
    assert not HEAVY & modules_after("import backprop_cli, backprop_cli.engine, "
                                      "backprop_cli.problem, backprop_cli.output")


@pytest.mark.parametrize("args", [
    ["solve", str(CLASSIC), "--format", "json"],
    ["solve", str(CLASSIC), "--get", "loss"],
    ["step", str(CLASSIC), "--format", "json", "--steps", "2"],
])
def test_json_and_get_never_import_rich_or_matplotlib(args):
    code = ("from backprop_cli.cli import cli\n"
            f"cli.main({args!r}, prog_name='backprop', standalone_mode=False)")
    assert not HEAVY & modules_after(code)


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_grade_to_csv_and_json_never_imports_rich_or_matplotlib(tmp_path, fmt):
    key = tmp_path / "key.yaml"
    key.write_text("answers: {loss: 0.8564, gradients.b3: [0.2369, 0.3384, 0.4247]}\n")
    args = ["grade", str(CLASSIC), str(key), "--format", fmt]
    code = ("from backprop_cli.cli import cli\n"
            f"cli.main({args!r}, prog_name='backprop', standalone_mode=False)")
    assert not HEAVY & modules_after(code)


def _run(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True).stdout


def test_the_command_line_loads_only_the_api_it_calls():
    """api/__init__ imports its names when used: a command loads api.commands, not the
    PyTorch bridge, compare or grading."""
    loaded = set(_run("from backprop_cli.cli import cli\n"
                      f"cli.main(['solve', {str(CLASSIC)!r}, '--get', 'loss'], "
                      "prog_name='backprop', standalone_mode=False)\n"
                      "import sys\nprint(' '.join(sys.modules))").split()[1:])
    assert "backprop_cli.api.commands" in loaded
    assert not {"backprop_cli.api.comparison", "backprop_cli.api.pytorch",
                "backprop_cli.api.grading"} & loaded


def test_bp_compare_is_the_function_once_its_module_is_imported():
    assert _run("import backprop_cli.api.comparison\nimport backprop_cli as bp\n"
                "print(bp.compare.__module__, callable(bp.compare))").split() == \
        ["backprop_cli.api.comparison", "True"]
