"""The preprocessing of core/data/features.py as torch modules, to put in front of an exported model so it
takes the same raw inputs the user sees.

Both compute in float32 with the same operations, so they agree to rounding. The modules use only mul,
sin, cat, sub and div, so they script with TorchScript and export to ONNX.
"""

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch
from torch import nn

from core.data.features import FEATURE_CODES, feature_names
from core.spec import Feature

if TYPE_CHECKING:
    from core.data.dataset import Dataset


class FeatureMap(nn.Module):
    """Raw (n, 2) points -> (n, k) features, in the order given (e.g. ["x1", "x2", "sin(x1)"])."""

    features: list[str]  # TorchScript reads these class annotations (hence no `from __future__`)
    codes: list[int]  # index into FEATURE_ORDER; forward switches on it (scriptable, unrolled on export)

    def __init__(self, features: Sequence[Feature | str]) -> None:
        super().__init__()
        self.features = list(feature_names(features))
        self.codes = [FEATURE_CODES[Feature(f)] for f in self.features]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x1 = x[:, 0:1]
        x2 = x[:, 1:2]
        cols: list[torch.Tensor] = []
        for code in self.codes:
            if code == 0:
                cols.append(x1)
            elif code == 1:
                cols.append(x2)
            elif code == 2:
                cols.append(x1 * x1)
            elif code == 3:
                cols.append(x2 * x2)
            elif code == 4:
                cols.append(x1 * x2)
            elif code == 5:
                cols.append(torch.sin(x1))
            else:
                cols.append(torch.sin(x2))
        return torch.cat(cols, dim=1)

    def extra_repr(self) -> str:
        return ", ".join(self.features)


class Standardize(nn.Module):
    """(x - mean) / std per column, with mean and std kept as buffers (saved in the state dict)."""

    def __init__(self, mean: np.ndarray | Sequence[float], std: np.ndarray | Sequence[float]) -> None:
        super().__init__()
        mean_t = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(1, -1)
        std_t = torch.as_tensor(np.asarray(std, dtype=np.float32)).reshape(1, -1)
        if mean_t.shape != std_t.shape:
            raise ValueError(f"mean has {mean_t.shape[1]} columns but std has {std_t.shape[1]}")
        self.register_buffer("mean", mean_t.clone())
        self.register_buffer("std", std_t.clone())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std

    def extra_repr(self) -> str:
        return f"columns={self.mean.shape[1]}"


class ImageInput(Standardize):
    """Raw images (n, C, H, W) or flat rows (n, C·H·W) -> flat rows / pixel scale (mean 0, std = scale)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.flatten(1))

    def extra_repr(self) -> str:
        return f"pixels={self.mean.shape[1]}, scale={float(self.std.reshape(-1)[0]):g}"


class SequenceInput(ImageInput):
    """Raw sequences (n, T, F) or flat rows (n, T·F) -> flat rows standardised per feature (the same
    mean and std at every time step)."""

    def extra_repr(self) -> str:
        return f"values={self.mean.shape[1]}"


def preprocess_module(dataset: "Dataset") -> nn.Module:
    """The module that turns the dataset's raw inputs into model inputs (what `x_*` holds)."""
    if dataset.is_planar:
        return FeatureMap(list(dataset.features))
    if dataset.modality == "image" and dataset.mean is not None and dataset.std is not None:
        return ImageInput(dataset.mean, dataset.std)
    if dataset.modality == "sequence" and dataset.mean is not None and dataset.std is not None:
        return SequenceInput(dataset.mean, dataset.std)
    if dataset.mean is None or dataset.std is None:
        raise ValueError("this tabular dataset has no standardisation (mean/std); rebuild it with load_dataset")
    return Standardize(dataset.mean, dataset.std)
