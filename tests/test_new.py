"""`backprop new`: JSON or YAML by the name, one naming rule for variants and never two runs
mixed in a folder, numpy's seed range, titles as given, no one-unit softmax, bundled
examples as templates, and every refusal before any work."""

import json
import os

import pytest
import yaml
from helpers import PROBLEMS

from backprop_cli.problem import generate

LAYERS = ["--layers", "3,3,3"]
SEED_MAX = 2**32 - 1


def _names(folder):
    return sorted(os.listdir(folder))


@pytest.fixture
def no_work(monkeypatch):
    """Fails the test if a problem is drawn: refusals come before any work."""
    def boom(*args, **kwargs):
        raise AssertionError("a problem was drawn before the usage was checked")

    monkeypatch.setattr(generate, "problem", boom)


# ------------------------------------------------------------------ JSON or YAML


@pytest.mark.parametrize("name, kind", [("p.json", "json"), ("P.JSON", "json"),
                                        ("p.yaml", "yaml"), ("p.yml", "yaml"),
                                        ("p", "yaml")])
def test_the_name_picks_json_or_yaml(run, tmp_path, name, kind):
    target = tmp_path / name
    assert run("new", *LAYERS, "--seed", "4", "-o", target).exit_code == 0
    text = target.read_text()
    doc = json.loads(text) if kind == "json" else yaml.safe_load(text)
    assert text.lstrip().startswith("{") == (kind == "json")
    assert doc == yaml.safe_load(run("new", *LAYERS, "--seed", "4").stdout)
    solved = run("solve", target, "--get", "loss")
    assert solved.exit_code == 0, solved.stderr


# ------------------------------------------------------------------ variants


@pytest.mark.parametrize("count", [3, 12])
def test_one_naming_rule_for_any_count(run, tmp_path, count):
    result = run("new", *LAYERS, "--count", count, "-o", tmp_path / "v")
    assert result.exit_code == 0, result.stderr
    assert _names(tmp_path / "v") == [f"variant-{i:03d}.yaml" for i in range(count)]


def test_past_a_thousand_the_numbers_widen():
    from backprop_cli.problem.generate import variant_name

    assert [variant_name(i, 1000) for i in (0, 999)] == ["variant-000.yaml", "variant-999.yaml"]
    assert [variant_name(i, 1001) for i in (0, 1000)] == ["variant-0000.yaml",
                                                           "variant-1000.yaml"]


def test_the_help_gives_the_rules(run):
    text = " ".join(run("new", "--help").stdout.split())
    for words in ("variant-000.yaml, variant-001.yaml", "zero-padded to 3 digits", "--replace",
                  "JSON for a name ending in .json", "--title TEXT is written as given",
                  "0 to 2**32 - 1", "--loss bce", "--example NAME",
                  "backprop new --example classic -o my-problem.yaml"):
        assert words in text, words


def test_a_second_run_is_refused_naming_the_files(run, tmp_path, monkeypatch):
    folder = tmp_path / "v"
    run("new", *LAYERS, "--count", "5", "-o", folder)
    before = {name: (folder / name).read_bytes() for name in _names(folder)}
    monkeypatch.setattr(generate, "problem", None)  # nothing is drawn either
    result = run("new", *LAYERS, "--seed", "9", "--count", "2", "-o", folder)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Error: -o {folder}: the folder already holds 5 variant files of an earlier run "
        "(variant-000.yaml, variant-001.yaml, variant-002.yaml, ..., variant-004.yaml): add "
        "--replace to remove them and write the new run, or choose another folder\n")
    assert {name: (folder / name).read_bytes() for name in _names(folder)} == before


def test_older_names_count_as_an_earlier_run(run, tmp_path):
    (tmp_path / "variant-0.yaml").write_text("x: 1\n")
    (tmp_path / "notes.txt").write_text("mine\n")
    result = run("new", *LAYERS, "--count", "2", "-o", tmp_path)
    assert result.exit_code == 2
    assert "1 variant file of an earlier run (variant-0.yaml)" in result.stderr


def test_replace_removes_the_earlier_run_only(run, tmp_path):
    folder = tmp_path / "v"
    run("new", *LAYERS, "--count", "12", "-o", folder)
    (folder / "variant-7.json").write_text("{}")  # an older run's name too
    (folder / "notes.txt").write_text("mine\n")
    result = run("new", *LAYERS, "--seed", "50", "--count", "3", "-o", folder, "--replace")
    assert result.exit_code == 0, result.stderr
    assert "after removing the 13 of an earlier run" in result.stderr
    assert _names(folder) == ["notes.txt", "variant-000.yaml", "variant-001.yaml",
                              "variant-002.yaml"]
    key = run("solve", *sorted(folder.glob("*.yaml")), "--format", "csv")
    assert len(key.stdout.splitlines()) == 1 + 3  # the answer key is this run's only
    first = yaml.safe_load((folder / "variant-000.yaml").read_text())
    assert first["title"] == "Variant 0 (seed 50)"


@pytest.mark.parametrize("output", ["file.yaml", "file.json", "FILE.YML", "file.yaml/"])
def test_count_refuses_a_file_name(run, tmp_path, output, no_work):
    result = run("new", *LAYERS, "--count", "2", "-o", tmp_path / output)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --count writes a folder of files: -o names a "
                                    "folder, found a file name, ")
    assert os.listdir(tmp_path) == []


def test_count_refuses_an_existing_file(run, tmp_path, no_work):
    existing = tmp_path / "answers"
    existing.write_text("keep\n")
    result = run("new", *LAYERS, "--count", "2", "-o", existing)
    assert result.exit_code == 2
    assert result.stderr == ("Error: --count writes a folder of files: -o names a folder, "
                             f"found the existing file {existing}\n")
    assert existing.read_text() == "keep\n"


# ------------------------------------------------------------------ seeds


@pytest.mark.parametrize("args, message", [
    (["--seed", "-1"], "Error: --seed -1: expected a whole number from 0 to 4294967295 "
                       "(2**32 - 1, numpy's seeds)\n"),
    (["--seed", "4294967296"], "Error: --seed 4294967296: expected a whole number from 0 to "
                               "4294967295 (2**32 - 1, numpy's seeds)\n"),
    (["--seed", "4294967294", "--count", "3", "-o", "v"],
     "Error: --seed 4294967294 --count 3: the last variant's seed would be 4294967296, "
     "expected at most 4294967295 (2**32 - 1, numpy's seeds): use --seed 4294967293 or "
     "lower\n"),
])
def test_seeds_outside_numpys_range(run, tmp_path, monkeypatch, args, message, no_work):
    monkeypatch.chdir(tmp_path)
    result = run("new", *LAYERS, *args)
    assert result.exit_code == 2
    assert result.stderr == message
    assert os.listdir(tmp_path) == []


def test_the_largest_seeds_work(run, tmp_path):
    assert run("new", *LAYERS, "--seed", SEED_MAX).exit_code == 0
    result = run("new", *LAYERS, "--seed", SEED_MAX - 2, "--count", "3", "-o", tmp_path / "v")
    assert result.exit_code == 0, result.stderr


# ------------------------------------------------------------------ titles and outputs


def test_a_title_is_written_as_given(run, tmp_path):
    assert yaml.safe_load(run("new", *LAYERS, "--title", "Quiz 3").stdout)["title"] == "Quiz 3"
    run("new", *LAYERS, "--title", "Quiz 3", "--count", "2", "-o", tmp_path)
    assert {yaml.safe_load(p.read_text())["title"] for p in tmp_path.iterdir()} == {"Quiz 3"}
    default = yaml.safe_load(run("new", *LAYERS, "--seed", "7").stdout)["title"]
    assert default == "Seeded problem (seed 7)"


def test_one_unit_softmax_is_refused(run, no_work):
    result = run("new", "--layers", "2,1")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --layers 2,1: one output unit with --loss "
                                    "cross_entropy is a softmax over one class")
    assert "use --loss bce (a sigmoid output, y 0 or 1) or --loss mse" in result.stderr


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_one_output_networks_take_bce_or_mse(run, loss):
    for y in ("0", "1"):
        doc = yaml.safe_load(run("new", "--layers", "2,1", "--loss", loss, "--y", y).stdout)
        assert doc["y"] == [int(y)] and doc["layers"][0]["activation"] == "sigmoid"
    drawn = {yaml.safe_load(run("new", "--layers", "2,1", "--loss", loss, "--seed", s).stdout)
             ["y"][0] for s in range(20)}
    assert drawn == {0, 1}
    solved = run("new", "--layers", "2,1", "--loss", loss, "--y", "1")
    assert float(run("solve", "--get", "loss", input=solved.stdout).stdout) > 0


@pytest.mark.parametrize("args, message", [
    (["--layers", "2,1", "--loss", "bce", "--y", "2"],
     "Error: --y 2: found a class index out of range, expected 0 to 1 (one output: class 0 "
     "or 1)\n"),
    (["--layers", "3,3", "--loss", "mse", "--y", "3"],
     "Error: --y 3: found a class index out of range, expected 0 to 2 (one of the 3 "
     "outputs)\n"),
])
def test_a_class_index_out_of_range(run, args, message, no_work):
    result = run("new", *args)
    assert (result.exit_code, result.stderr) == (2, message)


# ------------------------------------------------------------------ bundled examples


def test_an_example_prints_as_it_is(run):
    result = run("new", "--example", "classic")
    assert result.exit_code == 0
    assert result.stdout == (PROBLEMS / "classic.yaml").read_text()


def test_an_example_is_written_by_the_name(run, tmp_path):
    assert run("new", "--example", "classic", "-o", tmp_path / "c.yaml").exit_code == 0
    assert (tmp_path / "c.yaml").read_bytes() == (PROBLEMS / "classic.yaml").read_bytes()
    assert run("new", "--example", "classic", "-o", tmp_path / "c.json").exit_code == 0
    as_json = json.loads((tmp_path / "c.json").read_text())
    assert as_json == yaml.safe_load((PROBLEMS / "classic.yaml").read_text())
    losses = [run("solve", tmp_path / name, "--get", "loss").stdout
              for name in ("c.yaml", "c.json")]
    assert losses[0] == losses[1]


def test_an_unknown_example(run):
    result = run("new", "--example", "nope")
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: --example nope: no such example, expected one of")


@pytest.mark.parametrize("args, message", [
    (["--example", "classic", "--seed", "3"], "--example writes the bundled file as it is: "
                                              "it takes -o only, found --seed"),
    (["--example", "classic", "--layers", "3,3"], "found --layers"),
    (["--example", "classic", "--count", "2", "-o", "v"], "found --count"),
    (["--example", "classic", "--loss", "cross_entropy"], "found --loss"),
    (["--list-examples", "--layers", "3,3"], "--list-examples takes no other option, "
                                             "found --layers"),
    (["--list-examples", "--example", "classic"], "found --example"),
    (["--list-examples", "-o", "x"], "found -o"),
    (["--layers", "3,3", "--replace"], "--replace goes with --count"),
    (["--layers", "3,3", "--replace", "-o", "p.yaml"], "--replace goes with --count"),
    (["--layers", "3,3", "--count", "2", "-o", "-"], "--count needs -o DIR"),
])
def test_combinations_that_make_no_sense(run, tmp_path, monkeypatch, args, message, no_work):
    monkeypatch.chdir(tmp_path)
    result = run("new", *args)
    assert result.exit_code == 2
    assert result.stderr.startswith("Error: ") and message in result.stderr
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == "" and os.listdir(tmp_path) == []


def test_list_examples_stays(run):
    names = [line.split()[0] for line in run("new", "--list-examples").stdout.splitlines()]
    assert names == sorted(p.stem for p in PROBLEMS.glob("*.yaml"))


@pytest.mark.parametrize("option", [["--loss", "mse"], ["--init", "he"]])
def test_network_options_are_refused_with_graph(run, option):
    result = run("new", "--graph", "x * y", *option)
    assert result.exit_code == 2
    assert result.stderr == f"Error: {option[0]} does not go with --graph\n"


def test_upstream_draws_a_real_dout(run):
    """With loss: upstream, y is ∂L/∂ŷ (a "dout"): real numbers, seeded, not a class."""
    import yaml

    got = run("new", "--layers", "3,2", "--loss", "upstream", "--seed", "1", "--decimals", "2")
    doc = yaml.safe_load(got.stdout)
    assert len(doc["y"]) == 2 and all(isinstance(v, float) for v in doc["y"])
    assert any(v < 0 for v in doc["y"]) or any(0 < v < 1 for v in doc["y"])
    assert run("new", "--layers", "3,2", "--loss", "upstream", "--seed", "1", "--decimals",
               "2").stdout == got.stdout


def test_layer_kinds_and_a_batch_are_drawn_from_the_seed(run):
    """--layers names kinds between widths; --batch N draws N samples; the problem is valid,
    its gradients agree with central differences, and the seed reproduces it."""
    import yaml

    args = ("new", "--layers", "4,6,batchnorm,dropout,layernorm,3", "--batch", "4",
            "--activations", "identity,relu,identity,tanh,softmax", "--seed", "3",
            "--decimals", "2")
    got = run(*args)
    assert got.exit_code == 0, got.stderr
    doc = yaml.safe_load(got.stdout)
    kinds = [layer.get("kind", "dense") for layer in doc["layers"]]
    assert kinds == ["dense", "batchnorm", "dropout", "layernorm", "dense"]
    assert len(doc["x"]) == 4 and len(doc["y"]) == 4
    mask = doc["layers"][2]["mask"]
    assert len(mask) == 4 and {v for row in mask for v in row} <= {0, 1}
    assert all(0.5 <= g < 1.5 for g in doc["layers"][1]["gamma"])
    assert run(*args).stdout == got.stdout
    checked = run("check", "-", "--format", "json", input=got.stdout)
    assert checked.exit_code == 0 and '"ok": true' in checked.stdout


def test_a_batch_of_dense_layers_keeps_the_classic_draws(run):
    """Without --batch and kinds the draws are the old ones (the classic exercise)."""
    got = run("new", "--layers", "3,3,3,3", "--seed", "0", "--decimals", "8", "--x", "1,0,1",
              "--y", "2")
    assert run("solve", "-", "--get", "loss", input=got.stdout).stdout.strip() == \
        "0.8563785642771483"


@pytest.mark.parametrize("args,message", [
    (("--layers", "4,batchnorm,3"), "--layers 4,batchnorm,3: batch norm in train mode takes "
                                     "its statistics from the batch: add --batch 2 or more"),
    (("--layers", "batchnorm,3"), "expected positive whole numbers, input size first"),
    (("--layers", "3,4,dropout"), "expected positive whole numbers, input size first"),
    (("--layers", "3,2", "--batch", "2", "--x", "1,2,3"), "--x and --y give one sample"),
])
def test_kinds_and_batches_refused_in_one_line(run, args, message):
    got = run("new", *args)
    assert got.exit_code == 2 and message in got.stderr, got.stderr
