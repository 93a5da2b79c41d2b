"""The Python API, for notebooks and scripts: `import backprop_cli as bp`.

    functions     load, example, examples, solve, step (the commands' work, as records)
    solution      Solution and StepReport: arrays named as the JSON names them
    display       tables as text or HTML, worked solutions as Markdown, diagrams as SVG
    pytorch       the PyTorch bridge: from_torch, to_torch, torch_loss (torch imported
                  inside them only)
    compare       compare: a PyTorch run against backprop, quantity by quantity
    grading       grade: answer sheets marked as `backprop grade` marks them

Errors are BackpropError subclasses (backprop_cli.errors), never printed.
"""

from backprop_cli.api.compare import Comparison, Row, compare
from backprop_cli.api.functions import example, examples, load, solve, step
from backprop_cli.api.grading import Grades, grade
from backprop_cli.api.pytorch.bridge import TorchProblem, from_torch, to_torch, torch_loss
from backprop_cli.api.solution import ByLayer, Forward, Solution, StepReport, Update
from backprop_cli.problem.reader import Problem

__all__ = ["ByLayer", "Comparison", "Forward", "Grades", "Problem", "Row", "Solution",
           "StepReport", "TorchProblem", "Update", "compare", "example", "examples",
           "from_torch", "grade", "load", "solve", "step", "to_torch", "torch_loss"]
