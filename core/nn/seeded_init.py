"""The initial weights torch gives a chain of nn.Linear layers after `torch.manual_seed(seed)`, drawn in
numpy without importing torch.

The window trains its first epochs before torch has loaded (core/training/prelude.py); to be the same run
the Trainer would have trained, they must start from the weights `build_model` draws. torch's CPU
generator is MT19937 seeded with the seed's low 32 bits (numpy's `RandomState` is the same generator),
and `uniform_(a, b)` turns each 32-bit draw into (draw & (2**24 - 1)) / 2**24 * (b - a) + a in float32,
with the multiply-add fused (one rounding). nn.Linear draws its weight (kaiming_uniform with a = √5,
i.e. bound 1/√fan_in after torch's own float64 arithmetic), then its bias (bound 1/√fan_in), layer by
layer. A test compares this with torch for many seeds and widths.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

_MASK24 = np.uint64((1 << 24) - 1)
_TWO_TO_MINUS_24 = np.float32(2.0 ** -24)


def _kaiming_bound(fan_in: int) -> float:
    """nn.init.kaiming_uniform_(a=√5)'s bound, with torch's operations in torch's order."""
    gain = math.sqrt(2.0 / (1 + math.sqrt(5) ** 2))
    std = gain / math.sqrt(fan_in)
    return math.sqrt(3.0) * std


def _uniform(draws: np.random.RandomState, n: int, low: float, high: float) -> np.ndarray:
    """n float32 values as torch's CPU `uniform_(low, high)` makes them from the same generator."""
    raw = draws.randint(0, 2 ** 32, size=n, dtype=np.uint64)
    x = ((raw & _MASK24).astype(np.float32) * _TWO_TO_MINUS_24).astype(np.float64)
    lo, hi = np.float32(low), np.float32(high)
    # x * (hi - lo) is exact in float64 (24-bit by 24-bit), so adding lo there and rounding once is
    # the fused multiply-add torch's kernel compiles to.
    return (x * np.float64(hi - lo) + np.float64(lo)).astype(np.float32)


def linear_init(seed: int, widths: Sequence[int]) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight (out, in), bias (out,)) of nn.Linear(widths[k], widths[k + 1]) for each k, float32, as
    torch.manual_seed(seed) followed by building those layers in order gives them."""
    draws = np.random.RandomState(int(seed) & 0xFFFFFFFF)
    layers = []
    for n_in, n_out in zip(widths, widths[1:]):
        w_bound = _kaiming_bound(n_in)
        weight = _uniform(draws, n_out * n_in, -w_bound, w_bound).reshape(n_out, n_in)
        b_bound = 1 / math.sqrt(n_in)
        layers.append((weight, _uniform(draws, n_out, -b_bound, b_bound)))
    return layers
