"""NetPlan: the network as the fused kernels read it (numpy only, so the kernels and their warm-up
load without torch)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class NetPlan(NamedTuple):
    """What the kernels need to run the net forward and backward (no parameters: those are theta)."""

    offsets: np.ndarray           # int64: where each Linear's weight starts in theta (its bias follows)
    acts: np.ndarray              # int64 fused_act codes
    act_params: np.ndarray        # float32
    widths: np.ndarray            # int64 [inputs, hidden..., outputs]
    loss_code: int
    squash: bool                  # the loss applies to sigmoid(logit)
    drop_thresholds: np.ndarray   # int64 per Linear: dropout_mask.keep_threshold (0: no dropout)
    drop_scales: np.ndarray       # float32 per Linear: dropout_mask.keep_scale
    drop_run: np.uint64           # dropout_mask.run_key(seed)
    norm_offsets: np.ndarray      # int64 per Linear: where its layer norm's weight starts in theta
                                  # (its bias follows), -1 without one
    norm_eps: np.ndarray          # float32 per Linear: the layer norm's eps
