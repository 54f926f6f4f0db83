"""Input features and preprocessing in numpy: what builds the training arrays.

core/data/input_modules.py does the same as torch modules for exports. This module never imports torch, so
the data loads (and the window's first epochs train) before torch has been imported.
"""

from collections.abc import Iterable

import numpy as np

from core.echo import echo
from core.spec import Feature

FEATURE_ORDER: tuple[Feature, ...] = tuple(Feature)  # x1, x2, x1^2, x2^2, x1*x2, sin(x1), sin(x2)
FEATURE_CODES = {f: i for i, f in enumerate(FEATURE_ORDER)}


def feature_names(features: Iterable[Feature | str]) -> tuple[str, ...]:
    """Validated feature names (Feature values) in the given order."""
    names = []
    for f in features:
        try:
            names.append(Feature(f).value)
        except ValueError:
            allowed = ", ".join(x.value for x in FEATURE_ORDER)
            raise ValueError(f"unknown feature {echo(f)}; choose from {allowed}") from None
    if not names:
        raise ValueError("choose at least one feature")
    return tuple(names)


def compute_features(points: np.ndarray, features: Iterable[Feature | str]) -> np.ndarray:
    """float32 (n, k): the chosen features of raw (n, 2) points, columns in the order given."""
    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ValueError(f"features need points of shape (n, 2), got {pts.shape}")
    x1, x2 = pts[:, 0], pts[:, 1]
    table = {
        Feature.x1: lambda: x1,
        Feature.x2: lambda: x2,
        Feature.x1_squared: lambda: x1 * x1,
        Feature.x2_squared: lambda: x2 * x2,
        Feature.x1_times_x2: lambda: x1 * x2,
        Feature.sin_x1: lambda: np.sin(x1),
        Feature.sin_x2: lambda: np.sin(x2),
    }
    cols = [table[Feature(name)]() for name in feature_names(features)]
    return np.stack(cols, axis=1).astype(np.float32, copy=False)


def standardize(raw: np.ndarray, mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """float32 (raw - mean) / std, the numpy twin of `Standardize`."""
    raw = np.asarray(raw, dtype=np.float32)
    return ((raw - np.asarray(mean, np.float32)) / np.asarray(std, np.float32)).astype(np.float32, copy=False)


def fit_standardization(raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 column mean and std of `raw`; a constant column gets std 1 so it maps to 0, not NaN."""
    values = np.asarray(raw, dtype=np.float64)
    mean = values.mean(axis=0)
    std = values.std(axis=0)
    std = np.where(np.isfinite(std) & (std > 1e-12 * np.maximum(1.0, np.abs(mean))), std, 1.0)
    return mean.astype(np.float32), std.astype(np.float32)


def grid_points(extent: tuple[float, float, float, float], resolution: int) -> np.ndarray:
    """(resolution², 2) float32 raw points (x1, x2) covering `extent` (x1 min, max, x2 min, max), row-major,
    row 0 the lowest x2: where the decision-boundary picture is evaluated."""
    x1min, x1max, x2min, x2max = extent
    xs = np.linspace(x1min, x1max, resolution, dtype=np.float32)
    ys = np.linspace(x2min, x2max, resolution, dtype=np.float32)
    gx, gy = np.meshgrid(xs, ys)  # gx[i, j] = xs[j], gy[i, j] = ys[i]
    return np.stack([gx.ravel(), gy.ravel()], axis=1)
