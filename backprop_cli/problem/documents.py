"""Reading and writing problem documents as YAML or JSON text (with dialect.py, the only
modules that import yaml).

The YAML dialect (strict numbers, no aliases, no duplicate keys) is dialect.py's; here:
files over 256 MiB refused before they are read, JSON or YAML chosen by the name or the
first character, every parser complaint turned into a ProblemError with its place.
"""

from __future__ import annotations

import json
import os
import re
import sys

import yaml

from backprop_cli.errors import ProblemError
from backprop_cli.problem.atomic import atomic_file
from backprop_cli.problem.dialect import (
    NO_KEY,
    FlowRowsDumper,
    Refused,
    StrictLoader,
    key_text,
    shown_key,
)

__all__ = ["key_text", "shown_key"]  # documents.key_text: how every message shows a key

MAX_BYTES = 256 * 2**20
STDIN = "<stdin>"


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
        except Refused as e:
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
                raise Refused(key_text(key), f"duplicate key {key!r}, expected each key once")
            out[key] = value
        return out

    def constant(name):
        raise Refused(None, f"found {name}, expected finite numbers")

    def integer(digits):
        try:
            return int(digits)
        except ValueError:  # longer than Python's integer-string limit (4300 digits)
            raise Refused(None, f"found a whole number of {len(digits.lstrip('-'))} digits, "
                                 "expected a number float64 can hold") from None

    doc = json.loads(text, object_pairs_hook=pairs, parse_constant=constant,
                     parse_int=integer)
    if _SURROGATE.search(text):  # JSON escapes can spell half a character: no text at all
        place = _lone_surrogate(doc, "")
        if place is not None:
            raise Refused(place or None, "found a \\u escape of half a character (a lone "
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
        return yaml.load(text, Loader=StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except Refused as e:
        where = _where(e.mark)
        if e.key is not NO_KEY:
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
        hint = ""
        lines = text.split("\n")
        if mark is not None and mark.line < len(lines) and \
                "\t" in lines[mark.line][:mark.column + 1]:
            hint = " (a tab: YAML indents with spaces only)"
        raise ProblemError(label, _where(mark), f"{problem}, expected valid YAML{hint}") \
            from None
    except RecursionError:
        raise ProblemError(label, None, "nesting is too deep, expected a problem file") from None


def _where(mark) -> str | None:
    if mark is None:
        return None
    if isinstance(mark, str):  # a JSON key
        return mark
    return f"line {mark.line + 1}, column {mark.column + 1}"


# -------------------------------------------------------------------- writing


_YAML_OPTIONS = {"Dumper": FlowRowsDumper, "sort_keys": False, "allow_unicode": True,
                 "default_flow_style": False, "width": 100}
_JSON_OPTIONS = {"indent": 2, "allow_nan": False, "ensure_ascii": False}


def dump_yaml(doc) -> str:
    return yaml.dump(doc, **_YAML_OPTIONS)


def dump_json(doc) -> str:
    return json.dumps(doc, **_JSON_OPTIONS)


def dump_compact_json(value) -> str:
    """One line, no spaces: how --get prints a list or a mapping."""
    return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def write(doc, kind: str, stream) -> None:
    """Stream `doc` as "json" or "yaml": a large document is never one string in memory."""
    if kind == "json":
        json.dump(doc, stream, **_JSON_OPTIONS)
        stream.write("\n")
    else:
        yaml.dump(doc, stream, **_YAML_OPTIONS)


def write_json_lines(texts, stream) -> None:
    """A JSON array of items already encoded (dump_compact_json), written one a line as
    they come (`[`, the items parted by `,` and a newline, `]`): a large array (a class's
    results) is never one string, nor one list, in memory."""
    count = 0
    for text in texts:
        stream.write(("[\n" if count == 0 else ",\n") + text)
        count += 1
    stream.write("\n]\n" if count else "[]\n")


def kind_by_name(path: str) -> str:
    """How a problem is written to `path`: "json" for a .json name, else "yaml"."""
    return "json" if path.lower().endswith(".json") else "yaml"


def write_file(path: str, doc, kind: str) -> None:
    """`doc` into `path` completely or, on any failure, not at all (see atomic.py)."""
    with atomic_file(path) as f:
        write(doc, kind, f)


def write_atomic(path: str, text: str) -> None:
    """Write all of `text` to `path` or, on any failure, nothing (see atomic.py)."""
    with atomic_file(path) as f:
        f.write(text)
