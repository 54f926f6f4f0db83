"""Build the network an Experiment describes, as a named nn.Sequential that reads like the diagram."""

from __future__ import annotations

import re
from collections import OrderedDict

import torch
from torch import nn

from core.nn.activations import ACTIVATIONS
from core.spec import Experiment, Norm

_NAME = re.compile(r"^([a-z_]+?)(\d+)$")
_NOT_ACTIVATION = ("dense", "norm", "dropout")


def build_model(spec: Experiment, n_inputs: int, n_outputs: int) -> nn.Sequential:
    """The network `spec.layers` describes, seeded by `spec.seed` so the same spec starts the same.

    Names: dense1, norm1 (only with a norm), <activation>1 (e.g. tanh1), dropout1 (only with
    dropout > 0), dense2, ..., output. With no hidden layers the model is just `output`.
    """
    if n_inputs < 1:
        raise ValueError(f"build_model: the model needs at least one input, got n_inputs={n_inputs}")
    if n_outputs < 1:
        raise ValueError(f"build_model: the model needs at least one output, got n_outputs={n_outputs}")
    torch.manual_seed(spec.seed)
    parts: OrderedDict[str, nn.Module] = OrderedDict()
    width = n_inputs
    for k, layer in enumerate(spec.layers, start=1):
        parts[f"dense{k}"] = nn.Linear(width, layer.units)
        if layer.norm == Norm.batch:
            parts[f"norm{k}"] = nn.BatchNorm1d(layer.units)
        elif layer.norm == Norm.layer:
            parts[f"norm{k}"] = nn.LayerNorm(layer.units)
        act = ACTIVATIONS[layer.activation]
        parts[f"{act.name}{k}"] = act.make()
        if layer.dropout > 0:
            parts[f"dropout{k}"] = nn.Dropout(layer.dropout)
        width = layer.units
    parts["output"] = nn.Linear(width, n_outputs)
    return nn.Sequential(parts)


def linear_layers(model: nn.Sequential) -> list[nn.Linear]:
    """Every Linear (dense1..denseN, output), input side first: Snapshot.weights[k] is the k-th."""
    return [m for m in model if isinstance(m, nn.Linear)]


def hidden_layer_ends(model: nn.Sequential) -> list[int]:
    """Index in `model` of each hidden layer's activation module (its visible output), in order."""
    ends = []
    for i, name in enumerate(model._modules):
        match = _NAME.match(name)
        if match and match.group(1) not in _NOT_ACTIVATION:
            ends.append(i)
    return ends


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
