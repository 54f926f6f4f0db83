"""An autoencoder's latent layer (the narrowest hidden layer, the first on a tie) and the two halves of
its model: the encoder (inputs -> latent codes) and the decoder (codes -> reconstruction).

The latent view, the decoded point the user clicks and the encoder/decoder exports all cut the model here.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Sequence

from torch import nn

from core.spec import Experiment
from core.spec.shapes import layer_shapes


def latent_layer(spec: Experiment, input_shape: Sequence[int], n_outputs: int) -> int:
    """Index in `spec.layers` of the narrowest hidden layer (fewest output values; the first on a tie).

    ValueError when there is no hidden layer to squeeze the inputs through."""
    if not spec.layers:
        raise ValueError("an autoencoder needs at least one hidden layer: the narrowest is its latent code")
    sizes = [math.prod(shape) for shape in layer_shapes(spec, tuple(input_shape), n_outputs)]
    return sizes.index(min(sizes))


def latent_size(spec: Experiment, input_shape: Sequence[int], n_outputs: int) -> int:
    """How many values the latent code of one row has."""
    shapes = layer_shapes(spec, tuple(input_shape), n_outputs)
    return math.prod(shapes[latent_layer(spec, input_shape, n_outputs)])


def split_model(model: nn.Sequential, latent: int) -> tuple[nn.Sequential, nn.Sequential]:
    """(encoder, decoder) sharing `model`'s modules: the encoder ends with spec layer `latent`'s last
    part (its activation, or dropout, which is the identity in eval mode), the decoder is the rest."""
    groups = getattr(model, "layer_parts", None)
    if groups is None or not 0 <= latent < len(groups):
        raise ValueError(f"the model has no hidden layer {latent} to cut at (built by core.nn.build?)")
    names = list(model._modules)
    cut = names.index(groups[latent][-1]) + 1
    parts = list(model._modules.items())
    return nn.Sequential(OrderedDict(parts[:cut])), nn.Sequential(OrderedDict(parts[cut:]))
