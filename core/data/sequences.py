"""Sequence data: generated noisy sine windows, the `memory` task, 1-D `patterns` and windows of a CSV column.

Sequences reach the model as flat rows (n, T·F), standardised per feature with the training rows' mean
and standard deviation; `Dataset.input_shape` (T, F) says how to view them, and the model unflattens
them before its first sequence layer. Exports take raw sequences (n, T, F). Torch-free.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from core.data.dataset import DataError
from core.echo import echo

PATTERN_NAMES = ("bump", "dip", "step up", "step down", "two bumps", "ramp up", "ramp down", "wave",
                 "inverse wave", "zigzag")
# Ten 12-point template shapes (MNIST-1D style), values in [-1, 1]; each sample stretches, scales,
# shears and shifts one of them inside the window.
_TEMPLATES = np.array([
    [0, 0, .3, .7, 1, 1, 1, .7, .3, 0, 0, 0],           # bump
    [0, 0, -.3, -.7, -1, -1, -1, -.7, -.3, 0, 0, 0],    # dip
    [-.6, -.6, -.6, -.6, -.6, 0, .8, .8, .8, .8, .8, .8],  # step up
    [.8, .8, .8, .8, .8, 0, -.6, -.6, -.6, -.6, -.6, -.6],  # step down
    [0, .8, 1, .8, 0, 0, 0, .8, 1, .8, 0, 0],           # two bumps
    [-1, -.8, -.6, -.4, -.2, 0, .2, .4, .6, .8, 1, 0],  # ramp up
    [0, 1, .8, .6, .4, .2, 0, -.2, -.4, -.6, -.8, -1],  # ramp down
    [0, .5, 1, .5, 0, 0, 0, -.5, -1, -.5, 0, 0],        # wave
    [0, -.5, -1, -.5, 0, 0, 0, .5, 1, .5, 0, 0],        # inverse wave
    [0, 1, 0, -1, 0, 1, 0, -1, 0, 1, 0, 0],             # zigzag
], dtype=np.float64)
MEMORY_DISTRACTOR_STD = 0.5  # the distractors' spread; `noise` blurs every value on top of it


def sequence_shape(spec: Any) -> tuple[int, int] | None:
    """(T, F) of the sequences `spec.data` names, or None for other data."""
    from core.data.sources import SOURCES

    data = spec.data
    record = SOURCES.get(getattr(data.source, "value", data.source))
    if record is None or not record.family.startswith("sequence"):
        return None
    return (sequence_length(data), 1)


def sequence_length(data: Any) -> int:
    """data.sequence_length, or the source's own default when it is not set."""
    from core.data.sources import SOURCES

    if data.sequence_length is not None:
        return int(data.sequence_length)
    return SOURCES[getattr(data.source, "value", data.source)].sequence_length


def step_names(shape: tuple[int, int]) -> tuple[str, ...]:
    """Column names of a flat sequence row: t1 .. tT (one feature) or f<j>_t<i> (several)."""
    steps, features = shape
    if features == 1:
        return tuple(f"t{i + 1}" for i in range(steps))
    return tuple(f"f{j + 1}_t{i + 1}" for i in range(steps) for j in range(features))


def sine(n: int, length: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n windows (n, length, 1) of a sine with random phase and frequency (1/40 to 1/8 cycles a step),
    plus Gaussian noise of std `noise`; the target (n,) is the (noisy) next value of the same series."""
    freq = rng.uniform(1 / 40, 1 / 8, n)
    phase = rng.uniform(0, 2 * np.pi, n)
    t = np.arange(length + 1, dtype=np.float64)
    series = np.sin(2 * np.pi * freq[:, None] * t[None] + phase[:, None])
    if noise > 0:
        series = series + rng.normal(0.0, noise, series.shape)
    series = series.astype(np.float32)
    return series[:, :length, None], series[:, length].copy()


def memory(n: int, length: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n sequences (n, length, 1): a first value of ±1 and distractors N(0, 0.5) after it; `noise` adds
    N(0, noise) to every value. The class (0/1 float) is the sign of the clean first value."""
    labels = rng.permutation(np.arange(n) % 2).astype(np.float32)
    x = rng.normal(0.0, MEMORY_DISTRACTOR_STD, (n, length))
    x[:, 0] = 2.0 * labels - 1.0
    if noise > 0:
        x = x + rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32)[:, :, None], labels


def patterns(n: int, length: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """n 1-D "digits" (n, length, 1) of the 10 PATTERN_NAMES (balanced, int64 labels), in the spirit of
    MNIST-1D: each template is stretched to 45-70 % of the window, scaled by 0.7-1.3, sheared by a
    ramp of up to ±0.3 and placed at a random offset; `noise` adds N(0, noise) to every value."""
    labels = rng.permutation(np.arange(n) % len(_TEMPLATES)).astype(np.int64)
    width = np.maximum(4, np.round(rng.uniform(0.45, 0.7, n) * length)).astype(np.int64)
    width = np.minimum(width, length)
    start = (rng.uniform(0, 1, n) * (length - width + 1)).astype(np.int64)
    scale = rng.uniform(0.7, 1.3, n)
    shear = rng.uniform(-0.3, 0.3, n)
    t = np.arange(length)[None]
    u = (t - start[:, None]) / np.maximum(width - 1, 1)[:, None]  # 0..1 across the stretched template
    inside = (u >= 0) & (u <= 1)
    pos = np.clip(u, 0, 1) * (_TEMPLATES.shape[1] - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.minimum(lo + 1, _TEMPLATES.shape[1] - 1)
    frac = pos - lo
    shape = _TEMPLATES[labels[:, None], lo] * (1 - frac) + _TEMPLATES[labels[:, None], hi] * frac
    x = np.where(inside, shape * scale[:, None], 0.0) + shear[:, None] * (t / max(length - 1, 1) - 0.5)
    if noise > 0:
        x = x + rng.normal(0.0, noise, x.shape)
    return x.astype(np.float32)[:, :, None], labels


def csv_series(path: str | Path, column: str, length: int) -> tuple[np.ndarray, np.ndarray, str]:
    """Windows (n, length, 1) of consecutive values of a numeric CSV column, each with the next value
    as its target (n,), in file order, and a description. DataError names what is wrong."""
    from core.data import tabular

    path = Path(path)
    where = f"CSV file {echo(str(path))}"
    raw, text = tabular._read_text(path, where)
    sep = tabular.sniff_delimiter(text)
    df = tabular._parse(raw, text, sep, where)
    column = tabular._resolve_target(df, column, where)
    tabular._check_ragged_if_gaps(df, text, sep, where)
    tabular._check_huge_cells(df, [column], where)
    values, _ = tabular.encode_target(df[column], column, "regression", where, decimal_comma=(sep == ";"))
    windows = len(values) - length
    if windows < 2:
        raise DataError(f"{where}: column {echo(column)} has {len(values)} values, too few for windows of "
                        f"{length} values and the next one to predict (it needs at least {length + 2}); "
                        "lower data.sequence_length or use a longer file")
    index = np.arange(length)[None] + np.arange(windows)[:, None]
    x = values[index].astype(np.float32)[:, :, None]
    y = values[length:].astype(np.float32).copy()
    return x, y, f"{path.name}: column {echo(column)}, {len(values)} values → {windows} windows of {length}"
