"""The stop conditions (spec.stop and, with 'Stop at epochs', spec.epochs): a button in the controls
bar whose menu holds the form. Every change applies live, without a reset (core/training/stopping.py)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (QCheckBox, QDoubleSpinBox, QFormLayout, QMenu, QSpinBox, QToolButton, QWidget,
                               QWidgetAction)

from app.look.widgets import Blocked, named
from core.spec import Experiment, Task

TIP = ("When training stops by itself: at an epoch limit, at a target test accuracy or loss, or after "
       "'patience' epochs without a lower test loss; 'restore best' then ends on the best epoch's weights. "
       "Applies at once, no reset.")


class StopConditions(QToolButton):
    """Shows a summary ('never', 'patience 60, best'); its menu edits the conditions."""

    stopChanged = Signal(dict)   # the new spec.stop as a dict
    epochsChanged = Signal(int)  # spec.epochs (where 'Stop at epochs' stops)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        named(self, "stopConditions", "Stop conditions", TIP)
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setStyleSheet("QToolButton { padding-right: 14px; }")  # room for the menu arrow beside the text
        form_host = QWidget()
        form = QFormLayout(form_host)
        form.setContentsMargins(10, 8, 10, 8)
        self.at_epochs = named(QCheckBox("Stop at epochs"), "stopAtEpochsCheck", "Stop at epochs",
                               "Stop when the epoch counter reaches this (otherwise the window trains until you pause).")
        self.epochs = named(QSpinBox(), "stopEpochsSpin", "Epoch limit", "The epoch to stop at.")
        self.epochs.setRange(1, 10_000_000)
        self.accuracy_on = named(QCheckBox("Target test accuracy (%)"), "targetAccuracyCheck",
                                 "Target test accuracy", "Stop at the first epoch whose test accuracy reaches this.")
        self.accuracy = named(QDoubleSpinBox(), "targetAccuracySpin", "Target test accuracy in percent", "")
        self.accuracy.setRange(0.1, 100.0)
        self.accuracy.setDecimals(1)
        self.loss_on = named(QCheckBox("Target test loss"), "targetLossCheck", "Target test loss",
                             "Stop at the first epoch whose test loss is at or below this.")
        self.loss = named(QDoubleSpinBox(), "targetLossSpin", "Target test loss", "")
        self.loss.setRange(0.0, 1e6)
        self.loss.setDecimals(4)
        self.loss.setSingleStep(0.01)
        self.patience_on = named(QCheckBox("Patience (epochs)"), "patienceCheck", "Patience",
                                 "Stop after this many epochs without a new lowest test loss.")
        self.patience = named(QSpinBox(), "patienceSpin", "Patience in epochs", "")
        self.patience.setRange(1, 10_000_000)
        self.restore_best = named(QCheckBox("Restore the best epoch's weights"), "restoreBestCheck",
                                  "Restore best", "When the run stops by patience or at the epoch limit, go back "
                                  "to the weights of the epoch with the lowest test loss (Keras' restore_best_weights).")
        for check, spin in ((self.at_epochs, self.epochs), (self.accuracy_on, self.accuracy),
                            (self.loss_on, self.loss), (self.patience_on, self.patience)):
            spin.setKeyboardTracking(False)
            form.addRow(check, spin)
            check.toggled.connect(self._changed)
            spin.valueChanged.connect(self._changed)
        form.addRow(self.restore_best)
        self.restore_best.toggled.connect(self._changed)
        menu = QMenu(self)
        action = QWidgetAction(menu)
        action.setDefaultWidget(form_host)
        menu.addAction(action)
        self.setMenu(menu)
        self._epochs = 100
        self._regression = False
        self.set_spec(Experiment())

    def _widgets(self) -> tuple:
        return (self.at_epochs, self.epochs, self.accuracy_on, self.accuracy, self.loss_on, self.loss,
                self.patience_on, self.patience, self.restore_best)

    def stop_dict(self) -> dict[str, Any]:
        """spec.stop as the form shows it."""
        return {"target_test_accuracy": round(self.accuracy.value() / 100, 6) if self.accuracy_on.isChecked()
                and not self._regression else None,
                "target_test_loss": self.loss.value() if self.loss_on.isChecked() else None,
                "patience": self.patience.value() if self.patience_on.isChecked() else None,
                "restore_best": self.restore_best.isChecked(), "at_epochs": self.at_epochs.isChecked()}

    def _changed(self, *_: Any) -> None:
        self._enable()
        if self.epochs.value() != self._epochs:
            self._epochs = self.epochs.value()
            self.epochsChanged.emit(self._epochs)
        self.stopChanged.emit(self.stop_dict())
        self._summarise()

    def _enable(self) -> None:
        for check, spin in ((self.at_epochs, self.epochs), (self.accuracy_on, self.accuracy),
                            (self.loss_on, self.loss), (self.patience_on, self.patience)):
            spin.setEnabled(check.isChecked())
        self.accuracy_on.setEnabled(not self._regression)

    def _summarise(self) -> None:
        stop = self.stop_dict()
        parts = []
        if stop["at_epochs"]:
            parts.append(f"at {self.epochs.value():,}")
        if stop["target_test_accuracy"] is not None:
            parts.append(f"acc {self.accuracy.value():g} %")
        if stop["target_test_loss"] is not None:
            parts.append(f"loss {self.loss.value():g}")
        if stop["patience"] is not None:
            parts.append(f"patience {stop['patience']}")
        if stop["restore_best"]:
            parts.append("best")
        self.setText("Stop: " + (", ".join(parts) if parts else "never"))

    def set_spec(self, spec: Experiment) -> None:
        """Show spec.stop and spec.epochs without emitting changes."""
        stop = spec.stop
        self._regression = spec.task != Task.classification  # regression and autoencoders have no accuracy
        with Blocked(self._widgets()):
            self.at_epochs.setChecked(stop.at_epochs)
            self.epochs.setValue(spec.epochs)
            self.accuracy_on.setChecked(stop.target_test_accuracy is not None)
            self.accuracy.setValue(100 * (stop.target_test_accuracy or 0.99))
            self.loss_on.setChecked(stop.target_test_loss is not None)
            self.loss.setValue(stop.target_test_loss if stop.target_test_loss is not None else 0.05)
            self.patience_on.setChecked(stop.patience is not None)
            self.patience.setValue(stop.patience or 60)
            self.restore_best.setChecked(stop.restore_best)
        self._epochs = spec.epochs
        self._enable()
        self._summarise()
