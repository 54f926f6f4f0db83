"""The Dataset container every trainer, view and export reads: model-ready arrays plus their meaning."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


class DataError(ValueError):
    """Data that cannot be used (bad CSV, missing column, one class...). The message says what to fix."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Train/test arrays ready for the model, and what is needed to show and export them.

    x_*: float32 (n, n_inputs), already through `preprocess` (features for 2-D sets,
    standardisation for tabular sets). y_*: float32 (n,) for regression and binary (0/1),
    int64 (n,) class indices for more than two classes.
    raw_*: the inputs before preprocessing (the (x1, x2) points for 2-D sets, the chosen
    columns for tabular sets), used for plotting and to check exports end to end.
    y_mean / y_std: set for tabular regression, whose targets are standardised on the training
    rows (y_* hold (y - y_mean) / y_std), so default learning rates work whatever the target's
    units. Model outputs are then in standardised units; prediction = output * y_std + y_mean.
    None for classification and the 2-D regression sets (already in [-1, 1], left as they are).
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    raw_train: np.ndarray
    raw_test: np.ndarray
    input_names: tuple[str, ...]       # names of the model inputs (after preprocessing)
    raw_names: tuple[str, ...]         # names of the raw columns ("x1", "x2" for 2-D sets)
    task: str                          # "classification", "regression" or "autoencoder"
    class_names: tuple[str, ...] = ()  # () for regression; ("0", "1") or real labels otherwise
    is_planar: bool = False            # True for the 2-D toy sets: a decision boundary can be drawn
    features: tuple[str, ...] = ()     # 2-D feature names (Feature values) when is_planar
    mean: np.ndarray | None = None     # standardisation of tabular raw columns, None for 2-D sets
    std: np.ndarray | None = None
    extent: tuple[float, float, float, float] = (-6.0, 6.0, -6.0, 6.0)  # x1 min/max, x2 min/max
    description: str = ""
    meta: dict = field(default_factory=dict)
    y_mean: float | None = None        # regression target standardisation (see above), None if none
    y_std: float | None = None
    input_shape: tuple[int, ...] = ()  # how the model sees one row: (C, H, W) for images; () = (n_inputs,)
    modality: str = ""                 # "points" (2-D sets), "table" or "image"; "" = from is_planar
    # Autoencoder (task "autoencoder", core/data/autoencoder.py): y_* are (n, n_inputs) reconstruction
    # targets, so the source's class labels (or values) move here, to colour the latent view.
    labels_train: np.ndarray | None = None
    labels_test: np.ndarray | None = None
    # Autoencoder with bce: per-column (low, high) of the raw training inputs; targets are the raw
    # inputs min-max scaled into [0, 1] by them. None: the targets are the (standardised) inputs.
    target_range: tuple[np.ndarray, np.ndarray] | None = None

    def __post_init__(self) -> None:
        if not self.input_shape:
            object.__setattr__(self, "input_shape", (int(np.shape(self.x_train)[-1]),))
        if not self.modality:
            object.__setattr__(self, "modality", "points" if self.is_planar else "table")

    @property
    def n_inputs(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_classes(self) -> int:
        return len(self.class_names)

    @property
    def n_outputs(self) -> int:
        """Units of the output head: 1 for regression and binary, N for N > 2 classes, every input for
        an autoencoder."""
        if self.task == "autoencoder":
            return self.n_inputs
        return self.n_classes if self.n_classes > 2 else 1

    def to_target_units(self, outputs: np.ndarray) -> np.ndarray:
        """Regression model outputs (or standardised targets) in the target's original units."""
        if self.y_mean is None or self.y_std is None:
            return np.asarray(outputs)
        return np.asarray(outputs, np.float32) * np.float32(self.y_std) + np.float32(self.y_mean)

    def __len__(self) -> int:
        return len(self.x_train) + len(self.x_test)


def check_dataset(dataset: Dataset) -> None:
    """Fail early, naming the array, when a hand-built Dataset does not fit together."""
    if dataset.x_train.ndim != 2 or dataset.x_test.ndim != 2:
        raise ValueError(f"dataset inputs must be 2-D (rows, inputs); got x_train {dataset.x_train.shape}, "
                         f"x_test {dataset.x_test.shape}")
    if int(np.prod(dataset.input_shape)) != dataset.x_train.shape[1]:
        raise ValueError(f"input_shape {dataset.input_shape} holds {int(np.prod(dataset.input_shape))} values "
                         f"but each row has {dataset.x_train.shape[1]} inputs")
    if len(dataset.x_train) == 0:
        raise ValueError("the dataset has no training rows; use more samples or a larger train fraction")
    if dataset.x_test.shape[1] != dataset.x_train.shape[1]:
        raise ValueError(f"x_train has {dataset.x_train.shape[1]} inputs but x_test has {dataset.x_test.shape[1]}")
    for name, x, y in (("train", dataset.x_train, dataset.y_train), ("test", dataset.x_test, dataset.y_test)):
        if len(x) != len(y):
            raise ValueError(f"{name} set: {len(x)} input rows but {len(y)} targets")
    if dataset.task == "classification" and dataset.n_classes < 2:
        raise ValueError(f"classification needs at least 2 class names, the dataset has {dataset.n_classes}")
