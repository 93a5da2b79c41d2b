"""Several problems' worked solutions make one document: pdflatex stops at the first
\\end{document}, so two documents in one file would lose every later problem."""

import re
import shutil

import pytest
from helpers import PROBLEMS, compile_latex

PATHS = [PROBLEMS / "classic.yaml", PROBLEMS / "in_out.yaml", PROBLEMS / "batch_mse.yaml"]


def test_latex_of_several_problems_is_one_document(run, tmp_path):
    result = run("solve", *PATHS, "--format", "latex")
    assert result.exit_code == 0
    tex = result.stdout
    assert tex.count(r"\begin{document}") == 1 and tex.count(r"\end{document}") == 1
    assert tex.count(r"\documentclass") == 1 and tex.count(r"\clearpage") == 2
    assert tex.count("Worked solution") == 3  # every problem's title made it in
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed (apt-get install texlive-latex-recommended)")
    log = compile_latex(tmp_path, tex)
    pages = int(re.search(r"Output written on \S+ \((\d+) pages?", log).group(1))
    assert pages >= 3  # each problem starts a page


def test_markdown_of_several_problems_is_one_page(run):
    result = run("solve", *PATHS, "--format", "markdown")
    assert result.exit_code == 0
    md = result.stdout
    assert md.count("\n---\n") == 2
    assert md.count("# Worked solution") == 3


def test_one_problem_is_unchanged(run):
    one = run("solve", PATHS[0], "--format", "latex").stdout
    assert r"\clearpage" not in one and one.count(r"\end{document}") == 1
