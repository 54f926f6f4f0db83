"""The network diagram of the playground window: columns of live neuron thumbnails and weighted links.

NetworkView only shows and asks: its buttons emit requests (add a layer, change units, activation,
options, a typed weight) and the owner edits the spec, then calls `set_structure` back. Snapshots
arrive through `update_snapshot`, which only swaps images and link pens (no rebuild).

Indices in signals are 0-based. `layer` in `neuronHovered` is the index into the Snapshot array
that holds that neuron's grid: input -> 0 (unit indexes `input_outputs`), hidden -> k (indexes
`neuron_outputs[k]`), output -> number of hidden layers (the output of `boundary`). `layer` in
`weightEdited` is the Linear layer index of `Snapshot.weights` / `TrainingControl.set_weight`.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, QRectF, QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import (QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QToolButton, QVBoxLayout,
                               QWidget)

from app.network.layer_header import LayerHeader
from app.network.canvas import MAX_DRAWN, NetworkCanvas
from app.look.widgets import named
from core.nn.layers import LAYER_TYPES
from core.training.snapshot import Snapshot
from core.spec import LayerSpec

MAX_LAYERS = 256  # Experiment.layers max_length

_STYLE = """
#networkView, #networkCanvas, #networkScroll, #networkScroll > QWidget > QWidget { background: #ffffff; }
#networkView QToolButton {
    border: 1px solid #c8cdd3; border-radius: 11px; background: #f5f6f8; color: #30343b;
    min-width: 20px; min-height: 20px; max-height: 22px; padding: 0px 2px; font-weight: bold;
}
#networkView QToolButton:hover { background: #e7eaee; border-color: #9aa3ad; }
#networkView QToolButton:pressed { background: #d9dde2; }
#networkView QToolButton:disabled { color: #b9bec5; border-color: #e0e3e7; background: #fafbfc; }
#networkView QToolButton::menu-indicator { image: none; width: 0px; }
#networkView QToolButton[active="true"] { background: #dbeaf6; border-color: #0877bd; color: #0877bd; }
#networkView QComboBox { min-height: 18px; }
#networkView #unitsLabel { color: #30343b; }
#networkView #optionsLabel { color: #0877bd; font-size: 7pt; }
#networkView #layerCountLabel { color: #30343b; font-weight: bold; }
#networkView #weightEditor { border: 1px solid #0877bd; border-radius: 4px; padding: 1px 4px; background: #ffffff; }
"""


class NetworkView(QWidget):
    """The network diagram; see the module docstring for what each index means."""

    neuronHovered = Signal(str, int, int)          # kind ("input"/"hidden"/"output"), layer, unit
    neuronUnhovered = Signal()
    weightEdited = Signal(int, int, int, float)    # linear layer, out_index, in_index, value
    unitsChanged = Signal(int, int)                # hidden layer, requested units
    activationChanged = Signal(int, str)           # hidden layer, Activation value
    layerOptionsChanged = Signal(int, float, str)  # hidden layer, dropout, Norm value
    addLayerRequested = Signal()
    removeLayerRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("networkView")
        self.setAccessibleName("Network diagram")
        self.setToolTip("")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(_STYLE)
        self._n_hidden = 0

        self.add_layer_button = self._layer_button(
            "+", "addLayerButton", "Add hidden layer",
            "Add a hidden layer: depth lets the network combine shapes into more complex boundaries "
            "(changing the network resets the weights).")
        self.remove_layer_button = self._layer_button(
            "−", "removeLayerButton", "Remove hidden layer",
            "Remove the last hidden layer: a shallower network is simpler and trains faster.")
        self.layer_count_label = QLabel()
        self.layer_count_label.setObjectName("layerCountLabel")
        self.layer_count_label.setAccessibleName("Number of hidden layers")
        self.layer_type_combo = named(QComboBox(), "layerTypeCombo", "Type of the layer to add",
                                      "The type of layer the + button adds: dense neurons, or for images "
                                      "convolution, pooling, flatten ... (image layers go before the first "
                                      "flat layer, where they fit).")
        self.layer_type_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.set_layer_types(["dense"])
        self.add_layer_button.clicked.connect(self.addLayerRequested)
        self.remove_layer_button.clicked.connect(self.removeLayerRequested)

        bar = QHBoxLayout()
        bar.setContentsMargins(10, 6, 10, 0)
        bar.setSpacing(6)
        bar.addWidget(self.add_layer_button)
        bar.addWidget(self.remove_layer_button)
        bar.addSpacing(4)
        bar.addWidget(self.layer_count_label)
        bar.addSpacing(8)
        bar.addWidget(self.layer_type_combo)  # after the count: its showing up moves nothing
        bar.addStretch(1)

        self.canvas = NetworkCanvas()
        self.scroll = QScrollArea()
        self.scroll.setObjectName("networkScroll")
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(self.canvas)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(bar)
        layout.addWidget(self.scroll, 1)

        self.canvas.neuronHovered.connect(self.neuronHovered)
        self.canvas.neuronUnhovered.connect(self.neuronUnhovered)
        self.canvas.weightEdited.connect(self.weightEdited)
        self.set_structure([], ["x1", "x2"], 1, True)

    def _layer_button(self, text: str, name: str, accessible: str, tip: str) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setObjectName(name)
        button.setAccessibleName(accessible)
        button.setToolTip(tip)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        return button

    # --- public API -----------------------------------------------------------------------------
    def set_layer_types(self, names: list[str]) -> None:
        """The types the + button offers (those that fit the data, core.spec.insert.fitting_types),
        from the LAYER_TYPES records; the choice is kept when still offered. One type hides the combo."""
        current = self.layer_type() if self.layer_type_combo.count() else "dense"
        with QSignalBlocker(self.layer_type_combo):
            self.layer_type_combo.clear()
            for name in names:
                record = LAYER_TYPES[name]
                self.layer_type_combo.addItem(record.label, name)
                self.layer_type_combo.setItemData(self.layer_type_combo.count() - 1, record.tip,
                                                  Qt.ItemDataRole.ToolTipRole)
            self.layer_type_combo.setCurrentIndex(max(0, self.layer_type_combo.findData(current)))
        self.layer_type_combo.setVisible(len(names) > 1)

    def layer_type(self) -> str:
        """The layer type the + button adds now."""
        return str(self.layer_type_combo.currentData() or "dense")

    def set_structure(self, layer_specs: list[LayerSpec], input_names: list[str], n_outputs: int,
                      planar: bool, *, regression: bool = False, output_names: list[str] | None = None,
                      shapes: list | None = None, input_shape: tuple[int, ...] | None = None) -> None:
        """Redraw for a new architecture. `regression` picks the output colours; `output_names`
        labels the output units (class names for multi-class); `input_shape` (C, H, W) draws image
        layers as columns of feature maps (app.network.feature_maps)."""
        if not input_names:
            raise ValueError("NetworkView.set_structure needs at least one input name")
        if n_outputs < 1:
            raise ValueError(f"NetworkView.set_structure needs n_outputs >= 1, got {n_outputs}")
        self._n_hidden = len(layer_specs)
        labels = list(output_names) if output_names and n_outputs > 1 else []
        self.canvas.set_structure(list(layer_specs), list(input_names), n_outputs, planar, regression, labels,
                                  shapes, input_shape)
        for header in self.canvas.headers:
            if not header.property("forwarded"):
                header.unitsChanged.connect(self.unitsChanged)
                header.activationChanged.connect(self.activationChanged)
                header.layerOptionsChanged.connect(self.layerOptionsChanged)
                header.setProperty("forwarded", True)
        n = self._n_hidden
        self.layer_count_label.setText(f"{n} hidden layer" + ("" if n == 1 else "s"))
        self.remove_layer_button.setEnabled(n > 0)
        self.add_layer_button.setEnabled(n < MAX_LAYERS)

    def update_snapshot(self, snapshot: Snapshot) -> bool:
        """Show a snapshot's thumbnails and weights. Returns False (and changes nothing) when its
        shapes do not match the current structure, e.g. a late snapshot from before a change."""
        return self.canvas.update_snapshot(snapshot)

    def clear_snapshot(self) -> None:
        """Back to grey nodes and links (e.g. after a reset, until the first snapshot)."""
        self.canvas.clear_snapshot()

    def edit_link(self, layer: int, out_index: int, in_index: int, value: float) -> None:
        """Set a weight as if typed by the user: redraws the link and emits weightEdited."""
        self.canvas.edit_link(layer, out_index, in_index, value)

    def begin_edit_link(self, layer: int, out_index: int, in_index: int) -> None:
        """Open the inline weight editor on a drawn link (what clicking the link does)."""
        self.canvas.begin_edit_link(layer, out_index, in_index)

    def header(self, layer: int) -> LayerHeader:
        """The controls of hidden layer `layer` (0-based)."""
        return self.canvas.headers[layer]

    @property
    def hidden_layer_count(self) -> int:
        return self._n_hidden

    def drawn_units(self, kind: str, layer: int) -> int:
        """How many neurons of that column are drawn (at most MAX_DRAWN)."""
        return len(self.canvas._columns[self.canvas.column_index(kind, layer)].rects)

    def hidden_units_text(self, kind: str, layer: int) -> str:
        """The '+N more' caption of a column, or '' when every neuron is drawn."""
        column = self.canvas._columns[self.canvas.column_index(kind, layer)]
        return f"+{column.hidden_count} more" if column.hidden_count else ""

    def node_rect(self, kind: str, layer: int, unit: int) -> QRectF:
        """Where a neuron is drawn, in `canvas` coordinates."""
        return self.canvas.node_rect(kind, layer, unit)

    def link_anchor(self, layer: int, out_index: int, in_index: int) -> QPointF:
        """A point (in `canvas` coordinates) where hovering or clicking picks that drawn link."""
        return self.canvas.link_anchor(layer, out_index, in_index)

    def tooltip_at(self, pos: QPointF) -> str:
        """The tooltip the canvas shows at `pos` (canvas coordinates)."""
        return self.canvas.tooltip_at(pos)


def grid_for(snapshot: Snapshot, kind: str, layer: int, unit: int) -> np.ndarray | None:
    """The (res, res) grid of the neuron named by a neuronHovered signal, or None if not in `snapshot`.

    For the output of a multi-class model this is the class-index boundary for every unit.
    """
    if kind == "input":
        grids = snapshot.input_outputs
        return None if grids is None or unit >= len(grids) else np.asarray(grids[unit])
    if kind == "hidden":
        if layer >= len(snapshot.neuron_outputs) or unit >= len(snapshot.neuron_outputs[layer]):
            return None
        return np.asarray(snapshot.neuron_outputs[layer][unit])
    if kind == "output":
        return None if snapshot.boundary is None else np.asarray(snapshot.boundary)
    raise ValueError(f"unknown neuron kind '{kind}'; expected input, hidden or output")


__all__ = ["MAX_DRAWN", "NetworkView", "grid_for"]
