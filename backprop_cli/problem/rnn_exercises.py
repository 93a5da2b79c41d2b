"""Seeded sequence exercises for `backprop new`: an rnn, lstm or gru unrolled over a few
steps (an embedding before it if asked), dense layers after, every number with one
decimal, so backpropagation through time can be done by hand.

--layers gives the input, then the sequence kinds, then dense widths:
    TxD,rnn,K                 T steps of D features (x written (T, D); a batch (N, T, D))
    T,embedding,gru,K         T token indices (x written (T,); a batch (N, T))
A kind may pin settings after colons (WORDS take words, the others whole numbers):
    embedding:vocab=5:size=2          the table's rows V and width E
    rnn:hidden=3:output=all           H, and which steps the dense layers see
    lstm:gates=ifog, gru:gates=named  the stacked rows' order (torch's by default), or
                                      a mapping by gate name
    gru:form=cho:update=new           where r acts (torch's, inside r ⊙ (Wh_n h), by
                                      default; cho: Wh_n (r ⊙ h)) and which state z
                                      keeps (old, torch's and Cho's, by default; new:
                                      h' = (1 - z) h + z n, Chung's and Colah's)
The sizes not pinned are drawn (one randint) among HIDDEN, VOCAB and WIDTH. An rnn's
nonlinearity is its --activations entry (tanh, the default, or relu); an lstm's and a
gru's are their own (tanh), an embedding's none (identity).

Draw order: numpy.random.seed(S); the one randint; then each try draws E1 (the table),
Wx, Wh, b, h0 (an lstm's c0) of the recurrent layer, each dense layer's W and b, then x
and y where they are not given. x is tenths in [-1, 1] (token indices 0..V-1 with an
embedding), weights and the table tenths in [-1, 1], biases and the start states tenths
in [-0.5, 0.5]. A try is kept when it is fair (cnn.fair: finite, the output's a within
±cnn.OUTPUTS, no kink met, every weight row gets a gradient) and no cell saturates: every
pre-activation of every gate and every lstm c_t within ±SATURATED at every step (the
gates' derivatives stay at least σ'(2) ≈ 0.10 and tanh'(2) ≈ 0.07), and an rnn's relu
meets no 0; else the next try draws again, up to cnn.TRIES.
"""

from __future__ import annotations

import itertools

import numpy as np

from backprop_cli.engine.layers import RECURRENT
from backprop_cli.engine.layers.recurrent import FORMS, GATES, OUTPUTS, UPDATES
from backprop_cli.errors import UsageError
from backprop_cli.problem import cnn, generate

HIDDEN = (2, 3)  # H drawn among these unless pinned
VOCAB = (4, 5, 6)  # an embedding's V
WIDTH = (2, 3)  # and its E
WEIGHTS = 10  # weights, the table, x: tenths in [-1, 1]
BIASES = 5  # biases, h0 and c0: tenths in [-0.5, 0.5]
SATURATED = 2.0  # a pre-activation (or an lstm's c_t) beyond this in size is saturated
WORDS = ("output", "gates", "form", "update")  # settings written as words (wrong_word)
NAMED = "named"  # gates=named: the file writes a mapping by gate name


def wrong_word(kind: str, key: str, value: str) -> str | None:
    """What a word setting of `kind` expects, when `value` is none of it; else None."""
    if key == "output" and value not in OUTPUTS:
        return "output=last or output=all"
    if key == "form" and value not in FORMS:
        return ("form=torch (r inside: r ⊙ (Wh_n h)) or form=cho (r before: Wh_n (r ⊙ h)): "
                "where the reset gate acts")
    if key == "update" and value not in UPDATES:
        return ("update=old (h' = (1 - z) n + z h: torch, Cho et al.) or update=new "
                "(h' = (1 - z) h + z n: Chung et al., Colah)")
    if key == "gates" and value != NAMED and sorted(value) != sorted(GATES[kind]):
        return (f"gates= the letters {', '.join(GATES[kind])} in some order (the stacked "
                f"rows', torch's {GATES[kind]}" + (", CS231n's ifog" if kind == "lstm" else "")
                + f") or gates={NAMED} (a mapping by gate name)")
    return None


def problem(sizes: list, activations: list[str], loss: str, seed: int, decimals: int | None,
            x, y, title: str | None, batch: int | None) -> dict:
    """A sequence exercise document (sizes as generate.problem takes them)."""
    steps, embedding, (kind, pinned), rest = _split(sizes)
    if decimals not in (None, 1):
        raise UsageError(f"--decimals {decimals}: a sequence exercise draws every number "
                         "with one decimal (--decimals 1, the default)")
    _check_activations(activations, embedding, kind)
    np.random.seed(seed)
    table, hidden = _sizes(embedding, pinned)
    T, D = steps if table is None else (steps, table[1])
    every = pinned.get("output", "last") == "all"
    K = rest[-1]
    for _ in range(cnn.TRIES):
        layers = _layers(table, kind, pinned, hidden, D, rest, activations)
        drawn_x = _inputs(x, steps, table, batch)
        drawn_y = _targets(y, loss, K, T, batch, every)
        doc = generate.document(title, drawn_x, drawn_y, loss, layers, K)
        if cnn.fair(doc, _unsaturated):
            return doc
    hints = ["a smaller hidden size", "fewer steps"] + (["a smaller --batch"] if batch else []) \
        + (["another --x"] if x is not None else [])
    raise UsageError(f"--layers: no draw in {cnn.TRIES} tries gave an exercise without a "
                     f"saturated gate (|a| beyond {SATURATED:g}), a kink, a zero gradient or "
                     f"an output beyond ±{cnn.OUTPUTS}: try {', '.join(hints[:-1])} or "
                     f"{hints[-1]}")


# ------------------------------------------------------------------ the spelling


def _pins(size) -> tuple[str, dict]:
    return (size, {}) if isinstance(size, str) else (size[0], dict(size[1]))


def _split(sizes: list):
    """(T or (T, D), the embedding's pins or None, (the recurrent kind, its pins), the
    dense widths after it), refused when the order makes no sequence exercise."""
    first, rest = sizes[0], list(sizes[1:])
    embedding = None
    if generate.kind_of(rest[0]) == "embedding":
        embedding = _pins(rest.pop(0))[1]
        if not isinstance(first, int):
            raise UsageError("--layers: an embedding reads one token index per step: give "
                             "the input as T, the number of steps, like "
                             "3,embedding,rnn,2")
    kinds = [generate.kind_of(s) for s in rest]
    if not kinds or kinds[0] not in RECURRENT:
        found = "the end" if not kinds else kinds[0] or f"a width ({rest[0]})"
        where = "after the embedding" if embedding is not None else "after the input"
        raise UsageError(f"--layers: found {found} {where}, expected a recurrent layer "
                         "(rnn, lstm or gru): like 3x2,rnn,2 or 3,embedding,lstm,2")
    if embedding is None and not (isinstance(first, tuple) and len(first) == 2):
        shown = "x".join(map(str, first)) if isinstance(first, tuple) else str(first)
        raise UsageError(f"--layers: found the input {shown} before {kinds[0]}, expected "
                         "TxD (T steps of D features), like 3x2,rnn,2, or T token indices "
                         "before an embedding, like 3,embedding,rnn,2")
    late = next((k for k in kinds[1:] if k is not None), None)
    if late is not None:
        raise UsageError(f"--layers: found {late} after {kinds[0]}, expected dense widths "
                         "only after the recurrent layer (one per network)")
    return first, embedding, _pins(rest[0]), rest[1:]


def _check_activations(activations: list[str], embedding, kind: str) -> None:
    """--activations' entries for the sequence kinds: an embedding has none (identity), an
    rnn's is its nonlinearity (tanh or relu), an lstm's and a gru's their own (tanh)."""
    entries = activations[:2] if embedding is not None else activations[:1]
    allowed = [("embedding", ("identity",))] * (embedding is not None) \
        + [(kind, ("tanh", "relu") if kind == "rnn" else ("tanh",))]
    for given, (name, ok) in zip(entries, allowed, strict=True):
        if given not in ok:
            raise UsageError(f"--activations: found {given} for {name}, expected "
                             + " or ".join(ok) + {"embedding": " (it looks rows up)",
                                                  "rnn": " (its nonlinearity)"}.get(
                                 name, f" (an {name}'s cell has its own sigmoid gates and "
                                       "tanh)"))


def _sizes(embedding, pinned: dict):
    """((V, E) of the embedding or None, H): the pinned ones as given, the others drawn
    by one randint among the choices."""
    keys = [("hidden", HIDDEN, pinned)]
    if embedding is not None:
        keys = [("vocab", VOCAB, embedding), ("size", WIDTH, embedding), *keys]
    chains = list(itertools.product(*((pins[k],) if k in pins else choices
                                      for k, choices, pins in keys)))
    chosen = chains[np.random.randint(len(chains))]
    return (None if embedding is None else chosen[:2]), chosen[-1]


# ------------------------------------------------------------------ drawing


def _layers(table, kind, pinned, H, D, rest, activations) -> list:
    """The layers of one try, drawn in order."""
    acts = iter(activations)
    layers = []
    if table is not None:
        next(acts)
        layers.append({"kind": "embedding", "table": cnn.tenths(table, WEIGHTS)})
    gates = pinned.get("gates", GATES[kind])
    G = len(GATES[kind])  # an rnn's one "gate": a
    layer = {"kind": kind}
    wx, wh = cnn.tenths((G * H, D), WEIGHTS), cnn.tenths((G * H, H), WEIGHTS)
    b = cnn.tenths((G * H,), BIASES)
    for key, value in (("wx", wx), ("wh", wh), ("bias", b)):
        layer[key] = _by_name(kind, value, H) if gates == NAMED else value
    layer["h0"] = cnn.tenths((H,), BIASES)
    if kind == "lstm":
        layer["c0"] = cnn.tenths((H,), BIASES)
    activation = next(acts)
    if kind == "rnn":
        layer["activation"] = activation
    layer["output"] = pinned.get("output", "last")
    if kind != "rnn" and gates != NAMED:
        layer["gates"] = gates
    if kind == "gru":
        layer["form"] = pinned.get("form", "torch")
        layer["update"] = pinned.get("update", "old")
    layers.append(layer)
    n = H
    for size in rest:
        layers.append({"weights": cnn.tenths((size, n), WEIGHTS),
                       "bias": cnn.tenths((size,), BIASES), "activation": next(acts)})
        n = size
    return layers


def _by_name(kind: str, stacked: list, H: int) -> dict:
    """Rows stacked in torch's gate order as a mapping by gate name."""
    return {g: stacked[k * H:(k + 1) * H] for k, g in enumerate(GATES[kind])}


def _inputs(x, steps, table, batch):
    """x as the file writes it: (T, D) or token indices (T,); a batch (N, T, D) or
    (N, T). A given x (a flat list) keeps its numbers."""
    if table is not None:
        if x is not None:
            wrong = [v for v in x if not isinstance(v, int) or not 0 <= v < table[0]]
            if wrong:
                raise UsageError(f"--x: found {wrong[0]}, expected a token index 0 to "
                                 f"{table[0] - 1}: the embedding's table has {table[0]} "
                                 "rows (pin embedding:vocab=V for more)")
            return list(x)
        return np.random.randint(table[0], size=(batch, steps) if batch else steps).tolist()
    if x is not None:
        return np.reshape(np.array(x, dtype=object), steps).tolist()
    return cnn.tenths((batch, *steps) if batch else steps, WEIGHTS)


def _targets(y, loss: str, K: int, T: int, batch: int | None, every: bool):
    """y for the last step (as any network's) or one per step (output: all): T class
    indices, one-hot rows for losses other than cross_entropy; a batch, a list of those.
    A given y (one sample) is T class indices, or T·K numbers, with output all."""
    if not every:
        return generate.targets(loss, K, batch, 1) if y is None else y
    if y is None:
        rows = generate.targets(loss, K, (batch or 1) * T, 1)
        return [rows[n * T:(n + 1) * T] for n in range(batch)] if batch else rows
    found = [y] if isinstance(y, int) else y
    if loss != "upstream" and len(found) == T and all(isinstance(v, int) for v in found):
        if not all(0 <= v < max(K, 2) for v in found):
            raise UsageError(f"--y {','.join(map(str, found))}: found a class index out of "
                             f"range, expected 0 to {max(K, 2) - 1} at each step")
        if loss == "cross_entropy":
            return found
        return [[v] if K == 1 else [int(v == k) for k in range(K)] for v in found]
    if len(found) != T * K:
        raise UsageError(f"--y: found {len(found)} numbers, expected a class index per step "
                         f"({T}) or a target per step and output ({T}·{K} = {T * K}): the "
                         "dense layers see every step (output=all)")
    return np.reshape(np.array(found, dtype=object), (T, K)).tolist()


# ------------------------------------------------------------------ fairness


def _unsaturated(model, fwd) -> bool:
    """Every gate's pre-activation and every lstm c_t within ±SATURATED at every step; an
    rnn's relu meets no 0."""
    l = model.recurrent
    cache, spec = fwd.caches[l - 1], model.layers[l - 1].settings
    if any(np.abs(cache[k]).max() > SATURATED for k in ("a", "c") if k in cache):
        return False
    return spec.nonlinearity != "relu" or np.abs(cache["a"]).min() > cnn.TOL
