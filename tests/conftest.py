import json

import pytest
from click.testing import CliRunner

from backprop_cli.cli import cli


@pytest.fixture(autouse=True)
def _plain_terminal(monkeypatch):
    # Stable, colourless, fixed-width output whatever the developer's terminal is.
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setenv("COLUMNS", "100")


@pytest.fixture
def run():
    """run(*args, input=None) -> click Result, stdout and stderr kept apart."""

    def invoke(*args, input=None):
        return CliRunner().invoke(cli, [str(a) for a in args], input=input, prog_name="backprop",
                                  catch_exceptions=False)

    return invoke


@pytest.fixture
def solve_json(run):
    def solve(*args, input=None):
        result = run("solve", *args, "--format", "json", input=input)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return solve
