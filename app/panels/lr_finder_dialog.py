"""Train ▸ Find learning rate: the loss-vs-rate sweep of core/training/lr_finder.py, off the GUI thread.

The copies of the model and optimizer are taken on the run thread between two epochs (so no weight
is read while the optimizer changes it); the sweep then runs on its own thread and the live run goes
on untouched. Apply sets the learning rate as the bar's combo does (live, no reset).
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np
from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPushButton, QVBoxLayout, QWidget

from app.look import texts
from app.look.plotting import pg
from app.look.widgets import named

PREPARE_TIMEOUT_S = 30.0  # waiting for the run thread's next safe point


class _SweepThread(QThread):
    """Gets the copies (from the run thread, or a fresh Trainer when nothing trains yet) and sweeps."""

    progressed = Signal(int, int)
    found = Signal(object)   # core.training.lr_finder.Finding
    failed = Signal(str)

    def __init__(self, controller: Any) -> None:
        super().__init__()
        self.cancelled = threading.Event()
        from core.training import lr_finder

        self._future = None
        if controller.worker.running:
            self._future = controller.worker.call_between_epochs(lr_finder.prepare)
        self._spec, self._dataset = controller.spec, controller.dataset

    def run(self) -> None:  # noqa: D401 - QThread API
        from core.training import lr_finder

        try:
            setup = None
            if self._future is not None:
                try:
                    setup = self._future.result(timeout=PREPARE_TIMEOUT_S)
                except RuntimeError:
                    setup = None  # the run ended before its network was built: start from the spec
            if setup is None:
                from core.training.trainer import Trainer

                setup = lr_finder.prepare(Trainer(self._spec, dataset=self._dataset))
            finding = lr_finder.sweep(setup, progress=self._progress)
        except Exception as err:  # noqa: BLE001 - shown in the dialog, never kills Qt
            self.failed.emit(f"The learning-rate finder failed: {type(err).__name__}: {err}")
            return
        if not self.cancelled.is_set():
            self.found.emit(finding)

    def _progress(self, step: int, steps: int) -> bool:
        self.progressed.emit(step, steps)
        return not self.cancelled.is_set()


class LRFinderDialog(QDialog):
    """The curve (log rate axis), the suggested rate and Apply."""

    applied = Signal(float)

    def __init__(self, controller: Any, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lrFinderDialog")
        self.setWindowTitle("Find a learning rate")
        self.controller = controller
        self.finding = None
        layout = QVBoxLayout(self)
        intro = QLabel("Trains a copy of the network for 100 minibatches while the learning rate grows from "
                       "1e-7 to 10 (fastai's lr_find). The suggestion is the rate of the lowest smoothed loss "
                       "divided by 10. Your network is not changed.")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.plot = pg.PlotWidget()
        self.plot.setObjectName("lrFinderPlot")
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "learning rate")
        self.plot.setLabel("left", "loss (smoothed)")
        self.plot.setMinimumSize(420, 260)
        self.raw_curve = self.plot.plot(pen=pg.mkPen(200, 200, 200))
        self.curve = self.plot.plot(pen=pg.mkPen(30, 90, 200, width=2))
        self.marker = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen(230, 120, 0, width=2))
        self.marker.setVisible(False)
        self.plot.addItem(self.marker, ignoreBounds=True)
        layout.addWidget(self.plot)
        self.status = named(QLabel("Sweeping…"), "lrFinderStatus", "Finder status", "")
        self.status.setWordWrap(True)
        layout.addWidget(self.status)
        buttons = QDialogButtonBox()
        self.apply_button = named(QPushButton("Apply"), "applyLrButton", "Apply the suggested learning rate",
                                  "Use the suggested rate from now on (no reset).")
        self.apply_button.setEnabled(False)
        buttons.addButton(self.apply_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.apply_button.clicked.connect(self.apply)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._thread = _SweepThread(controller)
        self._thread.progressed.connect(self._on_progress)
        self._thread.found.connect(self._on_found)
        self._thread.failed.connect(self._on_failed)
        self._thread.start()

    def _on_progress(self, step: int, steps: int) -> None:
        self.status.setText(f"Sweeping… step {step} of {steps}")

    def _on_found(self, finding: Any) -> None:
        self.finding = finding
        self.raw_curve.setData(finding.lrs, finding.losses)
        self.curve.setData(finding.lrs, finding.smoothed)
        finite = finding.smoothed[np.isfinite(finding.smoothed)]
        if len(finite):
            top = min(float(finite.max()), 4 * float(finite.min()) + 1e-9)
            self.plot.setYRange(float(finite.min()), top)
        if not finding.falls:
            self.status.setText(f"No suggestion: {finding.note}.")
            return
        self.marker.setValue(math.log10(finding.suggestion))
        self.marker.setVisible(True)
        self.status.setText(f"Suggested learning rate: {texts.format_rate(finding.suggestion)} (lowest smoothed "
                            f"loss at {texts.format_rate(10 * finding.minimum_tenth)}, / 10; steepest descent at "
                            f"{texts.format_rate(finding.steepest)}).")
        self.apply_button.setEnabled(True)

    def _on_failed(self, message: str) -> None:
        self.status.setText(message)

    @property
    def suggestion(self) -> float | None:
        return self.finding.suggestion if self.finding is not None and self.finding.falls else None

    def apply(self) -> None:
        """Emit the suggestion rounded to two significant digits (0.129155 -> 0.13), then close."""
        if self.suggestion is not None:
            self.applied.emit(float(f"{self.suggestion:.2g}"))
            self.accept()

    def done(self, result: int) -> None:  # noqa: D401 - QDialog API: every way of closing ends here
        self.stop()
        super().done(result)

    def stop(self) -> None:
        """Cancel the sweep and wait for its thread (closing, tests' teardown)."""
        self._thread.cancelled.set()
        self._thread.wait()
