"""Spec v2 (a `type` per layer): v0 and v1 files, checkpoints and autosaves open, save as v2 and train as
before. The pinned losses were measured with the v1 build (main before schema_version 2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from core.files.autosave import AutosaveStore
from core.files.checkpoint import load_checkpoint, restore_trainer
from core.spec import SCHEMA_VERSION, LayerSpec, load_experiment, parse_experiment, save_experiment
from core.training.trainer import Trainer

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
# Train losses of the first 5 epochs, from the v1 build (same seed, torch engine, CPU).
PINNED = {
    "v0": [0.6773005723953247, 0.670494019985199, 0.6669223308563232, 0.6644296050071716, 0.6607721447944641],
    "v1": [0.4548504650592804, 0.2018691748380661, 0.10080864280462265, 0.07548964023590088, 0.06614765524864197],
}


@pytest.mark.parametrize("version", ["v0", "v1"])
def test_old_experiment_files_save_as_v2_and_train_as_before(version, tmp_path):
    spec = load_experiment(FIXTURES / version / "experiment.json")
    assert SCHEMA_VERSION == 2 and all(isinstance(layer, LayerSpec) and layer.type == "dense" for layer in spec.layers)
    save_experiment(spec, tmp_path / "saved.json")
    saved = json.loads((tmp_path / "saved.json").read_text())
    assert saved["schema_version"] == 2 and [layer["type"] for layer in saved["layers"]] == ["dense"] * len(spec.layers)
    assert load_experiment(tmp_path / "saved.json") == spec
    losses = [r.train_loss for r in Trainer(spec.replace(epochs=5)).train_epochs(5)]
    assert losses == pytest.approx(PINNED[version], rel=1e-5)


def test_v0_prototype_file_keeps_its_settings():
    spec = load_experiment(FIXTURES / "v0" / "experiment.json")
    assert spec.data.source.value == "spiral" and spec.data.noise == pytest.approx(0.1)
    assert [(layer.units, layer.activation.value) for layer in spec.layers] == [(5, "tanh"), (3, "tanh")]
    assert spec.optimizer.name.value == "adam" and spec.optimizer.lr == pytest.approx(0.03)
    assert spec.regularization.kind.value == "l2" and spec.seed == 7


def test_v1_checkpoint_and_autosave_restore_with_typed_layers(tmp_path):
    trainer = restore_trainer(load_checkpoint(FIXTURES / "v1" / "checkpoint_iris_adam.pt"))
    assert [layer.type for layer in trainer.spec.layers] == ["dense"] * len(trainer.spec.layers)
    assert json.loads(trainer.spec.to_json())["schema_version"] == 2
    shutil.copytree(FIXTURES / "v1" / "autosave", tmp_path / "autosave")
    recovery = AutosaveStore.find_recoverable(tmp_path / "autosave")
    assert recovery is not None and all(layer.type == "dense" for layer in recovery.spec.layers)


def test_v1_layers_without_type_are_dense_and_unknown_types_are_named():
    spec = parse_experiment({"schema_version": 1, "layers": [{"units": 3}]})
    assert spec.layers[0].type == "dense" and spec.layers[0].units == 3
    with pytest.raises(ValueError, match="layers.0: type 'conv9' is not a layer type; allowed: dense"):
        parse_experiment({"layers": [{"type": "conv9", "units": 3}]})
