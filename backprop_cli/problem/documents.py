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

import yaml

from backprop_cli.errors import ProblemError
from backprop_cli.problem.atomic import atomic_file

MAX_BYTES = 256 * 2**20
STDIN = "<stdin>"

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


_NO_KEY = object()


class _Refused(Exception):
    def __init__(self, mark, message, key=_NO_KEY):
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
                raise _Refused(key_node.start_mark, f"duplicate key {shown_key(key)}, "
                                                    "expected each key once", key)
            mapping[key] = self.construct_object(value_node, deep=deep)
        return mapping


# Numbers as people write them. YAML 1.1 reads 1e-3 as a string and 010 as octal 8;
# here an int is 0 or digits without a leading zero, a float has a point or an exponent.
# Dates and `=` stay strings (title: 2024-05-01 is text), and the tags that build other
# objects (!!binary, !!set, !!omap, !!pairs, !!timestamp) are refused like python tags.
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_FLOAT = re.compile(r"""^(?:[-+]?(?:(?:0|[1-9][0-9]*)(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?
                        |[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$""", re.X)
_TAG = "tag:yaml.org,2002:"
_INT_TAG, _FLOAT_TAG = _TAG + "int", _TAG + "float"
_NOT_RESOLVED = (_INT_TAG, _FLOAT_TAG, _TAG + "timestamp", _TAG + "value")
_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NOT_RESOLVED]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
for _first in "-+0123456789.":
    _StrictLoader.yaml_implicit_resolvers.setdefault(_first, [])
    _StrictLoader.yaml_implicit_resolvers[_first][:0] = [(_INT_TAG, _INT), (_FLOAT_TAG, _FLOAT)]


def _construct_int(loader, node):
    # Also reached by an explicit !!int, which must not bring back 010, 0x1F or 1:30.
    text = loader.construct_scalar(node)
    if not _INT.match(text):
        raise _Refused(node.start_mark, f"found !!int {text!r}, expected a whole number "
                                        "written in decimal digits")
    try:
        return int(text)
    except ValueError:  # longer than Python's integer-string limit (4300 digits)
        digits = len(text.lstrip("+-"))
        raise _Refused(node.start_mark, f"found a whole number of {digits} digits, "
                                        "expected a number float64 can hold") from None


def _construct_float(loader, node):
    text = loader.construct_scalar(node)
    if not (_FLOAT.match(text) or _INT.match(text)):
        raise _Refused(node.start_mark, f"found !!float {text!r}, expected a number written "
                                        "like 1.5, -2 or 1e-3")
    return yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)


def _refuse_tag(loader, node):
    raise yaml.constructor.ConstructorError(
        None, None, f"could not determine a constructor for the tag {node.tag!r}",
        node.start_mark)


def _construct_bool(loader, node):
    text = loader.construct_scalar(node)
    if text.lower() not in loader.bool_values:  # an explicit !!bool on anything else
        raise _Refused(node.start_mark, f"found !!bool {text!r}, expected true or false")
    return loader.bool_values[text.lower()]


_StrictLoader.add_constructor(_INT_TAG, _construct_int)
_StrictLoader.add_constructor(_TAG + "bool", _construct_bool)
_StrictLoader.add_constructor(_FLOAT_TAG, _construct_float)
for _name in ("binary", "set", "omap", "pairs", "timestamp"):
    _StrictLoader.add_constructor(_TAG + _name, _refuse_tag)


def shown_key(key) -> str:
    """A mapping key as messages show it: quoted text, or the YAML spelling of a scalar."""
    if isinstance(key, str):
        return repr(key)
    return key_text(key)


def key_text(key) -> str:
    """A mapping key as it appears in a place (`layers[0].activaton`): plain when it is
    printable text, escaped otherwise, so a hostile key cannot write to the terminal."""
    if isinstance(key, str):
        return key if key.isprintable() and key else repr(key)
    if key is None:
        return "null"
    if isinstance(key, bool):
        return str(key).lower()
    return repr(key)


def read(path: str) -> tuple[str, bytes]:
    """(label for messages, raw bytes) of a path or '-' (standard input)."""
    if path == "-":
        label = STDIN
        data = _read_limited(sys.stdin.buffer)
    else:
        label = path
        try:
            if os.path.isdir(path):
                raise ProblemError(label, None, "is a directory, expected a problem file")
            if os.path.getsize(path) > MAX_BYTES:
                raise ProblemError(label, None, "file is over 256 MiB, expected a smaller file")
            with open(path, "rb") as f:
                # a regular file's size is known: one read, no chunks joined (half the peak)
                data = f.read() if os.path.isfile(path) else _read_limited(f)
                if len(data) > MAX_BYTES:
                    data = None
        except OSError as e:
            raise ProblemError(label, None, f"cannot read: {e.strerror or e}") from None
    if data is None:
        raise ProblemError(label, None, "input is over 256 MiB, expected a smaller file")
    return label, data


def _read_limited(stream, chunk: int = 2**20) -> bytes | None:
    """Everything in `stream`, or None once it passes MAX_BYTES. Read in chunks: read(n)
    reserves n bytes up front, and a pipe or a special file has no size to check first."""
    chunks, total = [], 0
    while True:
        block = stream.read(chunk)
        if not block:
            return b"".join(chunks)
        total += len(block)
        if total > MAX_BYTES:
            return None
        chunks.append(block)


def load(path: str):
    """(label, document) of a path or '-'. The raw bytes are dropped as soon as they are
    decoded, so a large file is held once as text and once as objects, not three times."""
    label, data = read(path)
    text = _decode(label, data)
    del data
    return label, parse_text(label, text)


def parse(label: str, data: bytes):
    """The document in `data`: JSON for a .json name or a leading '{', else YAML."""
    return parse_text(label, _decode(label, data))


def _decode(label: str, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise ProblemError(label, None, f"byte {e.start} is not UTF-8 text, "
                                        "expected a YAML or JSON problem file") from None


def parse_text(label: str, text: str):
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
                raise _Refused(key_text(key), f"duplicate key {key!r}, expected each key once")
            out[key] = value
        return out

    def constant(name):
        raise _Refused(None, f"found {name}, expected finite numbers")

    def integer(digits):
        try:
            return int(digits)
        except ValueError:  # longer than Python's integer-string limit (4300 digits)
            raise _Refused(None, f"found a whole number of {len(digits.lstrip('-'))} digits, "
                                 "expected a number float64 can hold") from None

    doc = json.loads(text, object_pairs_hook=pairs, parse_constant=constant,
                     parse_int=integer)
    if _SURROGATE.search(text):  # JSON escapes can spell half a character: no text at all
        place = _lone_surrogate(doc, "")
        if place is not None:
            raise _Refused(place or None, "found a \\u escape of half a character (a lone "
                                          "surrogate), expected text")
    return doc


_SURROGATE = re.compile(r"\\u[dD][89a-fA-F]")


def _lone_surrogate(value, place):
    """The place of the first key or string that is not valid Unicode text, else None."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return place
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            where = _lone_surrogate(key, place)
            if where is not None:
                return where
            where = _lone_surrogate(item, f"{place}.{key_text(key)}" if place else key_text(key))
            if where is not None:
                return where
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, (str, list, dict)):
                where = _lone_surrogate(item, f"{place}[{i}]")
                if where is not None:
                    return where
    return None


def _parse_yaml(label: str, text: str):
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Refused as e:
        where = _where(e.mark)
        if e.key is not _NO_KEY:
            where = f"{key_text(e.key)} ({where})"
        raise ProblemError(label, where, e.message) from None
    except yaml.constructor.ConstructorError as e:
        tag = re.search(r"tag '([^']*)'", str(e.problem))
        if tag:
            what = f"found the tag {tag.group(1)}".replace("tag:yaml.org,2002:", "!!")
            message = f"{what}, expected plain YAML (tags that build objects are not allowed)"
        else:  # a standard tag on the wrong kind of node, like !!int [1]
            problem = " ".join(str(e.problem).split())
            message = f"found a tag that does not fit its value ({problem}), expected plain YAML"
        raise ProblemError(label, _where(e.problem_mark), message) from None
    except yaml.reader.ReaderError as e:  # a character YAML does not allow, like \x08
        at = e.position
        where = f"line {text.count(chr(10), 0, at) + 1}, column {at - text.rfind(chr(10), 0, at)}"
        found = chr(e.character) if isinstance(e.character, int) else e.character
        raise ProblemError(label, where, f"found the character {found!r}, which YAML does "
                                         "not allow, expected valid YAML") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        problem = getattr(e, "problem", None) or str(e)
        problem = " ".join(str(problem).split())  # one line, whatever the parser said
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


# A string is written plain only when no reader would take it for something else: neither
# a YAML 1.1 reader nor ours, which reads 1e5 as a number (a title "1e5" gets quotes).
_FlowRowsDumper.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in _Dumper.yaml_implicit_resolvers.items()}
for _first in "-+0123456789.":
    _FlowRowsDumper.yaml_implicit_resolvers.setdefault(_first, [])
    _FlowRowsDumper.yaml_implicit_resolvers[_first][:0] = [(_INT_TAG, _INT), (_FLOAT_TAG, _FLOAT)]


def _represent_list(dumper, data):
    flow = all(not isinstance(v, (list, tuple, dict)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


_FlowRowsDumper.add_representer(list, _represent_list)
_FlowRowsDumper.add_representer(tuple, _represent_list)


_YAML_OPTIONS = {"Dumper": _FlowRowsDumper, "sort_keys": False, "allow_unicode": True,
                 "default_flow_style": False, "width": 100}
_JSON_OPTIONS = {"indent": 2, "allow_nan": False, "ensure_ascii": False}


def dump_yaml(doc) -> str:
    return yaml.dump(doc, **_YAML_OPTIONS)


def dump_json(doc) -> str:
    return json.dumps(doc, **_JSON_OPTIONS)


def write(doc, kind: str, stream) -> None:
    """Stream `doc` as "json" or "yaml": a large document is never one string in memory."""
    if kind == "json":
        json.dump(doc, stream, **_JSON_OPTIONS)
        stream.write("\n")
    else:
        yaml.dump(doc, stream, **_YAML_OPTIONS)


def write_file(path: str, doc, kind: str) -> None:
    """`doc` into `path` completely or, on any failure, not at all (see atomic.py)."""
    with atomic_file(path) as f:
        write(doc, kind, f)


def write_atomic(path: str, text: str) -> None:
    """Write all of `text` to `path` or, on any failure, nothing (see atomic.py)."""
    with atomic_file(path) as f:
        f.write(text)
