"""What the fused engine can run and what an epoch costs on it, read from the spec alone (no torch).

core/engines/fused.py asks these when a Trainer chooses its engine; the window's first epochs, trained
before torch has loaded (core/training/prelude.py), ask them too.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from core.engines import fused_kernels as kernels
from core.nn.losses import LOSSES, Loss
from core.nn.optimizers import OPTIMIZERS
from core.spec import RegularizationKind, Task
from core.training.shuffle import batches_per_epoch

REG_CODES = {RegularizationKind.none: kernels.REG_NONE, RegularizationKind.l1: kernels.REG_L1,
             RegularizationKind.l2: kernels.REG_L2}

# Per-epoch cost models, fitted to benchmarks/crossover.py on the 2-core dev machine (torch 2.13, one
# thread; spiral, two relu layers of 8..512 units, batches 10..250, SGD and Adam). Fused: multiply-adds
# (3 per weight per row: forward, backward, gradient) at ~2.3e10/s, since layers of >= 256 weights go
# through single-threaded BLAS (re-fitted 2026-12-02 on widths 64..512: 31 of 32 rows right, the miss
# Adam at batch 250 and width 512, where torch runs at 0.7x; plain loops made it ~9e9/s), plus the
# optimizer's pass over every parameter each step, plus a fixed cost per epoch (evaluation,
# bookkeeping). Torch: ~200 µs per Linear per minibatch in op calls (~20 % more for the adaptive
# optimizers' steps), plus BLAS, whose rate grows with the batch:
# TORCH_MACS_PER_SECOND * b / (b + TORCH_HALF_RATE_BATCH).
FUSED_MACS_PER_SECOND = 2.3e10
FUSED_SECONDS_PER_PARAMETER_STEP = {"sgd": 3.5e-9, "adaptive": 4.5e-9}
FUSED_SECONDS_PER_EPOCH = 2e-4
TORCH_MACS_PER_SECOND = 2.4e10
TORCH_HALF_RATE_BATCH = 25.0
TORCH_SECONDS_PER_LAYER_STEP = {"sgd": 200e-6, "adaptive": 240e-6}
MAX_BUFFER_ELEMENTS = 32_000_000


def numba_available() -> bool:
    # scipy too: numba's np.dot (the kernels' BLAS calls for wide layers) goes through its BLAS
    return importlib.util.find_spec("numba") is not None and importlib.util.find_spec("scipy") is not None


def loss_code(spec: Any, n_outputs: int) -> tuple[int | None, bool, str]:
    """(kernel loss code, whether it applies to sigmoid(logit), "") or (None, False, why not)."""
    loss = Loss(spec.loss)
    record = LOSSES[loss]
    if Task(spec.task) == Task.autoencoder:  # the kernels read the targets from the inputs
        if loss == Loss.mse:
            return kernels.RECON_MSE, False, ""
        return None, False, f"an autoencoder's '{loss.value}' loss is not on the fused engine (mse is)"
    if not record.fused:
        return None, False, f"loss '{loss.value}' is not on the fused engine"
    if n_outputs > 1:
        if loss == Loss.cross_entropy:
            return kernels.SOFTMAX_CE, False, ""
        return None, False, f"loss '{loss.value}' needs one output; this model has {n_outputs}"
    if Task(spec.task) == Task.regression:
        if record.regression and record.fused:
            return getattr(kernels, record.fused), False, ""
        return None, False, f"loss '{loss.value}' does not fit regression"
    if loss in (Loss.bce, Loss.cross_entropy):  # cross entropy on one logit is bce
        return kernels.BCE, False, ""
    if loss == Loss.hinge:
        return kernels.HINGE, False, ""
    return getattr(kernels, record.fused), record.on_probability, ""


def optimizer_name(spec: Any) -> str:
    return getattr(spec.optimizer.name, "value", str(spec.optimizer.name))


def estimated_epoch_seconds(widths: list[int], n_rows: int, batch_size: int,
                            optimizer: str = "sgd") -> tuple[float, float]:
    """(fused, torch) rough seconds per epoch for Linear widths [inputs, hidden..., outputs] trained
    with `optimizer` (an OptimizerName value; anything but 'sgd' costs as the adaptive ones do)."""
    record = OPTIMIZERS.get(optimizer)
    kind = "adaptive" if record is None or record.adaptive else "sgd"
    macs = 3.0 * n_rows * sum(a * b for a, b in zip(widths, widths[1:]))
    n_params = sum(a * b + b for a, b in zip(widths, widths[1:]))
    batch = max(1, min(batch_size, n_rows))
    steps = batches_per_epoch(n_rows, batch_size)
    fused_s = (macs / FUSED_MACS_PER_SECOND + steps * n_params * FUSED_SECONDS_PER_PARAMETER_STEP[kind]
               + FUSED_SECONDS_PER_EPOCH)
    blas = TORCH_MACS_PER_SECOND * batch / (batch + TORCH_HALF_RATE_BATCH)
    torch_s = steps * (len(widths) - 1) * TORCH_SECONDS_PER_LAYER_STEP[kind] + macs / blas
    return fused_s, torch_s


def buffers_too_large(widths: list[int], rows: int) -> bool:
    """Whether a batch of `rows` through Linear widths [inputs, hidden..., outputs] overflows the
    kernels' work buffers."""
    return len(widths) * max(widths) * rows * 5 > MAX_BUFFER_ELEMENTS
