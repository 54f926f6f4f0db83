"""Shapes through the layer registry: a spec whose layers do not fit its data is refused before training."""

from __future__ import annotations

from collections.abc import Sequence

from core.nn.layers import LAYER_TYPES, Shape, ShapeError
from core.spec.experiment import Experiment


def layer_shapes(spec: Experiment, input_shape: Sequence[int], n_outputs: int) -> list[Shape]:
    """Each hidden layer's output shape (batch left out) for inputs of `input_shape`.

    Raises ShapeError naming the layer, the shape it gets, where from, and what it needs, e.g.
    "layers.1 (pairsum): gets (5,) from layers.0; needs an even width".
    """
    shape: Shape = tuple(int(n) for n in input_shape)
    if not spec.layers:
        return []  # the output head alone reads the flat rows
    shapes: list[Shape] = []
    for i, layer in enumerate(spec.layers):
        source = "the data" if i == 0 else f"layers.{i - 1}"
        try:
            shape = tuple(LAYER_TYPES[layer.type].output_shape(layer, shape))
        except ShapeError as err:
            raise ShapeError(err.needs, f"layers.{i} ({layer.type}): gets {shape} from {source}; "
                                        f"needs {err.needs}") from None
        shapes.append(shape)
    if len(shape) != 1 and n_outputs >= 1:
        source = "the data" if not spec.layers else f"layers.{len(spec.layers) - 1}"
        raise ShapeError("a flat vector", f"the output layer: gets {shape} from {source}; needs a flat vector")
    return shapes
