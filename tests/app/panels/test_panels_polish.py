"""What the output and data panels show for every kind of data: a projection for tables (with the
test rows the network gets wrong ringed), regression points coloured like the shading, toy-only
controls greyed for tables, a loss plot with a legend and room for its labels, a readable 10-class
confusion matrix."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import torch
from PySide6.QtGui import QFontMetricsF, QImage
from PySide6.QtWidgets import QApplication, QLabel

from app.look import colormaps
from app.network import neuron_images
from app.plots.boundary_points import principal_plane
from app.plots.boundary_view import BoundaryView
from app.plots.confusion_view import MIN_CELL, ConfusionView, count_text, fitted_counts
from app.panels.data_panel import DataPanel
from app.plots.loss_plot import LossPlot
from app.panels.output_panel import OutputPanel
from app.look.style import apply_app_style
from core.data import load_dataset
from core.training.snapshot import EpochRecord
from core.spec import Experiment, Feature, parse_experiment

DIVERGING32 = colormaps.lut_to_argb32(colormaps.diverging_lut())


@pytest.fixture(scope="module")
def iris():
    return load_dataset(parse_experiment({"data": {"source": "iris"}, "loss": "cross_entropy"}))


@pytest.fixture(scope="module")
def plane():
    return load_dataset(parse_experiment({"data": {"source": "plane", "noise": 0.1, "samples": 200},
                                          "task": "regression", "loss": "mse"}))


def _brush_rgba(scatter) -> list[int]:  # noqa: ANN001
    return [p.brush().color().rgba() for p in scatter.points()]


# --- the projection of a table --------------------------------------------------------------------
def test_principal_plane_finds_the_direction_the_data_varies_most():
    rng = np.random.default_rng(0)
    t = rng.normal(size=300)
    x = np.stack([t, 2 * t + 0.01 * rng.normal(size=300), rng.normal(size=300) * 0.01], axis=1)
    coords, share = principal_plane(x)
    assert coords.shape == (300, 2)
    assert share[0] > 0.6 and share[0] + share[1] == pytest.approx(1.0, abs=1e-3)
    # PC 1 follows t (either sign is fixed the same way every time)
    assert abs(np.corrcoef(coords[:, 0], t)[0, 1]) > 0.99
    again, _ = principal_plane(x.copy())
    assert np.allclose(coords, again)
    one_column, _ = principal_plane(t[:, None])
    assert np.all(one_column[:, 1] == 0)


def test_a_table_is_shown_as_a_labelled_projection_with_every_row(qtbot, iris):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.resize(400, 420)
    view.set_dataset(iris)
    assert not view.planar and not view.wants_square
    assert len(view._train_points.points()) == len(iris.x_train)
    assert len(view._test_points.points()) == len(iris.x_test)
    assert view._test_points.isVisible()  # the test rows carry the red rings, so they always show
    assert view.caption == "4 inputs projected on their first two principal components"
    item = view.getPlotItem()
    assert item.getAxis("bottom").labelText.startswith("PC 1")
    assert item.getAxis("left").labelText.startswith("PC 2")
    # coloured by true class: as many distinct fills as classes
    assert len(set(_brush_rgba(view._train_points))) == iris.n_classes
    assert view.legend_labels[:3] == list(iris.class_names)
    assert "wrong now" in view.legend_labels
    # the caption is wrapped to the view, never wider than it (no clipped text)
    assert item.titleLabel.itemRect().width() <= view.width()
    assert view.legend.itemRect().width() <= view.width()


def test_the_test_rows_the_network_gets_wrong_are_ringed(qtbot, iris):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_dataset(iris)
    predicted = np.asarray(iris.y_test).astype(np.int64).copy()
    wrong = [0, 5, 7]
    predicted[wrong] = (predicted[wrong] + 1) % iris.n_classes
    assert view.update_predictions(SimpleNamespace(test_predictions=predicted))
    assert list(view.misclassified) == wrong
    assert len(view._miss_marks.points()) == 3
    assert not view.update_predictions(SimpleNamespace(test_predictions=predicted.copy()))  # unchanged
    assert not view.update_predictions(SimpleNamespace(test_predictions=None))  # a snapshot without them
    assert len(view._miss_marks.points()) == 3  # keeps the last rings
    view.clear_boundary()  # a reset
    assert len(view._miss_marks.points()) == 0


def test_a_trainer_snapshot_carries_the_predictions_the_rings_need(qtbot, iris):
    from core.training.trainer import Trainer

    torch.set_num_threads(1)
    spec = parse_experiment({"data": {"source": "iris"}, "loss": "cross_entropy", "engine": "torch",
                             "layers": [{"units": 4}]})
    trainer = Trainer(spec, dataset=iris)
    trainer.train_epoch()
    snap = trainer.snapshot()
    assert snap.test_predictions is not None and snap.test_predictions.shape == iris.y_test.shape
    assert int(np.trace(snap.confusion)) == int((snap.test_predictions == iris.y_test).sum())
    assert trainer.snapshot(grid=False).test_predictions is None  # only at the grid's bounded rate
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.boundary_view.set_dataset(iris)
    panel.set_task("classification", tuple(iris.class_names))
    panel.show_figures(snap)  # the window calls this for every shown snapshot
    wrong = int(snap.confusion.sum() - np.trace(snap.confusion))
    assert len(panel.boundary_view._miss_marks.points()) == wrong


def test_projection_disables_the_plane_only_toggles(qtbot, iris, plane):
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.boundary_view.set_dataset(iris)
    panel.set_task("classification", tuple(iris.class_names))
    assert not panel.show_test_box.isEnabled() and not panel.discretize_box.isEnabled()
    assert "projection" in panel.show_test_box.toolTip()
    panel.boundary_view.set_dataset(plane)
    panel.set_task("regression", ())
    assert panel.show_test_box.isEnabled() and panel.boundary_view.wants_square
    assert panel.boundary_view.caption == "" and not panel.boundary_view.getPlotItem().titleLabel.isVisible()


# --- regression colours ---------------------------------------------------------------------------
def test_regression_points_are_coloured_by_target_like_the_shading(qtbot, plane):
    view = BoundaryView()
    qtbot.addWidget(view)
    view.set_dataset(plane)
    colours = _brush_rgba(view._train_points)
    assert len(set(colours)) > 20  # not all one colour (they were all white-looking before)
    low, high = view._value_range
    assert low == -high  # symmetric levels: 0 is the light middle, as in the shading
    expected = colormaps.values_to_argb32(np.asarray(plane.y_train), DIVERGING32, low, high)
    assert colours == [int(c) for c in expected]
    pen = view._train_points.points()[0].pen().color()
    assert pen.lightness() < 100  # a dark outline, visible on the pale field
    assert view.legend_labels[0].startswith("-") and "0" in view.legend_labels


def test_the_regression_output_thumbnail_uses_the_boundary_map():
    grid = np.linspace(-1.0, 1.0, 50 * 50, dtype=np.float32).reshape(50, 50)
    images = neuron_images.output_images(grid, 1, regression=True)
    pixels = images.pixels[0]
    # rows are flipped for display: the last row holds the lowest values (orange), the first the highest (blue)
    assert pixels[-1, 0] == DIVERGING32[0] and pixels[0, -1] == DIVERGING32[-1]
    fixed = neuron_images.output_images(grid * 0.5, 1, regression=True, value_range=(-1.0, 1.0))
    assert fixed.pixels[0][0, -1] != DIVERGING32[-1]  # half the range: not the end colour


# --- data panel -----------------------------------------------------------------------------------
def test_toy_only_controls_are_greyed_for_tables_with_a_reason(qtbot):
    panel = DataPanel()
    qtbot.addWidget(panel)
    toy_only = [panel.noise_slider, panel.samples_spin, *panel.feature_boxes.values()]
    noise_tip = panel.noise_slider.toolTip()
    panel.set_spec(Experiment().replace(data={"source": "wine"}, task="classification", loss="cross_entropy"))
    assert all(not w.isEnabled() for w in toy_only)
    assert not panel.noise_caption.isEnabled() and not panel.samples_caption.isEnabled()
    assert all("2-D" in w.toolTip() for w in toy_only)
    assert panel.train_ratio_slider.isEnabled() and panel.batch_size_spin.isEnabled()
    panel.set_spec(Experiment().replace(data={"source": "spiral"}))
    assert all(w.isEnabled() for w in toy_only)
    assert panel.noise_slider.toolTip() == noise_tip
    assert "2-D" not in panel.feature_boxes[Feature.x1].toolTip()


# --- loss plot ------------------------------------------------------------------------------------
def _records(n: int) -> list[EpochRecord]:
    return [EpochRecord(epoch=e, step=e, train_loss=1.0 / e, test_loss=1.2 / e, train_accuracy=0.5 + e / 400,
                        test_accuracy=0.5 + e / 500) for e in range(1, n + 1)]


def test_loss_plot_has_a_legend_and_its_two_plots_do_not_overlap(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(380, 260)
    plot.show()
    qtbot.waitExposed(plot)
    plot.append(_records(40))
    plot.refresh()
    assert plot.legend_labels == ["training", "test"] and plot.legend.isVisible()
    loss_box = plot.loss_item.sceneBoundingRect()
    acc_box = plot.acc_item.sceneBoundingRect()
    assert acc_box.top() >= loss_box.bottom() + 8  # room for "100%" and the loss axis's "0"
    assert plot.legend.sceneBoundingRect().bottom() <= loss_box.top() + 1  # above the curves
    loss_height = loss_box.height()
    plot.set_show_accuracy(False)  # regression: the loss takes the freed room
    qtbot.waitUntil(lambda: plot.loss_item.sceneBoundingRect().height() > loss_height + 40)
    plot.set_show_accuracy(True)
    qtbot.waitUntil(lambda: plot.acc_item.isVisible() and plot.acc_item.scene() is not None)


def test_loss_plot_hover_reads_values_in_both_plots(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(380, 260)
    plot.show()
    qtbot.waitExposed(plot)
    plot.append(_records(40))
    plot.refresh()
    seen = []
    plot.hoveredEpoch.connect(seen.append)
    vb = plot.acc_item.getViewBox()
    plot._on_mouse((vb.mapViewToScene(vb.viewRect().center()),))
    assert seen and seen[-1].startswith("epoch ") and "accuracy" in seen[-1]
    assert plot._cursor.isVisible() and plot._acc_cursor.isVisible()
    plot.set_log_scale(True)
    assert plot.loss_item.ctrl.logYCheck.isChecked()


# --- confusion matrix -----------------------------------------------------------------------------
def test_ten_class_confusion_matrix_keeps_readable_cells_and_tells_counts(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    names = tuple(str(d) for d in range(10))
    view.set_classes(names)
    size = view.size_for(names)
    view.setFixedSize(size)
    assert size.height() >= 10 * MIN_CELL and size.width() <= 260  # fits beside the loss curves
    matrix = np.diag(np.full(10, 80)) + np.eye(10, k=1, dtype=int) * 3
    view.set_matrix(matrix)
    view.grab()  # paints, and so lays out the cells
    left, top, cell, n = view._geometry
    assert n == 10 and cell >= MIN_CELL - 1
    i, j = view.cell_at(left + 1.5 * cell, top + 0.5 * cell)
    assert (i, j) == (0, 1)
    assert view.describe_cell(i, j).startswith("true 0, predicted 1: 3 test rows")
    assert view.cell_at(0, 0) is None


def test_big_counts_are_shortened_to_fit_their_cell_and_told_in_full_on_hover(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_classes(("0", "1"))
    view.setFixedSize(view.size_for(("0", "1")))
    view.set_matrix(np.array([[499_123, 877], [12_345, 487_655]]))
    view.grab()
    _, _, cell, _ = view._geometry
    font, texts = fitted_counts(view.matrix, cell, view.font())  # what paintEvent draws
    metrics = QFontMetricsF(font)
    shown = [t for row in texts for t in row]
    assert shown[0] in ("499k", "499.1k") and shown[1] == "877" and shown[2] in ("12k", "12.3k")
    assert all(metrics.horizontalAdvance(t) <= cell - 3 for t in shown), shown
    assert font.pointSizeF() >= 6.0
    assert count_text(42, cell - 3, metrics) == "42"
    assert "499123 test rows" in view.describe_cell(0, 0)


def test_output_panel_sizes_the_matrix_for_the_classes_and_hides_it_for_regression(qtbot):
    panel = OutputPanel()
    qtbot.addWidget(panel)
    panel.resize(420, 760)
    panel.show()
    names = tuple(str(d) for d in range(10))
    panel.set_task("classification", names)
    assert panel.confusion_view.size() == panel.confusion_view.size_for(names)
    assert panel.confusion_box.isVisible() and panel.loss_plot.show_accuracy
    panel.set_task("regression", ())
    assert not panel.confusion_box.isVisible() and not panel.loss_plot.show_accuracy
    assert panel.plot_caption.text() == "LOSS"


def _darkest_grey(widget) -> int:
    image = widget.grab().toImage().convertToFormat(QImage.Format.Format_Grayscale8)
    return int(np.frombuffer(image.constBits(), np.uint8, image.sizeInBytes()).min())


def test_the_app_style_greys_out_disabled_text(qtbot):
    """The palette sets every colour group; greyed-out controls must still look greyed out."""
    qt_app = QApplication.instance()
    saved = qt_app.palette(), qt_app.font(), qt_app.style().name()
    try:
        apply_app_style(qt_app)
        label = QLabel("Noise ██████")
        qtbot.addWidget(label)
        label.resize(160, 30)
        enabled = _darkest_grey(label)
        label.setEnabled(False)
        disabled = _darkest_grey(label)
        assert enabled < 80 and disabled > 140, (enabled, disabled)
    finally:
        qt_app.setPalette(saved[0])
        qt_app.setFont(saved[1])
        qt_app.setStyle(saved[2])


def test_loss_plot_at_its_smallest_still_shows_both_plots_and_the_epoch_axis_title(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    plot.resize(300, plot.minimumHeight())
    plot.show()
    qtbot.waitExposed(plot)
    plot.append(_records(400))
    plot.refresh()
    qtbot.wait(50)
    assert plot.acc_item.sceneBoundingRect().height() >= 56
    assert plot.loss_item.sceneBoundingRect().height() >= 56
    title = plot.acc_item.getAxis("bottom").label
    assert title.isVisible() and title.toPlainText().strip() == "epoch"
    glyphs_bottom = title.sceneBoundingRect().bottom() - title.document().documentMargin()
    assert glyphs_bottom <= plot.height(), "the epoch axis title is cut off"
