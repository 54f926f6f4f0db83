"""The window under rapid, random use while it trains: 50 seeded sequences of Play / Pause / Step /
Reset / add and remove a layer / learning-rate changes, then a check that what the window shows is
what the trainer has; 20 windows closed mid-training; and a short run on the fused engine.

Every test here also fails (see conftest.py) if a training thread or a timer outlives it.
"""

from __future__ import annotations

import random

import numpy as np
import pytest
from window_checks import leftovers, open_window, quick_spec
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QComboBox, QLabel, QStatusBar, QWidget

from app.network.canvas import MAX_DRAWN
from app.worker import live_threads
from core.training.snapshot import RunState

pytestmark = pytest.mark.usefixtures("isolated_user_files")

SEED = 20240607
SEQUENCES = 50
LEARNING_RATES = (0.003, 0.01, 0.03, 0.1, 0.3)
MAX_LAYERS = 6
ACTIONS = ("play", "pause", "toggle", "step", "reset", "add_layer", "remove_layer", "learning_rate", "idle")


def child(window, cls, name: str):
    found = window.findChild(cls, name)
    assert found is not None, f"no widget named {name}"
    return found


def ticking_timers(window) -> list[str]:
    """Repeating timers still active in a closed window (they would tick forever), and its frame
    timer; a pending single-shot (a throttled repaint, the status bar clearing a message) ends by itself."""
    return [f"{t.objectName() or 'QTimer'} ({t.interval()} ms) in {type(t.parent()).__name__}"
            for t in window.findChildren(QTimer)
            if t.isActive() and not isinstance(t.parent(), QStatusBar)
            and (not t.isSingleShot() or t is window.frames.timer)]


def settled_snapshot(qtbot, window, why: str):
    """Pause, then probe the trainer until two paused snapshots in a row show the same epoch (so
    queued steps and snapshots have all arrived); returns the last one, as drawn."""
    window.controller.pause()
    last_epoch = None
    for _ in range(50):
        with qtbot.waitSignal(window.snapshotShown, timeout=10_000,
                              check_params_cb=lambda snap: snap.state == RunState.paused) as blocker:
            window.controller.worker.request_grid()
        snap = blocker.args[0]
        if snap.epoch == last_epoch:
            return snap
        last_epoch = snap.epoch
    raise AssertionError(f"the epoch never settled after pausing ({why})")


def check_consistent(window, snap, expected_units: list[int], why: str) -> None:
    """What the window shows matches the spec, and the spec matches the model being trained."""
    units = [layer.units for layer in window.controller.spec.layers]
    assert units == expected_units, why
    # the trained model has the spec's structure
    assert len(snap.weights) == len(units) + 1, why
    assert [w.shape[0] for w in snap.weights[:-1]] == units, why
    assert all(np.isfinite(w).all() for w in snap.weights), why
    # the network view draws the spec's structure
    view = window.network_view
    assert view.hidden_layer_count == len(units), why
    assert [view.drawn_units("hidden", k) for k in range(len(units))] == [min(u, MAX_DRAWN) for u in units], why
    # the epoch counter is the trainer's, and every epoch since the last reset is on the curve once
    assert window.controller.epoch == snap.epoch, why
    assert int(child(window, QLabel, "epochLabel").text().replace(",", "")) == snap.epoch, why
    assert np.array_equal(window.loss_plot.series("epoch"), np.arange(1, snap.epoch + 1)), why
    # the learning rate the trainer uses is the one the window shows
    assert snap.learning_rate == window.controller.spec.optimizer.lr, why
    assert child(window, QComboBox, "learningRateCombo").currentData() == window.controller.spec.optimizer.lr, why
    # paused, and exactly one run alive
    assert not window.controller.playing and not window.controls.playing and window.controller.run_state == RunState.paused, why
    assert len(live_threads()) == 1, why


def test_fifty_random_sequences_while_training_leave_a_consistent_window(qtbot, window):
    rng = random.Random(SEED)
    units = [layer.units for layer in window.controller.spec.layers]
    undo_steps = 0
    for sequence in range(SEQUENCES):
        window.controller.play()
        log = []
        for _ in range(rng.randint(3, 8)):
            action = rng.choice(ACTIONS)
            if action == "add_layer" and len(units) >= MAX_LAYERS:
                action = "remove_layer"
            log.append(action)
            if action == "play":
                window.controller.play()
            elif action == "pause":
                window.controller.pause()
            elif action == "toggle":
                window.controller.toggle_play()
            elif action == "step":
                window.controller.step()
            elif action == "reset":
                window.controller.reset()
                assert window.controller.epoch == 0 and window.loss_plot.n_points == 0
            elif action == "add_layer":
                assert window.controller.add_layer()
                units.append(units[-1] if units else 4)
                undo_steps += 1
            elif action == "remove_layer":
                assert window.controller.remove_layer() == bool(units)
                if units:
                    units.pop()
                    undo_steps += 1
            elif action == "learning_rate":
                combo = child(window, QComboBox, "learningRateCombo")
                lr = rng.choice(LEARNING_RATES)
                log[-1] = f"learning_rate={lr}"
                combo.setCurrentIndex(combo.findData(lr))
            qtbot.wait(rng.choice((0, 0, 1, 5, 20)))  # let snapshots, epochs and restarts interleave
        why = f"sequence {sequence} (seed {SEED}): {', '.join(log)}"
        snap = settled_snapshot(qtbot, window, why)
        check_consistent(window, snap, units, why)
        assert window.controller.undo_stack.count() == undo_steps, why


def test_closing_while_training_twenty_times_leaves_nothing_running(qtbot):
    rng = random.Random(SEED + 1)
    for attempt in range(20):
        spec = quick_spec(layers=[{"units": rng.choice((2, 4, 8))}] * rng.randint(0, 3))
        window = open_window(qtbot, spec)
        window.controller.play()
        qtbot.waitUntil(lambda: window.controller.epoch > 0, timeout=10_000)  # it is really training
        last = rng.choice(("nothing", "add_layer", "reset", "step", "learning_rate"))
        if last == "add_layer":
            window.controller.add_layer()  # close right while the run restarts
        elif last == "reset":
            window.controller.reset()
        elif last == "step":
            window.controller.step()
        elif last == "learning_rate":
            window.controller.set_learning_rate(0.3)
        window.close()
        why = f"attempt {attempt}, closed after {last}"
        assert not live_threads(), why  # close() stopped the run and waited for it
        assert not window.isVisible(), why
        assert not ticking_timers(window), why  # nothing left to fire into a closed window
        window.deleteLater()
        threads, timers = leftovers()
        assert not threads and not timers, f"{why}: {threads} {timers}"


def test_closing_before_the_trainer_is_ready_leaves_nothing_running(qtbot):
    from app.window import MainWindow

    for attempt in range(5):
        window = MainWindow(settings=None, restore=False, spec=quick_spec())
        window.files.ask_unsaved = lambda parent, name: "discard"  # as open_window does: no modal question
        qtbot.addWidget(window)
        window.show()
        window.controller.ensure_started()  # the run thread is now loading the data and building the trainer
        if attempt % 2:
            window.controller.play()
        window.close()
        assert not live_threads(), f"attempt {attempt}"
        assert not ticking_timers(window), f"attempt {attempt}"
        window.deleteLater()


def test_the_leftover_check_sees_a_running_training_thread(qtbot):
    window = open_window(qtbot)
    window.controller.play()
    qtbot.waitUntil(lambda: window.controller.epoch > 0, timeout=10_000)
    threads, _timers = leftovers()
    assert len(threads) == 1  # so the teardown check would fail a test that left it running
    window.close()
    window.deleteLater()
    assert leftovers() == ([], [])


def test_the_fused_engine_trains_in_the_window(qtbot, make_window):
    window = make_window(quick_spec(engine="fused"))
    engine_shown = child(window, QWidget, "deviceStatus").text()
    assert engine_shown.endswith("fused"), engine_shown
    window.controller.play()
    qtbot.waitUntil(lambda: window.controller.epoch >= 30, timeout=30_000)
    snap = settled_snapshot(qtbot, window, "fused run")
    assert snap.engine == "fused"
    check_consistent(window, snap, [layer.units for layer in window.controller.spec.layers], "fused run")
    loss = window.loss_plot.series("train_loss")
    assert np.isfinite(loss).all() and loss[-5:].mean() < loss[:3].mean()  # gauss: it learns
    assert snap.boundary is not None and np.isfinite(snap.boundary).all()
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.epoch == snap.epoch + 1, timeout=10_000)
