"""Goal 3: large problem files. Loading JSON and YAML, writing JSON, each in-process
against the plain library call on the same file."""

from __future__ import annotations

import json
import os

import netgen
import numpy as np
import yaml
from measure import Row, Settings, alternate, progress, wall_ms

from backprop_cli import problem
from backprop_cli.problem import documents
from backprop_cli.problem.writer import updated_document

YAML_ROUNDS = 3


def big_network(settings: Settings) -> netgen.Network:
    return netgen.MEDIUM if settings.quick else netgen.LARGE


def big_files(settings: Settings) -> tuple[str, str]:
    """The big problem as JSON and YAML in the scratch folder (made once per run)."""
    json_path = os.path.join(settings.workdir, "big.json")
    yaml_path = os.path.join(settings.workdir, "big.yaml")
    if not os.path.exists(yaml_path):
        net = big_network(settings)
        progress(f"writing the {net.label} problem as JSON and YAML")
        doc = netgen.document(net)
        netgen.write_json(doc, json_path)
        netgen.write_yaml(doc, yaml_path)
    return json_path, yaml_path


def plain_json_load(path: str) -> dict:
    """json.load, then every array through numpy.asarray: the least a loader must do."""
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    arrays = [np.asarray(doc["x"], dtype=np.float64), np.asarray(doc["y"])]
    for layer in doc["layers"]:
        arrays.append(np.asarray(layer["weights"], dtype=np.float64))
        arrays.append(np.asarray(layer["bias"], dtype=np.float64))
    return doc


def plain_yaml_load(path: str):
    with open(path, encoding="utf-8") as f:
        return yaml.load(f.read(), Loader=yaml.CSafeLoader)  # noqa: S506 - a safe loader


def write_like_step(prob, path: str) -> None:
    """What `backprop step ... -o FILE.json` does after training (cli/step.py's
    _write_problem):
    the updated document, streamed as JSON into an atomically replaced file."""
    doc = updated_document(prob, prob.params, prob.state)
    documents.write_file(path, doc, "json")


def plain_json_dump(doc: dict, path: str) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(doc, f)


def json_load_row(json_path: str, settings: Settings) -> Row:
    mib = os.path.getsize(json_path) / 2**20
    row = Row("3", f"load JSON: {big_network(settings).label}, {mib:.0f} MiB",
              "json.load + numpy.asarray", "ms", 1.5)
    return alternate(row, lambda: wall_ms(lambda: problem.load(json_path)),
                     lambda: wall_ms(lambda: plain_json_load(json_path)), settings)


def json_write_row(json_path: str, settings: Settings) -> Row:
    prob = problem.load(json_path)
    doc = updated_document(prob, prob.params, prob.state)  # what both write
    out = os.path.join(settings.workdir, "written.json")
    row = Row("3", "write JSON like step -o FILE.json", "json.dump of the same document",
              "ms", 1.5)
    return alternate(row, lambda: wall_ms(lambda: write_like_step(prob, out)),
                     lambda: wall_ms(lambda: plain_json_dump(doc, out)), settings)


def yaml_load_row(yaml_path: str, settings: Settings) -> Row:
    """Informational, and about 13 s a round at full size: YAML_ROUNDS rounds at most."""
    mib = os.path.getsize(yaml_path) / 2**20
    rounds = min(settings.rounds, YAML_ROUNDS)
    row = Row("3", f"load YAML: the same problem, {mib:.0f} MiB ({rounds} rounds)",
              "yaml.load, CSafeLoader", "ms", None)
    return alternate(row, lambda: wall_ms(lambda: problem.load(yaml_path)),
                     lambda: wall_ms(lambda: plain_yaml_load(yaml_path)), settings,
                     rounds)


def run(settings: Settings) -> list[Row]:
    json_path, yaml_path = big_files(settings)
    return [json_load_row(json_path, settings), json_write_row(json_path, settings),
            yaml_load_row(yaml_path, settings)]
