"""What a recurrent layer's step rules share (steps.py, backsteps.py): `build`, a rule
from named needs, and `At`, what step t of layer l reads."""

from __future__ import annotations

import numpy as np

from backprop_cli.engine.grading.graph import Rule
from backprop_cli.engine.grading.layers import cells as c
from backprop_cli.engine.grading.layers import spec
from backprop_cli.engine.grading.layers.recurrent import step


def build(needs: dict, f, elementwise: bool = False) -> Rule:
    """A rule from named needs: a node's name (str), (name, N, T, t) step t of a node of T
    steps per sample, or a constant array."""
    names = tuple(dict.fromkeys(v if isinstance(v, str) else v[0] for v in needs.values()
                                if isinstance(v, str | tuple)))

    def g(*values):
        got = dict(zip(names, values))
        args = {}
        for k, v in needs.items():
            if isinstance(v, str):
                args[k] = got[v]
            elif isinstance(v, tuple):
                a = np.asarray(got[v[0]])
                args[k] = a.reshape(a.shape[:-2] + (v[1], v[2], -1))[..., v[3], :]
            else:
                args[k] = v
        return f(**args)
    return Rule(names, g, elementwise and all(isinstance(v, str) for v in needs.values()))


class At:
    """What step t of layer l reads: x_t, the states before it, the settings."""

    def __init__(self, ctx, node, how: dict, l: int | None = None):
        l = node.layer if l is None else l
        self.ctx, self.l, self.s = ctx, l, spec(ctx, l)
        self.t = int(node.key) if node.key else -1
        self.N, self.T, self.H = ctx.x.shape[0], self.s.steps, self.s.hidden
        self.P, self.how = ctx.params, how
        self.blocks = how.get("blocks") or c.default_blocks(self.s.cell)
        self.update = how.get("update") or getattr(self.s, "update", "old")

    def x(self, t: int):
        if self.l == 1:
            return self.ctx.x.reshape(self.N, self.T, -1)[:, t]
        return (f"h{self.l - 1}", self.N, self.T, t)

    def prev(self, q: str, t: int):
        """q_{t−1} (h or c): the start at the first step."""
        return self.s.start(f"{q}0", self.N) if t == 0 else step(q, self.l, t - 1)

    def at(self, q: str, t: int | None = None) -> str:
        return step(q, self.l, self.t if t is None else t)

    def zeros(self) -> Rule:
        z = np.zeros((self.N, self.H))
        return Rule((), lambda: z)
