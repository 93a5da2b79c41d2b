"""Files in, files out: the only package that reads or writes YAML and JSON.

    documents   text <-> documents (strict YAML, JSON), streamed and atomic writes
    atomic      all-or-nothing file writes
    checks      value checks that name the place (numbers, vectors, matrices, names)
    reader      the Problem record: a validated problem file (load, from_document)
    layers      validation of layers and targets
    state       validation of the optimizer block and its state
    writer      a problem written back after updates
    generate    seeded problems for `backprop new`
    cnn         its CNN exercises: an image input, whole-number and one-decimal draws
    examples/   the bundled example problems
"""

from backprop_cli.problem.reader import Problem, from_document, load

__all__ = ["Problem", "from_document", "load"]
