"""The autoencoder's pictures: the latent codes of the test rows with their labels (a plane: the codes
themselves for a 2-unit code, else their first two principal components), the plane's decoded grid (what
a click in the plane shows), and a few test inputs beside their reconstructions.

Registered as two probes (core/training/probes.py); imported by core/training/evaluation.py. Work per
snapshot is bounded: at most MAX_POINTS rows are encoded and GRID x GRID points decoded.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from core.data.autoencoder import to_raw_units
from core.nn.latent import latent_layer, split_model
from core.training.probes import PROBES, Probe

if TYPE_CHECKING:
    from core.training.trainer import Trainer

MAX_POINTS = 2000  # test rows in the scatter (evenly spaced beyond this)
GRID = 16  # decoded points per side of the latent plane
RECONSTRUCTIONS = 8  # test rows shown beside their reconstructions
MARGIN = 0.08  # the plane reaches this share beyond the codes on each side


def _looks(trainer: Trainer) -> dict[str, Any]:
    """What the views need to draw a row in the inputs' units: shape, kind, names, scale and pixel range."""
    dataset = trainer.dataset
    raw = np.asarray(dataset.raw_train)
    return {"input_shape": tuple(dataset.input_shape), "modality": dataset.modality,
            "input_names": tuple(dataset.raw_names), "class_names": tuple(dataset.class_names),
            "mean": None if dataset.mean is None else np.asarray(dataset.mean, np.float32).copy(),
            "std": None if dataset.std is None else np.asarray(dataset.std, np.float32).copy(),
            "levels": (float(raw.min()), float(raw.max())) if raw.size else (0.0, 1.0)}


def is_autoencoder(trainer: Trainer) -> bool:
    return bool(getattr(trainer, "autoencoder", False))


def _halves(trainer: Trainer) -> tuple[int, torch.nn.Sequential, torch.nn.Sequential]:
    dataset = trainer.dataset
    latent = latent_layer(trainer.spec, dataset.input_shape, dataset.n_outputs)
    encoder, decoder = split_model(trainer.model, latent)
    if trainer._mode_matters:
        trainer.model.eval()
    return latent, encoder, decoder


def plane_basis(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray, tuple[str, str]]:
    """(centre (k,), axes (2, k), axis names): the plane the codes are shown on. Two units: the codes
    themselves; more: their first two principal components (numpy SVD); one: the code against 0."""
    k = codes.shape[1]
    if k == 2:
        return np.zeros(2, np.float32), np.eye(2, dtype=np.float32), ("z1", "z2")
    if k == 1:
        return np.zeros(1, np.float32), np.array([[1.0], [0.0]], np.float32), ("z1", "")
    centre = codes.mean(axis=0)
    _, _, vt = np.linalg.svd(codes - centre, full_matrices=False)
    return centre.astype(np.float32), vt[:2].astype(np.float32), ("PC1 of the code", "PC2 of the code")


def collect_latent(trainer: Trainer) -> dict[str, Any]:
    """points (n, 2) on the plane, labels (n,), the decoded grid (GRID, GRID, n_inputs) in the inputs' units
    with its axes xs, ys (row i of the grid at ys[i]), and what it all means."""
    dataset = trainer.dataset
    latent, encoder, decoder = _halves(trainer)
    x = trainer.x_test if len(trainer.x_test) else trainer.x_train
    labels = dataset.labels_test if len(trainer.x_test) else dataset.labels_train
    rows = np.arange(len(x)) if len(x) <= MAX_POINTS else np.linspace(0, len(x) - 1, MAX_POINTS).astype(np.int64)
    with torch.no_grad():
        codes = encoder(x[torch.as_tensor(rows, device=x.device)]).reshape(len(rows), -1).float().cpu().numpy()
        centre, axes, names = plane_basis(codes)
        points = ((codes - centre) @ axes.T).astype(np.float32)
        low, high = points.min(axis=0), points.max(axis=0)
        pad = np.maximum(high - low, 1e-3) * MARGIN
        xs = np.linspace(low[0] - pad[0], high[0] + pad[0], GRID, dtype=np.float32)
        ys = np.linspace(low[1] - pad[1], high[1] + pad[1], GRID, dtype=np.float32)
        if codes.shape[1] == 1:
            ys = np.zeros(1, np.float32)
        gx, gy = np.meshgrid(xs, ys)
        plane = np.stack([gx.ravel(), gy.ravel()], axis=1)
        grid_codes = centre + plane @ axes  # back from the plane to the code
        out = decoder(torch.as_tensor(grid_codes, dtype=torch.float32, device=x.device)).float().cpu().numpy()
    decoded = to_raw_units(dataset, out).reshape(len(ys), len(xs), -1).astype(np.float32)
    return {"points": points, "labels": np.asarray(labels)[rows].copy(), "rows": rows, "axes": names,
            "latent_layer": latent, "latent_units": int(codes.shape[1]), "xs": xs, "ys": ys, "decoded": decoded,
            **_looks(trainer)}


def collect_reconstructions(trainer: Trainer) -> dict[str, Any]:
    """A few test inputs (raw units) beside the network's reconstructions of them, with their labels."""
    dataset = trainer.dataset
    x = trainer.x_test if len(trainer.x_test) else trainer.x_train
    raw = dataset.raw_test if len(trainer.x_test) else dataset.raw_train
    labels = dataset.labels_test if len(trainer.x_test) else dataset.labels_train
    rows = np.linspace(0, len(x) - 1, min(RECONSTRUCTIONS, len(x))).astype(np.int64)
    if trainer._mode_matters:
        trainer.model.eval()
    with torch.no_grad():
        out = trainer.model(x[torch.as_tensor(rows, device=x.device)]).float().cpu().numpy()
    return {"inputs": np.asarray(raw, np.float32)[rows].copy(), "outputs": to_raw_units(dataset, out).astype(np.float32),
            "labels": np.asarray(labels)[rows].copy(), **_looks(trainer)}


PROBES.add(Probe(name="latent", label="Latent space", applies="core.training.latent_probe:is_autoencoder",
                 collect="core.training.latent_probe:collect_latent"))
PROBES.add(Probe(name="reconstructions", label="Reconstructions",
                 applies="core.training.latent_probe:is_autoencoder",
                 collect="core.training.latent_probe:collect_reconstructions"))
