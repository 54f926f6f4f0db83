"""The fused kernels on flat numpy arrays, without torch: the rows they read, one evaluation, one block of
epochs, and the figures they give back. core/engines/fused.py runs them on a Trainer's parameters (copied
in and out of the torch tensors); core/training/prelude.py on its own, before torch has loaded."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from core.engines import fused_kernels as kernels
from core.engines.fused_kernels import KernelOptimizer
from core.engines.fused_plan import NetPlan
from core.spec import Task

# Whether the returned epoch loss includes the regularisation penalty (the torch path's choice).
INCLUDE_PENALTY_IN_LOSS = True

Figures = tuple[float, float, float | None, float | None]  # (train_loss, test_loss, train_acc, test_acc)


def row_targets(dataset: Any, y: Any) -> np.ndarray:
    """One target per row, as the kernels take them; an autoencoder's are its inputs (RECON_MSE reads x),
    so it passes zeros of the same length."""
    if getattr(dataset, "task", "") == Task.autoencoder.value:
        return np.zeros(len(y), np.float32)
    return np.asarray(y)


def training_rows(dataset: Any) -> tuple[np.ndarray, np.ndarray]:
    """(x, y) of the training rows as the epoch kernels take them: writeable, aligned, C-ordered float32
    always (any other array type would cost a new compile; class indices are exact in float32)."""
    return (np.require(dataset.x_train, np.float32, ["C", "A", "W"]),
            np.require(row_targets(dataset, dataset.y_train), np.float32, ["C", "A", "W"]))


class EvalSet(NamedTuple):
    """Every train row then every test row, as the eval and block kernels take them."""

    x: np.ndarray
    y: np.ndarray
    n_train: int
    classify: bool  # regression and autoencoders count no hits
    n_classes: int

    @property
    def n_test(self) -> int:
        return len(self.x) - self.n_train


def eval_set(dataset: Any) -> EvalSet:
    x = np.concatenate([np.asarray(dataset.x_train, np.float32), np.asarray(dataset.x_test, np.float32)])
    y = np.concatenate([row_targets(dataset, dataset.y_train).reshape(-1),
                        row_targets(dataset, dataset.y_test).reshape(-1)])
    classify = getattr(dataset, "task", Task.classification.value) not in (Task.regression.value,
                                                                            Task.autoencoder.value)
    return EvalSet(np.require(x, np.float32, ["C", "A", "W"]), np.require(y, np.float32, ["C", "A", "W"]),
                   len(dataset.x_train), classify, max(int(getattr(dataset, "n_classes", 2)), 2) if classify else 1)


def figures(loss_train: float, loss_test: float, hits_train: float, hits_test: float, rows: EvalSet) -> Figures:
    """Summed losses and hit counts -> (train_loss, test_loss, train_acc, test_acc) as Trainer.evaluate."""
    n_train, n_test = rows.n_train, rows.n_test
    train_loss = float(loss_train / n_train)
    test_loss = float(loss_test / n_test) if n_test else math.nan
    train_acc = float(hits_train / n_train) if rows.classify else None  # plain floats: records go into checkpoints
    test_acc = float(hits_test / n_test) if rows.classify and n_test else None
    return train_loss, test_loss, train_acc, test_acc


def confusion_matrix(counts: np.ndarray, rows: EvalSet) -> np.ndarray | None:
    return counts.reshape(rows.n_classes, rows.n_classes) if rows.classify and rows.n_test else None


def evaluate(theta: np.ndarray, net: NetPlan, rows: EvalSet) -> tuple[Figures, np.ndarray | None]:
    """(figures, test confusion or None) of the net with parameters `theta` over `rows`, in eval mode."""
    counts = np.zeros(rows.n_classes * rows.n_classes, np.int64)
    loss_train, loss_test, hits_train, hits_test = kernels.eval_kernel()(
        rows.x, rows.y, rows.n_train, theta, net, rows.classify, rows.n_classes, counts)
    return figures(loss_train, loss_test, hits_train, hits_test, rows), confusion_matrix(counts, rows)


@dataclass(frozen=True)
class BlockResult:
    """What a block of epochs did: `done` good epochs, their figures, and the state after the last one."""

    done: int
    figures: list[Figures]        # per good epoch, as evaluate()
    confusion: np.ndarray | None  # test-set counts after the block (None: regression, no test rows, diverged)
    bad_loss: float               # diverged: the first non-finite figure of the failed epoch; else nan


def train_block(x: np.ndarray, y: np.ndarray, orders: np.ndarray, batch: int, theta: np.ndarray, net: NetPlan,
                opt: KernelOptimizer, learning_rates: np.ndarray, regularization_rate: float, first_epoch: int,
                rows: EvalSet) -> BlockResult:
    """Train len(orders) epochs (epoch k on rows orders[k] at learning_rates[k], float32) and evaluate after
    each, in one compiled call that holds the GIL for none of it. `theta` and `opt`'s state change in
    place; an epoch that diverges is rolled back and ends the block (`done` < len(orders))."""
    counts = np.zeros(rows.n_classes * rows.n_classes, np.int64)
    stats = np.full((len(orders), kernels.STATS_COLUMNS), np.nan, np.float64)
    done = int(kernels.block_kernel()(
        x, y, orders, batch, theta, net, opt, learning_rates, np.float32(regularization_rate), first_epoch,
        rows.x, rows.y, rows.n_train, rows.classify, rows.n_classes, counts,
        np.empty_like(theta), np.empty_like(opt.state), stats))
    bad_loss = math.nan
    if done < len(orders):
        failed = stats[done]
        tried = (failed[0], failed[1] / rows.n_train, failed[2] / rows.n_test if rows.n_test else 0.0)
        bad_loss = next((float(v) for v in tried if not math.isfinite(v)), math.nan)
    return BlockResult(done=done, figures=[figures(row[1], row[2], row[3], row[4], rows) for row in stats[:done]],
                       confusion=confusion_matrix(counts, rows) if done == len(orders) else None,
                       bad_loss=bad_loss)
