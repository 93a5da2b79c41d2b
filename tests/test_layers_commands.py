"""The layer kinds through the commands: solve's tables, check (every new parameter and x
against central differences), step (running statistics written back, chained steps as
one run), and the commands that take dense networks only so far refusing in one line."""

from __future__ import annotations

import json

import numpy as np
import pytest
import yaml
from helpers import GOLDEN

FIXTURES = sorted((GOLDEN / "layers").glob("*.json"))


def _problem_file(tmp_path, path):
    out = tmp_path / f"{path.stem}.yaml"
    out.write_text(yaml.safe_dump(json.loads(path.read_text())["problem"]))
    return out


@pytest.mark.parametrize("path", FIXTURES, ids=lambda p: p.stem)
def test_check_compares_every_parameter_and_x(run, tmp_path, path):
    source = _problem_file(tmp_path, path)
    got = run("check", source, "--format", "json")
    assert got.exit_code == 0, got.stdout + got.stderr
    doc = json.loads(got.stdout)
    problem = json.loads(path.read_text())
    names = set(problem["expected"]["update"]["parameters"]) | {"x"}
    assert set(doc["parameters"]) == names
    assert doc["ok"] and doc["parameters"]["x"]["checked"] > 0


@pytest.mark.parametrize("columns", [40, 80, 120])
@pytest.mark.parametrize("path", FIXTURES[::4], ids=lambda p: p.stem)
def test_tables_show_every_quantity(run, tmp_path, monkeypatch, path, columns):
    """Each kind's intermediates, their gradients, ∂L/∂x, the penalty's rows and the
    running statistics are in solve's tables, every line within the terminal."""
    monkeypatch.setenv("COLUMNS", str(columns))
    source = _problem_file(tmp_path, path)
    got = run("solve", source)
    assert got.exit_code == 0, got.stderr
    doc = json.loads(run("solve", source, "--format", "json").stdout)
    text = got.stdout
    assert all(len(line) <= columns for line in text.splitlines())
    for name in doc["forward"]:
        assert f"\n {name} " in text, name
    for name in doc["gradients"]:
        assert f"∂L/∂{name}" in text, name
    for name in doc["update"].get("running", {}):
        assert f"{name}  new" in text
    if "loss_parts" in doc:
        assert "L2 penalty" in text and "data loss" in text


def test_step_writes_the_running_statistics_back_and_chains(run, tmp_path):
    source = _problem_file(tmp_path, GOLDEN / "layers" / "bn_relu_mlp_softmax.json")
    once = tmp_path / "once.yaml"
    assert run("step", source, "-o", once).exit_code == 0
    written = yaml.safe_load(once.read_text())
    assert "running_mean" in written["layers"][1] and "running_var" in written["layers"][3]
    twice = json.loads(run("step", once, "--format", "json").stdout)
    whole = json.loads(run("step", source, "--steps", "2", "--format", "json").stdout)
    for name, value in whole["running"].items():
        np.testing.assert_allclose(twice["running"][name], value, rtol=1e-13)
    np.testing.assert_allclose(twice["losses"], whole["losses"][1:], rtol=1e-13)


@pytest.mark.parametrize("fixture,paths", [
    ("bn_train_affine", ["forward.mean2.0", "gradients.var2.0", "update.running.running_var2.0"]),
    ("residual_dense", ["gradients.x.0.0"]),
    ("l2_form_omitted", ["loss_parts.penalty", "update.loss_parts.data"])])
def test_the_answer_sheet_asks_the_kinds_quantities_and_grade_marks_them(run, tmp_path,
                                                                         fixture, paths):
    source = _problem_file(tmp_path, GOLDEN / "layers" / f"{fixture}.json")
    got = run("solve", source, "--format", "sheet")
    assert got.exit_code == 0, got.stderr
    answers = yaml.safe_load(got.stdout)["answers"]
    assert set(paths) <= set(answers)
    doc = json.loads(run("solve", source, "--format", "json").stdout)
    for path in answers:  # the exact numbers, entry by entry: full marks
        value = doc
        for key in path.split("."):
            value = value[int(key)] if isinstance(value, list) else value[key]
        answers[path] = value
    sheet = tmp_path / "s.yaml"
    sheet.write_text(yaml.safe_dump({"student": "s", "answers": answers}))
    graded = json.loads(run("grade", source, sheet, "--format", "json").stdout)
    assert graded["score"] == graded["max_score"] and len(graded["answers"]) == len(answers)


def test_the_api_solution_has_every_gradient_the_document_has(tmp_path):
    import backprop_cli as bp

    source = _problem_file(tmp_path, GOLDEN / "layers" / "bn_relu_mlp_softmax.json")
    s = bp.solve(str(source))
    doc = s.to_dict() if hasattr(s, "to_dict") else None
    names = list(s.gradients)
    assert names[:7] == ["h5", "a5", "h4", "a4", "xhat4", "var4", "mean4"]
    assert "x" in names and "gamma2" in names and s.gradients["x"].shape == (4, 3)
    if doc is not None:
        assert list(doc["gradients"]) == names


def test_dropout_in_eval_mode_needs_no_mask(run, tmp_path):
    """Eval mode is the identity (torch's): a file may leave the mask out."""
    doc = json.loads((GOLDEN / "layers" / "dropout_eval_identity.json").read_text())
    for layer in doc["problem"]["layers"]:
        if layer.get("kind") == "dropout":
            del layer["mask"]
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(doc["problem"]))
    got = json.loads(run("solve", tmp_path / "p.yaml", "--format", "json").stdout)
    np.testing.assert_allclose(got["update"]["loss"], doc["expected"]["update"]["loss"],
                               rtol=1e-10)


def test_the_l2_term_has_its_own_row_and_masks_are_said_to_be_reused(run, monkeypatch):
    monkeypatch.setenv("COLUMNS", "100")
    from helpers import PROBLEMS

    text = run("solve", PROBLEMS / "dropout_l2.yaml").stdout
    doc = json.loads(run("solve", PROBLEMS / "dropout_l2.yaml", "--format", "json").stdout)
    assert text.count("of which ∂(L2)/∂W") == 2  # W1 and W3, the dense weights
    assert "Dropout               the mask of layers[1] as the file gives, the same in every" \
        " step" in text
    lam = 0.7 / 2  # lambda/2m with N = 2: ∂/∂W = λ/N · W
    W3 = np.array(yaml.safe_load((PROBLEMS / "dropout_l2.yaml").read_text())
                  ["layers"][2]["weights"])
    row = next(line for line in text.splitlines() if "∂(L2)/∂W3" in line)
    shown = [float(v) for v in row.split("[")[1].rstrip(" ]").split()]
    np.testing.assert_allclose(shown, (lam * W3).ravel(), atol=5e-5)
    assert doc["loss_parts"]["penalty"] > 0


def test_layer_norm_statistics_are_shown_a_row_per_sample(run, monkeypatch):
    """Layer norm's μ and σ² are one number per sample: a column in the tables, like every
    per-sample quantity (batch norm's are one per feature: a row)."""
    monkeypatch.setenv("COLUMNS", "100")
    from helpers import PROBLEMS

    doc = json.loads(run("solve", PROBLEMS / "layernorm_residual.yaml", "--format",
                         "json").stdout)
    lines = run("solve", PROBLEMS / "layernorm_residual.yaml").stdout.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith(" mean2 "))
    assert len(doc["forward"]["mean2"]) == 2  # two samples
    first, second = (float(line.split("[")[1].rstrip(" ]")) for line in lines[at:at + 2])
    np.testing.assert_allclose([first, second], doc["forward"]["mean2"], atol=5e-5)


def test_a_problem_with_kinds_shows_itself(tmp_path):
    """repr() of a problem (what a notebook shows) names the kinds and the widths."""
    import backprop_cli as bp

    source = _problem_file(tmp_path, GOLDEN / "layers" / "bn_relu_mlp_softmax.json")
    text = repr(bp.load(str(source)))
    assert "3 → 4 → 4 → 4 → 4 → 3" in text and "batchnorm relu" in text


@pytest.mark.parametrize("name,found", [("batchnorm", "var2 is not finite in float64 in step 2"),
                                        ("dropout_l2", "a3 is not finite in float64 in step 2"),
                                        ("layernorm_residual",
                                         "a3 is not finite in float64 in step 2")])
def test_a_step_that_overflows_names_the_quantity(run, name, found):
    """The training loop's watch reads every array a step with layer kinds makes: an
    overflow is named, with its step, as for dense networks."""
    from helpers import PROBLEMS

    got = run("step", PROBLEMS / f"{name}.yaml", "--lr", "1e300", "--steps", "5")
    assert got.exit_code == 2 and found in got.stderr, got.stderr


def _by_hand(v, decimals):
    """Rounding as a person does, halves away from zero, on the printed decimal value."""
    from decimal import ROUND_HALF_UP, Decimal

    return np.vectorize(lambda x: float(Decimal(repr(float(x))).quantize(
        Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)))(np.asarray(v, dtype=float))


@pytest.mark.parametrize("decimals", [2, 3])
def test_round_works_batch_norm_step_by_step_from_rounded_numbers(run, tmp_path, decimals):
    # --round with a batch norm: μ, σ², √(σ² + ε), x̂, a, then ∂L/∂x̂, ∂L/∂σ², ∂L/∂μ and
    # ∂L/∂h1, each rounded and each from the rounded ones (worked here by hand); W1 scaled
    # so that no statistic comes out round by itself
    from helpers import PROBLEMS

    problem = yaml.safe_load((PROBLEMS / "batchnorm.yaml").read_text())
    problem["layers"][0]["weights"] = (np.array(problem["layers"][0]["weights"]) * 1.37
                                       ).tolist()
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(problem))
    doc = json.loads(run("solve", tmp_path / "p.yaml", "--round", str(decimals),
                         "--format", "json").stdout)
    spec = problem["layers"][1]

    def r(v):
        return _by_hand(v, decimals)

    h1 = np.array(doc["forward"]["h1"])
    N = h1.shape[0]
    mean = r(h1.sum(axis=0) / N)
    var = r(((h1 - mean) ** 2).sum(axis=0) / N)
    std = r(np.sqrt(var + spec.get("eps", 1e-5)))
    xhat = r((h1 - mean) / std)
    a2 = r(xhat * spec["gamma"] + spec["beta"])
    for name, mine in (("mean2", mean), ("var2", var), ("xhat2", xhat), ("a2", a2)):
        np.testing.assert_allclose(doc["forward"][name], mine, rtol=0, atol=1e-12,
                                   err_msg=name)
    da2 = np.array(doc["gradients"]["a2"])
    dxhat = r(da2 * spec["gamma"])
    dvar = r((dxhat * (h1 - mean)).sum(axis=0) * -0.5 * (var + 1e-5) ** -1.5)
    dmean = r(-(dxhat / std).sum(axis=0) + dvar * (-2 * (h1 - mean)).sum(axis=0) / N)
    dh1 = r(dxhat / std + dvar * 2 * (h1 - mean) / N + dmean / N)
    for name, mine in (("xhat2", dxhat), ("var2", dvar), ("mean2", dmean), ("h1", dh1)):
        np.testing.assert_allclose(doc["gradients"][name], mine, rtol=0, atol=1e-12,
                                   err_msg=f"gradients.{name}")
    running = doc["update"]["running"]["running_var2"]
    np.testing.assert_allclose(running, r(running), rtol=0, atol=1e-12)


def test_the_worked_solution_with_round_shows_the_rounded_square_root(run):
    # the worked solution computes √(σ² + ε) itself: with --round it is the rounded one the
    # engine divided by, not the exact root of the rounded σ²
    from helpers import PROBLEMS

    source = PROBLEMS / "batchnorm.yaml"
    var = json.loads(run("solve", source, "--round", "2", "--format", "json").stdout)[
        "forward"]["var2"]
    text = run("solve", source, "--round", "2", "--format", "markdown").stdout
    line = next(t for t in text.splitlines() if t.startswith(r"\sqrt{\sigma_{2}^2 + \epsilon} &="))
    shown = " & ".join(f"{v:.4f}" for v in _by_hand(np.sqrt(np.array(var) + 1e-5), 2))
    assert shown in line, line
