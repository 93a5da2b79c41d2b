"""Where the command line's documents and tables go: the writers it calls, so that cli/
reaches the rest of the package through api/ only. Rich is imported only by console()."""

from __future__ import annotations


def write_document(doc, kind: str, stream) -> None:
    """A document as YAML or JSON on an open text stream."""
    from backprop_cli.problem import documents

    documents.write(doc, kind, stream)


def write_json_lines(texts, stream) -> None:
    """Compact JSON documents as one JSON array, a document a line, each written as it
    comes."""
    from backprop_cli.problem import documents

    documents.write_json_lines(texts, stream)


def write_file(path: str, doc, kind: str) -> None:
    """A document written to `path` atomically: all of it or nothing."""
    from backprop_cli.problem import documents

    documents.write_file(path, doc, kind)


def console():
    """The terminal's console (output/console.py: no markup, no highlighting)."""
    from backprop_cli.output.console import make_console

    return make_console()


def plain(text: str) -> str:
    """Captured console text as it goes into a file or pipe: no trailing spaces."""
    from backprop_cli.output.console import plain as stripped

    return stripped(text)
