"""Table data in the window: only the controls that apply, the file's name, all classes, any axes."""

from __future__ import annotations

import numpy as np
import pytest

from core.data import load_dataset
from core.spec import Experiment, parse_experiment
from window_checks import quick_spec
from test_window_layout import LAPTOP, _settle


def test_table_hides_the_two_d_controls_and_a_toy_set_brings_them_back(qtbot):
    from app.panels.data_panel import DataPanel

    panel = DataPanel()
    qtbot.addWidget(panel)
    panel.show()
    two_d = [panel.noise_slider, panel.samples_spin, panel.regenerate_button, *panel.feature_boxes.values()]
    panel.set_spec(Experiment().replace(data={"source": "wine"}, task="classification", loss="cross_entropy"))
    assert not any(w.isVisible() for w in two_d)
    assert panel.features_note.isVisible() and panel.train_ratio_slider.isVisible()
    panel.set_spec(Experiment())
    assert all(w.isVisible() for w in two_d)


def test_data_combo_shows_the_csv_files_name(qtbot, tmp_path):
    from app.panels.data_panel import DataPanel

    path = tmp_path / "my_measurements.csv"
    path.write_text("a,b,label\n1,2,x\n3,4,y\n5,6,x\n7,8,y\n")
    panel = DataPanel()
    qtbot.addWidget(panel)
    spec = parse_experiment({"data": {"source": "csv", "path": str(path), "target": "label"}})
    panel.set_spec(spec)
    assert panel.dataset_combo.currentText() == "my_measurements.csv"
    panel.set_spec(Experiment())
    assert panel.dataset_combo.itemText(panel.dataset_combo.findData("csv")) == "CSV file…"


def test_ten_classes_keep_every_legend_entry_at_1366(make_window):
    window = make_window(quick_spec(data={"source": "digits", "train_fraction": 0.5}, loss="cross_entropy"))
    window.resize(*LAPTOP)
    _settle(window, LAPTOP)
    view = window.picture_views()["boundary"]  # digits shows its gallery: the projection is drawn when asked for
    _settle(window, LAPTOP)
    assert view.legend_labels[:10] == [str(c) for c in window.controller.dataset.class_names]
    text_item = view.legend.item  # the wrapped, centred text itself (its box may be wider)
    legend = text_item.mapRectToScene(text_item.boundingRect())
    half = text_item.document().idealWidth() / 2
    assert legend.bottom() <= view.height() + 1, (legend, view.size())
    assert legend.center().x() - half >= -1 and legend.center().x() + half <= view.width() + 1, (legend, half)
    text = view.legend.item.toPlainText()
    assert all(name in text for name in window.controller.dataset.class_names)


@pytest.fixture
def iris():
    return load_dataset(parse_experiment({"data": {"source": "iris"}, "loss": "cross_entropy"}))


def test_table_scatter_on_any_two_columns_keeps_its_rings(qtbot, iris):
    from app.panels.output_panel import OutputPanel
    from core.training.snapshot import Snapshot

    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.boundary_view.set_dataset(iris)
    panel.set_task("classification", tuple(iris.class_names))
    view = panel.boundary_view
    keys = [key for _, key in view.axis_choices()]
    assert keys[:2] == ["pc1", "pc2"] and len(keys) == 2 + len(iris.raw_names)
    predicted = np.asarray(iris.y_test).copy()
    predicted[:5] = (predicted[:5] + 1) % 3  # five wrong
    snap = Snapshot(epoch=1, step=1, train_loss=0.5, test_loss=0.5, train_accuracy=0.9, test_accuracy=0.9,
                    learning_rate=0.03, batch_size=10, test_predictions=predicted)
    view.update_predictions(snap)
    assert len(view._miss_marks.points()) == 5
    panel.x_axis_combo.setCurrentIndex(panel.x_axis_combo.findData("col:2"))
    panel.y_axis_combo.setCurrentIndex(panel.y_axis_combo.findData("col:3"))
    panel._axes_chosen()
    assert view.axes == ("col:2", "col:3")
    x, y = view._test_points.getData()
    assert np.allclose(sorted(x), sorted(np.asarray(iris.raw_test)[:, 2]))
    rings = view._miss_marks.getData()
    assert np.allclose(sorted(rings[0]), sorted(np.asarray(iris.raw_test)[:5, 2]))
    assert view.getPlotItem().getAxis("bottom").labelText == iris.raw_names[2]
    with pytest.raises(ValueError, match="scatter axis"):
        view.set_axes("col:99", "pc1")
