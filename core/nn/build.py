"""Build the network an Experiment describes, as a named nn.Sequential that reads like the diagram.

Each layer's parts come from its type's record (core.nn.layers), so a new layer type needs no change here.
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence

import torch
from torch import nn

from core.nn.layers import LAYER_TYPES, Shape
from core.registry import resolve
from core.spec import Experiment
from core.spec.shapes import layer_shapes

# Models built elsewhere (tests, old callers) have no shown_outputs: their activations are found by name.
_NAME = re.compile(r"^([a-z_]+?)(\d+)$")
_NOT_ACTIVATION = ("dense", "norm", "dropout")


def model_input_shape(spec: Experiment, n_inputs: int) -> Shape:
    """What one row of the data is to the layers: (C, H, W) for image sets, else (n_inputs,)."""
    from core.data.images import image_shape
    from core.data.sequences import sequence_shape

    shape = image_shape(spec) or sequence_shape(spec)
    return tuple(shape) if shape is not None and math.prod(shape) == n_inputs else (n_inputs,)


def build_model(spec: Experiment, n_inputs: int, n_outputs: int,
                input_shape: Sequence[int] | None = None) -> nn.Sequential:
    """The network `spec.layers` describes, seeded by `spec.seed` so the same spec starts the same.

    Names for dense layers: dense1, norm1 (only with a norm), <activation>1 (e.g. tanh1), dropout1
    (only with dropout > 0), dense2, ..., output. With no hidden layers the model is just `output`.
    Other types name their parts by layer position too: conv1, relu1, pool2, flatten3, dense4, ...
    The model takes flat rows (n, n_inputs); for image data (`input_shape` (C, H, W), by default
    the spec's data's) an `image` part unflattens them before the first layer that needs an image.
    Raises ShapeError (a SpecError) when a layer does not fit the shape it gets.
    """
    if n_inputs < 1:
        raise ValueError(f"build_model: the model needs at least one input, got n_inputs={n_inputs}")
    if n_outputs < 1:
        raise ValueError(f"build_model: the model needs at least one output, got n_outputs={n_outputs}")
    in_shape: Shape = tuple(input_shape) if input_shape is not None else model_input_shape(spec, n_inputs)
    if math.prod(in_shape) != n_inputs:
        raise ValueError(f"build_model: input_shape {in_shape} does not hold n_inputs={n_inputs} values")
    shapes = layer_shapes(spec, in_shape, n_outputs)
    with _SEEDED_BUILD:
        return _build_seeded(spec, in_shape, shapes, n_inputs, n_outputs)


# torch draws initial weights from its one global generator: two threads building at once (the run thread
# and the test, the summary dialog, a checkpoint check) would interleave their draws, and the same seed
# would not give the same weights. Seeding and building hold this lock.
_SEEDED_BUILD = threading.RLock()


def _build_seeded(spec: Experiment, in_shape: Shape, shapes: list, n_inputs: int, n_outputs: int) -> nn.Sequential:
    torch.manual_seed(spec.seed)
    parts: OrderedDict[str, nn.Module] = OrderedDict()
    shown = []
    groups = []
    if len(in_shape) > 1:
        if spec.layers and LAYER_TYPES[spec.layers[0].type].flattens or not spec.layers:
            in_shape = (n_inputs,)  # the rows are flat already
        else:
            parts["image" if len(in_shape) == 3 else "sequence"] = nn.Unflatten(1, in_shape)
    for k, (layer, out_shape) in enumerate(zip(spec.layers, shapes), start=1):
        record = LAYER_TYPES[layer.type]
        built = resolve(record.build)(layer, in_shape, k)
        for name, module in built:
            parts[name] = module
        groups.append(tuple(name for name, _ in built))
        shown.append(record.shown_output(layer, k))
        in_shape = out_shape
    parts["output"] = nn.Linear(in_shape[0], n_outputs)
    model = nn.Sequential(parts)
    model.shown_outputs = tuple(shown)  # what the views show per hidden layer (hidden_layer_ends)
    model.layer_parts = tuple(groups)  # the part names of each spec layer (the model summary)
    return model


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    """Every Linear (dense1..denseN, output), input side first: Snapshot.weights[k] is the k-th."""
    return [m for m in model if isinstance(m, nn.Linear)]


def hidden_layer_ends(model: nn.Sequential) -> list[int]:
    """Index in `model` of each hidden layer's shown output (its activation for dense layers), in order."""
    names = list(model._modules)
    shown = getattr(model, "shown_outputs", None)
    if shown is not None:
        return [names.index(name) for name in shown]
    return [i for i, name in enumerate(names)
            if (match := _NAME.match(name)) and match.group(1) not in _NOT_ACTIVATION]


def hidden_activations(model: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """Each hidden layer's output (after its norm and activation) for inputs x: the neuron thumbnails.

    Runs the model as it is (call model.eval() first for deterministic dropout/batch-norm).
    """
    ends = set(hidden_layer_ends(model))
    outputs = []
    h = x
    for i, module in enumerate(model):
        h = module(h)
        if i in ends:
            outputs.append(h)
    return outputs


def count_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
