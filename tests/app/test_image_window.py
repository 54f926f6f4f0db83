"""The window on a conv net: image layers show as plain columns (type and shape), it trains, and
View ▸ Model summary shows the summary table."""

from pathlib import Path

from PySide6.QtWidgets import QPlainTextEdit

from core.spec import load_experiment

EXAMPLE = Path(__file__).parents[2] / "examples" / "digits_cnn.json"


def test_the_issue_example_opens_as_plain_columns_and_trains(qtbot, make_window):
    window = make_window(load_experiment(EXAMPLE))
    headers = window.network_view.canvas.headers
    assert len(headers) == 5
    # a narrow column breaks them onto two lines (app/network/layer_header.py fit_lines)
    texts = [(h.units_label.text().replace("\n", " "), h.options_label.text().replace("\n", " ")) for h in headers]
    assert texts[0] == ("Convolution 2-D", "8 filters 3×3 → 8×8×8")
    assert texts[1] == ("Max pooling", "pool 2×2 → 8×4×4")
    assert texts[3] == ("Flatten", "flatten → 256")
    assert not headers[0].activation_combo.isVisibleTo(headers[0])
    assert headers[4].activation_combo.isVisibleTo(headers[4])  # the dense layer keeps its controls
    shown = []
    window.snapshotShown.connect(shown.append)
    window.controller.play()
    qtbot.waitUntil(lambda: bool(shown) and shown[-1].epoch >= 3, timeout=60_000)
    window.controller.pause()
    assert shown[-1].engine == "torch" and shown[-1].test_accuracy > 0.5
    assert window.message_bar.text == "Torch engine: layers.0 (conv2d): convolution layers are not on the fused engine"


def test_adding_a_layer_and_one_activation_for_all_keep_image_layers(qtbot, make_window):
    window = make_window(load_experiment(EXAMPLE))
    window.controller.add_layer()
    qtbot.waitUntil(lambda: len(window.controller.spec.layers) == 6)
    added = window.controller.spec.layers[-1]
    assert added.type == "dense" and added.units == 32
    window.controller.set_activation_for_all("tanh")
    qtbot.waitUntil(lambda: window.controller.spec.layers[0].activation.value == "tanh")
    assert [layer.type for layer in window.controller.spec.layers] == [
        "conv2d", "maxpool2d", "conv2d", "flatten", "dense", "dense"]
    assert len(window.network_view.canvas.headers) == 6


def test_choosing_shapes_in_the_data_panel_loads_images(qtbot, make_window):
    window = make_window()
    combo = window.data_panel.dataset_combo
    combo.setCurrentIndex(combo.findData("shapes"))
    combo.activated.emit(combo.currentIndex())
    qtbot.waitUntil(lambda: window.controller.dataset is not None
                    and window.controller.dataset.modality == "image", timeout=30_000)
    assert window.controller.dataset.input_shape == (1, 16, 16)
    assert window.controller.dataset.class_names == ("circle", "square", "triangle", "cross", "line")


def test_view_menu_shows_the_model_summary(qtbot, make_window):
    window = make_window(load_experiment(EXAMPLE))
    dialog = window.show_model_summary()
    qtbot.addWidget(dialog)
    text = dialog.findChild(QPlainTextEdit, "modelSummary").toPlainText()
    assert "conv3 + relu3" in text and "Total params: 9,802" in text
    dialog.close()
