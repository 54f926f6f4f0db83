"""What the window remembers between sessions, and how it splits its panes on a first show.

Geometry, the two splitters' sizes, the output panel's view toggles, the speed limit and the last
experiment go to AppSettings (never an experiment file). With no remembered split, the first show
fits the three panes to the screen instead.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QMainWindow, QSplitter

from app.panels.output_panel import OutputPanel
from app.settings import AppSettings
from core.spec import Experiment


class WindowState:
    """Restores and saves a window's state in `settings`: its main `splitter` and `output` panel.
    The window itself comes with each call (no reference kept, so closing frees it)."""

    def __init__(self, settings: AppSettings, splitter: QSplitter, output: OutputPanel) -> None:
        self._settings = settings
        self._splitter = splitter
        self._output = output
        self._split_chosen = False  # the main splitter's sizes came from settings or the first show

    def first_show(self, window: QMainWindow) -> None:
        """Called as `window` shows: the first time, with no remembered split, fit the panes to this screen."""
        if self._split_chosen:
            return
        self._split_chosen = True
        width = self._splitter.width() or window.width() - 20
        output = int(min(max(0.3 * width, 430), 640))  # a larger boundary on a large screen
        self._splitter.setSizes([250, max(300, width - 250 - output), output])

    def restore(self, window: QMainWindow, set_speed_limit: Callable[[float], None]) -> None:
        """`window`'s remembered geometry, panes and view toggles; the speed limit through `set_speed_limit`."""
        settings, output = self._settings, self._output
        geometry = settings.geometry()
        if geometry is not None:
            window.restoreGeometry(geometry)
        else:
            window.resize(1440, 880)
        sizes = settings.splitter_sizes("main")
        if sizes and len(sizes) == 3:
            self._splitter.setSizes(sizes)
            self._split_chosen = True
        sizes = settings.splitter_sizes("output")
        if sizes and len(sizes) == 2:
            output.splitter.setSizes(sizes)
        output.show_test_box.setChecked(settings.flag("show_test", False))
        output.discretize_box.setChecked(settings.flag("discretize", False))
        output.log_box.setChecked(settings.flag("log_scale", False))
        try:
            set_speed_limit(float(settings.text("speed_limit", "0")))
        except ValueError:
            pass  # a hand-edited setting: keep Max
        view = output.epoch_view_combo.findData(settings.text("epoch_view", "all"))
        output.epoch_view_combo.setCurrentIndex(max(0, view))

    def save(self, window: QMainWindow, spec: Experiment) -> None:
        """`window`'s geometry and panes, and `spec` as the last experiment."""
        settings = self._settings
        settings.set_geometry(window.saveGeometry())
        settings.set_splitter_sizes("main", self._splitter.sizes())
        settings.set_splitter_sizes("output", self._output.splitter.sizes())
        settings.set_last_experiment(spec)
        settings.sync()
