"""What the tests of `backprop graph --draw` share: the graphs drawn, and a check of a
picture's geometry written apart from the code it checks (numpy, no clipping code of the
package): boxes that must not meet, lines that must not pass through them."""

import numpy as np

from backprop_cli.engine.graph.program import evaluate, plain
from backprop_cli.problem.graph.expression import parse

# micrograd's README example (a = -4, b = 2: g = 24.7041, dg/da = 138.8338, dg/db = 645.5773),
# its in-place updates written as named steps
MICROGRAD = ("c = a + b; d = a * b + b**3; c2 = c + c + 1; c3 = c2 + 1 + c2 + (-a); "
             "d2 = d + d * 2 + relu(b + a); d3 = d2 + 3 * d2 + relu(b - a); e = c3 - d3; "
             "f = e**2; g = f / 2.0; g2 = g + 10.0 / f")
GRAPHS = {
    "classic": ("(x + y) * z", {"x": -2, "y": 5, "z": -4}),
    "micrograd": (MICROGRAD, {"a": -4, "b": 2}),
    "long names": ("learning_rate_times_weight * input_activation_value + bias_term_Wmw",
                   {"learning_rate_times_weight": 2, "input_activation_value": -1,
                    "bias_term_Wmw": 3}),
    "every operation": ("a = exp(-x) + log(y) - sqrt(y) / tanh(x); b = max(a, x) * "
                        "min(y, 2) ** 2; f = relu(b) + abs(a) + sigmoid(b) ** -1 + "
                        "1 / (1 + y)", {"x": 0.5, "y": 1.25}),
    "neuron": ("f = sigmoid(w0*x0 + w1*x1 + w2)",
               {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}),
    "fan out": ("x*y + x*z + y*z + x*x*y + exp(x - y) * z + sqrt(x*x + y*y + z*z)",
                {"x": 1.5, "y": -2.25, "z": 3}),
    "long constants": ("x * 3.14159265358979 + 1234567.125 / (x + 0.000123)",
                       {"x": 1e-3}),
    "staged": ("s = sigmoid(y); f = (x + s) / (sigmoid(x) + "
              "(x + y)**2)", {"x": 3, "y": -4}),
}

# graphs of vectors and matrices: (expression, values, upstream gradient or None)
ATTENTION = {"Q": [[1, 0], [0, 1], [1, 1]], "K": [[1, 2], [0, 1], [1, 0]],
             "V": [[1, 2], [3, 4], [5, 6]]}
TENSORS = {
    # CS231n's vectorized example: f = 0.116, ∂f/∂W = [[0.088, 0.176], [0.104, 0.208]],
    # ∂f/∂x = [-0.112, 0.636]
    "matrix-vector": ("sum((W @ x) ** 2)", {"W": [[0.1, 0.5], [-0.3, 0.8]], "x": [0.2, 0.4]},
                      None),
    "attention": ("softmax(Q @ K.T / sqrt(2)) @ V", ATTENTION,
                  [[1, 0], [0, 1], [0.5, -0.5]]),
    "attention staged": ("A = softmax(Q @ K.T / sqrt(2)); O = A @ V; f = sum(O * G)",
                         {**ATTENTION, "G": [[1, 0], [0, 1], [0.5, -0.5]]}, None),
    "broadcasting": ("sum(relu(X + b) * w)",
                     {"X": [[1, -2, 3], [0.5, 1, -1]], "b": [0.1, 0.2, 0.3], "w": 2}, None),
    "class index": ("cross_entropy(W @ x + b, y)",
                    {"W": [[1, 2], [3, 4], [0, 1]], "x": [1, -1], "b": [0.1, 0.2, 0.3],
                     "y": 2}, None),
    "class indices": ("cross_entropy(Z @ W.T, y)",
                      {"Z": [[1, 2], [0, -1]], "W": [[1, 0], [0, 1], [1, 1]], "y": [0, 2]},
                      None),
    "large": ("mean(tanh(A @ B), axis=0)",
              {"A": np.linspace(-1, 1, 20).reshape(4, 5).tolist(),
               "B": np.linspace(-2, 2, 30).reshape(5, 6).tolist()}, [1, 2, 3, 4, 5, 6]),
}


def graph(name: str):
    text, values = GRAPHS[name]
    return evaluate(parse(text, "t"), {k: float(v) for k, v in values.items()})


def tensor_graph(name: str):
    text, values, upstream = TENSORS[name]
    return evaluate(parse(text, "t"), {k: plain(v) for k, v in values.items()},
                    None if upstream is None else plain(upstream))


def samples(lines, step: float) -> np.ndarray:
    """Points along the lines (each a sequence of (x, y)), at most `step` apart."""
    points = []
    for line in lines:
        for p, q in zip(line, line[1:]):
            p, q = np.asarray(p, float), np.asarray(q, float)
            n = max(2, int(np.ceil(np.linalg.norm(q - p) / step)) + 1)
            points.append(p + np.linspace(0, 1, n)[:, None] * (q - p))
    return np.concatenate(points) if points else np.empty((0, 2))


def problems(boxes, lines, canvas, step: float, circles=()) -> list[str]:
    """What is wrong with a picture: boxes (left, bottom, right, top, name) that meet,
    leave the canvas (width, height), come into a circle (x, y, r), or have a line pass
    through them. Touching is allowed."""
    found = []
    b = np.array([box[:4] for box in boxes], float)
    names = [box[4] for box in boxes]
    for i, j in zip(*np.nonzero(np.triu(
            (b[:, None, 0] < b[None, :, 2]) & (b[None, :, 0] < b[:, None, 2])
            & (b[:, None, 1] < b[None, :, 3]) & (b[None, :, 1] < b[:, None, 3]), 1))):
        found.append(f"{names[i]!r} meets {names[j]!r}")
    for (x0, y0, x1, y1), name in zip(b, names):
        if x0 < 0 or y0 < 0 or x1 > canvas[0] or y1 > canvas[1]:
            found.append(f"{name!r} leaves the canvas: {(x0, y0, x1, y1)}")
        for x, y, r in circles:
            if np.hypot(max(x0 - x, 0, x - x1), max(y0 - y, 0, y - y1)) < r:
                found.append(f"{name!r} comes into the circle at {(x, y)}")
    points = samples(lines, step)
    for (x0, y0, x1, y1), name in zip(b, names):
        inside = (points[:, 0] > x0) & (points[:, 0] < x1) & (points[:, 1] > y0) \
            & (points[:, 1] < y1)
        if inside.any():
            found.append(f"a line passes through {name!r} at {tuple(points[inside][0])}")
    return found
