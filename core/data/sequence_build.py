"""sequence_dataset(spec): generate or read the sequences an Experiment names, split and standardise them.

Rows are flat (n, T·F) like images; each feature is standardised with one mean and standard deviation
fitted on the training rows (the same at every time step, so a window slid one step still reads alike).
Regression targets (the next value) are standardised as for tables: losses in units where 1.0 =
predicting the mean. The user's series (csv_series) is split in time order: test windows come after
the training windows, so overlapping windows never leak the test values into training.
"""

from __future__ import annotations

import numpy as np

from core.data import sequences
from core.data.build import fit_target_standardization, split_indices, standardize_target
from core.data.dataset import DataError, Dataset
from core.data.features import standardize
from core.data.sources import SOURCES
from core.registry import resolve
from core.spec import DataSource, Experiment, Task


def sequence_dataset(spec: Experiment) -> Dataset:
    """The Dataset of a sequence source: x_* flat standardised rows, raw_* flat raw rows, input_shape (T, F)."""
    data = spec.data
    record = SOURCES[data.source.value]
    length = sequences.sequence_length(data)
    if data.source == DataSource.csv_series:
        x, y, kind = sequences.csv_series(data.path or "", data.target or "", length)
        train, test = _time_split(len(x), data.train_fraction)
        class_names: tuple[str, ...] = ()
    else:
        rng = np.random.default_rng(spec.seed)
        x, y = resolve(record.load)(data.samples, length, data.noise, rng)
        kind = f"{data.samples} sequences of {length} steps, noise {data.noise * 100:g} %"
        class_names = _class_names(data.source)
        train, test = split_indices(len(x), data.train_fraction, spec.seed,
                                    y if class_names else None, class_names)
    shape = (int(x.shape[1]), int(x.shape[2]))
    flat = np.ascontiguousarray(x.reshape(len(x), -1), dtype=np.float32)
    per_feature = x[train].reshape(-1, shape[1]).astype(np.float64)
    f_mean = per_feature.mean(axis=0)
    f_std = per_feature.std(axis=0)
    f_std = np.where(f_std > 1e-12, f_std, 1.0)
    mean = np.tile(f_mean, shape[0]).astype(np.float32)
    std = np.tile(f_std, shape[0]).astype(np.float32)
    y_train, y_test = y[train], y[test]
    y_mean = y_std = None
    task = Task.classification.value if class_names else Task.regression.value
    if not class_names:
        y_mean, y_std = fit_target_standardization(y_train)
        y_train, y_test = standardize_target(y_train, y_mean, y_std), standardize_target(y_test, y_mean, y_std)
    names = sequences.step_names(shape)
    return Dataset(
        x_train=standardize(flat[train], mean, std), y_train=y_train,
        x_test=standardize(flat[test], mean, std), y_test=y_test,
        raw_train=flat[train], raw_test=flat[test],
        input_names=names, raw_names=names, task=task, class_names=class_names,
        is_planar=False, features=(), mean=mean, std=std,
        description=f"{record.description} ({kind})",
        meta={"source": data.source.value, "sequence_length": shape[0],
              "target": "next value" if not class_names else None},
        y_mean=y_mean, y_std=y_std, input_shape=shape, modality="sequence",
    )


def _class_names(source: DataSource) -> tuple[str, ...]:
    if source == DataSource.memory:
        return ("negative", "positive")
    if source == DataSource.patterns:
        return sequences.PATTERN_NAMES
    return ()


def _time_split(n: int, train_fraction: float) -> tuple[np.ndarray, np.ndarray]:
    """The first round(n · train_fraction) windows train, the later ones test; both non-empty."""
    n_train = int(round(n * train_fraction))
    if n_train < 1 or n_train >= n:
        raise DataError(f"{n} windows cannot be split into training and test windows at train_fraction "
                        f"{train_fraction:g}; use a longer series, a shorter data.sequence_length, or move "
                        "data.train_fraction towards 0.5")
    return np.arange(n_train), np.arange(n_train, n)
