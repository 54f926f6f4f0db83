"""Odd but legal training setups: each must train (or refuse) without a crash and with a clear reason."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.training.control import TrainingControl
from core.data.dataset import Dataset
from core.engines.device import available_devices, resolve_device
from core.nn.losses import LossError
from core.training.snapshot import RunState
from core.spec import Experiment, parse_experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)


def make_spec(**changes) -> Experiment:
    base = {"schema_version": 1, "data": {"source": "circle", "samples": 60}, "engine": "torch",
            "layers": [{"units": 4}, {"units": 2}], "batch_size": 10, "epochs": 3}
    base.update(changes)
    return parse_experiment(base)


def hand_dataset(n_train: int = 8, n_test: int = 4, classes=("0", "1")) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n_train + n_test, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:], x[:n_train], x[n_train:],
                   ("x1", "x2"), ("x1", "x2"), "classification", classes, is_planar=True, features=("x1", "x2"))


def test_batch_larger_than_the_data_is_one_batch():
    trainer = Trainer(make_spec(batch_size=100000))
    record = trainer.train_epoch()
    assert record.step == 1 and np.isfinite(record.train_loss)


def test_no_hidden_layers_trains_and_draws():
    trainer = Trainer(make_spec(layers=[]))
    trainer.train_epoch()
    snap = trainer.snapshot(resolution=10)
    assert snap.neuron_outputs == () and snap.boundary.shape == (10, 10) and len(snap.weights) == 1


def test_a_single_unit():
    trainer = Trainer(make_spec(layers=[{"units": 1}]))
    trainer.train_epoch()
    assert [n.shape for n in trainer.snapshot(resolution=6).neuron_outputs] == [(1, 6, 6)]


def test_two_hundred_layers_build_and_step():
    trainer = Trainer(make_spec(layers=[{"units": 2, "activation": "relu"}] * 200, epochs=1))
    assert len(trainer.snapshot(grid=False).weights) == 201
    record = trainer.train_epoch()
    assert record.epoch == 1 and np.isfinite(record.train_loss)
    assert len(trainer.snapshot(resolution=4).neuron_outputs) == 200


def test_batch_norm_with_a_one_row_last_batch():
    # 30 training rows in batches of 29 would leave a 1-row batch that batch norm cannot train on
    trainer = Trainer(make_spec(layers=[{"units": 4, "norm": "batch"}], batch_size=29))
    assert trainer.batch_bounds() == [(0, 30)]
    trainer.set_batch_size(1)  # every batch would be one row: batch norm gets pairs
    assert all(stop - start >= 2 for start, stop in trainer.batch_bounds())
    assert np.isfinite(trainer.train_epoch().train_loss)


def test_dropout_and_layer_norm_train():
    trainer = Trainer(make_spec(layers=[{"units": 8, "dropout": 0.5, "norm": "layer"}]))
    trainer.train_epoch()
    a = trainer.predict(trainer.dataset.raw_test)
    assert np.array_equal(a, trainer.predict(trainer.dataset.raw_test))  # eval mode: no dropout noise


def test_unavailable_device_gives_a_clear_reason(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    trainer = Trainer(make_spec(device="cuda:1"))
    assert trainer.device.type == "cpu"
    assert "torch.cuda.is_available() is False" in trainer.device_note
    assert trainer.snapshot(grid=False).device == "cpu"
    names = {name: (ok, why) for name, ok, why in available_devices()}
    assert names["cpu"] == (True, "") and names["cuda"][0] is False and names["cuda"][1]


def test_mps_on_a_machine_without_it_says_why(monkeypatch):
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    device, reason = resolve_device("mps")
    assert device.type == "cpu" and "MPS" in reason


def test_bad_device_name_is_refused():
    with pytest.raises(ValueError, match="not one of auto, cpu"):
        resolve_device("tpu")


def test_multiclass_data_with_a_binary_loss_is_refused():
    data = hand_dataset(classes=("a", "b", "c"))
    data = Dataset(data.x_train, data.y_train.astype(np.int64), data.x_test, data.y_test.astype(np.int64),
                   data.raw_train, data.raw_test, data.input_names, data.raw_names, "classification",
                   ("a", "b", "c"), is_planar=True, features=("x1", "x2"))
    with pytest.raises(LossError, match="use cross_entropy"):
        Trainer(make_spec(loss="hinge"), dataset=data)


def test_mismatched_hand_built_dataset_names_the_problem():
    data = hand_dataset()
    broken = Dataset(data.x_train, data.y_train[:-1], data.x_test, data.y_test, data.raw_train, data.raw_test,
                     data.input_names, data.raw_names, "classification", ("0", "1"))
    with pytest.raises(ValueError, match="train set: 8 input rows but 7 targets"):
        Trainer(make_spec(), dataset=broken)


def test_tiny_dataset_and_one_row_batches():
    trainer = Trainer(make_spec(batch_size=1), dataset=hand_dataset(n_train=3, n_test=1))
    assert trainer.train_epoch().step == 3


def test_no_test_rows_does_not_look_like_divergence():
    trainer = Trainer(make_spec(), dataset=hand_dataset(n_train=6, n_test=0))
    record = trainer.train_epoch()
    assert np.isnan(record.test_loss) and record.test_accuracy is None
    assert trainer.snapshot(resolution=4).confusion is None


def test_invalid_live_values_are_refused_with_a_reason():
    trainer = Trainer(make_spec())
    with pytest.raises(ValueError, match="positive"):
        trainer.set_learning_rate(0)
    with pytest.raises(ValueError, match="at least 1"):
        trainer.set_batch_size(0)
    with pytest.raises(ValueError, match=">= 0"):
        trainer.set_regularization_rate(float("nan"))
    with pytest.raises(ValueError, match="finite"):
        trainer.set_weight(0, 0, 0, float("inf"))
    with pytest.raises(IndexError, match=r"outside layer 0's weight of shape \(4, 2\)"):
        trainer.set_weight(0, 4, 0, 1.0)


def test_stop_before_the_first_epoch_still_emits_a_final_snapshot():
    control = TrainingControl()
    control.stop()
    snaps = []
    assert Trainer(make_spec()).run(control, snaps.append) == RunState.stopped
    assert snaps[-1].state == RunState.stopped and snaps[-1].epoch == 0


def test_huge_regularization_still_trains_or_diverges_cleanly():
    spec = make_spec(regularization={"kind": "l2", "rate": 10.0}, optimizer={"name": "sgd", "lr": 10.0})
    snaps = []
    state = Trainer(spec).run(TrainingControl(), snaps.append)
    assert state in (RunState.finished, RunState.diverged)
    assert all(np.isfinite(w).all() for w in snaps[-1].weights)
    if state == RunState.diverged:
        assert "regularization rate" in snaps[-1].message


def test_a_failing_snapshot_still_ends_the_run_with_a_final_state():
    trainer = Trainer(make_spec())

    def broken(*args, **kwargs):
        raise RuntimeError("grid exploded")

    trainer.snapshot = broken  # type: ignore[method-assign]
    snaps = []
    assert trainer.run(TrainingControl(), snaps.append) == RunState.failed
    assert len(snaps) == 1 and snaps[0].state == RunState.failed and "grid exploded" in snaps[0].message


def test_auto_keeps_a_small_net_on_the_cpu_even_with_a_gpu(monkeypatch):
    import core.training.trainer as trainer_module

    monkeypatch.setattr(trainer_module, "resolve_device", lambda name, strict=False: (torch.device("cuda"), ""))
    trainer = Trainer(make_spec(device="auto"))
    assert trainer.device.type == "cpu" and trainer.device_note == ""
