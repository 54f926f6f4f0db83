"""Sequence layers: rnn, lstm, gru (`units`, `return_sequences`) and conv1d. One spec model and one
record each; the torch side is in recurrent_build.py.

Sequence layers take (time steps, features) and give (time steps, units) or, for a recurrent layer
with return_sequences false, the last hidden state (units,). A dense layer after a (T, units) output
flattens it, as after an image. A layer that does not fit is refused by the shape check naming it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.nn.activations import ACTIVATIONS, Activation
from core.nn.layers.base import LAYER_TYPES, LayerSpecBase, LayerType, LayerView, Shape, ShapeError
from core.nn.layers.dense import ActivationName

_BUILD = "core.nn.layers.recurrent_build"
_SEQUENCE = ("a sequence (time steps, features): put it after sequence data or a layer with "
             "return_sequences true")


class RecurrentSpec(LayerSpecBase):
    """A recurrent layer: `units` hidden values carried from step to step."""

    units: int = Field(16, ge=1, le=1024)
    return_sequences: bool = Field(False, description="give the hidden state at every step (time steps, units); "
                                   "false: only the last one (units,)")


class RnnSpec(RecurrentSpec):
    type: Literal["rnn"] = "rnn"


class LstmSpec(RecurrentSpec):
    type: Literal["lstm"] = "lstm"


class GruSpec(RecurrentSpec):
    type: Literal["gru"] = "gru"


class Conv1dSpec(LayerSpecBase):
    """A 1-D convolution over time: `filters` kernels of kernel_size steps, then the activation."""

    type: Literal["conv1d"] = "conv1d"
    filters: int = Field(16, ge=1, le=1024)
    kernel_size: int = Field(5, ge=1, le=64)
    stride: int = Field(1, ge=1, le=16)
    padding: Literal["same", "valid"] = "same"
    activation: ActivationName = Activation.relu


def _sequence(shape: Shape) -> Shape:
    if len(shape) != 2:
        raise ShapeError(_SEQUENCE)
    return shape


def recurrent_shape(layer: RecurrentSpec, shape: Shape) -> Shape:
    steps, _ = _sequence(shape)
    return (steps, layer.units) if layer.return_sequences else (layer.units,)


def conv1d_padding(layer: Conv1dSpec) -> int | str:
    """What nn.Conv1d gets: "same" at stride 1, kernel_size // 2 steps at larger strides, 0 for valid."""
    if layer.padding == "valid":
        return 0
    return "same" if layer.stride == 1 else layer.kernel_size // 2


def conv1d_shape(layer: Conv1dSpec, shape: Shape) -> Shape:
    steps, _ = _sequence(shape)
    pad = conv1d_padding(layer)
    if pad == "same":
        return (steps, layer.filters)
    out = (steps + 2 * int(pad) - layer.kernel_size) // layer.stride + 1
    if out < 1:
        raise ShapeError(f"a sequence of at least {layer.kernel_size} steps for its {layer.kernel_size}-step "
                         f"kernel (it would give {out} steps); use padding 'same' or a smaller kernel")
    return (out, layer.filters)


def _caption(layer: RecurrentSpec, shape: Shape) -> str:
    return f"{layer.type.upper()} {layer.units} → {'×'.join(map(str, shape))}"


_BOX = dict(header="plain", column="box", thumbnails=False)
_TIPS = {
    "rnn": "A plain recurrent layer: h_t = tanh(W x_t + U h_(t-1)). Simple; over long sequences its "
           "gradient fades towards the start (vanishing gradients).",
    "lstm": "Long short-term memory: gates decide what the cell keeps, so it remembers over long sequences.",
    "gru": "Gated recurrent unit: like an LSTM with fewer gates and parameters.",
}
RECURRENT_TYPES = {}
for _name, _label, _model in (("rnn", "RNN", RnnSpec), ("lstm", "LSTM", LstmSpec), ("gru", "GRU", GruSpec)):
    RECURRENT_TYPES[_name] = LAYER_TYPES.add(LayerType(
        name=_name, label=_label, tip=_TIPS[_name], spec_model=_model, output_shape=recurrent_shape,
        build=f"{_BUILD}:build_recurrent", shown_output=lambda layer, k: f"{layer.type}{k}",
        view=LayerView(**_BOX, caption=_caption), python_code=f"{_BUILD}:python_code",
        fused=lambda layer: "recurrent layers are not on the fused engine",
        same_in_eval=lambda layer: True))

CONV1D = LAYER_TYPES.add(LayerType(
    name="conv1d", label="Convolution 1-D",
    tip="Slides small learned filters along the time steps: each filter gives one output per step.",
    spec_model=Conv1dSpec, output_shape=conv1d_shape, build=f"{_BUILD}:build_conv1d",
    shown_output=lambda layer, k: f"{ACTIVATIONS[layer.activation].name}{k}",
    view=LayerView(**_BOX, short="Conv 1-D", caption=lambda layer, shape: f"{layer.filters} filters of "
                                                                          f"{layer.kernel_size} → {'×'.join(map(str, shape))}"),
    python_code=f"{_BUILD}:python_code", fused=lambda layer: "convolution layers are not on the fused engine",
    same_in_eval=lambda layer: ACTIVATIONS[layer.activation].same_in_eval))
