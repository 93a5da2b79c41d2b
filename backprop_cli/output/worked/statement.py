"""The start of a worked solution: its header and the problem as given (network, data,
parameters, optimizer)."""

from __future__ import annotations

from backprop_cli.engine.functions import ACTIVATIONS
from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.errors import counted
from backprop_cli.output.worked import conv, kinds, l2, maps, tex
from backprop_cli.output.worked.blocks import Block, eq, par, section, title
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.sequences import problem as sequences_problem
from backprop_cli.output.worked.tex import Math

_FROZEN = r"\ \text{(frozen)}"
_LAYER_FORMULA = {
    (False, "out_in"): r"a_l = W_l h_{l-1} + b_l",
    (False, "in_out"): r"a_l = h_{l-1} W_l + b_l",
    (True, "out_in"): r"A_l = H_{l-1} W_l^\top + b_l",
    (True, "in_out"): r"A_l = H_{l-1} W_l + b_l",
}


def header(note: Notation) -> list[Block]:
    """Title, problem file, decimals and, with textbook rounding, how it was done."""
    p, doc = note.problem, note.doc
    out = [title("Worked solution" + (f": {p.title}" if p.title else "")),
           par(f"Problem file: {p.source}. Numbers rounded to {note.decimals} decimals.")]
    if doc.get("rounded") is not None:
        out.append(par(f"Textbook rounding: intermediate values rounded to {doc['rounded']} "
                       "decimals, each rounded value carried into the next step."))
    return out


def statement(note: Notation) -> list[Block]:
    """The "Problem" section: everything the exercise gives."""
    sizes = [note.width(l) for l in range(note.depth + 1)]
    return ([section("Problem")] + _network(note) + _data(note) + _parameters(note)
            + l2.statement(note) + _optimizer(note, sizes))


def _network(note: Notation) -> list[Block]:
    p, model = note.problem, note.model
    acts = []
    for spec in model.layers:
        extra = ACTIVATIONS[spec.activation].param
        act = spec.activation + (f" ({extra} {tex.plain(spec.param)})" if extra else "")
        if spec.kind != "dense":  # the kind, then its activation
            act = spec.kind + ("" if spec.activation == "identity" else f" then {act}")
        elif spec.residual is not None:
            act += f" + {'x' if spec.residual == 0 else f'h{spec.residual}'} (residual)"
        acts.append(act)
    samples = counted(note.samples, "sample")
    batch_note = " One row per sample; the bias is added to every row." if note.batch else ""
    what = "layers" if model.extended else "activations"
    units = [maps.size(note, l) for l in range(note.depth + 1)]  # C×H×W for a map
    network = par("Network: ", Math(r" \to ".join(units)), f" units; {what}: "
                  + ", ".join(acts) + ".")
    loss = f"Loss: {model.loss}, reduction {model.reduction} over {samples}"
    if not any(spec.kind == "dense" for spec in model.layers):  # no layout to speak of
        return [network, par(loss + ".")]
    return [network, par(f"{loss}; layout {p.layout}: ",
                         Math(_LAYER_FORMULA[(note.batch, p.layout)]), "." + batch_note)]


def _data(note: Notation) -> list[Block]:
    """Inputs and targets, and whether the targets were class indices."""
    p = note.problem
    if maps.is_map(note, 0):  # images: each channel a matrix
        out = maps.inputs(note)
    elif note.model.time is not None:  # steps (sequences/)
        return sequences_problem.inputs(note)
    else:
        out = [eq((note.symbol("h", 0) + " = " + ("X" if note.batch else "x"), "=",
                   [note.vector(p.x, note.given) + ",",
                    rf"\qquad {note.symbol('y', None)} = " + note.vector(p.y, note.given)]))]
    raw = p.document.get("y") if isinstance(p.document, dict) else None
    # the reader turned them into one-hot rows: say so, or the targets look made up
    indices = isinstance(raw, int) or (note.batch and isinstance(raw, list) and raw
                                       and not isinstance(raw[0], list))
    if indices:
        out.append(par(f"The targets were given as class indices ({raw}), 0-based: "
                       "one-hot above."))
    if note.model.loss == "upstream":
        out.append(par("The exercise gives the upstream gradient instead of targets: ",
                       Math(note.symbol("y", None)), " is ",
                       Math(rf"\partial L / \partial {note.symbol('yhat', None)}"), "."))
    for l, spec in enumerate(note.model.layers, 1):
        if spec.residual is not None:
            k = spec.residual
            out.append(par(f"Layer {l} has a residual connection: it adds ",
                           Math(note.symbol("h", k)), " (x)" if k == 0 else "",
                           " to its pre-activation, ",
                           Math(rf"{note.symbol('a', l)} = \ldots + {note.symbol('h', k)}"),
                           "."))
    return out


def _parameters(note: Notation) -> list[Block]:
    """Each layer's weights, as the file writes them, and bias; another kind's settings and
    what the file gives it."""
    out = []
    for l, spec in enumerate(note.model.layers, 1):
        if spec.kind != "dense":
            out += kinds.statement(note, l)
            continue
        terms = [note.matrix(note.file_weights(l)) + (_FROZEN if note.frozen(f"W{l}") else "")]
        if spec.bias:
            terms[0] += ","
            terms.append(rf"\qquad b_{{{l}}} = {note.bias(note.problem.params[f'b{l}'])}"
                         + (_FROZEN if note.frozen(f"b{l}") else ""))
        out.append(eq((f"W_{{{l}}}", "=", terms)))
        if not spec.bias:
            out.append(par(f"Layer {l} has no bias."))
    return out


def _optimizer(note: Notation, sizes: list[int]) -> list[Block]:
    """The optimizer, and the count of learnable parameters layer by layer."""
    opt = note.doc["update"]["optimizer"]
    terms = []
    for l, (m, n) in enumerate(zip(sizes, sizes[1:]), 1):
        spec = note.model.layers[l - 1]
        if spec.kind == "dense":
            terms.append(f"({n} \\cdot {m} + {n})" if spec.bias else f"{n} \\cdot {m}")
        elif spec.kind == "conv2d":
            terms.append(conv.count(note, l))
        elif spec.kind in SEQUENCES:
            terms.append(sequences_problem.count(note, l))
        elif spec.names(l):  # gamma and beta
            terms.append(f"({n} + {n})")
    count, trainable = note.doc["parameters"], note.doc["trainable"]
    return [par(f"Optimizer: {opt['name']} with learning rate ",
                Math(rf"\eta = {tex.plain(opt['lr'])}"), "."),
            par("Learnable parameters: ", Math(" + ".join(terms) + f" = {count}"),
                f" ({trainable} trainable)." if trainable != count else ".")]
