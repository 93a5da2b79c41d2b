"""The PyTorch script of goal 4: `python torch_steps.py PROBLEM.json STEPS`.

Loads the problem JSON, runs STEPS SGD updates in eager float64 and prints what
`backprop step --format json` prints (losses, parameters) as JSON. Threads follow
OMP_NUM_THREADS, as run.py sets it.
"""

from __future__ import annotations

import json
import os
import sys

import torch
import torch_net


def main(path: str, steps: int) -> None:
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
    with open(path, encoding="utf-8") as f:
        doc = json.load(f)
    model, x, y, lr = torch_net.build(doc)
    del doc
    losses = torch_net.train(model, x, y, lr, steps)
    losses.append(torch_net.loss(model, x, y))
    params = {k: v.tolist() for k, v in torch_net.parameters(model).items()}
    json.dump({"steps": steps, "losses": losses, "parameters": params}, sys.stdout, indent=2)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
