"""The published examples: each source's recipe for its inputs, and its published numbers.

The recipes regenerate the inputs exactly as the sources do (numpy's legacy RNG, linspace);
the published numbers are transcribed digit for digit from the files cited in README.md.
reproduce.py checks the one against the other; `reproduce.py --write` writes the problem
files from here.
"""

import json

import numpy as np

T = np.transpose

# ------------------------------------------------------------ deeplearning.ai, course 2 week 1

DLAI = ("deeplearning.ai Deep Learning Specialization, course 2 (Improving Deep Neural "
        "Networks, https://www.coursera.org/learn/deep-neural-network), week 1, assignment "
        "'Regularization': testCases.py / public_tests.py")


def _dlai_net():
    """X (3, 5), then W1 b1 W2 b2 W3 b3, in the order the test cases draw them."""
    np.random.seed(1)
    X = np.random.randn(3, 5)
    shapes = [(2, 3), (2, 1), (3, 2), (3, 1), (1, 3), (1, 1)]
    return X, [np.random.randn(*s) for s in shapes]


def _dlai_masks(keep):
    """forward_propagation_with_dropout: np.random.seed(1), then D = rand(...) < keep."""
    np.random.seed(1)
    return np.random.rand(2, 5) < keep, np.random.rand(3, 5) < keep


def _dense(W, b, act):
    return {"weights": W.tolist(), "bias": b.ravel().tolist(), "activation": act}


def _dropout(mask, keep):
    return {"kind": "dropout", "mask": T(mask).astype(int).tolist(), "keep": keep}


def dlai_problem(keep=None, lam=None):
    X, (W1, b1, W2, b2, W3, b3) = _dlai_net()
    if keep is None:
        layers = [_dense(W1, b1, "relu"), _dense(W2, b2, "relu"), _dense(W3, b3, "sigmoid")]
    else:
        D1, D2 = _dlai_masks(keep)
        layers = [_dense(W1, b1, "relu"), _dropout(D1, keep), _dense(W2, b2, "relu"),
                  _dropout(D2, keep), _dense(W3, b3, "sigmoid")]
    p = {"x": T(X).tolist(), "y": [[1.0], [1.0], [0.0], [1.0], [0.0]], "loss": "bce",
         "layers": layers}
    if lam is not None:
        p["l2"] = {"lambda": lam, "form": "lambda/2m"}
    return p


Z1 = [[-1.52855314, 3.32524635, 2.13994541, 2.60700654, -0.75942115],
      [-1.98043538, 4.1600994, 0.79051021, 1.46493512, -0.45506242]]


def _cols(*rows):
    """The courses' (units, samples) arrays as our (samples, units) rows."""
    return T(np.array(rows, float)).tolist()


DLAI_L2 = {  # backward_propagation_with_regularization_test, lambd = 0.7
    "forward.a1": _cols(*Z1),
    "forward.h1": _cols(*np.maximum(np.array(Z1), 0)),
    "forward.a2": _cols([0.53035547, 5.94892323, 2.31780174, 3.16005701, 0.53035547],
                        [-0.69166075, -3.47645987, -2.25194702, -2.65416996, -0.69166075],
                        [-0.39675353, -4.62285846, -2.61101729, -3.22874921, -0.39675353]),
    "forward.a3": _cols([-0.3771104, -4.10060224, -1.60539468, -2.18416951, -0.3771104]),
    "forward.h3": _cols([0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402]),
    "gradients.W1": [[-0.25604646, 0.12298827, -0.28297129],
                     [-0.17706303, 0.34536094, -0.4410571]],
    "gradients.b1": [0.11845855, 0.21236874],
    "gradients.W2": [[0.79276486, 0.85133918], [-0.0957219, -0.01720463],
                     [-0.13100772, -0.03750433]],
    "gradients.b2": [0.26135226, 0.0, 0.0],
    "gradients.W3": [[-1.77691347, -0.11832879, -0.09397446]],
    "gradients.b3": [-0.38032981],
}
DLAI_L2_TIMES_M = {  # the course's dZ, dA carry no 1/m: they are m times ∂J/∂Z, ∂J/∂A
    "gradients.a3": _cols([-0.59317598, -0.98370716, 0.16722898, -0.89881889, 0.40682402]),
    "gradients.h2": _cols([0.40761434, 0.67597671, -0.11491519, 0.6176438, -0.27955836],
                          [0.50135568, 0.83143484, -0.14134288, 0.7596868, -0.34384996],
                          [0.39816708, 0.66030962, -0.11225181, 0.6033287, -0.27307905]),
    "gradients.a2": _cols([0.40761434, 0.67597671, -0.11491519, 0.6176438, -0.27955836],
                          [0.0] * 5, [0.0] * 5),
    "gradients.h1": _cols([0.2048239, 0.33967447, -0.05774423, 0.31036252, -0.14047649],
                          [0.3672018, 0.60895764, -0.10352203, 0.5564081, -0.25184181]),
    "gradients.a1": _cols([0.0, 0.33967447, -0.05774423, 0.31036252, 0.0],
                          [0.0, 0.60895764, -0.10352203, 0.5564081, 0.0]),
}
DLAI_DROPOUT_FORWARD = {  # forward_propagation_with_dropout_test, keep_prob = 0.7
    "forward.a1": _cols(*Z1),
    "forward.h2": _cols([0.0, 0.0, 3.05706487, 3.72429505, 0.0],
                        [0.0, 5.94299915, 1.1293003, 2.09276446, 0.0]),
    "forward.a3": _cols([0.53035547, 5.88414161, 3.08385015, 4.28707196, 0.53035547],
                        [-0.69166075, -1.42199726, -2.92064114, -3.49524533, -0.69166075],
                        [-0.39675353, -1.98881216, -3.55998747, -4.44246165, -0.39675353]),
    "forward.h4": _cols([0.75765067, 8.40591658, 4.40550021, 0.0, 0.75765067],
                        [0.0] * 5, [0.0] * 5),
    "forward.a5": _cols([-0.53330145, -5.78898099, -3.04000407, -0.0126646, -0.53330145]),
    "forward.h5": _cols([0.36974721, 0.00305176, 0.04565099, 0.49683389, 0.36974721]),
}
DLAI_DROPOUT_CACHE = {  # backward_propagation_with_dropout_test's cache: made with keep 0.5
    "forward.a1": _cols(*Z1),
    "forward.h2": _cols([0.0, 0.0, 4.27989081, 5.21401307, 0.0],
                        [0.0, 8.32019881, 1.58102041, 2.92987024, 0.0]),
    "forward.a3": _cols([0.53035547, 8.02565606, 4.10524802, 5.78975856, 0.53035547],
                        [-0.69166075, -1.71413186, -3.81223329, -4.61667916, -0.69166075],
                        [-0.39675353, -2.62563561, -4.82528105, -6.0607449, -0.39675353]),
    "forward.h4": _cols([1.06071093, 0.0, 8.21049603, 0.0, 1.06071093], [0.0] * 5, [0.0] * 5),
    "forward.a5": _cols([-0.7415562, -0.0126646, -5.65469333, -0.0126646, -0.7415562]),
    "forward.h5": _cols([0.32266394, 0.49683389, 0.00348883, 0.49683389, 0.32266394]),
    "gradients.W5": [[-0.06951191, 0.0, 0.0]],  # dW3, db3 do not involve keep_prob
    "gradients.b5": [-0.2715031],
}
DLAI_DROPOUT_CACHE_TIMES_M = {
    "gradients.a5": _cols([-0.67733606, -0.50316611, 0.00348883, -0.50316611, 0.32266394]),
}
# The test's other outputs, made by backward_propagation_with_dropout(keep_prob=0.8) on that
# keep-0.5 cache: what the notebook prints, not the gradient of any one network.
DLAI_DROPOUT_BACKWARD_AS_PRINTED = {
    "dA2": [[0.58180856, 0.0, -0.00299679, 0.0, -0.27715731],
            [0.0, 0.53159854, 0.0, 0.53159854, -0.34089673],
            [0.0, 0.0, -0.00292733, 0.0, 0.0]],
    "dW2": [[-0.00256518, -0.0009476], [0.0, 0.0], [0.0, 0.0]],
    "db2": [[0.06033089], [0.0], [0.0]],
    "dA1": [[0.36544439, 0.0, -0.00188233, 0.0, -0.17408748],
            [0.65515713, 0.0, -0.00337459, 0.0, 0.0]],
    "dW1": [[0.00019884, 0.00028657, 0.00012138], [0.00035647, 0.00051375, 0.00021761]],
    "db1": [[-0.00037647], [-0.00067492]],
}


def dlai_dropout_as_printed(keep_backward=0.8):
    """The notebook's backward_propagation_with_dropout on the keep-0.5 forward pass."""
    X, (W1, b1, W2, b2, W3, b3) = _dlai_net()
    D1, D2 = _dlai_masks(0.5)
    m, Y = 5, np.array([[1, 1, 0, 1, 0]])
    A1 = np.maximum(W1 @ X + b1, 0) * D1 / 0.5
    A2 = np.maximum(W2 @ A1 + b2, 0) * D2 / 0.5
    A3 = 1 / (1 + np.exp(-(W3 @ A2 + b3)))
    dA2 = W3.T @ (A3 - Y) * D2 / keep_backward
    dZ2 = dA2 * (A2 > 0)
    dA1 = W2.T @ dZ2 * D1 / keep_backward
    dZ1 = dA1 * (A1 > 0)
    return {"dA2": dA2, "dW2": dZ2 @ A1.T / m, "db2": dZ2.sum(1, keepdims=True) / m,
            "dA1": dA1, "dW1": dZ1 @ X.T / m, "db1": dZ1.sum(1, keepdims=True) / m}


def dlai_cost():
    """compute_cost_with_regularization_test: its a3 comes from another network than its W."""
    np.random.seed(1)
    Ws = [np.random.randn(*s) for s in [(2, 3), (2, 1), (3, 2), (3, 1), (1, 3), (1, 1)]][::2]
    a3 = np.array([0.40682402, 0.01629284, 0.16722898, 0.10118111, 0.40682402])
    y = np.array([1, 1, 0, 1, 0])
    ce = -np.mean(y * np.log(a3) + (1 - y) * np.log(1 - a3))
    return ce + 0.1 / (2 * 5) * sum(float((W**2).sum()) for W in Ws)


# ------------------------------------------------------------ Stanford CS231n

CS231N_A2 = ("Stanford CS231n (https://cs231n.github.io), assignment 2, FullyConnectedNets.ipynb,"
             " 'TwoLayerNet' cell (cs231n/classifiers/fc_net.py)")
CS231N_A1 = ("Stanford CS231n (https://cs231n.github.io), assignment 1, two_layer_net.ipynb "
             "(cs231n/classifiers/neural_net.py)")


def cs231n_a2_problem(reg):
    """The notebook's deterministic net: every value from np.linspace."""
    N, D, H, C = 3, 5, 50, 7
    W1 = np.linspace(-0.7, 0.3, num=D * H).reshape(D, H)
    b1 = np.linspace(-0.1, 0.9, num=H)
    W2 = np.linspace(-0.3, 0.4, num=H * C).reshape(H, C)
    b2 = np.linspace(-0.9, 0.1, num=C)
    X = np.linspace(-5.5, 4.5, num=N * D).reshape(D, N).T
    p = {"x": X.tolist(), "y": [0, 5, 1], "loss": "cross_entropy", "layout": "in_out",
         "layers": [_dense(W1, b1, "relu"), _dense(W2, b2, "softmax")]}
    if reg:
        p["l2"] = {"lambda": reg, "form": "lambda/2"}
    return p


CS231N_A2_SCORES = [
    [11.53165108, 12.2917344, 13.05181771, 13.81190102, 14.57198434, 15.33206765, 16.09215096],
    [12.05769098, 12.74614105, 13.43459113, 14.1230412, 14.81149128, 15.49994135, 16.18839143],
    [12.58373087, 13.20054771, 13.81736455, 14.43418138, 15.05099822, 15.66781506, 16.2846319]]


def cs231n_a1_problem():
    """init_toy_model (seed 0, std 1e-1, zero biases) and init_toy_data (seed 1)."""
    np.random.seed(0)
    W1, W2 = 1e-1 * np.random.randn(4, 10), 1e-1 * np.random.randn(10, 3)
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    return {"x": X.tolist(), "y": [0, 1, 2, 2, 1], "loss": "cross_entropy", "layout": "in_out",
            "layers": [_dense(W1, np.zeros(10), "relu"), _dense(W2, np.zeros(3), "softmax")],
            "l2": {"lambda": 0.05, "form": "lambda"}}


CS231N_A1_SCORES = [[-0.81233741, -1.27654624, -0.70335995],
                    [-0.17129677, -1.18803311, -0.47310444],
                    [-0.51590475, -1.01354314, -0.8504215],
                    [-0.15419291, -0.48629638, -0.52901952],
                    [-0.00618733, -0.12435261, -0.15226949]]

# ------------------------------------------------------------ CMU 10-414/714 dlsys, hw2

DLSYS = ("CMU 10-414/714 Deep Learning Systems, hw2, https://github.com/dlsyscourse/hw2 "
         "tests/hw2/test_nn_and_optim.py")


def get_tensor(*shape, entropy=1):
    """The test file's own generator (needle then rounds it to float32)."""
    np.random.seed(int(np.prod(shape)) * len(shape) * entropy)
    return np.random.randint(0, 100, size=shape) / 20


def _kaiming_uniform(fan_in, fan_out):
    bound = np.sqrt(2.0) * np.sqrt(3.0 / fan_in)
    return np.random.rand(fan_in, fan_out) * 2 * bound - bound


def _needle_linear(n_in, n_out, act):
    """needle's nn.Linear: weight kaiming_uniform(in, out), then bias kaiming_uniform(out, 1)."""
    W = _kaiming_uniform(n_in, n_out)
    return _dense(W, _kaiming_uniform(n_out, 1), act)


def _upstream(x, layers, y):
    return {"x": x.tolist(), "y": y.tolist(), "loss": "upstream", "layers": layers}


def _bn(n, affine):
    g = get_tensor(n, entropy=42) if affine else np.ones(n)
    b = get_tensor(n, entropy=1337) if affine else np.zeros(n)
    return {"kind": "batchnorm", "gamma": g.tolist(), "beta": b.tolist(), "eps": 1e-5,
            "momentum": 0.1, "mode": "train", "variance": "biased"}


def _norm_out(x, layer, axis):
    mu, var = x.mean(axis=axis, keepdims=True), x.var(axis=axis, keepdims=True)
    return np.asarray(layer["gamma"]) * (x - mu) / np.sqrt(var + 1e-5) + np.asarray(layer["beta"])


def dlsys_bn(n, d, affine, power, entropy=1):
    """L = Σ BN(x)^power as 'upstream': y = power·BN(x)^(power-1), the exact ∂L/∂ŷ."""
    x, layer = get_tensor(n, d, entropy=entropy), _bn(d, affine)
    return _upstream(x, [layer], power * _norm_out(x, layer, 0) ** (power - 1))


def dlsys_ln(n, d):
    """layernorm_backward's L = Σ LN(x)^4: y = 4·LN(x)^3."""
    x = get_tensor(n, d)
    layer = {"kind": "layernorm", "gamma": [1.0] * d, "beta": [0.0] * d, "eps": 1e-5}
    return _upstream(x, [layer], 4 * _norm_out(x, layer, 1) ** 3)


def dlsys_dropout(p):
    """np.random.seed(3) is undone by get_tensor's own seed; the mask comes after it."""
    np.random.seed(3)
    x = get_tensor(2, 3)
    mask = np.random.rand(2, 3) <= 1 - p  # needle: init.randb(p=1 - self.p)
    layer = {"kind": "dropout", "mask": mask.astype(int).tolist(), "p": p}
    return _upstream(x, [layer], np.ones((2, 3)))


def dlsys_residual():
    np.random.seed(42)
    layers = [_needle_linear(5, 5, "relu"), _needle_linear(5, 5, "identity")]
    layers[1]["residual"] = 0
    p = _upstream(get_tensor(5, 5), layers, np.ones((5, 5)))
    p["layout"] = "in_out"
    return p


def dlsys_running(iters=10):
    """batchnorm_running_mean/var(4, 3): ten train-mode batches, needle's momentum 0.1."""
    mean, var = np.zeros(3), np.ones(3)
    for i in range(iters):
        x = get_tensor(4, 3, entropy=i)
        mean, var = 0.9 * mean + 0.1 * x.mean(0), 0.9 * var + 0.1 * x.var(0)
    return mean, var


BN_FORWARD = [[7.8712696e-01, -3.1676728e-01, -6.4885163e-01, 2.0828949e-01],
              [-7.9508079e-03, 1.0092355e00, 1.6221288e00, 8.5209310e-01],
              [8.5073310e-01, -1.4954363e00, -9.6686421e-08, -1.6852506e00],
              [-1.6299094e00, 8.0296844e-01, -9.7327745e-01, 6.2486827e-01]]
BN_FORWARD_AFFINE = [[7.49529, 0.047213316, 2.690084, 5.5227957],
                     [4.116209, 3.8263211, 7.79979, 7.293256],
                     [7.765616, -3.3119934, 4.15, 0.31556034],
                     [-2.7771149, 3.23846, 1.9601259, 6.6683874]]
BN_BACKWARD = [[2.1338463e-04, 5.2094460e-06, -2.8359889e-05, -4.4368207e-06],
               [-3.8480759e-04, -4.0292739e-06, 1.8370152e-05, -1.1172146e-05],
               [2.5629997e-04, -1.1003018e-05, -9.0479853e-06, 5.5171549e-06],
               [-4.2676926e-04, 3.4213067e-06, 1.3601780e-05, 1.0166317e-05],
               [3.4189224e-04, 6.4015389e-06, 5.4359434e-06, -7.4505806e-08]]
BN_BACKWARD_AFFINE = [[3.8604736e-03, 4.2676926e-05, -1.4114380e-04, -3.2424927e-05],
                      [-6.9427490e-03, -3.3140182e-05, 9.1552734e-05, -8.5830688e-05],
                      [4.6386719e-03, -8.9883804e-05, -4.5776367e-05, 4.3869019e-05],
                      [-7.7133179e-03, 2.7418137e-05, 6.6757202e-05, 7.4386597e-05],
                      [6.1874390e-03, 5.2213669e-05, 2.8610229e-05, -1.9073486e-06]]
BN_RUNNING_GRAD = [[8.7022781e-06, -4.9751252e-06, 9.5367432e-05],
                   [6.5565109e-06, -7.2401017e-06, -2.3484230e-05],
                   [-3.5762787e-06, -4.5262277e-07, 1.6093254e-05],
                   [-1.1682510e-05, 1.2667850e-05, -8.7976456e-05]]
LN = {
    (3, 3): ([[-0.06525002, -1.1908097, 1.2560595], [1.3919864, -0.47999576, -0.911992],
              [1.3628436, -1.0085043, -0.3543393]],
             [[-2.8312206e-06, -6.6757202e-05, 6.9618225e-05],
              [1.9950867e-03, -6.8092346e-04, -1.3141632e-03],
              [4.4703484e-05, -3.2544136e-05, -1.1801720e-05]]),
    (2, 10): ([[0.8297899, 1.6147263, -1.525019, -0.4036814, 0.306499, 0.08223152, 0.6429003,
                -1.3381294, 0.8671678, -1.0764838],
               [-1.8211555, 0.39098236, -0.5864739, 0.853988, -0.3806936, 1.2655486, 0.33953735,
                1.522774, -0.8951442, -0.68936396]],
              [[-2.301574, 4.353944, -1.9396116, 2.4330146, -1.1070801, 0.01571643, -2.209449,
                0.49513134, -2.261348, 2.5212562],
               [-9.042961, -2.6184766, 4.5592957, -4.2109876, 3.4247458, -1.9075732, -2.2689414,
                2.110825, 5.044025, 4.910048]]),
    (1, 5): ([[-1.0435007, -0.8478443, 0.7500162, -0.42392215, 1.565251]],
             [[0.150192, 0.702322, -3.321343, 0.31219, 2.156639]]),
    (5, 1): (None, [[0.0], [0.0], [0.0], [0.0], [0.0]]),
}
RESIDUAL_FORWARD = [[0.4660964, 3.8619597, -3.637068, 3.7489638, 2.4931884],
                    [-3.3769124, 2.5409935, -2.7110925, 4.9782896, -3.005401],
                    [-3.0222898, 3.796795, -2.101042, 6.785948, 0.9347453],
                    [-2.2496533, 3.635599, -2.1818666, 5.6361046, 0.9748006],
                    [-0.03458184, 0.0823682, -0.06686163, 1.9169499, 1.2638961]]
RESIDUAL_BACKWARD = [[0.24244219, -0.19571924, -0.08556509, 0.9191598, 1.6787351]] * 5

# ------------------------------------------------------------ the catalogue

DLAI_TOL = {"abs": 1.5e-8}  # 8 decimals printed, from a cache itself rounded to 8 decimals
DLSYS_TOL = {"abs": 1e-5, "rel": 1e-5}  # the test's own assert_allclose(rtol=1e-5, atol=1e-5)


def _entry(source, title, digits, kind, tol, expected, times_m=None, note=None):
    e = {"source": source, "title": title, "digits": digits, "digits_kind": kind,
         "tolerance": tol, "expected": expected}
    if kind == "decimals" and "forward.a2" in expected and "loss" in expected:
        # CS231n prints its scores to 8 decimals and its loss to 10 or 11
        e["digits_by_key"] = {"forward.a2": 8}
        e["tolerance_by_key"] = {"forward.a2": {"abs": 5e-9}}
    if times_m:
        e["times_m"] = times_m
    if note:
        e["note"] = note
    return e


def catalogue():
    """name → (problem, entry): the problem file's content and its published numbers."""
    c = {
        "dlai_l2_backward": (dlai_problem(lam=0.7), _entry(
            DLAI, "deeplearning.ai L2 regularization: backward_propagation_with_regularization,"
            " lambd = 0.7, cost λ/(2m)·ΣW²", 8, "decimals", DLAI_TOL, DLAI_L2, DLAI_L2_TIMES_M)),
        "dlai_dropout_forward": (dlai_problem(keep=0.7), _entry(
            DLAI, "deeplearning.ai dropout: forward_propagation_with_dropout, keep_prob = 0.7",
            8, "decimals", DLAI_TOL, DLAI_DROPOUT_FORWARD)),
        "dlai_dropout_backward": (dlai_problem(keep=0.5), _entry(
            DLAI, "deeplearning.ai dropout: backward_propagation_with_dropout_test's cache "
            "(made with keep_prob = 0.5)", 8, "decimals", DLAI_TOL, DLAI_DROPOUT_CACHE,
            DLAI_DROPOUT_CACHE_TIMES_M, "the test's other gradients use keep_prob = 0.8 on this"
            " keep-0.5 cache and are not this network's gradients: see README.md")),
        "cs231n_a2_two_layer": (cs231n_a2_problem(0.0), _entry(
            CS231N_A2, "CS231n assignment 2 TwoLayerNet, reg = 0", 10, "decimals",
            {"abs": 1e-10}, {"forward.a2": CS231N_A2_SCORES, "loss": 3.4702243556})),
        "cs231n_a2_two_layer_reg": (cs231n_a2_problem(1.0), _entry(
            CS231N_A2, "CS231n assignment 2 TwoLayerNet, reg = 1.0, loss + ½·reg·ΣW²", 10,
            "decimals", {"abs": 1e-10}, {"forward.a2": CS231N_A2_SCORES,
                                         "loss": 26.5948426952})),
        "cs231n_a1_toy_reg": (cs231n_a1_problem(), _entry(
            CS231N_A1, "CS231n assignment 1 toy TwoLayerNet, reg = 0.05, loss + reg·ΣW²", 11,
            "decimals", {"abs": 5e-12}, {"forward.a2": CS231N_A1_SCORES,
                                         "loss": 1.30378789133})),
    }
    f32 = "float32 results printed to about 8 significant digits"
    for name, (n, d, affine, want) in {
            "dlsys_batchnorm_forward": (4, 4, False, BN_FORWARD),
            "dlsys_batchnorm_forward_affine": (4, 4, True, BN_FORWARD_AFFINE)}.items():
        c[name] = (dlsys_bn(n, d, affine, 1), _entry(
            DLSYS, f"needle BatchNorm1d forward, {n}x{d}" + (", affine" if affine else ""), 8,
            f32, DLSYS_TOL, {"forward.a1": want, "forward.h1": want}))
    for name, (n, d, affine, ent, want) in {
            "dlsys_batchnorm_backward": (5, 4, False, 1, BN_BACKWARD),
            "dlsys_batchnorm_backward_affine": (5, 4, True, 1, BN_BACKWARD_AFFINE),
            "dlsys_batchnorm_running_grad": (4, 3, False, 9, BN_RUNNING_GRAD)}.items():
        c[name] = (dlsys_bn(n, d, affine, 2, ent), _entry(
            DLSYS, f"needle BatchNorm1d backward of Σ BN(x)², {n}x{d}", 8, f32,
            {"abs": 1e-5, "rel": 1e-5} if not affine else {"abs": 1e-4, "rel": 1e-5},
            {"gradients.x": want}, note="Σ BN(x)² hardly depends on x (its gradient is "
            "O(eps)): the published float32 numbers are mostly rounding noise"))
    for (n, d), (fwd, bwd) in LN.items():
        want = {"gradients.x": bwd} if fwd is None else {
            "forward.a1": fwd, "forward.h1": fwd, "gradients.x": bwd}
        c[f"dlsys_layernorm_{n}x{d}"] = (dlsys_ln(n, d), _entry(
            DLSYS, f"needle LayerNorm1d, {n}x{d}: forward, and backward of Σ LN(x)^4", 8, f32,
            DLSYS_TOL, want, note=LN_NOTE if (n, d) == (3, 3) else None))
    c["dlsys_dropout_forward"] = (dlsys_dropout(0.45), _entry(
        DLSYS, "needle Dropout(0.45) forward, 2x3", 8, f32, DLSYS_TOL,
        {"forward.a1": [[6.818182, 0.0, 0.0], [0.18181819, 0.0, 6.090909]]}))
    c["dlsys_dropout_backward"] = (dlsys_dropout(0.26), _entry(
        DLSYS, "needle Dropout(0.26) backward of Σ dropout(x), 2x3", 8, f32, DLSYS_TOL,
        {"gradients.x": [[1.3513514, 0.0, 0.0], [1.3513514, 0.0, 1.3513514]]}))
    c["dlsys_residual"] = (dlsys_residual(), _entry(
        DLSYS, "needle Residual(Linear(5,5), ReLU, Linear(5,5)): forward, backward of Σ out",
        8, f32, DLSYS_TOL, {"forward.h2": RESIDUAL_FORWARD, "gradients.x": RESIDUAL_BACKWARD}))
    return c


LN_NOTE = ("for three numbers that sum to zero, a⁴ + b⁴ + c⁴ = (a² + b² + c²)²/2, so Σ LN(x)^4"
           " over 3 features hardly depends on x (gradient O(eps)): the published float32"
           " gradient is mostly rounding noise")


def problems():
    return {name: json.loads(json.dumps(p)) for name, (p, _) in catalogue().items()}


def side_checks(solve):
    """Published numbers that no single problem file holds: (name, got, want, tolerance)."""
    yield "dlai cost, lambd 0.1", dlai_cost(), 1.7864859451590758, {"abs": 1e-15, "rel": 1e-15}
    yield "dlai cost, 11 decimals", dlai_cost(), 1.78648594516, {"abs": 5e-12}
    printed = dlai_dropout_as_printed()
    for key, want in DLAI_DROPOUT_BACKWARD_AS_PRINTED.items():
        yield f"dlai dropout {key} (keep 0.8)", printed[key], want, DLAI_TOL
    mean, var = dlsys_running()
    yield "dlsys running_mean", mean, [2.020656, 1.69489, 1.498846], DLSYS_TOL
    yield "dlsys running_var", var, [1.412775, 1.386191, 1.096604], DLSYS_TOL
    np.random.seed(1337)
    bias = _needle_linear(7, 4, "identity")["bias"]
    yield "dlsys Linear bias init", bias, [0.077647, 0.814139, -0.770975, 1.120297], DLSYS_TOL

# ------------------------------------------------------------ writing the files

CONVENTIONS = {
    "dlai": ["Columns are samples in the course (X is 3x5); here x is X transposed, one row",
             "per sample, and W keeps the course's (units, inputs) shape (layout out_in).",
             "Inverted dropout with keep_prob (keep, not p), masks D = rand(...) < keep_prob",
             "drawn after np.random.seed(1); L2 cost (1/m)(λ/2)ΣW² on weights only;",
             "the cost is the mean binary cross-entropy. The course's dZ, dA carry no 1/m."],
    "cs231n": ["Rows are samples, W is (inputs, units): layout in_out. Softmax loss, mean",
               "over samples; y holds class indices."],
    "dlsys": ["needle (the course's framework) computes in float32; the inputs here are",
              "the float64 values np.random makes before needle rounds them to float32.",
              "BatchNorm1d: eps 1e-5, momentum 0.1, biased batch variance (also in its",
              "running_var, unlike torch); LayerNorm1d: biased variance, eps 1e-5;",
              "Dropout(p): p drops, inverted scaling 1/(1-p); Linear: x W + b (in_out)."],
}


def _num(v):
    if isinstance(v, str):
        return v
    s = repr(v)
    # YAML 1.1 readers take 1e-05 for a string: write 1.0e-05
    return s.replace("e", ".0e") if "e" in s and "." not in s else s


def _flow(v, indent):
    if not isinstance(v, list):
        return _num(v)
    if v and isinstance(v[0], list):
        pad = " " * (indent + 1)
        return "[" + (",\n" + pad).join(_flow(r, indent + 1) for r in v) + "]"
    return "[" + ", ".join(_num(x) for x in v) + "]"


def _yaml(p):
    out = []
    for key in ("x", "y", "loss", "layout"):
        if key in p:
            out.append(f"{key}: {_flow(p[key], len(key) + 2)}")
    out.append("layers:")
    for layer in p["layers"]:
        first = True
        for key, v in layer.items():
            lead = "  - " if first else "    "
            out.append(f"{lead}{key}: {_flow(v, len(key) + 6)}")
            first = False
    if "l2" in p:
        out.append(f"l2: {{lambda: {_num(p['l2']['lambda'])}, form: {p['l2']['form']}}}")
    return "\n".join(out) + "\n"


def _wrap(text, width=88):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + len(word) > width:
            lines.append(f"# {line}")
            line = ""
        line = f"{line} {word}".strip()
    return [*lines, f"# {line}"]


def write(folder):
    cat = catalogue()
    (folder / "inputs.json").write_text(json.dumps(problems(), indent=1) + "\n")
    expected = {f"{name}.yaml": entry for name, (_, entry) in cat.items()}
    (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n")
    for name, (p, entry) in cat.items():
        head = [f"# {entry['title']}.", *_wrap(f"Source: {entry['source']}."),
                *(f"# {line}" for line in CONVENTIONS[name.split("_")[0]])]
        if "note" in entry:
            head += _wrap(f"Note: {entry['note']}.")
        head.append("# Published numbers: expected.json; recomputed by reproduce.py.")
        title = json.dumps(entry["title"], ensure_ascii=False)
        text = "\n".join(head) + f"\ntitle: {title}\n" + _yaml(p)
        (folder / f"{name}.yaml").write_text(text)
