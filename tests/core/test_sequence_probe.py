"""The sequence probe: the focused sequence, hidden states that change with training, the free-running
continuation, prediction after every step, and gradient norms, without touching the optimizer's grads."""

import numpy as np
import torch

from core.spec import parse_experiment
from core.training import sequence_probe
from core.training.trainer import Trainer


def _trainer(source="sine", layers=None, **data):
    task = "regression" if source == "sine" else "classification"
    return Trainer(parse_experiment({
        "schema_version": 2, "seed": 0, "data": {"source": source, "samples": 200, "sequence_length": 12, **data},
        "task": task, "loss": "mse" if task == "regression" else "bce", "batch_size": 16,
        "layers": layers or [{"type": "gru", "units": 6, "return_sequences": True}, {"type": "lstm", "units": 5}],
        "optimizer": {"name": "adam", "lr": 0.02}}))


def test_sine_probe_shows_the_focused_window_its_states_and_a_continuation(monkeypatch):
    monkeypatch.setattr(sequence_probe, "BUDGET", 1e9)  # recompute the costly parts every time
    trainer = _trainer()
    view = trainer.snapshot().views["sequence"]
    np.testing.assert_array_equal(view["input"].ravel(), trainer.dataset.raw_test[0])
    assert view["hidden"]["gru1"].shape == (6, 12) and view["hidden"]["lstm2"].shape == (5, 12)
    assert view["prediction_over_time"].shape == (12,)
    assert np.isclose(view["prediction_over_time"][-1], view["prediction"], atol=1e-5)
    assert np.isclose(view["prediction"], trainer.predict(trainer.dataset.raw_test[:1].reshape(1, 12, 1))[0],
                      atol=1e-5)
    assert np.isclose(view["continuation"][0], view["prediction"], atol=1e-5)
    assert view["continuation"].shape == (sequence_probe.CONTINUATION_STEPS,)
    assert view["grad_layers"] == ("gru1", "lstm2", "output") and view["grad_norms"].shape == (1, 3)
    assert view["grad_per_step"].shape == (12,) and (view["grad_norms"] > 0).all()
    before = view["hidden"]["lstm2"]
    trainer.train_epochs(3)
    after = trainer.snapshot().views["sequence"]
    assert not np.allclose(before, after["hidden"]["lstm2"], atol=1e-3)  # the heatmap moves with training
    assert after["grad_epochs"].tolist() == [0, 3]
    trainer.apply_pending({"focus": 4}, [])
    np.testing.assert_array_equal(trainer.snapshot().views["sequence"]["input"].ravel(), trainer.dataset.raw_test[4])


def test_probe_leaves_the_optimizer_grads_and_training_mode_alone(monkeypatch):
    monkeypatch.setattr(sequence_probe, "BUDGET", 1e9)
    trainer = _trainer()
    trainer.train_epoch()
    grads = [None if p.grad is None else p.grad.clone() for p in trainer.model.parameters()]
    trainer.model.train()
    trainer.snapshot()
    assert trainer.model.training
    for before, p in zip(grads, trainer.model.parameters()):
        assert (before is None and p.grad is None) or torch.equal(before, p.grad)


def test_classification_probe_gives_probabilities_after_each_step_or_none_when_time_is_flattened():
    trainer = _trainer("memory", [{"type": "rnn", "units": 4}, {"type": "dense", "units": 3}])
    view = trainer.snapshot().views["sequence"]
    assert view["prediction_over_time"].shape == (12,) and view["continuation"] is None
    assert ((0 <= view["prediction_over_time"]) & (view["prediction_over_time"] <= 1)).all()
    assert view["target"] in (0.0, 1.0) and view["class_names"] == ("negative", "positive")
    flat = _trainer("memory", [{"type": "conv1d", "filters": 3}, {"type": "dense", "units": 3}])
    view = flat.snapshot().views["sequence"]
    assert view["prediction_over_time"] is None and view["hidden"] == {}


def test_costly_parts_keep_within_their_budget(monkeypatch):
    trainer = _trainer()
    calls = []
    real = sequence_probe._record_gradients
    monkeypatch.setattr(sequence_probe, "_record_gradients", lambda t, c: (calls.append(1), real(t, c)))
    monkeypatch.setattr(sequence_probe, "BUDGET", 1e-9)  # a tiny budget: once, then the cached result
    trainer.snapshot()
    trainer.train_epoch()
    view = trainer.snapshot().views["sequence"]
    assert len(calls) == 1 and view["grad_norms"].shape[0] == 1
