"""The Python API, for notebooks and scripts: `import backprop_cli as bp`.

    commands      each command's flow, once (load, override, compute, document): what
                  `backprop` calls and prints, and what the functions below are built on
    writing       where the command line's documents and tables go
    functions     load, example, examples, solve, step (the commands' work, as records)
    solution      Solution and StepReport: arrays named as the JSON names them
    display       tables as text or HTML, worked solutions as Markdown, diagrams as SVG
    pytorch       the PyTorch bridge: from_torch, to_torch, torch_loss (torch imported
                  inside them only)
    comparison    compare: a PyTorch run against backprop, quantity by quantity
    grading       grade: answer sheets marked as `backprop grade` marks them
    graph_result  graph: an expression's computational graph, as `backprop graph` works it

Errors are BackpropError subclasses (backprop_cli.errors), never printed. The names below
are imported when first used (PEP 562): the command line imports api.commands alone.
"""

import importlib

_WHERE = {
    "Comparison": "comparison", "Row": "comparison", "compare": "comparison",
    "example": "functions", "examples": "functions", "load": "functions",
    "solve": "functions", "step": "functions",
    "Grades": "grading", "grade": "grading",
    "GraphResult": "graph_result", "graph": "graph_result",
    "LastStep": "pytorch.sequences",
    "TorchProblem": "pytorch.bridge", "from_torch": "pytorch.bridge",
    "to_torch": "pytorch.bridge", "torch_loss": "pytorch.bridge",
    "ByLayer": "solution", "Forward": "solution", "Solution": "solution",
    "StepReport": "solution", "Update": "solution",
    "Problem": "backprop_cli.problem.reader",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name not in _WHERE:
        raise AttributeError(f"module 'backprop_cli.api' has no attribute {name!r}")
    where = _WHERE[name]
    module = importlib.import_module(where if "." in where and where.startswith("backprop")
                                     else f"backprop_cli.api.{where}")
    return getattr(module, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
