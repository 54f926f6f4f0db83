"""Load the fused engine's kernels (numba's on-disk cache, or a first compile) without torch.

The window's first epochs wait for these kernels (~1 s from numba's disk cache) and nothing else: they
train before torch has loaded (core/training/prelude.py). Each run begins `load_kernels()` on a daemon
thread, so the load overlaps the torch import where a run needs torch first. On a machine's first run the
kernels compile for about a minute (45 s on two cores): the run then trains on torch meanwhile
(`Trainer.hold_fused`) instead of waiting. Nothing here imports torch. The garbage collector pauses while
the kernels load (core/engines/gc_pause.py).
"""

from __future__ import annotations

import time

import numpy as np

from core.background import OnceThread


def warm_up() -> float:
    """Compile the kernels (or load them from the cache) now; returns the seconds taken. Cheap once done."""
    from core.engines import fused_kernels as kernels
    from core.engines import fused_optim
    from core.engines.fused_plan import NetPlan

    t0 = time.perf_counter()
    x, y, theta = np.zeros((1, 1), np.float32), np.zeros(1, np.float32), np.zeros(2, np.float32)
    net = NetPlan(offsets=np.zeros(1, np.int64), acts=np.zeros(1, np.int64), act_params=np.zeros(1, np.float32),
                  widths=np.ones(2, np.int64), loss_code=kernels.BCE, squash=False,
                  drop_thresholds=np.zeros(1, np.int64), drop_scales=np.ones(1, np.float32),
                  drop_run=np.uint64(0), norm_offsets=np.full(1, -1, np.int64), norm_eps=np.zeros(1, np.float32))
    opt = kernels.KernelOptimizer(code=fused_optim.SGD, hyper=np.zeros(fused_optim.N_HYPER),
                                  state=np.zeros((1, 1), np.float32), step=np.zeros(1),
                                  factors=np.zeros(fused_optim.N_FACTORS), counts_steps=False,
                                  reg_code=kernels.REG_NONE, with_penalty=True)
    kernels.epoch_kernel()(x, y, np.zeros(1, np.int64), 1, theta, net, opt, np.float32(0.0), np.float32(0.0), 0)
    kernels.eval_kernel()(x, y, 1, theta, net, True, 2, np.zeros(4, np.int64))
    kernels.block_kernel()(x, y, np.zeros((1, 1), np.int64), 1, theta, net, opt, np.zeros(1, np.float32),
                           np.float32(0.0), 0, x, y, 1, True, 2, np.zeros(4, np.int64), np.zeros(2, np.float32),
                           np.zeros((1, 1), np.float32), np.zeros((1, kernels.STATS_COLUMNS), np.float64))
    return time.perf_counter() - t0


def load_kernels() -> OnceThread:
    """`warm_up()` begun now on a daemon thread for one run, which asks later whether it is over (`ready`,
    `join`). Once the kernels are in, a later load ends at once; loads at the same time wait for one compile
    (numba's lock). A failure is left for the fused engine's own first call, which reports it and falls
    back to torch."""
    load = OnceThread(lambda: warm_up(), "fused-warm-up")  # the warm_up of the moment (tests make it slow)
    load.start()
    return load
