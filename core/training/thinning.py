"""The one rule that bounds a loss curve's memory: thin old epochs, keep every spike and dip.

Used by the run's history (core.training.history.LossHistory) and the window's loss plot alike.
The newest `recent` rows stay one per epoch; older rows are grouped into buckets of `stride` epochs
(a power of two, doubled as the run grows, so old epochs are thinned evenly along the axis) and each
bucket keeps only the rows holding its lowest and highest train and test loss.
"""

from __future__ import annotations

import numpy as np

PER_BUCKET = 4  # an old bucket keeps the rows of its min and max train and test loss


def bucket_extremes(buckets: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Row indices of the lowest and the highest value in each bucket (buckets ascending).
    NaN / inf count as the highest, so a divergence stays visible."""
    values = np.where(np.isfinite(values), values, np.inf)
    order = np.lexsort((values, buckets))           # by bucket, then by value
    sorted_buckets = buckets[order]
    first = np.flatnonzero(np.r_[True, sorted_buckets[1:] != sorted_buckets[:-1]])
    last = np.r_[first[1:] - 1, len(order) - 1]
    return np.concatenate([order[first], order[last]])


def thin(epochs: np.ndarray, train_loss: np.ndarray, test_loss: np.ndarray, *, recent: int,
         max_points: int, stride: int) -> tuple[np.ndarray, int]:
    """Rows to keep (ascending) and the bucket stride now in force, for a full buffer of rows.

    The rows older than the newest `recent` shrink to at most half the room they may take, so the
    next thinning is at least that many appends away (appending stays amortised O(1)).
    """
    n = len(epochs)
    old = n - recent
    if old <= 0:
        return np.arange(n), stride
    span = float(epochs[old - 1] - epochs[0]) + 1.0
    budget = max(1, (max_points - recent) // 2)
    stride = max(stride, 2)
    while PER_BUCKET * (span / stride + 1) > budget:
        stride *= 2
    buckets = np.floor(np.asarray(epochs[:old], dtype=np.float64) / stride).astype(np.int64)
    keep = np.zeros(old, dtype=bool)
    for losses in (train_loss, test_loss):
        keep[bucket_extremes(buckets, np.asarray(losses[:old], dtype=np.float64))] = True
    return np.r_[np.flatnonzero(keep), np.arange(old, n)], stride
