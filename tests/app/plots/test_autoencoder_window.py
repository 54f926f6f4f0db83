"""The window on an autoencoder: problem type Autoencoder by clicking, the latent scatter moves between
snapshots, a click on the latent plane shows the decoded output (an image for digits), and back."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QComboBox, QWidget

from core.spec import load_experiment
from core.training.snapshot import RunState

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


def _child(window, name: str) -> QWidget:
    found = window.findChild(QWidget, name)
    assert found is not None, name
    return found


def _choose(combo: QComboBox, text: str) -> None:
    combo.setCurrentIndex(combo.findText(text))
    combo.activated.emit(combo.currentIndex())


def _train_until_the_scatter_moves(qtbot, window, latent) -> None:
    seen = []
    window.snapshotShown.connect(lambda snap: seen.append(latent.view["points"].copy())
                                 if latent.view is not None else None)
    window.controller.play()
    qtbot.waitUntil(lambda: len(seen) >= 2 and np.abs(seen[-1] - seen[0]).mean() > 1e-3, timeout=60_000)
    window.controller.pause()
    qtbot.waitUntil(lambda: window.frames.latest.state != RunState.running, timeout=10_000)


def _click_plane(qtbot, latent, x: float, y: float) -> None:
    plot = latent.plot
    at = plot.mapFromScene(plot.getPlotItem().vb.mapViewToScene(QPointF(x, y)))
    qtbot.mouseClick(plot.viewport(), Qt.MouseButton.LeftButton, pos=at)
    qtbot.waitUntil(lambda: latent.chosen is not None, timeout=5_000)


def test_autoencoder_by_clicking_shows_its_views_and_decodes_a_click(qtbot, window):
    task = _child(window, "problemTypeCombo")
    _choose(task, "Autoencoder")
    qtbot.waitUntil(lambda: window.controller.dataset.task == "autoencoder", timeout=30_000)
    spec = window.controller.spec
    assert spec.task.value == "autoencoder" and spec.loss.value == "mse" and spec.data.source.value == "gauss"
    latent, recon = _child(window, "latentView"), _child(window, "reconstructionView")
    assert latent.isVisible() and recon.isVisible() and not window.boundary_view.isVisible()
    assert window.network_view.canvas._columns[-1].total == 2  # the head rebuilds both inputs

    _train_until_the_scatter_moves(qtbot, window, latent)
    view = latent.view
    _click_plane(qtbot, latent, float(view["xs"][3]), float(view["ys"][12]))
    np.testing.assert_allclose(latent.decoded.values, view["decoded"][12, 3])  # x1, x2 decoded there
    assert "DECODED AT" in latent.decoded_caption.text()
    assert recon.picture.shape == (8, 2)  # 4 rows in and 4 rebuilt, 2 columns each

    _choose(task, "Classification")
    qtbot.waitUntil(lambda: window.controller.dataset.task == "classification", timeout=30_000)
    assert window.boundary_view.isVisible() and not latent.isVisible()
    assert window.controller.spec.loss.value == "bce"


def test_digits_autoencoder_latent_moves_and_a_click_decodes_an_image(qtbot, make_window):
    # torch: the fused engine would compile first (a minute on a fresh checkout); core tests cover it
    spec = load_experiment(EXAMPLES / "digits_autoencoder.json").replace(batch_size=128, engine="torch")
    window = make_window(spec)
    latent, recon = _child(window, "latentView"), _child(window, "reconstructionView")
    _train_until_the_scatter_moves(qtbot, window, latent)
    assert len(latent.view["labels"]) == len(window.controller.dataset.x_test)
    assert recon.picture.shape == (17, 71)  # 8 digits above their 8 reconstructions
    view = latent.view
    _click_plane(qtbot, latent, float(view["xs"][5]), float(view["ys"][9]))
    np.testing.assert_allclose(latent.decoded.values, view["decoded"][9, 5])  # the decoder's output there
    assert latent.decoded.image.image.shape == (8, 8)  # shown as an 8x8 picture
