"""The autoencoder's probes: latent codes of the test rows on a plane (the codes, or their principal
components), a decoded grid that matches the decoder, and inputs beside their reconstructions."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.nn.latent import split_model
from core.spec import parse_experiment
from core.training.latent_probe import GRID, plane_basis
from core.training.trainer import Trainer

torch.set_num_threads(1)


def _trainer(latent=2, source="digits"):
    return Trainer(parse_experiment({
        "schema_version": 2, "seed": 0, "data": {"source": source, "train_fraction": 0.8, "samples": 200},
        "task": "autoencoder", "layers": [{"type": "dense", "units": 16},
                                          {"type": "dense", "units": latent, "activation": "linear"}],
        "loss": "mse", "optimizer": {"name": "adam", "lr": 0.01}, "batch_size": 32, "engine": "torch"}))


def test_two_unit_codes_are_the_plane_and_move_as_it_trains():
    trainer = _trainer()
    before = trainer.snapshot().views["latent"]
    encoder, decoder = split_model(trainer.model, 1)
    with torch.no_grad():
        codes = encoder(trainer.x_test).numpy()
    np.testing.assert_allclose(before["points"], codes, atol=1e-6)
    assert before["axes"] == ("z1", "z2") and before["latent_units"] == 2
    np.testing.assert_array_equal(before["labels"], trainer.dataset.labels_test)
    trainer.train_epochs(2)
    after = trainer.snapshot().views["latent"]
    assert np.abs(after["points"] - before["points"]).mean() > 1e-2  # the scatter changes as it learns
    # a grid point decodes to what the decoder gives for that code, in pixel values
    i, j = 3, 11
    code = torch.tensor([[after["xs"][j], after["ys"][i]]])
    with torch.no_grad():
        pixels = trainer.evaluator.probabilities(decoder(code))[0]
    assert after["decoded"].shape == (GRID, GRID, 64)
    np.testing.assert_allclose(after["decoded"][i, j], pixels, atol=1e-4)


def test_wider_codes_are_shown_by_their_first_two_principal_components():
    trainer = _trainer(latent=5)
    view = trainer.snapshot().views["latent"]
    assert view["latent_units"] == 5 and view["axes"][0].startswith("PC1")
    assert view["points"].shape == (len(trainer.x_test), 2)
    # the first component carries the most spread
    assert view["points"][:, 0].var() >= view["points"][:, 1].var()


def test_plane_basis_of_a_line_of_codes():
    codes = np.outer(np.linspace(-1, 1, 20), [1.0, 2.0, 2.0]).astype(np.float32) + 5
    centre, axes, _ = plane_basis(codes)
    np.testing.assert_allclose(np.abs(axes[0]), [1 / 3, 2 / 3, 2 / 3], atol=1e-5)
    np.testing.assert_allclose(centre, codes.mean(axis=0), atol=1e-5)


def test_reconstructions_come_beside_their_inputs_in_raw_units():
    trainer = _trainer(source="iris")
    trainer.train_epochs(3)
    view = trainer.snapshot().views["reconstructions"]
    assert view["inputs"].shape == view["outputs"].shape == (8, 4)
    assert view["modality"] == "table" and view["input_names"][0].startswith("sepal")
    np.testing.assert_allclose(view["outputs"], trainer.predict(view["inputs"]), atol=1e-5)
    assert "latent" in trainer.snapshot().views and "latent" not in trainer.snapshot(grid=False).views


def test_other_tasks_have_no_latent_view():
    trainer = Trainer(parse_experiment({"schema_version": 2, "data": {"source": "xor", "samples": 40}}))
    assert "latent" not in trainer.snapshot().views
