"""The torch side of the image and shape-only layers: their modules and their Python-export code."""

from __future__ import annotations

from torch import nn

from core.nn.activations import ACTIVATIONS
from core.nn.layers.base import Shape
from core.nn.layers.conv import (AvgPool2dSpec, BatchNormSpec, Conv2dSpec, DropoutSpec, MaxPool2dSpec,
                                 conv_padding)

Parts = list[tuple[str, nn.Module]]


def build_conv(layer: Conv2dSpec, in_shape: Shape, k: int) -> Parts:
    """conv{k}, then <activation>{k} (e.g. relu1)."""
    act = ACTIVATIONS[layer.activation]
    conv = nn.Conv2d(in_shape[0], layer.filters, layer.kernel_size, stride=layer.stride,
                     padding=conv_padding(layer))
    return [(f"conv{k}", conv), (f"{act.name}{k}", act.make())]


def build_pool(layer: MaxPool2dSpec | AvgPool2dSpec, in_shape: Shape, k: int) -> Parts:
    pool = nn.MaxPool2d(layer.size) if layer.type == "maxpool2d" else nn.AvgPool2d(layer.size)
    return [(f"pool{k}", pool)]


def build_flatten(layer: object, in_shape: Shape, k: int) -> Parts:
    return [(f"flatten{k}", nn.Flatten())]


def build_global_avg_pool(layer: object, in_shape: Shape, k: int) -> Parts:
    """gap{k}: the mean of each feature map, (n, C, H, W) -> (n, C)."""
    return [(f"gap{k}", nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten()))]


def build_dropout(layer: DropoutSpec, in_shape: Shape, k: int) -> Parts:
    return [(f"dropout{k}", nn.Dropout(layer.rate))]


def build_batch_norm(layer: BatchNormSpec, in_shape: Shape, k: int) -> Parts:
    """norm{k}: per channel for images (BatchNorm2d), per value for flat vectors (BatchNorm1d)."""
    return [(f"norm{k}", nn.BatchNorm2d(in_shape[0]) if len(in_shape) == 3 else nn.BatchNorm1d(in_shape[0]))]


def python_code(module: nn.Module) -> str | None:
    """Constructor code for a module these layers build (dropout and BatchNorm1d: the dense layer's)."""
    if isinstance(module, nn.Conv2d):
        pad = module.padding if isinstance(module.padding, str) else module.padding[0]
        return (f"nn.Conv2d({module.in_channels}, {module.out_channels}, kernel_size={module.kernel_size[0]}, "
                f"stride={module.stride[0]}, padding={pad!r})")
    if isinstance(module, nn.MaxPool2d):
        return f"nn.MaxPool2d({module.kernel_size!r})"
    if isinstance(module, nn.AvgPool2d):
        return f"nn.AvgPool2d({module.kernel_size!r})"
    if isinstance(module, nn.Unflatten):
        return f"nn.Unflatten(1, {tuple(module.unflattened_size)!r})"
    if isinstance(module, nn.Flatten):
        return "nn.Flatten()"
    if isinstance(module, nn.Sequential) and [type(m) for m in module] == [nn.AdaptiveAvgPool2d, nn.Flatten]:
        return "nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())"
    if isinstance(module, nn.BatchNorm2d):
        return (f"nn.BatchNorm2d({module.num_features}, eps={module.eps!r}, momentum={module.momentum!r}, "
                f"affine={module.affine}, track_running_stats={module.track_running_stats})")
    return None
