"""The window's first epochs before torch has loaded (core/training/prelude.py): the same run the Trainer
alone trains, the same pictures, and no torch on the way."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.data import load_dataset
from core.engines.fused_optim import config_from_spec, read_optimizer
from core.nn.activations import ACTIVATIONS
from core.nn.optimizers import OPTIMIZERS
from core.spec import parse_experiment
from core.training.control import TrainingControl
from core.training.prelude import Prelude, why_not
from core.training.rollback import Diverged
from core.training.snapshot import RunState
from core.training.trainer import Trainer

ROOT = Path(__file__).resolve().parents[2]

SPECS = {
    "default": {},
    "deep spiral, layer norm, dropout, l2, step schedule, features": {
        "seed": 3, "data": {"source": "spiral", "noise": 0.2, "samples": 200},
        "layers": [{"units": 8, "activation": "leaky_relu", "dropout": 0.1, "norm": "layer"}] * 3,
        "regularization": {"kind": "l2", "rate": 0.001}, "schedule": {"kind": "step", "step_size": 3, "gamma": 0.5},
        "features": ["x1", "x2", "sin(x1)"]},
    "iris, three classes": {"data": {"source": "iris"}, "loss": "cross_entropy",
                            "layers": [{"units": 6, "activation": "gelu"}]},
    "plane regression": {"task": "regression", "data": {"source": "plane", "samples": 200}, "loss": "mse",
                         "layers": [{"units": 5, "activation": "elu"}]},
    "adam": {"optimizer": {"name": "adam", "lr": 0.01}, "data": {"source": "xor", "samples": 200}},
    "adamw, l1": {"optimizer": {"name": "adamw", "lr": 0.01}, "regularization": {"kind": "l1", "rate": 0.001}},
    "rmsprop with momentum": {"optimizer": {"name": "rmsprop", "lr": 0.003, "momentum": 0.5}},
    "adagrad, exponential schedule": {"optimizer": {"name": "adagrad", "lr": 0.1},
                                      "schedule": {"kind": "exponential", "gamma": 0.9}},
    "sgd nesterov": {"optimizer": {"name": "sgd", "lr": 0.01, "momentum": 0.9, "nesterov": True}},
}


def _spec(**raw):
    return parse_experiment({"schema_version": 2, **raw})


@pytest.mark.parametrize("name", SPECS)
def test_a_run_begun_before_torch_is_the_run_the_trainer_trains_alone(name):
    spec = _spec(**SPECS[name])
    data = load_dataset(spec)
    assert why_not(spec, data) == ""
    prelude = Prelude(spec, data)
    prelude.train(7)
    prelude.train(5)
    handed = Trainer(spec, dataset=data)
    assert prelude.hand_over(handed)  # it started from the Trainer's own weights and runs its net
    handed.train_epochs(20)
    alone = Trainer(spec, dataset=data)
    alone.train_epochs(12)
    alone.train_epochs(20)
    assert handed.epoch == alone.epoch == 32 and handed.step == alone.step
    assert handed.history.to_records() == alone.history.to_records()
    for mine, theirs in zip(handed.model.parameters(), alone.model.parameters()):
        np.testing.assert_array_equal(mine.detach().numpy(), theirs.detach().numpy())
    assert handed.learning_rate == alone.learning_rate


@pytest.mark.parametrize("name", SPECS)
def test_its_snapshots_show_what_the_trainers_would(name):
    spec = _spec(**SPECS[name])
    data = load_dataset(spec)
    prelude = Prelude(spec, data)
    prelude.train(9)
    mine = prelude.snapshot(True, 60, RunState.running)
    trainer = Trainer(spec, dataset=data)
    trainer.train_epochs(9)
    theirs = trainer.snapshot(True, 60)
    assert (mine.epoch, mine.step, mine.learning_rate) == (theirs.epoch, theirs.step, theirs.learning_rate)
    assert (mine.train_loss, mine.test_loss, mine.train_accuracy, mine.test_accuracy) == pytest.approx(
        (theirs.train_loss, theirs.test_loss, theirs.train_accuracy, theirs.test_accuracy), rel=1e-6, nan_ok=True)
    for a, b in zip(mine.weights + mine.biases, theirs.weights + theirs.biases):
        np.testing.assert_array_equal(a, b)
    for field in ("confusion", "test_predictions"):
        a, b = getattr(mine, field), getattr(theirs, field)
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_array_equal(a, b)
    if data.is_planar:
        assert mine.extent == theirs.extent
        np.testing.assert_allclose(mine.boundary, theirs.boundary, atol=1e-4)
        np.testing.assert_allclose(mine.input_outputs, theirs.input_outputs, atol=1e-6)
        assert len(mine.neuron_outputs) == len(theirs.neuron_outputs) == len(spec.layers)
        for a, b in zip(mine.neuron_outputs, theirs.neuron_outputs):
            np.testing.assert_allclose(a, b, atol=1e-4)
    assert mine.engine == "fused" and mine.device == "cpu"


@pytest.mark.parametrize("activation", [r.name for r in ACTIVATIONS.records() if r.fused])
def test_every_fused_activation_runs_the_trainers_net(activation):
    spec = _spec(layers=[{"units": 5, "activation": activation}, {"units": 3, "activation": activation}])
    data = load_dataset(spec)
    assert why_not(spec, data) == ""
    assert Prelude(spec, data).hand_over(Trainer(spec, dataset=data))


@pytest.mark.parametrize("optimizer", [
    {"name": name, "lr": 0.01, **extra} for name in OPTIMIZERS.names()
    for extra in ({}, {"momentum": 0.7}, {"momentum": 0.7, "nesterov": True})
    if "momentum" in OPTIMIZERS[name].options or not extra
    if "nesterov" in OPTIMIZERS[name].options or "nesterov" not in extra])
def test_the_optimizer_config_from_the_spec_is_the_built_optimizers(optimizer):
    spec = _spec(optimizer=optimizer)
    trainer = Trainer(spec, dataset=load_dataset(spec))
    built, why = read_optimizer(trainer.optimizer, spec)
    assert why == ""
    guessed = config_from_spec(spec)
    assert (guessed.code, guessed.slots, guessed.counts_steps) == (built.code, built.slots, built.counts_steps)
    np.testing.assert_array_equal(guessed.hyper, built.hyper)


@pytest.mark.parametrize("raw, words", [
    ({"engine": "torch"}, "torch engine"),
    ({"device": "cuda"}, "device 'cuda'"),
    ({"stop": {"patience": 5}}, "stop conditions"),
    ({"stop": {"at_epochs": True}}, "stop conditions"),
    ({"layers": [{"units": 4, "norm": "batch"}]}, "dense layer"),
    ({"layers": [{"units": 400}, {"units": 400}]}, "accelerator"),
    ({"data": {"source": "digits"}, "loss": "cross_entropy"}, "image data"),
])
def test_runs_it_cannot_begin_say_why_and_start_on_the_trainer(raw, words):
    spec = _spec(**raw)
    assert words in why_not(spec, load_dataset(spec))


def test_a_diverging_epoch_is_rolled_back_and_left_for_the_trainer_to_report():
    spec = _spec(task="regression", data={"source": "plane", "samples": 200}, loss="mse", batch_size=5,
                 optimizer={"name": "sgd", "lr": 10.0},
                 layers=[{"units": 6, "activation": "relu"}, {"units": 4, "activation": "relu"}])
    data = load_dataset(spec)
    prelude = Prelude(spec, data)
    start = prelude.theta.copy()
    assert prelude.train(5) == [] and prelude.diverged
    np.testing.assert_array_equal(prelude.theta, start)  # the failed epoch was rolled back
    control = TrainingControl(paused=False)
    assert prelude.run(control, lambda snap: None, lambda: False)  # ends at once: the Trainer takes over
    trainer = Trainer(spec, dataset=data)
    prelude.hand_over(trainer)
    with pytest.raises(Diverged, match=r"at epoch 1 \(lr 10\)"):
        trainer.train_epochs(1)


class _Emits:
    def __init__(self, control, ready_after: int | None = None, pause_after: int | None = None):
        self.snaps = []
        self.control = control
        self.ready_after = ready_after
        self.pause_after = pause_after

    def __call__(self, snap):
        self.snaps.append(snap)
        if self.pause_after is not None and len(self.snaps) >= self.pause_after:
            self.control.pause()

    def ready(self) -> bool:
        return self.ready_after is not None and len(self.snaps) >= self.ready_after


def test_the_loop_sends_every_epoch_once_and_ends_when_torch_is_ready():
    spec = _spec()
    prelude = Prelude(spec, load_dataset(spec))
    control = TrainingControl(paused=False)
    emits = _Emits(control, ready_after=6)
    assert prelude.run(control, emits, emits.ready, snapshot_hz=200.0, grid_hz=50.0, grid_resolution=20)
    epochs = [r.epoch for s in emits.snaps for r in s.history]
    assert epochs == list(range(1, prelude.epoch + 1)) and prelude.epoch > 0
    assert emits.snaps[0].epoch == 0 and emits.snaps[0].boundary is not None
    assert emits.snaps[-1].epoch == prelude.epoch
    assert [r.epoch for r in prelude.records] == epochs


def test_a_live_change_ends_the_loop_and_stays_for_the_trainer():
    spec = _spec()
    prelude = Prelude(spec, load_dataset(spec))
    control = TrainingControl(paused=False)
    control.set_learning_rate(0.1)
    assert prelude.run(control, lambda snap: None, lambda: False)
    assert control.has_changes()
    assert control.take_pending()[0] == {"learning_rate": 0.1}


def test_paused_it_trains_nothing_and_a_stop_ends_it():
    spec = _spec()
    prelude = Prelude(spec, load_dataset(spec))
    control = TrainingControl(paused=True)
    emits = _Emits(control)
    calls = []

    def ready() -> bool:
        calls.append(1)
        if len(calls) == 5:
            control.stop()
        return False

    assert not prelude.run(control, emits, ready)
    assert prelude.epoch == 0 and [s.state for s in emits.snaps] == [RunState.paused]


def test_pausing_sends_a_paused_picture_and_holds_the_epoch():
    spec = _spec()
    prelude = Prelude(spec, load_dataset(spec))
    control = TrainingControl(paused=False)
    emits = _Emits(control, pause_after=2)
    calls = []

    def ready() -> bool:
        calls.append(prelude.epoch)
        return len(calls) > 200

    assert prelude.run(control, emits, ready, snapshot_hz=500.0)
    assert emits.snaps[-1].state == RunState.paused
    assert len(set(calls[-50:])) == 1  # nothing trained while paused


def test_it_trains_and_draws_without_importing_torch():
    script = textwrap.dedent("""
        import sys
        from core.data import load_dataset
        from core.spec import Experiment
        from core.training.control import TrainingControl
        from core.training.prelude import Prelude, why_not
        spec = Experiment()
        data = load_dataset(spec)
        assert why_not(spec, data) == ""
        prelude = Prelude(spec, data)
        snaps = []
        prelude.run(TrainingControl(), snaps.append, lambda: len(snaps) > 3, snapshot_hz=100.0)
        assert prelude.epoch > 0 and snaps[0].boundary is not None and snaps[-1].epoch == prelude.epoch
        print("torch imported:", "torch" in sys.modules)
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert "torch imported: False" in out.stdout
