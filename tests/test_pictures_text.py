"""What a person reads in the pictures: plain tick labels on a log scale, and one number
format per diagram."""

import re

import numpy as np
import pytest
from helpers import CLASSIC

pytest.importorskip("matplotlib")  # the plot extra; the test extra installs it

from backprop_cli import engine  # noqa: E402
from backprop_cli.output.diagram import model, plots  # noqa: E402
from backprop_cli.problem import load  # noqa: E402


def test_log_scale_ticks_are_plain_numbers(tmp_path):
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    losses = list(np.geomspace(3.0, 2e-4, 60))  # four decades: a log scale
    assert plots.loss_scale(losses) == "log"
    fig = plots.losses_figure(losses, "adam, lr = 0.05")
    FigureCanvasAgg(fig).draw()
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels() if t.get_text()]
    assert len(labels) >= 3
    for label in labels:
        assert "$" not in label and "mathdefault" not in label
        float(label)  # a number as written: 0.001, 0.01, 0.1, 1
    path = tmp_path / "loss.svg"
    plots.plot_losses(losses, str(path), "adam")
    assert "mathdefault" not in path.read_text()


def test_one_number_format_per_diagram():
    problem = load(str(CLASSIC))  # x = [1, 0, 1], y = [0, 0, 1]: whole numbers
    fwd = engine.forward(problem.model, problem.params, problem.x, problem.y)
    net = model.network(problem, fwd, None, 4)
    notes = [line for column in net.columns for note in column.notes for line in note]
    values = [line.split(" = ")[1] for line in notes]
    assert {"x = 1.0000", "x = 0.0000", "y = 1.0000"} <= set(notes)
    assert all(re.fullmatch(r"-?\d+\.\d{4}", v) for v in values), values
