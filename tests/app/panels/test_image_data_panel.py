"""The data panel on image data: an image folder picked with a folder dialog (bad files: one clear
message, the data stays), and controls that do not apply to images hidden or explained."""

import numpy as np
from PIL import Image
from PySide6.QtWidgets import QFileDialog

from core.spec import DataSource


def _folder(root, bad: bool):
    for k, name in enumerate(("ring", "bar")):
        (root / name).mkdir(parents=True)
        for i in range(6):
            pixels = np.zeros((12, 12), np.uint8)
            pixels[2 + i % 3:8, 3 + k * 4:5 + k * 4] = 255
            Image.fromarray(pixels).save(root / name / f"{i}.png")
    if bad:
        (root / "bar" / "broken.png").write_bytes(b"not a png at all")
    return root


def _choose_folder(qtbot, window, monkeypatch, folder):
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", lambda *args, **kwargs: str(folder))
    combo = window.data_panel.dataset_combo
    combo.setCurrentIndex(combo.findData(DataSource.image_folder.value))
    combo.activated.emit(combo.currentIndex())


def test_an_image_folder_with_a_bad_file_gives_one_message_and_keeps_the_data(qtbot, window, monkeypatch, tmp_path):
    _choose_folder(qtbot, window, monkeypatch, _folder(tmp_path / "pics", bad=True))
    qtbot.waitUntil(lambda: "could not be read" in window.message_bar.text, timeout=30_000)
    assert "bar/broken.png" in window.message_bar.text and "1 file" in window.message_bar.text
    assert window.controller.spec.data.source == DataSource.gauss
    assert window.data_panel.dataset_combo.currentData() == DataSource.gauss.value


def test_a_good_image_folder_loads_and_hides_what_does_not_apply(qtbot, window, monkeypatch, tmp_path):
    panel = window.data_panel
    assert panel.noise_slider.isVisible() and panel.feature_boxes  # a 2-D toy set first
    _choose_folder(qtbot, window, monkeypatch, _folder(tmp_path / "pics", bad=False))
    qtbot.waitUntil(lambda: window.controller.dataset is not None
                    and window.controller.dataset.modality == "image", timeout=30_000)
    assert window.controller.dataset.class_names == ("bar", "ring")
    assert window.controller.dataset.input_shape == (1, 16, 16)
    assert panel.dataset_combo.currentText() == "pics/"
    assert not panel.noise_slider.isVisible() and not panel.regenerate_button.isVisible()
    assert not any(box.isVisible() for box in panel.feature_boxes.values())
    assert "pixels" in panel.features_note.text()


def test_generated_shapes_keep_noise_and_regenerate_but_digits_do_not(qtbot, window):
    panel = window.data_panel
    window.controller.choose_source(DataSource.shapes)
    qtbot.waitUntil(lambda: window.controller.spec.data.source == DataSource.shapes, timeout=30_000)
    assert panel.noise_slider.isVisible() and panel.regenerate_button.isVisible()
    assert panel.samples_caption.text() == "Images"
    window.controller.choose_source(DataSource.digits)
    qtbot.waitUntil(lambda: window.controller.spec.data.source == DataSource.digits, timeout=30_000)
    assert not panel.noise_slider.isVisible() and not panel.regenerate_button.isVisible()
    assert "pixels" in panel.features_note.text()
