"""Optimizers on the fused engine: the torch.optim updates, element by element, and their state.

The fused engine keeps every parameter in one flat float32 buffer and each optimizer state (Adam's
exp_avg and exp_avg_sq, RMSprop's square_avg and momentum_buffer, Adagrad's sum, SGD's
momentum_buffer) in a row of one (slots, parameters) buffer. The state *is* the torch optimizer's:
`state_tensors` creates it in `optimizer.state` as torch would on its first step, the engine copies
it in before a call and back after, so checkpoints, resumes and a switch to the torch engine see
torch.optim's own state dict. `factors` and `param_step` are plain Python (no numba import here);
the engine compiles them. They follow torch/optim/{sgd,adam,rmsprop,adagrad}.py (single-tensor,
not capturable): Adam adds weight_decay * p to the gradient, AdamW first scales p by 1 - lr * wd;
bias corrections and Adagrad's decayed rate in float64 from the step count, the rest in float32.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from core.nn.optimizers import OPTIMIZERS, OptimizerRecord

if TYPE_CHECKING:  # torch is imported where it is used, so the kernels load without it (start-up)
    import torch

SGD, ADAM, ADAMW, RMSPROP, ADAGRAD = range(5)
# Regularisation codes (on Linear weights only; its gradient joins the loss gradient before a step).
REG_NONE, REG_L1, REG_L2 = range(3)

# Indices into the hyper-parameter array the kernels read (float64, torch's group values).
HP_MOMENTUM, HP_NESTEROV, HP_BETA1, HP_BETA2, HP_EPS, HP_WEIGHT_DECAY, HP_ALPHA, HP_LR_DECAY = range(8)
N_HYPER = 8
# Indices into the per-step factors `factors` fills (float64).
F_STEP_SIZE, F_BIAS2_SQRT, F_DECAY_SCALE = range(3)
N_FACTORS = 3

_CODES = {"SGD": SGD, "ADAM": ADAM, "ADAMW": ADAMW, "RMSPROP": RMSPROP, "ADAGRAD": ADAGRAD}


def _fused_records() -> dict[int, OptimizerRecord]:
    """Kernel code -> optimizer record, for every record the fused engine runs."""
    return {_CODES[r.fused]: r for r in OPTIMIZERS.records() if r.fused in _CODES}


# Group options that change the update in ways the engine does not run, and their harmless value.
_PLAIN_OPTIONS = {"maximize": False, "amsgrad": False, "centered": False, "differentiable": False,
                  "capturable": False, "dampening": 0}


class OptimizerConfig(NamedTuple):
    """What the kernels need to know about the optimizer (its state lives in the plan's buffers)."""

    code: int
    hyper: np.ndarray       # float64 (N_HYPER,)
    slots: tuple[str, ...]  # the state tensors kept, in slot order (empty: plain SGD)
    counts_steps: bool      # whether torch keeps a 'step' count (all but SGD)


def read_optimizer(optimizer: Any, spec: Any) -> tuple[OptimizerConfig | None, str]:
    """(config, "") if the fused engine runs `optimizer` (or, if None, spec.optimizer as plain SGD),
    else (None, why not)."""
    if optimizer is None:
        if spec.optimizer.name.value != "sgd":
            return None, f"optimizer '{spec.optimizer.name.value}' needs trainer.optimizer to hold its state"
        if spec.optimizer.momentum > 0:
            return None, "momentum needs trainer.optimizer to hold the momentum buffers"
        return OptimizerConfig(SGD, np.zeros(N_HYPER), (), False), ""
    records = _fused_records()
    code = next((c for c, r in records.items() if type(optimizer) is r.optimizer_class()), None)
    if code is None:
        return None, f"the optimizer is a {type(optimizer).__name__}, which the fused engine does not run"
    groups = optimizer.param_groups
    if len(groups) != 1:
        return None, f"the optimizer has {len(groups)} parameter groups; the fused engine runs one"
    group = groups[0]
    for key, plain in _PLAIN_OPTIONS.items():
        if group.get(key, plain) != plain:
            return None, f"{type(optimizer).__name__} with {key}={group[key]} is not supported by the fused engine"
    hyper = np.zeros(N_HYPER, np.float64)
    hyper[HP_MOMENTUM] = float(group.get("momentum", 0.0))
    hyper[HP_NESTEROV] = float(bool(group.get("nesterov", False)))
    beta1, beta2 = group.get("betas", (0.0, 0.0))
    import torch

    if isinstance(beta1, torch.Tensor) or isinstance(beta2, torch.Tensor) or isinstance(group["lr"], torch.Tensor):
        return None, "tensor learning rates or betas are not supported by the fused engine"
    hyper[HP_BETA1], hyper[HP_BETA2] = float(beta1), float(beta2)
    hyper[HP_EPS] = float(group.get("eps", 0.0))
    hyper[HP_WEIGHT_DECAY] = float(group.get("weight_decay", 0.0))
    hyper[HP_ALPHA] = float(group.get("alpha", 0.0))
    hyper[HP_LR_DECAY] = float(group.get("lr_decay", 0.0))
    if code == SGD and hyper[HP_WEIGHT_DECAY]:
        return None, "SGD with weight_decay is not supported by the fused engine (use l2 regularization)"
    return OptimizerConfig(code, hyper, _slots(code, hyper, records[code]), code != SGD), ""


def _slots(code: int, hyper: np.ndarray, record: OptimizerRecord) -> tuple[str, ...]:
    """The state tensors the update keeps: none for plain SGD, no momentum buffer for RMSprop without it."""
    if code == SGD and not hyper[HP_MOMENTUM]:
        return ()
    if code == RMSPROP and not hyper[HP_MOMENTUM]:
        return record.state_keys[:1]
    return record.state_keys


# torch.optim's defaults for what the spec does not set, by kernel code (AdamW's weight decay 0.01 among
# them): the config of the optimizer build_optimizer makes, known without building it. A test compares
# `config_from_spec` with `read_optimizer` of the built optimizer, for every optimizer.
_TORCH_DEFAULTS = {
    SGD: {},
    ADAM: {HP_BETA1: 0.9, HP_BETA2: 0.999, HP_EPS: 1e-8},
    ADAMW: {HP_BETA1: 0.9, HP_BETA2: 0.999, HP_EPS: 1e-8, HP_WEIGHT_DECAY: 0.01},
    RMSPROP: {HP_ALPHA: 0.99, HP_EPS: 1e-8},
    ADAGRAD: {HP_EPS: 1e-10},
}
_SPEC_OPTIONS = {"momentum": HP_MOMENTUM, "nesterov": HP_NESTEROV}


def config_from_spec(spec: Any) -> OptimizerConfig | None:
    """What `read_optimizer` says of the optimizer build_optimizer makes from `spec`, without torch (the
    window's first epochs train before it loads: core/training/prelude.py); None if not fused."""
    record = OPTIMIZERS[spec.optimizer.name]
    code = _CODES.get(record.fused or "")
    if code is None:
        return None
    hyper = np.zeros(N_HYPER, np.float64)
    for index, value in _TORCH_DEFAULTS[code].items():
        hyper[index] = value
    for option in record.options:
        hyper[_SPEC_OPTIONS[option]] = float(getattr(spec.optimizer, option))
    return OptimizerConfig(code, hyper, _slots(code, hyper, record), code != SGD)


def state_tensors(optimizer: Any, params: list[torch.Tensor], config: OptimizerConfig
                  ) -> tuple[list[list[torch.Tensor]], list[torch.Tensor]]:
    """([per slot: each parameter's state tensor], [each parameter's step tensor]) of `optimizer`,
    created first where missing with torch's own initial values (zeros, Adagrad's sum already set,
    step 0), so the engine's first step is torch's first step."""
    import torch

    slots: list[list[torch.Tensor]] = [[] for _ in config.slots]
    steps: list[torch.Tensor] = []
    for p in params:
        state = optimizer.state[p]
        for k, key in enumerate(config.slots):
            t = state.get(key)
            if t is None:
                t = torch.zeros_like(p, memory_format=torch.preserve_format)
                state[key] = t
            slots[k].append(t)
        if config.counts_steps:
            step = state.get("step")
            if not isinstance(step, torch.Tensor):
                step = torch.tensor(float(step or 0.0), dtype=torch.float32)
                state["step"] = step
            steps.append(step)
    return slots, steps


# ---- the update, compiled by the fused engine (float32 like torch; scalars from float64)


def factors(code, hyper, step, lr, out):
    """The per-step scalars of an update at step count `step` (after increment) and rate `lr`."""
    if code == ADAM or code == ADAMW:
        out[F_STEP_SIZE] = lr / (1.0 - hyper[HP_BETA1] ** step)
        out[F_BIAS2_SQRT] = (1.0 - hyper[HP_BETA2] ** step) ** 0.5
        out[F_DECAY_SCALE] = 1.0 - lr * hyper[HP_WEIGHT_DECAY]
    elif code == ADAGRAD:
        out[F_STEP_SIZE] = lr / (1.0 + (step - 1.0) * hyper[HP_LR_DECAY])
    else:
        out[F_STEP_SIZE] = lr


def step_slice(code, hyper, fac, theta, grad, state, j0, n):
    """Update parameters theta[j0:j0+n] from their gradients grad[:n], and state[:, j0:j0+n].
    Not for plain SGD, which the kernel runs inline. One loop per optimizer, so it vectorises."""
    p = theta[j0:j0 + n]
    eps = np.float32(hyper[HP_EPS])
    wd = np.float32(hyper[HP_WEIGHT_DECAY])
    step_size = np.float32(fac[F_STEP_SIZE])
    if code == ADAM or code == ADAMW:
        m = state[0, j0:j0 + n]
        v = state[1, j0:j0 + n]
        weight = np.float32(1.0 - hyper[HP_BETA1])
        beta2 = np.float32(hyper[HP_BETA2])
        weight2 = np.float32(1.0 - hyper[HP_BETA2])
        bias2_sqrt = np.float32(fac[F_BIAS2_SQRT])
        decay = np.float32(fac[F_DECAY_SCALE]) if code == ADAMW else np.float32(1.0)
        coupled = wd if code == ADAM else np.float32(0.0)
        for i in range(n):
            pi = p[i] * decay  # AdamW: decoupled decay first (decay is 1 for Adam)
            g = grad[i] + coupled * pi  # Adam: L2 weight decay on the gradient (0 for AdamW)
            mi = m[i] + weight * (g - m[i])  # lerp, as torch computes it for weights below 0.5
            vi = v[i] * beta2 + weight2 * g * g
            m[i] = mi
            v[i] = vi
            p[i] = pi - step_size * (mi / (np.sqrt(vi) / bias2_sqrt + eps))
    elif code == RMSPROP:
        v = state[0, j0:j0 + n]
        alpha = np.float32(hyper[HP_ALPHA])
        weight2 = np.float32(1.0 - hyper[HP_ALPHA])
        momentum = np.float32(hyper[HP_MOMENTUM])
        if momentum > 0:
            buf = state[1, j0:j0 + n]
            for i in range(n):
                g = grad[i] + wd * p[i]
                vi = v[i] * alpha + weight2 * g * g
                v[i] = vi
                bi = buf[i] * momentum + g / (np.sqrt(vi) + eps)
                buf[i] = bi
                p[i] = p[i] - step_size * bi
        else:
            for i in range(n):
                g = grad[i] + wd * p[i]
                vi = v[i] * alpha + weight2 * g * g
                v[i] = vi
                p[i] = p[i] - step_size * (g / (np.sqrt(vi) + eps))
    else:  # ADAGRAD
        total = state[0, j0:j0 + n]
        for i in range(n):
            g = grad[i] + wd * p[i]
            si = total[i] + g * g
            total[i] = si
            p[i] = p[i] - step_size * (g / (np.sqrt(si) + eps))
