"""A checkpoint saved on one engine resumes on the other: the optimizer state is torch.optim's own."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.files.checkpoint import load_checkpoint, restore_trainer, save_checkpoint
from core.spec import Experiment
from core.training.trainer import Trainer

pytest.importorskip("numba")

RTOL, ATOL = 1e-4, 1e-5
OPTIMIZERS = {
    "adam": {"name": "adam", "lr": 0.01},
    "adamw": {"name": "adamw", "lr": 0.01},
    "rmsprop momentum": {"name": "rmsprop", "lr": 0.003, "momentum": 0.5},
    "adagrad": {"name": "adagrad", "lr": 0.05},
    "sgd momentum": {"name": "sgd", "lr": 0.05, "momentum": 0.9},
}


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def _params(trainer: Trainer) -> list[np.ndarray]:
    return [p.detach().numpy().copy() for p in trainer.model.parameters()]


@pytest.mark.parametrize("first, then", [("fused", "torch"), ("torch", "fused")])
@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_a_checkpoint_continues_on_the_other_engine_like_on_its_own(tmp_path, optimizer, first, then):
    spec = Experiment(data={"source": "spiral", "samples": 100}, engine=first, optimizer=OPTIMIZERS[optimizer],
                      layers=[{"units": 6, "activation": "relu", "dropout": 0.2}, {"units": 4, "activation": "gelu"}])
    original = Trainer(spec)
    assert original.engine == first, original.engine_note
    for _ in range(4):
        original.train_epoch()
    path = save_checkpoint(original, tmp_path / "run.pt")
    saved = load_checkpoint(path)
    assert set(saved.optimizer_state["state"][0]) >= ({"momentum_buffer"} if "sgd" in optimizer else {"step"})
    ahead = [original.train_epoch() for _ in range(3)]

    data = dataclasses.replace(saved, spec=saved.spec.replace(engine=then))
    resumed = restore_trainer(data)
    assert resumed.engine == then, resumed.engine_note
    again = [resumed.train_epoch() for _ in range(3)]
    for a, b in zip(ahead, again):
        assert (b.epoch, b.step, b.learning_rate) == (a.epoch, a.step, a.learning_rate)
        assert b.train_loss == pytest.approx(a.train_loss, rel=RTOL, abs=ATOL)
    for k, (a, b) in enumerate(zip(_params(original), _params(resumed))):
        np.testing.assert_allclose(b, a, rtol=RTOL, atol=ATOL, err_msg=f"parameter {k}")
    state_a, state_b = original.optimizer.state_dict()["state"], resumed.optimizer.state_dict()["state"]
    assert state_a.keys() == state_b.keys()
    for k in state_a:
        assert state_a[k].keys() == state_b[k].keys()
        for name, value in state_a[k].items():
            np.testing.assert_allclose(state_b[k][name].numpy(), value.numpy(), rtol=RTOL, atol=ATOL,
                                       err_msg=f"optimizer state {k}.{name}")
