"""Reading and writing problem documents as YAML or JSON text: the only module that
imports yaml.

Reading follows the contract's rules: safe YAML only (libyaml's C parser when PyYAML has
it), aliases refused (so alias bombs cost nothing), duplicate keys refused, numbers as
people write them (`1e-3` is a float; `010` and `1:30` are not numbers), files over
256 MiB refused before they are read.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile

import yaml

from backprop_cli.errors import ProblemError

MAX_BYTES = 256 * 2**20
STDIN = "<stdin>"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _Refused(Exception):
    def __init__(self, mark, message, key=None):
        super().__init__(message)
        self.mark, self.message, self.key = mark, message, key


class _StrictLoader(_Loader):
    """Safe loading, plus: no aliases, no duplicate keys, strict numbers."""

    def construct_object(self, node, deep=False):
        # A node met twice is an alias (or a cycle): refuse before anything expands.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _Refused(node.start_mark, "YAML aliases (*name) are not allowed, "
                                            "expected the values written out")
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise _Refused(node.start_mark, "found a non-mapping, expected a mapping")
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Refused(key_node.start_mark, "found a list or mapping as a key, "
                                                    "expected a name") from None
            if key in mapping:
                raise _Refused(key_node.start_mark, f"duplicate key {key!r}, "
                                                    "expected each key once", key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


# Numbers as people write them. YAML 1.1 reads 1e-3 as a string and 010 as octal 8;
# here an int is 0 or digits without a leading zero, a float has a point or an exponent.
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"""^(?:[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?
                        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
_INT_TAG, _FLOAT_TAG = "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_INT_TAG, _FLOAT_TAG)]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
for _first in "-+0123456789.":
    _StrictLoader.yaml_implicit_resolvers.setdefault(_first, [])
    _StrictLoader.yaml_implicit_resolvers[_first][:0] = [(_INT_TAG, _INT), (_FLOAT_TAG, _FLOAT)]


def read(path: str) -> tuple[str, bytes]:
    """(label for messages, raw bytes) of a path or '-' (standard input)."""
    if path == "-":
        data = sys.stdin.buffer.read(MAX_BYTES + 1)
        label = STDIN
    else:
        label = path
        try:
            if os.path.isdir(path):
                raise ProblemError(label, None, "is a directory, expected a problem file")
            if os.path.getsize(path) > MAX_BYTES:
                raise ProblemError(label, None, "file is over 256 MiB, expected a smaller file")
            with open(path, "rb") as f:
                data = f.read(MAX_BYTES + 1)
        except OSError as e:
            raise ProblemError(label, None, f"cannot read: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise ProblemError(label, None, "input is over 256 MiB, expected a smaller file")
    return label, data


def parse(label: str, data: bytes):
    """The document in `data`: JSON for a .json name or a leading '{', else YAML."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ProblemError(label, None, f"byte {e.start} is not UTF-8 text, "
                                        "expected a YAML or JSON problem file") from None
    if "\x00" in text:
        raise ProblemError(label, None, "found binary data (a NUL byte), "
                                        "expected a YAML or JSON problem file")
    if not text.strip():
        raise ProblemError(label, None, "the file is empty, expected a problem mapping")
    is_json_name = label.lower().endswith(".json")
    if is_json_name or text.lstrip().startswith("{"):
        try:
            return _parse_json(text)
        except _Refused as e:
            raise ProblemError(label, e.mark, e.message) from None
        except RecursionError:
            raise ProblemError(label, None, "nesting is too deep, expected a problem file") \
                from None
        except json.JSONDecodeError as e:
            if is_json_name:
                raise ProblemError(label, f"line {e.lineno}, column {e.colno}",
                                   f"{e.msg}, expected valid JSON") from None
    return _parse_yaml(label, text)


def _parse_json(text: str):
    def pairs(items):
        out = {}
        for key, value in items:
            if key in out:
                raise _Refused(key, f"duplicate key {key!r}, expected each key once")
            out[key] = value
        return out

    def constant(name):
        raise _Refused(None, f"found {name}, expected finite numbers")

    return json.loads(text, object_pairs_hook=pairs, parse_constant=constant)


def _parse_yaml(label: str, text: str):
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as e:
        where = _where(e.mark)
        raise ProblemError(label, f"{e.key} ({where})" if e.key is not None else where,
                           e.message) from None
    except yaml.constructor.ConstructorError as e:
        tag = re.search(r"tag '([^']*)'", str(e.problem))
        what = f"the tag {tag.group(1)}" if tag else str(e.problem)
        what = what.replace("tag:yaml.org,2002:", "!!")
        raise ProblemError(label, _where(e.problem_mark),
                           f"found {what}, expected plain YAML (tags that build objects "
                           "are not allowed)") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        raise ProblemError(label, _where(mark), f"{problem}, expected valid YAML") from None
    except RecursionError:
        raise ProblemError(label, None, "nesting is too deep, expected a problem file") from None


def _where(mark) -> str | None:
    if mark is None:
        return None
    if isinstance(mark, str):  # a JSON key
        return mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


# -------------------------------------------------------------------- writing


class _FlowRowsDumper(_Dumper):
    """Lists of numbers on one line each, so a matrix reads as rows."""


def _represent_list(dumper, data):
    flow = all(not isinstance(v, (list, tuple, dict)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowRowsDumper.add_representer(list, _represent_list)
_FlowRowsDumper.add_representer(tuple, _represent_list)


def dump_yaml(doc) -> str:
    return yaml.dump(doc, Dumper=_FlowRowsDumper, sort_keys=False, allow_unicode=True,
                     default_flow_style=False, width=100)


def dump_json(doc, indent: int | None = 2) -> str:
    return json.dumps(doc, indent=indent, allow_nan=False, ensure_ascii=False)


def write_atomic(path: str, text: str) -> None:
    """Write through a temporary file in the same folder and rename over `path`."""
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".backprop-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        if os.path.exists(path):
            os.chmod(tmp, os.stat(path).st_mode & 0o7777)
        else:  # mkstemp makes 0600; a new file gets the usual umask-based mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
