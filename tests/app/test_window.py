"""The playground window driven like a user drives it: buttons, keys, combos; checked on what the
window shows (epoch counter, loss curve, boundary picture, network, messages)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QWidget
from window_checks import as_if_torch_not_loaded

from app.worker import live_threads
from core.training.snapshot import RunState

REQUIRED_NAMES = ("playButton", "stepButton", "resetButton", "datasetCombo", "noiseSlider", "trainRatioSlider",
                  "batchSizeSpin", "addLayerButton", "removeLayerButton", "learningRateCombo",
                  "activationCombo", "lossCombo", "optimizerCombo", "regularizationCombo", "deviceCombo",
                  "epochLabel", "boundaryView", "lossPlot", "networkView")


def child(window, name: str) -> QWidget:
    found = window.findChild(QWidget, name)
    assert found is not None, f"no widget named {name}"
    return found


def wait_epoch_above(qtbot, window, n: int) -> None:
    qtbot.waitUntil(lambda: window.controller.epoch > n, timeout=30_000)


def next_snapshot(qtbot, window):
    """Ask the (paused) trainer for a fresh snapshot and return it once drawn."""
    with qtbot.waitSignal(window.snapshotShown, timeout=10_000) as blocker:
        window.controller.worker.request_grid()
    return blocker.args[0]


def pause_and_settle(qtbot, window) -> int:
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    assert not window.controller.playing
    qtbot.waitUntil(lambda: window.controller.run_state == RunState.paused, timeout=10_000)
    return window.controller.epoch


def test_every_required_control_is_named_and_explained(window):
    for name in REQUIRED_NAMES:
        widget = child(window, name)
        assert widget.accessibleName(), f"{name} has no accessible name"
        if name not in ("epochLabel", "networkView"):
            assert widget.toolTip().strip().endswith("."), f"{name} has no one-sentence tooltip"


def test_play_trains_loss_falls_and_boundary_changes(qtbot, window):
    pictures = []

    def keep_picture(_snap):
        if window.boundary_view.pixels is not None and (not pictures or window.controller.epoch > pictures[-1][0]):
            pictures.append((window.controller.epoch, window.boundary_view.pixels.copy()))

    window.snapshotShown.connect(keep_picture)
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    assert window.controller.playing
    wait_epoch_above(qtbot, window, 20)
    qtbot.waitUntil(lambda: len(pictures) >= 2, timeout=10_000)
    pause_and_settle(qtbot, window)

    assert str(window.controller.epoch)[-1] in child(window, "epochLabel").text()
    assert int(child(window, "epochLabel").text().replace(",", "")) == window.controller.epoch
    train_loss = window.loss_plot.series("train_loss")
    assert window.loss_plot.n_points >= 20
    assert np.all(np.isfinite(train_loss))
    assert train_loss[-5:].mean() < train_loss[:3].mean()  # gauss is easy: the loss must fall
    assert not np.array_equal(pictures[0][1], pictures[-1][1])  # the boundary moved as it learned


def test_pause_stops_the_counter_and_step_advances_exactly_one_epoch(qtbot, window):
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    wait_epoch_above(qtbot, window, 3)
    paused_at = pause_and_settle(qtbot, window)
    assert next_snapshot(qtbot, window).epoch == paused_at  # nothing trains while paused

    qtbot.mouseClick(child(window, "stepButton"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.epoch == paused_at + 1, timeout=10_000)
    assert next_snapshot(qtbot, window).epoch == paused_at + 1
    assert not window.controller.playing


def test_keyboard_space_step_and_reset(qtbot, window):
    window.activateWindow()
    window.play_action.trigger()  # Space
    assert window.controller.playing
    wait_epoch_above(qtbot, window, 2)
    window.play_action.trigger()
    assert not window.controller.playing
    qtbot.waitUntil(lambda: window.controller.run_state == RunState.paused, timeout=10_000)
    before = window.controller.epoch
    qtbot.keyClick(window, Qt.Key.Key_S)
    qtbot.waitUntil(lambda: window.controller.epoch == before + 1, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.controller.epoch == before + 2, timeout=10_000)
    qtbot.keyClick(window, Qt.Key.Key_R)
    assert window.controller.epoch == 0
    assert [s.toString() for s in window.play_action.shortcuts()] == ["Space"]


def test_adding_a_layer_changes_the_network_resets_and_undo_restores(qtbot, window):
    layers_before = [layer.units for layer in window.controller.spec.layers]
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    wait_epoch_above(qtbot, window, 5)

    qtbot.mouseClick(child(window, "addLayerButton"), Qt.MouseButton.LeftButton)
    assert len(window.controller.spec.layers) == len(layers_before) + 1
    assert window.network_view.hidden_layer_count == len(layers_before) + 1
    assert window.controller.epoch == 0 and window.loss_plot.n_points == 0  # fresh weights, fresh curves
    first_after = next_snapshot(qtbot, window)
    assert len(first_after.weights) == len(layers_before) + 2  # one more Linear in the trained model

    window.undo_action.trigger()
    assert [layer.units for layer in window.controller.spec.layers] == layers_before
    assert window.network_view.hidden_layer_count == len(layers_before)
    qtbot.waitUntil(lambda: window.frames.latest is not None and len(window.frames.latest.weights) == len(layers_before) + 1,
                    timeout=10_000)
    window.redo_action.trigger()
    assert len(window.controller.spec.layers) == len(layers_before) + 1
    qtbot.mouseClick(child(window, "removeLayerButton"), Qt.MouseButton.LeftButton)
    assert [layer.units for layer in window.controller.spec.layers] == layers_before


def test_learning_rate_change_mid_run_applies_live_without_reset(qtbot, window):
    combo: QComboBox = child(window, "learningRateCombo")
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    wait_epoch_above(qtbot, window, 10)
    undo_steps = window.controller.undo_stack.count()
    epoch_at_change = window.controller.epoch
    combo.setCurrentIndex(combo.findData(0.1))
    assert window.controller.spec.optimizer.lr == 0.1
    qtbot.waitUntil(lambda: window.frames.latest.learning_rate == 0.1, timeout=10_000)
    assert window.controller.epoch >= epoch_at_change  # kept counting: no reset
    assert window.loss_plot.n_points >= epoch_at_change
    assert window.controller.undo_stack.count() == undo_steps  # live settings are not undo steps

    window.data_panel.batch_size_spin.setValue(25)
    qtbot.waitUntil(lambda: window.frames.latest.batch_size == 25, timeout=10_000)
    assert window.controller.epoch >= epoch_at_change


def test_closing_mid_run_stops_the_worker(qtbot, window):
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    wait_epoch_above(qtbot, window, 5)
    assert live_threads()
    window.close()
    assert not live_threads()  # close() waited for the training thread


def test_reset_mid_run_starts_again_paused_at_epoch_zero(qtbot, window):
    qtbot.mouseClick(child(window, "playButton"), Qt.MouseButton.LeftButton)
    wait_epoch_above(qtbot, window, 5)
    qtbot.mouseClick(child(window, "resetButton"), Qt.MouseButton.LeftButton)
    assert window.controller.epoch == 0 and not window.controller.playing
    assert len(live_threads()) == 1  # the old run is gone, one fresh paused run
    assert next_snapshot(qtbot, window).epoch == 0


def test_bad_csv_column_gives_a_message_and_keeps_the_previous_data(qtbot, window, tmp_path):
    path = tmp_path / "people.csv"
    path.write_text("age,height,label\n31,1.7,yes\n40,tall,no\n22,1.6,yes\n50,1.8,no\n")
    dataset_before, spec_before = window.controller.dataset, window.controller.spec

    assert not window.controller.load_csv(str(path), "label", ["age", "height"])

    assert window.controller.dataset is dataset_before and window.controller.spec == spec_before
    assert "height" in window.last_message  # names the bad column
    assert window.message_bar.text == window.last_message and window.message_bar.level == "error"
    assert window.controller.undo_stack.count() == 0


def test_good_csv_becomes_the_data(qtbot, window, tmp_path):
    rows = ["a,b,c,label"] + [f"{i % 7},{(i * 3) % 5},{i % 2},{'yes' if i % 7 > 3 else 'no'}" for i in range(60)]
    path = tmp_path / "ok.csv"
    path.write_text("\n".join(rows) + "\n")
    assert window.controller.load_csv(str(path), "label", ["a", "b", "c"])
    assert window.controller.spec.data.source.value == "csv"
    assert window.controller.dataset.n_inputs == 3
    assert window.network_view.drawn_units("input", 0) == 3
    window.undo_action.trigger()
    assert window.controller.spec.data.source.value == "gauss"


def test_choosing_a_data_set_resets_and_is_undoable(qtbot, window):
    qtbot.mouseClick(child(window, "dataset_xor"), Qt.MouseButton.LeftButton)
    assert window.controller.spec.data.source.value == "xor"
    assert child(window, "datasetCombo").currentData() == "xor"
    assert window.controller.epoch == 0
    window.undo_action.trigger()
    assert window.controller.spec.data.source.value == "gauss"
    assert child(window, "datasetCombo").currentData() == "gauss"


def test_switching_to_regression_picks_a_fitting_data_set_and_loss(qtbot, window):
    combo: QComboBox = child(window, "problemTypeCombo")
    combo.activated.emit(combo.findText("Regression"))
    assert window.controller.spec.task.value == "regression"
    assert window.controller.spec.data.source.value == "plane"
    assert window.controller.spec.loss.value == "mse"
    assert not window.output_panel.loss_plot.show_accuracy
    window.undo_action.trigger()
    assert window.controller.spec.task.value == "classification" and window.controller.spec.loss.value == "bce"


def test_noise_slider_settles_into_one_undoable_change(qtbot, window):
    slider = child(window, "noiseSlider")
    for value in (5, 10, 20):
        slider.setValue(value)
    qtbot.waitUntil(lambda: window.controller.spec.data.noise == 0.2, timeout=5_000)
    assert window.controller.undo_stack.count() == 1
    window.undo_action.trigger()
    assert window.controller.spec.data.noise == 0.0 and slider.value() == 0


def test_unavailable_devices_are_listed_disabled_with_the_reason(qtbot, window):
    combo: QComboBox = child(window, "deviceCombo")
    qtbot.waitUntil(lambda: combo.count() >= 2, timeout=10_000)
    from core.engines.device import available_devices

    for name, available, reason in available_devices():
        index = combo.findData(name)
        assert index >= 0, f"{name} missing from the device combo"
        item = combo.model().item(index)
        assert item.isEnabled() == available
        if not available:
            assert item.toolTip() == reason


def test_diverging_run_pauses_and_says_what_to_try(qtbot, make_window, spec_factory):
    spec = spec_factory(data={"source": "plane", "samples": 200, "noise": 0.0, "train_fraction": 0.5},
                        task="regression", loss="mse", layers=[{"units": 8, "activation": "linear"}] * 3,
                        optimizer={"name": "sgd", "lr": 10.0})
    window = make_window(spec)
    window.controller.play()
    qtbot.waitUntil(lambda: "diverged" in window.last_message, timeout=30_000)
    assert not window.controller.playing and not window.controls.playing
    assert "learning rate" in window.last_message.lower()
    assert window.message_bar.level == "error"


def test_hovering_a_neuron_shows_its_output_in_the_boundary_view(qtbot, window):
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.epoch == 1 and window.boundary_view.pixels is not None, timeout=10_000)
    output = window.boundary_view.pixels.copy()
    window.network_view.neuronHovered.emit("input", 0, 0)  # x1: a left-to-right ramp
    neuron = window.boundary_view.pixels.copy()
    assert not np.array_equal(output, neuron)
    assert not np.array_equal(neuron[:, 0], neuron[:, -1]) and np.array_equal(neuron[0], neuron[-1])
    window.network_view.neuronUnhovered.emit()
    assert np.array_equal(window.boundary_view.pixels, output)


def test_save_and_open_round_trip(qtbot, window, tmp_path):
    path = tmp_path / "exp.json"
    window.controller.add_layer()
    assert window.files.save_experiment_as(str(path))
    assert window.windowTitle().startswith("exp.json")
    saved = window.controller.spec
    window.controller.remove_layer()
    assert window.isWindowModified()
    assert window.files.open_experiment(str(path))
    assert window.controller.spec == saved and not window.isWindowModified()

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert not window.files.open_experiment(str(broken))
    assert window.controller.spec == saved and "broken.json" in window.last_message


def test_typing_a_weight_reaches_the_trainer_without_reset(qtbot, window):
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.epoch == 1, timeout=10_000)
    window.network_view.edit_link(0, 0, 0, 2.5)
    qtbot.waitUntil(lambda: window.frames.latest is not None and window.frames.latest.weights[0][0, 0] == 2.5, timeout=10_000)
    assert window.controller.epoch == 1 and window.controller.undo_stack.count() == 0


@pytest.mark.parametrize("torch_in", [True, False], ids=["torch loaded", "before torch"])
def test_a_first_compile_shows_the_data_at_once_trains_on_torch_meanwhile_then_moves_to_fused(
        qtbot, monkeypatch, spec_factory, torch_in):
    """On a new machine the fused engine compiles for about a minute: the data is drawn at once, the status
    bar says why, the run trains on torch meanwhile (the status bar and the banner say so) and moves to the
    fast engine when it is ready (also when the run begins before torch)."""
    import threading

    from app import worker as worker_module
    from app.window import MainWindow
    from core.engines import fused_warmup

    if not torch_in:
        as_if_torch_not_loaded(monkeypatch)
    release, real_warm_up = threading.Event(), fused_warmup.warm_up
    monkeypatch.setattr(fused_warmup, "warm_up", lambda: release.wait(30) and real_warm_up())
    monkeypatch.setattr(worker_module, "WARM_UP_NOTICE_S", 0.05)
    monkeypatch.setattr(worker_module, "KERNEL_WAIT_S", 1.0)
    window = MainWindow(settings=None, restore=False, spec=spec_factory(engine="fused"))
    window.files.ask_unsaved = lambda parent, name: "discard"
    qtbot.addWidget(window)
    window.show()
    window.controller.ensure_started()
    device = window.run_status.device_status
    try:
        qtbot.waitUntil(lambda: window.controller.dataset is not None, timeout=20_000)  # drawn while compiling
        qtbot.waitUntil(lambda: worker_module.WARM_UP_NOTICE in window.statusBar().currentMessage(),
                        timeout=5_000)
        assert window.controller.epoch == 0
        window.controller.play()
        qtbot.waitUntil(lambda: window.controller.epoch > 3, timeout=60_000)  # trains while it compiles
        assert window.frames.latest.engine == "torch" and device.text().endswith("· torch")
        assert "fast engine is compiling" in window.engine_notice
        assert "fast engine is compiling" in window.message_bar.text
        assert worker_module.WARM_UP_NOTICE not in window.statusBar().currentMessage()  # it moves now

        monkeypatch.setattr(worker_module, "KERNEL_WAIT_S", 120.0)  # a new run mid-compile does not wait again
        window.controller.reset()
        window.controller.play()
        qtbot.waitUntil(lambda: window.controller.epoch > 3 and window.frames.latest.engine == "torch",
                        timeout=30_000)
    finally:
        release.set()
    moved_at = window.controller.epoch
    qtbot.waitUntil(lambda: window.frames.latest.engine == "fused", timeout=60_000)
    qtbot.waitUntil(lambda: device.text().endswith("· fused") and window.engine_notice == "", timeout=10_000)
    assert "fast engine is compiling" not in window.message_bar.text
    qtbot.waitUntil(lambda: window.controller.epoch > moved_at, timeout=10_000)  # the same run went on
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=30_000)


def test_a_device_note_is_said_once_though_the_engine_changes_mid_run(qtbot, monkeypatch, spec_factory):
    """The window hears of the run's engine again when it moves to the fast one; the device warning
    (CUDA asked for, none here) comes once."""
    import threading

    from app import worker as worker_module
    from app.window import MainWindow
    from core.engines import fused_warmup

    release, real_warm_up = threading.Event(), fused_warmup.warm_up
    monkeypatch.setattr(fused_warmup, "warm_up", lambda: release.wait(30) and real_warm_up())
    monkeypatch.setattr(worker_module, "KERNEL_WAIT_S", 0.2)
    window = MainWindow(settings=None, restore=False, spec=spec_factory(engine="fused", device="cuda"))
    window.files.ask_unsaved = lambda parent, name: "discard"
    qtbot.addWidget(window)
    warnings = []
    window.run_status.message.connect(lambda text, level: level == "warning" and warnings.append(text))
    window.show()
    window.controller.ensure_started()
    try:
        window.controller.play()
        qtbot.waitUntil(lambda: window.controller.epoch > 2 and window.frames.latest.engine == "torch",
                        timeout=60_000)
    finally:
        release.set()
    qtbot.waitUntil(lambda: window.run_status.device_status.text().endswith("· fused"), timeout=60_000)
    assert len(warnings) == 1 and "cuda" in warnings[0].lower(), warnings
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=30_000)


@pytest.mark.parametrize("torch_in", [True, False], ids=["torch loaded", "before torch"])
def test_closing_while_the_fused_engine_compiles_ends_cleanly(qtbot, monkeypatch, spec_factory, torch_in):
    import threading

    from app.window import MainWindow
    from core.engines import fused_warmup

    if not torch_in:
        as_if_torch_not_loaded(monkeypatch)
    entered, release, real_warm_up = threading.Event(), threading.Event(), fused_warmup.warm_up
    monkeypatch.setattr(fused_warmup, "warm_up", lambda: entered.set() or release.wait(20) and real_warm_up())
    window = MainWindow(settings=None, restore=False, spec=spec_factory(engine="fused"))
    window.files.ask_unsaved = lambda parent, name: "discard"
    qtbot.addWidget(window)
    window.show()
    window.controller.ensure_started()
    qtbot.waitUntil(entered.is_set, timeout=20_000)
    window.controller.play()
    threading.Timer(0.3, release.set).start()  # the compile ends while close() waits for the run
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=30_000)
    assert window.controller.epoch == 0  # stopped before any epoch ran


def test_the_window_says_why_the_slower_engine_runs_and_the_status_bar_names_it(qtbot, make_window, spec_factory):
    window = make_window(spec_factory(engine="auto", layers=[{"units": 8, "norm": "batch"}]))
    qtbot.waitUntil(lambda: "not on the fast path" in window.message_bar.text, timeout=30_000)
    assert window.message_bar.text.startswith("Torch engine: batch norm ('norm1') is not on the fast path: about ")
    assert window.message_bar.level == "info"
    assert window.device_status.text().endswith("· torch")
    assert window.device_status.toolTip() == window.message_bar.text

    fast = make_window(spec_factory(engine="auto", optimizer={"name": "adam", "lr": 0.01}))
    qtbot.waitUntil(lambda: fast.device_status.text().endswith("· fused"), timeout=30_000)
    assert fast.message_bar.text == "" and fast.engine_notice == ""
