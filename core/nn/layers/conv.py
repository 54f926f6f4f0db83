"""Image layers and the shape-only layers: conv2d, max/avg pooling, flatten, global average pooling,
dropout and batch norm. One spec model and one record each; the torch side is in conv_build.py.

Image layers take (channels, height, width); a layer that does not fit is refused by the shape check
(core.spec.shapes) naming the layer and both shapes, before anything is built.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from core.nn.activations import ACTIVATIONS, Activation
from core.nn.layers.base import LAYER_TYPES, LayerSpecBase, LayerType, LayerView, Shape, ShapeError
from core.nn.layers.dense import ActivationName

_BUILD = "core.nn.layers.conv_build"
_IMAGE = "an image (channels, height, width): put it after an image input or another image layer"


class Conv2dSpec(LayerSpecBase):
    """A 2-D convolution: `filters` kernels of kernel_size × kernel_size, then the activation."""

    type: Literal["conv2d"] = "conv2d"
    filters: int = Field(8, ge=1, le=1024)
    kernel_size: int = Field(3, ge=1, le=15)
    stride: int = Field(1, ge=1, le=8)
    padding: Literal["same", "valid"] = "same"
    activation: ActivationName = Activation.relu


class MaxPool2dSpec(LayerSpecBase):
    type: Literal["maxpool2d"] = "maxpool2d"
    size: int = Field(2, ge=1, le=16, description="window and stride, in pixels")


class AvgPool2dSpec(LayerSpecBase):
    type: Literal["avgpool2d"] = "avgpool2d"
    size: int = Field(2, ge=1, le=16, description="window and stride, in pixels")


class FlattenSpec(LayerSpecBase):
    type: Literal["flatten"] = "flatten"


class GlobalAvgPoolSpec(LayerSpecBase):
    type: Literal["global_avg_pool"] = "global_avg_pool"


class DropoutSpec(LayerSpecBase):
    type: Literal["dropout"] = "dropout"
    rate: float = Field(0.5, ge=0.0, lt=1.0)


class BatchNormSpec(LayerSpecBase):
    type: Literal["batch_norm"] = "batch_norm"


def _image(shape: Shape) -> Shape:
    if len(shape) != 3:
        raise ShapeError(_IMAGE)
    return shape


def conv_padding(layer: Conv2dSpec) -> int | str:
    """What nn.Conv2d gets: "same" at stride 1, kernel_size // 2 pixels at larger strides, 0 for valid."""
    if layer.padding == "valid":
        return 0
    return "same" if layer.stride == 1 else layer.kernel_size // 2


def conv_shape(layer: Conv2dSpec, shape: Shape) -> Shape:
    _, h, w = _image(shape)
    pad = conv_padding(layer)
    if pad == "same":
        return (layer.filters, h, w)
    out = [(n + 2 * int(pad) - layer.kernel_size) // layer.stride + 1 for n in (h, w)]
    if min(out) < 1:
        raise ShapeError(f"an image of at least {layer.kernel_size}×{layer.kernel_size} pixels for its "
                         f"{layer.kernel_size}×{layer.kernel_size} kernel (it would give "
                         f"{(layer.filters, *out)}); use padding 'same' or a smaller kernel")
    return (layer.filters, out[0], out[1])


def pool_shape(layer: MaxPool2dSpec | AvgPool2dSpec, shape: Shape) -> Shape:
    c, h, w = _image(shape)
    out = (c, h // layer.size, w // layer.size)
    if min(out[1:]) < 1:
        raise ShapeError(f"an image of at least {layer.size}×{layer.size} pixels (it would give {out}); "
                         "use a smaller size or fewer pooling layers")
    return out


def _conv_caption(layer: Conv2dSpec, shape: Shape) -> str:
    return f"{layer.filters} filters {layer.kernel_size}×{layer.kernel_size} → {'×'.join(map(str, shape))}"


def _shape_caption(text: str):  # noqa: ANN202
    return lambda layer, shape: f"{text} → {'×'.join(map(str, shape))}"


_BOX = dict(header="plain", column="box", thumbnails=False)

CONV2D = LAYER_TYPES.add(LayerType(
    name="conv2d", label="Convolution 2-D",
    tip="Slides small learned filters over the image: each filter gives one feature map.",
    spec_model=Conv2dSpec, output_shape=conv_shape, build=f"{_BUILD}:build_conv",
    shown_output=lambda layer, k: f"{ACTIVATIONS[layer.activation].name}{k}",
    view=LayerView(**_BOX, caption=_conv_caption, short="Conv 2-D"), python_code=f"{_BUILD}:python_code",
    fused=lambda layer: "convolution layers are not on the fused engine",
    same_in_eval=lambda layer: ACTIVATIONS[layer.activation].same_in_eval))

for _name, _label, _short, _model, _tip in (
        ("maxpool2d", "Max pooling", "Max pool", MaxPool2dSpec, "Keeps the largest value of each size × size window."),
        ("avgpool2d", "Average pooling", "Avg pool", AvgPool2dSpec, "Averages each size × size window.")):
    LAYER_TYPES.add(LayerType(
        name=_name, label=_label, tip=_tip, spec_model=_model, output_shape=pool_shape,
        build=f"{_BUILD}:build_pool", shown_output=lambda layer, k: f"pool{k}",
        view=LayerView(**_BOX, short=_short, caption=lambda layer, shape: f"pool {layer.size}×{layer.size} → "
                                                                          f"{'×'.join(map(str, shape))}"),
        python_code=f"{_BUILD}:python_code", fused=lambda layer: "pooling layers are not on the fused engine",
        same_in_eval=lambda layer: True))

FLATTEN = LAYER_TYPES.add(LayerType(
    name="flatten", label="Flatten", tip="Lays the feature maps out as one long vector for dense layers.",
    spec_model=FlattenSpec, output_shape=lambda layer, shape: (math.prod(shape),), flattens=True,
    build=f"{_BUILD}:build_flatten", shown_output=lambda layer, k: f"flatten{k}",
    view=LayerView(**_BOX, caption=_shape_caption("flatten")), python_code=f"{_BUILD}:python_code",
    fused=lambda layer: "flatten layers are not on the fused engine", same_in_eval=lambda layer: True))

GLOBAL_AVG_POOL = LAYER_TYPES.add(LayerType(
    name="global_avg_pool", label="Global average pooling", tip="Averages each feature map to one number.",
    spec_model=GlobalAvgPoolSpec, output_shape=lambda layer, shape: (_image(shape)[0],),
    build=f"{_BUILD}:build_global_avg_pool", shown_output=lambda layer, k: f"gap{k}",
    view=LayerView(**_BOX, caption=_shape_caption("average")), python_code=f"{_BUILD}:python_code",
    fused=lambda layer: "global average pooling is not on the fused engine", same_in_eval=lambda layer: True))

DROPOUT = LAYER_TYPES.add(LayerType(
    name="dropout", label="Dropout", tip="While training, zeroes each value with probability `rate`.",
    spec_model=DropoutSpec, output_shape=lambda layer, shape: tuple(shape),
    build=f"{_BUILD}:build_dropout", shown_output=lambda layer, k: f"dropout{k}",
    view=LayerView(**_BOX, caption=lambda layer, shape: f"dropout {layer.rate:g}"),
    fused=lambda layer: "a dropout layer of its own is not on the fused engine (use a dense layer's dropout)",
    same_in_eval=lambda layer: layer.rate == 0))

BATCH_NORM = LAYER_TYPES.add(LayerType(
    name="batch_norm", label="Batch norm", tip="Normalises each channel (or value) over the batch.",
    spec_model=BatchNormSpec, output_shape=lambda layer, shape: tuple(shape),
    build=f"{_BUILD}:build_batch_norm", shown_output=lambda layer, k: f"norm{k}",
    view=LayerView(**_BOX, caption=_shape_caption("batch norm")), python_code=f"{_BUILD}:python_code",
    fused=lambda layer: "batch norm (running statistics) is not on the fused engine",
    same_in_eval=lambda layer: False))
