"""The user documentation: README.md and docs/*.md.

They must stay short (README), self-contained (relative links that resolve, no build
machine paths, no references to material outside the repository), complete (every command
and option of the CLI is in docs/commands.md) and true (every console example that shows
its output prints that output; the README's table and problem file are current).

"That output" is compared token by token: every number within a few dozen ulps (rel 1e-14)
of the page's, everything else exactly. The last bits of a matrix product depend on the BLAS
kernel the CPU gets, so a page may show the bits of one machine; tests/test_portability.py
reruns these examples under other kernels.
"""

from __future__ import annotations

import json
import re
import shlex
from decimal import ROUND_HALF_EVEN, Decimal
from pathlib import Path

import click
import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from helpers import ROOT, as_shown, rich_or_skip, same_output

from backprop_cli.cli import COMMANDS, cli

README = ROOT / "README.md"
DOCS = ROOT / "docs"
COMMANDS_MD = DOCS / "commands.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
ENV = {"NO_COLOR": "1", "COLUMNS": "100"}

# Commands still being built, documented by their authors when they are ready: until
# docs/commands.md names one of them, it is skipped; from then on it is checked in full.
PENDING = {"graph", "grade"}

TEST_COMMAND = "$ pip install -e '.[test]' && ruff check . && pytest"

# Build-machine paths and references to documents users cannot see.
FORBIDDEN = [
    r"/tmp/",
    r"/work/",
    r"/root/",
    r"/home/",
    r"site-packages",
    r"__pycache__",
    r"CONTRACT",
    r"contract",
    r"(?i)\bissues?\s+#?\d+",
]

FENCE = re.compile(r"^( *)(```+|~~~+)(\w*)[^\n]*\n(.*?)^\1\2 *$", re.M | re.S)
LINK = re.compile(r"!?\[(?:[^\]\\]|\\.)*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$", re.M)


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _blocks(text: str):
    """(language, body) of every fenced code block, indented ones (in lists) included."""
    for m in FENCE.finditer(text):
        indent = len(m.group(1))
        body = "\n".join(line[indent:] if line[:indent].strip() == "" else line
                         for line in m.group(4).splitlines())
        yield m.group(3), body


def _prose(text: str) -> str:
    """The text without code blocks and inline code, where links and headings live."""
    text = FENCE.sub("", text)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    heading = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link's text only
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    seen: dict[str, int] = {}
    anchors = set()
    for m in HEADING.finditer(FENCE.sub("", _text(path))):
        slug = _slug(m.group(2))
        n = seen.get(slug, 0)
        seen[slug] = n + 1
        anchors.add(slug if n == 0 else f"{slug}-{n}")
    return anchors


def _links(text: str) -> list[str]:
    prose = FENCE.sub("", text)
    prose_no_code = _prose(text)
    return LINK.findall(prose_no_code) + REFERENCE.findall(prose)


# ----------------------------------------------------------------------------- README


def test_readme_is_short():
    text = _text(README)
    assert len(text) < 8000, f"README.md has {len(text)} characters, expected under 8,000"


def test_readme_gives_the_exact_test_command():
    # CI runs exactly the test command the README gives, so it must stay this line.
    console_lines = [line.strip() for lang, body in _blocks(_text(README))
                     if lang == "console" for line in body.splitlines()]
    assert TEST_COMMAND in console_lines


def test_docs_pages_exist():
    for name in ("index", "problem-file", "json", "commands", "optimizers",
                 "errors-and-choices"):
        assert (DOCS / f"{name}.md").is_file(), name


# ------------------------------------------------------------ self-contained pages


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_every_relative_link_resolves(page):
    links = _links(_text(page))
    for link in links:
        if re.match(r"[a-z][a-z0-9+.-]*:", link, re.I):  # https:, mailto:: not a file
            continue
        assert not link.startswith("/"), f"{_rel(page)}: {link}: use a relative link"
        target, _, anchor = link.partition("#")
        path = (page.parent / target).resolve() if target else page
        assert path.exists(), f"{_rel(page)}: {link}: no such file"
        assert ROOT in path.parents or path == ROOT, f"{_rel(page)}: {link}: outside the repository"
        if anchor and path.suffix == ".md":
            assert anchor in _anchors(path), f"{_rel(page)}: {link}: no such heading"


def test_links_are_found():
    # The link test above must not pass because it finds nothing.
    assert len(_links(_text(README))) >= 8
    assert "docs/index.md" in _links(_text(README))


@pytest.mark.parametrize("page", PAGES, ids=_rel)
def test_no_machine_paths_or_outside_references(page):
    text = _text(page)
    for pattern in FORBIDDEN:
        m = re.search(pattern, text)
        assert m is None, f"{_rel(page)}: {m.group(0)!r} ({pattern})"


# ------------------------------------------------------------- complete: every command


def _context(command, parent=None):
    # make_context applies the group's context settings (-h as well as --help).
    return command.make_context(command.name or "backprop", [], parent=parent,
                                resilient_parsing=True)


def _commands():
    ctx = _context(cli)
    return {name: cli.get_command(ctx, name) for name in sorted(COMMANDS)}


def _option_names(command) -> list[str]:
    ctx = _context(command, parent=None if command is cli else _context(cli))
    names = []
    for param in command.get_params(ctx):  # the help option included
        if isinstance(param, click.Option):
            names += [*param.opts, *param.secondary_opts]
    return names


def _section(text: str, name: str) -> str | None:
    """The text under the heading naming `backprop NAME`, up to the next heading as high."""
    for m in HEADING.finditer(text):
        if re.search(rf"\bbackprop {re.escape(name)}\b", m.group(2)):
            level = len(m.group(1))
            end = re.compile(rf"^ {{0,3}}#{{1,{level}}}\s", re.M).search(text, m.end())
            return text[m.end():end.start() if end else len(text)]
    return None


def _mentions(text: str, option: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None


def test_every_command_loads():
    assert set(_commands()) == set(COMMANDS)
    assert {"solve", "step", "new", "check", "draw"} <= set(COMMANDS) - PENDING


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_and_option_is_in_commands_md(name):
    text = _text(COMMANDS_MD)
    named = re.search(rf"^.*`backprop {re.escape(name)}\b.*$", text, re.M)
    section = _section(text, name)
    if section is None and not named and name in PENDING:
        pytest.skip(f"backprop {name} is not documented yet")
    assert section is not None or named, f"docs/commands.md does not name `backprop {name}`"
    where = section if section is not None else text
    missing = [o for o in _option_names(_commands()[name]) if not _mentions(where, o)]
    assert not missing, f"docs/commands.md: backprop {name}: options not documented: {missing}"


def test_the_group_options_are_in_commands_md():
    text = _text(COMMANDS_MD)
    missing = [o for o in _option_names(cli) if not _mentions(text, o)]
    assert not missing, missing


# ------------------------------------------------------------ true: examples that run


def _invoke(args, input=None):
    return CliRunner().invoke(cli, args, input=input, env=ENV, catch_exceptions=False)


def _run_pipeline(command: str):
    """Run `backprop ... | backprop ...` in-process; the last stage's result."""
    result = None
    for stage in command.split(" | "):
        argv = shlex.split(stage)
        assert argv and argv[0] == "backprop", f"cannot run {stage!r}: not a backprop command"
        assert not {"<", ">", "2>", ">>"} & set(argv), f"cannot run {stage!r}: redirection"
        result = _invoke(argv[1:], input=None if result is None else result.stdout)
    return result


def _examples(text: str):
    """(command, expected output lines) of every console example that shows its output."""
    for lang, body in _blocks(text):
        if lang != "console":
            continue
        command, output = None, []
        for line in [*body.splitlines(), "$ "]:
            if line.startswith("$ "):
                if command is not None and output:
                    yield command, output
                command, output = line[2:].strip(), []
            elif command is not None and line.strip():
                output.append(line.rstrip())


EXAMPLES = [(page, command, output) for page in PAGES
            for command, output in _examples(_text(page))]


def test_the_readme_shows_get_examples():
    readme = [command for page, command, _ in EXAMPLES if page == README]
    assert sum("--get" in command for command in readme) >= 2


@pytest.mark.parametrize(("page", "command", "output"), EXAMPLES,
                         ids=[f"{_rel(p)}: {c}" for p, c, _ in EXAMPLES])
def test_console_examples_print_what_the_page_says(page, command, output, monkeypatch):
    monkeypatch.chdir(ROOT)  # examples name problems/... from the repository's root
    try:
        result = _run_pipeline(command)
    except ModuleNotFoundError as e:  # a table, where rich is not installed
        if e.name != "rich":
            raise
        rich_or_skip()
    printed = "\n".join(line.rstrip() for line in result.output.splitlines() if line.strip())
    shown = "\n".join(output)
    assert as_shown(printed, shown) == shown, f"{_rel(page)}: $ {command}"
    assert result.exit_code == (2 if output[0].startswith("Error:") else 0)


def test_the_readme_table_is_current(monkeypatch):
    # The abridged classic exercise: every line shown (but "...") is printed, in order.
    rich_or_skip()
    blocks = [body for lang, body in _blocks(_text(README))
              if body.startswith("$ backprop solve problems/classic.yaml\n")]
    assert len(blocks) == 1
    command, *shown = blocks[0].splitlines()
    monkeypatch.chdir(ROOT)
    result = _run_pipeline(command[2:])
    assert result.exit_code == 0
    printed = iter(line.rstrip() for line in result.output.splitlines())
    for line in shown:
        if line.strip() == "...":
            continue
        assert any(same_output(p, line.rstrip()) for p in printed), \
            f"README table: not printed: {line!r}"


def test_the_readme_problem_file_solves():
    problems = [body for lang, body in _blocks(_text(README)) if lang == "yaml"]
    assert problems
    for body in problems:
        assert isinstance(yaml.safe_load(body), dict)
        result = _invoke(["solve", "-", "--get", "update.loss"], input=body)
        assert result.exit_code == 0, result.output
        assert float(result.output) >= 0


def _rows(table: str):
    """(label, numbers shown) of each row of the tables of solve; a matrix's later rows
    carry its label."""
    label = None
    for line in table.splitlines():
        if re.fullmatch(r" {3,}\[[^\]]*\]", line):  # a matrix's next row
            yield label, line.strip(" []").split()
        elif m := re.match(r" (\S.*?)\s{2,}(?:\[([^\]]*)\])?\s*(\S+)?$", line):
            label = m.group(1).removesuffix("  new")  # an update's "W1  new"
            yield label, (m.group(2) or "").split() + ([m.group(3)] if m.group(3) else [])


def _correctly_rounded(value: float, decimals: int) -> str:
    """The float64's exact decimal value rounded half to even: the oracle, not fmt.fixed."""
    shown = Decimal(value).quantize(Decimal(1).scaleb(-decimals), ROUND_HALF_EVEN)
    return f"{abs(shown) if shown == 0 else shown:f}"


@pytest.mark.parametrize("decimals", [2, 4, 7])
def test_every_number_shown_is_the_float64_result_correctly_rounded(decimals):
    # What the README claims: the tables show the float64 numbers, correctly rounded.
    rich_or_skip()
    doc = json.loads(_invoke(["solve", str(ROOT / "problems" / "classic.yaml"),
                              "--format", "json"]).output)
    table = _invoke(["solve", str(ROOT / "problems" / "classic.yaml"),
                     "--decimals", str(decimals)]).output
    where = {"L (cross_entropy, mean)": [doc["loss"]],
             "L after the update": [doc["update"]["loss"]]}
    for name, values in doc["forward"].items():
        where[name] = [*values, doc["sums"][name]]
    for name, values in doc["gradients"].items():
        where[f"∂L/∂{name}"] = np.ravel(values).tolist()
    for name, values in doc["update"]["parameters"].items():
        where[name] = np.ravel(values).tolist()
    shown = {}
    for label, numbers in _rows(table):
        shown.setdefault(label, []).extend(numbers)
    checked = 0
    for label, values in where.items():
        assert shown[label] == [_correctly_rounded(v, decimals) for v in values], label
        checked += len(values)
    # losses, a and h, ∂L/∂ of a, h, b and x, of W, the update
    assert checked == 2 + 6 * (3 + 1) + 10 * 3 + 3 * 9 + 36
