"""What users get: the built wheel, installed into a fresh virtualenv, runs every command.

An editable install hides a wheel that leaves a subpackage or the bundled examples out,
so this builds the wheel, installs it (without the checkout anywhere on the path) and
runs the commands from there.
"""

import json
import os
import site
import subprocess
import sys
import zipfile

import pytest
from helpers import CLASSIC, ROOT


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """The `backprop` command of a fresh virtualenv holding only the built wheel; the test
    environment's site-packages lends the dependencies (its .pth files are not run, so the
    editable install of the checkout stays out)."""
    base = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(base / "dist"), str(ROOT)], check=True, cwd=base)
    wheel = next((base / "dist").glob("backprop_cli-*.whl"))
    venv = base / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    target = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_path("
                             "'purelib'))"], capture_output=True, text=True,
                            check=True).stdout.strip()
    subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                    "--no-deps", "-q", str(wheel)], check=True, cwd=base)
    with open(os.path.join(target, "test-deps.pth"), "w") as f:
        f.write("\n".join(site.getsitepackages()) + "\n")
    return {"wheel": wheel, "python": python, "bin": venv / "bin", "cwd": base}


def _run(installed, *args, input=None):
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([str(installed["bin"] / "backprop"), *map(str, args)], input=input,
                          capture_output=True, text=True, cwd=installed["cwd"], env=env)


def test_the_wheel_holds_every_subpackage_and_the_examples(installed):
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    for part in ("engine", "problem", "output", "output/worked", "output/diagram", "cli"):
        assert f"backprop_cli/{part}/__init__.py" in names, part
    assert "backprop_cli/problem/examples/classic.yaml" in names
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in names)  # MIT, shipped


def test_the_package_comes_from_the_wheel(installed):
    where = subprocess.run([installed["python"], "-c", "import backprop_cli; "
                            "print(backprop_cli.__file__)"], capture_output=True, text=True,
                           check=True, cwd=installed["cwd"]).stdout
    assert where.startswith(str(installed["bin"].parent))


def test_every_command_runs_from_the_wheel(installed, tmp_path):
    assert _run(installed, "--version").stdout.startswith("backprop, version")
    solved = _run(installed, "solve", "--example", "classic", "--get", "update.loss")
    assert solved.returncode == 0, solved.stderr
    assert float(solved.stdout) == pytest.approx(0.0725333007370964, rel=1e-14)  # any BLAS
    table = _run(installed, "solve", CLASSIC)
    assert "Step 4 · Update with sgd" in table.stdout
    stepped = _run(installed, "step", CLASSIC, "--steps", "2", "--format", "json")
    assert json.loads(stepped.stdout)["steps"] == 2
    new = _run(installed, "new", "--layers", "3,3,3,3", "--seed", "0", "--decimals", "8",
               "--x", "1,0,1", "--y", "2")
    assert new.returncode == 0 and "layers:" in new.stdout
    chained = _run(installed, "solve", "-", "--get", "loss", input=new.stdout)
    assert float(chained.stdout) == pytest.approx(0.8563785642771483, rel=1e-14)
    checked = _run(installed, "check", "--example", "batch_mse")
    assert checked.returncode == 0, checked.stderr
    for fmt in ("markdown", "latex", "csv", "yaml"):
        assert _run(installed, "solve", "--example", "in_out", "--format", fmt).returncode == 0
    picture = tmp_path / "net.svg"
    drawn = _run(installed, "draw", "--example", "classic", "--values", "-o", picture)
    assert drawn.returncode == 0, drawn.stderr
    assert picture.read_text().startswith("<?xml")
    module = subprocess.run([installed["python"], "-m", "backprop_cli", "solve", "--example",
                             "classic", "--get", "parameters"], capture_output=True, text=True,
                            cwd=installed["cwd"])
    assert module.stdout == "36\n"
