"""The fused engine's own gradients on a few training rows, for the training-health statistics.

The epoch kernel already computes the exact gradient of the mean batch loss; run once on one batch
(the rows asked for) with learning rate 0 and plain SGD whose momentum buffer starts at zero, its
update `buf = momentum * 0 + g` leaves each parameter's gradient, bit for bit, in that buffer and the
weights untouched. So the figures are the kernel's, with no new compiled code and no recompile (the
arguments have the training call's types). Dropout is switched off and the penalty left out: the
health panel shows the gradient of the data loss of the model as it predicts.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.engines import fused, fused_kernels, fused_optim


def weight_gradients(trainer: Any, n_rows: int) -> tuple[list[np.ndarray], float]:
    """(each Linear's weight gradient (out, in), input side first; the mean loss) of the first `n_rows`
    training rows, from the fused epoch kernel. Raises ValueError where the fused engine cannot run."""
    plan = fused._plan_for(trainer)
    kernel = fused_kernels.epoch_kernel()
    for live, flat in plan.pairs:  # the live weights (edits included), as evaluate() reads them
        np.copyto(flat, live)
    theta = plan.theta.copy()  # lr 0 leaves it alone, but a NaN gradient would not: a scratch copy
    rows = max(1, min(int(n_rows), len(plan.x)))
    hyper = np.zeros(fused_optim.N_HYPER, np.float64)
    hyper[fused_optim.HP_MOMENTUM] = 1.0
    opt = fused_kernels.KernelOptimizer(
        code=fused_optim.SGD, hyper=hyper, state=np.zeros((1, len(theta)), np.float32), step=np.zeros(1, np.float64),
        factors=np.zeros(fused_optim.N_FACTORS, np.float64), counts_steps=False, reg_code=fused_optim.REG_NONE,
        with_penalty=plan.opt.with_penalty)
    net = plan.net._replace(drop_thresholds=np.zeros_like(plan.net.drop_thresholds))
    loss = kernel(plan.x, plan.y, np.arange(rows, dtype=np.int64), rows, theta, net, opt, np.float32(0.0),
                  np.float32(0.0), int(getattr(trainer, "epoch", 0)))
    grads = []
    widths = net.widths
    for k, start in enumerate(net.offsets):
        n_out, n_in = int(widths[k + 1]), int(widths[k])
        grads.append(opt.state[0, start:start + n_out * n_in].reshape(n_out, n_in).copy())
    return grads, float(loss)
