"""torch.optim's update rules, in numpy float64, one small function per optimizer.

Each rule mirrors torch's single-tensor implementation operation for operation (so the
results agree to the last bits), takes one parameter p, its gradient g, its state dict
(torch's names) and the hyper-parameters, and returns (new p, new state) without
mutating its inputs. A missing state means a first step, as in a fresh torch optimizer.
Defaults are torch's, except lr = 1.0 everywhere (the exercise convention).
"""

from __future__ import annotations

import math

import numpy as np

from backprop_cli.errors import OptimizerError, describe, suggest

DEFAULTS: dict[str, dict] = {
    "sgd": {"lr": 1.0, "momentum": 0.0, "dampening": 0.0, "weight_decay": 0.0,
            "nesterov": False, "maximize": False},
    "adagrad": {"lr": 1.0, "lr_decay": 0.0, "weight_decay": 0.0,
                "initial_accumulator_value": 0.0, "eps": 1e-10, "maximize": False},
    "rmsprop": {"lr": 1.0, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                "centered": False, "maximize": False},
    "adam": {"lr": 1.0, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0.0,
             "amsgrad": False, "maximize": False},
    "adamw": {"lr": 1.0, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
              "amsgrad": False, "maximize": False},
}

# torch.optim constructor arguments that choose an implementation, not a formula
IMPLEMENTATION_FLAGS = ("foreach", "fused", "capturable", "differentiable")


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def hyperparameters(name: str, given: dict) -> dict:
    """Validate `given` settings of optimizer `name` and return all of them with defaults."""
    defaults = DEFAULTS[name]
    out = dict(defaults)
    for key, value in given.items():
        if key in IMPLEMENTATION_FLAGS:
            raise OptimizerError(key, f"found {key}, an implementation flag: backprop has "
                                      "one exact implementation; remove it")
        if key not in defaults:
            raise OptimizerError(key, f"unknown key {key!r} for {name}, expected one of "
                                      + ", ".join(defaults) + suggest(key, defaults))
        default = defaults[key]
        if isinstance(default, bool):
            if not isinstance(value, bool):
                raise OptimizerError(key, f"found {describe(value)}, expected true or false")
        elif isinstance(default, tuple):
            if not (isinstance(value, (list, tuple)) and len(value) == 2
                    and all(_is_number(v) for v in value)):
                raise OptimizerError(key, f"found {describe(value)}, expected two numbers "
                                          "like [0.9, 0.999]")
            if not all(0.0 <= v < 1.0 for v in value):
                raise OptimizerError(key, f"found {list(value)}, expected each in [0, 1)")
            value = (float(value[0]), float(value[1]))
        else:
            if not _is_number(value):
                raise OptimizerError(key, f"found {describe(value)}, expected a finite number")
            if value < 0:
                raise OptimizerError(key, f"found {value}, expected a number >= 0")
            value = float(value)
        out[key] = value
    if name == "sgd" and out["nesterov"] and (out["momentum"] <= 0 or out["dampening"] != 0):
        raise OptimizerError("nesterov", "nesterov needs momentum > 0 and dampening 0 "
                                         "(as in torch.optim.SGD)")
    return out


def state_keys(name: str, hyper: dict) -> tuple[str, ...]:
    """The state torch keeps per parameter for these settings (torch's names)."""
    if name == "sgd":
        return ("momentum_buffer",) if hyper["momentum"] != 0 else ()
    if name == "adagrad":
        return ("step", "sum")
    if name == "rmsprop":
        return ("step", "square_avg") + (("momentum_buffer",) if hyper["momentum"] > 0 else ()) \
            + (("grad_avg",) if hyper["centered"] else ())
    return ("step", "exp_avg", "exp_avg_sq") + (("max_exp_avg_sq",) if hyper["amsgrad"] else ())


def is_plain_sgd(name: str, hyper: dict) -> bool:
    """SGD that computes p - lr * g and nothing else."""
    return name == "sgd" and hyper["momentum"] == 0 and hyper["weight_decay"] == 0 \
        and not hyper["maximize"]


def _lerp(start, end, weight: float):
    # torch's lerp kernel: two forms, for accuracy on either side of 0.5
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)


def _sgd(p, g, s, hp, out=None):
    g = -g if hp["maximize"] else g
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * p
    m = hp["momentum"]
    new = {}
    if m != 0:
        buf = s.get("momentum_buffer")
        buf = g.copy() if buf is None else buf * m + (1.0 - hp["dampening"]) * g
        new["momentum_buffer"] = buf
        g = g + m * buf if hp["nesterov"] else buf
    if out is None:
        return p - hp["lr"] * g, new
    # the same two roundings into a reused buffer (the training loop's): lr*g, then p - that
    return np.subtract(p, np.multiply(g, hp["lr"], out=out), out=out), new


def _adagrad(p, g, s, hp):
    step = s.get("step", 0) + 1
    g = -g if hp["maximize"] else g
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * p
    clr = hp["lr"] / (1 + (step - 1) * hp["lr_decay"])
    total = s["sum"] if "sum" in s else np.full_like(p, hp["initial_accumulator_value"])
    total = total + g * g
    std = np.sqrt(total) + hp["eps"]
    return p + (-clr) * (g / std), {"step": step, "sum": total}


def _rmsprop(p, g, s, hp):
    step = s.get("step", 0) + 1
    g = -g if hp["maximize"] else g
    if hp["weight_decay"] != 0:
        g = g + hp["weight_decay"] * p
    alpha = hp["alpha"]
    sq = s.get("square_avg", np.zeros_like(p)) * alpha + (1.0 - alpha) * g * g
    new = {"step": step, "square_avg": sq}
    if hp["centered"]:
        grad_avg = _lerp(s.get("grad_avg", np.zeros_like(p)), g, 1.0 - alpha)
        avg = np.sqrt(sq + (-1.0) * grad_avg * grad_avg)
    else:
        avg = np.sqrt(sq)
    avg = avg + hp["eps"]
    if hp["momentum"] > 0:
        buf = s.get("momentum_buffer", np.zeros_like(p)) * hp["momentum"] + g / avg
        new["momentum_buffer"] = buf
        p = p + (-hp["lr"]) * buf
    else:
        p = p + (-hp["lr"]) * (g / avg)
    if hp["centered"]:
        new["grad_avg"] = grad_avg  # after momentum_buffer: torch's order
    return p, new


def _adam(p, g, s, hp, decoupled: bool):
    step = s.get("step", 0) + 1
    g = -g if hp["maximize"] else g
    lr, wd = hp["lr"], hp["weight_decay"]
    if wd != 0:
        if decoupled:
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
    beta1, beta2 = hp["betas"]
    m = _lerp(s.get("exp_avg", np.zeros_like(p)), g, 1 - beta1)
    v = s.get("exp_avg_sq", np.zeros_like(p)) * beta2 + (1 - beta2) * g * g
    new = {"step": step, "exp_avg": m, "exp_avg_sq": v}
    step_size = lr / (1 - beta1 ** step)
    bc2_sqrt = (1 - beta2 ** step) ** 0.5
    if hp["amsgrad"]:
        v = np.maximum(s.get("max_exp_avg_sq", np.zeros_like(p)), v)
        new["max_exp_avg_sq"] = v
    denom = np.sqrt(v) / bc2_sqrt + hp["eps"]
    return p + (-step_size) * (m / denom), new


def _adam_coupled(p, g, s, hp):
    return _adam(p, g, s, hp, decoupled=False)


def _adamw(p, g, s, hp):
    return _adam(p, g, s, hp, decoupled=True)


RULES = {"sgd": _sgd, "adagrad": _adagrad, "rmsprop": _rmsprop, "adam": _adam_coupled,
         "adamw": _adamw}


def step(name: str, hyper: dict, params: dict, grads: dict, state: dict,
         out: dict | None = None) -> tuple[dict, dict]:
    """One update of every parameter in `params`; state maps name -> torch-style dict.
    out: buffers (by name, never one of params' arrays) that plain SGD writes the new
    values into instead of allocating; the other rules allocate."""
    rule = RULES[name]
    new_params, new_state = {}, {}
    for key, p in params.items():
        if out is not None and name == "sgd":
            new_params[key], s = rule(p, grads[key], state.get(key, {}), hyper, out[key])
        else:
            new_params[key], s = rule(p, grads[key], state.get(key, {}), hyper)
        if s:
            new_state[key] = s
    return new_params, new_state
