"""What the trainer records around each epoch: the figures, the rollback, the fast paths behind them.

The per-epoch evaluation and the rollback copy were made cheap (a compiled evaluation on the fused
engine, in-place copies instead of cloned state dicts); these tests pin down that a user sees the
same losses, accuracies, confusion matrices and rolled-back state as before.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core.data.dataset import Dataset
from core.training.rollback import StateBackup
from core.spec import parse_experiment
from core.training.trainer import Diverged, Trainer

RTOL = 1e-5


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _spec(**changes):
    base = {"schema_version": 1, "data": {"source": "spiral", "samples": 200}, "engine": "fused"}
    base.update(changes)
    return parse_experiment(base)


CASES = {
    "default [4,2] tanh bce": {},
    "[8]x6 relu mse": {"layers": [{"units": 8, "activation": "relu"}] * 6, "loss": "mse"},
    "regression mse": {"data": {"source": "plane", "samples": 200}, "task": "regression", "loss": "mse"},
    "regression huber": {"data": {"source": "plane", "samples": 200}, "task": "regression", "loss": "huber"},
    "hinge": {"loss": "hinge"},
    "huber on sigmoid": {"loss": "huber"},
    "l1 on sigmoid": {"loss": "l1"},
    "l2 regularised (no penalty in the figures)": {"regularization": {"kind": "l2", "rate": 0.1}},
    "leaky/sigmoid/linear": {"layers": [{"units": 5, "activation": "leaky_relu"},
                                        {"units": 3, "activation": "sigmoid"},
                                        {"units": 3, "activation": "linear"}]},
    "iris 3 classes": {"data": {"source": "iris"}, "loss": "cross_entropy", "batch_size": 16},
}


def _torch_twin(trainer: Trainer) -> Trainer:
    """A torch-engine trainer holding the same weights, to evaluate them the plain way."""
    twin = Trainer(trainer.spec.replace(engine="torch"), dataset=trainer.dataset)
    twin.load_state_dict(trainer.state_dict())
    assert twin.engine == "torch"
    return twin


@pytest.mark.parametrize("case", list(CASES))
def test_fused_evaluation_equals_the_torch_evaluation(case):
    pytest.importorskip("numba")
    trainer = Trainer(_spec(**CASES[case]))
    assert trainer.engine == "fused", trainer.engine_note
    for _ in range(3):
        record = trainer.train_epoch()
    twin = _torch_twin(trainer)
    expected = twin.evaluate()
    got = trainer.evaluate()
    assert (record.train_loss, record.test_loss) == (got[0], got[1])  # the record is this evaluation
    assert got[0] == pytest.approx(expected[0], rel=RTOL)
    assert got[1] == pytest.approx(expected[1], rel=RTOL)
    if trainer.regression:
        assert got[2] is None and got[3] is None and trainer.confusion_matrix() is None
    else:
        # A row whose logit rounds across 0 differently could flip; none does on these nets.
        assert got[2] == pytest.approx(expected[2], abs=1e-9)
        assert got[3] == pytest.approx(expected[3], abs=1e-9)
        np.testing.assert_array_equal(trainer.confusion_matrix(), twin.confusion_matrix())


def test_fused_evaluation_follows_weight_edits():
    pytest.importorskip("numba")
    trainer = Trainer(_spec())
    trainer.train_epoch()
    before = trainer.evaluate()
    trainer.set_weight(0, 0, 0, 3.0)
    after = trainer.evaluate()
    assert after[0] != before[0]
    assert after[0] == pytest.approx(_torch_twin(trainer).evaluate()[0], rel=RTOL)


def _hand_dataset(n_train: int, n_test: int) -> Dataset:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(n_train + n_test, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.float32)
    return Dataset(x[:n_train], y[:n_train], x[n_train:], y[n_train:], x[:n_train], x[n_train:],
                   ("x1", "x2"), ("x1", "x2"), "classification", ("0", "1"), is_planar=True,
                   features=("x1", "x2"))


@pytest.mark.parametrize("engine", ["fused", "torch"])
def test_no_test_rows_reports_no_test_figures(engine):
    trainer = Trainer(_spec(engine=engine), dataset=_hand_dataset(40, 0))
    record = trainer.train_epoch()
    assert np.isfinite(record.train_loss) and 0.0 <= record.train_accuracy <= 1.0
    assert np.isnan(record.test_loss) and record.test_accuracy is None
    assert trainer.confusion_matrix() is None


@pytest.mark.parametrize("engine", ["fused", "torch"])
def test_confusion_matrix_agrees_with_the_test_accuracy(engine):
    trainer = Trainer(_spec(engine=engine, data={"source": "iris"}, loss="cross_entropy", batch_size=16))
    for _ in range(5):
        record = trainer.train_epoch()
    confusion = trainer.confusion_matrix()
    assert confusion.shape == (3, 3) and confusion.sum() == len(trainer.dataset.x_test)
    assert np.trace(confusion) / confusion.sum() == pytest.approx(record.test_accuracy)
    truth_counts = np.bincount(np.asarray(trainer.dataset.y_test, np.int64), minlength=3)
    np.testing.assert_array_equal(confusion.sum(axis=1), truth_counts)


# ------------------------------------------------------------------ rollback


def _state(trainer: Trainer) -> tuple[list[torch.Tensor], dict]:
    model = [t.detach().clone() for t in trainer.model.state_dict().values()]
    opt = trainer.optimizer.state_dict()["state"]
    return model, {k: {n: v.clone() if isinstance(v, torch.Tensor) else v for n, v in s.items()}
                   for k, s in opt.items()}


def _assert_same_state(trainer: Trainer, kept: tuple[list[torch.Tensor], dict]) -> None:
    model, opt = _state(trainer)
    assert all(torch.equal(a, b) for a, b in zip(kept[0], model))
    assert kept[1].keys() == opt.keys()
    for k in opt:
        assert kept[1][k].keys() == opt[k].keys()
        for name, value in opt[k].items():
            same = torch.equal(value, kept[1][k][name]) if isinstance(value, torch.Tensor) else \
                value == kept[1][k][name]
            assert same, f"optimizer state {k}.{name} was not rolled back"


@pytest.mark.parametrize("optimizer", [{"name": "sgd", "lr": 0.01, "momentum": 0.9},
                                       {"name": "adam", "lr": 0.01}])
def test_divergence_rolls_back_weights_and_optimizer_state(optimizer):
    spec = _spec(engine="torch", data={"source": "plane", "samples": 200}, task="regression", loss="mse",
                 layers=[{"units": 6, "activation": "relu"}, {"units": 4, "activation": "relu"}],
                 optimizer=optimizer, batch_size=5)
    trainer = Trainer(spec)
    for _ in range(3):
        trainer.train_epoch()
    kept = _state(trainer)
    trainer.set_learning_rate(1e35)  # Adam's steps are about lr in size: overflow needs a huge one
    with pytest.raises(Diverged):
        for _ in range(5):
            trainer.train_epoch()
            kept = _state(trainer)  # a huge step can stay finite for an epoch; then that is the last good one
    _assert_same_state(trainer, kept)
    trainer.set_learning_rate(0.01)
    assert np.isfinite(trainer.train_epoch().train_loss)


def test_rollback_before_the_first_step_drops_the_new_optimizer_state():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    before = [p.detach().clone() for p in model.parameters()]
    backup = StateBackup(model, optimizer)
    backup.save()
    model(torch.ones(4, 2)).sum().backward()
    optimizer.step()
    assert len(optimizer.state) == 4
    backup.restore()
    assert len(optimizer.state) == 0  # Adam starts afresh, as after loading the empty state dict
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))


def test_rollback_copies_are_reused_and_survive_a_replaced_optimizer_state():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3), nn.Linear(3, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(8, 2)

    def step():
        optimizer.zero_grad()
        model(x).pow(2).mean().backward()
        optimizer.step()

    step()
    backup = StateBackup(model, optimizer)
    backup.save()
    copies = list(backup._copies)
    step()
    backup.save()
    assert all(a is b for a, b in zip(copies, backup._copies))  # refreshed in place, nothing allocated
    optimizer.load_state_dict(optimizer.state_dict())  # new momentum tensors
    backup.save()
    kept = ([t.clone() for t in model.state_dict().values()],
            [s["momentum_buffer"].clone() for s in optimizer.state.values()])
    step()
    step()
    backup.restore()
    assert all(torch.equal(a, b) for a, b in zip(kept[0], model.state_dict().values()))  # running stats too
    assert all(torch.equal(a, s["momentum_buffer"]) for a, s in zip(kept[1], optimizer.state.values()))


def test_restore_without_save_says_so():
    model = nn.Linear(2, 1)
    with pytest.raises(RuntimeError, match="before save"):
        StateBackup(model, torch.optim.SGD(model.parameters(), lr=0.1)).restore()


def test_a_non_finite_evaluation_after_a_fused_epoch_rolls_back(monkeypatch):
    fused = pytest.importorskip("core.engines.fused")
    trainer = Trainer(_spec(optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.5}))
    assert trainer.engine == "fused", trainer.engine_note
    trainer.train_epoch()
    kept = _state(trainer)
    monkeypatch.setattr(fused, "evaluate", lambda t: (float("inf"), 0.5, 0.5, 0.5, None))
    with pytest.raises(Diverged, match="infinite at epoch 2"):
        trainer.train_epoch()
    assert trainer.epoch == 1 and len(trainer.history) == 1
    _assert_same_state(trainer, kept)


def test_a_failing_fused_evaluation_falls_back_to_torch(monkeypatch, caplog):
    fused = pytest.importorskip("core.engines.fused")
    trainer = Trainer(_spec())
    assert trainer.engine == "fused", trainer.engine_note

    def broken(t):
        raise RuntimeError("eval kernel exploded")

    monkeypatch.setattr(fused, "evaluate", broken)
    record = trainer.train_epoch()
    assert "eval kernel exploded" in caplog.text
    assert trainer.engine == "fused"  # training itself still runs fused
    assert record.train_loss == pytest.approx(_torch_twin(trainer).evaluate()[0], rel=1e-6)


# ------------------------------------------------------------------ the torch epoch


def test_torch_epoch_makes_the_same_updates_as_a_per_batch_loop():
    """The trainer gathers the epoch's rows once and slices batches; a plain loop gathers per batch."""
    spec = _spec(engine="torch", batch_size=7, optimizer={"name": "sgd", "lr": 0.1, "momentum": 0.5},
                 regularization={"kind": "l1", "rate": 0.01})
    trainer = Trainer(spec)
    reference = Trainer(spec)
    model, opt = reference.model, reference.optimizer
    x, y = reference.x_train, reference.y_train
    for epoch in range(3):
        record = trainer.train_epoch()
        idx = torch.from_numpy(reference.epoch_permutation(epoch))
        losses = []
        for start in range(0, len(idx), 7):
            b = idx[start:start + 7]
            loss = nn.functional.binary_cross_entropy_with_logits(model(x[b]).reshape(-1), y[b])
            loss = loss + 0.01 * sum(m.weight.abs().sum() for m in model if isinstance(m, nn.Linear))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        assert record.step == (epoch + 1) * len(losses)
    for a, b in zip(model.parameters(), trainer.model.parameters()):
        torch.testing.assert_close(b, a, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("layer", [{"units": 6, "dropout": 0.5}, {"units": 6, "norm": "batch"}])
def test_dropout_and_batch_norm_nets_are_still_evaluated_in_eval_mode(layer):
    """Mode switches are skipped only for nets whose output does not depend on the mode."""
    trainer = Trainer(_spec(engine="torch", layers=[layer, {"units": 3}]))
    record = trainer.train_epoch()
    model = trainer.model
    model.eval()
    with torch.no_grad():
        expected = trainer.loss_fn(model(trainer.x_train), trainer.y_train).item()
    assert record.train_loss == pytest.approx(expected, rel=1e-6)
    trainer.train_epoch()
    assert trainer.model.training is False  # evaluated after the epoch, in eval mode


def test_rollback_works_without_the_foreach_kernel(monkeypatch):
    """Mixed devices (a CUDA model with Adam's CPU step counters) can lack a foreach kernel."""
    def unavailable(*args, **kwargs):
        raise RuntimeError("no foreach kernel for this device mix")

    monkeypatch.setattr(torch, "_foreach_copy_", unavailable)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.1)
    model(torch.ones(4, 2)).sum().backward()
    optimizer.step()
    backup = StateBackup(model, optimizer)
    backup.save()
    kept = [p.detach().clone() for p in model.parameters()]
    steps = [s["step"].clone() for s in optimizer.state.values()]
    backup.save()  # the second save refreshes in place: the fallback path
    model(torch.ones(4, 2)).sum().backward()
    optimizer.step()
    backup.restore()
    assert all(torch.equal(a, b) for a, b in zip(kept, model.parameters()))
    assert all(torch.equal(a, s["step"]) for a, s in zip(steps, optimizer.state.values()))
