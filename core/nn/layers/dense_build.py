"""The torch side of the dense layer: its modules and their Python-export code."""

from __future__ import annotations

import math

from torch import nn

from core.choices import Norm
from core.nn.activations import ACTIVATIONS
from core.nn.layers.base import Shape
from core.nn.layers.dense import LayerSpec


def build(layer: LayerSpec, in_shape: Shape, k: int) -> list[tuple[str, nn.Module]]:
    """flatten{k} (after an image), dense{k}, norm{k} (with a norm), <activation>{k}, dropout{k} (dropout > 0)."""
    parts: list[tuple[str, nn.Module]] = []
    if len(in_shape) > 1:
        parts.append((f"flatten{k}", nn.Flatten()))
    parts.append((f"dense{k}", nn.Linear(math.prod(in_shape), layer.units)))
    if layer.norm == Norm.batch:
        parts.append((f"norm{k}", nn.BatchNorm1d(layer.units)))
    elif layer.norm == Norm.layer:
        parts.append((f"norm{k}", nn.LayerNorm(layer.units)))
    act = ACTIVATIONS[layer.activation]
    parts.append((f"{act.name}{k}", act.make()))
    if layer.dropout > 0:
        parts.append((f"dropout{k}", nn.Dropout(layer.dropout)))
    return parts


def python_code(module: nn.Module) -> str | None:
    """Constructor code for a module a dense layer builds (activations have their own records)."""
    if isinstance(module, nn.Linear):
        return f"nn.Linear({module.in_features}, {module.out_features}, bias={module.bias is not None})"
    if isinstance(module, nn.BatchNorm1d):
        return (f"nn.BatchNorm1d({module.num_features}, eps={module.eps!r}, momentum={module.momentum!r}, "
                f"affine={module.affine}, track_running_stats={module.track_running_stats})")
    if isinstance(module, nn.LayerNorm):
        bias = getattr(module, "bias", None) is not None
        return (f"nn.LayerNorm({tuple(module.normalized_shape)!r}, eps={module.eps!r}, "
                f"elementwise_affine={module.elementwise_affine}"
                + (f", bias={bias})" if module.elementwise_affine else ")"))
    if isinstance(module, nn.Dropout):
        return f"nn.Dropout(p={module.p!r})"
    return None
