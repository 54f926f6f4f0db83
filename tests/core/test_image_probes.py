"""The image probes: feature maps and filters of the focused sample, and the gallery's probabilities."""

import numpy as np
import pytest

from core.spec import Experiment
from core.training.feature_maps import MAX_CHANNELS
from core.training.trainer import Trainer

LAYERS = [{"type": "conv2d", "filters": 20, "kernel_size": 3}, {"type": "maxpool2d", "size": 2},
          {"type": "flatten"}, {"type": "dense", "units": 8}]


@pytest.fixture(scope="module")
def trainer():
    spec = Experiment.model_validate({"schema_version": 2, "seed": 0, "task": "classification",
                                      "data": {"source": "digits", "train_fraction": 0.8}, "layers": LAYERS,
                                      "loss": "cross_entropy", "batch_size": 64})
    return Trainer(spec)


def test_each_image_layer_sends_capped_maps_and_conv_layers_their_filters(trainer):
    views = trainer.snapshot().views
    maps = views["feature_maps"]
    assert maps["input"].shape == (1, 8, 8) and maps["input"].max() > 1  # the data's units (0..16)
    conv, pool, flat, dense = maps["layers"]
    assert conv["channels"] == 20 and conv["maps"].shape == (MAX_CHANNELS, 8, 8)
    assert conv["filters"].shape == (MAX_CHANNELS, 1, 3, 3)
    assert pool["maps"].shape == (MAX_CHANNELS, 4, 4) and pool["filters"] is None
    assert flat["maps"] is None and dense["maps"] is None and dense["channels"] == 8
    assert maps["probabilities"].shape == (10,) and maps["probabilities"].sum() == pytest.approx(1, abs=1e-5)
    gallery = views["image_gallery"]
    assert gallery["probabilities"].shape == (64, 10)
    assert np.array_equal(gallery["probabilities"].argmax(1), trainer.snapshot().test_predictions[:64])


def test_focus_picks_the_sample_and_a_drawing_changes_the_maps(trainer):
    trainer.set_focus(5)
    first = trainer.snapshot().views["feature_maps"]
    assert np.array_equal(first["input"].ravel(), trainer.dataset.raw_test[5])
    drawn = np.zeros((1, 8, 8), np.float32)
    drawn[0, 2:6, 3] = 16.0  # a vertical stroke
    trainer.set_focus(drawn)
    second = trainer.snapshot().views["feature_maps"]
    assert second["focus"]["drawn"] and np.array_equal(second["input"], drawn)
    assert not np.allclose(first["layers"][0]["maps"], second["layers"][0]["maps"])
    assert not np.allclose(first["probabilities"], second["probabilities"])
    trainer.set_focus(None)


def test_no_image_probe_on_a_toy_set():
    views = Trainer(Experiment()).snapshot().views
    assert "feature_maps" not in views and "image_gallery" not in views


def test_on_the_fused_engine_the_probes_see_the_trained_weights():
    spec = Experiment.model_validate({"schema_version": 2, "seed": 0, "task": "classification",
                                      "data": {"source": "digits"}, "layers": [{"type": "dense", "units": 16}],
                                      "loss": "cross_entropy", "engine": "fused", "batch_size": 64,
                                      "optimizer": {"name": "adam", "lr": 0.01}})
    trainer = Trainer(spec)
    assert trainer.engine == "fused"
    trainer.train_epochs(3)
    snap = trainer.snapshot()
    # the fused engine's own accuracy agrees with what the torch-side probes predict
    assert np.mean(snap.test_predictions == trainer.dataset.y_test) == pytest.approx(snap.test_accuracy)
    assert snap.test_accuracy > 0.8
    gallery = snap.views["image_gallery"]["probabilities"]
    assert np.array_equal(gallery.argmax(1), snap.test_predictions[:64])
    assert [layer["maps"] for layer in snap.views["feature_maps"]["layers"]] == [None]  # dense: no maps
