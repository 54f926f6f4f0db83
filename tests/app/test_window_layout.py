"""The window at a laptop size: nothing moves once it is on screen, everything fits."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from window_checks import THREAD_STOP_MS, quick_spec

LAPTOP = (1366, 738)  # a 1366x768 screen less a title bar


def _geometries(window) -> dict[str, tuple[int, int, int, int]]:
    """Where every visible named widget sits, in window coordinates."""
    found = {}
    for widget in window.findChildren(QWidget):
        name = widget.objectName()
        if name and widget.isVisible() and not name.startswith("qt_"):
            top_left = widget.mapTo(window, QPoint(0, 0))
            found[name] = (top_left.x(), top_left.y(), widget.width(), widget.height())
    return found


def test_nothing_moves_when_the_devices_and_data_arrive(qtbot):
    from app.window import MainWindow
    from app.worker import live_threads

    window = MainWindow(settings=None, restore=False, spec=quick_spec())
    qtbot.addWidget(window)
    window.resize(*LAPTOP)
    window.show()
    qtbot.waitUntil(lambda: window.first_paint_time is not None, timeout=10_000)  # then it starts itself
    before = _geometries(window)
    qtbot.waitUntil(lambda: window.controller.dataset is not None and window.frames.redraw_count > 0, timeout=60_000)
    combo = window.controls.device_combo
    assert any("unavailable" in combo.itemText(i) for i in range(combo.count())) or combo.count() >= 2
    after = _geometries(window)
    moved = {name: (before[name], after[name]) for name in before.keys() & after.keys()
             if before[name] != after[name]}
    assert not moved, f"widgets moved after the first paint: {moved}"
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)


def _layers(n: int, units: int) -> list[dict]:
    return [{"units": units, "activation": "tanh"}] * n


def _settle(window, size: tuple[int, int]) -> None:
    from PySide6.QtWidgets import QApplication

    assert (window.width(), window.height()) == size
    QApplication.processEvents()  # the layouts follow the new size


def _whole_network_shown(window) -> None:
    """No scrolling needed, and every column, the output included, lies inside the visible pane."""
    view = window.network_view
    viewport = view.scroll.viewport()
    assert not view.scroll.horizontalScrollBar().isVisible(), "the network needs a horizontal scrollbar"
    assert view.canvas.width() <= viewport.width()
    n_hidden = view.hidden_layer_count
    output = view.node_rect("output", n_hidden, 0)
    first_input = view.node_rect("input", 0, 0)
    assert first_input.left() >= 0 and output.right() <= viewport.width(), (first_input, output)
    assert output.bottom() <= viewport.height()
    for k in range(n_hidden):  # every header sits over its own column, none overlaps the next
        header = view.header(k)
        assert header.isVisible() and header.geometry().right() <= viewport.width()
        if k:
            assert view.header(k - 1).geometry().right() < header.geometry().left()


def test_six_by_eight_network_fits_at_1366(make_window):
    window = make_window(quick_spec(layers=_layers(6, 8)))
    window.resize(*LAPTOP)
    _settle(window, LAPTOP)
    _whole_network_shown(window)


def test_ten_by_thirty_two_network_fits_at_1920(make_window):
    window = make_window(quick_spec(layers=_layers(10, 32)))
    window.resize(1920, 1050)
    _settle(window, (1920, 1050))
    _whole_network_shown(window)


def test_boundary_plot_shows_exactly_the_data_extent_in_a_square(make_window):
    window = make_window(quick_spec(data={"source": "spiral", "samples": 200, "noise": 0.0,
                                          "train_fraction": 0.5}))
    for size in (LAPTOP, (1920, 1050), (1440, 880)):
        window.resize(*size)
        _settle(window, size)
        view = window.boundary_view
        assert view.view_range == pytest.approx(tuple(window.controller.dataset.extent), abs=1e-6), size
        box = view.getPlotItem().getViewBox()
        assert abs(box.width() - box.height()) <= 2, (size, box.width(), box.height())
        snap = window.frames.latest
        assert snap.boundary is not None and snap.boundary.shape[0] >= 100  # no stairs along the edges


def test_input_neurons_show_their_feature_before_the_first_snapshot(qtbot):
    """x1 runs from one colour on the left to the other on the right, before torch has even loaded."""
    from PySide6.QtGui import QColor

    from app.network.view import NetworkView

    view = NetworkView()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.set_structure([], ["x1", "x2"], 1, True)
    view.show()
    qtbot.waitExposed(view)
    picture = view.canvas.grab().toImage()
    rect = view.node_rect("input", 0, 0)  # x1
    y = int(rect.center().y())
    left = QColor(picture.pixel(int(rect.left() + 4), y))
    right = QColor(picture.pixel(int(rect.right() - 4), y))
    empty = QColor(241, 243, 245)
    assert left != empty and right != empty
    assert abs(left.blue() - right.blue()) > 60  # orange on one side, blue on the other


def test_loss_curves_get_real_room_at_1366(window):
    window.resize(*LAPTOP)
    _settle(window, LAPTOP)
    plot = window.loss_plot
    assert plot.loss_item.sceneBoundingRect().height() >= 70  # was 55 px
    assert window.boundary_view.getPlotItem().getViewBox().height() >= 160  # the boundary stays the star


def test_the_runs_dock_and_a_banner_keep_the_window_on_a_laptop_screen(qtbot, make_window):
    """Opening the runs dock (the first kept run) and a warning banner once grew the window to 860 px on
    a 768 px screen, the status bar below the screen's edge: the side panels scroll instead."""
    window = make_window(quick_spec())
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.frames.redraw_count > 0, timeout=60_000)
    window.show_message("A warning that opens the banner above the panels.", "warning")
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.epoch >= 1, timeout=30_000)
    window.controller.reset()  # keeps the run: the runs dock opens by itself
    qtbot.waitUntil(lambda: window.runs_dock.isVisible(), timeout=10_000)
    _settle(window, LAPTOP)
    assert window.minimumSizeHint().height() <= LAPTOP[1] and window.message_bar.isVisible()
    status = window.statusBar()
    assert status.mapTo(window, QPoint(0, status.height())).y() <= LAPTOP[1]
    scroll = window.findChild(QWidget, "dataScroll")
    assert scroll.verticalScrollBar().maximum() > 0  # the data panel scrolls to its lower controls


@pytest.mark.parametrize("size, area", [(LAPTOP, "Right"), ((1920, 1050), "Bottom")])
def test_the_health_panel_opens_where_the_views_keep_their_room(make_window, size, area):
    """Below the views on a tall screen; at the side on a laptop (below, it squashed the views to
    scrolling panels once they could scroll)."""
    from PySide6.QtCore import Qt

    window = make_window(quick_spec())
    window.resize(*size)
    window.health.open()
    _settle(window, size)
    assert window.dockWidgetArea(window.health) == getattr(Qt.DockWidgetArea, f"{area}DockWidgetArea")
    assert window.minimumSizeHint().height() <= size[1]


def test_the_image_views_are_not_cut_off_at_1366(qtbot, make_window):
    """The output panel scrolls only up and down: at 1366 px its content (gallery, drawing, probabilities)
    must get its whole width, not be clipped on the right."""
    from pathlib import Path

    from core.spec import load_experiment

    window = make_window(load_experiment(Path(__file__).parents[2] / "examples" / "digits_cnn.json"))
    window.resize(*LAPTOP)
    qtbot.waitUntil(lambda: window.output_panel.modality_panels["image"].isVisible(), timeout=30_000)
    _settle(window, LAPTOP)
    scroll = window.findChild(QWidget, "outputScroll")
    assert scroll.widget().width() <= scroll.viewport().width()
    bars = window.output_panel.modality_panels["image"].probabilities
    right = bars.mapTo(scroll.viewport(), QPoint(bars.width(), 0)).x()
    assert right <= scroll.viewport().width()
