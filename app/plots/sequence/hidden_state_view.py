"""hiddenStateView: a recurrent layer's hidden states for the focused sequence, units (rows) × time
steps (columns), on a fixed diverging scale (tanh states live in [-1, 1]), redrawn live."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QLabel, QVBoxLayout, QHBoxLayout, QWidget

from app.look import colormaps
from app.look.widgets import named


class HiddenStateView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("hiddenStateView")
        self.setAccessibleName("Hidden states")
        self.setToolTip("Each row is one hidden unit, each column a time step of the selected sequence: "
                        "blue positive, orange negative. Watch what the units keep as the sequence goes on.")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        row = QHBoxLayout()
        self.caption = QLabel("HIDDEN STATES")
        self.caption.setObjectName("groupCaption")
        row.addWidget(self.caption, 1)
        self.layer_combo = named(QComboBox(), "hiddenLayerCombo", "Recurrent layer",
                                 "Which recurrent layer's hidden states to show.")
        self.layer_combo.activated.connect(lambda _i: self._draw())
        row.addWidget(self.layer_combo)
        layout.addLayout(row)
        self.plot = pg.PlotWidget(background="w")
        self.plot.setMinimumSize(160, 80)
        item = self.plot.getPlotItem()
        item.setMenuEnabled(False)
        item.setLabel("bottom", "time step")
        item.setLabel("left", "unit")
        item.invertY(True)
        self.image = pg.ImageItem(axisOrder="row-major")
        self.image.setLookupTable(colormaps.diverging_lut())
        item.addItem(self.image)
        layout.addWidget(self.plot, 1)
        self.empty = QLabel("No recurrent layer: add an RNN, LSTM or GRU to see its hidden states.")
        self.empty.setWordWrap(True)
        layout.addWidget(self.empty)
        self.states: Mapping[str, np.ndarray] = {}
        self.images_drawn = 0

    def clear_view(self) -> None:
        self.states = {}
        self.image.clear()
        self.layer_combo.clear()

    def set_states(self, states: Mapping[str, np.ndarray]) -> None:
        """Each recurrent layer's (units, T) states, by model part name."""
        self.states = dict(states)
        names = list(self.states)
        if [self.layer_combo.itemText(i) for i in range(self.layer_combo.count())] != names:
            current = self.layer_combo.currentText()
            self.layer_combo.clear()
            self.layer_combo.addItems(names)
            if current in names:
                self.layer_combo.setCurrentText(current)
            elif names:
                self.layer_combo.setCurrentIndex(len(names) - 1)
        self.layer_combo.setVisible(len(names) > 1)
        self.empty.setVisible(not names)
        self.plot.setVisible(bool(names))
        self._draw()

    def shown_states(self) -> np.ndarray | None:
        return self.states.get(self.layer_combo.currentText())

    def _draw(self) -> None:
        states = self.shown_states()
        if states is None:
            self.image.clear()
            return
        limit = max(1.0, float(np.max(np.abs(states)))) if states.size else 1.0  # tanh: 1; LSTM cells can exceed
        self.image.setImage(np.asarray(states, np.float32), levels=(-limit, limit), autoLevels=False)
        units, steps = states.shape
        self.image.setRect(0.5, -0.5, steps, units)  # columns at time steps 1..T, rows at units 0..units-1
        self.images_drawn += 1
