"""Adding layers with a type: on digits, conv2d and max pooling are added by clicking and train."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from core.spec import Experiment

DIGITS_DENSE = {"schema_version": 2, "seed": 0, "data": {"source": "digits", "train_fraction": 0.8},
                "task": "classification", "loss": "cross_entropy", "optimizer": {"name": "adam", "lr": 0.01},
                "layers": [{"type": "dense", "units": 16, "activation": "relu"}], "batch_size": 64,
                "engine": "torch"}


def _add(qtbot, window, layer_type: str, count: int) -> None:
    combo = window.findChild(QComboBox, "layerTypeCombo")
    combo.setCurrentIndex(combo.findData(layer_type))
    qtbot.mouseClick(window.network_view.add_layer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(window.controller.spec.layers) == count, timeout=10_000)


def test_conv_and_pool_layers_added_by_clicking_train(qtbot, make_window):
    window = make_window(Experiment.model_validate(DIGITS_DENSE))
    qtbot.waitUntil(lambda: window.controller.dataset is not None, timeout=30_000)
    combo = window.findChild(QComboBox, "layerTypeCombo")
    assert combo.isVisibleTo(window) and combo.findData("conv2d") >= 0
    _add(qtbot, window, "conv2d", 2)
    _add(qtbot, window, "maxpool2d", 3)
    layers = window.controller.spec.layers
    assert [layer.type for layer in layers] == ["conv2d", "maxpool2d", "dense"]
    assert layers[0].filters == 8 and layers[0].kernel_size == 3  # the type's defaults
    assert [c.total for c in window.network_view.canvas._columns][:3] == [1, 8, 8]  # drawn as feature maps
    shown = []
    window.snapshotShown.connect(shown.append)
    window.controller.play()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].epoch >= 2, timeout=60_000)
    window.controller.pause()
    losses = [r.test_loss for s in shown for r in s.history]
    assert len(losses) >= 2 and losses[-1] < losses[0]


def test_a_misfit_layer_is_refused_with_the_shape_message(qtbot, make_window):
    spec = Experiment.model_validate({**DIGITS_DENSE, "layers": [{"type": "maxpool2d", "size": 8},
                                                                {"type": "dense", "units": 4}]})
    window = make_window(spec)
    qtbot.waitUntil(lambda: window.controller.dataset is not None, timeout=30_000)
    combo = window.findChild(QComboBox, "layerTypeCombo")
    combo.setCurrentIndex(combo.findData("maxpool2d"))
    qtbot.mouseClick(window.network_view.add_layer_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "maxpool2d" in window.message_bar.text, timeout=5_000)
    assert "needs an image of at least 2×2 pixels" in window.message_bar.text
    assert len(window.controller.spec.layers) == 2


def test_a_2d_set_offers_dense_layers_only_and_hides_the_choice(window):
    combo = window.findChild(QComboBox, "layerTypeCombo")
    assert combo.count() == 1 and combo.findData("dense") == 0 and not combo.isVisibleTo(window)
