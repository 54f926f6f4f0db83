"""Where a new layer of a chosen type goes, and which types fit a data set at all (the window's
"add a layer" with a type chooser; Qt-free so it is tested and reused without a window)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.nn.layers import LAYER_TYPES, ShapeError
from core.spec.experiment import Experiment
from core.spec.shapes import layer_shapes


def fitting_types(input_shape: Sequence[int]) -> list[str]:
    """The layer types to offer for data of `input_shape`: on an image every type whose default layer
    takes it; on a flat vector only the types drawn as neurons (dense: dropout and norm are its options
    there, and flatten would do nothing)."""
    shape = tuple(int(n) for n in input_shape)
    names = []
    for record in LAYER_TYPES.records():
        if len(shape) == 1 and record.view.column != "units":
            continue
        try:
            record.output_shape(record.spec_model(), shape)
        except ShapeError:
            continue
        names.append(record.name)
    return names


def with_new_layer(spec: Experiment, layers: list[dict[str, Any]], layer: dict[str, Any],
                   input_shape: Sequence[int], n_outputs: int) -> list[dict[str, Any]]:
    """`layers` (JSON) with `layer` added at the last place where the stack still fits: the end for
    a dense layer, after the last image layer for a convolution or pooling (before flatten/dense).
    Raises ShapeError when it fits nowhere: the message of the last place where it got an image
    (e.g. "gets (8, 1, 1)"), else of appending it."""
    errors: list[tuple[bool, ShapeError]] = []
    for position in range(len(layers), -1, -1):
        candidate = [*layers[:position], layer, *layers[position:]]
        try:
            layer_shapes(spec.replace(layers=candidate), input_shape, n_outputs)
        except ShapeError as err:
            errors.append((_gives_image(spec, layers[:position], input_shape), err))
            continue
        return candidate
    raise next((err for image, err in errors if image), errors[0][1])


def _gives_image(spec: Experiment, layers: list[dict[str, Any]], input_shape: Sequence[int]) -> bool:
    """Whether `layers` turn the input into an image (so an image layer after them could fit)."""
    try:
        shapes = layer_shapes(spec.replace(layers=layers), input_shape, 0) if layers else [tuple(input_shape)]
    except ShapeError:
        return False
    return len(shapes[-1]) == 3
