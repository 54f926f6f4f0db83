"""On a machine's first run the fused kernels compile for about a minute: the run trains on torch
meanwhile (Trainer.hold_fused) and moves to the fast engine once they are in, as the same run."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from core.spec import Experiment
from core.training.trainer import Trainer

pytest.importorskip("numba")

SPEC = Experiment(data={"source": "spiral", "samples": 200}, optimizer={"name": "adam", "lr": 0.01},
                  layers=[{"units": 8}, {"units": 4}], batch_size=10, seed=3)


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def test_torch_trains_while_the_kernels_compile_then_the_fast_engine_goes_on_with_the_same_run():
    compiled = False
    held = Trainer(SPEC)
    assert held.engine == "fused"
    held.hold_fused(lambda: compiled)
    assert held.engine == "torch"
    assert held.engine_notice.startswith("Torch engine: the fast engine is compiling for its first run")
    held.train_epochs(5)
    held.set_batch_size(10)  # a live change re-chooses the engine: still not the compiling one
    held.train_epoch()
    assert held.engine == "torch"

    compiled = True
    held.train_epochs(14)
    assert held.engine == "fused" and held.engine_notice == ""
    records = list(held.history)
    assert [r.epoch for r in records] == list(range(1, 21))
    assert records[-1].train_loss < 0.9 * records[0].train_loss  # it learned on both engines

    alone = Trainer(SPEC)  # the fast engine all along: the same run up to float rounding
    alone.train_epochs(20)
    np.testing.assert_allclose([r.train_loss for r in held.history], [r.train_loss for r in alone.history],
                               rtol=1e-3)
    for a, b in zip(held.model.parameters(), alone.model.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-3, atol=1e-4)


def test_a_net_the_fast_engine_cannot_train_stays_on_torch_with_its_own_reason():
    batch_norm = Trainer(SPEC.replace(layers=[{"units": 8, "norm": "batch"}]))
    batch_norm.hold_fused(lambda: True)
    assert batch_norm.engine == "torch" and "batch norm" in batch_norm.engine_notice
