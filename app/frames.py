"""The last step of the one snapshot path: worker -> controller -> window -> SnapshotFrames -> views.

Snapshots arrive up to ~30 times a second; SnapshotFrames keeps only the newest (and the newest
with a boundary grid) and draws on the next frame. Cheap parts (counters, figures) are drawn every
frame, the costly views at their own bounded rates, and only when they have something new.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from app.network.view import NetworkView
from app.panels.output_panel import OutputPanel
from core.training.snapshot import RunState

# Redraw budgets while training: the counters follow every snapshot (<= 30/s); slower-moving views
# are refreshed less often, so the GUI thread leaves the interpreter to the trainer.
LOSS_PLOT_HZ = 3.0
NETWORK_HZ = 3.0
FIGURES_HZ = 10.0
CONFUSION_HZ = 4.0
VIEWS_HZ = 5.0  # the modality panels' probe pictures (sequences)
GRID_VIEWS_HZ = 4.0  # the modality panels' per-grid pictures (image gallery, class bars, autoencoder):
                     # grids come at up to 8 a second on a fast machine, these need not follow each


class SnapshotFrames(QObject):
    """Draws the newest snapshot on the output panel's views and the network diagram, once a frame."""

    drawing = Signal(object)   # a Snapshot about to be drawn: the counters follow it every frame
    drawn = Signal(object)     # a Snapshot that has just been drawn

    def __init__(self, output: OutputPanel, network: NetworkView, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._output = output
        self._network = network
        self.latest = None                    # the newest snapshot
        self.redraw_count = 0
        self._pending_grid = None             # the newest snapshot with a boundary grid, not yet drawn
        self._network_grid = None
        self._views_grid = None               # the newest grid snapshot the modality views have not shown
        self._pending_views = None            # the newest snapshot with probe pictures, not yet drawn
        self._last_drawn = {"loss": 0.0, "network": 0.0, "confusion": 0.0, "figures": 0.0, "views": 0.0,
                            "grid_views": 0.0}
        # 1 ms, not 0: a zero timer runs before due timers (as a posted event), so a draw right after a
        # long slot (a new data set shown) would join it in one stall; a real timer waits its turn
        self.timer = QTimer(self, singleShot=True, interval=1)
        self.timer.timeout.connect(self.draw)

    def take(self, snap: Any) -> None:
        """Keep the history and remember the snapshot; draw on the next frame."""
        self._output.loss_plot.append(snap.history)
        self._output.loss_plot.set_best_epoch(snap.best_epoch)
        if snap.boundary is not None or snap.test_predictions is not None or snap.views:
            self._pending_grid = snap
        if snap.views:
            self._pending_views = snap
        self.latest = snap
        if not self.timer.isActive():
            self.timer.start()

    def clear(self, dataset: Any) -> None:
        """Epoch 0, empty curves, no boundary yet: what a fresh run looks like."""
        self.latest = None
        self._pending_grid = None
        self._network_grid = None
        self._views_grid = None
        self._pending_views = None
        self._output.loss_plot.reset()
        self._output.boundary_view.clear_boundary()
        self._output.autoencoder_views.clear()
        self._network.clear_snapshot()
        self._output.clear_figures()
        self._output.clear_views()
        if dataset is not None:
            self._output.confusion_view.set_classes(
                tuple(dataset.class_names) if dataset.task == "classification" else ())

    def draw(self) -> None:
        """Draw the latest snapshot (see the module docstring for what is drawn how often)."""
        snap = self.latest
        if snap is None:
            return
        output, last = self._output, self._last_drawn
        now = time.perf_counter()
        settled = snap.state != RunState.running  # paused, stepped, diverged: show everything now
        self.drawing.emit(snap)
        if settled or now - last["figures"] >= 1.0 / FIGURES_HZ:
            output.show_figures(snap)
            last["figures"] = now
        if settled or now - last["loss"] >= 1.0 / LOSS_PLOT_HZ:
            if output.loss_plot.refresh():
                last["loss"] = now
        grid = self._pending_grid
        if grid is not None:
            self._pending_grid = None
            self._network_grid = grid
            if output.boundary_view.isVisibleTo(output):  # behind a modality's views: a new run redraws it
                output.boundary_view.update_snapshot(grid)
            self._views_grid = grid
        if self._views_grid is not None and (settled or now - last["grid_views"] >= 1.0 / GRID_VIEWS_HZ):
            output.update_views(self._views_grid)
            self._views_grid = None
            last["grid_views"] = now
        if settled or now - last["network"] >= 1.0 / NETWORK_HZ:
            # the newest grid (thumbnails) first; then the newest weights (links) if newer
            if self._network_grid is not None:
                self._network.update_snapshot(self._network_grid)
            if self._network_grid is not snap:
                self._network.update_snapshot(snap)
            self._network_grid = None
            last["network"] = now
        if settled or now - last["confusion"] >= 1.0 / CONFUSION_HZ:
            output.confusion_view.set_matrix(snap.confusion)
            last["confusion"] = now
        if self._pending_views is not None and (settled or now - last["views"] >= 1.0 / VIEWS_HZ):
            output.show_views(self._pending_views)
            self._pending_views = None
            last["views"] = now
        self.redraw_count += 1
        self.drawn.emit(snap)
