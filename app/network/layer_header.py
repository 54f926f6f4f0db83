"""The controls above one hidden layer's column: units -/+, activation, dropout and normalisation.

The header only asks for changes (signals); the owner edits the spec and calls `sync` back, with
signals blocked, so there are no feedback loops.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QFontMetrics
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QMenu, QToolButton, QVBoxLayout, QWidget

from core.nn.activations import ACTIVATIONS
from core.nn.layers import LAYER_TYPES
from core.spec import LayerSpec, Norm

MAX_UNITS = 4096  # LayerSpec.units upper bound
DROPOUT_CHOICES = (0.0, 0.1, 0.2, 0.3, 0.5)
BUTTON_SIZE = 22

NORM_LABELS = {Norm.none: "No normalisation", Norm.batch: "Batch norm", Norm.layer: "Layer norm"}


def fit_lines(text: str, metrics: QFontMetrics, width: int, max_lines: int = 2) -> str:
    """`text` broken at spaces into at most `max_lines` lines of at most `width` px ("Convolution 2-D"
    -> "Convolution\n2-D" in a narrow column); a word or a last line still too wide is elided (…)."""
    lines: list[str] = []
    for word in text.split():
        if lines and metrics.horizontalAdvance(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > max_lines:
        lines[max_lines - 1:] = [" ".join(lines[max_lines - 1:])]
    return "\n".join(metrics.elidedText(line, Qt.TextElideMode.ElideRight, width) for line in lines)


def _tool_button(text: str, name: str, accessible: str, tip: str) -> QToolButton:
    button = QToolButton()
    button.setText(text)
    button.setObjectName(name)
    button.setAccessibleName(accessible)
    button.setToolTip(tip)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
    button.setFixedSize(BUTTON_SIZE, BUTTON_SIZE)
    return button


class LayerHeader(QWidget):
    """Header of hidden layer `layer` (0-based). Emits requests; `sync` shows the spec."""

    unitsChanged = Signal(int, int)               # layer, requested units
    activationChanged = Signal(int, str)          # layer, Activation value
    layerOptionsChanged = Signal(int, float, str)  # layer, dropout, Norm value

    WIDTH = 120        # the full header
    MIN_WIDTH = 60     # compact: the options button moves under the activation, "8" instead of "8 neurons"
    COMPACT_BELOW = 100

    def __init__(self, layer: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("layerHeader")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.layer = layer
        self._spec = LayerSpec()
        self._shape: tuple[int, ...] | None = None
        self.setFixedWidth(self.WIDTH)

        self.remove_unit_button = _tool_button("−", "", "", "")
        self.add_unit_button = _tool_button("+", "", "", "")
        self.units_label = QLabel()
        self.units_label.setObjectName("unitsLabel")
        self.units_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        small = self.units_label.font()
        small.setPointSizeF(8.0)
        self.units_label.setFont(small)  # set here, not in a style sheet, so sync() measures with it
        self.activation_combo = QComboBox()
        self.activation_combo.setObjectName("")
        for name in ACTIVATIONS:
            self.activation_combo.addItem(name, name)
            self.activation_combo.setItemData(self.activation_combo.count() - 1, ACTIVATIONS[name].tip,
                                              Qt.ItemDataRole.ToolTipRole)
        self.activation_combo.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.options_button = _tool_button("⋯", "", "", "")
        self.options_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.options_button.setMenu(self._build_menu())
        self.options_label = QLabel()
        self.options_label.setObjectName("optionsLabel")
        self.options_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        units_row = QHBoxLayout()
        units_row.setContentsMargins(0, 0, 0, 0)
        units_row.setSpacing(2)
        units_row.addWidget(self.remove_unit_button)
        units_row.addWidget(self.units_label, 1)
        units_row.addWidget(self.add_unit_button)
        self._act_row = QHBoxLayout()
        self._act_row.setContentsMargins(0, 0, 0, 0)
        self._act_row.setSpacing(3)
        self._act_row.addWidget(self.activation_combo, 1)
        self._act_row.addWidget(self.options_button)
        self._options_row = QHBoxLayout()
        self._options_row.setContentsMargins(0, 0, 0, 0)
        self._options_row.setSpacing(2)
        self._options_row.addWidget(self.options_label, 1)
        self.activation_combo.setMinimumWidth(0)
        self.activation_combo.setMinimumContentsLength(3)
        self.activation_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(3)
        column.addLayout(units_row)
        column.addLayout(self._act_row)
        column.addLayout(self._options_row)
        self.compact = False

        self.remove_unit_button.clicked.connect(lambda: self._request_units(self._spec.units - 1))
        self.add_unit_button.clicked.connect(lambda: self._request_units(self._spec.units + 1))
        self.activation_combo.currentIndexChanged.connect(self._on_activation)
        self._name_controls()

    def _build_menu(self) -> QMenu:
        menu = QMenu(self)
        menu.setToolTipsVisible(True)
        menu.addSection("Dropout")
        self._dropout_group = QActionGroup(menu)
        self._dropout_actions: dict[float, QAction] = {}
        for rate in DROPOUT_CHOICES:
            action = QAction("No dropout" if rate == 0 else f"Dropout {rate:.0%}", menu)
            action.setCheckable(True)
            action.setData(rate)
            action.setToolTip("Dropout switches off this share of the layer's units at random while "
                              "training, so the network cannot rely on any single one (less overfitting).")
            self._dropout_group.addAction(action)
            menu.addAction(action)
            self._dropout_actions[rate] = action
        menu.addSection("Normalisation")
        self._norm_group = QActionGroup(menu)
        self._norm_actions: dict[Norm, QAction] = {}
        for norm in Norm:
            action = QAction(NORM_LABELS[norm], menu)
            action.setCheckable(True)
            action.setData(norm.value)
            action.setToolTip("Normalisation rescales the layer's sums to zero mean and unit variance "
                              "(over the batch, or over the units), which steadies and speeds up training.")
            self._norm_group.addAction(action)
            menu.addAction(action)
            self._norm_actions[norm] = action
        self._dropout_group.triggered.connect(self._on_options)
        self._norm_group.triggered.connect(self._on_options)
        return menu

    def _name_controls(self) -> None:
        n = self.layer
        shown = n + 1
        self.remove_unit_button.setObjectName(f"hiddenLayer{n}RemoveUnitButton")
        self.remove_unit_button.setAccessibleName(f"Remove a neuron from hidden layer {shown}")
        self.remove_unit_button.setToolTip("Remove one neuron from this layer: fewer neurons, simpler "
                                           "shapes (changing the network resets the weights).")
        self.add_unit_button.setObjectName(f"hiddenLayer{n}AddUnitButton")
        self.add_unit_button.setAccessibleName(f"Add a neuron to hidden layer {shown}")
        self.add_unit_button.setToolTip("Add one neuron to this layer: each neuron adds one more shape the "
                                        "network can combine (changing the network resets the weights).")
        self.activation_combo.setObjectName(f"hiddenLayer{n}ActivationCombo")
        self.activation_combo.setAccessibleName(f"Activation of hidden layer {shown}")
        self.activation_combo.setToolTip("Activation: the non-linear function each neuron applies to its "
                                         "weighted sum; without it, any stack of layers is one straight line.")
        self.options_button.setObjectName(f"hiddenLayer{n}OptionsButton")
        self.options_button.setAccessibleName(f"Dropout and normalisation of hidden layer {shown}")
        self.options_button.setToolTip("Dropout and normalisation for this layer: ways to fight "
                                       "overfitting and to steady training.")

    def set_width(self, width: int) -> None:
        """Fit the header to its column: below COMPACT_BELOW pixels the options button moves to the
        third row and the units show as a bare number, so deep networks fit the view."""
        width = max(self.MIN_WIDTH, min(self.WIDTH, int(width)))
        compact = width < self.COMPACT_BELOW
        if width == self.width() and compact == self.compact:
            return
        self.setFixedWidth(width)
        if compact != self.compact:
            self.compact = compact
            (self._act_row if compact else self._options_row).removeWidget(self.options_button)
            (self._options_row if compact else self._act_row).addWidget(self.options_button)
        self.sync(self._spec, self._shape)

    def set_layer(self, layer: int) -> None:
        """Re-index a reused header (its names and the index in its signals follow)."""
        if layer != self.layer:
            self.layer = layer
            self._name_controls()

    def retire(self) -> None:
        """Hide and delete later (it may be emitting right now); drop the names so that lookups by
        objectName find only live headers."""
        for control in (self.remove_unit_button, self.add_unit_button, self.activation_combo, self.options_button):
            control.setObjectName("")
        self.hide()
        self.deleteLater()

    def sync(self, spec: LayerSpec, shape: tuple[int, ...] | None = None) -> None:
        """Show `spec` without emitting anything. Layers other than dense show their type and
        output `shape` as plain text (their own controls come with the image views)."""
        self._shape = shape
        plain = getattr(spec, "type", "dense") != "dense"
        for control in (self.remove_unit_button, self.add_unit_button, self.activation_combo, self.options_button):
            control.setVisible(not plain)
        self.setProperty("plain", plain)
        self._spec = spec
        if plain:
            self._sync_plain(spec, shape)
            return
        words = f"{spec.units} neuron" + ("" if spec.units == 1 else "s")
        room = self.width() - 2 * BUTTON_SIZE - 6
        fits = QFontMetrics(self.units_label.font()).horizontalAdvance(words) <= room
        self.units_label.setText(words if fits else str(spec.units))
        self.units_label.setToolTip(f"This layer has {words}.")
        self.remove_unit_button.setEnabled(spec.units > 1)
        self.add_unit_button.setEnabled(spec.units < MAX_UNITS)
        was = self.activation_combo.blockSignals(True)
        self.activation_combo.setCurrentIndex(self.activation_combo.findData(ACTIVATIONS[spec.activation].name))
        self.activation_combo.blockSignals(was)
        was = self._dropout_group.blockSignals(True), self._norm_group.blockSignals(True)
        dropout = min(DROPOUT_CHOICES, key=lambda r: abs(r - spec.dropout))
        for rate, action in self._dropout_actions.items():
            action.setChecked(rate == dropout)
        for norm, action in self._norm_actions.items():
            action.setChecked(norm == spec.norm)
        self._dropout_group.blockSignals(was[0])
        self._norm_group.blockSignals(was[1])
        parts = []
        if spec.dropout > 0:
            parts.append(f"drop {spec.dropout:.0%}")
        if spec.norm != Norm.none:
            parts.append(f"{spec.norm.value} norm")
        self.options_label.setText(" · ".join(parts))
        self.options_label.setToolTip(f"Dropout {spec.dropout:.0%}, {NORM_LABELS[spec.norm].lower()}.")
        self.options_button.setProperty("active", bool(parts))
        self.options_button.style().unpolish(self.options_button)
        self.options_button.style().polish(self.options_button)

    def _sync_plain(self, spec, shape: tuple[int, ...] | None) -> None:
        """The type's name and its caption (kernel, output shape), each on up to two lines that fit the
        header's width (a narrow column at 1366 px wide); the tooltips carry them in full."""
        record = LAYER_TYPES[spec.type]
        caption = record.view.caption(spec, shape) if shape is not None else spec.type
        room = self.width() - 4
        for label in (self.units_label, self.options_label):
            label.ensurePolished()  # the style sheet's font size, measured below
        metrics = QFontMetrics(self.units_label.font())
        words_fit = all(metrics.horizontalAdvance(word) <= room for word in record.label.split())
        self.units_label.setText(fit_lines(record.label if words_fit or not record.view.short else record.view.short,
                                           metrics, room))
        self.units_label.setToolTip(f"{record.label}: {record.tip}")
        self.options_label.setText(fit_lines(caption, QFontMetrics(self.options_label.font()), room))
        self.options_label.setToolTip(f"{record.label}, {caption}: output {' × '.join(map(str, shape))}"
                                      if shape is not None else record.label)

    def _request_units(self, units: int) -> None:
        if 1 <= units <= MAX_UNITS:
            self.unitsChanged.emit(self.layer, units)

    def _on_activation(self, index: int) -> None:
        self.activationChanged.emit(self.layer, str(self.activation_combo.itemData(index)))

    def _on_options(self, _action: QAction) -> None:
        dropout_action = self._dropout_group.checkedAction()
        norm_action = self._norm_group.checkedAction()
        dropout = float(dropout_action.data()) if dropout_action else self._spec.dropout
        norm = str(norm_action.data()) if norm_action else self._spec.norm.value
        self.layerOptionsChanged.emit(self.layer, dropout, norm)

    def choose_options(self, dropout: float, norm: str) -> None:
        """Pick menu entries as a user would (tests and keyboard paths use this)."""
        self._dropout_actions[min(DROPOUT_CHOICES, key=lambda r: abs(r - dropout))].setChecked(True)
        self._norm_actions[Norm(norm)].setChecked(True)
        self._on_options(self._norm_actions[Norm(norm)])
