"""backprop: worked backpropagation exercises, exact to float64.

As a library: `import backprop_cli as bp`, then bp.load, bp.example, bp.solve, bp.step,
bp.from_torch, bp.to_torch, bp.compare, bp.grade, bp.graph (see docs/api.md). The API is
imported the first time one of its names is used (PEP 562), so `import backprop_cli`
imports nothing else: not numpy, rich, matplotlib nor torch.
"""

__version__ = "0.1.0"

_API = ("ByLayer", "Comparison", "Forward", "Grades", "GraphResult", "LastStep", "Problem",
        "Row", "Solution", "StepReport", "TorchProblem", "Update", "compare", "example",
        "examples", "from_torch", "grade", "graph", "load", "solve", "step", "to_torch",
        "torch_loss")
_ERRORS = ("BackpropError", "NumericalError", "OptimizerError", "PathError", "PictureError",
           "ProblemError", "UsageError", "WriteError")

__all__ = ["__version__", *_API, *_ERRORS]


def __getattr__(name: str):
    if name in _API:
        from backprop_cli import api

        return getattr(api, name)
    if name in _ERRORS:
        from backprop_cli import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'backprop_cli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
