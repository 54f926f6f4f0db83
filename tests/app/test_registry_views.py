"""The window's choices come from the records: a throw-away activation, registered and nothing else
touched, shows up in the bar and the layer header with its label and tip, can be chosen for a layer,
and its colour limit sets the neuron thumbnails' range."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from app.network.layer_header import LayerHeader
from app.network.neuron_images import symmetric_limit
from app.panels.controls_bar import ControlsBar
from core.nn.activations import ACTIVATIONS, ActivationRecord
from core.spec import LayerSpec

SINPLUS = ActivationRecord(name="sinplus", label="Sin plus", module="Tanh", colour_limit=2.0,
                           tip="sin(x) + 0.1 x: a wave with a slope, for this test only.")


def _items(combo) -> dict[str, tuple[str, str]]:
    return {combo.itemData(i): (combo.itemText(i), combo.itemData(i, Qt.ItemDataRole.ToolTipRole))
            for i in range(combo.count())}


def test_a_registered_activation_appears_in_the_bar_and_the_layer_header(qtbot):
    with ACTIVATIONS.added(SINPLUS):
        bar = ControlsBar()
        header = LayerHeader(0)
        qtbot.addWidget(bar)
        qtbot.addWidget(header)
        assert _items(bar.activation_combo)["sinplus"] == ("Sin plus", SINPLUS.tip)
        assert _items(header.activation_combo)["sinplus"] == ("sinplus", SINPLUS.tip)
        assert _items(bar.activation_combo)["tanh"][0] == "Tanh"  # built-ins keep their labels

        chosen = []
        header.activationChanged.connect(lambda layer, name: chosen.append((layer, name)))
        header.activation_combo.setCurrentIndex(header.activation_combo.findData("sinplus"))  # as a user picks it
        assert chosen == [(0, "sinplus")]
        header.sync(LayerSpec(units=3, activation="sinplus"))
        assert header.activation_combo.currentData() == "sinplus"

        grid = np.full((1, 4, 4), 0.5)
        assert symmetric_limit(grid, "sinplus") == 2.0        # the record's colour limit
        assert symmetric_limit(grid, "relu") == 0.5           # unbounded: the data's own range
    bar_after = ControlsBar()
    qtbot.addWidget(bar_after)
    assert "sinplus" not in _items(bar_after.activation_combo)  # removed again: nothing else kept it
