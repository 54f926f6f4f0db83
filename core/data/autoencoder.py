"""The autoencoder's data: any source's numeric inputs, standardised on the training rows, as both the
inputs and the targets; the source's labels only colour the views.

Standardised like a table (per column, training rows), so an mse of 1.0 is no better than predicting
the mean row (for columns that vary; a constant pixel is always 0 and costs nothing). bce needs targets
in [0, 1]: the raw inputs min-max scaled per column (training rows; test values clipped into the range),
while the network still sees the standardised inputs. 2-D sets are autoencoded in their feature space
(x1, x2 and any chosen features) and become tables: there is no plane to draw a boundary on.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from core.choices import Task
from core.data.dataset import DataError, Dataset
from core.data.features import fit_standardization, standardize
from core.data.sources import SOURCES
from core.nn.losses import Loss


def autoencoder_dataset(spec) -> Dataset:  # noqa: ANN001 - core.spec.Experiment (no import cycle)
    """The Dataset for `spec` (task autoencoder): the source loaded under its own task, then rows as targets."""
    from core.data.build import load_dataset

    natural = SOURCES[spec.data.source].task
    base = None
    for task in ((natural,) if natural is not None else (Task.classification, Task.regression)):
        try:  # a CSV's target column is a label if it can be one, else a value
            base = load_dataset(spec.model_copy(update={"task": task}))
            break
        except DataError:
            if task == Task.regression or natural is not None:
                raise
    assert base is not None
    return as_autoencoder(base, Loss(spec.loss))


def as_autoencoder(base: Dataset, loss: Loss = Loss.mse) -> Dataset:
    """`base` (any task) as an autoencoder's Dataset: raw = the model inputs before standardising."""
    if base.is_planar:  # the features (x1, x2, x1², ...) are the columns
        raw_train, raw_test, names = base.x_train, base.x_test, base.input_names
    else:
        raw_train, raw_test, names = base.raw_train, base.raw_test, base.raw_names
    raw_train = np.asarray(raw_train, np.float32)
    raw_test = np.asarray(raw_test, np.float32).reshape(-1, raw_train.shape[1])
    if not np.isfinite(raw_train).all() or not np.isfinite(raw_test).all():
        raise DataError("the inputs hold NaN or infinite values; an autoencoder needs numeric inputs")
    mean, std = fit_standardization(raw_train)
    x_train, x_test = standardize(raw_train, mean, std), standardize(raw_test, mean, std)
    target_range = None
    if Loss(loss) == Loss.bce:
        low, high = raw_train.min(axis=0), raw_train.max(axis=0)
        target_range = (low.astype(np.float32), high.astype(np.float32))
        y_train, y_test = scale_to_unit(raw_train, target_range), scale_to_unit(raw_test, target_range)
    else:
        y_train, y_test = x_train.copy(), x_test.copy()
    image = base.modality == "image"
    scale = "bce on the inputs min-max scaled to [0, 1]" if target_range is not None else \
        "mse in standardised units: 1.0 = predicting the mean"
    return dataclasses.replace(
        base, x_train=x_train, y_train=y_train, x_test=x_test, y_test=y_test, raw_train=raw_train,
        raw_test=raw_test, input_names=tuple(names), raw_names=tuple(names), task=Task.autoencoder.value,
        is_planar=False, features=(), mean=mean, std=std, y_mean=None, y_std=None,
        input_shape=tuple(base.input_shape) if image else (raw_train.shape[1],),
        modality="image" if image else "table", labels_train=np.asarray(base.y_train).copy(),
        labels_test=np.asarray(base.y_test).copy(), target_range=target_range,
        description=f"{base.description}; autoencoder ({scale})",
        meta={**base.meta, "labels": base.task})


def loss_units(dataset: Dataset) -> str:
    """What an autoencoder's loss figures are in, for the CLI and metrics.json."""
    if dataset.target_range is not None:
        return ("bce on min-max scaled inputs: each target column scaled to [0, 1] by its training rows' "
                "minimum and maximum")
    return ("mse in standardised units: each input column scaled to mean 0, std 1 on the training rows, "
            "so 1.0 is no better than predicting the mean row")


def scale_to_unit(raw: np.ndarray, target_range: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """float32 (raw - low) / (high - low) clipped to [0, 1]; a constant column maps to 0."""
    low, high = target_range
    span = np.where(high > low, high - low, 1.0).astype(np.float32)
    return np.clip((np.asarray(raw, np.float32) - low) / span, 0.0, 1.0).astype(np.float32)


def to_raw_units(dataset: Dataset, output: np.ndarray) -> np.ndarray:
    """A reconstruction (the network's output rows) in the inputs' own units (pixels, columns)."""
    out = np.asarray(output, np.float32)
    if dataset.target_range is not None:
        low, high = dataset.target_range
        return (1.0 / (1.0 + np.exp(-out))) * (high - low) + low
    assert dataset.mean is not None and dataset.std is not None
    return out * dataset.std + dataset.mean
