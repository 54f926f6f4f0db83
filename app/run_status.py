"""The status bar's run readouts (device and engine, epoch, speed) and the run's passing notices.

The window composes one RunStatus. It keeps each start-up phase, a slow-start notice and the
torch-engine notice in the status bar or the banner just as long as they are true, and the epoch and
speed figures of the top bar and the status bar in step. What the user is told goes out as `message`,
for the window's own `show_message` (its record of messages).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLabel, QStatusBar

from app.panels.controls_bar import ControlsBar
from app.panels.message_bar import MessageBar
from app.panels.speed_readout import SpeedReadout
from core.training.snapshot import RunState


class RunStatus(QObject):
    """Adds the device, epoch and rate labels to `bar`; the window forwards the run's events."""

    message = Signal(str, str)  # text, level: something to tell the user (the window's show_message)

    def __init__(self, bar: QStatusBar, controls: ControlsBar, banner: MessageBar,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bar = bar
        self._controls = controls
        self._banner = banner
        self.speed = SpeedReadout()  # the one steps/s figure both bars show
        self.engine_notice = ""  # why the torch engine runs, as last shown ("" on the fused engine)
        self._notice = ""  # a run notice still in the status bar, cleared by the run's first epochs
        self._progress = ""  # the start-up phase shown in the status bar, replaced by the first snapshot
        self.device_status = QLabel("Device: –")
        self.device_status.setObjectName("deviceStatus")
        self.epoch_status = QLabel("Epoch 0")
        self.epoch_status.setObjectName("epochStatus")
        self.rate_status = QLabel("")
        self.rate_status.setObjectName("rateStatus")
        for label, widest in ((self.device_status, "Device: cuda:0 · fused"),
                              (self.epoch_status, "Epoch 0,000,000,000"),
                              (self.rate_status, "0,000,000 steps/s · 000,000 epochs/s")):
            label.setMinimumWidth(label.fontMetrics().horizontalAdvance(widest) + 20)
            label.setFixedHeight(label.fontMetrics().height() + 4)
            label.setMaximumWidth(label.minimumWidth())
            bar.addPermanentWidget(label)

    # --- the figures ----------------------------------------------------------------------------
    def restart(self) -> None:
        """Epoch 0 and no speed: what a fresh run shows."""
        self.show_epoch(0)
        self.speed.reset()
        self.show_speed()

    def show_epoch(self, epoch: int) -> None:
        self._controls.set_epoch(epoch)
        self.epoch_status.setText(f"Epoch {epoch:,}")

    def show_counters(self, snap: Any) -> None:
        """Every frame: the epoch and speed of the snapshot drawn."""
        self.show_epoch(snap.epoch)
        self.show_speed()

    def show_speed(self) -> None:
        text = self.speed.text
        self._controls.set_rate_text(self.speed.short_text, text)
        self.rate_status.setText(text)

    # --- the run's events -----------------------------------------------------------------------
    def progress(self, text: str) -> None:
        """A start-up phase (loading torch, compiling ...), shown until the first snapshot."""
        self._progress = text
        if not self._notice:  # a slow-compile notice says more; keep it
            self._bar.showMessage(text)

    def notice(self, text: str) -> None:
        """Why nothing moves yet, shown until the run's first epochs."""
        self._notice = text
        self.message.emit(text, "info")

    def snapshot_arrived(self, snap: Any, playing: bool) -> None:
        """Start-up phases and notices are over once a snapshot comes; it also feeds the speed."""
        if self._notice and snap.history:  # the notice said why nothing moved; now it moves
            if self._bar.currentMessage() == self._notice:
                self._bar.clearMessage()
            self._notice = ""
        if self._progress:  # the run is ready: the start-up phases are over
            if self._bar.currentMessage() in (self._progress, "Loading PyTorch…"):
                if playing:
                    self._bar.clearMessage()
                else:
                    self._bar.showMessage("Ready: press Play (Space) to train.", 5000)
            self._progress = ""
        self.speed.observe(snap.epoch, snap.step, snap.state == RunState.running)

    def playing_changed(self, playing: bool) -> None:
        if playing and self._bar.currentMessage().startswith("Ready: press Play"):
            self._bar.clearMessage()  # done as it said

    def run_started(self, info: dict) -> None:
        """The device and engine the run got; a device note as a warning, else the engine notice."""
        device = info.get("device", "?")
        engine = info.get("engine", "")
        self.device_status.setText(f"Device: {device}" + (f" · {engine}" if engine else ""))
        notice = info.get("engine_notice") or ""
        self.device_status.setToolTip(notice or (f"Training on the {engine} engine." if engine else ""))
        note = info.get("device_note") or ""
        if note:
            self.message.emit(note, "warning")
        self._show_engine_notice(notice, banner=not note)

    def _show_engine_notice(self, notice: str, banner: bool) -> None:
        """Say once, in the banner, why training runs on the slower torch engine; take it away
        when a change brings the fast engine back."""
        previous, self.engine_notice = self.engine_notice, notice
        if notice == previous:
            return
        if previous and self._banner.text == previous:
            self._banner.dismiss()
        if notice and banner:
            self.message.emit(notice, "info")
            self._banner.show_message(notice, "info")

    # --- passing words --------------------------------------------------------------------------
    def show_status(self, text: str, timeout_ms: int) -> None:
        """The controller's status line ("" clears it)."""
        if text:
            self._bar.showMessage(text, timeout_ms)
        else:
            self._bar.clearMessage()

    def show_hint(self, text: str) -> None:
        """A short-lived hint (the hovered epoch); nothing for ''."""
        if text:
            self._bar.showMessage(text, 4000)
