"""A loss that climbs or swings without becoming NaN gets one warning; normal runs get none."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from core.cli import main
from core.training.control import TrainingControl
from core.training.health import RISEN_EPOCHS, LossWatch
from core.training.snapshot import EpochRecord
from core.spec import Experiment, load_experiment, parse_experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)
RISEN = "may be too high"


def _records(losses, lr=0.5):
    return [EpochRecord(epoch=i + 1, step=i + 1, train_loss=float(v), test_loss=float(v), learning_rate=lr)
            for i, v in enumerate(losses)]


def test_a_swinging_loss_warns_once_and_a_falling_noisy_one_never():
    rng = np.random.default_rng(0)
    watch = LossWatch()
    falling = 0.7 * np.exp(-np.arange(2000) / 200) * (1 + 0.3 * rng.standard_normal(2000)) + 1e-4
    assert all(watch.update(r) is None for r in _records(np.abs(falling)))
    swinging = [0.7, 0.6, 0.55] + [1 + 4 * rng.random() for _ in range(500)]
    said = [m for m in map(LossWatch().update, _records(swinging)) if m]
    assert len(said) == 1 and "The loss has risen for" in said[0] and "learning rate (0.5) may be too high" in said[0]


def test_a_brief_spike_nan_and_a_loss_near_zero_do_not_warn():
    spike = [1.0, 0.5, 0.3] + [3.0] * (RISEN_EPOCHS // 2) + [0.3] * 200
    near_zero = [0.7, 0.1, 0.01] + [1e-4 * (1 + (i % 7)) for i in range(500)]
    for losses in (spike, near_zero, [0.7, math.nan, 0.5]):
        watch = LossWatch()
        assert watch.update_many(_records(losses)) is None and watch.warning == ""


def test_a_new_learning_rate_starts_a_new_curve():
    watch = LossWatch()
    watch.update_many(_records([0.5] * 10 + [2.0] * (RISEN_EPOCHS - 5)))
    watch.restart()
    assert watch.update_many(_records([2.0] * 100)) is None


def _run_messages(spec, epochs: int) -> list[str]:
    trainer = Trainer(spec)
    messages: list[str] = []
    trainer.run(TrainingControl(), lambda snap: messages.append(snap.message) if snap.message else None,
                max_epochs=epochs, snapshot_hz=0)
    return messages


@pytest.mark.parametrize("engine", ["fused", "torch"])
def test_circle_at_lr_10_warns_once_on_both_engines(engine):
    spec = Experiment().replace(optimizer={"name": "sgd", "lr": 10.0}, engine=engine, epochs=400)
    messages = _run_messages(spec, 400)
    risen = [m for m in messages if RISEN in m]
    assert len(risen) == 1 and "learning rate (10)" in risen[0], messages


def test_rmsprop_at_lr_10_on_regression_warns():
    spec = parse_experiment({"schema_version": 1, "data": {"source": "diabetes"}, "task": "regression",
                             "loss": "mse", "optimizer": {"name": "rmsprop", "lr": 10}, "epochs": 150})
    assert [m for m in _run_messages(spec, 150) if RISEN in m]


NORMAL = {
    "spiral example": lambda: load_experiment("examples/spiral.json"),
    "xor example": lambda: load_experiment("examples/xor.json"),
    "iris example": lambda: load_experiment("examples/iris.json"),
    "diabetes example": lambda: load_experiment("examples/diabetes_csv.json"),
    "default circle": Experiment,
    "noisy spiral, SGD batch 1": lambda: Experiment().replace(data={"source": "spiral", "noise": 0.3}, batch_size=1),
    "noisy circle, SGD batch 1, lr 0.1": lambda: Experiment().replace(
        data={"source": "circle", "noise": 0.5}, batch_size=1, optimizer={"name": "sgd", "lr": 0.1}),
}


@pytest.mark.parametrize("name", list(NORMAL))
def test_normal_runs_never_warn(name, monkeypatch):
    monkeypatch.chdir(__import__("pathlib").Path(__file__).resolve().parents[2])
    spec = NORMAL[name]()
    epochs = 600 if Trainer(spec).engine == "fused" else 250
    assert not [m for m in _run_messages(spec, epochs) if RISEN in m]


def test_cli_prints_the_warning_once_on_stderr(tmp_path, capsys):
    exp = tmp_path / "hot.json"
    exp.write_text(Experiment().replace(optimizer={"name": "sgd", "lr": 10.0}, epochs=400).to_json())
    assert main(["train", str(exp), "--out", str(tmp_path / "run"), "--quiet"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("layerlab: warning: The loss has risen for") and RISEN in err[0]
