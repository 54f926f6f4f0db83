"""The window's parts on their own: spec edits, loss plot, confusion matrix, CSV preview, data panel,
controls bar, settings; each checked on what a user would see or get."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QSettings

from app.plots.confusion_view import ConfusionView
from app.panels.controls_bar import ControlsBar
from app.files.csv_dialog import CsvDialog
from app.panels.data_panel import DataPanel
from app.plots.loss_plot import LossPlot
from app.settings import AppSettings
from app.spec_edit import patched, value_at, with_consequences
from core.training.snapshot import EpochRecord
from core.spec import Experiment, Feature, SpecError


# --- spec edits -----------------------------------------------------------------------------------
def test_patched_sets_dotted_keys_and_validates():
    spec = Experiment()
    new = patched(spec, {"optimizer.name": "adam", "data.noise": 0.2})
    assert new.optimizer.name.value == "adam" and new.data.noise == 0.2
    assert spec.optimizer.name.value == "sgd"  # the original is untouched
    assert value_at(new, "data.noise") == 0.2
    with pytest.raises(SpecError, match="noise"):
        patched(spec, {"data.noise": 5.0})


def test_consequences_keep_task_and_loss_consistent():
    spec = Experiment().replace(data={"source": "spiral"})  # classification, bce
    to_regression = with_consequences(spec, {"data.source": "plane"})
    assert to_regression["task"] == "regression" and to_regression["loss"] == "mse"
    patched(spec, to_regression)  # valid as a whole
    to_table = with_consequences(spec.replace(features=["x1", "x1^2"]), {"data.source": "iris"})
    assert to_table["features"] is None  # 2-D features do not apply to tables


# --- loss plot ------------------------------------------------------------------------------------
def _records(n: int, start: int = 1) -> list[EpochRecord]:
    return [EpochRecord(epoch=e, step=e * 10, train_loss=1.0 / e, test_loss=1.2 / e, train_accuracy=0.5 + e / 400,
                        test_accuracy=0.5 + e / 500) for e in range(start, start + n)]


def test_loss_plot_keeps_every_epoch_and_reads_values_back(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.append(_records(50))
    plot.append(_records(50, start=51))
    assert plot.refresh() and not plot.refresh()  # nothing new: nothing redrawn
    assert plot.n_points == 100
    x, y = plot.train_curve.getData()
    assert len(x) == 100 and y[0] == pytest.approx(1.0)
    text = plot.readout_at(10.2)
    assert text.startswith("epoch 10 ") and "train 0.1 " in text and "accuracy" in text
    plot.set_log_scale(True)
    assert plot.loss_item.ctrl.logYCheck.isChecked()
    plot.reset()
    assert plot.n_points == 0 and plot.readout_at(3) == ""


# --- confusion matrix ----------------------------------------------------------------------------
def test_confusion_view_repaints_only_on_change(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_classes(("cat", "dog"))
    matrix = np.array([[5, 1], [2, 7]])
    assert view.set_matrix(matrix) and not view.set_matrix(matrix.copy())
    assert view.set_matrix(np.array([[6, 0], [2, 7]]))
    view.resize(200, 160)
    assert not view.grab().isNull()


# --- CSV dialog ----------------------------------------------------------------------------------
def test_csv_dialog_previews_first_rows_and_offers_columns(qtbot, tmp_path):
    path = tmp_path / "data.csv"
    path.write_text("width;height;kind\n" + "".join(f"{i};{i * 2};{'a' if i % 2 else 'b'}\n" for i in range(30)))
    dialog = CsvDialog()
    qtbot.addWidget(dialog)
    assert dialog.load_preview(str(path))
    assert dialog.preview.rowCount() == 8 and dialog.preview.columnCount() == 3
    assert dialog.target_combo.currentText() == "kind"  # the last column is the usual label
    choice = dialog.choice()
    assert choice.columns == ["width", "height"] and choice.target == "kind"


def test_csv_dialog_explains_an_unreadable_file(qtbot, tmp_path):
    dialog = CsvDialog()
    qtbot.addWidget(dialog)
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    assert not dialog.load_preview(str(empty))
    assert "empty" in dialog.error_label.text()
    assert dialog.choice() is None or not dialog.buttons.buttons()[0].isEnabled()


# --- data panel and controls bar -----------------------------------------------------------------
def test_data_panel_shows_a_spec_without_echoing_it(qtbot):
    panel = DataPanel()
    qtbot.addWidget(panel)
    emitted = []
    panel.featuresChanged.connect(emitted.append)
    panel.noiseChanged.connect(emitted.append)
    spec = Experiment().replace(features=["x1", "x2", "x1*x2"], data={"source": "xor", "noise": 0.25})
    panel.set_spec(spec)
    assert emitted == []
    assert panel.noise_slider.value() == 25
    assert panel.checked_features() == [Feature.x1, Feature.x2, Feature.x1_times_x2]
    panel.feature_boxes[Feature.sin_x1].setChecked(True)
    assert emitted[-1] == [Feature.x1, Feature.x2, Feature.x1_times_x2, Feature.sin_x1]
    panel.set_spec(Experiment().replace(data={"source": "iris"}, task="classification"))
    assert not panel.feature_boxes[Feature.x1].isEnabled()  # tables use their own columns


def test_controls_bar_set_spec_is_silent_and_loss_choices_fit_the_task(qtbot):
    bar = ControlsBar()
    qtbot.addWidget(bar)
    emitted = []
    bar.learningRateChanged.connect(emitted.append)
    spec = Experiment().replace(optimizer={"name": "adam", "lr": 0.004})  # not a preset rate
    bar.set_spec(spec)
    assert emitted == []
    assert bar.learning_rate_combo.currentText() == "0.004"
    assert bar.optimizer_combo.currentText() == "Adam"
    from core.spec import Task

    bar.set_loss_choices(Task.regression, 0)
    enabled = {bar.loss_combo.itemData(i) for i in range(bar.loss_combo.count())
               if bar.loss_combo.model().item(i).isEnabled()}
    assert enabled == {"mse", "huber", "l1"}
    bar.set_loss_choices(Task.classification, 3)
    enabled = {bar.loss_combo.itemData(i) for i in range(bar.loss_combo.count())
               if bar.loss_combo.model().item(i).isEnabled()}
    assert enabled == {"cross_entropy"}


# --- settings ------------------------------------------------------------------------------------
def test_window_remembers_geometry_panels_and_experiment(qtbot, make_window, spec_factory, tmp_path):
    ini = str(tmp_path / "layerlab.ini")
    store = QSettings(ini, QSettings.Format.IniFormat)
    first = make_window(spec_factory(layers=[{"units": 3}]), settings=AppSettings(store), restore=True)
    first.splitter.setSizes([300, 600, 300])
    sizes = first.splitter.sizes()
    geometry = first.saveGeometry()
    first.close()
    store.sync()
    stored = AppSettings(QSettings(ini, QSettings.Format.IniFormat))
    assert stored.geometry() == geometry and stored.splitter_sizes("main") == sizes

    again = make_window(None, settings=AppSettings(QSettings(ini, QSettings.Format.IniFormat)), restore=True)
    assert [layer.units for layer in again.controller.spec.layers] == [3]
    assert again.controller.spec.data.source.value == "gauss"


def test_memory_settings_touch_no_file():
    settings = AppSettings(None)
    settings.set_last_experiment(Experiment())
    settings.add_recent_file("/tmp/a.json")
    settings.add_recent_file("/tmp/b.json")
    settings.add_recent_file("/tmp/a.json")
    assert settings.recent_files() == ["/tmp/a.json", "/tmp/b.json"]
    assert settings.last_experiment() == Experiment()
