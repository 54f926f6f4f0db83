"""A run that begins before torch has loaded (core/training/prelude.py through app/worker.py): epochs show
at once, torch loads beside them, and the Trainer carries on with the very run it would have trained."""

from __future__ import annotations

import numpy as np
import pytest
from window_checks import as_if_torch_not_loaded

from app.worker import TrainingWorker
from core.spec import Experiment
from core.training.trainer import Trainer


@pytest.fixture
def before_torch(monkeypatch):
    as_if_torch_not_loaded(monkeypatch)


def _spec() -> Experiment:
    return Experiment().replace(data={"source": "circle", "samples": 200, "noise": 0.1})


def _state(trainer):
    return ([p.detach().clone().numpy() for p in trainer.model.parameters()], trainer.epoch,
            trainer.history.to_records())


def test_a_run_begun_before_torch_is_handed_over_and_is_the_trainers_run(qtbot, before_torch):
    worker = TrainingWorker(snapshot_hz=60.0, grid_hz=20.0)
    infos, snaps, before_hand_over = [], [], []
    worker.runStarted.connect(lambda info: (infos.append(info), before_hand_over.append(len(snaps))))
    worker.snapshotReady.connect(snaps.append)
    try:
        worker.start(_spec(), playing=True)
        qtbot.waitUntil(lambda: len(infos) == 2 and snaps[-1].epoch > snaps[before_hand_over[1] - 1].epoch + 50,
                        timeout=60_000)
        worker.pause()
        weights, epoch, history = worker.call_between_epochs(_state).result(timeout=60)
    finally:
        worker.stop(10_000)
    assert infos[0]["torch"] is False and infos[0]["engine"] == "fused"  # the prelude's start
    assert infos[1]["torch"] is True and infos[1]["engine"] == "fused"   # the Trainer's, after the hand-over
    early = snaps[:before_hand_over[1]]
    assert early[-1].epoch > 0 and all(s.engine == "fused" for s in early)  # epochs before torch was in
    shown = [r.epoch for s in snaps for r in s.history]
    assert shown == list(range(1, len(shown) + 1))  # every epoch reached the window once, in order
    alone = Trainer(_spec())
    alone.train_epochs(epoch)
    assert history == alone.history.to_records()
    for mine, theirs in zip(weights, alone.model.parameters()):
        np.testing.assert_array_equal(mine, theirs.detach().numpy())


def test_the_window_trains_before_torch_and_lists_devices_once_it_has_loaded(qtbot, before_torch):
    from app.window import MainWindow

    window = MainWindow(spec=_spec())
    window.files.ask_unsaved = lambda parent, name: "discard"
    qtbot.addWidget(window)
    listed = []  # (the device combo's entries, the latest epoch arrived) at each run start
    arrived = [0]
    window.controller.snapshotArrived.connect(lambda snap: arrived.append(snap.epoch))
    window.controller.runStarted.connect(lambda info: listed.append((window.controls.device_combo.count(), arrived[-1])))
    window.show()
    window.controller.play()
    qtbot.waitUntil(lambda: len(listed) == 2, timeout=60_000)
    assert listed[0][0] <= 1 < listed[1][0]  # listing the devices waited for torch
    assert listed[1][1] > 0  # epochs had arrived before torch was in
    assert "fused" in window.device_status.text()
    epoch = window.controller.epoch
    qtbot.waitUntil(lambda: window.controller.epoch > epoch + 100, timeout=60_000)  # the Trainer goes on
