"""The trainer: it learns, it is deterministic, it survives divergence, and run() obeys its control."""

from __future__ import annotations

import csv
import threading
import time

import numpy as np
import pytest
import torch

from core.training.control import TrainingControl
from core.data.dataset import Dataset
from core.engines.device import DeviceUnavailable, available_devices, resolve_device
from core.training.history import LossHistory
from core.training.snapshot import EpochRecord, RunState, Snapshot
from core.spec import Experiment, parse_experiment
from core.training.trainer import Diverged, Trainer

torch.set_num_threads(1)

SPIRAL_FEATURES = ["x1", "x2", "sin(x1)", "sin(x2)"]


def make_spec(source: str = "circle", **changes) -> Experiment:
    base = {"schema_version": 1, "data": {"source": source, "samples": 200}, "engine": "torch",
            "layers": [{"units": 4}, {"units": 2}], "optimizer": {"name": "adam", "lr": 0.03},
            "batch_size": 25, "epochs": 20}
    base.update(changes)
    return parse_experiment(base)


def train(trainer: Trainer, epochs: int | None = None) -> EpochRecord:
    for _ in range(trainer.spec.epochs if epochs is None else epochs):
        record = trainer.train_epoch()
    return record


class Recorder:
    """An emit callback that lets the test thread wait for a snapshot (no sleeps)."""

    def __init__(self) -> None:
        self.snaps: list[Snapshot] = []
        self._cond = threading.Condition()

    def __call__(self, snap: Snapshot) -> None:
        with self._cond:
            self.snaps.append(snap)
            self._cond.notify_all()

    def wait_for(self, predicate, timeout: float = 60.0) -> Snapshot:
        with self._cond:
            ok = self._cond.wait_for(lambda: any(predicate(s) for s in self.snaps), timeout)
        assert ok, f"no snapshot matched; got {[(s.state.value, s.epoch) for s in self.snaps]}"
        return next(s for s in self.snaps if predicate(s))


# ------------------------------------------------------------------ it learns


@pytest.mark.parametrize("source, changes", [
    ("circle", dict(layers=[{"units": 8}], epochs=40)),
    ("xor", dict(layers=[{"units": 8, "activation": "relu"}, {"units": 8, "activation": "relu"}], epochs=40)),
    ("gauss", dict(layers=[], epochs=20)),
    ("spiral", dict(features=SPIRAL_FEATURES, layers=[{"units": 24}, {"units": 12}], epochs=150)),
])
def test_reaches_high_test_accuracy_on_the_toy_sets(source, changes):
    spec = make_spec(source, **{"data": {"source": source, "samples": 500}, "batch_size": 25, **changes})
    record = train(Trainer(spec))
    assert record.test_accuracy >= 0.95, f"{source}: test accuracy {record.test_accuracy:.3f}"


def test_loss_falls_on_spiral():
    trainer = Trainer(make_spec("spiral", features=SPIRAL_FEATURES, layers=[{"units": 12}, {"units": 8}]))
    first = trainer.train_epoch()
    last = train(trainer, 30)
    assert last.train_loss < 0.7 * first.train_loss
    assert last.test_loss < first.test_loss


def test_iris_multiclass():
    spec = make_spec("iris", layers=[{"units": 8}], loss="cross_entropy", batch_size=10, epochs=60)
    trainer = Trainer(spec)
    record = train(trainer)
    assert trainer.n_outputs == 3 and trainer.model.output.out_features == 3
    assert record.test_accuracy >= 0.9
    confusion = trainer.snapshot(grid=True).confusion
    assert confusion.shape == (3, 3) and confusion.sum() == len(trainer.dataset.x_test)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(record.test_accuracy)


def test_a_real_csv_file_with_text_labels_reaches_high_accuracy():
    from pathlib import Path

    from core.spec import load_experiment

    spec = load_experiment(Path(__file__).resolve().parents[2] / "examples" / "iris_csv.json")
    trainer = Trainer(spec.replace(epochs=60, engine="torch"))
    assert trainer.dataset.class_names == ("setosa", "versicolor", "virginica")
    record = train(trainer)
    assert record.test_accuracy >= 0.9, f"iris.csv: test accuracy {record.test_accuracy:.3f}"


def test_plane_regression_reaches_low_mse():
    spec = make_spec("plane", task="regression", loss="mse", layers=[{"units": 4}], epochs=40)
    record = train(Trainer(spec))
    assert record.test_loss < 0.01
    assert record.test_accuracy is None and record.train_accuracy is None


# ------------------------------------------------------------------ determinism and divergence


def test_same_seed_same_losses():
    spec = make_spec(layers=[{"units": 6, "dropout": 0.2}, {"units": 3}], epochs=5)
    first, second = Trainer(spec), Trainer(spec)
    a = [first.train_epoch().train_loss for _ in range(5)]
    b = [second.train_epoch().train_loss for _ in range(5)]
    assert a == b
    other = Trainer(spec.replace(seed=1))
    assert [other.train_epoch().train_loss for _ in range(5)] != a


def test_shuffle_changes_per_epoch_but_is_reproducible():
    trainer = Trainer(make_spec())
    p0, p1 = trainer.epoch_permutation(0), trainer.epoch_permutation(1)
    assert sorted(p0) == list(range(len(trainer.dataset.x_train)))
    assert not np.array_equal(p0, p1)
    assert np.array_equal(p1, Trainer(make_spec()).epoch_permutation(1))


def regression_spec(lr: float) -> Experiment:
    return make_spec("plane", task="regression", loss="mse", optimizer={"name": "sgd", "lr": lr},
                     layers=[{"units": 6, "activation": "relu"}, {"units": 4, "activation": "relu"}],
                     batch_size=5)


def test_divergence_keeps_the_last_finite_weights():
    trainer = Trainer(regression_spec(0.01))
    train(trainer, 3)
    kept = [p.detach().clone() for p in trainer.model.parameters()]
    trainer.set_learning_rate(10.0)
    with pytest.raises(Diverged, match=r"at epoch 4 \(lr 10\).*last finite weights are kept.*lower learning rate"):
        trainer.train_epoch()
    assert trainer.epoch == 3 and len(trainer.history) == 3
    assert all(torch.equal(p, q) for p, q in zip(kept, trainer.model.parameters()))
    trainer.set_learning_rate(0.01)  # the run can go on from the kept weights
    assert np.isfinite(trainer.train_epoch().train_loss)


def test_run_reports_divergence_instead_of_raising():
    trainer = Trainer(regression_spec(10.0))
    rec = Recorder()
    state = trainer.run(TrainingControl(), rec)
    assert state == RunState.diverged
    final = rec.snaps[-1]
    assert final.state == RunState.diverged and "lower learning rate" in final.message
    assert all(np.isfinite(w).all() for w in final.weights)


# ------------------------------------------------------------------ snapshots


def test_snapshot_grid_over_the_plane():
    trainer = Trainer(make_spec(features=["x1", "x2", "x1^2"], layers=[{"units": 4}, {"units": 2}]))
    trainer.train_epoch()
    snap = trainer.snapshot(grid=True, resolution=20)
    assert snap.boundary.shape == (20, 20) and ((snap.boundary >= 0) & (snap.boundary <= 1)).all()
    assert snap.confidence is None
    assert snap.input_outputs.shape == (3, 20, 20)
    x1, x2 = snap.input_outputs[0], snap.input_outputs[1]
    assert x1[0, 0] == pytest.approx(-6) and x1[0, -1] == pytest.approx(6)  # columns run along x1
    assert x2[0, 0] == pytest.approx(-6) and x2[-1, 0] == pytest.approx(6)  # row 0 is the lowest x2
    assert np.allclose(snap.input_outputs[2], x1 ** 2)
    assert [n.shape for n in snap.neuron_outputs] == [(4, 20, 20), (2, 20, 20)]
    assert [w.shape for w in snap.weights] == [(4, 3), (2, 4), (1, 2)]
    # the picture agrees with predict() at a grid point
    raw = np.array([[x1[3, 7], x2[3, 7]]], np.float32)
    assert trainer.predict(raw)[0] == pytest.approx(snap.boundary[3, 7], abs=1e-6)
    assert trainer.snapshot(grid=False).boundary is None


def test_grid_uses_the_data_modules_preprocessing():
    trainer = Trainer(make_spec(features=["x1", "x2", "x1*x2", "sin(x2)"]))
    assert np.allclose(trainer.preprocess(trainer.dataset.raw_train), trainer.dataset.x_train, atol=1e-6)
    tabular = Trainer(make_spec("iris", loss="cross_entropy"))
    assert np.allclose(tabular.preprocess(tabular.dataset.raw_test), tabular.dataset.x_test, atol=1e-5)
    assert tabular.snapshot(grid=True).boundary is None  # no plane to draw for a table


def test_multiclass_boundary_holds_classes_and_confidence():
    rng = np.random.default_rng(0)
    centres = np.array([[-3, -3], [3, -3], [0, 3]], np.float32)
    y = np.repeat(np.arange(3), 40)
    x = (centres[y] + rng.normal(0, 0.7, (120, 2))).astype(np.float32)
    data = Dataset(x[::2], y[::2], x[1::2], y[1::2], x[::2], x[1::2], ("x1", "x2"), ("x1", "x2"),
                   "classification", ("a", "b", "c"), is_planar=True, features=("x1", "x2"))
    trainer = Trainer(make_spec(loss="cross_entropy", epochs=30), dataset=data)
    record = train(trainer)
    assert record.test_accuracy >= 0.9
    snap = trainer.snapshot(resolution=16)
    assert snap.boundary.dtype == np.int64 and set(np.unique(snap.boundary)) == {0, 1, 2}
    assert ((snap.confidence >= 1 / 3 - 1e-6) & (snap.confidence <= 1)).all()
    assert trainer.predict(x[:5]).shape == (5, 3)


def test_weight_edit_changes_the_output():
    trainer = Trainer(make_spec(layers=[]))
    trainer.set_weight(0, 0, 0, 5.0)
    trainer.set_weight(0, 0, 1, 0.0)
    snap = trainer.snapshot(grid=False)
    assert snap.weights[0][0, 0] == 5.0 and snap.weights[0][0, 1] == 0.0
    with pytest.raises(IndexError, match=r"layer 3 does not exist.*0\.\.0"):
        trainer.set_weight(3, 0, 0, 1.0)


def test_state_dict_resumes_exactly():
    spec = make_spec(layers=[{"units": 5, "dropout": 0.1}], epochs=6)
    straight = Trainer(spec)
    train(straight, 6)
    first = Trainer(spec)
    train(first, 3)
    resumed = Trainer(spec)
    resumed.load_state_dict(first.state_dict())
    train(resumed, 3)
    assert resumed.epoch == 6 and len(resumed.history) == 6
    assert all(torch.equal(p, q) for p, q in zip(straight.model.parameters(), resumed.model.parameters()))


# ------------------------------------------------------------------ engines


def test_fused_engine_follows_the_same_batches_as_torch():
    pytest.importorskip("numba")
    spec = make_spec(optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.5}, batch_size=7, engine="auto")
    fast, plain = Trainer(spec), Trainer(spec.replace(engine="torch"))
    if fast.engine != "fused":
        pytest.skip(f"fused engine not available: {fast.engine_note}")
    a, b = train(fast, 5), train(plain, 5)
    assert a.step == b.step
    assert a.train_loss == pytest.approx(b.train_loss, rel=1e-3)


def test_unsupported_setup_falls_back_to_torch_and_says_why():
    trainer = Trainer(make_spec(engine="fused", layers=[{"units": 4, "norm": "batch"}]))  # not on the fast path
    assert trainer.engine == "torch" and "torch" in trainer.engine_note
    assert Trainer(make_spec(engine="torch")).engine_note == ""


def test_a_failing_fast_path_does_not_lose_the_run(monkeypatch):
    fused = pytest.importorskip("core.engines.fused")
    trainer = Trainer(make_spec(optimizer={"name": "sgd", "lr": 0.1}, engine="auto"))
    if trainer.engine != "fused":
        pytest.skip(f"fused engine not available: {trainer.engine_note}")

    def broken(*args, **kwargs):
        raise RuntimeError("kernel exploded")

    monkeypatch.setattr(fused, "train_epoch", broken)
    record = trainer.train_epoch()
    assert record.epoch == 1 and np.isfinite(record.train_loss)
    assert trainer.engine == "torch" and "kernel exploded" in trainer.engine_note


# ------------------------------------------------------------------ run(): control from another thread


def start(trainer: Trainer, control: TrainingControl, rec: Recorder, **kw) -> tuple[threading.Thread, list]:
    result: list = []
    thread = threading.Thread(target=lambda: result.append(trainer.run(control, rec, **kw)), daemon=True)
    thread.start()
    return thread, result


def test_pause_step_and_stop():
    trainer = Trainer(make_spec(epochs=1000))
    control = TrainingControl(paused=True)
    rec = Recorder()
    thread, result = start(trainer, control, rec)
    first = rec.wait_for(lambda s: s.state == RunState.paused)
    assert first.epoch == 0 and first.boundary is not None
    control.request_epochs(1)
    stepped = rec.wait_for(lambda s: s.epoch == 1)
    assert stepped.state == RunState.paused and stepped.boundary is not None
    assert [r.epoch for r in stepped.history] == [1]
    control.stop()
    thread.join(30)
    assert not thread.is_alive() and result == [RunState.stopped]
    assert trainer.epoch == 1  # exactly one epoch ran
    assert rec.snaps[-1].state == RunState.stopped


def test_resume_then_pause_keeps_the_epoch():
    trainer = Trainer(make_spec(epochs=100000))
    control = TrainingControl()
    rec = Recorder()
    thread, _ = start(trainer, control, rec, snapshot_hz=0)
    rec.wait_for(lambda s: s.epoch >= 3)
    control.pause()
    paused = rec.wait_for(lambda s: s.state == RunState.paused)
    control.stop()
    thread.join(30)
    assert trainer.epoch == paused.epoch  # nothing ran after the pause was shown


def test_live_learning_rate_change_applies_without_reset():
    trainer = Trainer(make_spec(epochs=12))
    control = TrainingControl()

    def emit(snap: Snapshot) -> None:
        if snap.epoch == 5:
            control.set_learning_rate(0.001)

    state = trainer.run(control, emit, snapshot_hz=0)
    assert state == RunState.finished
    assert list(trainer.history.epochs) == list(range(1, 13))
    rates = trainer.history.learning_rate
    assert np.allclose(rates[:5], 0.03) and np.allclose(rates[5:], 0.001)
    assert trainer.learning_rate == pytest.approx(0.001)


def test_live_batch_size_and_weight_edits_apply_between_epochs():
    trainer = Trainer(make_spec(layers=[], epochs=4))
    control = TrainingControl()
    control.set_batch_size(1000)
    control.set_weight(0, 0, 0, 3.0)
    rec = Recorder()
    trainer.run(control, rec, snapshot_hz=0)
    assert trainer.history.steps[0] == 1  # one batch of everything from the first epoch on
    assert rec.snaps[0].weights[0][0, 0] != 3.0
    assert any(s.weights[0][0, 0] == 3.0 and s.boundary is not None for s in rec.snaps)


def test_bad_live_value_is_reported_not_fatal():
    trainer = Trainer(make_spec(epochs=3))
    control = TrainingControl()
    control.set_weight(9, 0, 0, 1.0)
    rec = Recorder()
    assert trainer.run(control, rec) == RunState.finished
    assert any("layer 9 does not exist" in s.message for s in rec.snaps)


def test_emit_rate_is_bounded_and_no_epoch_is_lost():
    trainer = Trainer(make_spec("gauss", layers=[], batch_size=1000, epochs=600))
    rec = Recorder()
    t0 = time.monotonic()
    state = trainer.run(TrainingControl(), rec, snapshot_hz=10, grid_hz=2, grid_resolution=8)
    elapsed = time.monotonic() - t0
    assert state == RunState.finished
    # start + final + at most one per 1/hz of the run
    assert len(rec.snaps) <= elapsed * 10 + 3
    assert sum(s.boundary is not None for s in rec.snaps) <= elapsed * 2 + 4
    assert sum(len(s.history) for s in rec.snaps) == 600  # every epoch reaches the loss plot
    final = rec.snaps[-1]
    assert final.state == RunState.finished and final.epoch == 600 and final.boundary is not None
    assert any(s.epochs_per_second > 0 for s in rec.snaps)


def test_max_epochs_and_until_stopped():
    trainer = Trainer(make_spec(epochs=50))
    assert trainer.run(TrainingControl(), lambda s: None, max_epochs=3) == RunState.finished
    assert trainer.epoch == 3
    control = TrainingControl()

    def emit(snap: Snapshot) -> None:
        if snap.epoch >= 60:
            control.stop()

    assert trainer.run(control, emit, snapshot_hz=0, until_stopped=True) == RunState.stopped
    assert trainer.epoch >= 60  # went past spec.epochs


def test_failure_ends_the_run_with_a_message():
    trainer = Trainer(make_spec(epochs=5))

    def broken_epoch():
        raise RuntimeError("disk on fire")

    trainer.train_epoch = broken_epoch  # type: ignore[method-assign]
    rec = Recorder()
    assert trainer.run(TrainingControl(), rec) == RunState.failed
    assert "disk on fire" in rec.snaps[-1].message and isinstance(trainer.last_error, RuntimeError)


# ------------------------------------------------------------------ history and device


def test_history_stays_bounded_and_keeps_spikes(tmp_path):
    history = LossHistory(max_points=512)
    for e in range(1, 20001):
        loss = 100.0 if e == 777 else 1.0 / e
        history.append(EpochRecord(e, e * 10, loss, loss * 2, 0.5, 0.5, 0.1))
    assert len(history) <= 512
    assert history.train_loss.max() == 100.0 and history.test_loss.max() == 200.0  # the spike survives
    assert history.epochs[-1] == 20000 and np.all(np.diff(history.epochs) > 0)
    assert history.last.epoch == 20000
    path = tmp_path / "loss.csv"
    history.to_csv(path)
    rows = list(csv.DictReader(path.read_text().splitlines()))
    assert len(rows) == len(history) and float(rows[-1]["train_loss"]) == pytest.approx(1 / 20000)
    again = LossHistory.from_records(history.to_records(), max_points=512)
    assert np.array_equal(again.train_loss, history.train_loss)


def test_device_fallback_says_why(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    device, reason = resolve_device("cuda")
    assert device.type == "cpu" and "CUDA was asked for" in reason and reason.endswith("using cpu")
    with pytest.raises(DeviceUnavailable, match="--device cpu"):
        resolve_device("cuda", strict=True)
    assert resolve_device("cpu") == (torch.device("cpu"), "")
    assert ("cuda", False, reason.removesuffix("; using cpu")) in available_devices()
    trainer = Trainer(make_spec(device="cuda"))
    assert trainer.device.type == "cpu" and "CUDA" in trainer.device_note
    assert Trainer(make_spec(device="cuda"), device="cpu").device_note == ""


# ------------------------------------------------------------------ regression on a real table


def test_diabetes_learns_with_the_default_optimizer_and_predicts_in_its_units():
    # The defaults a user starts from: sgd lr 0.03, [4, 2] tanh, batch 10. Targets run 25..346, so
    # without standardising them this diverges or sits at losses in the thousands.
    spec = parse_experiment({"data": {"source": "diabetes"}, "task": "regression", "loss": "mse",
                             "engine": "torch", "epochs": 30})
    assert (spec.optimizer.name.value, spec.optimizer.lr, spec.batch_size) == ("sgd", 0.03, 10)
    trainer = Trainer(spec)
    first = trainer.train_epoch()
    last = train(trainer, 29)  # raises Diverged if the loss became NaN/inf
    assert last.test_loss < 1.0  # standardised MSE: better than always predicting the mean
    assert last.train_loss < first.train_loss
    ds = trainer.dataset
    truth = ds.to_target_units(ds.y_test)
    predicted = trainer.predict(ds.raw_test)
    assert predicted.shape == truth.shape
    assert abs(float(predicted.mean()) - float(truth.mean())) < 0.3 * float(truth.std())
    rmse = float(np.sqrt(np.mean((predicted.astype(np.float64) - truth) ** 2)))
    assert rmse == pytest.approx(np.sqrt(last.test_loss) * ds.y_std, rel=1e-3)  # same error, in units


def test_toy_regression_predictions_are_the_raw_outputs():
    trainer = Trainer(make_spec("plane", task="regression", loss="mse", layers=[{"units": 4}], epochs=3))
    train(trainer)
    assert trainer.dataset.y_mean is None
    raw = np.array([[1.0, 2.0], [-3.0, 0.5]], np.float32)
    with torch.no_grad():
        out = trainer.model.eval()(torch.from_numpy(raw)).numpy().reshape(-1)
    np.testing.assert_allclose(trainer.predict(raw), out, atol=1e-7)
    grid = trainer.snapshot(grid=True, resolution=5).boundary
    assert grid.min() > -2 and grid.max() < 2  # on the [-1, 1] scale of the plane's values
