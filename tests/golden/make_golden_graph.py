#!/usr/bin/env python3
"""Independent PyTorch oracle for `backprop graph`: writes tests/golden/graph/*.json.

Run from the repository root with an environment that has torch (CPU, float64):
    python tests/golden/make_golden_graph.py
It never imports backprop_cli: each expression is drawn as a tree that is written out as
text (the grammar of docs/graph.md) and computed with torch at the same time; torch's
autograd gives the gradients. The output is deterministic.

graph/published.json  the lecture examples (f = (x + y) z, the sigmoid neuron, a staged one,
                      micrograd's README example and its tanh neuron, written as micrograd
                      writes them: c += ..., .relu(), .tanh(), .exp())
graph/kinks.json      relu, abs, max, min, ** and x ** y exactly at their kinks, ties and
                      special points (0 ** y, 1 ** y, x = 0 for sin, square, ...)
graph/random.json     random expressions over every operation, single, staged and with a
                      name assigned again (c = ...; c = ...; c += ...), with random values
                      (small whole numbers make ties and kinks common); functions are
                      written also as sources write them (np.exp, math.log, torch.tanh,
                      ln, x.relu())
Each file: {"torch": version, "cases": [{"expression", "values", "value", "gradients"}]}.
Cases where torch's value or a gradient is not finite, or beyond 1e8, are drawn again, and
so are those where torch's answer is finite but an operation on the way is not (sqrt'(0)
= inf masked by relu'(x) = 0 below it, x ** y at a negative x, log(0) fed to relu), where
`backprop graph` stops with an error; and those with a gradient below 1e-8 but not 0 (a
saturated tanh or sigmoid, where torch's 1 - y**2 has lost its digits).
"""
import json
import math
import random
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent / "graph"
UNARY = ["neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs", "sin", "cos",
         "log10", "square"]
BINARY = ["+", "-", "*", "/", "max", "min"]
OPS = BINARY + UNARY + ["**", "pow"]  # pow: a variable exponent, x ** y or 2 ** x
TORCH = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sigmoid": torch.sigmoid,
         "tanh": torch.tanh, "relu": torch.relu, "abs": torch.abs, "sin": torch.sin,
         "cos": torch.cos, "log10": torch.log10, "square": torch.square}
# the spellings of the sources, each one that exists there: numpy and math functions,
# torch functions and tensor methods (micrograd's Value has .relu(), .tanh(), .exp())
SPELLINGS = {
    "np": {"exp", "log", "sqrt", "tanh", "abs", "sin", "cos", "log10", "square"},
    "numpy": {"exp", "log", "sqrt", "tanh", "sin", "cos", "log10", "square"},
    "math": {"exp", "log", "sqrt", "tanh", "sin", "cos", "log10"},
    "torch": set(TORCH),
}
EXPONENTS = [2, 3, -1, -2, 0.5, 1.5, 0, 1]
NAMES = ["x", "y", "z", "w"]
LIMIT = 1e8
TINY = 1e-8


class Undefined(ArithmeticError):
    """An operation without a finite value or local derivative: the case is drawn again."""


def checked(value, *unless):
    """value, unless it or any of the conditions in unless is not finite or true."""
    if not bool(torch.isfinite(value)) or any(unless):
        raise Undefined
    return value


class Node:
    """A tree that is both text and a torch computation."""

    def __init__(self, text, compute, names, constant=False):
        self.text, self.compute, self.names, self.constant = text, compute, names, constant


def leaf(rng, names):
    if rng.random() < 0.2:
        c = rng.choice([1, 2, 3, 0.5, -1, -2, 1.5])
        text = f"({c})" if c < 0 else str(c)
        return Node(text, lambda env, c=c: torch.tensor(float(c)), set(), True)
    name = rng.choice(names)
    return Node(name, lambda env, name=name: env[name], {name})


def apply(op, args, exponent=None, rng=None):
    a = args
    names = set().union(*(x.names for x in a))
    if op == "**":
        text = f"({a[0].text}) ** {exponent if exponent >= 0 else f'({exponent})'}"

        def power(env):  # 0 ** 0.5: an infinite derivative
            x = a[0].compute(env)
            return checked(x ** exponent, x.item() == 0 and 0 < exponent < 1)
        return Node(text, power, names)
    if op == "pow":
        def variable_power(env):  # x ** y: y x^(y-1) and x^y ln x; ln of x < 0 undefined
            x, y = a[0].compute(env), a[1].compute(env)
            return checked(torch.pow(x, y), x.item() < 0, x.item() == 0 and 0 < y.item() < 1)
        return Node(f"({a[0].text}) ** ({a[1].text})", variable_power, names)
    if op in ("+", "-", "*", "/"):
        fn = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}[op]
        return Node(f"({a[0].text} {op} {a[1].text})",
                    lambda env: checked(fn(a[0].compute(env), a[1].compute(env))), names)
    if op in ("max", "min"):
        fn = torch.maximum if op == "max" else torch.minimum
        return Node(f"{op}({a[0].text}, {a[1].text})",
                    lambda env: fn(a[0].compute(env), a[1].compute(env)), names)
    if op == "neg":
        return Node(f"-({a[0].text})", lambda env: -a[0].compute(env), names)
    fn = TORCH[op]

    def compute(env):  # sqrt'(0) is infinite
        x = a[0].compute(env)
        return checked(fn(x), op == "sqrt" and x.item() == 0)
    return Node(f"{spelled(op, a[0].text, rng)}", compute, names)


def spelled(op, arg, rng):
    """op(arg) as one of the sources writes it: exp(x), np.exp(x), (x).exp(), ln(x)."""
    choice = 0 if rng is None else rng.randrange(8)
    if choice == 1:  # a method: torch's tensors have them all
        return f"({arg}).{op}()" if not arg.isidentifier() else f"{arg}.{op}()"
    if choice == 2 and op == "log":
        return f"ln({arg})"
    if choice in (3, 4):
        module = rng.choice([m for m in SPELLINGS if op in SPELLINGS[m]])
        return f"{module}.{op}({arg})"
    return f"{op}({arg})"


def name_leaf(rng, names):
    name = rng.choice(names)
    return Node(name, lambda env, name=name: env[name], {name})


def tree(rng, depth, names, root=None):
    if depth == 0 or (root is None and rng.random() < 0.25):
        return leaf(rng, names)
    op = root or rng.choice(OPS)
    if op in BINARY or op == "pow":
        args = [tree(rng, depth - 1, names), tree(rng, depth - 1, names)]
        if all(x.constant for x in args):  # an operation of the inputs, not of numbers
            args[1] = name_leaf(rng, names)
        if op == "pow" and args[1].constant:  # a variable exponent: 2 ** x, x ** y
            args = [args[1], name_leaf(rng, names)] if rng.random() < 0.5 else \
                [args[0], name_leaf(rng, names)]
        return apply(op, args)
    arg = tree(rng, depth - 1, names)
    if arg.constant:
        arg = name_leaf(rng, names)
    return apply(op, [arg], rng.choice(EXPONENTS) if op == "**" else None, rng)


def values(rng, names):
    out = {}
    for name in names:
        if out and rng.random() < 0.3:  # a tie with an earlier input
            out[name] = out[rng.choice(sorted(out))]
        elif rng.random() < 0.5:
            out[name] = rng.randint(-3, 3)
        else:
            out[name] = round(rng.uniform(-3, 3), 2)
    return out


def solve(expression, compute, given):
    """{"expression", "values", "value", "gradients"} by torch, or None if not finite."""
    leaves = {k: torch.tensor(float(v), requires_grad=True) for k, v in given.items()}
    try:
        f = compute(leaves)
    except Undefined:
        return None
    grads = torch.autograd.grad(f, list(leaves.values()), allow_unused=True)
    gradients = {k: 0.0 if g is None else g.item() for k, g in zip(leaves, grads)}
    numbers = [f.item(), *gradients.values()]
    if not all(math.isfinite(v) and abs(v) < LIMIT for v in numbers):
        return None
    if any(0 < abs(g) < TINY for g in gradients.values()):
        return None
    return {"expression": expression, "values": given, "value": f.item(),
            "gradients": gradients}


def in_order(text, names):
    """Names in order of first appearance in the text, as the expression lists inputs."""
    import re

    seen = []
    for token in re.findall(r"[A-Za-z_]\w*", text):
        if token in names and token not in seen:
            seen.append(token)
    return seen


def random_cases(rng, count):
    cases = []
    while len(cases) < count:
        root = OPS[len(cases) % len(OPS)]  # every operation at the root, in turn
        names = NAMES[:rng.randint(1, 4)]
        node = tree(rng, rng.randint(2, 4), names, root)
        used = in_order(node.text, node.names)
        case = solve(node.text, node.compute, values(rng, used))
        if case is not None:
            cases.append(case)
    return cases


def staged_cases(rng, count):
    """a = ...; b = ... (a and the inputs); f = ... (a, b and the inputs)."""
    cases = []
    while len(cases) < count:
        names = NAMES[:rng.randint(1, 3)]
        a = tree(rng, 2, names, rng.choice(OPS))
        b = tree(rng, 2, names + ["a"], rng.choice(OPS))
        f = tree(rng, 2, names + ["a", "b"], rng.choice(BINARY))
        if "a" not in b.names | f.names or "b" not in f.names or not a.names:
            continue
        text = f"a = {a.text}; b = {b.text}; f = {f.text}"

        def compute(env, a=a, b=b, f=f):
            env = dict(env)
            env["a"] = a.compute(env)
            env["b"] = b.compute(env)
            return f.compute(env)

        used = in_order(text, (a.names | b.names | f.names) - {"a", "b"})
        case = solve(text, compute, values(rng, used))
        if case is not None:
            cases.append(case)
    return cases


def reassigned_cases(rng, count):
    """c = ...; c = ... (c and the inputs); c += ... (micrograd's in-place update), the
    output either the last assignment or named by a last line `c`."""
    cases = []
    while len(cases) < count:
        names = NAMES[:rng.randint(1, 3)]
        first = tree(rng, 2, names, rng.choice(OPS))
        second = tree(rng, 2, names + ["c"], rng.choice(OPS))
        third = tree(rng, 2, names + ["c"], rng.choice(OPS))
        update = rng.choice(["+", "-", "*"])
        if not first.names or "c" not in second.names:
            continue
        text = f"c = {first.text}; c = {second.text}; c {update}= {third.text}"
        if rng.random() < 0.5:
            text += "; c"

        def compute(env, first=first, second=second, third=third, update=update):
            env = dict(env)
            env["c"] = first.compute(env)
            env["c"] = second.compute(env)
            d = third.compute(env)
            return {"+": torch.add, "-": torch.sub, "*": torch.mul}[update](env["c"], d)

        used = in_order(text, (first.names | second.names | third.names) - {"c"})
        case = solve(text, compute, values(rng, used))
        if case is not None:
            cases.append(case)
    return cases


def fixed_cases(specs):
    cases = []
    for text, given, fn in specs:
        case = solve(text, fn, given)
        assert case is not None, text
        cases.append(case)
    return cases


T = torch
PUBLISHED = [
    ("(x + y) * z", {"x": -2, "y": 5, "z": -4}, lambda e: (e["x"] + e["y"]) * e["z"]),
    ("f = sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
     lambda e: T.sigmoid(e["w0"] * e["x0"] + e["w1"] * e["x1"] + e["w2"])),
    ("f = 1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))",
     {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3},
     lambda e: 1 / (1 + T.exp(-(e["w0"] * e["x0"] + e["w1"] * e["x1"] + e["w2"])))),
    ("s = sigmoid(y); f = (x + s) / (sigmoid(x) + (x + y)**2)", {"x": 3, "y": -4},
     lambda e: (e["x"] + T.sigmoid(e["y"])) / (T.sigmoid(e["x"]) + (e["x"] + e["y"]) ** 2)),
    ("x * x", {"x": 3}, lambda e: e["x"] * e["x"]),
    # micrograd's README (a = -4, b = 2 print g = 24.7041, dg/da = 138.8338, dg/db = 645.5773)
    ("c = a + b\nd = a * b + b**3\nc += c + 1\nc += 1 + c + (-a)\n"
     "d += d * 2 + (b + a).relu()\nd += 3 * d + (b - a).relu()\ne = c - d\nf = e**2\n"
     "g = f / 2.0\ng += 10.0 / f", {"a": -4, "b": 2}, lambda e: micrograd(e["a"], e["b"])),
    # micrograd's neuron (Karpathy's video: o = 0.7071, do/dx1 = -1.5, do/dw1 = 1, ...)
    ("n = x1*w1 + x2*w2 + b; o = n.tanh()",
     {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432},
     lambda e: T.tanh(e["x1"] * e["w1"] + e["x2"] * e["w2"] + e["b"])),
    ("n = x1*w1 + x2*w2 + b; e = (2*n).exp(); o = (e - 1) / (e + 1)",
     {"x1": 2, "x2": 0, "w1": -3, "w2": 1, "b": 6.8813735870195432},
     lambda e: (T.exp(2 * (e["x1"] * e["w1"] + e["x2"] * e["w2"] + e["b"])) - 1)
     / (T.exp(2 * (e["x1"] * e["w1"] + e["x2"] * e["w2"] + e["b"])) + 1)),
    # aliases and methods: np., math., torch., ln, .relu()
    ("np.exp(x) + math.log(y) * torch.tanh(x) - ln(y) + (x * y).relu() + numpy.square(y)",
     {"x": 0.5, "y": 2},
     lambda e: T.exp(e["x"]) + T.log(e["y"]) * T.tanh(e["x"]) - T.log(e["y"])
     + T.relu(e["x"] * e["y"]) + T.square(e["y"])),
    # micrograd's style of reassignment
    ("c = a + b; c += a; d = c.tanh()", {"a": 0.5, "b": -1.25},
     lambda e: T.tanh(e["a"] + e["b"] + e["a"])),
    ("c = a * b; c = c + math.sin(a); c *= c; c", {"a": 1.5, "b": -2},
     lambda e: (e["a"] * e["b"] + T.sin(e["a"])) ** 2),
    # variable exponents
    ("x ** y", {"x": 1.5, "y": 2.5}, lambda e: e["x"] ** e["y"]),
    ("2 ** x", {"x": 3}, lambda e: 2 ** e["x"]),
    ("x ** x", {"x": 2}, lambda e: e["x"] ** e["x"]),
    ("(x + 1) ** (y * x) + 0.5 ** y", {"x": 0.25, "y": -3},
     lambda e: (e["x"] + 1) ** (e["y"] * e["x"]) + 0.5 ** e["y"]),
    ("sin(x) * cos(y) + log10(x * y) - square(x - y)", {"x": 0.75, "y": 2},
     lambda e: T.sin(e["x"]) * T.cos(e["y"]) + T.log10(e["x"] * e["y"])
     - T.square(e["x"] - e["y"])),
]


def micrograd(a, b):
    c = a + b
    d = a * b + b**3
    c = c + (c + 1)
    c = c + (1 + c + (-a))
    d = d + (d * 2 + T.relu(b + a))
    d = d + (3 * d + T.relu(b - a))
    e = c - d
    f = e**2
    g = f / 2.0
    return g + 10.0 / f

KINKS = [
    ("relu(x) * y", {"x": 0, "y": 2}, lambda e: T.relu(e["x"]) * e["y"]),
    ("relu(x - y) + y", {"x": 1.5, "y": 1.5}, lambda e: T.relu(e["x"] - e["y"]) + e["y"]),
    ("abs(x) * y", {"x": 0, "y": 3}, lambda e: T.abs(e["x"]) * e["y"]),
    ("abs(x - y)", {"x": -1, "y": -1}, lambda e: T.abs(e["x"] - e["y"])),
    ("max(x, y)", {"x": 2, "y": 2}, lambda e: T.maximum(e["x"], e["y"])),
    ("min(x, y)", {"x": 2, "y": 2}, lambda e: T.minimum(e["x"], e["y"])),
    ("max(x, x)", {"x": -1}, lambda e: T.maximum(e["x"], e["x"])),
    ("min(x, x) * x", {"x": 2}, lambda e: T.minimum(e["x"], e["x"]) * e["x"]),
    ("max(x, 0) * y", {"x": 0, "y": 5}, lambda e: T.maximum(e["x"], T.tensor(0.0)) * e["y"]),
    ("min(1, x) + x", {"x": 1}, lambda e: T.minimum(T.tensor(1.0), e["x"]) + e["x"]),
    ("max(x * y, y)", {"x": 1, "y": 3}, lambda e: T.maximum(e["x"] * e["y"], e["y"])),
    ("x ** 0 + y", {"x": 0, "y": 1}, lambda e: e["x"] ** 0 + e["y"]),
    ("x ** 1 * y", {"x": 0, "y": 2}, lambda e: e["x"] ** 1 * e["y"]),
    ("x ** 2 + x ** 3", {"x": 0}, lambda e: e["x"] ** 2 + e["x"] ** 3),
    ("x ** 1.5", {"x": 0}, lambda e: e["x"] ** 1.5),
    ("relu(max(x, y) - min(x, y))", {"x": 4, "y": 4},
     lambda e: T.relu(T.maximum(e["x"], e["y"]) - T.minimum(e["x"], e["y"]))),
    # x ** y at x = 0 with y >= 0: torch's ∂/∂y is 0 there (ln 0 masked), ∂/∂x as for p
    ("x ** y", {"x": 0, "y": 2}, lambda e: e["x"] ** e["y"]),
    ("x ** y", {"x": 0, "y": 0}, lambda e: e["x"] ** e["y"]),
    ("x ** y", {"x": 0, "y": 1}, lambda e: e["x"] ** e["y"]),
    ("x ** y * z", {"x": 0, "y": 3.5, "z": 2}, lambda e: e["x"] ** e["y"] * e["z"]),
    ("x ** y", {"x": 1, "y": -2}, lambda e: e["x"] ** e["y"]),  # ln 1 = 0
    ("x ** y", {"x": 2, "y": 0}, lambda e: e["x"] ** e["y"]),
    ("2 ** x", {"x": 0}, lambda e: 2 ** e["x"]),
    ("(x - y) ** y", {"x": 2, "y": 2}, lambda e: (e["x"] - e["y"]) ** e["y"]),
    # sin, cos, square and log10 at 0 and 1, where their derivatives are 1, 0, 0 and 1/ln 10
    ("sin(x) + cos(y)", {"x": 0, "y": 0}, lambda e: T.sin(e["x"]) + T.cos(e["y"])),
    ("square(x) * y", {"x": 0, "y": 3}, lambda e: T.square(e["x"]) * e["y"]),
    ("log10(x) + x.square()", {"x": 1}, lambda e: T.log10(e["x"]) + T.square(e["x"])),
    ("square(x - y) + relu(x - y)", {"x": 1.5, "y": 1.5},
     lambda e: T.square(e["x"] - e["y"]) + T.relu(e["x"] - e["y"])),
]


def write(name, cases):
    OUT.mkdir(exist_ok=True)
    doc = {"torch": torch.__version__, "cases": cases}
    (OUT / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(f"{name}.json: {len(cases)} cases")


def main():
    rng = random.Random(20240917)
    write("published", fixed_cases(PUBLISHED))
    write("kinks", fixed_cases(KINKS))
    write("random", random_cases(rng, 80) + staged_cases(rng, 15)
          + reassigned_cases(rng, 10))


if __name__ == "__main__":
    main()
