"""What the tests share: where things are, and the classic exercise, defined once."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"
GOLDEN = Path(__file__).resolve().parent / "golden"
CLASSIC = PROBLEMS / "classic.yaml"  # the classic 3-3-3-3 exercise (sigmoid, softmax, CE)
