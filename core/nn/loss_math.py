"""The loss functions (torch), following the output conventions in docs/ARCHITECTURE.md.

Binary classification: one logit; bce on the logit, hinge on the logit with -1/+1 targets,
mse/huber/l1 on sigmoid(logit) against the 0/1 target. Multi-class: N logits, cross_entropy.
Regression: one linear output, mse/huber/l1 on the value.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F


LossFn = Callable[[torch.Tensor, torch.Tensor, int, bool], torch.Tensor]


from core.nn.losses import LossError

def _head(output: torch.Tensor, n_outputs: int) -> torch.Tensor:
    """(B, 1) -> (B,) for single-output heads; multi-class logits stay (B, N)."""
    return output.reshape(-1) if n_outputs == 1 else output


def _on_value(fn: Callable[..., torch.Tensor]) -> LossFn:
    """mse/huber/l1: on sigmoid(logit) for binary classification, on the raw value for regression."""

    def loss(output: torch.Tensor, target: torch.Tensor, n_outputs: int, regression: bool) -> torch.Tensor:
        if n_outputs != 1:
            raise LossError(f"this loss needs a single output, the model has {n_outputs}; "
                            "use cross_entropy for more than two classes")
        value = _head(output, 1)
        if not regression:
            value = torch.sigmoid(value)
        return fn(value, target.to(value.dtype))

    return loss


def _bce(output: torch.Tensor, target: torch.Tensor, n_outputs: int, regression: bool) -> torch.Tensor:
    if regression or n_outputs != 1:
        raise LossError("bce needs binary classification (one logit); use cross_entropy for more "
                        "classes or mse for regression")
    logit = _head(output, 1)
    return F.binary_cross_entropy_with_logits(logit, target.to(logit.dtype))


def _hinge(output: torch.Tensor, target: torch.Tensor, n_outputs: int, regression: bool) -> torch.Tensor:
    if regression or n_outputs != 1:
        raise LossError("hinge needs binary classification (one logit); use cross_entropy for more "
                        "classes or mse for regression")
    logit = _head(output, 1)
    signed = target.to(logit.dtype) * 2.0 - 1.0
    return torch.clamp(1.0 - signed * logit, min=0.0).mean()


def _cross_entropy(output: torch.Tensor, target: torch.Tensor, n_outputs: int,
                   regression: bool) -> torch.Tensor:
    if regression:
        raise LossError("cross_entropy needs classes; use mse, huber or l1 for regression")
    if n_outputs == 1:  # a binary set: cross entropy on one logit is bce
        return _bce(output, target, n_outputs, regression)
    return F.cross_entropy(output, target.long())


def reconstruction_mse(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Autoencoder: the mean squared error over every value of every row (standardised inputs)."""
    return F.mse_loss(output, target.to(output.dtype))


def reconstruction_bce(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Autoencoder: each output value a logit, its target the input min-max scaled to [0, 1]."""
    return F.binary_cross_entropy_with_logits(output, target.to(output.dtype))


mse = _on_value(F.mse_loss)
huber = _on_value(F.huber_loss)
l1 = _on_value(F.l1_loss)
bce = _bce
hinge = _hinge
cross_entropy = _cross_entropy
