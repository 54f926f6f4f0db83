"""NetPlan: the network as the fused kernels read it (numpy only, so the kernels and their warm-up
load without torch)."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from core.engines.dropout_mask import keep_scale, keep_threshold, run_key


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


def make_plan(widths: list[int], acts: list[int], act_params: list[float], dropouts: list[float],
              norm_eps: list[float | None], offsets: list[int], norm_offsets: list[int], loss_code: int,
              squash: bool, seed: int) -> NetPlan:
    """A NetPlan from plain per-Linear lists: its fused_act code and parameter, the dropout after it, the
    eps of the layer norm after it (None: none), where its weight and its norm's weight start in theta
    (-1: no norm). Read from a torch model (fused_layout.net_plan) or from a spec (core/training/prelude.py)."""
    return NetPlan(
        offsets=np.asarray(offsets, np.int64), acts=np.asarray(acts, np.int64),
        act_params=np.asarray(act_params, np.float32), widths=np.asarray(widths, np.int64),
        loss_code=int(loss_code), squash=bool(squash),
        drop_thresholds=np.asarray([keep_threshold(p) for p in dropouts], np.int64),
        drop_scales=np.asarray([keep_scale(p) if p else 1.0 for p in dropouts], np.float32),
        drop_run=run_key(int(seed)),
        norm_offsets=np.asarray(norm_offsets, np.int64),
        norm_eps=np.asarray([eps if eps is not None else 0.0 for eps in norm_eps], np.float32),
    )
