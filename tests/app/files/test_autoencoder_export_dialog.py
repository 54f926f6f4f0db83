"""The export dialog on an autoencoder: a Part choice (whole, encoder, decoder) for model formats, the file
name following it, and the encoder's file giving the live model's latent codes."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from app.files.export_dialog import ExportDialog
from core.nn.latent import split_model
from core.spec import parse_experiment
from core.training.trainer import Trainer


def _trainer():
    return Trainer(parse_experiment({
        "schema_version": 2, "data": {"source": "iris", "train_fraction": 0.8}, "task": "autoencoder",
        "layers": [{"type": "dense", "units": 6}, {"type": "dense", "units": 2, "activation": "linear"}],
        "loss": "mse", "engine": "torch"}))


def test_part_choice_exports_the_encoder(qtbot, tmp_path):
    trainer = _trainer()
    dialog = ExportDialog(lambda: trainer, spec=trainer.spec, fmt="torchscript")
    qtbot.addWidget(dialog)
    dialog.show()
    part = dialog.part_combo
    assert part.isVisible()
    dialog.path_edit.setText(str(tmp_path / "iris_model.torchscript.pt"))
    part.setCurrentIndex(part.findData("encoder"))
    assert dialog.path_edit.text().endswith("iris_encoder.torchscript.pt")
    dialog.start_export()
    outcome = dialog.wait()
    assert outcome.ok, outcome.message
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        loaded = torch.jit.load(str(tmp_path / "iris_encoder.torchscript.pt"))
    raw = trainer.dataset.raw_test[:7]
    encoder, _ = split_model(trainer.model, 1)
    with torch.no_grad():
        np.testing.assert_allclose(loaded(torch.as_tensor(raw)).numpy(),
                                   encoder(torch.as_tensor(trainer.preprocess(raw))).numpy(), atol=1e-5)
    dialog.format_combo.setCurrentIndex(dialog.format_combo.findData("checkpoint"))
    assert not part.isVisible()  # a checkpoint is the whole run


def test_no_part_choice_for_other_tasks(qtbot):
    trainer = Trainer(parse_experiment({"schema_version": 2, "data": {"source": "xor", "samples": 40},
                                        "engine": "torch"}))
    dialog = ExportDialog(lambda: trainer, spec=trainer.spec, fmt="onnx")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.part_combo.isVisible() and dialog.part == "all"
