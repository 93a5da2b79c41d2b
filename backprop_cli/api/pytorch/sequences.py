"""The sequence modules in the PyTorch bridge: nn.Embedding (optional), one nn.RNN, nn.LSTM
or nn.GRU (one layer, batch_first=True, bias or not), bp.LastStep(), then nn.Linear layers
and their activations, read as a problem file's embedding and recurrent layer (torch's
gate order, out_in: weight_ih_l0 is wx, weight_hh_l0 wh, bias_ih_l0 bias, bias_hh_l0
bias_h), and built back.

An nn.Sequential cannot say `out[:, -1]`, and a recurrent module returns (output, h_n):
LastStep is the module that takes the last step's output h_T from that pair, so the usual
model is an nn.Sequential torch itself runs and trains. torch is imported inside the
functions only; LastStep's class is made the first time it is used.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

import numpy as np

from backprop_cli.api.pytorch import losses as torch_losses
from backprop_cli.api.pytorch import model as torch_model
from backprop_cli.api.pytorch.model import Layer, array, fail, require_torch, shown
from backprop_cli.engine.model import layer_of

CELLS = {"RNN": "rnn", "LSTM": "lstm", "GRU": "gru"}
# torch's tensor, the engine's short name, the problem file's key
TENSORS = (("weight_ih_l0", "Wx", "wx"), ("weight_hh_l0", "Wh", "wh"),
           ("bias_ih_l0", "b", "bias"), ("bias_hh_l0", "bh", "bias_h"))
# what a recurrent module may hold only as backprop has it: (setting, wanted, why)
SETTINGS = (("num_layers", 1, "one layer (stack recurrent layers in your own nn.Module)"),
            ("batch_first", True, "x as (N, T, D), the problem file's order"),
            ("bidirectional", False, "one direction, t = 1..T"),
            ("proj_size", 0, "h_t = o ⊙ tanh(c_t), no projection"))
EMBEDDING = (("padding_idx", None, "every row of the table gets its gradient"),
             ("max_norm", None, "the table's rows as they are, never renormalised"),
             ("scale_grad_by_freq", False, "∂L/∂E summed over the places a token is"),
             ("sparse", False, "a dense ∂L/∂E"))


@functools.cache
def last_step_class():
    """LastStep, made the first time it is needed (torch is imported then)."""
    import torch

    class LastStep(torch.nn.Module):
        """The last step of a recurrent module's output, h_T (out[:, -1] of (N, T, H),
        out[-1] of one sample's (T, H)), from its (output, h_n) or the output alone: what
        nn.Linear layers after an nn.RNN, nn.LSTM or nn.GRU in an nn.Sequential see."""

        def forward(self, output):
            out = output[0] if isinstance(output, tuple) else output
            return out[..., -1, :]

    LastStep.__module__ = __name__
    return LastStep


def __getattr__(name: str):  # bp.LastStep: the class, made when first used (PEP 562)
    if name == "LastStep":
        require_torch("bp.LastStep")
        return last_step_class()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _sequence_types() -> tuple:
    import torch.nn as nn

    return (nn.Embedding, nn.RNN, nn.LSTM, nn.GRU, last_step_class())


def is_sequence(model) -> bool:
    """The model holds an nn.Embedding, nn.RNN, nn.LSTM, nn.GRU or a LastStep: it is read
    here, not by model.read_layers."""
    import torch.nn as nn

    return isinstance(model, nn.Sequential) and any(
        type(m) in _sequence_types() for m in model.modules())


@dataclass(frozen=True)
class Sequence:
    """A sequence model's parts: (place, module) of its embedding (or None) and its
    recurrent module, and the dense layers after bp.LastStep()."""

    embedding: tuple[str, object] | None
    recurrent: tuple[str, object]
    tail: tuple[Layer, ...]

    @property
    def cell(self) -> str:
        return CELLS[type(self.recurrent[1]).__name__]

    @property
    def k(self) -> int:
        """l of the recurrent layer: 2 after an embedding, else 1."""
        return 1 + (self.embedding is not None)


def _check(module, place: str, settings) -> None:
    for key, want, why in settings:
        if getattr(module, key, want) != want:
            fail(f"{place}.{key}", f"found {getattr(module, key)!r} in {shown(module)}, "
                                   f"expected {want!r}: {why}")


def read_modules(model) -> Sequence:
    """The model's embedding, recurrent module and dense layers, or a ProblemError naming
    the first module out of place or with a setting backprop has no equivalent for."""
    import torch.nn as nn

    modules = torch_model.flatten(model)
    embedding = modules[0] if type(modules[0][1]) is nn.Embedding else None
    if embedding is not None:
        _check(embedding[1], embedding[0], EMBEDDING)
    i = int(embedding is not None)
    after = "after nn.Embedding" if embedding else "first (or after nn.Embedding)"
    if i >= len(modules) or type(modules[i][1]) not in (nn.RNN, nn.LSTM, nn.GRU):
        place, found = modules[i] if i < len(modules) else (embedding[0], None)
        fail(place, f"found {shown(found) if found is not None else 'nothing'}, expected "
                    f"nn.RNN, nn.LSTM or nn.GRU {after}: a sequence model is "
                    "[nn.Embedding,] a recurrent module, bp.LastStep(), nn.Linear layers")
    place, recurrent = modules[i]
    _check(recurrent, place, SETTINGS)
    if embedding is not None and embedding[1].embedding_dim != recurrent.input_size:
        fail(place, f"found {shown(recurrent)} after {shown(embedding[1])}, expected "
                    f"input_size {embedding[1].embedding_dim}")
    rest = modules[i + 1:]
    if not rest or type(rest[0][1]) is not last_step_class():
        where, found = rest[0] if rest else (place, None)
        fail(where, f"found {'nothing' if found is None else shown(found)} after "
                    f"{shown(recurrent)}, expected bp.LastStep(): the recurrent module "
                    "returns (output, h_n), and the layers after it take the last step's "
                    "output h_T")
    return Sequence(embedding, (place, recurrent), _tail(rest[1:], recurrent))


def _tail(modules: list, recurrent) -> tuple[Layer, ...]:
    """The dense layers after bp.LastStep(), read as model.read_layers reads a network."""
    import torch.nn as nn

    for place, module in modules:
        if type(module) in _sequence_types():
            fail(place, f"found {shown(module)} after bp.LastStep(), expected nn.Linear layers "
                        "and their activations: a network here has one recurrent layer")
    if not modules:
        return ()
    place, first = modules[0]
    if type(first) is not nn.Linear or first.in_features != recurrent.hidden_size:
        fail(place, f"found {shown(first)} after bp.LastStep(), expected nn.Linear with "
                    f"in_features {recurrent.hidden_size}, the hidden width of "
                    f"{shown(recurrent)}")
    layers = torch_model.read_layers(None, 2, modules)
    other = next((layer for layer in layers if layer.kind != "dense"), None)
    if other is not None:
        fail(other.place, f"found {shown(other.core)} after a recurrent layer, expected "
                          "nn.Linear layers and their activations")
    return tuple(layers)


def parameters(seq: Sequence) -> dict:
    """The model's parameters by backprop's names: E1, Wx{k}, Wh{k}, b{k}, bh{k}, then the
    dense layers' W{l}, b{l}."""
    found = {} if seq.embedding is None else {"E1": seq.embedding[1].weight}
    for attr, short, _ in TENSORS:
        if getattr(seq.recurrent[1], attr, None) is not None:
            found[f"{short}{seq.k}"] = getattr(seq.recurrent[1], attr)
    for name, p in torch_model.parameters(list(seq.tail)).items():
        found[name.rstrip("0123456789") + str(layer_of(name) + seq.k)] = p
    return found


def _x(seq: Sequence, x):
    """(x as the problem file writes it: steps (N, T, D) or (T, D), token indices (N, T)
    or (T,); whether it is a batch)."""
    import torch

    if seq.embedding is not None:
        integer = (not x.is_floating_point()) if torch.is_tensor(x) else \
            np.issubdtype(np.asarray(x).dtype, np.integer)
        values = array(x, "x")
        if values.ndim not in (1, 2) or not values.size or not integer:
            fail("x", f"found {'an' if integer else 'a float'} array of shape "
                      f"{values.shape}, expected integer token indices (N, T) or one "
                      f"sample's (T,): {seq.embedding[0]} is {shown(seq.embedding[1])}")
        return values.astype(np.int64).tolist(), values.ndim == 2
    values, (place, rnn) = array(x, "x"), seq.recurrent
    if values.ndim not in (2, 3) or not values.size or values.shape[-1] != rnn.input_size:
        fail("x", f"found an array of shape {values.shape}, expected steps (N, T, "
                  f"{rnn.input_size}) or one sample's (T, {rnn.input_size}): {place} is "
                  f"{shown(rnn)}")
    return values.tolist(), values.ndim == 3


def _recurrent_document(seq: Sequence, frozen: set) -> dict:
    rnn = seq.recurrent[1]
    doc = {"kind": seq.cell}
    for attr, _, key in TENSORS:
        if getattr(rnn, attr, None) is not None:
            doc[key] = array(getattr(rnn, attr)).tolist()
    if seq.cell == "rnn":
        doc["activation"] = rnn.nonlinearity
    still = [key for _, short, key in TENSORS if f"{short}{seq.k}" in frozen]
    return doc | ({"frozen": still} if still else {})


def read(model, x, y, loss_fn, optimizer=None, *, title=None):
    """bridge.read for a sequence model (is_sequence): the problem it poses."""
    import torch.nn as nn

    from backprop_cli.api.pytorch import bridge
    from backprop_cli.problem import reader

    seq = read_modules(model)
    written, batched = _x(seq, x)
    tail, H = list(seq.tail), seq.recurrent[1].hidden_size
    outputs = torch_model.widths(tail, H)[-1]
    targets, indices = bridge._targets(y, type(loss_fn) is nn.CrossEntropyLoss)
    last = tail[-1] if tail else Layer(*seq.recurrent, kind=seq.cell)
    loss, reduction, output = torch_losses.read_loss(loss_fn, last, outputs, indices)
    if output is not None and not tail:
        fail("loss_fn", f"found {shown(loss_fn)} right after bp.LastStep(), expected "
                        "nn.Linear layers between: the loss's own "
                        f"{output} would be the recurrent layer's activation")
    if output is not None:
        tail[-1] = replace(tail[-1], activation=output)
    params = parameters(seq)
    block, trainable = bridge.optimizer_block(optimizer, params)
    frozen = set(params) - trainable
    layers = [] if seq.embedding is None else [
        {"kind": "embedding", "table": array(seq.embedding[1].weight).tolist()}
        | ({"frozen": ["table"]} if "E1" in frozen else {})]
    layers.append(_recurrent_document(seq, frozen))
    local = {name.rstrip("0123456789") + str(layer_of(name) - seq.k)
             for name in frozen if layer_of(name) > seq.k}
    rows = (len(written), H) if batched else (H,)
    layers += torch_model.layer_documents(tail, local, rows, False, H) if tail else []
    doc = {} if title is None else {"title": title}
    doc.update(x=written, y=targets, loss=loss, reduction=reduction, layers=layers)
    if block:
        doc["optimizer"] = block
    return reader.from_document(doc, torch_model.SOURCE)


def refused(problem) -> tuple[str, str] | None:
    """(place, what) a sequence problem holds that this nn.Sequential cannot say, or None."""
    k = problem.model.recurrent
    s = problem.model.layers[k - 1].settings
    base = f"layers[{k - 1}]"
    if s.output == "all":
        return f"{base}.output", ("all, expected last: bp.LastStep() gives the nn.Linear "
                                  "layers h_T (a model of every step is your own nn.Module)")
    if s.cell == "gru" and s.form != "torch":
        return f"{base}.form", f"{s.form}, expected torch: nn.GRU's form"
    if s.cell == "gru" and s.update != "old":
        return f"{base}.update", f"{s.update}, expected old: nn.GRU's h′ = (1 − z) ⊙ n + z ⊙ h"
    for key in ("h0", "c0"):
        if getattr(s, key) is not None and np.any(getattr(s, key)):
            return f"{base}.{key}", (f"{key} other than zeros, expected none: the recurrent "
                                     "module in an nn.Sequential starts from zeros")
    return None


def build(problem, logits: bool):
    """(the problem's network as an nn.Sequential in float64, x as torch takes it): the
    embedding, the recurrent module (bias=True when the file has bias or bias_h; the other
    is zeros and frozen), bp.LastStep(), the dense layers (model.build)."""
    import torch
    import torch.nn as nn

    net, p = problem.model, problem.params
    k = net.recurrent
    spec = net.layers[k - 1]
    s = spec.settings
    modules = []
    if k == 2:
        E = p["E1"]
        modules.append(nn.Embedding(*E.shape, dtype=torch.float64, _weight=torch.tensor(E)))
        modules[0].weight.requires_grad_("table" not in net.layers[0].frozen)
    cell = getattr(nn, next(name for name, c in CELLS.items() if c == s.cell))
    extra = {"nonlinearity": s.nonlinearity} if s.cell == "rnn" else {}
    rnn = cell(s.inputs, s.hidden, batch_first=True, dtype=torch.float64,
               bias="b" in s.owned or "bh" in s.owned, **extra)
    for attr, short, key in TENSORS:
        value = p.get(f"{short}{k}")
        if getattr(rnn, attr, None) is not None:
            with torch.no_grad():
                getattr(rnn, attr).copy_(torch.as_tensor(0.0 if value is None else value))
            getattr(rnn, attr).requires_grad_(value is not None and key not in spec.frozen)
    modules += [rnn, last_step_class()()]
    if k < len(net.layers):
        modules += list(torch_model.build(problem, logits, first=k + 1))
    x = problem.x.astype(np.int64) if k == 2 else \
        problem.x.reshape(problem.x.shape[0], s.steps, s.inputs)
    return nn.Sequential(*modules), torch.tensor(x if problem.batched else x[0])

