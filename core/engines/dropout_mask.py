"""Dropout masks as a pure function of (seed, epoch, layer, position in the epoch, unit).

Each element gets a 64-bit key from splitmix64's finaliser (as core/training/shuffle.py orders rows); it is
kept when the key's top 53 bits reach `keep_threshold(p)`. So the torch and fused engines drop
the same units (parity tests compare them), a run is the same whatever else used torch's random
generator, and a resumed checkpoint drops what the uninterrupted run would have. The position is
the row's place in the epoch's shuffled order (batch start + row in batch): it fixes the step too.
`element_kept` is plain Python on uint64 scalars; the fused engine compiles it.
"""

from __future__ import annotations

import numpy as np

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_SALT = np.uint64(0xD50D0D0D5EED0001)  # keeps dropout keys apart from the shuffle's
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_ONE = np.uint64(1)
_UNIT_BITS = 53  # a key's top 53 bits, compared with p * 2**53


def _mix(z):
    """splitmix64's output function (wrapping uint64; works on scalars and arrays)."""
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def run_key(seed: int) -> np.uint64:
    """The run's dropout stream, from the experiment seed."""
    with np.errstate(over="ignore"):
        return _mix(np.uint64(seed % 2**64) * _GOLDEN + _SALT)


def keep_threshold(p: float) -> np.int64:
    """Elements whose key's top 53 bits are >= this are kept (probability 1 - p)."""
    return np.int64(round(float(p) * 2.0**_UNIT_BITS))


def keep_scale(p: float) -> np.float32:
    """What a kept element is multiplied by, as torch computes it: float32 1 / (1 - p)."""
    return np.float32(1.0) / np.float32(1.0 - p)


# The two scalar functions below spell splitmix64 out: the fused engine compiles them alone.


def layer_key(run, epoch, layer):
    """The key of one dropout layer (1 = after hidden layer 1) in one epoch."""
    z = run ^ (np.uint64(epoch) * _GOLDEN + _ONE)
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = (z ^ (z >> _S31)) + np.uint64(layer) * _MIX1
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


def element_kept(key, position, n_units, unit, threshold):
    """Whether unit `unit` of the row at `position` in the epoch's order is kept (scalar version)."""
    z = key + (np.uint64(position) * np.uint64(n_units) + np.uint64(unit) + _ONE) * _MIX2
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    z = z ^ (z >> _S31)
    return np.int64(z >> _S11) >= threshold


def batch_mask(seed: int, epoch: int, layer: int, first_position: int, n_rows: int, n_units: int,
               p: float) -> np.ndarray:
    """(n_rows, n_units) float32: 0 for dropped elements, keep_scale(p) for kept ones, for the rows at
    positions first_position .. first_position + n_rows - 1 of `epoch`'s order."""
    with np.errstate(over="ignore"):
        key = layer_key(run_key(seed), np.uint64(epoch), np.uint64(layer))
        positions = np.arange(first_position, first_position + n_rows, dtype=np.uint64)[:, None]
        units = np.arange(n_units, dtype=np.uint64)[None, :]
        z = _mix(key + (positions * np.uint64(n_units) + units + _ONE) * _MIX2)
    kept = (z >> _S11).astype(np.int64) >= keep_threshold(p)
    return np.where(kept, keep_scale(p), np.float32(0.0)).astype(np.float32, copy=False)
