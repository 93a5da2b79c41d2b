"""The layer kinds' mathematics (backprop_cli/engine/layers/) and the L2 penalty
(engine/penalty.py), each kind alone, against three independent oracles:

- torch float64: the golden fixtures tests/golden/layers/*.json (make_golden_layers.py);
- central finite differences of L = Σ dout ⊙ out, and of the penalty's value;
- published numbers: CMU 10-414/714 Deep Learning Systems hw2 (needle's BatchNorm1d,
  LayerNorm1d and Dropout unit tests, https://github.com/dlsyscourse/hw2,
  tests/hw2/test_nn_and_optim.py), deeplearning.ai course 2 week 1 "Regularization"
  (testCases.py / public_tests.py: dropout's forward cache, the L2 gradients with λ/2m),
  Stanford CS231n assignments 1 and 2 (the TwoLayerNet losses with reg·ΣW² and ½·reg·ΣW²);
  tests/published/README.md tells where each number comes from.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from backprop_cli.engine.layers import KINDS, Kind
from backprop_cli.engine.layers.batchnorm import BatchNormSpec
from backprop_cli.engine.layers.dropout import DropoutSpec
from backprop_cli.engine.layers.layernorm import LayerNormSpec
from backprop_cli.engine.penalty import FORMS
from backprop_cli.errors import BackpropError

HERE = Path(__file__).resolve().parent
FIXTURES = sorted((HERE / "golden" / "layers").glob("*.json"))
PUBLISHED = HERE / "published"
RTOL, ATOL = 1e-12, 1e-14


def close(actual, expected, rtol=RTOL, atol=ATOL, what=""):
    np.testing.assert_allclose(np.asarray(actual, float), np.asarray(expected, float),
                               rtol=rtol, atol=atol, err_msg=what)


# ----------------------------------------------- a problem file's layer -> spec and p


def spec_of(layer: dict):
    """The kind's settings from a layer of a problem file (the reader's job, in little)."""
    kind = layer["kind"]
    if kind == "batchnorm":
        keys = ("eps", "momentum", "mode", "variance", "running_mean", "running_var")
        settings = {k: np.array(layer[k]) if k.startswith("running") else layer[k]
                    for k in keys if k in layer}
        return BatchNormSpec(affine="gamma" in layer or "beta" in layer, **settings)
    if kind == "layernorm":
        return LayerNormSpec(eps=layer.get("eps", 1e-5),
                             affine="gamma" in layer or "beta" in layer)
    keep = layer["keep"] if "keep" in layer else 1.0 - layer["p"]
    return DropoutSpec(np.array(layer["mask"]), keep, layer.get("scale", "inverted"),
                       layer.get("mode", "train"))


def params_of(layer: dict) -> dict:
    return {k: np.array(layer[k], float) for k in ("gamma", "beta") if k in layer}


# ------------------------------------------------------------------ 1. golden fixtures


def _kind_layers():
    for path in FIXTURES:
        layers = json.loads(path.read_text())["problem"]["layers"]
        for l, layer in enumerate(layers, 1):
            if layer.get("kind", "dense") != "dense":
                yield pytest.param(path, l, id=f"{path.stem}-{layer['kind']}{l}")


def test_every_kind_has_a_fixture():
    # the norms and dropout in golden/layers/, the map kinds in golden/conv/, the sequence
    # kinds in golden/seq/
    maps = sorted((HERE / "golden" / "conv").glob("*.json")) + \
        sorted((HERE / "golden" / "seq").glob("*.json"))
    seen = {json.loads(path.read_text())["problem"]["layers"][l - 1]["kind"]
            for path, l in (case.values for case in _kind_layers())}
    seen |= {layer["kind"] for path in maps
             for layer in json.loads(path.read_text())["problem"]["layers"] if "kind" in layer}
    assert seen == set(KINDS)


def _input_gradient(problem, g, l):
    """∂L/∂h_{l-1} through layer l alone: the fixture's total minus the residual paths
    (a_k = W_k h_{k-1} + b_k + h_{l-1} for every layer k with `residual: l-1`)."""
    total = np.array(g["x"] if l == 1 else g[f"h{l - 1}"])
    for k, layer in enumerate(problem["layers"], 1):
        if layer.get("residual") == l - 1:
            total = total - np.array(g[f"a{k}"])
    return total


@pytest.mark.parametrize("path, l", list(_kind_layers()))
def test_golden_layer(path, l):
    """Forward, intermediates, backward (every named gradient) and running statistics of
    layer l against torch float64 (tests/golden/README.md, the layer section)."""
    doc = json.loads(path.read_text())
    problem, expected = doc["problem"], doc["expected"]
    fwd, inter, g = expected["forward"], expected.get("intermediates", {}), expected["gradients"]
    layer = problem["layers"][l - 1]
    kind, spec, p = KINDS[layer["kind"]], spec_of(layer), params_of(layer)
    x = np.array(problem["x"] if l == 1 else fwd[f"h{l - 1}"])

    out, cache = kind.forward(x, p, spec)
    close(out, fwd[f"a{l}"], what=f"a{l}")
    for name in ("mean", "var", "xhat", "scale"):
        if f"{name}{l}" in inter:
            close(cache[name], inter[f"{name}{l}"], what=f"{name}{l}")

    dx, dp, dinter = kind.backward(np.array(g[f"a{l}"]), cache, p, spec)
    close(dx, _input_gradient(problem, g, l), what="dx")
    assert set(dp) == set(p)
    for name in dp:
        close(dp[name], g[f"{name}{l}"], what=f"d{name}{l}")
    named = [n for n in ("xhat", "var", "mean") if f"{n}{l}" in g]
    assert sorted(dinter) == sorted(named)
    for name in named:
        close(dinter[name], g[f"{name}{l}"], what=f"d{name}{l}")

    running = expected["update"].get("running", {})
    if kind.running is None:
        assert f"running_mean{l}" not in running
    else:
        new = kind.running(cache, spec, x.shape[0])
        for name in ("running_mean", "running_var"):
            close(new[name], running[f"{name}{l}"], what=f"{name}{l}")


def _penalty_fixtures():
    for path in FIXTURES:
        if "l2" in json.loads(path.read_text())["problem"]:
            yield pytest.param(path, id=path.stem)


@pytest.mark.parametrize("path", list(_penalty_fixtures()))
def test_golden_penalty(path):
    """The penalty's value is loss_parts.penalty, and ∂L/∂W_l is the data part
    (∂L/∂a_l)ᵀ h_{l-1} plus the penalty's gradient, for every dense layer."""
    doc = json.loads(path.read_text())
    problem, expected = doc["problem"], doc["expected"]
    form = FORMS[problem["l2"].get("form", "lambda/2")]
    lam, N = problem["l2"]["lambda"], len(problem["x"])
    dense = [(l, np.array(layer["weights"])) for l, layer in enumerate(problem["layers"], 1)
             if "weights" in layer]
    close(form.value([W for _, W in dense], lam, N), expected["loss_parts"]["penalty"])
    close(expected["loss_parts"]["data"] + expected["loss_parts"]["penalty"], expected["loss"])
    g, fwd = expected["gradients"], expected["forward"]
    for l, W in dense:
        h = np.array(problem["x"] if l == 1 else fwd[f"h{l - 1}"])
        data = np.array(g[f"a{l}"]).T @ h
        close(data + form.grad(W, lam, N), g[f"W{l}"], what=f"W{l}")


def test_every_penalty_form_has_a_fixture():
    forms = {json.loads(p.values[0].read_text())["problem"]["l2"].get("form", "lambda/2")
             for p in _penalty_fixtures()}
    assert forms == set(FORMS)


# -------------------------------------------------------- 2. central finite differences

STEP = 1e-6


def numeric_gradient(f, v):
    """Central differences of the scalar f() in each entry of the array v (changed in
    place and restored)."""
    grad = np.zeros_like(v)
    for i in np.ndindex(v.shape):
        old = v[i]
        v[i] = old + STEP
        up = f()
        v[i] = old - STEP
        down = f()
        v[i] = old
        grad[i] = (up - down) / (2 * STEP)
    return grad


def _random_case(seed, N=5, n=4):
    rng = np.random.default_rng(seed)
    x = rng.normal(0.5, 2.0, (N, n))
    p = {"gamma": rng.uniform(0.5, 2.0, n), "beta": rng.normal(size=n)}
    mask = (rng.random((N, n)) < 0.7).astype(float)
    return rng, x, p, mask


def _specs(mask):
    running = {"running_mean": np.array([0.3, -0.2, 1.0, 0.1]),
               "running_var": np.array([0.8, 1.5, 2.0, 0.6])}
    return {
        "batchnorm-train-biased": BatchNormSpec(),
        "batchnorm-train-unbiased": BatchNormSpec(variance="unbiased"),
        "batchnorm-train-no-affine": BatchNormSpec(affine=False, eps=1e-3),
        "batchnorm-eval": BatchNormSpec(mode="eval", **running),
        "batchnorm-eval-unbiased-no-affine": BatchNormSpec(mode="eval", variance="unbiased",
                                                           affine=False, **running),
        "layernorm": LayerNormSpec(),
        "layernorm-no-affine": LayerNormSpec(eps=1e-2, affine=False),
        "dropout-inverted": DropoutSpec(mask, 0.7),
        "dropout-none": DropoutSpec(mask, 0.7, scale="none"),
        "dropout-eval": DropoutSpec(mask, 0.7, mode="eval"),
    }


def _kind_of(name):
    return KINDS[name.split("-")[0]]


@pytest.mark.parametrize("name", list(_specs(np.ones((5, 4)))))
def test_finite_differences(name):
    """dx, dgamma, dbeta of L = Σ dout ⊙ out against central differences (step 1e-6)."""
    rng, x, p, mask = _random_case(sum(map(ord, name)))  # stable across runs
    spec, kind = _specs(mask)[name], _kind_of(name)
    if not kind.params or not getattr(spec, "affine", True):
        p = {}
    dout = rng.normal(size=x.shape)

    def loss():
        return float(np.sum(dout * kind.forward(x, p, spec)[0]))

    out, cache = kind.forward(x, p, spec)
    dx, dp, _ = kind.backward(dout, cache, p, spec)
    assert set(dp) == set(p)
    close(dx, numeric_gradient(loss, x), rtol=1e-6, atol=1e-8, what="dx")
    for k in p:
        close(dp[k], numeric_gradient(loss, p[k]), rtol=1e-6, atol=1e-8, what=k)


@pytest.mark.parametrize("form", list(FORMS))
def test_penalty_gradient_is_the_derivative_of_its_value(form):
    rng = np.random.default_rng(7)
    weights = [rng.normal(size=(3, 4)), rng.normal(size=(2, 3))]
    lam, N = 0.3, 5
    for W in weights:
        numeric = numeric_gradient(lambda: FORMS[form].value(weights, lam, N), W)
        close(FORMS[form].grad(W, lam, N), numeric, rtol=1e-6, atol=1e-9)


def test_penalty_forms_are_the_textbook_ones():
    W = np.array([[1.0, -2.0], [0.5, 3.0]])  # ΣW² = 14.25
    lam, N = 0.4, 4
    expected = {"lambda/2": (0.2 * 14.25, 0.4 * W), "lambda/2m": (0.05 * 14.25, 0.1 * W),
                "lambda": (0.4 * 14.25, 0.8 * W), "lambda/m": (0.1 * 14.25, 0.2 * W)}
    for name, (value, grad) in expected.items():
        close(FORMS[name].value([W, W], lam, N), 2 * value, what=name)
        close(FORMS[name].grad(W, lam, N), grad, what=name)


# --------------------------------- the step-by-step backward against the one-line forms


@pytest.mark.parametrize("variance", ["biased", "unbiased"])
def test_batchnorm_backward_is_the_one_line_form(variance):
    """CS231n's closed form (N' = N), and makemore part 4's with its N/(N − 1) factor:
    dx = gamma/(N std) (N dout − Σ dout − N/N' x̂ Σ dout ⊙ x̂)."""
    rng, x, p, _ = _random_case(3, N=6)
    spec, dout = BatchNormSpec(variance=variance), rng.normal(size=x.shape)
    N = x.shape[0]
    Nv = N - 1 if variance == "unbiased" else N
    _, cache = KINDS["batchnorm"].forward(x, p, spec)
    dx, _, _ = KINDS["batchnorm"].backward(dout, cache, p, spec)
    xhat, std = cache["xhat"], cache["std"]
    one_line = p["gamma"] / (N * std) * (N * dout - dout.sum(0)
                                          - N / Nv * xhat * (dout * xhat).sum(0))
    close(dx, one_line, atol=1e-13)


def test_layernorm_backward_is_the_one_line_form():
    """dx = 1/(n std) (n dx̂ − Σ_j dx̂ − x̂ Σ_j dx̂ ⊙ x̂), dx̂ = dout ⊙ gamma, per sample."""
    rng, x, p, _ = _random_case(4, N=3, n=6)
    p = {k: rng.uniform(0.5, 2.0, 6) for k in p}
    spec, dout = LayerNormSpec(), rng.normal(size=x.shape)
    n = x.shape[1]
    _, cache = KINDS["layernorm"].forward(x, p, spec)
    dx, _, _ = KINDS["layernorm"].backward(dout, cache, p, spec)
    dxhat, xhat, std = dout * p["gamma"], cache["xhat"], cache["std"][:, None]
    one_line = (n * dxhat - dxhat.sum(1, keepdims=True)
                - xhat * (dxhat * xhat).sum(1, keepdims=True)) / (n * std)
    close(dx, one_line, atol=1e-13)


# ------------------------------------------------------------- 3. published numbers

INPUTS = json.loads((PUBLISHED / "inputs.json").read_text())
EXPECTED = json.loads((PUBLISHED / "expected.json").read_text())
SINGLE_LAYER = [name for name, problem in INPUTS.items()
                if len(problem["layers"]) == 1 and "kind" in problem["layers"][0]]


def _tolerance(case, key):
    tol = case.get("tolerance_by_key", {}).get(key, case["tolerance"])
    return {"rtol": tol.get("rel", 0.0), "atol": tol["abs"]}


def test_the_published_single_layer_cases_are_the_dlsys_ones():
    assert len(SINGLE_LAYER) == 11
    assert all(name.startswith("dlsys_") for name in SINGLE_LAYER)


@pytest.mark.parametrize("name", SINGLE_LAYER)
def test_dlsys_published(name):
    """CMU 10-414/714 Deep Learning Systems hw2, tests/hw2/test_nn_and_optim.py
    (https://github.com/dlsyscourse/hw2, commit e2c293ae): needle's BatchNorm1d, LayerNorm1d
    and Dropout forward outputs and input gradients, computed in float32 and printed to
    about 8 digits; compared at the tests' own tolerance (rtol = atol = 1e-5, the affine
    batch-norm backward atol 1e-4), as tests/published/README.md records. The tests'
    scalar losses (Σ out, Σ out², Σ out⁴) are given as the upstream gradient y."""
    problem, case = INPUTS[name], EXPECTED[f"{name}.yaml"]
    layer = problem["layers"][0]
    kind, spec, p = KINDS[layer["kind"]], spec_of(layer), params_of(layer)
    x, dout = np.array(problem["x"]), np.array(problem["y"])
    out, cache = kind.forward(x, p, spec)
    dx, _, _ = kind.backward(dout, cache, p, spec)
    ours = {"forward.a1": out, "forward.h1": out, "gradients.x": dx}
    assert case["expected"]
    for key, published in case["expected"].items():
        close(ours[key], published, what=key, **_tolerance(case, key))


def _needle_tensor(*shape, entropy=1):
    """dlsys hw2's get_tensor: its inputs regenerate from numpy's legacy generator."""
    np.random.seed(int(np.prod(shape)) * len(shape) * entropy)
    return np.random.randint(0, 100, size=shape) / 20


def test_dlsys_running_statistics():
    """dlsys hw2 batchnorm_running_mean(4, 3) / batchnorm_running_var(4, 3): ten train-mode
    batches (get_tensor(4, 3, entropy=i)), momentum 0.1 on the new batch. The running mean
    is the published [2.020656, 1.69489, 1.498846]. The running variance is not needle's
    published [1.412775, 1.386191, 1.096604]: needle averages the biased batch variance,
    torch (and this engine) the unbiased one (tests/published/README.md)."""
    spec = BatchNormSpec()
    for i in range(10):
        x = _needle_tensor(4, 3, entropy=i)
        _, cache = KINDS["batchnorm"].forward(x, {}, spec)
        new = KINDS["batchnorm"].running(cache, spec, 4)
        spec = BatchNormSpec(running_mean=new["running_mean"], running_var=new["running_var"])
    close(spec.running_mean, [2.020656, 1.69489, 1.498846], rtol=1e-5, atol=1e-5)
    needle = np.array([1.412775, 1.386191, 1.096604])
    assert np.all(np.abs(spec.running_var - needle) > 0.2)
    close(spec.running_var, [1.767, 1.732, 1.346], rtol=0, atol=1e-3)


def test_deeplearning_ai_dropout_forward():
    """deeplearning.ai course 2, week 1, "Regularization", forward_propagation_with_dropout
    (keep_prob 0.7; testCases.py / public_tests.py, the printed cache): our dropout of
    relu(Z1) and relu(Z3) with the published masks D1, D2 gives the published A1, A2 (the
    file's h2, h4), to the 8 printed decimals (README: 1.5e-8)."""
    problem = INPUTS["dlai_dropout_forward"]
    case = EXPECTED["dlai_dropout_forward.yaml"]
    published = case["expected"]
    for l in (2, 4):
        layer = problem["layers"][l - 1]
        h = np.maximum(np.array(published[f"forward.a{l - 1}"]), 0.0)
        out, _ = KINDS["dropout"].forward(h, {}, spec_of(layer))
        close(out, published[f"forward.h{l}"], what=f"h{l}",
              **_tolerance(case, f"forward.h{l}"))


def _dense_pass(problem):
    """(data loss, [∂L/∂W_l]) of a dense relu network with a sigmoid + mean BCE or a
    softmax + mean cross-entropy output, in numpy: the data part the penalty adds to."""
    Ws = [np.array(layer["weights"]) for layer in problem["layers"]]
    bs = [np.array(layer["bias"]) for layer in problem["layers"]]
    if problem.get("layout") == "in_out":
        Ws = [W.T for W in Ws]
    hs, y = [np.array(problem["x"])], np.array(problem["y"])
    for W, b in zip(Ws[:-1], bs[:-1]):
        hs.append(np.maximum(hs[-1] @ W.T + b, 0.0))
    a = hs[-1] @ Ws[-1].T + bs[-1]
    N = a.shape[0]
    if problem["loss"] == "bce":
        yhat = 1.0 / (1.0 + np.exp(-a))
        loss = -np.mean(y * np.log(yhat) + (1 - y) * np.log(1 - yhat)) * a.shape[1]
    else:
        z = a - a.max(1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(1, keepdims=True))
        yhat, onehot = np.exp(logp), np.eye(a.shape[1])[y]
        loss, y = -np.mean(np.sum(onehot * logp, 1)), onehot
    da, grads = (yhat - y) / N, []
    for l in range(len(Ws) - 1, -1, -1):
        grads.insert(0, da.T @ hs[l])
        if l:
            da = (da @ Ws[l]) * (hs[l] > 0)
    return loss, grads


def test_deeplearning_ai_l2_gradients():
    """deeplearning.ai course 2, week 1, "Regularization",
    backward_propagation_with_regularization (λ = 0.7, cost λ/(2m)·ΣW²): the data
    gradient plus FORMS["lambda/2m"].grad gives the published dW1, dW2, dW3 (8 decimals)."""
    problem, case = INPUTS["dlai_l2_backward"], EXPECTED["dlai_l2_backward.yaml"]
    form = FORMS[problem["l2"]["form"]]
    _, grads = _dense_pass(problem)
    for l, (layer, data) in enumerate(zip(problem["layers"], grads), 1):
        W = np.array(layer["weights"])
        close(data + form.grad(W, problem["l2"]["lambda"], len(problem["x"])),
              case["expected"][f"gradients.W{l}"], **_tolerance(case, f"gradients.W{l}"))


@pytest.mark.parametrize("name", ["cs231n_a1_toy_reg", "cs231n_a2_two_layer_reg"])
def test_cs231n_losses_with_their_l2_forms(name):
    """Stanford CS231n: assignment 1's toy TwoLayerNet (loss 1.30378789133 with reg·ΣW²,
    `lambda`) and assignment 2's TwoLayerNet (26.5948426952 with ½·reg·ΣW², `lambda/2`):
    the data loss plus our penalty is the published loss."""
    problem, case = INPUTS[name], EXPECTED[f"{name}.yaml"]
    data, _ = _dense_pass(problem)
    weights = [np.array(layer["weights"]) for layer in problem["layers"]]
    penalty = FORMS[problem["l2"]["form"]].value(weights, problem["l2"]["lambda"],
                                                 len(problem["x"]))
    close(data + penalty, case["expected"]["loss"], **_tolerance(case, "loss"))


# ----------------------------------------------------------------------- 4. stability


@pytest.mark.parametrize("name", list(_specs(np.ones((5, 4)))))
def test_large_inputs_and_constant_features(name):
    """x at ±1000 with a constant column and a constant row: finite everywhere, no
    warning; a constant feature normalises to x̂ = 0 (its variance 0, eps keeps 0/0 away)."""
    rng, _, p, mask = _random_case(11)
    x = rng.choice([-1000.0, 1000.0], size=(5, 4)) * rng.uniform(0.5, 1.0, (5, 4))
    x[:, 1] = 1000.0
    x[2, :] = -1000.0
    x[2, 1] = 1000.0 if name.startswith("batchnorm") else -1000.0
    spec, kind = _specs(mask)[name], _kind_of(name)
    dout = rng.normal(size=x.shape) * 1000.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out, cache = kind.forward(x, p, spec)
        dx, dp, inter = kind.backward(dout, cache, p, spec)
        new = kind.running(cache, spec, 5) if kind.running else {}
    for v in (out, dx, *dp.values(), *inter.values(), *new.values()):
        assert np.all(np.isfinite(v))
    if name.startswith("batchnorm-train"):
        assert cache["var"][1] == 0.0 and np.all(cache["xhat"][:, 1] == 0.0)
        assert new["running_var"][1] == 0.9  # (1 − 0.1)·1 + 0.1·0
    if name.startswith("layernorm"):
        assert cache["var"][2] == 0.0 and np.all(cache["xhat"][2] == 0.0)


def test_batchnorm_in_train_mode_needs_two_samples():
    x = np.array([[1.0, 2.0]])
    with pytest.raises(BackpropError, match="at least 2 samples"):
        KINDS["batchnorm"].forward(x, {}, BatchNormSpec())
    out, _ = KINDS["batchnorm"].forward(x, {}, BatchNormSpec(mode="eval"))
    close(out, x / np.sqrt(1.0 + 1e-5))


# ------------------------------------------------------------------ 5. the table of kinds


def test_the_table_of_kinds():
    assert set(KINDS) == {"batchnorm", "layernorm", "dropout", "conv2d", "maxpool2d",
                          "avgpool2d", "flatten", "embedding", "rnn", "lstm", "gru"}
    for name, kind in KINDS.items():
        assert isinstance(kind, Kind) and kind.name == name
        assert callable(kind.forward) and callable(kind.backward)
    assert KINDS["batchnorm"].params == KINDS["layernorm"].params == ("gamma", "beta")
    assert KINDS["dropout"].params == ()
    assert callable(KINDS["batchnorm"].running)
    assert KINDS["layernorm"].running is None and KINDS["dropout"].running is None
    assert KINDS["conv2d"].params == ("W", "b") and KINDS["flatten"].params == ()
    assert KINDS["conv2d"].parameter_gradients is not None
    assert KINDS["embedding"].params == ("E",)
    for cell in ("rnn", "lstm", "gru"):  # its cache's every step stands for a_l and h_l
        assert KINDS[cell].params == ("Wx", "Wh", "b", "bh")
        assert KINDS[cell].backward_shown[:3] == (("h", "steps"), ("hout", "steps"),
                                                  ("hnext", "steps"))
    assert all(KINDS[k].backward_shown is None for k in KINDS if k not in ("rnn", "lstm", "gru"))


def test_torch_defaults():
    assert (BatchNormSpec().eps, BatchNormSpec().momentum) == (1e-5, 0.1)
    assert (BatchNormSpec().mode, BatchNormSpec().variance) == ("train", "biased")
    assert BatchNormSpec().affine and LayerNormSpec().affine and LayerNormSpec().eps == 1e-5
    spec = DropoutSpec([[1, 0]], 0.75)
    assert (spec.scale, spec.mode, spec.mask.dtype) == ("inverted", "train", np.float64)
    with pytest.raises(ValueError):
        BatchNormSpec(variance="bessel")
    with pytest.raises(ValueError):
        DropoutSpec([[1]], 0.5, scale="keep")


def test_every_kind_has_a_place_in_every_room():
    # adding a kind touches one file per room: the problem reader (its keys), the engine,
    # the grading graph, the worked solutions, the diagram, `new` and the PyTorch bridge;
    # a kind missing from any of their tables fails here
    from backprop_cli.api.pytorch.kinds import MODULES
    from backprop_cli.api.pytorch.sequences import CELLS
    from backprop_cli.engine.grading.layers import KINDS as GRADED
    from backprop_cli.output.diagram.kinds import LOOKS
    from backprop_cli.output.worked.kinds import WORKED
    from backprop_cli.problem.generate import KINDS as GENERATED
    from backprop_cli.problem.kinds import KIND_NAMES

    rooms = {"problem": set(KIND_NAMES) - {"dense"}, "grading": set(GRADED),
             "worked": set(WORKED), "diagram": set(LOOKS), "new": set(GENERATED),
             "bridge": set(MODULES) | set(CELLS.values()) | {"embedding"}}
    for room, names in rooms.items():
        assert names == set(KINDS), room
