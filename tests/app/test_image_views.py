"""The output panel on image data: the gallery of test predictions (click one to focus it), draw your
own with live class probabilities, and the per-class accuracy beside the confusion matrix."""

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QPushButton, QWidget

from core.spec import load_experiment

EXAMPLE = Path(__file__).parents[2] / "examples" / "digits_cnn.json"


def _open(make_window, qtbot):
    window = make_window(load_experiment(EXAMPLE))
    canvas = window.network_view.canvas
    qtbot.waitUntil(lambda: canvas.feature_view is not None, timeout=30_000)
    return window, canvas


def test_the_gallery_shows_predictions_and_a_click_focuses_that_image(qtbot, make_window):
    window, canvas = _open(make_window, qtbot)
    gallery = window.findChild(QWidget, "imageGallery")
    assert gallery.isVisible() and not window.output_panel.boundary_view.isVisible()
    qtbot.waitUntil(lambda: gallery.predicted is not None, timeout=10_000)
    dataset = window.controller.dataset
    assert len(gallery.predicted) == 64
    assert gallery.wrong_rows() == [i for i in range(64) if gallery.predicted[i] != dataset.y_test[i]]
    accuracy = window.findChild(QWidget, "classAccuracy")
    qtbot.waitUntil(lambda: accuracy.values is not None, timeout=10_000)
    assert accuracy.isVisible() and len(accuracy.values) == 10

    qtbot.mouseClick(gallery, Qt.MouseButton.LeftButton, pos=gallery.cell_rect(5).center())
    qtbot.waitUntil(lambda: canvas.feature_view["focus"]["test_index"] == 5, timeout=10_000)
    assert np.array_equal(canvas.feature_view["input"].ravel(), dataset.raw_test[5])
    assert gallery.focused == 5


def test_drawing_changes_the_probabilities_and_the_feature_maps(qtbot, make_window):
    window, canvas = _open(make_window, qtbot)
    bars = window.findChild(QWidget, "classProbabilities")
    qtbot.waitUntil(lambda: bars.values is not None, timeout=10_000)
    before = bars.values.copy()
    maps_before = canvas.feature_view["layers"][0]["maps"].copy()
    draw = window.findChild(QWidget, "drawCanvas")
    assert draw.values.shape == (1, 8, 8)
    side = draw.width()
    for y in range(side // 6, side - side // 6, side // 10):  # a vertical stroke: a "1"
        qtbot.mousePress(draw, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, y))
        qtbot.mouseRelease(draw, Qt.MouseButton.LeftButton, pos=QPoint(side // 2, y))
    assert 0 < draw.values.max() <= 16.0 and draw.values[0, :, 3:5].sum() > draw.values[0, :, :2].sum()
    qtbot.waitUntil(lambda: canvas.feature_view["focus"]["drawn"]
                    and np.array_equal(canvas.feature_view["input"], draw.values), timeout=10_000)
    qtbot.waitUntil(lambda: not np.allclose(bars.values, before), timeout=10_000)
    assert not np.allclose(canvas.feature_view["layers"][0]["maps"], maps_before)

    qtbot.mouseClick(window.findChild(QPushButton, "drawClearButton"), Qt.MouseButton.LeftButton)
    assert draw.is_blank()
    qtbot.waitUntil(lambda: canvas.feature_view["focus"]["test_index"] == 0, timeout=10_000)
