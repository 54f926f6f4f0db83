"""The fused engine: one numba-compiled call trains a whole epoch of a small dense net on the CPU.

A per-batch torch loop pays ~20 µs per op call, so tiny nets (TF Playground's [4, 2]) train at
~50 epochs/s. Here forward, loss gradient, backward and the optimizer step of every minibatch run
in one compiled call (core/engines/fused_kernels.py) on a flat float32 copy of the parameters and of the
optimizer's state; at the end the result is written back into the torch parameters and the
torch.optim state tensors in place, so the model, the optimizer, snapshots, checkpoints and
exports see the same numbers, and either engine can continue the other's run. (A flat buffer, not
numba typed lists of views: those cost ~0.9 s of compilation in every new process.) The kernels
release the GIL while they run.

Same updates as the torch path: the same batches in the same order (the caller's `indices`), the
same dropout masks (core/engines/dropout_mask.py), the mean batch loss, its exact gradient, regularisation
on Linear weights only (l2: rate*0.5*sum w**2, l1: rate*sum|w|), and torch.optim's SGD (momentum,
nesterov), Adam, AdamW, RMSprop and Adagrad steps (core/engines/fused_optim.py). Every activation of the
registry (core/engines/fused_act.py) and layer norm (core/engines/fused_norm.py); batch norm stays on torch.
Float32 throughout, like torch; results agree within float rounding (summation order differs; tanh
is computed as 1 - 2/(exp(2z)+1), within 2e-7 of libm's and 5x faster).

    ok, why = supports(trainer)          # cheap; never imports numba
    loss = train_epoch(trainer, indices)  # one epoch, parameters updated in place
    result = train_epochs(trainer, orders, lrs)  # many epochs, each evaluated, in one GIL-free call
    figures = evaluate(trainer)           # losses, accuracies, confusion over the whole sets
    seconds = warm_up()                   # compile (or load the on-disk cache) ahead of time
"""

from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from core.engines import fused_kernels as kernels
from core.engines import fused_optim, fused_warmup
from core.engines.fused_kernels import KernelOptimizer
from core.engines.fused_layout import NetPlan, net_plan, read_layout
from core.engines.fused_layout import parameters as fused_layout_parameters
from core.engines import fused_flat
from core.engines.fused_flat import INCLUDE_PENALTY_IN_LOSS, BlockResult, EvalSet, eval_set, training_rows
from core.engines.fused_fit import (  # noqa: F401 - estimated_epoch_seconds: part of this module's API
    REG_CODES, buffers_too_large, estimated_epoch_seconds, loss_code, numba_available, optimizer_name,
)
from core.nn.layers import LAYER_TYPES

# --------------------------------------------------------------------------------------------
# What the fused path can run


def supports(trainer: Any, *, check_speed: bool = True) -> tuple[bool, str]:
    """(True, "") if `trainer` can train with the fused engine, else (False, a short reason).

    With `check_speed` (what engine 'auto' asks) it also says no where the torch engine is
    estimated to be faster. Cheap and side-effect free: it reads the spec, the model and the data,
    and never imports numba.
    """
    if not numba_available():
        return False, "numba (or scipy) not installed"
    spec = trainer.spec
    for i, layer in enumerate(spec.layers):
        why = LAYER_TYPES[layer.type].fused(layer)
        if why:
            return False, f"layers.{i} ({layer.type}): {why}"
    _, problem = fused_optim.read_optimizer(getattr(trainer, "optimizer", None), spec)
    if problem:
        return False, problem
    layout, why = read_layout(trainer.model)
    if layout is None:
        return False, why
    for p in trainer.model.parameters():
        if p.device.type != "cpu":
            return False, f"the fused engine runs on the CPU; the model is on {p.device.type}"
        if p.dtype != torch.float32:
            return False, f"the fused engine runs float32; the model is {p.dtype}"
    widths = [layout.linears[0].in_features] + [m.out_features for m in layout.linears]
    dataset = trainer.dataset
    if dataset.x_train.ndim != 2 or dataset.x_train.shape[1] != widths[0]:
        return False, f"the data has shape {dataset.x_train.shape}, the model takes {widths[0]} inputs"
    code, _, why = loss_code(spec, widths[-1])
    if code is None:
        return False, why
    if spec.regularization.kind not in REG_CODES:
        return False, f"regularization '{spec.regularization.kind.value}' is not supported"
    n_rows = len(dataset.x_train)
    rows = min(int(trainer.batch_size), n_rows)
    if buffers_too_large(widths, rows):
        return False, f"batch size {trainer.batch_size} is too large for the fused engine's buffers"
    if not check_speed:
        return True, ""
    fused_s, torch_s = estimated_epoch_seconds(widths, n_rows, rows, optimizer_name(spec))
    if fused_s > torch_s:
        return False, (f"the torch engine is faster for this net and batch size (about {torch_s * 1e3:.1f} "
                       f"vs {fused_s * 1e3:.1f} ms per epoch)")
    return True, ""


# --------------------------------------------------------------------------------------------
# Per-trainer plan: the flat buffers and the parameter views, rebuilt only when something is replaced


@dataclass
class _Plan:
    model: nn.Module
    spec: Any
    x_source: np.ndarray
    y_source: np.ndarray
    optimizer: Any
    params: list[torch.Tensor]
    slot_keys: tuple[str, ...]          # the optimizer state the engine keeps ("exp_avg", ...)
    state_tensors: list[torch.Tensor]   # those tensors, slot by slot, parameter by parameter
    step_tensors: list[torch.Tensor]    # the optimizer's per-parameter step counts (not SGD)
    pointers: tuple[int, ...]
    x: np.ndarray
    y: np.ndarray
    theta: np.ndarray              # flat copy of every parameter, the kernel's working set
    pairs: list[tuple[np.ndarray, np.ndarray]]        # (torch parameter view, its slice of theta)
    state_pairs: list[tuple[np.ndarray, np.ndarray]]  # (optimizer state view, its slice of opt.state)
    net: NetPlan
    opt: KernelOptimizer
    # Built on the first evaluate(): every train row then every test row, and where the sets came from.
    eval_sources: tuple[Any, ...] = ()
    eval_rows: EvalSet | None = None


_plans: "weakref.WeakKeyDictionary[Any, _Plan]" = weakref.WeakKeyDictionary()


def _pointers(tensors: list[torch.Tensor]) -> tuple[int, ...]:
    return tuple(t.data_ptr() for t in tensors)


def _state_unchanged(plan: _Plan) -> bool:
    """Whether the optimizer still holds the very state tensors the plan copies (a load_state_dict
    or a rollback replaces them); cheap, as it runs before every call."""
    state = plan.optimizer.state if plan.optimizer is not None else {}
    held = iter(plan.state_tensors)
    for key in plan.slot_keys:
        for p in plan.params:
            t = state.get(p, {}).get(key)
            if t is None or t is not next(held):
                return False
    return all(state.get(p, {}).get("step") is t for p, t in zip(plan.params, plan.step_tensors))


def _plan_for(trainer: Any) -> _Plan:
    model, spec, dataset = trainer.model, trainer.spec, trainer.dataset
    optimizer = getattr(trainer, "optimizer", None)
    try:
        plan = _plans.get(trainer)
    except TypeError:  # not weak-referenceable (e.g. a SimpleNamespace): keep the plan on it
        plan = getattr(trainer, "_fused_plan", None)
    if (plan is not None and plan.model is model and plan.spec is spec and plan.optimizer is optimizer
            and plan.x_source is dataset.x_train and plan.y_source is dataset.y_train):
        if _pointers(plan.params) == plan.pointers and _state_unchanged(plan):
            return plan
    ok, why = supports(trainer, check_speed=False)
    if not ok:
        raise ValueError(f"fused engine cannot train this model: {why}; use engine 'torch'")
    plan = _build_plan(trainer)
    try:
        _plans[trainer] = plan
    except TypeError:
        trainer._fused_plan = plan
    return plan


def _build_plan(trainer: Any) -> _Plan:
    model, spec, dataset = trainer.model, trainer.spec, trainer.dataset
    optimizer = getattr(trainer, "optimizer", None)
    layout, _ = read_layout(model)
    config, _ = fused_optim.read_optimizer(optimizer, spec)
    assert layout is not None and config is not None
    params = fused_layout_parameters(layout)
    slots, steps = fused_optim.state_tensors(optimizer, params, config) if optimizer is not None else ([], [])
    sizes = [p.numel() for p in params]
    starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    n = int(starts[-1])
    theta = np.zeros(n, np.float32)
    state = np.zeros((len(slots), n) if slots else (1, 1), np.float32)

    def pair(t: torch.Tensor, flat: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        return t.detach().numpy(), flat[starts[k]:starts[k + 1]].reshape(tuple(t.shape))

    code, squash, _ = loss_code(spec, layout.linears[-1].out_features)
    opt = KernelOptimizer(
        code=config.code, hyper=config.hyper, state=state, step=np.zeros(1, np.float64),
        factors=np.zeros(fused_optim.N_FACTORS, np.float64), counts_steps=config.counts_steps,
        reg_code=REG_CODES[spec.regularization.kind], with_penalty=INCLUDE_PENALTY_IN_LOSS)
    flat_state = [t for slot in slots for t in slot]
    x, y = training_rows(dataset)
    return _Plan(
        model=model, spec=spec, x_source=dataset.x_train, y_source=dataset.y_train,
        optimizer=optimizer, params=params, slot_keys=config.slots if optimizer is not None else (),
        state_tensors=flat_state, step_tensors=steps, pointers=_pointers(params),
        x=x, y=y,
        theta=theta,
        pairs=[pair(p, theta, k) for k, p in enumerate(params)],
        state_pairs=[pair(t, state[s], k) for s, slot in enumerate(slots) for k, t in enumerate(slot)],
        net=net_plan(layout, starts, int(code), squash, int(spec.seed)),
        opt=opt,
    )


def _batch_size(trainer: Any) -> int:
    batch = int(trainer.batch_size)
    if batch < 1:
        raise ValueError(f"fused engine: batch size must be at least 1, got {batch}")
    return batch


def _load_flat(plan: _Plan) -> None:
    """The live parameters and optimizer state (edits included) into the kernel's flat copies."""
    for live, flat in plan.pairs + plan.state_pairs:
        np.copyto(flat, live)
    if plan.step_tensors:  # torch counts steps per parameter; they move together
        plan.opt.step[0] = float(plan.step_tensors[0])


def _store_flat(plan: _Plan) -> None:
    """The kernel's flat copies back into the live tensors (numpy writes: no autograd involved)."""
    for live, flat in plan.pairs + plan.state_pairs:
        np.copyto(live, flat)
    for step in plan.step_tensors:
        step.fill_(float(plan.opt.step[0]))


def _epoch_of(trainer: Any) -> int:
    """The epoch being trained (it keys the dropout masks); 0 for stand-ins without a counter."""
    return int(getattr(trainer, "epoch", 0))


def flat_state(trainer: Any) -> tuple[np.ndarray, NetPlan, KernelOptimizer]:
    """(a copy of the parameters in the kernels' flat layout, the NetPlan, a copy of the optimizer as the
    kernels take it): what core/training/prelude.py compares with what it trained before torch loaded."""
    plan = _plan_for(trainer)
    _load_flat(plan)
    return plan.theta.copy(), plan.net, plan.opt._replace(state=plan.opt.state.copy(), step=plan.opt.step.copy())


def set_flat_state(trainer: Any, theta: np.ndarray, state: np.ndarray, step: float) -> None:
    """Write parameters and optimizer state in the kernels' flat layout (e.g. trained before torch had
    loaded) into the model and the torch optimizer's own state tensors."""
    plan = _plan_for(trainer)
    if theta.shape != plan.theta.shape or state.shape != plan.opt.state.shape:
        raise ValueError(f"{theta.size} parameters and state {state.shape} given; the model has "
                         f"{plan.theta.size} and state {plan.opt.state.shape}")
    np.copyto(plan.theta, theta)
    np.copyto(plan.opt.state, state)
    plan.opt.step[0] = float(step)
    _store_flat(plan)


def train_epoch(trainer: Any, indices: np.ndarray) -> float:
    """Train one epoch over `trainer.dataset.x_train[indices]`, in minibatches of `trainer.batch_size`.

    Updates `trainer.model`'s parameters (and the optimizer's state) in place and returns the
    mean of the batch losses (regularisation penalty included, as the torch path does). If the
    epoch diverges (a non-finite loss or parameter) nothing is written back and the result is NaN
    or inf. Raises ValueError if `supports(trainer)` is False, IndexError for a bad row index.
    """
    plan = _plan_for(trainer)
    kernel = kernels.epoch_kernel()
    idx = indices
    if not (isinstance(idx, np.ndarray) and idx.dtype == np.int64 and idx.ndim == 1
            and idx.flags.c_contiguous and idx.flags.writeable):
        idx = np.require(np.asarray(indices).reshape(-1), np.int64, ["C", "A", "W"])
    batch = _batch_size(trainer)
    _load_flat(plan)  # the kernel works on flat copies: the parameters change only if the epoch succeeds
    loss = kernel(plan.x, plan.y, idx, batch, plan.theta, plan.net, plan.opt, np.float32(trainer.learning_rate),
                  np.float32(trainer.regularization_rate), _epoch_of(trainer))
    loss = float(loss)
    if not (math.isfinite(loss) and np.isfinite(plan.theta).all()):
        return loss if not math.isfinite(loss) else math.nan  # diverged: parameters left as they were
    _store_flat(plan)
    return loss


def evaluate(trainer: Any) -> tuple[float, float, float | None, float | None, np.ndarray | None]:
    """(train_loss, test_loss, train_acc, test_acc, confusion) of `trainer.model` over its whole sets.

    The same figures as `Trainer.evaluate` on the torch path, within float rounding (no penalty;
    accuracies None for regression; test loss NaN, test accuracy and confusion None without test
    rows), from one compiled pass instead of ~20 torch op calls, in eval mode (no dropout; layer
    norm is the same in both modes). `confusion` is (C, C) test-set counts, rows = truth,
    C = max(n_classes, 2). Raises ValueError if `supports(trainer)` is False.
    """
    plan = _plan_for(trainer)
    for live, flat in plan.pairs:  # the live weights (edits included) into the kernel's buffer
        np.copyto(flat, live)
    figures, confusion = fused_flat.evaluate(plan.theta, plan.net, _eval_rows(plan, trainer.dataset))
    return figures + (confusion,)


def _eval_rows(plan: _Plan, dataset: Any) -> EvalSet:
    """Every train row then every test row, built once a plan (again if the data was replaced)."""
    sources = (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test)
    if plan.eval_rows is None or any(a is not b for a, b in zip(plan.eval_sources, sources)):
        plan.eval_rows = eval_set(dataset)
        plan.eval_sources = sources
    return plan.eval_rows


def train_epochs(trainer: Any, orders: np.ndarray, learning_rates: np.ndarray) -> BlockResult:
    """Train len(orders) epochs (epoch k on rows orders[k] at learning_rates[k]) and evaluate after
    each, all in one compiled call that holds the GIL for none of it.

    Stops at the first epoch that diverges (a non-finite loss, parameter or evaluation), with the
    parameters and optimizer state as they were before it (`done` < len(orders)). The model is
    updated in place with the last good weights. Raises ValueError if `supports(trainer)` is False.
    """
    plan = _plan_for(trainer)
    orders = np.require(orders, np.int64, ["C", "A", "W"])
    lrs = np.require(learning_rates, np.float32, ["C", "A", "W"]).reshape(-1)
    if orders.ndim != 2 or len(orders) != len(lrs):
        raise ValueError(f"train_epochs: {len(lrs)} learning rates for orders of shape {orders.shape}")
    batch = _batch_size(trainer)
    rows = _eval_rows(plan, trainer.dataset)
    _load_flat(plan)
    result = fused_flat.train_block(plan.x, plan.y, orders, batch, plan.theta, plan.net, plan.opt, lrs,
                                    trainer.regularization_rate, _epoch_of(trainer), rows)
    _store_flat(plan)  # the last good weights: the kernel rolled a bad epoch back
    return result


def warm_up() -> float:
    """Compile the kernels (or load them from numba's on-disk cache) now; returns the seconds taken.
    See fused_warmup.py, whose load_kernels() also runs it on a thread beside the torch import."""
    return fused_warmup.warm_up()