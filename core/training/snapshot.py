"""Immutable views of a training run that cross the thread boundary (numpy copies, never live tensors)."""

from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Mapping
from enum import Enum
from typing import Any

import numpy as np


class RunState(str, Enum):
    idle = "idle"
    running = "running"
    paused = "paused"
    finished = "finished"   # reached spec.epochs
    diverged = "diverged"   # NaN/inf loss: stopped, last finite weights kept
    stopped = "stopped"     # stop() was called
    failed = "failed"       # an unexpected error; message says what


@dataclass(frozen=True)
class EpochRecord:
    """One finished epoch: what the loss curves plot."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    train_accuracy: float | None = None
    test_accuracy: float | None = None
    learning_rate: float = 0.0

    def __post_init__(self) -> None:
        # Plain Python numbers only: a numpy scalar here made checkpoints unreadable (weights_only).
        if (type(self.epoch) is int and type(self.step) is int and type(self.train_loss) is float
                and type(self.test_loss) is float and type(self.learning_rate) is float
                and type(self.train_accuracy) in _OPTIONAL and type(self.test_accuracy) in _OPTIONAL):
            return  # the common case, checked cheaply: records are made every epoch
        for name in ("epoch", "step"):
            object.__setattr__(self, name, _plain_number(name, getattr(self, name), int))
        for name in ("train_loss", "test_loss", "learning_rate"):
            object.__setattr__(self, name, _plain_number(name, getattr(self, name), float))
        for name in ("train_accuracy", "test_accuracy"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _plain_number(name, value, float))


_OPTIONAL = (float, type(None))


def _plain_number(name: str, value: object, kind: type) -> int | float:
    """`value` as a plain int/float; TypeError for anything that is not a number (e.g. a string)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, not {type(value).__name__}")
    if kind is int:
        if isinstance(value, (float, np.floating)) and not float(value).is_integer():
            raise TypeError(f"{name} must be a whole number, got {float(value)!r}")
        return int(value)
    return float(value)


@dataclass(frozen=True, eq=False)
class Snapshot:
    """Everything a view needs at one moment. Arrays are private copies; treat them as read-only."""

    epoch: int
    step: int
    train_loss: float
    test_loss: float
    train_accuracy: float | None
    test_accuracy: float | None
    learning_rate: float
    batch_size: int
    state: RunState = RunState.running
    message: str = ""
    history: tuple[EpochRecord, ...] = ()      # epochs finished since the previous snapshot
    epochs_per_second: float = 0.0
    steps_per_second: float = 0.0
    confusion: np.ndarray | None = None        # (n_classes, n_classes) on the test set, rows = truth
    weights: tuple[np.ndarray, ...] = ()       # each Linear's weight (out, in), input side first
    biases: tuple[np.ndarray, ...] = ()
    # Over a res x res grid spanning `extent` (row-major, row 0 = lowest x2), 2-D sets only:
    boundary: np.ndarray | None = None         # binary: P(class 1); multi-class: argmax class; regression: value
    confidence: np.ndarray | None = None       # multi-class: max softmax probability; else None
    input_outputs: np.ndarray | None = None    # (n_inputs, res, res): each input feature over the plane
    neuron_outputs: tuple[np.ndarray, ...] = ()  # per hidden layer (units, res, res), after activation
    extent: tuple[float, float, float, float] = (-6.0, 6.0, -6.0, 6.0)
    device: str = "cpu"
    engine: str = "torch"
    # Tabular classification, grid snapshots only: the predicted class of each test row (int64,
    # in dataset.x_test order), so views can mark the rows the network gets wrong.
    test_predictions: np.ndarray | None = None
    # The run's lowest-test-loss epoch so far (train loss without a test split); core/training/stopping.py
    best_epoch: int | None = None
    # Grid snapshots only: each applicable probe's pictures by probe name (core/training/probes.py),
    # e.g. views["feature_maps"]; empty when no probe applies.
    views: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
