"""The worked-solution package stays plain: sections are functions of a Notation, no mixins
or section classes, and every module is short enough to read in one sitting."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "backprop_cli" / "output" / "worked"
MODULES = sorted(PACKAGE.rglob("*.py"))  # the sequences package too
RECORD_BASES = {"object", "str", "NamedTuple", "TypedDict", "Enum"}  # values, not behaviour


def base_name(node: ast.expr) -> str:
    return node.attr if isinstance(node, ast.Attribute) else getattr(node, "id", "?")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_class_inherits_behaviour(path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ClassDef):
            bases = {base_name(b) for b in node.bases}
            assert bases <= RECORD_BASES, f"{path.name}: class {node.name}({', '.join(bases)})"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_modules_and_functions_stay_short(path):
    text = path.read_text()
    assert len(text.splitlines()) <= 300, path.name
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef):
            assert node.end_lineno - node.lineno < 60, f"{path.name}: {node.name}"
