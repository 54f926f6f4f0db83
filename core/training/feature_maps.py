"""The feature-maps probe: what an image model's layers make of the focused sample (core/training/focus.py).

For each image layer (conv2d, pooling, ... whose output is (C, H, W)) the first MAX_CHANNELS output
maps, and for each conv2d layer its learned filters; plus the focused input itself (in the data's
units) and the model's class probabilities for it. One forward pass of one sample per grid snapshot.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.training.probes import PROBES, Probe

if TYPE_CHECKING:
    from core.training.trainer import Trainer

MAX_CHANNELS = 16  # maps (and filters) sent per layer; the view says "+N more" for the rest


def applies(trainer: Trainer) -> bool:
    return trainer.dataset.modality == "image" and len(trainer.dataset.input_shape) == 3


def focused_raw(trainer: Trainer) -> np.ndarray:
    """The focused sample in the data's own units and shape (C, H, W): what the user sees and draws."""
    focus, dataset = trainer.focus, trainer.dataset
    if focus.drawn is not None:
        return focus.drawn.copy()
    raw = dataset.raw_test if len(dataset.raw_test) else dataset.raw_train
    row = raw[min(focus.test_index, len(raw) - 1)]
    return np.asarray(row, np.float32).reshape(dataset.input_shape).copy()


@torch.no_grad()
def collect(trainer: Trainer) -> dict[str, Any]:
    """{"input": (C, H, W), "probabilities": (n_classes,) (regression: (1,)), "focus": ..., "layers": (one dict per
    hidden layer: index, type, channels (all of them), maps (<= MAX_CHANNELS, H, W) or None for a flat
    layer, filters (out, in, k, k) capped at MAX_CHANNELS each, or None)}."""
    model = trainer.model
    if trainer._mode_matters and model.training:
        model.eval()
    shown = getattr(model, "shown_outputs", ())
    outputs: dict[str, torch.Tensor] = {}
    h = trainer.focus.features(trainer)
    for name, module in model.named_children():
        h = module(h)
        if name in shown:
            outputs[name] = h
    layers = []
    for k, (layer, name) in enumerate(zip(trainer.spec.layers, shown)):
        out = outputs[name]
        entry: dict[str, Any] = {"index": k, "type": layer.type, "channels": int(out.shape[1]),
                                 "maps": None, "filters": None}
        if out.ndim == 4:
            entry["maps"] = out[0, :MAX_CHANNELS].float().cpu().numpy().copy()
        conv = getattr(model, f"conv{k + 1}", None) if layer.type == "conv2d" else None
        if conv is not None:
            entry["filters"] = conv.weight[:MAX_CHANNELS, :MAX_CHANNELS].detach().float().cpu().numpy().copy()
        layers.append(entry)
    probabilities = np.atleast_1d(trainer.evaluator.probabilities(h)[0]).astype(np.float32)
    if not trainer.regression and trainer.n_outputs == 1:  # binary: P(class 1) -> both classes
        probabilities = np.array([1.0 - probabilities[0], probabilities[0]], np.float32)
    return {"input": focused_raw(trainer), "probabilities": probabilities, "focus": trainer.focus.describe(),
            "layers": tuple(layers)}


FEATURE_MAPS = PROBES.add(Probe(
    name="feature_maps", label="Feature maps",
    tip="Each image layer's output maps and each convolution's filters, for the focused sample.",
    applies="core.training.feature_maps:applies", collect="core.training.feature_maps:collect"))
