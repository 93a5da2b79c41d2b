"""backprop check: honest at large input scales and when nothing can be compared."""

import json

import pytest

LARGE_INPUTS = """\
x: [10000.0, 5000.0]
y: [1.0]
loss: mse
layers:
  - {weights: [[0.1, -0.2], [0.3, 0.05]], bias: [0.1, -0.1], activation: tanh}
  - {weights: [[0.5, -0.4]], bias: [0.2], activation: sigmoid}
"""

ALL_AT_KINKS = """\
x: [1.0]
y: [1.0]
loss: mse
layers:
  - {weights: [[1.0]], bias: [-1.0], activation: relu}   # a = 0, and x moves it too
"""


def _check(run, tmp_path, text, *args):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    result = run("check", path, "--format", "json", *args)
    return result, json.loads(result.stdout)


def test_correct_gradients_pass_at_large_input_scale(run, tmp_path):
    # an unscaled step of 1e-6 moves a1 by 1e-2 here: its truncation error failed W1
    result, doc = _check(run, tmp_path, LARGE_INPUTS)
    assert result.exit_code == 0, result.stdout
    assert doc["ok"] is True and doc["compared"] == 9 + 2  # the parameters' and x's


@pytest.mark.parametrize("scale", [1.0, 1e3, 1e5])
def test_a_wrong_gradient_still_fails_at_every_scale(run, tmp_path, monkeypatch, scale):
    import backprop_cli.engine as engine

    real = engine.backward

    def wrong(*args, **kwargs):
        grads = real(*args, **kwargs)
        grads.params["W1"][0, 1] *= 1.001  # one entry off by a part in a thousand
        return grads

    monkeypatch.setattr(engine, "backward", wrong)
    text = LARGE_INPUTS.replace("[10000.0, 5000.0]", f"[{2 * scale!r}, {scale!r}]")
    result, doc = _check(run, tmp_path, text)
    assert result.exit_code == 1
    assert doc["parameters"]["W1"]["failures"] == 1


def test_nothing_compared_is_not_agreement(run, tmp_path):
    result, doc = _check(run, tmp_path, ALL_AT_KINKS)
    assert result.exit_code == 1
    assert doc["ok"] is False and doc["compared"] == 0
    assert doc["parameters"]["W1"]["skipped"] == 1 and doc["parameters"]["b1"]["skipped"] == 1
    assert doc["parameters"]["x"]["skipped"] == 1


def test_the_table_says_nothing_was_compared(run, tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(ALL_AT_KINKS)
    result = run("check", path)
    assert result.exit_code == 1
    assert "Nothing could be compared: every entry sits at a kink, so no gradient was " \
           "verified." in " ".join(result.stdout.split())
    assert "agree with finite differences" not in result.stdout
