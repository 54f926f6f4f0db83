"""The model summary (like Keras' `model.summary()`): each layer's output shape, parameters and
multiply-adds, with totals. Read by `layerlab summary EXPERIMENT.json` and the window's View menu."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from torch import nn

from core.nn.build import build_model
from core.nn.layers import LAYER_TYPES
from core.spec import Experiment
from core.spec.shapes import layer_shapes


@dataclass(frozen=True)
class SummaryRow:
    name: str                    # the model parts of this layer: "conv1 + relu1"
    kind: str                    # the layer type's label ("Convolution 2-D"), "Input" or "Output"
    output_shape: tuple[int, ...]  # one sample's, batch left out
    parameters: int
    multiply_adds: int           # per sample (Linear and Conv2d; pooling and activations count 0)
    note: str = ""               # e.g. "flattens 1×8×8 → 64"


@dataclass(frozen=True)
class ModelSummary:
    rows: tuple[SummaryRow, ...]
    total_parameters: int
    trainable_parameters: int
    multiply_adds: int

    def to_text(self) -> str:
        """A fixed-width table: layer, type, output shape, parameters, multiply-adds, then totals."""
        head = ("Layer", "Type", "Output shape", "Param #", "Mult-adds")
        table = [head] + [(r.name, r.kind, _shape(r.output_shape), f"{r.parameters:,}", f"{r.multiply_adds:,}")
                          for r in self.rows]
        widths = [max(len(row[i]) for row in table) for i in range(len(head))]
        lines = []
        for i, row in enumerate(table):
            cells = [c.ljust(w) if j < 3 else c.rjust(w) for j, (c, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells).rstrip())
            if i == 0:
                lines.append("-" * len(lines[0]))
        rule = "=" * max(len(line) for line in lines)
        notes = [f"  {r.name}: {r.note}" for r in self.rows if r.note]
        return "\n".join([rule, *lines, rule,
                          f"Total params: {self.total_parameters:,}",
                          f"Trainable params: {self.trainable_parameters:,}",
                          f"Non-trainable params: {self.total_parameters - self.trainable_parameters:,}",
                          f"Multiply-adds per sample: {self.multiply_adds:,}",
                          *(["Notes:", *notes] if notes else [])])


def _shape(shape: Sequence[int]) -> str:
    return "(None, " + ", ".join(map(str, shape)) + ")"


def _multiply_adds(module: nn.Module, out_shape: Sequence[int], in_shape: Sequence[int] = ()) -> int:
    if isinstance(module, nn.Linear):
        return module.in_features * module.out_features
    if isinstance(getattr(module, "cell", None), nn.RNNBase):  # a recurrent layer: every gate at every step
        cell = module.cell
        gates = {"LSTM": 4, "GRU": 3}.get(cell.mode, 1)
        return in_shape[0] * gates * (cell.input_size + cell.hidden_size) * cell.hidden_size
    if isinstance(module, (nn.Conv1d, nn.Conv2d)):
        k = math.prod(module.kernel_size) * module.in_channels // module.groups
        return math.prod(out_shape) * k
    return 0


def model_summary(spec: Experiment, n_inputs: int, n_outputs: int,
                  input_shape: Sequence[int] | None = None) -> ModelSummary:
    """The summary of the model `spec` builds for data of `input_shape` (default: the spec's data's)."""
    model = build_model(spec, n_inputs, n_outputs, input_shape)
    from core.nn.build import model_input_shape

    in_shape = tuple(input_shape) if input_shape is not None else model_input_shape(spec, n_inputs)
    shapes = layer_shapes(spec, in_shape, n_outputs)
    parts = dict(model.named_children())
    groups = list(getattr(model, "layer_parts", ()))
    note = ""
    if len(in_shape) == 3:
        c, h, w = in_shape
        note = f"image: {c} channel{'s' * (c != 1)} of {h}×{w} pixels"
    elif len(in_shape) == 2:
        note = f"sequence: {in_shape[0]} time steps of {in_shape[1]} feature{'s' * (in_shape[1] != 1)}"
    rows = [SummaryRow("input", "Input", in_shape, 0, 0, note)]
    previous = in_shape
    for i, (layer, shape, names) in enumerate(zip(spec.layers, shapes, groups)):
        modules = [parts[n] for n in names]
        note = ""
        if len(previous) > 1 and LAYER_TYPES[layer.type].flattens:
            note = f"flattens {'×'.join(map(str, previous))} → {math.prod(previous)}"
        rows.append(SummaryRow(" + ".join(names), LAYER_TYPES[layer.type].label, shape,
                               sum(p.numel() for m in modules for p in m.parameters()),
                               sum(_multiply_adds(m, shape, previous) for m in modules), note))
        previous = shape
    head = parts["output"]
    note = f"flattens {'×'.join(map(str, previous))} → {math.prod(previous)}" if len(previous) > 1 else ""
    rows.append(SummaryRow("output", "Output (dense)", (n_outputs,), sum(p.numel() for p in head.parameters()),
                           _multiply_adds(head, (n_outputs,)), note))
    total = sum(p.numel() for p in model.parameters())
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return ModelSummary(tuple(rows), total, trainable, sum(r.multiply_adds for r in rows))


def summary_for(spec: Experiment) -> ModelSummary:
    """Load the spec's data (for its input and output sizes) and summarise the model."""
    from core.data import load_dataset

    dataset = load_dataset(spec)
    return model_summary(spec, dataset.n_inputs, dataset.n_outputs, dataset.input_shape)
