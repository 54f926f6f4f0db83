"""The dense (fully connected) layer: units, activation, optional norm and dropout."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Any, Literal

from pydantic import Field, PlainSerializer, PlainValidator
from pydantic_core import PydanticCustomError

from core.choices import Norm
from core.nn.activations import ACTIVATIONS, Activation
from core.nn.layers.base import LAYER_TYPES, LayerSpecBase, LayerType, LayerView, Shape


def _activation(value: Any) -> Activation | str:
    """A built-in name becomes its Activation member; a registered extra stays a str."""
    if isinstance(value, Activation):
        return value
    if isinstance(value, str):
        if value in Activation._value2member_map_:
            return Activation(value)
        if value in ACTIVATIONS:
            return value
    names = [repr(n) for n in ACTIVATIONS]
    expected = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    raise PydanticCustomError("enum", "Input should be {expected}", {"expected": expected})


ActivationName = Annotated[Activation | str, PlainValidator(_activation),
                           PlainSerializer(lambda v: v.value if isinstance(v, Enum) else v, when_used="json")]


class LayerSpec(LayerSpecBase):
    """A dense layer (the name stays LayerSpec: most layers are dense)."""

    type: Literal["dense"] = "dense"
    units: int = Field(4, ge=1, le=4096)
    activation: ActivationName = Activation.tanh
    dropout: float = Field(0.0, ge=0.0, lt=1.0)
    norm: Norm = Norm.none


def dense_shape(layer: LayerSpec, shape: Shape) -> Shape:
    """(units,): a dense layer flattens an image (or feature maps) it is given."""
    return (layer.units,)


def _same_in_eval(layer: LayerSpec) -> bool:
    return layer.norm != Norm.batch and layer.dropout == 0 and ACTIVATIONS[layer.activation].same_in_eval


DENSE = LAYER_TYPES.add(LayerType(
    name="dense", label="Dense", tip="Every unit sees every input: a weighted sum, then the activation.",
    spec_model=LayerSpec, output_shape=dense_shape, flattens=True, build="core.nn.layers.dense_build:build",
    shown_output=lambda layer, k: f"{ACTIVATIONS[layer.activation].name}{k}",
    view=LayerView(header="dense", column="units",
                   caption=lambda layer, shape: f"{layer.units} neuron" + "s" * (layer.units != 1)),
    python_code="core.nn.layers.dense_build:python_code",
    fused=lambda layer: "",  # the fused engine's own module checks name what it cannot run (batch norm ...)
    same_in_eval=_same_in_eval))
