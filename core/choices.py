"""Closed choices: enums whose members the code branches on (task, engine, regularisation, schedule,
features, norm). Open choices (activations, layer types, losses, ...) are registries in their rooms.
"""

from __future__ import annotations

from enum import Enum


class Task(str, Enum):
    classification = "classification"
    regression = "regression"
    autoencoder = "autoencoder"  # the head reconstructs the inputs (core/data/autoencoder.py)


class Engine(str, Enum):
    """Which training path runs: `fused` is the compiled small-net path, `torch` the plain loop."""

    auto = "auto"
    torch = "torch"
    fused = "fused"


class RegularizationKind(str, Enum):
    none = "none"
    l1 = "l1"
    l2 = "l2"


class ScheduleKind(str, Enum):
    none = "none"
    step = "step"
    cosine = "cosine"
    exponential = "exponential"


class Feature(str, Enum):
    x1 = "x1"
    x2 = "x2"
    x1_squared = "x1^2"
    x2_squared = "x2^2"
    x1_times_x2 = "x1*x2"
    sin_x1 = "sin(x1)"
    sin_x2 = "sin(x2)"


class Norm(str, Enum):
    none = "none"
    batch = "batch"
    layer = "layer"
