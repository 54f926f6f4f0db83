"""The torch side of the sequence layers: their modules and their Python-export code.

nn.RNN/LSTM/GRU return (outputs, state) tuples and nn.Conv1d wants (n, channels, time), so two small
modules fit them into nn.Sequential on (n, time, features) tensors. Their sources are written into the
Python export as they are here (`export_source`), so the generated code builds the same modules and
the state-dict keys read like the diagram: lstm1.cell.weight_ih_l0, conv1.weight.
"""

from __future__ import annotations

import torch
from torch import nn

from core.nn.activations import ACTIVATIONS
from core.nn.layers.base import Shape
from core.nn.layers.recurrent import Conv1dSpec, RecurrentSpec, conv1d_padding

Parts = list[tuple[str, nn.Module]]
_CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


class Recurrent(nn.Module):
    """A recurrent layer on (n, time, features): every step's hidden state (n, time, units), or the
    last one (n, units) when return_sequences is false."""

    export_source = True

    def __init__(self, cell: nn.Module, return_sequences: bool = False) -> None:
        super().__init__()
        self.cell = cell
        self.return_sequences = return_sequences

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        states = self.cell(x)[0]
        return states if self.return_sequences else states[:, -1]

    def hidden_states(self, x: torch.Tensor) -> torch.Tensor:
        """Every step's hidden state (n, time, units), whatever return_sequences says."""
        return self.cell(x)[0]


class TimeConv1d(nn.Conv1d):
    """nn.Conv1d on (n, time, features) -> (n, time', filters): the same weights, time-major tensors."""

    export_source = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._conv_forward(x.transpose(1, 2), self.weight, self.bias).transpose(1, 2)


def build_recurrent(layer: RecurrentSpec, in_shape: Shape, k: int) -> Parts:
    """<type>{k} (rnn1, lstm1, gru1): the cell over the sequence, batch first.

    Gated layers get the chrono initialisation (Tallec & Ollivier, 2018), so their units start out
    remembering over 1 to T steps: an LSTM's forget-gate biases log U(1, T - 1) and its input gates the
    opposite; a GRU's update-gate biases log U(1, T - 1). On `memory` (30 epochs) a 16-unit LSTM went
    from chance to 1.00 at 40 and 80 steps, a GRU from chance to 1.00 at 40 and 80 (seed 0)."""
    cell = _CELLS[layer.type](in_shape[1], layer.units, batch_first=True)
    if layer.type == "lstm":
        units, steps = layer.units, max(int(in_shape[0]), 3)
        with torch.no_grad():
            forget = torch.log(torch.empty(units).uniform_(1.0, steps - 1.0))
            cell.bias_ih_l0[units:2 * units] = forget
            cell.bias_hh_l0[units:2 * units] = 0.0
            cell.bias_ih_l0[:units] = -forget
            cell.bias_hh_l0[:units] = 0.0
    elif layer.type == "gru":  # gates r, z, n; h' = (1 - z) n + z h: z near 1 keeps the state
        units, steps = layer.units, max(int(in_shape[0]), 3)
        with torch.no_grad():
            cell.bias_ih_l0[units:2 * units] = torch.log(torch.empty(units).uniform_(1.0, steps - 1.0))
            cell.bias_hh_l0[units:2 * units] = 0.0
    return [(f"{layer.type}{k}", Recurrent(cell, layer.return_sequences))]


def build_conv1d(layer: Conv1dSpec, in_shape: Shape, k: int) -> Parts:
    """conv{k}, then <activation>{k} (e.g. relu1)."""
    act = ACTIVATIONS[layer.activation]
    conv = TimeConv1d(in_shape[1], layer.filters, layer.kernel_size, stride=layer.stride,
                      padding=conv1d_padding(layer))
    return [(f"conv{k}", conv), (f"{act.name}{k}", act.make())]


def python_code(module: nn.Module) -> str | None:
    """Constructor code for a module these layers build."""
    if isinstance(module, Recurrent):
        cell = module.cell
        return (f"Recurrent(nn.{type(cell).__name__}({cell.input_size}, {cell.hidden_size}, batch_first=True), "
                f"return_sequences={module.return_sequences})")
    if isinstance(module, TimeConv1d):
        pad = module.padding if isinstance(module.padding, str) else module.padding[0]
        return (f"TimeConv1d({module.in_channels}, {module.out_channels}, kernel_size={module.kernel_size[0]}, "
                f"stride={module.stride[0]}, padding={pad!r})")
    return None
