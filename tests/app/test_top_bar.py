"""The top bar at a laptop size: every choice on one row, once the device list has filled in."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from window_checks import THREAD_STOP_MS, quick_spec

LAPTOP = (1366, 738)  # a 1366x768 screen less a title bar


def _rows(window) -> dict[int, list[str]]:
    """The top bar's choice groups by the y they sit at (one key: one row), named by their control."""
    choices = window.controls.findChild(QWidget, "controlChoices")
    rows: dict[int, list[str]] = {}
    for group in choices.findChildren(QWidget, "controlGroup"):
        if group.isVisible():
            named = [w.objectName() for w in group.findChildren(QWidget) if w.objectName().endswith(("Combo", "Button"))]
            rows.setdefault(group.y(), []).append(named[0] if named else "?")
    return rows


def test_the_top_bar_is_one_row_at_1366(qtbot):
    from app.window import MainWindow
    from app.worker import live_threads

    window = MainWindow(settings=None, restore=False, spec=quick_spec())
    qtbot.addWidget(window)
    window.resize(*LAPTOP)
    window.show()
    qtbot.waitUntil(lambda: window.first_paint_time is not None, timeout=10_000)
    height = window.controls.height()
    qtbot.waitUntil(lambda: window.controller.dataset is not None and window.frames.redraw_count > 0, timeout=60_000)
    combo = window.controls.device_combo
    assert combo.count() >= 2  # the device list has filled in ("cuda (unavailable)" ...)
    rows = _rows(window)
    assert len(rows) == 1, f"the top bar wraps at 1366 pixels: {rows}"
    assert len(next(iter(rows.values()))) >= 8  # learning rate ... device, all there
    assert window.controls.height() == height
    # the run's own controls (speed limit, stop rule) sit with the counter, inside the bar
    bar = window.controls.rect()
    for widget in (window.controls.speed_combo, window.controls.stop_conditions, window.controls.rate_label):
        assert widget.isVisible() and bar.contains(widget.geometry().translated(widget.parentWidget().pos()))
    window.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)
