"""An autoencoder as an outside user gets it: the whole model (raw inputs -> reconstruction in the inputs'
units), the encoder (raw inputs -> latent codes) or the decoder (latent codes -> reconstruction).

Each part is a DeployableModel (preprocess -> network -> head) like any export, so every format writes and
verifies it the same way (core/export/api.py): batches of 1, 7 and 1000 against the live model's half.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import torch
from torch import nn

from core.data.dataset import Dataset
from core.export.errors import ExportError
from core.export.wrapper import DeployableModel, ExportMetadata, build_deployable
from core.nn.latent import latent_layer, split_model
from core.spec import Experiment

PARTS = ("all", "encoder", "decoder")


class Reconstruct(nn.Module):
    """The network's output rows in the inputs' units: output * std + mean (mse on standardised inputs),
    or sigmoid(output) * (high - low) + low (bce on min-max scaled inputs); image rows keep their shape."""

    def __init__(self, scale: np.ndarray, shift: np.ndarray, sigmoid: bool, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, np.float32)))
        self.register_buffer("shift", torch.as_tensor(np.asarray(shift, np.float32)))
        self.sigmoid = bool(sigmoid)
        self.shape = [int(v) for v in shape]

    def forward(self, output: torch.Tensor) -> torch.Tensor:
        if self.sigmoid:
            output = torch.sigmoid(output)
        return (output * self.scale + self.shift).reshape([-1] + self.shape)


def reconstruction_head(dataset: Dataset) -> Reconstruct:
    shape = tuple(dataset.input_shape) if dataset.modality == "image" else (dataset.n_inputs,)
    if dataset.target_range is not None:
        low, high = dataset.target_range
        return Reconstruct(high - low, low, True, shape)
    assert dataset.mean is not None and dataset.std is not None
    return Reconstruct(dataset.std, dataset.mean, False, shape)


def check_part(part: str, dataset: Dataset, fmt: str) -> str:
    """The part name, or ExportError saying what can be exported."""
    part = str(part).strip().lower()
    if part not in PARTS:
        raise ExportError(f"unknown part '{part}'; choose one of {', '.join(PARTS)}")
    if part != "all" and dataset.task != "autoencoder":
        raise ExportError(f"--part {part} needs an autoencoder (task 'autoencoder'); this model is a "
                          f"{dataset.task} model: export it whole (--part all)")
    if dataset.task == "autoencoder" and fmt == "python":
        raise ExportError("autoencoders export as onnx or torchscript (the whole model, the encoder or the "
                          "decoder); the python format writes classifiers and regressors only")
    return part


def build_part(spec: Experiment, dataset: Dataset, model: nn.Module, part: str,
               raw: np.ndarray) -> tuple[DeployableModel, ExportMetadata, np.ndarray]:
    """(deployable, metadata, sample inputs) of one part of an autoencoder; `raw` are sample raw inputs."""
    whole, metadata = build_deployable(spec, dataset, model)
    latent = latent_layer(spec, dataset.input_shape, dataset.n_outputs)
    encoder, decoder = split_model(whole.network, latent)
    head = reconstruction_head(dataset)
    shape = "(n, " + ", ".join(str(v) for v in head.shape) + ")"
    units = "pixel values" if dataset.modality == "image" else "the columns' own units"
    if part == "all":
        deployable = DeployableModel(whole.preprocess, whole.network, head).eval()
        return deployable, replace(metadata, output_name="reconstruction", head="reconstruct",
                                   output_meaning=f"the inputs reconstructed, in {units}, shape {shape}"), raw
    with torch.no_grad():
        codes = encoder(whole.preprocess(torch.as_tensor(raw))).numpy()
    names = tuple(f"z{k + 1}" for k in range(codes.shape[1]))
    if part == "encoder":
        deployable = DeployableModel(whole.preprocess, encoder, nn.Identity()).eval()
        return deployable, replace(metadata, output_name="latent_code", head="identity",
                                   output_meaning=f"the latent code of each row ({', '.join(names)}), shape "
                                                  f"(n, {len(names)}), the output of layers.{latent}"), raw
    deployable = DeployableModel(nn.Identity(), decoder, head).eval()
    # decoded: real codes, then codes spread around them (the plane the latent view lets users click)
    rng = np.random.default_rng(0)
    spread = codes.std(axis=0, keepdims=True) + 1e-3
    samples = np.concatenate([codes[: len(codes) // 2],
                              codes[len(codes) // 2:] + rng.normal(0, 0.5, codes[len(codes) // 2:].shape) * spread])
    return deployable, replace(metadata, raw_names=names, model_input_names=names, output_name="reconstruction",
                               head="reconstruct", input_shape=None,
                               output_meaning=f"the decoded rows in {units}, shape {shape}, from latent codes "
                                              f"({', '.join(names)}) as the encoder gives them"), \
        samples.astype(np.float32)
