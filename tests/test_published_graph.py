"""`backprop graph` on vectorized and attention exercises whose numbers are published
(tests/published/graph/README.md says where each comes from, and what we compare).

Each exercise file goes through `backprop graph FILE --format json` (the `run` fixture). A
number the source prints to d decimals (or, in e-notation, to its last significant digit) is
compared within half a unit of that digit, the way the source rounds it, plus a relative slack:
1e-13 for float64 sources, 1e-6 where the source computed in float32. The published numbers are
transcribed below as the source prints them (strings, so their digits say their precision),
with the source's place beside them. Where a published number disagrees with its own formula,
the test says so and checks the formula's number, computed here from the published inputs.
"""

from __future__ import annotations

import json
import math
from decimal import Decimal
from pathlib import Path

import pytest
from helpers import ROOT

GRAPH = ROOT / "tests" / "published" / "graph"
FLOAT64 = 1e-13
FLOAT32 = 1e-6  # the float32 rounding of a few operations, relative


def document(run, name: str) -> dict:
    result = run("graph", GRAPH / name, "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert result.stderr == ""
    return json.loads(result.stdout)


def at(doc: dict, path: str):
    value = doc
    for part in path.split("."):
        value = value[part]
    return value


def agrees(ours: float, published: str, *, decimals: int | None = None, units: float = 0.5,
           slack: float = FLOAT64) -> bool:
    """Whether `ours` rounds to `published`: within `units` of its last printed digit (half a
    unit by default; `decimals` when the source prints fewer digits than its precision, as
    torch prints 28. for 28.0000), plus slack relative to the number."""
    unit = 10.0 ** (-decimals if decimals is not None else Decimal(published).as_tuple().exponent)
    return abs(ours - float(published)) <= units * unit * (1 + 1e-9) + slack * abs(float(published))


def mismatches(ours, published, where: str, **tolerance) -> list[str]:
    if isinstance(published, str):
        return [] if agrees(ours, published, **tolerance) else [f"{where}: {ours!r} vs {published}"]
    assert isinstance(ours, list) and len(ours) == len(published), f"{where}: shape of {ours!r}"
    return [m for i, (o, p) in enumerate(zip(ours, published))
            for m in mismatches(o, p, f"{where}[{i}]", **tolerance)]


def check(ours, published, where: str = "", **tolerance) -> None:
    """`ours` agrees with the published number or nested list of numbers."""
    bad = mismatches(ours, published, where, **tolerance)
    assert not bad, "\n".join(bad)


def expect(doc: dict, path: str, published, **tolerance) -> None:
    """The JSON document's value at `path` agrees with the published number(s)."""
    check(at(doc, path), published, path, **tolerance)


def softmax(z: list[float]) -> list[float]:
    e = [math.exp(v) for v in z]
    return [v / sum(e) for v in e]


# ------------------------------------------------------------------ CS231n lecture 4 slides


def test_cs231n_vectorized_example(run):
    doc = document(run, "cs231n_vectorized_norm.yaml")
    # CS231n 2017 lecture 4, "A vectorized example" (slides 59 on): forward
    expect(doc, "forward.q", ["0.22", "0.26"])  # q = W·x
    expect(doc, "value", "0.116")  # f = ||q||²
    # backward, on the slides' graph: ∂f/∂f = 1.00, ∇_q f = 2q, ∇_W f = 2q·xᵀ, ∇_x f = 2Wᵀ·q
    expect(doc, "backward.f", "1.00")
    expect(doc, "backward.q", ["0.44", "0.52"])
    expect(doc, "gradients.W", [["0.088", "0.176"], ["0.104", "0.208"]])
    expect(doc, "gradients.x", ["-0.112", "0.636"])


# ------------------------------------------------------------------ d2l.ai 2.5


def test_d2l_dot(run):
    doc = document(run, "d2l_autograd_dot.yaml")
    # d2l 2.5.1 (d2l-pytorch-colab autograd.ipynb): torch prints to 4 decimals
    expect(doc, "value", "28.", decimals=4)  # y = tensor(28., grad_fn=<MulBackward0>)
    expect(doc, "gradients.x", ["0.", "4.", "8.", "12."], decimals=4)  # x.grad == 4 * x


def test_d2l_sum(run):
    # d2l 2.5.1: y = x.sum(); x.grad = tensor([1., 1., 1., 1.])
    expect(document(run, "d2l_autograd_sum.yaml"), "gradients.x", ["1."] * 4, decimals=4)


def test_d2l_non_scalar(run):
    # d2l 2.5.2: y = x * x; y.backward(gradient=torch.ones(len(y))); x.grad = [0., 2., 4., 6.]
    doc = document(run, "d2l_autograd_nonscalar.yaml")
    expect(doc, "gradients.x", ["0.", "2.", "4.", "6."], decimals=4)
    assert doc["upstream"] == [1.0, 1.0, 1.0, 1.0]


# ------------------------------------------------------------------ CS231n linear classification


def test_cs231n_image_scores(run):
    doc = document(run, "cs231n_linear_scores.yaml")
    # CS231n notes, "Linear classification", assets/imagemap.jpg: cat and dog scores
    expect(doc, "value", ["-96.8", "437.9", "60.75"])
    # The figure's ship score, 61.95, is not W x + b of its own numbers: it leaves out b = -1.2.
    ship = at(doc, "value")[2]
    assert not agrees(ship, "61.95")
    formula = 0 * 56 + 0.25 * 231 + 0.2 * 24 + -0.3 * 2 + -1.2
    assert agrees(ship, f"{formula:.2f}") and f"{formula:.2f}" == "60.75"
    assert agrees(ship + 1.2, "61.95")


def test_cs231n_hinge_loss(run):
    doc = document(run, "cs231n_svm_loss.yaml")
    # CS231n notes, "SVM vs. Softmax", assets/svmvssoftmax.png: scores and hinge loss
    expect(doc, "forward.f", ["-2.85", "0.86", "0.28"])
    expect(doc, "value", "1.58")  # max(0, -2.85 - 0.28 + 1) + max(0, 0.86 - 0.28 + 1)


def test_cs231n_cross_entropy_loss(run):
    doc = document(run, "cs231n_softmax_loss.yaml")
    # CS231n notes, "SVM vs. Softmax", assets/svmvssoftmax.png: exp, normalize, -log(0.353)
    expect(doc, "forward.f", ["-2.85", "0.86", "0.28"])
    expect(doc, "forward.e", ["0.058", "2.36", "1.32"])
    expect(doc, "forward.p", ["0.015", "0.631", "0.353"])
    expect(doc, "value", "1.04")
    # The figure prints 0.016 for the first probability; its own scores give 0.01545.
    first = at(doc, "forward.p")[0]
    assert not agrees(first, "0.016")
    assert agrees(first, f"{softmax([-2.85, 0.86, 0.28])[0]:.3f}", slack=0)
    # the same loss through the cross_entropy primitive with the class index y_i = 2
    expect(document(run, "cs231n_softmax_cross_entropy.yaml"), "value", "1.04")


def test_cs231n_softmax_confidences(run):
    # CS231n notes, "Softmax classifier provides 'probabilities' for each class"
    doc = document(run, "cs231n_softmax_peaky.yaml")
    e = at(doc, "forward.e")
    check(e[1:], ["0.14", "1"], "e", decimals=2)  # [e^1, e^-2, e^0] = [2.71, 0.14, 1]
    # 2.71 is e = 2.71828... cut to two decimals, not rounded: the formula's number is 2.72.
    assert not agrees(e[0], "2.71") and agrees(e[0], "2.71", units=1) and f"{math.e:.2f}" == "2.72"
    expect(doc, "forward.p", ["0.7", "0.04", "0.26"])  # -> [0.7, 0.04, 0.26]

    doc = document(run, "cs231n_softmax_diffuse.yaml")  # the weights halved: more diffuse
    expect(doc, "forward.e", ["1.65", "0.37", "1"], decimals=2)  # [1.65, 0.37, 1]
    expect(doc, "forward.p", ["0.55", "0.12", "0.33"])  # -> [0.55, 0.12, 0.33]


# ------------------------------------------------------------------ a two-layer net by hand


def test_two_layer_net_by_hand(run):
    doc = document(run, "geoj_two_layer_net.yaml")
    # g-eoj/cs231n two-layer-backprop-math.ipynb: the forward pass
    expect(doc, "forward.M", [["2.28", "-0.68"]])  # X W1 + b1
    expect(doc, "forward.h1", [["2.28", "0"]], decimals=2)  # max(0, X W1 + b1)
    expect(doc, "forward.scores", [["0.4332", "-0.228", "0.228"]])  # "Math scores"
    expect(doc, "value", "1.051375468504")  # the loss, by hand
    expect(doc, "value", "1.0513754685043635")  # "Network loss"
    # the backward pass by hand (12 decimals)
    dscores = ["0.429052723714", "0.221490524653", "-0.650543248367"]
    expect(doc, "backward.scores", [dscores])  # dscores
    expect(doc, "gradients.b2", dscores)  # grad['b2'] = dscores
    # grad['W2'] = h1ᵀ dscores, multiplied out from the rounded dscores: within 2 units
    expect(doc, "gradients.W2", [["0.978240210068", "0.504998396209", "-1.483238606277"],
                                 ["0", "0", "0"]], decimals=12, units=2)
    expect(doc, "backward.h1", [["-0.005683359796", "-0.036817689655"]])  # dh1 = dscores W2ᵀ
    expect(doc, "backward.M", [["-0.005683359796", "0"]], decimals=12)  # dh1[h1 <= 0] = 0
    # the network's printed gradients (numpy, 8 decimals)
    expect(doc, "gradients.W2", [["0.97824021", "0.5049984", "-1.48323861"],
                                 ["0.", "0.", "0."]], decimals=8)
    expect(doc, "gradients.b2", ["0.42905272", "0.22149052", "-0.65054325"], decimals=8)
    expect(doc, "gradients.W1", [["-0.09093376", "0."], ["0.03410016", "0."]], decimals=8)
    expect(doc, "gradients.b1", ["-0.00568336", "0."], decimals=8)
    assert "y" not in doc["gradients"]  # a class index takes no gradient


# ------------------------------------------------------------------ attention worked backward

# RichardJPovinelli/Neural_Networks_Course, Attention_Backprop_Demo.ipynb (torch float32,
# printed with precision=2, sci_mode=True), at a34808e6 (scaled) and 066048e7 (as saved).
POVINELLI = {
    "povinelli_attention.yaml": {  # a34808e61cc078fa14e3ab1a9c6d7b1a31376700
        "forward.A": [["8.67e-02", "7.33e-02", "-2.00e-02", "-2.34e-02"],
                      ["8.68e-02", "7.33e-02", "-1.99e-02", "-2.35e-02"],
                      ["8.67e-02", "7.33e-02", "-2.01e-02", "-2.33e-02"]],
        "value": "2.86e-02",  # Loss L
        "gradients.W_Q": [["-1.27e-04", "-3.36e-05", "3.32e-05", "8.97e-05"],
                          ["7.93e-05", "1.71e-05", "-3.36e-05", "-4.56e-05"],
                          ["-9.28e-05", "-2.07e-05", "3.71e-05", "5.51e-05"],
                          ["6.99e-05", "1.31e-05", "-3.63e-05", "-3.49e-05"]],
        "gradients.W_K": [["-1.75e-05", "-4.34e-06", "-2.97e-05", "-1.47e-04"],
                          ["-2.18e-05", "1.32e-06", "1.29e-05", "-1.61e-05"],
                          ["-1.37e-05", "-2.54e-06", "-1.69e-05", "-9.36e-05"],
                          ["3.74e-05", "2.12e-06", "1.04e-05", "1.36e-04"]],
        "gradients.W_V": [["3.31e-02", "5.10e-02", "-4.80e-02", "-2.11e-02"],
                          ["1.47e-02", "2.26e-02", "-2.13e-02", "-9.34e-03"],
                          ["-3.65e-03", "-5.65e-03", "5.32e-03", "2.32e-03"],
                          ["1.47e-02", "2.27e-02", "-2.14e-02", "-9.34e-03"]],
    },
    "povinelli_attention_unscaled.yaml": {  # 066048e7a78e53d19fba01bfaffec7a4727516ba
        "forward.A": [["8.67e-02", "7.33e-02", "-2.00e-02", "-2.34e-02"],
                      ["8.69e-02", "7.33e-02", "-1.98e-02", "-2.36e-02"],
                      ["8.68e-02", "7.32e-02", "-2.01e-02", "-2.33e-02"]],
        "value": "2.86e-02",
        "gradients.W_Q": [["-2.54e-04", "-6.72e-05", "6.62e-05", "1.79e-04"],
                          ["1.59e-04", "3.44e-05", "-6.72e-05", "-9.17e-05"],
                          ["-1.86e-04", "-4.14e-05", "7.43e-05", "1.11e-04"],
                          ["1.40e-04", "2.62e-05", "-7.27e-05", "-7.00e-05"]],
        "gradients.W_K": [["-3.46e-05", "-8.76e-06", "-5.94e-05", "-2.93e-04"],
                          ["-4.36e-05", "2.58e-06", "2.59e-05", "-3.27e-05"],
                          ["-2.71e-05", "-5.15e-06", "-3.39e-05", "-1.87e-04"],
                          ["7.44e-05", "4.38e-06", "2.08e-05", "2.73e-04"]],
        "gradients.W_V": [["3.32e-02", "5.10e-02", "-4.80e-02", "-2.11e-02"],
                          ["1.47e-02", "2.25e-02", "-2.12e-02", "-9.34e-03"],
                          ["-3.64e-03", "-5.64e-03", "5.31e-03", "2.31e-03"],
                          ["1.47e-02", "2.27e-02", "-2.14e-02", "-9.34e-03"]],
    },
}


@pytest.mark.parametrize("name", sorted(POVINELLI))
def test_attention_worked_backward(run, name):
    doc = document(run, name)
    for path, published in POVINELLI[name].items():
        expect(doc, path, published, slack=FLOAT32)


def test_attention_saved_without_its_scale(run):
    # The latest notebook's source says SCALE = True, but its saved gradients are the unscaled
    # attention's: the formula as written (1/√d_k) gives the earlier version's numbers instead.
    scaled = document(run, "povinelli_attention.yaml")
    saved = POVINELLI["povinelli_attention_unscaled.yaml"]["gradients.W_Q"]
    assert mismatches(at(scaled, "gradients.W_Q"), saved, "W_Q", slack=FLOAT32)


# ------------------------------------------------------------------ deeplearning.ai C5W4


def test_dlai_attention(run):
    # C5_W4_A1_Transformer_Subclass_v1.ipynb, scaled_dot_product_attention_test (float32)
    doc = document(run, "dlai_attention.yaml")
    expect(doc, "forward.A", [["0.2589478", "0.42693272", "0.15705977", "0.15705977"],
                              ["0.2772748", "0.2772748", "0.2772748", "0.16817567"],
                              ["0.33620113", "0.33620113", "0.12368149", "0.2039163"]],
           slack=FLOAT32)
    expect(doc, "value", [["0.74105227", "0.15705977"],
                          ["0.7227253", "0.16817567"],
                          ["0.6637989", "0.2039163"]], slack=FLOAT32)


def test_dlai_attention_masked(run):
    # the same test with the mask (float32 results printed in full)
    doc = document(run, "dlai_attention_masked.yaml")
    expect(doc, "forward.A", [["0.30719590187072754", "0.5064803957939148", "0.0",
                               "0.18632373213768005"],
                              ["0.3836517333984375", "0.3836517333984375", "0.0",
                               "0.2326965481042862"],
                              ["0.3836517333984375", "0.3836517333984375", "0.0",
                               "0.2326965481042862"]], slack=FLOAT32)
    expect(doc, "value", [["0.6928040981292725", "0.18632373213768005"],
                          ["0.6163482666015625", "0.2326965481042862"],
                          ["0.6163482666015625", "0.2326965481042862"]], slack=FLOAT32)


# ------------------------------------------------------------------ the gradient p - y


def test_softmax_gradient_examples(run):
    # onenoughtone: logits [1, 2, 3], target 0 -> [-0.91, 0.2447, 0.6652], 4 decimals
    expect(document(run, "onenoughtone_softmax_gradient.yaml"), "gradients.z",
           ["-0.91", "0.2447", "0.6652"], decimals=4)
    # Lexai Labs example 1: logits [0, 0, 0], target 1 -> ≈ [0.333, -0.667, 0.333]
    expect(document(run, "lexailabs_softmax_gradient.yaml"), "gradients.z",
           ["0.333", "-0.667", "0.333"])


def test_softmax_gradient_published_wrong(run):
    doc = document(run, "pixelbank_softmax_gradient.yaml")
    # PixelBank: expected output [[0.09, 0.24, -0.67]]; the first two agree
    check(at(doc, "gradients.z")[0][:2], ["0.09", "0.24"], "z")
    # -0.67 does not: the page's own formula, [0.09, 0.24, 0.67 - 1], gives -0.33
    last = at(doc, "gradients.z")[0][2]
    assert not agrees(last, "-0.67")
    assert agrees(last, f"{softmax([1.0, 2.0, 3.0])[2] - 1:.2f}") and agrees(last, "-0.33")


# ------------------------------------------------------------------ the folder itself


def test_every_file_is_tested_and_cited():
    readme = (GRAPH / "README.md").read_text(encoding="utf-8")
    source = Path(__file__).read_text(encoding="utf-8")
    names = sorted(p.name for p in GRAPH.glob("*.yaml"))
    assert len(names) >= 12
    for name in names:
        assert f"`{name}`" in readme, name
        assert f'"{name}"' in source, name
        assert (GRAPH / name).read_text(encoding="utf-8").startswith("#"), name  # cites its source
