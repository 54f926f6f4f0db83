"""Image-data views repaint only what changed: a new confusion matrix its changed cells, new gallery
predictions the images whose caption changed; what is on screen is what a full paint shows."""

import numpy as np

from app.plots.confusion_view import ConfusionView
from app.plots.image_gallery import ImageGallery

NAMES = tuple(str(d) for d in range(10))


def _matrix_view(qtbot):
    view = ConfusionView()
    qtbot.addWidget(view)
    view.set_classes(NAMES)
    view.setFixedSize(view.size_for(NAMES))
    return view


def test_a_new_confusion_matrix_repaints_only_its_changed_cells(qtbot):
    view = _matrix_view(qtbot)
    matrix = np.diag(np.full(10, 30)) + np.eye(10, k=1, dtype=int) * 3
    view.set_matrix(matrix)
    first = view.grab().toImage()
    assert view.cells_painted == 100
    better = matrix.copy()
    better[0, 0], better[0, 1] = 33, 0  # one row's mistake fixed: two cells change
    view.set_matrix(better)
    shown = view.grab().toImage()
    assert view.cells_painted == 102 and shown != first
    fresh = _matrix_view(qtbot)
    fresh.set_matrix(better)
    assert fresh.grab().toImage() == shown  # the same pixels as painting the whole matrix anew
    view.grab()
    assert view.cells_painted == 102  # a repaint with no new counts paints no cell


def test_new_predictions_repaint_only_the_gallery_images_whose_caption_changed(qtbot):
    gallery = ImageGallery()
    qtbot.addWidget(gallery)
    rng = np.random.default_rng(0)
    gallery.set_images(rng.uniform(0, 16, (16, 1, 8, 8)), np.arange(16) % 10, NAMES)
    gallery.resize(8 * 52, 2 * 58)
    gallery.show()
    qtbot.waitExposed(gallery)
    probabilities = np.full((16, 10), 0.02)
    probabilities[np.arange(16), np.arange(16) % 10] = 0.82
    gallery.set_probabilities(probabilities)
    qtbot.waitUntil(lambda: gallery.cells_painted >= 16)
    qtbot.wait(20)
    painted = gallery.cells_painted
    moved = probabilities.copy()
    moved[3] = np.roll(moved[3], 1)     # image 3 now predicted wrong
    moved[7] += 1e-4                    # image 7 moves, but not by a whole percent
    gallery.set_probabilities(moved)
    qtbot.waitUntil(lambda: gallery.cells_painted > painted)
    qtbot.wait(20)
    assert gallery.cells_painted == painted + 1 and gallery.wrong_rows() == [3]
