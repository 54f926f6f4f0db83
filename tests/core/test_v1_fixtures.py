"""Files written by LayerLab's v1 builds keep opening and training (see tests/fixtures/v1/make_fixtures.py)."""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pytest
import torch

from core.files.autosave import AutosaveStore
from core.files.checkpoint import load_checkpoint, restore_trainer
from core.spec import Loss, OptimizerName, load_experiment
from core.training.trainer import Trainer

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "v1"


def test_v1_experiment_file_opens_with_every_setting():
    spec = load_experiment(V1 / "experiment.json")
    assert spec.data.source.value == "xor" and spec.data.samples == 300 and spec.seed == 3
    assert [layer.units for layer in spec.layers] == [6, 3]
    assert spec.layers[0].dropout == pytest.approx(0.1)
    assert spec.optimizer.name == OptimizerName.sgd and spec.optimizer.momentum == pytest.approx(0.9)
    assert spec.loss == Loss.bce and spec.schedule.step_size == 50


def test_v1_experiment_file_trains():
    trainer = Trainer(load_experiment(V1 / "experiment.json").replace(epochs=3))
    records = trainer.train_epochs(3)
    assert [r.epoch for r in records] == [1, 2, 3]
    assert all(math.isfinite(r.train_loss) for r in records)


def test_v1_checkpoint_resumes_where_it_stopped():
    expected = json.loads((V1 / "checkpoint_iris_adam.expected.json").read_text())
    data = load_checkpoint(V1 / "checkpoint_iris_adam.pt")
    trainer = restore_trainer(data)
    assert (trainer.epoch, trainer.step) == (expected["epoch"], expected["step"])
    assert float(trainer.model.state_dict()["output.weight"].sum()) == pytest.approx(expected["output_weight_sum"])
    assert trainer.history.last.test_loss == pytest.approx(expected["test_loss"])
    before = {k: v.clone() for k, v in trainer.model.state_dict().items()}
    record = trainer.train_epoch()
    assert record.epoch == expected["epoch"] + 1 and math.isfinite(record.train_loss)
    assert any(not torch.equal(before[k], v) for k, v in trainer.model.state_dict().items())


def test_v1_autosave_of_a_crashed_session_is_offered_with_its_weights(tmp_path):
    shutil.copytree(V1 / "autosave", tmp_path / "autosave")
    recovery = AutosaveStore.find_recoverable(tmp_path / "autosave")
    assert recovery is not None and recovery.checkpoint_path is not None
    assert recovery.spec.data.source.value == "iris"
    trainer = restore_trainer(load_checkpoint(recovery.checkpoint_path))
    assert trainer.epoch == 30
