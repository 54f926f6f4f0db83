"""Losses: one record each (label, torch function, what it fits, fused kernel), and regularisation.

Output conventions (docs/ARCHITECTURE.md): binary classification has one logit (bce and hinge on it;
mse/huber/l1 on sigmoid(logit)), multi-class N logits (cross_entropy), regression one linear output.
Importing this module never imports torch; the functions import it when called.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from core.choices import RegularizationKind, Task
from core.registry import Record, Registry, resolve

if TYPE_CHECKING:
    import torch
    from torch import nn

    from core.data.dataset import Dataset


class Loss(str, Enum):
    mse = "mse"
    bce = "bce"
    cross_entropy = "cross_entropy"
    huber = "huber"
    l1 = "l1"
    hinge = "hinge"


class LossError(ValueError):
    """A loss that does not fit the data; the message names a loss that does."""


@dataclass(frozen=True, kw_only=True)
class LossRecord(Record):
    fn: str | Callable[..., Any]  # fn(output, target, n_outputs, regression) -> mean loss
    regression: bool  # fits a regression (a number to predict)
    binary_only: bool = False  # needs one logit: two classes, never regression
    on_probability: bool = False  # binary classification compares sigmoid(logit) with the 0/1 target
    fused: str | None = None  # the fused kernel's loss constant (core/engines/fused_kernels.py)
    # fn(output, target) -> mean loss over every value of a reconstruction (task autoencoder); None:
    # the loss does not fit an autoencoder
    reconstruct: str | Callable[..., Any] | None = None


LOSSES: Registry[LossRecord] = Registry("loss")
LOSSES.add(LossRecord(name="mse", label="Mean squared", fn="core.nn.loss_math:mse", regression=True,
                      on_probability=True, fused="MSE", reconstruct="core.nn.loss_math:reconstruction_mse"))
LOSSES.add(LossRecord(name="bce", label="Binary cross-entropy", fn="core.nn.loss_math:bce", regression=False,
                      binary_only=True, fused="BCE", reconstruct="core.nn.loss_math:reconstruction_bce"))
LOSSES.add(LossRecord(name="cross_entropy", label="Cross-entropy", fn="core.nn.loss_math:cross_entropy",
                      regression=False, fused="SOFTMAX_CE"))
LOSSES.add(LossRecord(name="huber", label="Huber", fn="core.nn.loss_math:huber", regression=True,
                      on_probability=True, fused="HUBER"))
LOSSES.add(LossRecord(name="l1", label="Mean absolute (L1)", fn="core.nn.loss_math:l1", regression=True,
                      on_probability=True, fused="L1_LOSS"))
LOSSES.add(LossRecord(name="hinge", label="Hinge", fn="core.nn.loss_math:hinge", regression=False,
                      binary_only=True, fused="HINGE"))

REGRESSION_LOSSES = tuple(Loss(n) for n in LOSSES.names(regression=True))
BINARY_ONLY_LOSSES = tuple(Loss(n) for n in LOSSES.names(binary_only=True))
AUTOENCODER_LOSSES = tuple(Loss(r.name) for r in LOSSES.records() if r.reconstruct is not None)


def loss_function(loss: Loss, task: Task | str, n_outputs: int) -> Callable[["torch.Tensor", "torch.Tensor"],
                                                                            "torch.Tensor"]:
    """The mean loss over a batch, `fn(model_output, target)`, for this loss, task and head size."""
    if Task(task) == Task.autoencoder:
        return resolve(_reconstruct(loss))
    regression = Task(task) == Task.regression
    base = resolve(LOSSES[loss].fn)

    def fn(output: "torch.Tensor", target: "torch.Tensor") -> "torch.Tensor":
        return base(output, target, n_outputs, regression)

    return fn


def _reconstruct(loss: Loss | str) -> str | Callable[..., Any]:
    record = LOSSES[Loss(loss)]
    if record.reconstruct is None:
        allowed = ", ".join(l.value for l in AUTOENCODER_LOSSES)
        raise LossError(f"loss '{record.name}' does not fit an autoencoder (it reconstructs its inputs); "
                        f"use one of {allowed}")
    return record.reconstruct


def validate_loss_for(dataset: "Dataset", loss: Loss) -> None:
    """Raise LossError, naming a loss that fits, when `loss` cannot train on `dataset`."""
    loss = Loss(loss)
    if dataset.task == Task.autoencoder.value:
        _reconstruct(loss)
        return
    if dataset.task == Task.regression.value:
        if not LOSSES[loss].regression:
            allowed = ", ".join(l.value for l in REGRESSION_LOSSES)
            raise LossError(f"loss '{loss.value}' does not fit regression (the data predicts a number); "
                            f"use one of {allowed}")
        return
    if dataset.n_classes > 2 and loss != Loss.cross_entropy:
        raise LossError(f"loss '{loss.value}' needs two classes, but the data has {dataset.n_classes} "
                        f"({', '.join(dataset.class_names[:5])}{'...' if dataset.n_classes > 5 else ''}); "
                        "use cross_entropy")


def regularization_penalty(model: "nn.Module", kind: RegularizationKind | str,
                           rate: float) -> "torch.Tensor | None":
    """TF Playground's penalty on Linear weights only (never biases); None when there is none.

    l2: rate * 0.5 * sum(w**2); l1: rate * sum(|w|).
    """
    from torch import nn

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
