"""The window's round trips on both engines, trained with Play (blocks of epochs on the fused engine,
which once wrote numpy numbers into the history and so made every checkpoint unreadable):
File ▸ Save Checkpoint → File ▸ Open, and autosave → kill → restore, each back at the same epoch
with the same weights and loss curve."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from core.files.autosave import MANIFEST, AutosaveStore
from core.files.checkpoint import load_checkpoint
from core.spec import Experiment
from window_checks import as_if_killed, recovering_window

THREAD_STOP_MS = 30_000
CURVE = ("epoch", "train_loss", "test_loss")


def _spec(engine: str, seed: int = 0) -> Experiment:
    return Experiment(data={"source": "spiral", "samples": 600, "noise": 0.0, "train_fraction": 0.5},
                      layers=[{"units": 6}, {"units": 4}], optimizer={"name": "sgd", "lr": 0.03},
                      batch_size=10, engine=engine, seed=seed)


def _play_then_pause(qtbot, window, engine: str, at_least: int = 20) -> None:
    """Play until `at_least` epochs are shown, pause, and wait until the last snapshot has arrived."""
    window.controller.play()
    qtbot.waitUntil(lambda: window.frames.latest is not None and window.frames.latest.epoch >= at_least, timeout=90_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.frames.latest.state.value == "paused", timeout=THREAD_STOP_MS)
    assert window.frames.latest.engine == engine  # the engine under test really trained


def _curve(window) -> dict[str, np.ndarray]:
    return {name: np.asarray(window.loss_plot.series(name)) for name in CURVE}


def _same_curve(a: dict, b: dict) -> None:
    for name in CURVE:
        np.testing.assert_allclose(b[name], a[name], rtol=1e-12, err_msg=name)



@pytest.mark.parametrize("engine", ["fused", "torch"])
class TestWindowRoundTrip:
    def test_save_checkpoint_then_open_restores_epoch_weights_and_curve(self, qtbot, make_window, tmp_path, engine):
        first = make_window(_spec(engine))
        _play_then_pause(qtbot, first, engine)
        path = tmp_path / "run.ckpt"
        assert first.files.save_checkpoint(str(path)), first.last_message
        saved = first.frames.latest
        curve = _curve(first)
        assert curve["epoch"][-1] == saved.epoch

        second = make_window(_spec(engine, seed=7))
        assert second.files.open_experiment(str(path)), second.last_message
        assert second.controller.spec == first.controller.spec and second.message_bar.level != "error"
        qtbot.waitUntil(lambda: second.frames.latest is not None and second.frames.latest.epoch == saved.epoch,
                        timeout=THREAD_STOP_MS)
        for a, b in zip(saved.weights, second.frames.latest.weights):
            np.testing.assert_array_equal(a, b)
        _same_curve(curve, _curve(second))
        assert load_checkpoint(path).epoch == saved.epoch

    def test_autosave_after_a_kill_restores_the_trained_weights(self, qtbot, tmp_path, monkeypatch, engine):
        from app.window import MainWindow
        from app.worker import live_threads

        monkeypatch.setenv("LAYERLAB_AUTOSAVE_SECONDS", "0.2")
        crashed = MainWindow(settings=None, restore=False, spec=_spec(engine),
                             autosave=AutosaveStore(tmp_path / "autosave"))
        crashed.files.ask_unsaved = lambda parent, name: "discard"
        qtbot.addWidget(crashed)
        window = None
        try:
            crashed.show()
            crashed.controller.ensure_started()
            qtbot.waitUntil(lambda: crashed.controller.dataset is not None and crashed.frames.redraw_count > 0, timeout=60_000)
            _play_then_pause(qtbot, crashed, engine)
            assert crashed.files.autosave.save_now(wait=True)
            session = Path(crashed.files.autosave.session_dir)
            assert json.loads((session / MANIFEST).read_text())["checkpoint"]
            saved, spec, curve = crashed.frames.latest, crashed.controller.spec, _curve(crashed)
            as_if_killed(crashed)  # no clean exit, the files stay, the lock names a process that is gone
            window = recovering_window(qtbot, session, _spec(engine, seed=3))
            assert window.files.offer_recovery(ask=lambda parent, recovery: recovery.checkpoint_path is not None)
            assert "could not be restored" not in window.last_message
            assert window.controller.spec == spec and window.isWindowModified()
            qtbot.waitUntil(lambda: window.frames.latest is not None and window.frames.latest.epoch == saved.epoch,
                            timeout=THREAD_STOP_MS)
            for a, b in zip(saved.weights, window.frames.latest.weights):
                np.testing.assert_array_equal(a, b)
            _same_curve(curve, _curve(window))
        finally:
            crashed.close()
            if window is not None:
                window.close()
            qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)
