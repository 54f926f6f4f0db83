"""Loss registry and regularisation, following the output conventions in docs/ARCHITECTURE.md.

Binary classification: one logit; bce on the logit, hinge on the logit with -1/+1 targets,
mse/huber/l1 on sigmoid(logit) against the 0/1 target. Multi-class: N logits, cross_entropy.
Regression: one linear output, mse/huber/l1 on the value.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from core.data.dataset import Dataset
from core.spec import REGRESSION_LOSSES, Loss, RegularizationKind, Task

LossFn = Callable[[torch.Tensor, torch.Tensor, int, bool], torch.Tensor]


class LossError(ValueError):
    """A loss that does not fit the data; the message names a loss that does."""


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


LOSSES: dict[Loss, LossFn] = {
    Loss.mse: _on_value(F.mse_loss),
    Loss.huber: _on_value(F.huber_loss),
    Loss.l1: _on_value(F.l1_loss),
    Loss.bce: _bce,
    Loss.hinge: _hinge,
    Loss.cross_entropy: _cross_entropy,
}


def loss_function(loss: Loss, task: Task | str, n_outputs: int) -> Callable[[torch.Tensor, torch.Tensor],
                                                                            torch.Tensor]:
    """The mean loss over a batch, `fn(model_output, target)`, for this loss, task and head size."""
    regression = Task(task) == Task.regression
    base = LOSSES[Loss(loss)]

    def fn(output: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return base(output, target, n_outputs, regression)

    return fn


def validate_loss_for(dataset: Dataset, loss: Loss) -> None:
    """Raise LossError, naming a loss that fits, when `loss` cannot train on `dataset`."""
    loss = Loss(loss)
    if dataset.task == Task.regression.value:
        if loss not in REGRESSION_LOSSES:
            allowed = ", ".join(l.value for l in REGRESSION_LOSSES)
            raise LossError(f"loss '{loss.value}' does not fit regression (the data predicts a number); "
                            f"use one of {allowed}")
        return
    if dataset.n_classes > 2 and loss != Loss.cross_entropy:
        raise LossError(f"loss '{loss.value}' needs two classes, but the data has {dataset.n_classes} "
                        f"({', '.join(dataset.class_names[:5])}{'...' if dataset.n_classes > 5 else ''}); "
                        "use cross_entropy")


def regularization_penalty(model: nn.Module, kind: RegularizationKind | str, rate: float) -> torch.Tensor | None:
    """TF Playground's penalty on Linear weights only (never biases); None when there is none.

    l2: rate * 0.5 * sum(w**2); l1: rate * sum(|w|).
    """
    kind = RegularizationKind(kind)
    if kind == RegularizationKind.none or rate <= 0:
        return None
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    if not weights:
        return None
    if kind == RegularizationKind.l2:
        total = sum((w * w).sum() for w in weights)
        return rate * 0.5 * total
    total = sum(w.abs().sum() for w in weights)
    return rate * total
