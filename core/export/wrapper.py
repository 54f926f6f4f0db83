"""The model as an outside user gets it: raw inputs in, probabilities or values out.

The feature transform (x1^2, sin(x1), ... or the tabular standardisation) and the output head
(sigmoid / softmax / identity, or output * y_std + y_mean for a standardised regression target) are
part of the module, so every exported format takes the same raw columns the user sees and returns
what the GUI shows, in the target's original units.
"""

from __future__ import annotations

import copy
import json
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

import core
from core.data.dataset import Dataset
from core.export.errors import ExportError
from core.spec import Experiment

INPUT_NAME = "raw_inputs"
METADATA_FILE = "layerlab.json"  # TorchScript _extra_files entry; also the ONNX metadata_props prefix


@dataclass(frozen=True)
class ExportMetadata:
    """What an exported file says about itself (stored as JSON in every format)."""

    input_name: str
    raw_names: tuple[str, ...]         # columns of raw_inputs, in order
    model_input_names: tuple[str, ...]  # what the network sees after the feature transform
    output_name: str                   # probability | class_probabilities | prediction
    output_meaning: str
    task: str
    class_names: tuple[str, ...]
    head: str                          # sigmoid | softmax | identity | unstandardize
    spec_json: str
    layerlab_version: str
    y_mean: float | None = None        # head "unstandardize": prediction = network output * y_std + y_mean
    y_std: float | None = None
    input_shape: tuple[int, ...] | None = None  # images: raw_inputs are (n, C, H, W); None: (n, len(raw_names))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> "ExportMetadata":
        raw = json.loads(text)
        for key in ("raw_names", "model_input_names", "class_names"):
            raw[key] = tuple(raw[key])
        if raw.get("input_shape") is not None:
            raw["input_shape"] = tuple(raw["input_shape"])
        return cls(**raw)


class DeployableModel(nn.Module):
    """preprocess -> network -> head; forward(raw_inputs (n, n_raw) or images (n, C, H, W)) -> (n, 1) or (n, C)."""

    def __init__(self, preprocess: nn.Module, network: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.preprocess = preprocess
        self.network = network
        self.head = head

    def forward(self, raw_inputs: torch.Tensor) -> torch.Tensor:
        return self.head(self.network(self.preprocess(raw_inputs)))


class Unstandardize(nn.Module):
    """output * y_std + y_mean: the network's standardised regression output in the target's units."""

    def __init__(self, y_mean: float, y_std: float) -> None:
        super().__init__()
        self.register_buffer("y_mean", torch.tensor(float(y_mean), dtype=torch.float32))
        self.register_buffer("y_std", torch.tensor(float(y_std), dtype=torch.float32))

    def forward(self, output: torch.Tensor) -> torch.Tensor:
        return output * self.y_std + self.y_mean

    def extra_repr(self) -> str:
        return f"y_mean={float(self.y_mean):g}, y_std={float(self.y_std):g}"


def _standardised_target(dataset: Dataset) -> bool:
    return dataset.task == "regression" and dataset.y_mean is not None and dataset.y_std is not None


def output_head(dataset: Dataset) -> tuple[str, str, str]:
    """(head, output_name, meaning) for the dataset's task, following the shared output conventions."""
    if _standardised_target(dataset):
        target = dataset.meta.get("target") or "the target"
        return ("unstandardize", "prediction",
                f"predicted value of {target} in its original units, shape (n, 1)")
    if dataset.task == "regression":
        return "identity", "prediction", "predicted value of the target, shape (n, 1)"
    if dataset.n_classes > 2:
        names = ", ".join(dataset.class_names)
        return ("softmax", "class_probabilities",
                f"probability of each class, shape (n, {dataset.n_classes}), columns: {names}")
    positive = dataset.class_names[1] if len(dataset.class_names) == 2 else "1"
    return "sigmoid", "probability", f"probability of class '{positive}', shape (n, 1)"


def _head_module(head: str, dataset: Dataset) -> nn.Module:
    if head == "unstandardize":
        return Unstandardize(float(dataset.y_mean), float(dataset.y_std))  # type: ignore[arg-type]
    return {"sigmoid": nn.Sigmoid(), "softmax": nn.Softmax(dim=1), "identity": nn.Identity()}[head]


def build_deployable(spec: Experiment, dataset: Dataset, model: nn.Module,
                     preprocess: nn.Module | None = None) -> tuple[DeployableModel, ExportMetadata]:
    """A CPU, eval-mode copy of `model` wrapped with its feature transform and output head.

    The live model is never touched (it may still be training). Raises ExportError if the feature
    transform does not reproduce the inputs the model was trained on.
    """
    if preprocess is None:
        from core.data.input_modules import preprocess_module

        try:
            preprocess = preprocess_module(dataset)
        except ValueError as err:
            raise ExportError(f"cannot build the feature transform for export: {err}") from None
    network = copy.deepcopy(model).to("cpu").float().eval()
    preprocess = copy.deepcopy(preprocess).to("cpu").float().eval()
    head, output_name, meaning = output_head(dataset)
    deployable = DeployableModel(preprocess, network, _head_module(head, dataset)).eval()
    for p in deployable.parameters():
        p.requires_grad_(False)
    _check_preprocess(preprocess, dataset)
    metadata = ExportMetadata(
        input_name=INPUT_NAME,
        raw_names=tuple(dataset.raw_names),
        model_input_names=tuple(dataset.input_names),
        output_name=output_name,
        output_meaning=meaning,
        task=dataset.task,
        class_names=tuple(dataset.class_names),
        head=head,
        spec_json=spec.to_json(),
        layerlab_version=core.__version__,
        y_mean=float(dataset.y_mean) if head == "unstandardize" else None,  # type: ignore[arg-type]
        y_std=float(dataset.y_std) if head == "unstandardize" else None,  # type: ignore[arg-type]
        input_shape=tuple(dataset.input_shape) if dataset.modality in ("image", "sequence") else None,
    )
    return deployable, metadata


def _check_preprocess(preprocess: nn.Module, dataset: Dataset, rows: int = 256) -> None:
    """The transform inside the export must turn raw rows into exactly what the model trained on."""
    raw, x = dataset.raw_test[:rows], dataset.x_test[:rows]
    if len(raw) == 0:
        raw, x = dataset.raw_train[:rows], dataset.x_train[:rows]
    if len(raw) == 0:
        return
    with torch.no_grad():
        got = preprocess(torch.as_tensor(np.asarray(raw, np.float32))).numpy()
    if got.shape != x.shape:
        raise ExportError(f"the feature transform gives shape {got.shape} but the model was trained on "
                          f"{x.shape}; the dataset and its preprocessing disagree")
    diff = float(np.max(np.abs(got - x))) if got.size else 0.0
    scale = max(1.0, float(np.max(np.abs(x))) if x.size else 1.0)
    if not diff <= 1e-4 * scale:
        raise ExportError(f"the feature transform does not reproduce the training inputs (max diff "
                          f"{diff:.3g}); the exported model would see different inputs than in training")
