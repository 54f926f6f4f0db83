"""The network diagram as a user meets it: nodes per neuron, buttons that ask for changes, hover,
link tooltips and typed weights, thumbnails that follow the snapshots."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QHelpEvent
from PySide6.QtWidgets import QApplication, QComboBox, QLineEdit, QToolButton, QToolTip

from app.network.view import MAX_DRAWN, NetworkView, grid_for
from core.training.snapshot import Snapshot
from core.spec import Activation, LayerSpec

ORANGE = QColor(245, 147, 34)
BLUE = QColor(8, 119, 189)


def make_snapshot(units: list[int], n_inputs: int = 2, n_outputs: int = 1, res: int = 16,
                  fill: float | None = None, grids: bool = True, weight: float | None = None) -> Snapshot:
    """A snapshot shaped like `units`; `fill` sets every hidden grid to one value."""
    rng = np.random.default_rng(1)
    dims = [n_inputs, *units, n_outputs]
    weights = tuple((rng.normal(0, 0.5, (dims[k + 1], dims[k])) if weight is None
                     else np.full((dims[k + 1], dims[k]), weight)).astype(np.float32)
                    for k in range(len(dims) - 1))
    biases = tuple(np.full(dims[k + 1], 0.1 if weight is None else weight, np.float32)
                   for k in range(len(dims) - 1))
    extra = {}
    if grids:
        g = np.linspace(-1, 1, res, dtype=np.float32)
        x1, x2 = np.meshgrid(g, g)
        outputs = tuple((np.full((u, res, res), fill, np.float32) if fill is not None
                         else np.tanh(np.stack([x1 * (i + 1) - x2 for i in range(u)])).astype(np.float32))
                        for u in units)
        extra = dict(input_outputs=np.stack([x1, x2] + [x1 * x2] * (n_inputs - 2)),
                     neuron_outputs=outputs, boundary=(x1 > 0).astype(np.float32))
    return Snapshot(epoch=1, step=10, train_loss=0.5, test_loss=0.6, train_accuracy=0.8, test_accuracy=0.7,
                    learning_rate=0.03, batch_size=10, weights=weights, biases=biases, **extra)


def specs(*units: int) -> list[LayerSpec]:
    return [LayerSpec(units=u) for u in units]


@pytest.fixture
def view(qtbot):
    widget = NetworkView()
    qtbot.addWidget(widget)
    widget.resize(900, 560)
    widget.set_structure(specs(4, 2), ["x1", "x2"], 1, True)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def pixel(view: NetworkView, point: QPointF) -> QColor:
    return view.canvas.grab().toImage().pixelColor(point.toPoint())


def center(view: NetworkView, kind: str, layer: int, unit: int) -> QPointF:
    return view.node_rect(kind, layer, unit).center()


def near(colour: QColor, target: QColor, tol: int = 40) -> bool:
    return max(abs(colour.red() - target.red()), abs(colour.green() - target.green()),
               abs(colour.blue() - target.blue())) <= tol


# --- structure -------------------------------------------------------------------------------------
def test_one_node_per_neuron_and_a_header_per_hidden_layer(view):
    view.set_structure(specs(4, 3), ["x1", "x2", "x1^2"], 1, True)
    assert [view.drawn_units("input", 0), view.drawn_units("hidden", 0), view.drawn_units("hidden", 1),
            view.drawn_units("output", 2)] == [3, 4, 3, 1]
    assert view.layer_count_label.text() == "2 hidden layers"
    assert view.header(0).units_label.text() == "4 neurons"
    assert view.header(1).units_label.text() == "3 neurons"
    assert view.tooltip_at(center(view, "input", 0, 2)).startswith("x1^2")


def test_a_large_layer_draws_16_neurons_and_says_how_many_more(view):
    view.set_structure(specs(40, 3), ["x1", "x2"], 1, True)
    assert view.drawn_units("hidden", 0) == MAX_DRAWN == 16
    assert view.hidden_units_text("hidden", 0) == "+24 more"
    assert view.hidden_units_text("hidden", 1) == ""
    view.link_anchor(0, 15, 1)  # links reach the last drawn neuron...
    with pytest.raises(ValueError):
        view.link_anchor(0, 16, 1)  # ...and none beyond it
    below_last = view.node_rect("hidden", 0, 15).bottomLeft() + QPointF(view.node_rect("hidden", 0, 15).width() / 2, 10)
    assert "24 more neurons" in view.tooltip_at(below_last)


def test_structure_change_moves_the_header_count_and_disables_impossible_buttons(view):
    view.set_structure([], ["x1", "x2"], 1, True)
    assert view.layer_count_label.text() == "0 hidden layers"
    assert not view.findChild(QToolButton, "removeLayerButton").isEnabled()
    view.set_structure(specs(1), ["x1", "x2"], 1, True)
    assert view.layer_count_label.text() == "1 hidden layer"
    assert not view.findChild(QToolButton, "hiddenLayer0RemoveUnitButton").isEnabled()


# --- requests ----------------------------------------------------------------------------------------
def test_layer_buttons_ask_for_a_layer_more_or_less(view, qtbot):
    with qtbot.waitSignal(view.addLayerRequested, timeout=1000):
        qtbot.mouseClick(view.findChild(QToolButton, "addLayerButton"), Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(view.removeLayerRequested, timeout=1000):
        qtbot.mouseClick(view.findChild(QToolButton, "removeLayerButton"), Qt.MouseButton.LeftButton)


def test_unit_buttons_ask_for_one_unit_more_or_less(view, qtbot):
    with qtbot.waitSignal(view.unitsChanged, timeout=1000) as plus:
        qtbot.mouseClick(view.findChild(QToolButton, "hiddenLayer1AddUnitButton"), Qt.MouseButton.LeftButton)
    assert plus.args == [1, 3]
    with qtbot.waitSignal(view.unitsChanged, timeout=1000) as minus:
        qtbot.mouseClick(view.findChild(QToolButton, "hiddenLayer0RemoveUnitButton"), Qt.MouseButton.LeftButton)
    assert minus.args == [0, 3]


def test_activation_combo_asks_for_a_change_and_follows_the_spec_silently(view, qtbot):
    combo = view.findChild(QComboBox, "hiddenLayer1ActivationCombo")
    assert combo.currentText() == "tanh"
    assert [combo.itemText(i) for i in range(combo.count())] == [a.value for a in Activation]
    with qtbot.waitSignal(view.activationChanged, timeout=1000) as changed:
        combo.setCurrentIndex(combo.findText("relu"))
    assert changed.args == [1, "relu"]
    seen = []
    view.activationChanged.connect(lambda *a: seen.append(a))
    view.set_structure([LayerSpec(units=4), LayerSpec(units=2, activation=Activation.elu)], ["x1", "x2"], 1, True)
    assert combo.currentText() == "elu" and seen == []


def test_options_menu_asks_for_dropout_and_norm(view, qtbot):
    menu = view.findChild(QToolButton, "hiddenLayer0OptionsButton").menu()
    dropout = next(a for a in menu.actions() if a.text() == "Dropout 20%")
    with qtbot.waitSignal(view.layerOptionsChanged, timeout=1000) as changed:
        dropout.trigger()
    assert changed.args == [0, 0.2, "none"]
    norm = next(a for a in menu.actions() if a.text() == "Batch norm")
    with qtbot.waitSignal(view.layerOptionsChanged, timeout=1000) as changed:
        norm.trigger()
    assert changed.args == [0, 0.2, "batch"]
    view.set_structure([LayerSpec(units=4, dropout=0.3, norm="layer"), LayerSpec(units=2)], ["x1", "x2"], 1, True)
    assert view.header(0).options_label.text() == "drop 30% · layer norm"


def test_every_control_is_named_and_explained(view):
    controls = view.findChildren(QToolButton) + view.findChildren(QComboBox)
    assert len(controls) == 2 + 1 + 2 * 4  # +, -, the layer-type combo, and two controls per header
    for control in controls:
        assert control.objectName() and control.accessibleName(), control
        assert len(control.toolTip()) > 20, control.objectName()
    assert view.objectName() == "networkView" and view.accessibleName() == "Network diagram"


# --- hover and tooltips --------------------------------------------------------------------------------
def test_hovering_a_neuron_names_it_and_leaving_it_says_so(view, qtbot):
    target = center(view, "hidden", 1, 1).toPoint()
    with qtbot.waitSignal(view.neuronHovered, timeout=1000) as hovered:
        qtbot.mouseMove(view.canvas, target)
    assert hovered.args == ["hidden", 1, 1]
    with qtbot.waitSignal(view.neuronUnhovered, timeout=1000):
        qtbot.mouseMove(view.canvas, target + QPoint(0, 200))
    with qtbot.waitSignal(view.neuronHovered, timeout=1000) as hovered:
        qtbot.mouseMove(view.canvas, center(view, "output", 2, 0).toPoint())
    assert hovered.args == ["output", 2, 0]


def test_link_tooltip_shows_the_weight(view):
    snap = make_snapshot([4, 2])
    snap.weights[1][1, 2] = -0.42  # dense2: unit 2 <- unit 3
    assert view.update_snapshot(snap)
    text = view.tooltip_at(view.link_anchor(1, 1, 2))
    assert text.startswith("dense2: unit 2 ← unit 3, weight -0.42")
    first = view.tooltip_at(view.link_anchor(0, 3, 1))
    assert first.startswith("dense1: unit 4 ← x2, weight")
    # the real tooltip event shows the same text
    pos = view.link_anchor(1, 1, 2).toPoint()
    event = QHelpEvent(QEvent.Type.ToolTip, pos, view.canvas.mapToGlobal(pos))
    QApplication.sendEvent(view.canvas, event)
    assert "weight -0.42" in QToolTip.text()


def test_thumbnails_follow_snapshots_and_ignore_stale_shapes(view, qtbot):
    node = center(view, "hidden", 0, 2)
    before = pixel(view, node)
    assert view.update_snapshot(make_snapshot([4, 2], fill=0.9))
    assert near(pixel(view, node), BLUE) and not near(before, BLUE)
    # a late snapshot from a different architecture changes nothing
    assert not view.update_snapshot(make_snapshot([3, 2], fill=-0.9))
    assert near(pixel(view, node), BLUE)
    # a snapshot without grids keeps the thumbnails; the next grid shows (within the redraw interval)
    assert view.update_snapshot(make_snapshot([4, 2], grids=False))
    assert near(pixel(view, node), BLUE)
    assert view.update_snapshot(make_snapshot([4, 2], fill=-0.9))
    qtbot.waitUntil(lambda: near(pixel(view, node), ORANGE), timeout=2000)
    view.clear_snapshot()
    assert pixel(view, node) == before


def test_links_are_coloured_by_the_sign_of_the_weight(view, qtbot):
    mid = view.link_anchor(1, 0, 0)
    view.update_snapshot(make_snapshot([4, 2], weight=2.0, grids=False))
    qtbot.waitUntil(lambda: near(pixel(view, mid), BLUE, 60), timeout=2000)
    view.update_snapshot(make_snapshot([4, 2], weight=-2.0, grids=False))
    qtbot.waitUntil(lambda: near(pixel(view, mid), ORANGE, 60), timeout=2000)


def test_tabular_data_draws_plain_nodes_coloured_by_bias(view, qtbot):
    names = [f"feature_{i}" for i in range(20)]
    view.set_structure(specs(5), names, 3, False, output_names=["a", "b", "c"])
    assert view.drawn_units("input", 0) == 16 and view.hidden_units_text("input", 0) == "+4 more"
    node = center(view, "hidden", 0, 0)
    assert view.update_snapshot(make_snapshot([5], n_inputs=20, n_outputs=3, grids=False, weight=-3.0))
    qtbot.waitUntil(lambda: near(pixel(view, node), ORANGE), timeout=2000)
    assert "output b" in view.tooltip_at(center(view, "output", 1, 1))


# --- editing weights ---------------------------------------------------------------------------------------
def test_clicking_a_link_and_typing_a_number_edits_that_weight(view, qtbot):
    view.update_snapshot(make_snapshot([4, 2]))
    mid = view.link_anchor(1, 1, 3)
    qtbot.mouseClick(view.canvas, Qt.MouseButton.LeftButton, pos=mid.toPoint())
    editor = view.findChild(QLineEdit, "weightEditor")
    assert editor.isVisible()
    qtbot.keyClicks(editor, "abc")
    seen = []
    view.weightEdited.connect(lambda *a: seen.append(a))
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert seen == [] and editor.isVisible()  # not a number: the editor stays and says so
    assert "not a number" in editor.toolTip()
    editor.selectAll()
    qtbot.keyClicks(editor, "-1.5")
    with qtbot.waitSignal(view.weightEdited, timeout=1000) as edited:
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    assert edited.args == [1, 1, 3, -1.5]
    assert not editor.isVisible()
    assert "weight -1.5" in view.tooltip_at(mid)


def test_escape_closes_the_weight_editor_without_a_change(view, qtbot):
    view.begin_edit_link(0, 0, 1)
    editor = view.findChild(QLineEdit, "weightEditor")
    assert editor.isVisible()
    seen = []
    view.weightEdited.connect(lambda *a: seen.append(a))
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert not editor.isVisible() and seen == []


def test_edit_link_rejects_weights_the_network_does_not_have(view):
    with pytest.raises(ValueError, match="no weight"):
        view.edit_link(2, 1, 0, 0.5)  # the output has one unit


def test_grid_for_returns_the_hovered_neurons_grid():
    snap = make_snapshot([4, 2])
    assert np.array_equal(grid_for(snap, "hidden", 1, 1), snap.neuron_outputs[1][1])
    assert np.array_equal(grid_for(snap, "input", 0, 0), snap.input_outputs[0])
    assert grid_for(snap, "output", 2, 0) is snap.boundary or np.array_equal(grid_for(snap, "output", 2, 0),
                                                                             snap.boundary)
    assert grid_for(make_snapshot([4, 2], grids=False), "hidden", 0, 0) is None


def test_colour_maps_put_negative_orange_positive_blue_and_nan_in_the_middle():
    from app.look import colormaps

    lut = colormaps.lut_to_argb32(colormaps.diverging_lut())
    low, mid, high, nan = colormaps.values_to_argb32(np.array([-5.0, 0.0, 5.0, np.nan]), lut, -1.0, 1.0)
    assert QColor.fromRgba(int(low)) == ORANGE and QColor.fromRgba(int(high)) == BLUE
    assert nan == mid and near(QColor.fromRgba(int(mid)), QColor(*colormaps.NEUTRAL_RGB), 3)
    classes = colormaps.classes_to_argb32(np.array([0.0, 1.0, 2.0]), 3, only=2)
    assert QColor.fromRgba(int(classes[2])) == QColor(*colormaps.qualitative_colors(3)[2, :3])
    assert classes[0] == classes[1]  # the other classes are left neutral
