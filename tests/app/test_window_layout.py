"""The window at a laptop size: nothing moves once it is on screen, everything fits."""

from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from tests.app.conftest import THREAD_STOP_MS, quick_spec

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
    from app.main_window import MainWindow
    from app.worker import live_threads

    window = MainWindow(settings=None, restore=False, spec=quick_spec())
    qtbot.addWidget(window)
    window.resize(*LAPTOP)
    window.show()
    qtbot.waitUntil(lambda: window.first_paint_time is not None, timeout=10_000)  # then it starts itself
    before = _geometries(window)
    qtbot.waitUntil(lambda: window.dataset is not None and window.redraw_count > 0, timeout=60_000)
    combo = window.controls.device_combo
    assert any("unavailable" in combo.itemText(i) for i in range(combo.count())) or combo.count() >= 2
    after = _geometries(window)
    moved = {name: (before[name], after[name]) for name in before.keys() & after.keys()
             if before[name] != after[name]}
    assert not moved, f"widgets moved after the first paint: {moved}"
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)
