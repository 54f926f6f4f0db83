"""The sequence probe: for the focused sample, its input over time, target and prediction (after each
step where the network allows it), each recurrent layer's hidden states (units × time), for
next-value sets a free-running continuation; and for the run, each layer's gradient norm and how much
gradient reaches each time step, so vanishing gradients show.

Cost is bounded: the per-sample pictures are one or two small forward passes; the continuation
(one pass per step) and the gradients (one backward pass on at most GRADIENT_ROWS training rows)
are recomputed only while they take at most BUDGET of the run's time, otherwise the last ones are
sent again. Gradients use torch.autograd.grad, so the optimizer's .grad buffers are never touched.
"""

from __future__ import annotations

import time
import weakref
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from core.nn.layers.recurrent_build import Recurrent, TimeConv1d
from core.training.probes import PROBES, Probe

if TYPE_CHECKING:
    from core.training.trainer import Trainer

CONTINUATION_STEPS = 40
GRADIENT_ROWS = 256
BUDGET = 0.1           # the costly parts take at most this share of wall time
HISTORY = 400          # gradient-norm points kept (older ones thinned by half)
NEXT_VALUE_SOURCES = ("sine", "csv_series")
_TIME_PRESERVING = (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.Identity, nn.Dropout, nn.LeakyReLU, nn.ELU, nn.GELU,
                    nn.SiLU, nn.Softplus)


class _Cache:
    """Per-trainer state: the last costly results, their cost, and the gradient-norm history."""

    def __init__(self) -> None:
        self.last_time = -1e9
        self.cost = 0.0
        self.key: tuple[Any, ...] | None = None
        self.continuation: np.ndarray | None = None
        self.grad_epochs: list[int] = []
        self.grad_norms: list[np.ndarray] = []
        self.grad_per_step: np.ndarray | None = None


_CACHES: "weakref.WeakKeyDictionary[Any, _Cache]" = weakref.WeakKeyDictionary()


def applies(trainer: Trainer) -> bool:
    return trainer.dataset.modality == "sequence"


def collect(trainer: Trainer) -> dict[str, Any]:
    """input (T, F) raw, target, prediction (T,) or None, hidden {part: (units, T)}, continuation (N,) or
    None, grad_layers (names), grad_epochs (k,), grad_norms (k, layers), grad_per_step (T,)."""
    dataset = trainer.dataset
    model = trainer.model
    cache = _CACHES.setdefault(trainer, _Cache())
    x = trainer.focus.features(trainer).detach()  # (1, T·F) model units
    steps, features = dataset.input_shape
    raw = _raw_focus(trainer, x).reshape(steps, features)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            hidden, per_step = _hidden_and_per_step(model, x)
            output = model(x)
        out: dict[str, Any] = {
            "input": raw.copy(),
            "target": _target(trainer),
            "prediction": _in_target_units(trainer, output)[0],
            "prediction_over_time": None if per_step is None else _in_target_units(trainer, per_step),
            "hidden": hidden,
            "task": dataset.task,
            "class_names": tuple(dataset.class_names),
        }
        now = time.perf_counter()
        key = (trainer.step, trainer.focus.test_index, trainer.focus.drawn is not None)
        if cache.key != key and now - cache.last_time >= cache.cost / BUDGET:
            started = time.perf_counter()
            cache.continuation = _continuation(trainer, x) if _next_value(trainer) else None
            _record_gradients(trainer, cache)
            cache.cost = time.perf_counter() - started
            cache.last_time, cache.key = now, key
    finally:
        model.train(was_training)
    out["continuation"] = None if cache.continuation is None else cache.continuation.copy()
    out["grad_layers"] = _gradient_groups(model)[0]
    out["grad_epochs"] = np.asarray(cache.grad_epochs, np.int64)
    out["grad_norms"] = (np.stack(cache.grad_norms) if cache.grad_norms
                         else np.zeros((0, len(out["grad_layers"])), np.float32))
    out["grad_per_step"] = None if cache.grad_per_step is None else cache.grad_per_step.copy()
    return out


def _raw_focus(trainer: Trainer, x: torch.Tensor) -> np.ndarray:
    if trainer.focus.drawn is not None:
        return np.asarray(trainer.focus.drawn, np.float32)
    raw = trainer.dataset.raw_test if len(trainer.dataset.raw_test) else trainer.dataset.raw_train
    return np.asarray(raw[min(trainer.focus.test_index, len(raw) - 1)], np.float32)


def _target(trainer: Trainer) -> float | None:
    if trainer.focus.drawn is not None:
        return None
    y = trainer.dataset.y_test if len(trainer.dataset.y_test) else trainer.dataset.y_train
    value = y[min(trainer.focus.test_index, len(y) - 1)]
    if trainer.dataset.task == "regression":
        return float(trainer.dataset.to_target_units(np.asarray([value]))[0])
    return float(value)


def _in_target_units(trainer: Trainer, output: torch.Tensor) -> np.ndarray:
    """Regression: values in the target's units (n,); binary: P(class 1) (n,); classes: (n, C)."""
    if trainer.dataset.task == "regression":
        return trainer.dataset.to_target_units(output.reshape(-1).float().cpu().numpy())
    if output.shape[-1] == 1:
        return torch.sigmoid(output.reshape(-1)).float().cpu().numpy()
    return torch.softmax(output, dim=-1).float().cpu().numpy()


def _hidden_and_per_step(model: nn.Sequential, x: torch.Tensor) -> tuple[dict[str, np.ndarray], torch.Tensor | None]:
    """Each recurrent part's hidden states (units, T), and the network's output after every step (T, out)
    when everything before its last-state recurrent layer keeps the time axis and nothing after it
    needs one (otherwise None)."""
    hidden: dict[str, np.ndarray] = {}
    per_step = None
    h = x
    keeps_time = True
    parts = list(model.named_children())
    for i, (name, module) in enumerate(parts):
        if isinstance(module, Recurrent):
            states = module.hidden_states(h)  # (1, T, units)
            hidden[name] = states[0].T.float().cpu().numpy().copy()
            if not module.return_sequences and keeps_time and per_step is None:
                rest = nn.Sequential(*[m for _, m in parts[i + 1:]])
                try:
                    per_step = rest(states[0])  # every step's state through the rest: (T, outputs)
                except RuntimeError:
                    per_step = None
            h = states if module.return_sequences else states[:, -1]
            continue
        if i > 0 and not isinstance(module, _TIME_PRESERVING):
            keeps_time = keeps_time and isinstance(module, TimeConv1d) and module.stride == (1,) \
                and module.padding == "same"
        h = module(h)
    return hidden, per_step


def _next_value(trainer: Trainer) -> bool:
    dataset = trainer.dataset
    return (dataset.meta.get("source") in NEXT_VALUE_SOURCES and dataset.task == "regression"
            and dataset.input_shape[1] == 1)


def _continuation(trainer: Trainer, x: torch.Tensor) -> np.ndarray:
    """Feed the network its own predictions for CONTINUATION_STEPS steps after the focused window."""
    dataset = trainer.dataset
    mean, std = float(dataset.mean[0]), float(dataset.std[0])
    window = x.clone()
    values = []
    with torch.no_grad():
        for _ in range(CONTINUATION_STEPS):
            value = float(dataset.to_target_units(trainer.model(window).reshape(-1).float().cpu().numpy())[0])
            values.append(value)
            nxt = torch.tensor([[(value - mean) / std]], dtype=window.dtype, device=window.device)
            window = torch.cat([window[:, 1:], nxt], dim=1)
    return np.asarray(values, np.float32)


def _gradient_groups(model: nn.Sequential) -> tuple[tuple[str, ...], list[list[torch.Tensor]]]:
    """(layer names, parameters of each) for the spec's layers that have parameters, then the output."""
    modules = dict(model.named_children())
    names, groups = [], []
    for parts in (*getattr(model, "layer_parts", ()), ("output",)):
        params = [p for n in parts for p in modules[n].parameters() if p.requires_grad]
        if params:
            names.append(" + ".join(p for p in parts if any(True for _ in modules[p].parameters())))
            groups.append(params)
    return tuple(names), groups


def _record_gradients(trainer: Trainer, cache: _Cache) -> None:
    """One backward pass on the first GRADIENT_ROWS training rows: each layer's gradient norm (kept per
    epoch) and the mean gradient norm reaching each time step of the input."""
    if len(trainer.x_train) == 0:
        return
    _, groups = _gradient_groups(trainer.model)
    x = trainer.x_train[:GRADIENT_ROWS].detach().clone().requires_grad_(True)
    y = trainer.y_train[:GRADIENT_ROWS]
    with torch.enable_grad():
        loss = trainer.loss_fn(trainer.model(x), y)
        flat = [p for group in groups for p in group]
        grads = torch.autograd.grad(loss, [x, *flat], allow_unused=True)
    steps, features = trainer.dataset.input_shape
    per_step = grads[0].reshape(len(x), steps, features).norm(dim=2).mean(dim=0)
    cache.grad_per_step = per_step.float().cpu().numpy()
    norms, k = [], 1
    for group in groups:
        squares = sum(float((g.float() ** 2).sum()) for g in grads[k:k + len(group)] if g is not None)
        norms.append(np.sqrt(squares))
        k += len(group)
    if cache.grad_epochs and cache.grad_epochs[-1] == trainer.epoch:
        cache.grad_norms[-1] = np.asarray(norms, np.float32)
        return
    if cache.grad_epochs and trainer.epoch < cache.grad_epochs[-1]:  # a reset or a rollback: start again
        cache.grad_epochs, cache.grad_norms = [], []
    cache.grad_epochs.append(int(trainer.epoch))
    cache.grad_norms.append(np.asarray(norms, np.float32))
    if len(cache.grad_epochs) > HISTORY:  # keep every other old point: bounded, still spans the run
        cache.grad_epochs = cache.grad_epochs[:HISTORY // 2:2] + cache.grad_epochs[HISTORY // 2:]
        cache.grad_norms = cache.grad_norms[:HISTORY // 2:2] + cache.grad_norms[HISTORY // 2:]


SEQUENCE_PROBE = PROBES.add(Probe(
    name="sequence", label="Sequence: input, prediction, hidden states, gradients",
    tip="The focused test sequence with its target and prediction, each recurrent layer's hidden states, "
        "and how gradients reach each layer and time step.",
    applies="core.training.sequence_probe:applies", collect="core.training.sequence_probe:collect"))
