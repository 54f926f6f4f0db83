"""The gallery probe: the class probabilities of the first test images, for a gallery of predictions
(predicted class, confidence, wrong ones marked). Bounded: GALLERY_ROWS rows per grid snapshot."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.training.probes import PROBES, Probe

if TYPE_CHECKING:
    from core.training.trainer import Trainer

GALLERY_ROWS = 64


def applies(trainer: Trainer) -> bool:
    return trainer.dataset.modality == "image" and not trainer.regression and len(trainer.x_test) > 0


@torch.no_grad()
def collect(trainer: Trainer) -> dict[str, Any]:
    """{"rows": test row indices (n,), "probabilities": (n, n_classes) (binary: (n, 2))}."""
    n = min(GALLERY_ROWS, len(trainer.x_test))
    evaluator = trainer.evaluator
    probabilities = np.asarray(evaluator.probabilities(evaluator.forward(trainer.x_test[:n])), np.float32)
    if probabilities.ndim == 1:  # binary: P(class 1) -> both classes, so every view reads (n, C)
        probabilities = np.stack([1.0 - probabilities, probabilities], axis=1)
    return {"rows": np.arange(n, dtype=np.int64), "probabilities": probabilities.copy()}


GALLERY = PROBES.add(Probe(
    name="image_gallery", label="Test image gallery",
    tip="The first test images' class probabilities: predicted class, confidence, right or wrong.",
    applies="core.training.gallery_probe:applies", collect="core.training.gallery_probe:collect"))
