"""Per-epoch learning-rate schedules that survive live learning-rate changes, and the rate setters."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from core.spec import Experiment, ScheduleKind, ScheduleSpec

if TYPE_CHECKING:  # torch-free at run time: the window's first epochs use the schedule before torch loads
    import torch


def set_lr(optimizer: torch.optim.Optimizer, lr: float) -> None:
    """Set the learning rate of every parameter group now (takes effect at the next step)."""
    for group in optimizer.param_groups:
        group["lr"] = float(lr)


def get_lr(optimizer: torch.optim.Optimizer) -> float:
    return float(optimizer.param_groups[0]["lr"])


class LRSchedule:
    """The learning rate for each epoch: base rate times a decay factor, stepped per epoch.

    none: 1; step: gamma ** (epoch // step_size); exponential: gamma ** epoch;
    cosine: 0.5 * (1 + cos(pi * epoch / T_max)) with T_max = spec.epochs, held at 0 after T_max.
    A live change (`set_base`) makes the given rate the rate now, and the schedule decays from there,
    so moving the slider never jumps the epoch counter or restarts the decay.
    """

    def __init__(self, schedule: ScheduleSpec, base_lr: float, total_epochs: int) -> None:
        self.kind = ScheduleKind(schedule.kind)
        self.step_size = int(schedule.step_size)
        self.gamma = float(schedule.gamma)
        self.total_epochs = max(1, int(total_epochs))
        self.base_lr = float(base_lr)
        self.anchor_epoch = 0

    @classmethod
    def from_spec(cls, spec: Experiment) -> "LRSchedule":
        return cls(spec.schedule, spec.optimizer.lr, spec.epochs)

    def factor(self, epoch: int) -> float:
        if self.kind == ScheduleKind.none:
            return 1.0
        if self.kind == ScheduleKind.step:
            return self.gamma ** (epoch // self.step_size)
        if self.kind == ScheduleKind.exponential:
            return self.gamma ** epoch
        t = min(epoch, self.total_epochs) / self.total_epochs
        return 0.5 * (1.0 + math.cos(math.pi * t))

    def lr_at(self, epoch: int) -> float:
        """The learning rate to use for epoch `epoch` (0 = the first)."""
        anchor = self.factor(self.anchor_epoch)
        ratio = self.factor(epoch) / anchor if anchor > 1e-12 else 1.0
        return self.base_lr * ratio

    def set_base(self, lr: float, epoch: int) -> None:
        """From epoch `epoch` on the rate is `lr`, decaying by the schedule from there."""
        self.base_lr = float(lr)
        self.anchor_epoch = int(epoch)

    def state_dict(self) -> dict:
        return {"base_lr": self.base_lr, "anchor_epoch": self.anchor_epoch}

    def load_state_dict(self, state: dict) -> None:
        self.base_lr = float(state["base_lr"])
        self.anchor_epoch = int(state["anchor_epoch"])
