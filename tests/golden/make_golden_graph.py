#!/usr/bin/env python3
"""Independent PyTorch oracle for `backprop graph`: writes tests/golden/graph/*.json.

Run from the repository root with an environment that has torch (CPU, float64):
    python tests/golden/make_golden_graph.py
It never imports backprop_cli: each expression is drawn as a tree that is written out as
text (the grammar of docs/graph.md) and computed with torch at the same time; torch's
autograd gives the gradients. The output is deterministic.

graph/published.json  the lecture examples (f = (x + y) z, the sigmoid neuron, a staged one)
graph/kinks.json      relu, abs, max, min and ** exactly at their kinks and ties
graph/random.json     random expressions over every operation, single and staged, with
                      random values (small whole numbers make ties and kinks common)
Each file: {"torch": version, "cases": [{"expression", "values", "value", "gradients"}]}.
Cases where torch's value or a gradient is not finite, or beyond 1e8, are drawn again.
"""
import json
import math
import random
from pathlib import Path

import torch

torch.set_default_dtype(torch.float64)
OUT = Path(__file__).resolve().parent / "graph"
UNARY = ["neg", "exp", "log", "sqrt", "sigmoid", "tanh", "relu", "abs"]
BINARY = ["+", "-", "*", "/", "max", "min"]
OPS = BINARY + UNARY + ["**"]
EXPONENTS = [2, 3, -1, -2, 0.5, 1.5, 0, 1]
NAMES = ["x", "y", "z", "w"]
LIMIT = 1e8


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


def apply(op, args, exponent=None):
    a = args
    names = set().union(*(x.names for x in a))
    if op == "**":
        text = f"({a[0].text}) ** {exponent if exponent >= 0 else f'({exponent})'}"
        return Node(text, lambda env: a[0].compute(env) ** exponent, names)
    if op in ("+", "-", "*", "/"):
        fn = {"+": torch.add, "-": torch.sub, "*": torch.mul, "/": torch.div}[op]
        return Node(f"({a[0].text} {op} {a[1].text})",
                    lambda env: fn(a[0].compute(env), a[1].compute(env)), names)
    if op in ("max", "min"):
        fn = torch.maximum if op == "max" else torch.minimum
        return Node(f"{op}({a[0].text}, {a[1].text})",
                    lambda env: fn(a[0].compute(env), a[1].compute(env)), names)
    if op == "neg":
        return Node(f"-({a[0].text})", lambda env: -a[0].compute(env), names)
    fn = {"exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "sigmoid": torch.sigmoid,
          "tanh": torch.tanh, "relu": torch.relu, "abs": torch.abs}[op]
    return Node(f"{op}({a[0].text})", lambda env: fn(a[0].compute(env)), names)


def tree(rng, depth, names, root=None):
    if depth == 0 or (root is None and rng.random() < 0.25):
        return leaf(rng, names)
    op = root or rng.choice(OPS)
    if op in BINARY:
        args = [tree(rng, depth - 1, names), tree(rng, depth - 1, names)]
        if all(x.constant for x in args):  # an operation of the inputs, not of numbers
            args[1] = Node(rng.choice(names), None, set())
            name = args[1].text
            args[1] = Node(name, lambda env, name=name: env[name], {name})
        return apply(op, args)
    arg = tree(rng, depth - 1, names)
    if arg.constant:
        name = rng.choice(names)
        arg = Node(name, lambda env, name=name: env[name], {name})
    return apply(op, [arg], rng.choice(EXPONENTS) if op == "**" else None)


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
    f = compute(leaves)
    grads = torch.autograd.grad(f, list(leaves.values()), allow_unused=True)
    gradients = {k: 0.0 if g is None else g.item() for k, g in zip(leaves, grads)}
    numbers = [f.item(), *gradients.values()]
    if not all(math.isfinite(v) and abs(v) < LIMIT for v in numbers):
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
]
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
    write("random", random_cases(rng, 60) + staged_cases(rng, 15))


if __name__ == "__main__":
    main()
