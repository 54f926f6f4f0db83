"""The learning-rate finder (fastai's `lr_find`), on copies: the live model and optimizer are never touched.

An exponential sweep of the learning rate from `start_lr` (1e-7) to `end_lr` (10) over `steps` (100)
minibatches, one optimizer step each, on a deep copy of the model and of the optimizer's state. The
loss is smoothed as fastai does (exponential moving average, beta 0.98, debiased) and the sweep
stops once the smoothed loss exceeds 4x its best (or is not finite).

The suggestion is **the minimum / 10** (fastai's `lr_min`): the rate of the lowest smoothed loss
divided by 10. `steepest` (the most negative slope of the smoothed loss against log lr, over 5
steps, between the last step at or above its starting level and its minimum) is reported too; it
was the other candidate, but on the playground's small nets and ~100 noisy minibatches it lands
high (Adam on circle: 0.29, which does not train in 15 epochs, where the minimum / 10, 0.13, does).
With no fall of at least 5 % below the starting level (the median of steps 5-25) there is no
suggestion (`falls` is False): the net needs more steps to learn anything.
Qt-free; `prepare` takes the copies (call it
while the trainer is not training), `sweep` runs anywhere (the window runs it off the GUI thread).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from core.nn.losses import regularization_penalty
from core.nn.optimizers import build_optimizer
from core.spec import Experiment, RegularizationKind
from core.training.schedule import set_lr
from core.training.shuffle import epoch_orders

if TYPE_CHECKING:
    from core.training.trainer import Trainer

START_LR, END_LR, STEPS = 1e-7, 10.0, 100
BETA = 0.98            # fastai's AvgSmoothLoss
DIVERGE_FACTOR = 4.0   # stop once the smoothed loss is above 4x its best
SKIP_START = 5         # the first points of the debiased average are noisy: not suggested (fastai skips 5)
START_STEPS = 20       # the starting level is the median of this many steps after the skip
SLOPE_SPAN = 5         # slopes are taken over 5 steps, so one noisy step cannot win
MIN_FALL = 0.05        # the smoothed loss must fall this share below where it started to suggest anything


@dataclass(frozen=True)
class Finding:
    """The sweep: one row per step taken (lr, loss, smoothed loss) and the suggested rates."""

    lrs: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    suggestion: float          # the suggested rate: minimum_tenth
    minimum_tenth: float       # lr at the lowest smoothed loss / 10 (fastai's lr_min)
    steepest: float            # lr of the steepest descent of the smoothed curve where it falls
    stopped_early: bool        # the smoothed loss passed 4x its best (or became NaN/inf)
    falls: bool = True         # the smoothed loss fell >= 5 % below its start; else the suggestions are NaN

    @property
    def note(self) -> str:
        """One line for the user about the sweep ("" when it found a falling loss)."""
        if self.falls:
            return ""
        return (f"the loss did not fall by {100 * MIN_FALL:.0f} % in {len(self.lrs)} steps, so there is no "
                "suggestion; try more steps (the net may need more updates to learn anything)")

    def to_csv_text(self) -> str:
        lines = ["lr,loss,smoothed_loss"]
        lines += [f"{lr:.9g},{loss:.9g},{smooth:.9g}" for lr, loss, smooth in zip(self.lrs, self.losses, self.smoothed)]
        return "\n".join(lines) + "\n"


@dataclass
class FinderSetup:
    """Private copies of what the sweep trains: model, optimizer, data, loss, regularisation."""

    spec: Experiment
    model: nn.Module
    optimizer: torch.optim.Optimizer
    x: torch.Tensor
    y: torch.Tensor
    loss_fn: Callable
    batch_size: int
    regularization: tuple[RegularizationKind, float]
    first_epoch: int


def prepare(trainer: "Trainer") -> FinderSetup:
    """Copies of the trainer's model and optimizer state (the data tensors are only read)."""
    model = copy.deepcopy(trainer.model)
    optimizer = build_optimizer(trainer.spec, model.parameters())
    state = copy.deepcopy(trainer.optimizer.state_dict())
    if state.get("state"):
        optimizer.load_state_dict(state)
    return FinderSetup(spec=trainer.spec, model=model, optimizer=optimizer, x=trainer.x_train, y=trainer.y_train,
                       loss_fn=trainer.loss_fn, batch_size=trainer.batch_size,
                       regularization=(RegularizationKind(trainer.spec.regularization.kind),
                                       trainer.regularization_rate), first_epoch=trainer.epoch)


def sweep(setup: FinderSetup, start_lr: float = START_LR, end_lr: float = END_LR, steps: int = STEPS,
          progress: Callable[[int, int], bool] | None = None) -> Finding:
    """Run the sweep on the copies; `progress(step, steps)` is called after each step and may return
    False to cancel (the finding then holds the steps so far). Raises ValueError for a bad range."""
    if not (0 < start_lr < end_lr and math.isfinite(end_lr)):
        raise ValueError(f"the learning-rate range must satisfy 0 < start < end, got {start_lr:g} .. {end_lr:g}")
    if steps < 2 * SKIP_START:
        raise ValueError(f"the finder needs at least {2 * SKIP_START} steps, got {steps}")
    model, optimizer = setup.model, setup.optimizer
    n = len(setup.x)
    size = max(1, min(setup.batch_size, n))
    kind, rate = setup.regularization
    lrs, losses, smoothed = [], [], []
    average, best, stopped = 0.0, math.inf, False
    batches = _batches(setup, n, size)
    with torch.random.fork_rng(devices=[]):  # dropout draws from torch's generator here; the run's stays as it was
        torch.manual_seed(setup.spec.seed)
        model.train()
        for i in range(steps):
            lr = start_lr * (end_lr / start_lr) ** (i / (steps - 1))
            set_lr(optimizer, lr)
            rows = next(batches)
            objective = setup.loss_fn(model(setup.x[rows]), setup.y[rows])
            if kind != RegularizationKind.none and rate > 0:
                penalty = regularization_penalty(model, kind, rate)
                if penalty is not None:
                    objective = objective + penalty
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
            loss = float(objective.detach())
            average = BETA * average + (1 - BETA) * loss
            smooth = average / (1 - BETA ** (i + 1))
            lrs.append(lr), losses.append(loss), smoothed.append(smooth)
            if math.isfinite(smooth) and smooth < best:
                best = smooth
            if not math.isfinite(smooth) or smooth > DIVERGE_FACTOR * best:
                stopped = True
                break
            if progress is not None and progress(i + 1, steps) is False:
                break
    return _finding(np.asarray(lrs), np.asarray(losses), np.asarray(smoothed), stopped)


def find_lr(trainer: "Trainer", **options) -> Finding:
    """`sweep(prepare(trainer), ...)`: the trainer's own model and optimizer stay as they are."""
    return sweep(prepare(trainer), **options)


def _batches(setup: FinderSetup, n: int, size: int):
    """Minibatches in the run's own epoch orders (core/training/shuffle.py), epoch after epoch."""
    epoch = setup.first_epoch
    batch_norm = any(isinstance(m, nn.BatchNorm1d) for m in setup.model.modules())
    while True:
        order = torch.from_numpy(epoch_orders(setup.spec.seed, epoch, 1, n)[0]).to(setup.x.device)
        for start in range(0, n, size):
            if not (batch_norm and min(n, start + size) - start < 2):  # batch norm cannot train on one row
                yield order[start:start + size]
        epoch += 1


def _finding(lrs: np.ndarray, losses: np.ndarray, smoothed: np.ndarray, stopped: bool) -> Finding:
    finite = np.where(np.isfinite(smoothed), smoothed, np.inf)
    if len(lrs) == 0:
        nan = float("nan")
        return Finding(lrs, losses, smoothed, nan, nan, nan, stopped, falls=False)
    low = int(np.argmin(finite))
    minimum_tenth = float(lrs[low] / 10)
    first = min(SKIP_START, len(lrs) - 1)
    # The starting level: the median of the first steps after the skip (the debiased average wobbles there).
    start = float(np.median(finite[first:max(first + 1, min(low, first + START_STEPS))]))
    if not (low > first and finite[low] <= (1 - MIN_FALL) * start):
        nan = float("nan")
        return Finding(lrs, losses, smoothed, nan, nan, nan, stopped, falls=False)
    # The fall: from the last step at or above the starting level (noise before it is not a fall) to the minimum.
    above = np.nonzero(finite[first:low] >= start)[0]
    a = first + (int(above[-1]) if len(above) else 0)
    span = max(1, min(SLOPE_SPAN, low - a))
    logs = np.log(lrs)
    slopes = (finite[a + span:low + 1] - finite[a:low + 1 - span]) / (logs[a + span:low + 1] - logs[a:low + 1 - span])
    steepest = float(lrs[a + int(np.argmin(slopes)) + span // 2])
    return Finding(lrs, losses, smoothed, minimum_tenth, minimum_tenth, steepest, stopped)
