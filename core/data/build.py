"""load_dataset(spec): generate or read the rows an Experiment names, split them with a seeded shuffle and
preprocess them (features for the 2-D sets, standardisation fitted on the training rows for tables;
for tabular regression the target too, so its units do not decide which learning rate works)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from core.data import images, sequences, toy
from core.data.dataset import DataError, Dataset
from core.data.features import compute_features, feature_names, fit_standardization, standardize
from core.data.sources import BUNDLED_SOURCES, SOURCES, TOY_SOURCES
from core.echo import echo
from core.spec import TOY_CLASSIFICATION, DataSource, Experiment, Task

if TYPE_CHECKING:  # tabular imports pandas (~0.5 s): loaded only for table data, not the toy sets
    from core.data.tabular import Table

_SPLIT_STREAM = 1  # the split draws from its own stream, so it does not shift the generated points


def load_dataset(spec: Experiment) -> Dataset:
    """The Dataset `spec.data` describes, split by `spec.data.train_fraction`; same spec, same arrays."""
    source = spec.data.source
    if spec.task == Task.autoencoder:  # the source's rows as inputs and targets (core/data/autoencoder.py)
        from core.data.autoencoder import autoencoder_dataset

        return autoencoder_dataset(spec)
    if source in TOY_SOURCES:
        return _planar(spec)
    if images.image_shape(spec) is not None:
        return _images(spec)
    if sequences.sequence_shape(spec) is not None:
        from core.data.sequence_build import sequence_dataset

        return sequence_dataset(spec)
    from core.data.tabular import load_bundled, load_csv

    if source == DataSource.csv:
        table = load_csv(spec.data.path or "", spec.data.target or "", spec.data.columns, spec.task.value)
    elif source in BUNDLED_SOURCES:
        table = load_bundled(source, spec.data.columns)
    else:  # a new DataSource without a loader yet
        raise DataError(f"data.source '{source.value}' has no loader")
    return _tabular(spec, table)


def split_indices(n: int, train_fraction: float, seed: int, labels: np.ndarray | None = None,
                  class_names: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    """(train, test) row indices: a seeded shuffle cut at round(n · train_fraction); both parts non-empty.

    With `labels` (classification) the cut is stratified: each class trains on its share of the
    training rows (largest remainders, at least one row each), so no class is left out of training
    unless there are fewer training rows than classes, which is a DataError naming the class.
    The order of each part stays the seeded shuffle's, so the split is a pure function of the seed."""
    n_train = int(round(n * train_fraction))
    if n < 2 or n_train < 1 or n_train >= n:
        raise DataError(f"{n} rows cannot be split into training and test rows at train_fraction "
                        f"{train_fraction:g} (that leaves {n_train} for training and {n - n_train} for testing); "
                        "add rows or move data.train_fraction towards 0.5")
    order = np.random.default_rng([seed, _SPLIT_STREAM]).permutation(n)
    if labels is None:
        return order[:n_train], order[n_train:]
    codes = np.unique(np.asarray(labels), return_inverse=True)[1].reshape(-1)
    counts = np.bincount(codes)
    quota = _class_quotas(counts, n_train)
    if (quota == 0).any():
        missing = int(np.argmax(quota == 0))
        name = class_names[missing] if missing < len(class_names) else str(missing)
        raise DataError(f"class {echo(name)} has no training rows: {n} rows at train_fraction {train_fraction:g} "
                        f"leave {n_train} for training, fewer than the {len(counts)} classes; add rows of every "
                        "class or raise data.train_fraction")
    # the first quota[c] rows of class c in shuffled order train; the rest test
    rank = np.empty(n, np.int64)
    ordered_codes = codes[order]
    for c in range(len(counts)):
        rank[order[ordered_codes == c]] = np.arange(counts[c])
    is_train = rank < quota[codes]
    return order[is_train[order]], order[~is_train[order]]


def _class_quotas(counts: np.ndarray, n_train: int) -> np.ndarray:
    """Training rows per class: proportional shares rounded by largest remainder (summing to n_train),
    then every class that has rows gets at least one, taken from the class with the most."""
    exact = counts * n_train / counts.sum()
    quota = np.floor(exact).astype(np.int64)
    by_remainder = np.argsort(-(exact - quota), kind="stable")
    quota[by_remainder[:n_train - int(quota.sum())]] += 1
    for c in np.flatnonzero((quota == 0) & (counts > 0)):
        donor = int(np.argmax(quota))
        if quota[donor] <= 1:
            break  # fewer training rows than classes: the caller says which class is left out
        quota[donor] -= 1
        quota[c] += 1
    return quota


def _planar(spec: Experiment) -> Dataset:
    data = spec.data
    points, labels = toy.generate(data.source, data.samples, data.noise, spec.seed)
    classification = data.source in TOY_CLASSIFICATION
    train, test = split_indices(len(points), data.train_fraction, spec.seed,
                                labels if classification else None, ("0", "1"))
    features = feature_names(spec.input_features)
    y = labels.astype(np.float32)  # toy classification sets are binary: 0/1 floats for the single logit
    kind = f"{data.samples} points, noise {data.noise * 100:g} %"
    return Dataset(
        x_train=compute_features(points[train], features),
        y_train=y[train],
        x_test=compute_features(points[test], features),
        y_test=y[test],
        raw_train=points[train],
        raw_test=points[test],
        input_names=features,
        raw_names=("x1", "x2"),
        task=Task.classification.value if classification else Task.regression.value,
        class_names=("0", "1") if classification else (),
        is_planar=True,
        features=features,
        extent=(-toy.RADIUS, toy.RADIUS, -toy.RADIUS, toy.RADIUS),
        description=f"{SOURCES[data.source].description} ({kind})",
        meta={"source": data.source.value, "samples": data.samples, "noise": data.noise},
    )


def _images(spec: Experiment) -> Dataset:
    """Digits, shapes or an image folder: flat rows of pixels / scale, viewed as input_shape (C, H, W)."""
    data = spec.data
    if data.source == DataSource.digits:
        from core.data.tabular import load_bundled

        table = load_bundled(data.source)
        pixels, labels, class_names = table.x.reshape(-1, 1, 8, 8), table.y, table.class_names
        scale, kind = 16.0, "pixel values 0-16"
    elif data.source == DataSource.shapes:
        rng = np.random.default_rng(spec.seed)
        pixels, labels = images.shapes(data.samples, data.image_size, data.noise, rng)
        class_names, scale = images.SHAPE_NAMES, 1.0
        kind = f"{data.samples} images, {data.image_size}×{data.image_size} grey, noise {data.noise * 100:g} %"
    else:
        pixels, labels, class_names = images.image_folder(data.path or "", data.image_size, data.color)
        scale = 255.0
        kind = f"{len(labels)} images from {echo(data.path)}, {data.image_size}×{data.image_size} {data.color}"
    shape = tuple(int(v) for v in pixels.shape[1:])
    flat = np.ascontiguousarray(pixels.reshape(len(pixels), -1), dtype=np.float32)
    train, test = split_indices(len(flat), data.train_fraction, spec.seed, labels, class_names)
    y = labels.astype(np.float32) if len(class_names) == 2 else labels.astype(np.int64)
    mean = np.zeros(flat.shape[1], np.float32)  # (raw - 0) / scale: every path scales alike
    std = np.full(flat.shape[1], scale, np.float32)
    names = images.pixel_names(shape)  # type: ignore[arg-type]
    return Dataset(
        x_train=standardize(flat[train], mean, std), y_train=y[train],
        x_test=standardize(flat[test], mean, std), y_test=y[test],
        raw_train=flat[train], raw_test=flat[test],
        input_names=names, raw_names=names, task=Task.classification.value,
        class_names=tuple(class_names), is_planar=False, features=(), mean=mean, std=std,
        description=f"{SOURCES[data.source].description} ({kind})",
        meta={"source": data.source.value, "scale": scale},
        input_shape=shape, modality="image",
    )


def _tabular(spec: Experiment, table: Table) -> Dataset:
    if table.task != spec.task.value:  # bundled sets fix their task; the spec validator agrees
        raise DataError(f"'{spec.data.source.value}' is a {table.task} set; set task to '{table.task}'")
    _check_spans(spec, table)
    classes = table.task == Task.classification.value
    train, test = split_indices(len(table.x), spec.data.train_fraction, spec.seed,
                                table.y if classes else None, table.class_names)
    raw_train, raw_test = table.x[train], table.x[test]
    mean, std = fit_standardization(raw_train)
    y_train, y_test = table.y[train], table.y[test]
    y_mean = y_std = None
    if table.task == Task.regression.value:
        y_mean, y_std = fit_target_standardization(y_train)
        y_train, y_test = standardize_target(y_train, y_mean, y_std), standardize_target(y_test, y_mean, y_std)
    return Dataset(
        x_train=standardize(raw_train, mean, std),
        y_train=y_train,
        x_test=standardize(raw_test, mean, std),
        y_test=y_test,
        raw_train=raw_train,
        raw_test=raw_test,
        input_names=table.columns,
        raw_names=table.columns,
        task=table.task,
        class_names=table.class_names,
        is_planar=False,
        features=(),
        mean=mean,
        std=std,
        description=table.description,
        meta={**table.meta, "source": spec.data.source.value, "target": table.target},
        y_mean=y_mean,
        y_std=y_std,
    )


_FLOAT32_MAX = float(np.finfo(np.float32).max)


def _check_spans(spec: Experiment, table: Table) -> None:
    """Standardising subtracts the mean in 32-bit floats (here, in the model and in every export):
    a column whose values span more than float32 holds (e.g. -3e38 and 3e38) would become inf/NaN
    and look like a learning rate that is too high. Refuse it, naming the column."""
    where = (f"CSV file {echo(spec.data.path)}" if spec.data.source == DataSource.csv
             else f"bundled set '{spec.data.source.value}'")
    columns = [("column", name, table.x[:, j]) for j, name in enumerate(table.columns)]
    if table.task == Task.regression.value:
        columns.append(("target", table.target, table.y))
    for role, name, values in columns:
        if not len(values):
            continue
        low, high = float(np.min(values)), float(np.max(values))
        if not (np.isfinite(low) and np.isfinite(high)) or high - low > _FLOAT32_MAX:
            raise DataError(f"{where}: {role} {echo(name)} spans {low:.3g} to {high:.3g}, too wide a range to "
                            "standardise in 32-bit floats (it would become infinite); rescale it (e.g. divide "
                            "it by 1e30)" + (" or leave it out with data.columns" if role == "column" else ""))


def fit_target_standardization(y_train: np.ndarray) -> tuple[float, float]:
    """(mean, std) of the training targets, both exact float32 values so every path (numpy, torch,
    exports) un-standardises with the same constants; a constant target gets std 1."""
    mean, std = fit_standardization(np.asarray(y_train, np.float64).reshape(-1, 1))
    return float(mean[0]), float(std[0])


def standardize_target(y: np.ndarray, y_mean: float, y_std: float) -> np.ndarray:
    """float32 (y - y_mean) / y_std."""
    return ((np.asarray(y, np.float32) - np.float32(y_mean)) / np.float32(y_std)).astype(np.float32, copy=False)
