"""The sequence panel: what the output panel shows instead of the boundary for sequence data.

Top: the focused sequence (sequenceView) beside its hidden states (hiddenStateView); below, as tabs:
for classification the gallery of test sequences (click = focus), and gradient norms (gradientView). Buttons
add a recurrent layer to the network (the spec is changed by the controller, not here).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSplitter, QTabWidget, QVBoxLayout, QWidget
from PySide6.QtCore import Qt

from app.look.widgets import named
from app.plots.sequence.gallery import SequenceGallery
from app.plots.sequence.gradient_view import GradientView
from app.plots.sequence.hidden_state_view import HiddenStateView
from app.plots.sequence.sequence_view import SequenceView

LAYER_BUTTONS = (("rnn", "+ RNN"), ("lstm", "+ LSTM"), ("gru", "+ GRU"))


class SequencePanel(QWidget):
    focusRequested = Signal(int)   # a test row to show in the per-sample views
    layerRequested = Signal(str)   # "rnn", "lstm" or "gru": add one to the network
    split_sizes = (620, 200)       # the output panel's splitter: several plots above, the curves below
    plots_min_height = 180

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sequencePanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel("Add a recurrent layer:"))
        self.layer_buttons: dict[str, QPushButton] = {}
        for kind, text in LAYER_BUTTONS:
            button = named(QPushButton(text), f"add_{kind}_button", f"Add {kind.upper()} layer",
                           f"Add a {kind.upper()} layer after the network's sequence layers (the one before "
                           "it then passes on its whole sequence).")
            button.clicked.connect(lambda _=False, k=kind: self.layerRequested.emit(k))
            buttons.addWidget(button)
            self.layer_buttons[kind] = button
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.sequence_view = SequenceView()
        self.hidden_view = HiddenStateView()
        self.gradient_view = GradientView()
        self.gallery = SequenceGallery()
        self.gallery.focusRequested.connect(self.focusRequested)
        top = QSplitter(Qt.Orientation.Horizontal)
        top.addWidget(self.sequence_view)
        top.addWidget(self.hidden_view)
        top.setSizes([500, 350])
        # gradients and the gallery share the lower half as tabs: side by side they were too narrow
        bottom = self.tabs = QTabWidget()
        bottom.setObjectName("sequenceTabs")
        bottom.addTab(self.gallery, "Test sequences")
        bottom.addTab(self.gradient_view, "Gradients")
        grid = QSplitter(Qt.Orientation.Vertical)
        grid.addWidget(top)
        grid.addWidget(bottom)
        grid.setSizes([300, 220])
        layout.addWidget(grid, 1)
        self.views_drawn = 0

    def set_dataset(self, dataset: Any) -> None:
        """A new data set: clear the pictures; classification gets the gallery of its test sequences."""
        self.sequence_view.clear_view()
        self.hidden_view.clear_view()
        self.gradient_view.clear_view()
        classification = dataset.task == "classification"
        self.tabs.setTabVisible(self.tabs.indexOf(self.gallery), classification)
        self.tabs.setCurrentWidget(self.gallery if classification else self.gradient_view)
        if classification:
            steps = dataset.input_shape[0]
            raw = np.asarray(dataset.raw_test, np.float32).reshape(len(dataset.raw_test), steps, -1)[:, :, 0]
            self.gallery.set_sequences(raw, dataset.y_test, tuple(dataset.class_names))
        self.gallery.set_focused(0)

    def clear(self) -> None:
        """A fresh run: the pictures wait for its first snapshot."""
        self.hidden_view.clear_view()
        self.gradient_view.clear_view()
        self.sequence_view.clear_view()

    def show_snapshot(self, snap: Any) -> None:
        view: Mapping[str, Any] | None = (snap.views or {}).get("sequence")
        if not view or "error" in view:
            return
        self.sequence_view.show_view(view)
        self.hidden_view.set_states(view.get("hidden", {}))
        self.gradient_view.show_view(view)
        if snap.test_predictions is not None and self.tabs.isTabVisible(self.tabs.indexOf(self.gallery)):
            self.gallery.set_predictions(snap.test_predictions)
        self.views_drawn += 1
