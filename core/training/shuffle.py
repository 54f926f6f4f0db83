"""The order in which each epoch visits the training rows: a pure function of (seed, epoch, row).

Every row gets a 64-bit key from a counter-based hash (splitmix64's finaliser) of the seed, the
epoch and its index; the epoch's order is the rows sorted by key. So any epoch's order can be made
without replaying the ones before it (resuming a checkpoint, the torch and fused paths agreeing),
and a block of epochs is one vectorised numpy call: ~4 µs an epoch for 250 rows against ~14 µs
for a seeded `np.random.Generator` per epoch, and numpy's sort runs without the GIL, which the
window's thread needs.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def _splitmix(z: np.ndarray) -> np.ndarray:
    """splitmix64's output function, element-wise (wrapping uint64 arithmetic)."""
    z = (z ^ (z >> np.uint64(30))) * _MIX1
    z = (z ^ (z >> np.uint64(27))) * _MIX2
    return z ^ (z >> np.uint64(31))


def epoch_orders(seed: int, first_epoch: int, count: int, n_rows: int) -> np.ndarray:
    """(count, n_rows) int64: row k is the visiting order of epoch `first_epoch + k`."""
    if count < 0 or n_rows < 0 or first_epoch < 0:
        raise ValueError(f"epoch_orders needs counts >= 0, got first_epoch={first_epoch}, "
                         f"count={count}, n_rows={n_rows}")
    with np.errstate(over="ignore"):
        stream = _splitmix(np.uint64(seed % 2**64) * _GOLDEN + _GOLDEN)
        epochs = _splitmix(stream ^ (np.arange(first_epoch, first_epoch + count, dtype=np.uint64) * _GOLDEN))
        keys = _splitmix(epochs[:, None] + np.arange(n_rows, dtype=np.uint64)[None, :] * _MIX2)
    # Equal 64-bit keys (odds ~n²/2^65) are the only way two machines could order rows differently.
    return np.argsort(keys, axis=1).astype(np.int64, copy=False)


def batches_per_epoch(n_rows: int, batch_size: int) -> int:
    """Minibatches in an epoch of `n_rows` rows: batch_size rows each, the last may be short (without batch
    norm, which joins a trailing 1-row batch to the one before: Trainer.batch_bounds)."""
    return -(-n_rows // max(1, min(batch_size, n_rows)))
