"""The window on sequences: choose sine, add an LSTM by clicking, train; the hidden-state heatmap and
the sequence view follow the run. On memory, the gallery marks predictions and a click focuses a row."""

import numpy as np
from PySide6.QtCore import Qt

from core.spec import parse_experiment


def _choose(window, qtbot, source):
    combo = window.data_panel.dataset_combo
    combo.setCurrentIndex(combo.findData(source))
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: window.controller.dataset is not None
                    and window.controller.dataset.meta.get("source") == source, timeout=30_000)


def test_sine_lstm_by_clicking_trains_and_the_heatmap_moves(qtbot, make_window):
    window = make_window()
    _choose(window, qtbot, "sine")
    panel = window.output_panel.modality_panels["sequence"]
    assert panel.isVisible() and not window.output_panel.boundary_view.isVisible()
    assert window.data_panel.sequence_length_spin.isVisible()
    assert window.data_panel.sequence_length_spin.value() == 40
    window.data_panel.sequence_length_spin.setValue(30)
    qtbot.waitUntil(lambda: window.controller.dataset.input_shape == (30, 1))
    assert window.controller.spec.data.sequence_length == 30
    qtbot.mouseClick(panel.layer_buttons["lstm"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.controller.spec.layers[0].type == "lstm")
    assert [layer.type for layer in window.controller.spec.layers] == ["lstm", "dense", "dense"]
    hidden = panel.hidden_view
    assert hidden.objectName() == "hiddenStateView" and panel.sequence_view.objectName() == "sequenceView"
    pictures = []
    window.snapshotShown.connect(lambda snap: pictures.append(
        None if hidden.shown_states() is None else hidden.shown_states().copy()))
    window.controller.play()
    qtbot.waitUntil(lambda: sum(p is not None for p in pictures) >= 1, timeout=60_000)
    first = next(p for p in pictures if p is not None)
    qtbot.waitUntil(lambda: window.frames.latest is not None and window.frames.latest.epoch >= 2
                    and hidden.images_drawn >= 2 and not np.allclose(hidden.shown_states(), first, atol=1e-4),
                    timeout=60_000)
    window.controller.pause()
    assert hidden.shown_states().shape == (16, 30)  # units × time
    assert len(panel.sequence_view.continuation.getData()[0]) == 40
    assert window.frames.latest.engine == "torch"


def test_memory_gallery_marks_predictions_and_a_click_focuses(qtbot, make_window):
    spec = parse_experiment({"schema_version": 2, "data": {"source": "memory", "samples": 200,
                                                           "sequence_length": 8},
                             "layers": [{"type": "gru", "units": 8}], "loss": "bce",
                             "optimizer": {"name": "adam", "lr": 0.02}, "batch_size": 16})
    window = make_window(spec)
    panel = window.output_panel.modality_panels["sequence"]
    qtbot.waitUntil(lambda: len(panel.gallery.plots) == 9, timeout=30_000)
    assert panel.tabs.currentWidget() is panel.gallery
    assert set(panel.gallery.labels.tolist()) == {0, 1}  # both classes shown
    window.controller.play()
    qtbot.waitUntil(lambda: panel.views_drawn >= 2, timeout=60_000)
    window.controller.pause()
    titles = [plot.titleLabel.text for plot in panel.gallery.plots]
    assert all(t for t in titles) and panel.gallery.wrong.shape == (9,)
    row = int(panel.gallery.rows[5])
    fifth = window.controller.dataset.raw_test[row]
    assert not np.allclose(panel.sequence_view.shown["input"].ravel(), fifth)
    gallery = panel.gallery
    centre = gallery.mapFromScene(gallery.plots[5].sceneBoundingRect().center())
    qtbot.mouseClick(gallery.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    assert gallery.focused == 5
    window.controller.play()
    qtbot.waitUntil(lambda: np.allclose(panel.sequence_view.shown["input"].ravel(), fifth), timeout=30_000)
    window.controller.pause()


def test_a_second_recurrent_layer_goes_after_the_first_which_then_passes_its_sequence_on():
    from app.sequence_edit import with_recurrent_layer
    from core.nn.build import build_model

    layers = with_recurrent_layer([{"type": "lstm", "units": 16, "return_sequences": False},
                                   {"type": "dense", "units": 4}], "gru", units=8)
    assert [layer["type"] for layer in layers] == ["lstm", "gru", "dense"]
    assert layers[0]["return_sequences"] and not layers[1]["return_sequences"]
    spec = parse_experiment({"schema_version": 2, "data": {"source": "sine"}, "task": "regression", "loss": "mse",
                             "layers": layers})
    import torch

    assert build_model(spec, 40, 1)(torch.zeros(2, 40)).shape == (2, 1)


def test_a_csv_series_experiment_opens_with_the_sequence_views(qtbot, make_window, tmp_path):
    path = tmp_path / "level.csv"
    path.write_text("level\n" + "".join(f"{np.sin(i / 3):.4f}\n" for i in range(120)))
    spec = parse_experiment({"schema_version": 2, "data": {"source": "csv_series", "path": str(path),
                                                           "target": "level", "sequence_length": 12},
                             "task": "regression", "loss": "mse", "layers": [{"type": "gru", "units": 4}]})
    window = make_window(spec)
    panel = window.output_panel.modality_panels["sequence"]
    qtbot.waitUntil(lambda: window.controller.dataset is not None
                    and window.controller.dataset.input_shape == (12, 1), timeout=30_000)
    assert panel.isVisible() and window.data_panel.sequence_length_spin.value() == 12
    window.controller.play()
    qtbot.waitUntil(lambda: panel.views_drawn >= 1, timeout=30_000)
    window.controller.pause()
    assert panel.hidden_view.shown_states().shape == (4, 12)
    assert len(panel.sequence_view.continuation.getData()[0]) == 40  # a next-value series runs on


def test_csv_series_from_the_data_combo_asks_for_one_column_and_a_bad_one_changes_nothing(
        qtbot, make_window, tmp_path, monkeypatch):
    from app.files.csv_dialog import CsvDialog

    path = tmp_path / "level.csv"
    path.write_text("day,level\n" + "".join(f"d{i},{np.sin(i / 3):.4f}\n" for i in range(120)))
    asked = []

    def choose_file(dialog):
        dialog.load_preview(str(path))

    def answer(dialog):
        asked.append((dialog.windowTitle(), dialog.task_combo.isVisibleTo(dialog),
                      dialog.columns_list.isVisibleTo(dialog), dialog.target_combo.currentText()))
        dialog.target_combo.setCurrentText(column)
        return CsvDialog.DialogCode.Accepted

    monkeypatch.setattr(CsvDialog, "choose_file", choose_file)
    monkeypatch.setattr(CsvDialog, "exec", answer)
    window = make_window()
    column = "level"
    _choose(window, qtbot, "csv_series")
    assert asked == [("Open a CSV time series", False, False, "level")]  # one column; no task, no inputs
    spec = window.controller.spec
    assert (spec.data.source.value, spec.data.target, spec.task.value) == ("csv_series", "level", "regression")
    assert window.controller.dataset.input_shape == (20, 1) and len(window.controller.dataset.y_train) >= 40
    combo = window.data_panel.dataset_combo
    assert combo.currentText() == "level.csv (series)" and window.data_panel.sequence_length_spin.isVisible()
    assert window.output_panel.modality_panels["sequence"].isVisible()

    column = "day"  # text: it cannot be a series; the message says so and the data stays
    window.data_panel._choose(window.controller.spec.data.source)
    qtbot.waitUntil(lambda: not window.controller.loading, timeout=30_000)
    assert window.controller.spec.data.target == "level" and window.controller.dataset.input_shape == (20, 1)
    assert "Open CSV series" in window.message_bar.text and "'day'" in window.message_bar.text
    assert combo.currentText() == "level.csv (series)"
    window.controller.undo_stack.undo()  # back to the data before the series
    assert window.controller.spec.data.source.value != "csv_series"
