"""The fused engine must train exactly like the torch path (within float rounding) or refuse clearly."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from core.engines import fused
from core.nn.build import build_model
from core.spec import parse_experiment
from core.training.trainer import Diverged, Trainer

pytest.importorskip("numba")

RTOL, ATOL = 1e-4, 1e-5


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _spec(**changes):
    return parse_experiment({"schema_version": 1, "data": {"source": "spiral", "samples": 200}, **changes})


def _params(trainer: Trainer) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in trainer.model.parameters()]


def _assert_same_weights(a: Trainer, b: Trainer) -> None:
    for k, (pa, pb) in enumerate(zip(_params(a), _params(b))):
        np.testing.assert_allclose(pb, pa, rtol=RTOL, atol=ATOL, err_msg=f"parameter {k} differs")


CASES = {
    "default [4,2] tanh bce": {},
    "[8]x6 relu mse": {"layers": [{"units": 8, "activation": "relu"}] * 6, "loss": "mse"},
    "regression mse": {"data": {"source": "plane", "samples": 200}, "task": "regression", "loss": "mse"},
    "l1 regularisation": {"regularization": {"kind": "l1", "rate": 0.01}},
    "l2 regularisation": {"regularization": {"kind": "l2", "rate": 0.03}},
    "nesterov momentum": {"optimizer": {"name": "sgd", "lr": 0.03, "momentum": 0.9, "nesterov": True}},
    "hinge": {"loss": "hinge", "batch_size": 7},
    "huber on sigmoid": {"loss": "huber", "optimizer": {"lr": 0.3}},
    "l1 loss": {"loss": "l1", "optimizer": {"lr": 0.1}},
    "leaky/sigmoid/linear": {"layers": [{"units": 5, "activation": "leaky_relu"},
                                        {"units": 3, "activation": "sigmoid"},
                                        {"units": 3, "activation": "linear"}]},
    "iris 3 classes": {"data": {"source": "iris"}, "loss": "cross_entropy", "batch_size": 16},
}


@pytest.mark.parametrize("case", list(CASES))
def test_fused_trains_like_torch(case):
    changes = CASES[case]
    torch_run = Trainer(_spec(engine="torch", **changes))
    fused_run = Trainer(_spec(engine="fused", **changes))
    assert fused_run.engine == "fused", fused_run.engine_note
    assert torch_run.engine == "torch"
    start = _params(torch_run)
    for _ in range(6):
        ra, rb = torch_run.train_epoch(), fused_run.train_epoch()
        assert rb.train_loss == pytest.approx(ra.train_loss, rel=RTOL, abs=ATOL)
        assert rb.test_loss == pytest.approx(ra.test_loss, rel=RTOL, abs=ATOL)
    _assert_same_weights(torch_run, fused_run)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(start, _params(fused_run)))
    assert moved > 1e-3, "training did not change the weights; the comparison would prove nothing"
    assert fused_run.engine == "fused"  # it never fell back to torch


class _StandIn:
    """The attributes fused.train_epoch reads, without a Trainer."""

    def __init__(self, spec, x, y, model):
        self.spec, self.model = spec, model
        self.dataset = type("D", (), {"x_train": x, "y_train": y})()
        self.optimizer = None
        self.learning_rate = spec.optimizer.lr
        self.batch_size = spec.batch_size
        self.regularization_rate = spec.regularization.rate


def test_epoch_loss_and_update_match_a_hand_written_torch_loop():
    """Independent of the Trainer: the returned value is the mean batch loss, penalty included,
    and a short last batch (60 rows in batches of 7) is averaged over its own rows."""
    spec = _spec(layers=[{"units": 6}, {"units": 3}], batch_size=7,
                 regularization={"kind": "l2", "rate": 0.05}, optimizer={"lr": 0.1})
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2, (60, 2)).astype(np.float32)
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float32)
    reference = build_model(spec, 2, 1)
    fast = build_model(spec, 2, 1)
    stand_in = _StandIn(spec, x, y, fast)
    opt = torch.optim.SGD(reference.parameters(), lr=0.1)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(4):
        perm = rng.permutation(60)
        losses = []
        for s in range(0, 60, 7):
            b = torch.from_numpy(perm[s:s + 7])
            loss = nn.functional.binary_cross_entropy_with_logits(reference(xt[b]).reshape(-1), yt[b])
            loss = loss + 0.05 * 0.5 * sum((m.weight ** 2).sum() for m in reference if isinstance(m, nn.Linear))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        got = fused.train_epoch(stand_in, perm)
        assert got == pytest.approx(np.mean(losses), rel=RTOL), f"epoch {epoch}"
    for k, (pa, pb) in enumerate(zip(reference.parameters(), fast.parameters())):
        np.testing.assert_allclose(pb.detach().numpy(), pa.detach().numpy(), rtol=RTOL, atol=ATOL,
                                   err_msg=f"parameter {k}")


def test_edits_between_epochs_are_seen_by_the_fused_path():
    """Weight edits, live settings and a rolled-back optimizer state all reach the next fused epoch."""
    changes = {"optimizer": {"name": "sgd", "lr": 0.03, "momentum": 0.5}}
    runs = [Trainer(_spec(engine=e, **changes)) for e in ("torch", "fused")]
    for t in runs:
        t.train_epoch()
        t.set_weight(0, 1, 0, 0.75)
        t.set_learning_rate(0.1)
        t.set_batch_size(4)
        t.set_regularization_rate(0.2)  # kind is 'none': the rate alone changes nothing
        t.train_epoch()
        t.load_state_dict(t.state_dict())  # replaces the optimizer's momentum tensors
        t.train_epoch()
    assert runs[1].engine == "fused"
    _assert_same_weights(*runs)


def test_a_diverging_fused_epoch_leaves_the_weights_untouched():
    t = Trainer(_spec(engine="fused", optimizer={"lr": 10.0}, data={"source": "plane", "samples": 200},
                      task="regression", loss="mse", layers=[{"units": 8, "activation": "linear"}] * 4))
    for epoch in range(50):
        before = _params(t)
        loss = fused.train_epoch(t, t.epoch_permutation(epoch))
        if not np.isfinite(loss):
            break
    else:
        pytest.fail("lr 10 on a deep linear net should diverge")
    for a, b in zip(before, _params(t)):
        np.testing.assert_array_equal(a, b)


def test_divergence_is_caught_and_rolled_back():
    t = Trainer(_spec(engine="fused", optimizer={"lr": 10.0}, data={"source": "plane", "samples": 200},
                      task="regression", loss="mse", layers=[{"units": 8, "activation": "linear"}] * 4))
    with pytest.raises(Diverged):
        for _ in range(50):
            before = _params(t)
            t.train_epoch()
    assert t.engine == "fused"
    assert all(np.isfinite(p).all() for p in _params(t))
    for a, b in zip(before, _params(t)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("changes, words", [
    ({"layers": [{"units": 4, "norm": "batch"}]}, "batch norm"),
])
def test_unsupported_specs_are_refused_with_a_reason(changes, words):
    t = Trainer(_spec(engine="fused", **changes))
    ok, why = fused.supports(t)
    assert not ok
    assert words in why
    assert t.engine == "torch" and words in t.engine_note  # the trainer falls back and says why
    with pytest.raises(ValueError, match="use engine 'torch'"):
        fused.train_epoch(t, t.epoch_permutation())


@pytest.mark.parametrize("optimizer, words", [
    (lambda params: torch.optim.Adam(params, amsgrad=True), "amsgrad"),
    (lambda params: torch.optim.RMSprop(params, centered=True), "centered"),
    (lambda params: torch.optim.SGD(params, lr=0.1, weight_decay=0.1), "weight_decay"),
    (lambda params: torch.optim.Adamax(params), "Adamax"),
])
def test_optimizer_options_the_fused_engine_does_not_run_are_refused(optimizer, words):
    t = Trainer(_spec(engine="fused", optimizer={"name": "adam"}))
    assert t.engine == "fused"
    t.optimizer = optimizer(t.model.parameters())
    ok, why = fused.supports(t)
    assert not ok and words in why


def test_wide_nets_with_big_batches_go_to_torch_where_blas_is_faster():
    t = Trainer(_spec(layers=[{"units": 1024}, {"units": 1024}], batch_size=100))
    ok, why = fused.supports(t)
    assert not ok and "torch engine is faster" in why
    assert t.engine == "torch"


def test_auto_engine_picks_fused_for_the_default_playground():
    t = Trainer(_spec())
    assert fused.supports(t) == (True, "")
    assert t.engine == "fused"


def test_bad_indices_are_rejected_before_any_update():
    t = Trainer(_spec(engine="fused"))
    before = _params(t)
    with pytest.raises(IndexError, match="indices must lie in"):
        fused.train_epoch(t, np.array([0, 1, 10_000]))
    for a, b in zip(before, _params(t)):
        np.testing.assert_array_equal(a, b)


# ---- blocks of epochs (Trainer.train_epochs, what Trainer.run uses on the fused engine)

BLOCK_CASES = {
    "default": {},
    "momentum, l2 and a decaying schedule": {
        "optimizer": {"name": "sgd", "lr": 0.1, "momentum": 0.9, "nesterov": True},
        "regularization": {"kind": "l2", "rate": 0.01},
        "schedule": {"kind": "step", "step_size": 3, "gamma": 0.5}},
    "iris 3 classes": {"data": {"source": "iris"}, "loss": "cross_entropy", "batch_size": 16},
    "regression": {"data": {"source": "plane", "samples": 200}, "task": "regression", "loss": "mse"},
}


@pytest.mark.parametrize("case", list(BLOCK_CASES))
def test_a_block_of_epochs_trains_and_records_exactly_like_epoch_by_epoch(case):
    spec = _spec(engine="fused", **BLOCK_CASES[case])
    block, single = Trainer(spec), Trainer(spec)
    assert block.engine == single.engine == "fused"
    records = block.train_epochs(7) + block.train_epochs(5)
    expected = [single.train_epoch() for _ in range(12)]
    assert records == expected  # epochs, steps, losses, accuracies and learning rates, bit for bit
    assert block.history.to_records() == single.history.to_records()
    assert (block.epoch, block.step, block.learning_rate) == (single.epoch, single.step, single.learning_rate)
    for a, b in zip(_params(block), _params(single)):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(block.model.parameters(), single.model.parameters()):  # momentum buffers too
        sa, sb = block.optimizer.state.get(p, {}), single.optimizer.state.get(q, {})
        if "momentum_buffer" in sb:
            np.testing.assert_array_equal(sa["momentum_buffer"].numpy(), sb["momentum_buffer"].numpy())
    assert block.evaluate() == single.evaluate()
    if spec.task.value != "regression":
        np.testing.assert_array_equal(block.confusion_matrix(), single.confusion_matrix())
    assert [r.train_loss for r in records][-1] < records[0].train_loss  # and it learns


def test_a_block_that_diverges_keeps_the_epochs_before_it_and_the_last_finite_weights():
    # Heavy momentum on a deep linear net: a few good epochs, then the loss blows up.
    spec = _spec(engine="fused", optimizer={"lr": 0.05, "momentum": 0.99}, data={"source": "plane", "samples": 200},
                 task="regression", loss="mse", layers=[{"units": 8, "activation": "linear"}] * 4)
    single = Trainer(spec)
    done: list = []
    with pytest.raises(Diverged) as single_err:
        for _ in range(50):
            done.append(single.train_epoch())
    assert done, "the net should survive at least one epoch for this test to mean anything"
    block = Trainer(spec)
    with pytest.raises(Diverged) as block_err:
        block.train_epochs(50)
    assert block_err.value.records == done
    assert str(block_err.value) == str(single_err.value)
    assert block.epoch == single.epoch == len(done)
    assert block.history.to_records() == single.history.to_records()
    for a, b in zip(_params(block), _params(single)):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(block.model.parameters(), single.model.parameters()):
        np.testing.assert_array_equal(block.optimizer.state[p]["momentum_buffer"].numpy(),
                                      single.optimizer.state[q]["momentum_buffer"].numpy())
    assert block.engine == "fused"


def test_run_trains_the_fused_engine_in_blocks_and_still_records_every_epoch(monkeypatch):
    from core.training.control import TrainingControl

    calls = []
    real = fused.train_epochs

    def counting(trainer, orders, lrs):
        calls.append(len(orders))
        return real(trainer, orders, lrs)

    monkeypatch.setattr(fused, "train_epochs", counting)
    trainer = Trainer(_spec(engine="fused", epochs=400))
    snaps = []
    state = trainer.run(TrainingControl(), snaps.append, snapshot_hz=30.0, grid_hz=4.0)
    assert state.value == "finished" and trainer.epoch == 400
    assert max(calls) > 1 and len(calls) < 200, calls  # blocks, not one call an epoch
    epochs = [r.epoch for s in snaps for r in s.history]
    assert epochs == list(range(1, 401))  # every epoch reaches the curves exactly once, in order
