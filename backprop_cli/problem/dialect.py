"""The YAML dialect of problem files, as PyYAML loader and dumper classes.

Reading: safe YAML only (libyaml's C parser when PyYAML has it), aliases refused (so alias
bombs cost nothing), duplicate keys refused, numbers as people write them (`1e-3` is a
float; `010` and `1:30` are not numbers). Writing: matrices as one flow row per line, and
a string quoted whenever a reader (ours or YAML 1.1's) would take it for something else.
"""

from __future__ import annotations

import re

import yaml

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


NO_KEY = object()


class Refused(Exception):
    def __init__(self, mark, message, key=NO_KEY):
        super().__init__(message)
        self.mark, self.message, self.key = mark, message, key


class StrictLoader(_Loader):
    """Safe loading, plus: no aliases, no duplicate keys, strict numbers."""

    def construct_object(self, node, deep=False):
        # A node met twice is an alias (or a cycle): refuse before anything expands.
        if node in self.constructed_objects or node in self.recursive_objects:
            raise Refused(node.start_mark, "YAML aliases (*name) are not allowed, "
                                            "expected the values written out")
        return super().construct_object(node, deep)

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            raise Refused(node.start_mark, "found a non-mapping, expected a mapping")
        mapping = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise Refused(key_node.start_mark, "found a list or mapping as a key, "
                                                    "expected a name") from None
            if key in mapping:
                raise Refused(key_node.start_mark, f"duplicate key {shown_key(key)}, "
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
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _NOT_RESOLVED]
    for first, resolvers in _Loader.yaml_implicit_resolvers.items()
}
for _first in "-+0123456789.":
    StrictLoader.yaml_implicit_resolvers.setdefault(_first, [])
    StrictLoader.yaml_implicit_resolvers[_first][:0] = [(_INT_TAG, _INT), (_FLOAT_TAG, _FLOAT)]


def _construct_int(loader, node):
    # Also reached by an explicit !!int, which must not bring back 010, 0x1F or 1:30.
    text = loader.construct_scalar(node)
    if not _INT.match(text):
        raise Refused(node.start_mark, f"found !!int {text!r}, expected a whole number "
                                        "written in decimal digits")
    try:
        return int(text)
    except ValueError:  # longer than Python's integer-string limit (4300 digits)
        digits = len(text.lstrip("+-"))
        raise Refused(node.start_mark, f"found a whole number of {digits} digits, "
                                        "expected a number float64 can hold") from None


def _construct_float(loader, node):
    text = loader.construct_scalar(node)
    if not (_FLOAT.match(text) or _INT.match(text)):
        raise Refused(node.start_mark, f"found !!float {text!r}, expected a number written "
                                        "like 1.5, -2 or 1e-3")
    return yaml.constructor.SafeConstructor.construct_yaml_float(loader, node)


def _refuse_tag(loader, node):
    raise yaml.constructor.ConstructorError(
        None, None, f"could not determine a constructor for the tag {node.tag!r}",
        node.start_mark)


def _construct_bool(loader, node):
    text = loader.construct_scalar(node)
    if text.lower() not in loader.bool_values:  # an explicit !!bool on anything else
        raise Refused(node.start_mark, f"found !!bool {text!r}, expected true or false")
    return loader.bool_values[text.lower()]


StrictLoader.add_constructor(_INT_TAG, _construct_int)
StrictLoader.add_constructor(_TAG + "bool", _construct_bool)
StrictLoader.add_constructor(_FLOAT_TAG, _construct_float)
for _name in ("binary", "set", "omap", "pairs", "timestamp"):
    StrictLoader.add_constructor(_TAG + _name, _refuse_tag)


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


class FlowRowsDumper(_Dumper):
    """Lists of numbers on one line each, so a matrix reads as rows."""


# A string is written plain only when no reader would take it for something else: neither
# a YAML 1.1 reader nor ours, which reads 1e5 as a number (a title "1e5" gets quotes).
FlowRowsDumper.yaml_implicit_resolvers = {
    first: list(resolvers) for first, resolvers in _Dumper.yaml_implicit_resolvers.items()}
for _first in "-+0123456789.":
    FlowRowsDumper.yaml_implicit_resolvers.setdefault(_first, [])
    FlowRowsDumper.yaml_implicit_resolvers[_first][:0] = [(_INT_TAG, _INT), (_FLOAT_TAG, _FLOAT)]


def _represent_list(dumper, data):
    flow = all(not isinstance(v, (list, tuple, dict)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flow)


FlowRowsDumper.add_representer(list, _represent_list)
FlowRowsDumper.add_representer(tuple, _represent_list)


