"""What every API result with a JSON document offers: the document itself and --get."""

from __future__ import annotations

import copy


class Documented:
    """A result holding the JSON document its command prints (self._document)."""

    _document: dict

    def to_dict(self) -> dict:
        """The JSON document its command prints with --format json (a fresh copy)."""
        return copy.deepcopy(self._document)

    def get(self, path: str):
        """One value of the document by a --get path ('gradients.b2.0', 'losses.-1');
        PathError names what is there when the path is not."""
        from backprop_cli.output import report

        return copy.deepcopy(report.get(self._document, path))
