"""Issue 15 in the window: stop conditions (stopConditions, 'Stop at epochs', restore best, the best
epoch on the loss curve) and the learning-rate finder (lrFinderButton, its dialog, Apply)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from core.spec import parse_experiment
from core.training.trainer import Trainer
from window_checks import quick_spec


def child(window, name: str) -> QWidget:
    found = window.findChild(QWidget, name)
    assert found is not None, f"no widget named {name}"
    return found


def _overfitting(engine: str, stop: dict):
    """xor with heavy noise and a big net: the test loss bottoms out early, then rises."""
    return quick_spec(data={"source": "xor", "samples": 100, "noise": 0.5, "train_fraction": 0.5},
                      layers=[{"units": 8}, {"units": 8}], optimizer={"name": "adam", "lr": 0.03},
                      engine=engine, epochs=400, stop=stop)


def _weights(window) -> dict:
    future = window.controller.worker.call_between_epochs(
        lambda trainer: {k: v.detach().clone() for k, v in trainer.model.state_dict().items()})
    return future.result(timeout=30)


def _reference(spec, epochs: int) -> dict:
    trainer = Trainer(spec.replace(stop={}), dataset=None)
    for _ in range(epochs):
        trainer.train_epoch()
    return trainer.model.state_dict()


@pytest.mark.parametrize("engine", ["torch", "fused"])
def test_patience_stops_the_window_on_the_best_epochs_weights_and_the_curve_marks_it(qtbot, make_window, engine):
    if engine == "fused":
        pytest.importorskip("numba")
    spec = _overfitting(engine, {"patience": 20, "restore_best": True})
    window = make_window(spec)
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "restored the weights of epoch" in window.last_message, timeout=60_000)
    assert not window.controller.playing
    qtbot.waitUntil(lambda: window.loss_plot.best_epoch is not None and window.frames.latest.epoch
                    == window.loss_plot.series("epoch")[-1], timeout=10_000)
    epochs = window.loss_plot.series("epoch")
    test_loss = window.loss_plot.series("test_loss")
    best = int(epochs[np.argmin(test_loss)])
    assert window.controller.epoch == best + 20 < 400
    assert window.loss_plot.best_epoch == best
    x, y = window.loss_plot.best_marker.getData()
    assert list(x) == [best] and y[0] == pytest.approx(test_loss.min())
    reference = _reference(spec, best)
    for key, value in _weights(window).items():
        assert torch.equal(value, reference[key]), key


def test_stop_at_epochs_tick_and_conditions_apply_live_without_a_reset(qtbot, make_window):
    window = make_window(quick_spec(epochs=15))
    stop = child(window, "stopConditions")
    stop.at_epochs.setChecked(True)
    assert window.controller.spec.stop.at_epochs
    stop.epochs.setValue(25)
    assert window.controller.spec.epochs == 25
    stop.patience_on.setChecked(True)
    stop.patience.setValue(7)
    assert window.controller.spec.stop.patience == 7 and window.controller.undo_stack.count() == 0
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not window.controller.playing, timeout=30_000)
    assert window.controller.epoch <= 25
    stop.set_spec(window.controller.spec.replace(stop={}))
    assert stop.text() == "Stop: never" and not stop.at_epochs.isChecked()


def test_lr_finder_suggests_a_rate_applies_it_live_and_leaves_the_network_alone(qtbot, make_window):
    spec = quick_spec(data={"source": "circle", "samples": 500}, layers=[{"units": 8}, {"units": 8}],
                      optimizer={"name": "adam", "lr": 0.01})
    window = make_window(spec)
    before = _weights(window)
    button = child(window, "lrFinderButton")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = window.lr_finder_dialog
    qtbot.waitUntil(lambda: dialog.finding is not None, timeout=60_000)
    assert dialog.suggestion is not None and 1e-5 < dialog.suggestion < 10
    assert dialog.marker.isVisible()
    for key, value in _weights(window).items():
        assert torch.equal(value, before[key]), f"the finder changed {key}"
    qtbot.mouseClick(child(dialog, "applyLrButton"), Qt.MouseButton.LeftButton)
    applied = float(f"{dialog.suggestion:.2g}")
    assert window.controller.spec.optimizer.lr == pytest.approx(applied)
    assert window.findChild(QWidget, "learningRateCombo").currentData() == pytest.approx(applied)
    qtbot.waitUntil(lambda: _rate(window) == pytest.approx(applied), timeout=10_000)


def _rate(window) -> float:
    return window.controller.worker.call_between_epochs(lambda trainer: trainer.learning_rate).result(timeout=10)
