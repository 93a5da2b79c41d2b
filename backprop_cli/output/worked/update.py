"""Step 4 of a worked solution: one update of every parameter by the optimizer, its state
afterwards and the loss the new parameters give."""

from __future__ import annotations

from backprop_cli.engine.layers import SEQUENCES
from backprop_cli.output.fmt import hides_values
from backprop_cli.output.worked import formulas as rules
from backprop_cli.output.worked import kernels, kinds, l2, tex
from backprop_cli.output.worked.blocks import Block, eq, par, section
from backprop_cli.output.worked.notation import Notation, as_rows, split_name
from backprop_cli.output.worked.sequences import update as sequences_update
from backprop_cli.output.worked.tex import Math


def update(note: Notation) -> list[Block]:
    """Step 4: the rule, each parameter's new value, the optimizer state, the new loss."""
    up = note.doc["update"]
    opt = up["optimizer"]
    # plain gradient descent is worked number by number; other rules show the results
    plain_sgd = opt["name"] == "sgd" and not opt.get("momentum") and \
        not opt.get("weight_decay") and not opt.get("maximize")
    out = [section(f"Step 4: Update with {opt['name']}"), *_rule(opt, plain_sgd)]
    for name, new in up["parameters"].items():
        if note.kind(split_name(name)[1]) in SEQUENCES:  # gate by gate
            out += sequences_update.new_value(note, name, new, plain_sgd)
        else:
            out.append(_new_value(note, name, new, plain_sgd))
    out += _state(note, up["state"])
    for l in range(1, note.depth + 1):
        if note.kind(l) != "dense":
            out += kinds.of(note, l).update(note, l)
    out.append(par("Loss after the update (the same inputs through the new parameters): ",
                   Math(rf"L = {note.number(up['loss'])}")))
    if "loss_parts" in up:
        parts = up["loss_parts"]
        out += l2.loss_part(note, parts["data"], up["loss"], parts["penalty"], after=True)
    return out


def _rule(opt: dict, plain_sgd: bool) -> list[Block]:
    if plain_sgd:
        return [par("Gradient descent: ",
                    Math(r"\theta \leftarrow \theta - \eta \cdot \partial L / \partial \theta"),
                    ", with ", Math(rf"\eta = {tex.plain(opt['lr'])}"), ".")]
    return [par(f"The {opt['name']} rule (torch.optim's), for each trainable parameter ",
                Math(r"\theta"), " with gradient ", Math(r"g = \partial L / \partial \theta"),
                " at step t:"),
            eq(*rules.rule_steps(opt)),
            par("Settings: ", *rules.settings(opt))]


def _new_value(note: Notation, name: str, new, plain_sgd: bool) -> Block:
    """One parameter after the update; with plain SGD, the subtraction that gives it."""
    what, l = split_name(name)
    if what == "W" and note.kind(l) == "conv2d":  # kernel by kernel
        return kernels.new_value(note, name, new, plain_sgd)
    is_w, sym = what == "W", note.param_symbol(name)
    show = note.matrix if is_w else note.bias
    new = as_rows(new) if is_w else new
    if note.frozen(name):
        return eq((sym, "=", [show(new), r"\quad \text{(frozen: unchanged)}"]))
    if not plain_sgd:
        return eq((sym, r"\leftarrow", [show(new)]))
    old = note.file_weights(l) if is_w else note.problem.params[name]
    grad = note.gradient(name) if is_w else note.doc["gradients"][name]
    lr = tex.plain(note.doc["update"]["optimizer"]["lr"])
    return eq((sym, r"\leftarrow", [rf"{sym} - \eta {note.partial(what, l)}"]),
              (None, "=", [show(old), (rf"- {lr} \cdot", show(grad))]),
              (None, "=", [show(new)]))


def _state(note: Notation, state: dict) -> list[Block]:
    """The optimizer's state of each parameter after the update (step counts as integers;
    a value with entries below the decimals shown, as squared gradients are, in powers of
    10)."""
    out = []
    for name, entries in state.items():
        show = note.matrix if name.startswith("W") else note.bias
        if note.kind(split_name(name)[1]) in SEQUENCES:  # gate by gate
            out.append(par(f"State of {name} after the update:"))
            out += sequences_update.state(note, name, entries)
            continue
        out.append(par("State of ", Math(note.param_symbol(name)), " after the update:"))
        if name.startswith("W") and note.kind(split_name(name)[1]) == "conv2d":
            out.append(kernels.state(note, name, entries))
            continue
        cells = [str(v) if isinstance(v, int) else
                 show(as_rows(v) if name[0] == "W" else v, _power(note.decimals)
                      if hides_values(v, note.decimals) else None)
                 for v in entries.values()]
        out.append(eq(*[(rf"\mathrm{{{key.replace('_', chr(92) + '_')}}}", "=", [cell])
                        for key, cell in zip(entries, cells)]))
    return out


def _power(decimals: int):
    return lambda v: tex.power(v, decimals)
