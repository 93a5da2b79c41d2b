"""Worked solutions: the whole working of `solve` as Markdown or LaTeX."""

from backprop_cli.output.worked.sections import NOT_FINITE, latex, markdown

__all__ = ["NOT_FINITE", "latex", "markdown"]
