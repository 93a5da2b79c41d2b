"""A convolution's kernels in a worked solution: W_l[o, c] is the kH × kW kernel from input
channel c to output channel o, a matrix, whatever order the file writes the kernels in (the
document's kernels, in the file's order, are read by Notation.kernels). As given, turned
180°, after the update (with plain SGD, the subtraction that gives them) and the
optimizer's state of them.
"""

from __future__ import annotations

from backprop_cli.output.fmt import hides_values
from backprop_cli.output.worked import tex
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.maps import at, each, partial
from backprop_cli.output.worked.notation import Notation, split_name

FROZEN = r"\ \text{(frozen)}"


def symbol(l: int, o, c) -> str:
    return at(f"W_{{{l}}}", o, c)


def rot(sym: str) -> str:
    return rf"\operatorname{{rot180}}\left({sym}\right)"


def kernels_eq(W4, step) -> Block:
    """One chain of step(o, c) over every kernel shown."""
    return eq(*each(W4.shape[0], W4.shape[1], step))


def given(note: Notation, l: int) -> list[Block]:
    """The kernels and the bias, as the file gives them."""
    W = note.weights(l)
    tag = FROZEN if note.frozen(f"W{l}") else ""
    out = [kernels_eq(W, lambda o, c: [(symbol(l, o, c), "=",
                                        [note.matrix(W[o, c], note.given) + tag])])]
    if not note.model.layers[l - 1].bias:
        return out + [par(f"Layer {l} has no bias.")]
    b = note.problem.params[f"b{l}"]
    tag = FROZEN if note.frozen(f"b{l}") else ""
    return out + [eq((f"b_{{{l}}}", "=", [note.bias(b, note.given) + tag]))]


def turned(note: Notation, l: int) -> Block:
    """Each kernel turned 180° (upside down and left to right)."""
    W = note.weights(l)
    return kernels_eq(W, lambda o, c: [(rot(symbol(l, o, c)), "=",
                                        [note.matrix(W[o, c, ::-1, ::-1], note.given)])])


def new_value(note: Notation, name: str, new, plain_sgd: bool) -> Block:
    """The kernels after the update; with plain SGD, the subtraction that gives them."""
    l = split_name(name)[1]
    new, old = note.kernels(new), note.weights(l)
    if note.frozen(name):
        return kernels_eq(new, lambda o, c: [(symbol(l, o, c), "=", [
            note.matrix(new[o, c]), r"\quad \text{(frozen: unchanged)}"])])
    if not plain_sgd:
        return kernels_eq(new, lambda o, c: [(symbol(l, o, c), r"\leftarrow",
                                              [note.matrix(new[o, c])])])
    grad = note.gradient(name)
    lr = tex.plain(note.doc["update"]["optimizer"]["lr"])

    def step(o, c):
        sym = symbol(l, o, c)
        return [(sym, r"\leftarrow", [rf"{sym} - \eta {partial(sym)}"]),
                (None, "=", [note.matrix(old[o, c], note.given),
                             (rf"- {lr} \cdot", note.matrix(grad[o, c]))]),
                (None, "=", [note.matrix(new[o, c])])]

    return kernels_eq(new, step)


def state(note: Notation, name: str, entries: dict) -> Block:
    """The optimizer's state of a convolution's kernels, kernel by kernel (step counts as
    integers; a value with entries below the decimals shown in powers of 10)."""
    steps = []
    for key, value in entries.items():
        label = rf"\mathrm{{{key.replace('_', chr(92) + '_')}}}"
        if isinstance(value, int):
            steps.append((label, "=", [str(value)]))
            continue
        cell = ((lambda v: tex.power(v, note.decimals)) if hides_values(value, note.decimals)
                else None)
        arr = note.kernels(value)
        steps += each(arr.shape[0], arr.shape[1], lambda o, c, arr=arr, label=label, cell=cell:
                      [(at(label, o, c), "=", [note.matrix(arr[o, c], cell)])])
    return eq(*steps)
