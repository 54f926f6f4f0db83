"""The 2-D toy sets: TensorFlow Playground's generators (same geometry, same meaning of noise) plus moons
and checkerboard, all on the [-6, 6]² plane.

`noise` is Playground's fraction (its UI shows 0-50 %, i.e. 0.0-0.5; larger values extrapolate).
Every generator takes `(n, noise, rng)` with a numpy Generator and returns
`(points float32 (n, 2), labels)`: int64 0/1 class labels for classification (Playground's -1 becomes 0),
float32 values for regression. `n` is the total number of points.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from core.data.sources import SOURCES, TOY_SOURCES, DataSource
from core.registry import resolve

Generated = tuple[np.ndarray, np.ndarray]
ToyGenerator = Callable[[int, float, np.random.Generator], Generated]

RADIUS = 6.0  # the plane is [-RADIUS, RADIUS]²; the boundary grid uses the same extent


def _split_counts(n: int) -> tuple[int, int]:
    """(positives, negatives) for a two-class set of n points in total."""
    return n - n // 2, n // 2


def _polar(r: np.ndarray, angle: np.ndarray) -> np.ndarray:
    # Playground's convention: x = r sin(angle), y = r cos(angle)
    return np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)


def _finish(points: np.ndarray, labels: np.ndarray) -> Generated:
    return points.astype(np.float32), labels


def circle(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Class 1 inside radius 2.5, class 0 in the ring 3.5-5; the label is read from the point moved by
    U(-5, 5)·noise on each axis, so noise flips labels near the gap (points stay where they are)."""
    radius = 5.0
    n_pos, n_neg = _split_counts(n)
    r = np.concatenate([rng.uniform(0.0, radius * 0.5, n_pos), rng.uniform(radius * 0.7, radius, n_neg)])
    points = _polar(r, rng.uniform(0.0, 2 * np.pi, n))
    shifted = points + rng.uniform(-radius, radius, (n, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return _finish(points, labels)


def xor(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Points in [-5, 5]² pushed 0.3 away from the axes; class 1 where x·y >= 0 after moving the point by
    U(-5, 5)·noise per axis (label noise only)."""
    padding = 0.3
    points = rng.uniform(-5.0, 5.0, (n, 2))
    points += np.where(points > 0, padding, -padding)
    shifted = points + rng.uniform(-5.0, 5.0, (n, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return _finish(points, labels)


def gauss(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Two Gaussian blobs, class 1 at (2, 2) and class 0 at (-2, -2); the variance grows linearly from
    0.5 at noise 0 to 4 at noise 0.5, so the blobs overlap more."""
    variance = 0.5 + (4.0 - 0.5) * (noise / 0.5)
    n_pos, n_neg = _split_counts(n)
    centres = np.concatenate([np.full((n_pos, 2), 2.0), np.full((n_neg, 2), -2.0)])
    points = centres + rng.normal(0.0, np.sqrt(variance), (n, 2))
    labels = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    return _finish(points, labels)


def spiral(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Two interleaved spirals (class 1 and class 0, half a turn apart) of 1.75 turns out to radius 5;
    each point is moved by U(-1, 1)·noise per axis."""
    half = n / 2.0
    n_pos, n_neg = _split_counts(n)
    i = np.concatenate([np.arange(n_pos), np.arange(n_neg)]).astype(np.float64)
    delta = np.concatenate([np.zeros(n_pos), np.full(n_neg, np.pi)])
    r = i / half * 5.0
    t = 1.75 * i / half * 2 * np.pi + delta
    points = _polar(r, t) + rng.uniform(-1.0, 1.0, (n, 2)) * noise
    labels = np.concatenate([np.ones(n_pos, np.int64), np.zeros(n_neg, np.int64)])
    return _finish(points, labels)


def moons(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Two interleaving half circles (scikit-learn's moons) scaled by 3 and centred on the plane; class 0
    is the upper moon. Noise moves each point by a Gaussian with standard deviation 2·noise."""
    scale = 3.0
    n_pos, n_neg = _split_counts(n)
    t = rng.uniform(0.0, np.pi, n)
    upper = np.stack([np.cos(t[:n_neg]), np.sin(t[:n_neg])], axis=1)
    lower = np.stack([1.0 - np.cos(t[n_neg:]), 0.5 - np.sin(t[n_neg:])], axis=1)
    points = (np.concatenate([upper, lower]) - np.array([0.5, 0.25])) * scale
    points += rng.normal(0.0, 2.0 * noise, (n, 2))
    labels = np.concatenate([np.zeros(n_neg, np.int64), np.ones(n_pos, np.int64)])
    return _finish(points, labels)


def checkerboard(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """A 4×4 board of 3-wide squares over [-6, 6]²; like xor, the label is read from the point moved by
    U(-3, 3)·noise per axis (one square width), so noise flips labels near the edges."""
    cell = 3.0
    points = rng.uniform(-RADIUS, RADIUS, (n, 2))
    shifted = points + rng.uniform(-cell, cell, (n, 2)) * noise
    squares = np.floor((shifted + RADIUS) / cell).astype(np.int64)
    labels = ((squares[:, 0] + squares[:, 1]) % 2 == 0).astype(np.int64)
    return _finish(points, labels)


def plane(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Regression on a tilted plane: value (x + y) / 10 (so -1.2..1.2 on the plane), read at the point
    moved by U(-6, 6)·noise per axis."""
    points = rng.uniform(-RADIUS, RADIUS, (n, 2))
    shifted = points + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    values = (shifted[:, 0] + shifted[:, 1]) / 10.0
    return _finish(points, values.astype(np.float32))


# Playground's six bumps: (centre x, centre y, sign)
GAUSSIANS = ((-4.0, 2.5, 1.0), (0.0, 2.5, -1.0), (4.0, 2.5, 1.0),
             (-4.0, -2.5, -1.0), (0.0, -2.5, 1.0), (4.0, -2.5, -1.0))


def multi_gauss_value(points: np.ndarray) -> np.ndarray:
    """The multi-Gaussian surface: of the six signed bumps 1 - d/2 (clamped to [0, 1]) the one largest in
    absolute value wins, so values lie in [-1, 1]."""
    points = np.asarray(points, dtype=np.float64)
    best = np.zeros(len(points))
    for cx, cy, sign in GAUSSIANS:
        d = np.hypot(points[:, 0] - cx, points[:, 1] - cy)
        value = sign * np.clip(1.0 - d / 2.0, 0.0, 1.0)
        best = np.where(np.abs(value) > np.abs(best), value, best)
    return best


def multi_gauss(n: int, noise: float, rng: np.random.Generator) -> Generated:
    """Regression on six signed bumps (Playground's 'multi-Gaussian'), value read at the point moved by
    U(-6, 6)·noise per axis."""
    points = rng.uniform(-RADIUS, RADIUS, (n, 2))
    shifted = points + rng.uniform(-RADIUS, RADIUS, (n, 2)) * noise
    return _finish(points, multi_gauss_value(shifted).astype(np.float32))


def generate(source: DataSource | str, n: int, noise: float, seed: int | np.random.Generator = 0) -> Generated:
    """Points and labels of a toy set; the same seed always gives the same set."""
    source = DataSource(source)
    if source not in TOY_SOURCES:
        raise ValueError(f"'{source.value}' is not a 2-D toy set; choose one of "
                         + ", ".join(s.value for s in TOY_SOURCES))
    if n < 1:
        raise ValueError(f"a toy set needs at least 1 point, got {n}")
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    return resolve(SOURCES[source].load)(int(n), float(noise), rng)


# The generators by source (a view of the records, for callers that iterate over the toy sets).
TOY_GENERATORS: dict[DataSource, ToyGenerator] = {s: resolve(SOURCES[s].load) for s in TOY_SOURCES}
