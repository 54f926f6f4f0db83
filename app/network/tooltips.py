"""What the network diagram's tooltips say: a neuron, a link and its weight, the undrawn neurons.

Plain functions of what the canvas draws, so the words live apart from the painting and the mouse.
Indices are 0-based; the text counts from 1 ("unit 3").
"""

from __future__ import annotations

import numpy as np

from app.network import feature_maps
from app.network.geometry import Column, is_dense, unit_name
from core.nn.activations import ACTIVATIONS
from core.nn.layers import LAYER_TYPES


def linear_name(layer: int, n_hidden: int) -> str:
    """The model's name for the `layer`-th Linear ('dense2', or 'output' for the last)."""
    return "output" if layer == n_hidden else f"dense{layer + 1}"


def link_tooltip(columns: list[Column], n_hidden: int, layer: int, out_index: int, in_index: int,
                 weight: float | None) -> str:
    """E.g. 'dense2: unit 3 ← unit 1, weight -0.42'."""
    target = unit_name(columns[layer + 1], out_index)
    source = unit_name(columns[layer], in_index)
    shown = "not known yet" if weight is None else f"{weight:.3g}"
    return f"{linear_name(layer, n_hidden)}: {target} ← {source}, weight {shown}\nClick to type a new weight."


def node_tooltip(columns: list[Column], column: int, hidden: list, input_names: list[str], image_input: bool,
                 biases: list[np.ndarray] | None, kind: str, layer: int, unit: int) -> str:
    """What neuron `unit` of `columns[column]` is: an input feature or channel, a hidden unit with its
    activation and bias, a feature map (and its filter), a plain layer box, or an output."""
    if kind == "input":
        if image_input:
            return f"The focused image (click one in the gallery, or draw one), channel {columns[0].labels[unit]}"
        return f"{input_names[unit]}: an input feature (its value over the plane)"
    bias = "" if biases is None else f", bias {float(biases[column - 1][unit]):.3g}"
    name = unit_name(columns[column], unit)
    if kind == "hidden":
        spec = hidden[layer]
        if columns[column].pictures:
            text = (f"layer {layer + 1} ({LAYER_TYPES[spec.type].label}): channel {unit + 1}'s feature map "
                    "for the focused image (blue positive, orange negative)")
            if spec.type == "conv2d":
                text += ("\nLeft of it, its learned filter (its weights for each input channel, "
                         f"the first {feature_maps.MOSAIC} input channels)")
            return text
        if not is_dense(spec):
            return f"layer {layer + 1}: {LAYER_TYPES[spec.type].label}"
        return f"{linear_name(layer, len(hidden))}: {name} ({ACTIVATIONS[spec.activation].name}){bias}"
    return f"{name}{bias}"


def more_tooltip(column: Column) -> str:
    """The '+N more' caption under a column too tall to draw whole."""
    return (f"{column.hidden_count} more neurons are not drawn, to keep the diagram readable; "
            "they train like the others.")
