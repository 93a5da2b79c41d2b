"""Worked solutions: the whole working of `solve` as Markdown or LaTeX.

solution.py puts the sections in order: statement.py (the problem as given), forward.py
(forward pass and loss), backward.py (deltas and gradients), update.py, answers.py. Each
section is a function of a Notation (notation.py: the problem, the numbers and how to write
them) that returns blocks (blocks.py); pages.py renders them, with TeX fragments from tex.py
and the formulas of activations, losses and optimizers from formulas.py. The layer kinds
beyond dense are found through kinds.py's table; feature maps (conv2d, the pools,
flatten) are shown channel by channel through maps.py and maps_backward.py.
"""

from backprop_cli.output.worked.backward import NOT_FINITE
from backprop_cli.output.worked.solution import latex, latex_all, markdown, markdown_all

__all__ = ["NOT_FINITE", "latex", "latex_all", "markdown", "markdown_all"]
