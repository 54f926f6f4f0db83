"""Layer types: the registry, its base records and the built-in dense layer (torch-free)."""

from typing import Annotated

from pydantic import SerializeAsAny, WrapValidator

from core.nn.layers.base import LAYER_TYPES, LayerSpecBase, LayerType, LayerView, Shape, ShapeError, pick_layer
from core.nn.layers.dense import DENSE, ActivationName, LayerSpec
from core.nn.layers import conv  # noqa: F401 - registers conv2d, pooling, flatten, dropout, batch_norm
from core.nn.layers import recurrent  # noqa: F401 - registers rnn, lstm, gru, conv1d

# One layer of an Experiment: validated by the spec model of its `type`, saved with all its fields.
AnyLayer = Annotated[SerializeAsAny[LayerSpecBase], WrapValidator(pick_layer)]

__all__ = ["DENSE", "LAYER_TYPES", "ActivationName", "AnyLayer", "LayerSpec", "LayerSpecBase", "LayerType",
           "LayerView", "Shape", "ShapeError", "pick_layer"]
