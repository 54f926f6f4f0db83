"""Layer types: one record per type (its spec model, output shape, builder, views, export, engines).

Dispatch on a layer's `type` goes through LAYER_TYPES, never through isinstance chains: the model
builder, shape check, Python export, trainer and (in app/) the network view read the record.
Importing this module never imports torch; builders are named by "pkg.module:function".
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidatorFunctionWrapHandler
from pydantic_core import PydanticCustomError

from core.registry import Record, Registry
from core.strict import SpecError, Strict

if TYPE_CHECKING:
    from torch import nn

Shape = tuple[int, ...]


class ShapeError(SpecError):
    """A layer that does not fit the shape it is given; `needs` says what it needs ("a flat vector")."""

    def __init__(self, needs: str, message: str | None = None) -> None:
        super().__init__(message or f"needs {needs}")
        self.needs = needs


class LayerSpecBase(Strict):
    """The spec of one layer; each type's model narrows `type` to its own name."""

    type: str


@dataclass(frozen=True, kw_only=True)
class LayerView:
    """How the network view shows a layer of this type."""

    header: str = "plain"  # which header widget: "dense" (units, activation, norm, dropout) or "plain"
    column: str = "units"  # "units": one node per output value; "box": one node for the whole layer
    caption: Callable[[Any, Shape], str] = lambda layer, shape: layer.type
    thumbnails: bool = True  # whether its nodes show neuron thumbnails
    short: str = ""  # the name for a narrow column, where the label's words do not fit ("Conv 2-D")


@dataclass(frozen=True, kw_only=True)
class LayerType(Record):
    spec_model: type[LayerSpecBase]  # pydantic model with `type: Literal[name]`
    output_shape: Callable[[Any, Shape], Shape]  # (layer, input shape) -> output shape, or ShapeError
    build: str | Callable[[Any, Shape, int], list[tuple[str, "nn.Module"]]]  # (layer, input shape, k) -> parts
    shown_output: Callable[[Any, int], str]  # the part whose output the views show, e.g. "tanh1"
    view: LayerView = LayerView()
    python_code: str | Callable[["nn.Module"], str | None] = lambda module: None  # code for a part it builds
    fused: Callable[[Any], str] = lambda layer: "this layer type is not on the fused engine"  # "" = runs fused
    same_in_eval: Callable[[Any], bool] = lambda layer: False  # output identical in train and eval mode
    flattens: bool = False  # takes any shape and flattens it (dense, flatten): flat data needs no unflatten


LAYER_TYPES: Registry[LayerType] = Registry("layer type")


def pick_layer(value: Any, handler: ValidatorFunctionWrapHandler) -> LayerSpecBase:
    """Validate one layer by its `type` (dense when missing) with that type's spec model."""
    if isinstance(value, LayerSpecBase):
        return value
    name = value.get("type", "dense") if isinstance(value, dict) else "dense"
    record = LAYER_TYPES.get(name) if isinstance(name, str) else None
    if record is None:
        raise PydanticCustomError("layer_type", "type {got} is not a layer type; allowed: {allowed}",
                                  {"got": repr(name)[:80], "allowed": ", ".join(LAYER_TYPES)})
    return record.spec_model.model_validate(value)
