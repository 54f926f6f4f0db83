"""The arrays the fused kernels read and the figures they return, as plain numpy (no torch)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from core.spec import Task

# Whether the returned epoch loss includes the regularisation penalty (the torch path's choice).
INCLUDE_PENALTY_IN_LOSS = True



def row_targets(dataset: Any, y: Any) -> np.ndarray:
    """One target per row, as the kernels take them; an autoencoder's are its inputs (RECON_MSE reads x),
    so it passes zeros of the same length."""
    if getattr(dataset, "task", "") == Task.autoencoder.value:
        return np.zeros(len(y), np.float32)
    return np.asarray(y)


def eval_rows(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of every train row then every test row, as the eval kernel takes them."""
    x_eval = np.concatenate([np.asarray(dataset.x_train, np.float32), np.asarray(dataset.x_test, np.float32)])
    y_eval = np.concatenate([row_targets(dataset, dataset.y_train).reshape(-1),
                             row_targets(dataset, dataset.y_test).reshape(-1)])
    return np.require(x_eval, np.float32, ["C", "A", "W"]), np.require(y_eval, np.float32, ["C", "A", "W"])


def eval_kind(dataset: Any) -> tuple[bool, int]:
    """(classify, n_classes) as the eval kernel takes them: regression and autoencoders count no hits."""
    classify = getattr(dataset, "task", Task.classification.value) not in (Task.regression.value,
                                                                            Task.autoencoder.value)
    return classify, (max(int(getattr(dataset, "n_classes", 2)), 2) if classify else 1)


def figures(loss_train: float, loss_test: float, hits_train: float, hits_test: float, n_train: int,
             n_test: int, classify: bool) -> tuple[float, float, float | None, float | None]:
    """Summed losses and hit counts -> (train_loss, test_loss, train_acc, test_acc) as Trainer.evaluate."""
    train_loss = float(loss_train / n_train)
    test_loss = float(loss_test / n_test) if n_test else math.nan
    train_acc = float(hits_train / n_train) if classify else None  # plain floats: records go into checkpoints
    test_acc = float(hits_test / n_test) if classify and n_test else None
    return train_loss, test_loss, train_acc, test_acc


def confusion_matrix(counts: np.ndarray, n_classes: int, classify: bool, n_test: int) -> np.ndarray | None:
    return counts.reshape(n_classes, n_classes) if classify and n_test else None
