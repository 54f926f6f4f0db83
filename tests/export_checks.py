"""Shared checks that a model export reproduces the live model on raw inputs at batch 1, 7 and 1000
(the image and sequence export tests differ only in their net, inputs and tolerance)."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from core.export.api import export_model
from core.export.verify import load_generated_module
from core.files.checkpoint import load_checkpoint, restore_trainer, save_checkpoint

BATCHES = (1, 7, 1000)


def _close(got, expected, atol: float) -> None:
    np.testing.assert_allclose(np.asarray(got).reshape(len(expected), -1),
                               np.asarray(expected).reshape(len(expected), -1), atol=atol)


def check_onnx(trainer, inputs: np.ndarray, expected: np.ndarray, folder: Path, atol: float) -> list:
    """Export ONNX, run it in onnxruntime at every batch size; returns the graph input's shape."""
    report = export_model(trainer, folder / "m.onnx", "onnx")
    assert report.n_checked == 1000
    session = ort.InferenceSession(str(folder / "m.onnx"), providers=["CPUExecutionProvider"])
    for n in BATCHES:
        _close(session.run(None, {"raw_inputs": inputs[:n]})[0], expected[:n], atol)
    return session.get_inputs()[0].shape


def check_torchscript_and_code(trainer, inputs: np.ndarray, expected: np.ndarray, folder: Path, atol: float) -> str:
    """Export TorchScript and PyTorch code, run both at every batch size; returns the generated code."""
    export_model(trainer, folder / "m.pt", "torchscript")
    export_model(trainer, folder / "m.py", "python")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.* is deprecated in torch >= 2.10
        scripted = torch.jit.load(str(folder / "m.pt"))
    module = load_generated_module(folder / "m.py")
    model = module.load_model()
    for n in BATCHES:
        x = torch.as_tensor(inputs[:n])
        with torch.no_grad():
            _close(scripted(x).numpy(), expected[:n], atol)
            _close(module.predict(x, model).numpy(), expected[:n], atol)
    return (folder / "m.py").read_text()


def check_checkpoint(trainer, inputs: np.ndarray, expected: np.ndarray, folder: Path) -> None:
    """Save a checkpoint, rebuild the trainer from it: the same layers and the same outputs."""
    save_checkpoint(trainer, folder / "run.ckpt")
    restored = restore_trainer(load_checkpoint(folder / "run.ckpt"))
    assert list(restored.model.state_dict()) == list(trainer.model.state_dict())
    for n in BATCHES:
        _close(restored.predict(inputs[:n]), expected[:n], 1e-6)
