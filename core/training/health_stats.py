"""Training health per layer at snapshot time: the "health" probe's figures (Snapshot.views["health"]).

For each Linear / Conv2d, named as in the diagram (dense1, ..., output):
- weight norm: ||W|| (Frobenius, weights only, no bias);
- gradient norm: ||dL/dW|| of the data loss (no penalty, no dropout; batch norm with the batch's own
  statistics, as in training, its running ones left as they were) on a fixed batch,
  the first HEALTH_ROWS training rows, so snapshots compare like with like. On the fused engine the
  gradient is the epoch kernel's own (core/engines/fused_gradients.py); on torch, autograd's;
- update ratio: ||W_now - W_prev|| / ||W_prev|| between two snapshots, divided by the optimizer steps
  in between: the mean per-step ratio (cs231n's rule of thumb wants ~1e-3 per step). Steps that
  partly cancel make it read a little low; NaN until a second snapshot;
- the histogram of the layer's output after its activation on the same rows, HISTOGRAM_BINS fixed
  bins over the activation's range (tanh [-1, 1], sigmoid [0, 1], relu [0, batch max], others
  [batch min, batch max]), as shares of all values;
- dead share (ReLU): units (conv: channels) never above 0 on any of the rows;
- saturated share (tanh, sigmoid): units in the flat band (|tanh| > 0.99; sigmoid < 0.01 or > 0.99)
  on more than SATURATED_ROW_SHARE of the rows (conv: of the rows x positions).
Cost: one forward pass (and on torch one backward) over <= 256 rows: ~0.8 ms on the default circle
net, 2-6 on the 8x8 demo, ~20 on the digits CNN (benchmarks/health_cost.py, busy 2-core machine). The probe (`sampled`)
keeps it under HEALTH_BUDGET of the run thread by sampling the costlier nets less often.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from core.nn.activations import record_of
from core.training.health_rules import check

if TYPE_CHECKING:
    from core.training.trainer import Trainer

HEALTH_ROWS = 256
HISTOGRAM_BINS = 24
SATURATED_ROW_SHARE = 0.9  # a unit is saturated when it sits in the flat band on more rows than this
HEALTH_BUDGET = 0.05       # the most of the run thread's time the figures take (the probe samples less often)


@dataclass(frozen=True)
class ActivationHealth:
    """What health means for one activation: its histogram range and how its units fail."""

    low: float | None = None    # the histogram's fixed range; None: from the batch
    high: float | None = None
    dies: bool = False           # a unit can stop learning for good (ReLU below 0 on every row)
    flat: Callable[[np.ndarray], np.ndarray] | None = None  # values -> True where the slope is ~0


# By activation record name; the others get a histogram over the batch's range and no failure share.
ACTIVATION_HEALTH: dict[str, ActivationHealth] = {
    "relu": ActivationHealth(low=0.0, dies=True),
    "tanh": ActivationHealth(low=-1.0, high=1.0, flat=lambda a: np.abs(a) > 0.99),
    "sigmoid": ActivationHealth(low=0.0, high=1.0, flat=lambda a: (a < 0.01) | (a > 0.99)),
}
_PLAIN = ActivationHealth()


@dataclass
class _Previous:
    step: int
    weights: list[np.ndarray]
    ratios: np.ndarray


_previous: "weakref.WeakKeyDictionary[Any, _Previous]" = weakref.WeakKeyDictionary()


@dataclass
class _Sample:
    done: float     # perf_counter() when the collection ended
    cost: float     # how long it took
    stats: dict[str, Any]


_samples: "weakref.WeakKeyDictionary[Any, _Sample]" = weakref.WeakKeyDictionary()


def applies(trainer: Trainer) -> bool:
    return len(trainer.x_train) > 0 and any(isinstance(m, (nn.Linear, nn.Conv2d)) for m in trainer.model)


def sampled(trainer: Trainer) -> dict[str, Any]:
    """The probe: `collect`, unless the last collection is too recent for HEALTH_BUDGET (a net whose
    figures take 10 ms gets them every ~0.2 s); then the last figures again (they carry their epoch)."""
    started = time.perf_counter()
    last = _samples.get(trainer)
    if last is not None and started - last.done < last.cost * (1.0 / HEALTH_BUDGET - 1.0):
        return last.stats
    stats = collect(trainer)
    done = time.perf_counter()
    _samples[trainer] = _Sample(done, done - started, stats)
    return stats


def weight_layers(model: nn.Sequential) -> list[tuple[str, nn.Module, int, str]]:
    """(name, module, index of the part whose output the histogram shows, activation name or "") for
    each Linear / Conv2d: its output is taken after the first activation that follows it (before the
    next weight layer), else its own output (the logits)."""
    parts = list(model._modules.items())
    found = []
    for i, (name, module) in enumerate(parts):
        if not isinstance(module, (nn.Linear, nn.Conv2d)):
            continue
        shown, activation = i, ""
        for j in range(i + 1, len(parts)):
            later = parts[j][1]
            if isinstance(later, (nn.Linear, nn.Conv2d)):
                break
            record = record_of(later)
            if record is not None:
                shown, activation = j, record.name
                break
        found.append((name, module, shown, activation))
    return found


def collect(trainer: Trainer) -> dict[str, Any]:
    """The probe's figures now (numpy copies and plain values; see the module docstring)."""
    model = trainer.model
    layers = weight_layers(model)
    rows = min(HEALTH_ROWS, len(trainer.x_train))
    x, y = trainer.x_train[:rows], trainer.y_train[:rows]
    wants = {shown for _, _, shown, _ in layers}
    fused_grads = None
    source = "torch autograd"
    if trainer.engine == "fused":
        try:
            from core.engines.fused_gradients import weight_gradients

            fused_grads, loss_value = weight_gradients(trainer, rows)
            source = "fused kernel"
        except (ValueError, TypeError, IndexError):
            fused_grads = None  # the model is not one the kernels run: autograd gives the same figures
    switch = model.training and getattr(trainer, "_mode_matters", True)  # eval() walks every part: skip it
    if switch:                                                             # where the modes agree
        model.eval()
    norms = _batch_norms_as_in_training(model)
    try:
        with torch.set_grad_enabled(fused_grads is None):
            outputs: dict[int, torch.Tensor] = {}
            h = x
            for i, module in enumerate(model):
                h = module(h)
                if i in wants:
                    outputs[i] = h
            if fused_grads is None:
                loss = trainer.loss_fn(h, y)
                weights = [module.weight for _, module, _, _ in layers]
                grads = [g.detach().cpu().numpy() for g in torch.autograd.grad(loss, weights, allow_unused=True)]
                loss_value = float(loss.detach())
            else:
                grads = fused_grads
    finally:
        _restore_batch_norms(norms)
        if switch:
            model.train()
    weights_now = [module.weight.detach().cpu().numpy().astype(np.float32, copy=True) for _, module, _, _ in layers]
    stats: dict[str, Any] = {
        "layers": tuple(name for name, *_ in layers),
        "activations": tuple(activation for *_, activation in layers),
        "weight_norm": np.array([_norm(w) for w in weights_now]),
        "grad_norm": np.array([_norm(g) for g in grads]),
        "update_ratio": _update_ratios(trainer, weights_now),
        "loss": loss_value, "rows": rows, "epoch": int(trainer.epoch), "step": int(trainer.step),
        "gradients": source,
    }
    dead, saturated, histograms, edges, units = [], [], [], [], []
    for _, _, shown, activation in layers:
        values = _unit_columns(outputs[shown].detach().float().cpu().numpy())
        units.append(int(values.shape[1]))
        rule = ACTIVATION_HEALTH.get(activation, _PLAIN)
        dead.append(float(np.mean(~(values > 0).any(axis=0))) if rule.dies else math.nan)
        saturated.append(float(np.mean(rule.flat(values).mean(axis=0) > SATURATED_ROW_SHARE))
                         if rule.flat is not None else math.nan)
        counts, bin_edges = _histogram(values, rule)
        histograms.append(counts)
        edges.append(bin_edges)
    stats.update(dead=np.array(dead), saturated=np.array(saturated), histograms=tuple(histograms),
                 edges=tuple(edges), units=tuple(units))
    stats["warnings"] = tuple(check(stats))
    return stats


def _batch_norms_as_in_training(model: nn.Module) -> list[tuple[nn.Module, bool, list[torch.Tensor]]]:
    """Batch norm normalises with the batch's own statistics while training, and that is where its
    gradients come from (in eval mode, at the start, a deep sigmoid net with batch norm looks as
    stuck as one without): put each in training mode, keeping copies of its running statistics."""
    kept = []
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            buffers = [b for b in (module.running_mean, module.running_var, module.num_batches_tracked) if b is not None]
            kept.append((module, module.training, [b.clone() for b in buffers]))
            module.train()
    return kept


def _restore_batch_norms(kept: list[tuple[nn.Module, bool, list[torch.Tensor]]]) -> None:
    with torch.no_grad():
        for module, training, copies in kept:
            buffers = [b for b in (module.running_mean, module.running_var, module.num_batches_tracked) if b is not None]
            for buffer, copy in zip(buffers, copies):
                buffer.copy_(copy)
            module.train(training)


def _norm(a: np.ndarray) -> float:
    flat = np.asarray(a, np.float64).ravel()
    return float(math.sqrt(flat @ flat))


def _unit_columns(values: np.ndarray) -> np.ndarray:
    """(rows, units): a conv output (N, C, H, W) becomes (N * H * W, C), one column per channel."""
    if values.ndim == 4:
        return values.transpose(0, 2, 3, 1).reshape(-1, values.shape[1])
    return values.reshape(len(values), -1)


_BIN_STEPS = np.arange(HISTOGRAM_BINS + 1, dtype=np.float64)


def _histogram(values: np.ndarray, rule: ActivationHealth) -> tuple[np.ndarray, np.ndarray]:
    finite = values[np.isfinite(values)]
    low = rule.low if rule.low is not None else (float(finite.min()) if finite.size else 0.0)
    high = rule.high if rule.high is not None else (float(finite.max()) if finite.size else 1.0)
    spread = 1e-3 * max(abs(low), abs(high), 1.0)  # all but equal values (an untrained output): one bin
    if not high - low > spread:                      # in the middle, not a range the axis cannot label
        middle = 0.5 * (low + high)
        low, high = middle - 50 * spread, middle + 50 * spread
    # np.histogram's general path costs ~10x this for a few thousand values
    index = ((finite - low) * (HISTOGRAM_BINS / (high - low))).astype(np.int64)
    counts = np.bincount(np.clip(index, 0, HISTOGRAM_BINS - 1), minlength=HISTOGRAM_BINS)
    edges = (low + (high - low) / HISTOGRAM_BINS * _BIN_STEPS).astype(np.float32)
    return (counts / max(values.size, 1)).astype(np.float32), edges


def _update_ratios(trainer: Trainer, weights: list[np.ndarray]) -> np.ndarray:
    """Mean per-step ||dW|| / ||W|| since the last snapshot that had moved on (NaN before there is one)."""
    step = int(trainer.step)
    before = _previous.get(trainer)
    unknown = np.full(len(weights), math.nan)
    if before is None or step < before.step or len(before.weights) != len(weights) or any(
            a.shape != b.shape for a, b in zip(before.weights, weights)):
        _previous[trainer] = _Previous(step, weights, unknown)
        return unknown.copy()
    if step == before.step:  # nothing trained since (paused): the last figures still hold
        return before.ratios.copy()
    steps = step - before.step
    ratios = np.array([_norm(w - p) / _norm(p) / steps if _norm(p) > 0 else math.nan
                       for w, p in zip(weights, before.weights)])
    _previous[trainer] = _Previous(step, weights, ratios)
    return ratios.copy()
