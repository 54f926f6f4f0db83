"""spec.stop: targets stop at the first epoch that meets them, patience counts epochs without a new
best, restore_best ends on the best epoch's weights; exact on both engines, in blocks too."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from core.cli import main
from core.spec import SpecError, load_experiment, parse_experiment
from core.training.control import TrainingControl
from core.training.snapshot import RunState
from core.training.stopping import StopRule
from core.training.trainer import Trainer

ENGINES = ["torch", "fused"]


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _spec(engine: str, stop: dict, **changes):
    base = {"data": {"source": "xor", "samples": 100, "noise": 0.5}, "engine": engine,
            "layers": [{"units": 8}, {"units": 8}], "optimizer": {"name": "adam", "lr": 0.03},
            "batch_size": 10, "epochs": 400, "stop": stop}
    base.update(changes)
    return parse_experiment(base)


def _trainer(engine: str, stop: dict, **changes) -> Trainer:
    if engine == "fused":
        pytest.importorskip("numba")
    trainer = Trainer(_spec(engine, stop, **changes))
    assert trainer.engine == engine, trainer.engine_note
    return trainer


def _reference(spec, epochs: int) -> Trainer:
    """The same spec trained epoch by epoch, without any stop condition."""
    ref = Trainer(spec.replace(stop={}))
    for _ in range(epochs):
        ref.train_epoch()
    return ref


def _same_weights(a: Trainer, b: Trainer) -> bool:
    return all(torch.equal(x, y) for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()))


# ------------------------------------------------------------------ spec
def test_stop_is_optional_validated_and_old_files_have_none(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"schema_version": 1, "data": {"source": "xor"}}))
    assert not load_experiment(old).stop.active
    spec = parse_experiment({"stop": {"patience": 5, "restore_best": True}})
    assert spec.stop.patience == 5 and spec.stop.restore_best and spec.stop.target_test_loss is None
    for bad in ({"patience": 0}, {"target_test_accuracy": 1.5}, {"target_test_loss": -1}, {"patiense": 3}):
        with pytest.raises(SpecError, match="stop"):
            parse_experiment({"stop": bad})
    with pytest.raises(SpecError, match="target_test_accuracy needs a classification"):
        parse_experiment({"data": {"source": "plane"}, "task": "regression", "loss": "mse",
                          "stop": {"target_test_accuracy": 0.9}})


# ------------------------------------------------------------------ the rule, in blocks
@pytest.mark.parametrize("engine", ENGINES)
def test_target_stops_at_the_first_epoch_that_meets_it_even_inside_a_block(engine):
    trainer = _trainer(engine, {"target_test_loss": 0.6})
    rule = StopRule(trainer)
    records = rule.train(300)  # one block of 300 on the fused engine: the stop falls inside it
    first = next(r.epoch for r in _reference(trainer.spec, 300).history if r.test_loss <= 0.6)
    assert 1 < first < 300
    assert rule.kind == "target" and records[-1].epoch == trainer.epoch == first
    assert [r.epoch for r in trainer.history] == list(range(1, first + 1))
    assert _same_weights(trainer, _reference(trainer.spec, first))


@pytest.mark.parametrize("engine", ENGINES)
def test_patience_counts_epochs_without_a_new_best_and_restore_best_brings_back_its_weights(engine):
    trainer = _trainer(engine, {"patience": 30, "restore_best": True})
    rule = StopRule(trainer)
    while not rule.reason:
        rule.train(200)
    losses = trainer.history.test_loss
    best = int(trainer.history.epochs[np.argmin(losses)])
    assert rule.best.epoch == best > 1
    assert trainer.epoch == best + 30, "patience: 30 epochs without a lower test loss, then stop"
    message = rule.finish(finished=True)
    assert f"restored the weights of epoch {best}" in message
    assert trainer.epoch == best + 30, "the epoch counter stays at the stop (Keras)"
    assert _same_weights(trainer, _reference(trainer.spec, best))
    assert trainer.evaluate()[1] == pytest.approx(float(losses.min()), abs=1e-6)


@pytest.mark.parametrize("engine", ENGINES)
def test_restore_best_at_the_epoch_limit_replays_a_best_inside_a_block(engine):
    trainer = _trainer(engine, {"restore_best": True}, epochs=120)
    rule = StopRule(trainer)
    rule.train(120)  # the best epoch is inside this block: its weights come from a replay
    best = int(trainer.history.epochs[np.argmin(trainer.history.test_loss)])
    assert best < 120 and not rule.reason
    rule.finish(finished=True)
    assert _same_weights(trainer, _reference(trainer.spec, best))
    assert len(trainer.history) == 120 and trainer.epoch == 120


def test_without_a_test_split_best_is_the_train_loss_and_the_run_says_so():
    trainer = _trainer("torch", {"patience": 5, "target_test_accuracy": 1.0})
    trainer.x_test = trainer.x_test[:0]
    trainer.y_test = trainer.y_test[:0]
    rule = StopRule(trainer)
    assert rule.monitor == "train_loss" and rule.summary()["best_by"] == "train_loss (no test split)"


# ------------------------------------------------------------------ the run loop and the CLI
@pytest.mark.parametrize("engine", ENGINES)
def test_run_ends_on_the_best_epochs_weights(engine):
    trainer = _trainer(engine, {"patience": 25, "restore_best": True})
    snaps = []
    state = trainer.run(TrainingControl(), snaps.append, snapshot_hz=2.0)  # fused: blocks of many epochs
    best = trainer.last_stop.best.epoch
    assert state == RunState.finished and trainer.epoch == best + 25 < 400
    assert snaps[-1].best_epoch == best and "restored the weights" in snaps[-1].message
    assert _same_weights(trainer, _reference(trainer.spec, best))


def test_cli_metrics_record_the_best_epoch_and_restore_it(tmp_path, capsys):
    spec = _spec("torch", {"patience": 25, "restore_best": True}).to_dict()
    exp = tmp_path / "exp.json"
    exp.write_text(json.dumps(spec))
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr()
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == metrics["best_epoch"] + 25 and metrics["restored_best"]
    assert metrics["test_loss"] == pytest.approx(metrics["best_test_loss"], abs=1e-7)
    assert metrics["stop_reason"].startswith(f"Stopped at epoch {metrics['epochs']}")
    assert f"restored the weights of epoch {metrics['best_epoch']}" in out.out and "warning" not in out.err


def test_the_window_loop_stops_at_epochs_when_ticked_and_takes_stop_conditions_live():
    trainer = _trainer("torch", {"at_epochs": True}, epochs=12)
    assert trainer.run(TrainingControl(), lambda snap: None, until_stopped=True) == RunState.finished
    assert trainer.epoch == 12, "'Stop at epochs' makes the window's endless loop stop at spec.epochs"
    trainer = _trainer("torch", {})
    control = TrainingControl()
    control.set_live("stop", {"patience": 5, "restore_best": True})  # as the window's stopConditions sends it
    snaps = []
    assert trainer.run(control, snaps.append, until_stopped=True) == RunState.finished
    assert trainer.spec.stop.patience == 5 and trainer.epoch == trainer.last_stop.best.epoch + 5
    assert "restored the weights" in snaps[-1].message
    with pytest.raises(ValueError, match="patience"):
        trainer.set_stop_conditions({"patience": 0})
    control.set_live("stop", {"at_epochs": True})
    control.set_live("epochs", trainer.epoch + 3)
    first = trainer.epoch
    assert trainer.run(control, snaps.append, until_stopped=True) == RunState.finished
    assert trainer.epoch == first + 3


def test_running_the_same_trainer_again_keeps_the_best_and_counts_patience_afresh():
    trainer = _trainer("torch", {"patience": 10})
    trainer.run(TrainingControl(), lambda snap: None)
    first_best, stopped_at = trainer.last_stop.best, trainer.epoch
    assert stopped_at == first_best.epoch + 10
    snaps = []
    trainer.run(TrainingControl(), snaps.append)  # the window's Play after an early stop
    assert snaps[0].best_epoch == first_best.epoch, "the curve keeps its best mark"
    assert trainer.epoch == stopped_at + 10 and trainer.last_stop.best is first_best
