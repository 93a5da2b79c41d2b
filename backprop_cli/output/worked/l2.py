"""An L2 penalty in a worked solution (engine/penalty.py's four forms): its own part of the
loss, data loss + penalty, and its term in each ∂L/∂W_l. Each form is c·Σ_l ΣW_l², adding
2c·W_l to ∂L/∂W_l; FORMS writes c and 2c in TeX from λ and N (symbols or numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from backprop_cli.output.worked import tex
from backprop_cli.output.worked.blocks import Block, eq, par
from backprop_cli.output.worked.notation import Notation
from backprop_cli.output.worked.tex import Math


class Form(NamedTuple):
    c: Callable[[str, str], str]  # (λ, N) -> the penalty's coefficient
    twice: Callable[[str, str], str]  # (λ, N) -> 2c, the gradient's


LAMBDA = r"\lambda"
FORMS = {
    "lambda/2": Form(lambda lam, N: rf"\frac{{{lam}}}{{2}}", lambda lam, N: lam),
    "lambda/2m": Form(lambda lam, N: rf"\frac{{{lam}}}{{2 \cdot {N}}}",
                      lambda lam, N: rf"\frac{{{lam}}}{{{N}}}"),
    "lambda": Form(lambda lam, N: lam, lambda lam, N: rf"2 \cdot {lam}"),
    "lambda/m": Form(lambda lam, N: rf"\frac{{{lam}}}{{{N}}}",
                     lambda lam, N: rf"\frac{{2 \cdot {lam}}}{{{N}}}"),
}


def _form(note: Notation) -> tuple[Form, str, str]:
    """The form, and λ and N as numbers in TeX."""
    penalty = note.model.penalty
    return FORMS[penalty.form], tex.plain(penalty.lam), str(note.samples)


def _weights(note: Notation) -> list[tuple[str, np.ndarray]]:
    """(symbol, value) of each weight the penalty covers: W_l of the dense and convolution
    layers, a recurrent layer's W_x and W_h."""
    return [(f"W_{{{name[1:]}}}" if name[1:].isdigit() else f"W_{{{name[1]}}}",
             note.problem.params[name]) for name in note.model.weights]


def statement(note: Notation) -> list[Block]:
    """The penalty's line in the Problem section."""
    if note.model.penalty is None:
        return []
    form, lam, _ = _form(note)
    names = ", ".join(sym for sym, _ in _weights(note))
    return [par(f"L2 penalty ({note.model.penalty.form}) on the weights ", Math(names),
                " (not the biases, not γ or β), added to the loss: ",
                Math(rf"R = {form.c(LAMBDA, 'N')} \sum_l \sum W_l^2"), " with ",
                Math(rf"\lambda = {lam}"), f", N = {note.samples}.")]


def loss_part(note: Notation, data: float, total: float, penalty: float,
              after: bool = False) -> list[Block]:
    """R with its numbers, then L = data loss + R."""
    form, lam, N = _form(note)
    weights = _weights(note)
    # each ΣW² as penalty.Form.value sums it
    sums = [float(np.add.reduce((W ** 2).ravel())) for _, W in weights]
    each = " + ".join(rf"\sum {sym}^2" for sym, _ in weights)
    values = " + ".join(note.number(v) for v in sums)
    blocks = []
    if not after:
        blocks.append(eq(("R", "=", [rf"{form.c(LAMBDA, 'N')} \left({each}\right)"]),
                         (None, "=", [rf"{form.c(lam, N)} \left({values}\right)"]),
                         (None, "=", [note.number(penalty)])))
    name = r"L_{\text{after}}" if after else "L"
    blocks.append(eq((name, "=", [r"L_{\text{data}} + R"]),
                     (None, "=", [f"{note.number(data)} + {note.number(penalty)}"]),
                     (None, "=", [note.number(total)])))
    return blocks


def gradient_term(note: Notation, l: int) -> tuple[str, str] | None:
    """(symbol, numbers) of the penalty's term in ∂L/∂W_l, to add to δᵀh; None without
    a penalty."""
    if note.model.penalty is None:
        return None
    sym, num = factor(note)
    return (rf" + {sym} W_{{{l}}}",
            rf"+ {num} \cdot {note.matrix(note.file_weights(l), note.given)}")


def factor(note: Notation) -> tuple[str, str]:
    """2c, the penalty's factor of W in ∂L/∂W: (in symbols, in numbers)."""
    form, lam, N = _form(note)
    return form.twice(LAMBDA, "N"), form.twice(lam, N)
