"""`new`'s flow: problem files with seeded random weights (checked by the rules of any
problem file), variant folders, the bundled examples as they are, and where they go."""

from __future__ import annotations

from backprop_cli.engine.functions import ACTIVATIONS, LOSSES
from backprop_cli.errors import ProblemError, UsageError
from backprop_cli.problem import atomic, documents, generate
from backprop_cli.problem.generate import (
    INITS,
    KINDS,
    SEED_MAX,
    default_activations,
    earlier_variants,
    is_sequence,
)
from backprop_cli.problem.rnn_exercises import WORDS, wrong_word

__all__ = ["ACTIVATIONS", "INITS", "KINDS", "LOSSES", "SEED_MAX", "WORDS", "default_activations",
           "earlier_variants", "is_sequence", "wrong_word"]


def problems(sizes: list, activations: list[str], loss: str, seed: int,
             count: int | None, decimals: int | None, init: str, x, y,
             title: str | None, batch: int | None = None) -> list[dict]:
    """One problem document per seed (seed + i for variant i), each read back by the rules
    of any problem file."""
    from backprop_cli.problem import from_document

    docs = []
    for i in range(count or 1):
        default = "Seeded problem" if count is None else f"Variant {i}"
        doc = generate.problem(sizes, activations, loss, seed + i, decimals, init, x, y,
                               f"{default} (seed {seed + i})" if title is None else title,
                               batch)
        try:
            from_document(doc, "backprop new")  # the same rules as any problem file
        except ProblemError as e:
            raise UsageError(f"backprop new: {e.place}: {e.message}") from None
        docs.append(doc)
    return docs


def check_drawing(layers: str, sizes: list, loss: str, y, batch) -> None:
    """What the drawing cannot give: a softmax over one output, a class index out of range,
    batch norm without a batch."""
    k = sizes[-1]
    if "batchnorm" in sizes and (batch or 1) < 2:
        raise UsageError(f"--layers {layers}: batch norm in train mode takes its statistics "
                         "from the batch: add --batch 2 or more")
    if k == 1 and loss == "cross_entropy":
        raise UsageError(f"--layers {layers}: one output unit with --loss cross_entropy is a "
                         "softmax over one class, always 1, so the loss and every gradient are "
                         "0: for a one-output network use --loss bce (a sigmoid output, y 0 or "
                         "1) or --loss mse")
    if isinstance(y, int) and loss != "cross_entropy" and not 0 <= y < max(k, 2):
        raise UsageError(f"--y {y}: found a class index out of range, expected 0 to "
                         f"{max(k, 2) - 1}" + (" (one output: class 0 or 1)" if k == 1 else
                                              f" (one of the {k} outputs)"))


def replaces(path: str) -> bool:
    """Whether writing `path` would replace an existing file."""
    return atomic.replaces(path)


def write_variants(folder: str, docs: list, old: list[str]) -> list[str]:
    """The variant files written into `folder` (an earlier run's, `old`, removed first):
    their names."""
    return generate.write_variants(folder, docs, old)


def yaml_text(doc) -> str:
    return documents.dump_yaml(doc)


def write_by_name(path: str, doc) -> None:
    """A document written to `path` atomically: JSON for a .json name, else YAML."""
    documents.write_file(path, doc, documents.kind_by_name(path))


def example_text(path: str, output: str | None) -> str | None:
    """A bundled example as it is: written to `output` (as JSON for a .json name), or its
    text returned for standard output (output None or '-')."""
    if output not in (None, "-") and documents.kind_by_name(output) == "json":
        documents.write_file(output, documents.load(path)[1], "json")
        return None
    text = documents.read(path)[1].decode("utf-8")
    if output in (None, "-"):
        return text
    documents.write_atomic(output, text)
    return None
