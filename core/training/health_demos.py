"""The training-health demos: a deep sigmoid net whose first layers get gradients ~1e-6 of the last's
(the textbook vanishing gradients), and the same net with batch norm, which learns.

Each is an Experiment the window loads from Help ▸ Demo (examples/deep_sigmoid*.json hold the same).
"""

from __future__ import annotations

from typing import Any

DEEP_SIGMOID: dict[str, Any] = {
    "schema_version": 2, "seed": 0,
    "data": {"source": "circle", "samples": 500, "noise": 0.0, "train_fraction": 0.5},
    "task": "classification",
    "layers": [{"type": "dense", "units": 8, "activation": "sigmoid"} for _ in range(8)],
    "loss": "bce", "optimizer": {"name": "sgd", "lr": 0.1},
    "batch_size": 10, "epochs": 200, "engine": "auto",
}

DEEP_SIGMOID_BATCH_NORM: dict[str, Any] = {
    **DEEP_SIGMOID,
    "layers": [{"type": "dense", "units": 8, "activation": "sigmoid", "norm": "batch"} for _ in range(8)],
}

# name -> (menu text, spec as JSON data); the window lists them in this order
DEMOS: dict[str, tuple[str, dict[str, Any]]] = {
    "deep_sigmoid": ("Demo: &vanishing gradients (deep sigmoid net)", DEEP_SIGMOID),
    "deep_sigmoid_batch_norm": ("Demo: the same net with &batch norm", DEEP_SIGMOID_BATCH_NORM),
}


def demo_experiment(name: str) -> Any:
    """The demo's Experiment (KeyError for an unknown name)."""
    from core.spec import parse_experiment

    return parse_experiment(DEMOS[name][1])
