"""Exports of a conv net take raw images (N, C, H, W) in the data's pixel values, at batch 1, 7 and 1000."""

import warnings

import numpy as np
import onnxruntime as ort
import pytest
import torch

from core.export.api import export_model
from core.export.verify import load_generated_module, sample_inputs
from core.files.checkpoint import load_checkpoint, restore_trainer, save_checkpoint
from core.spec import parse_experiment
from core.training.trainer import Trainer

BATCHES = (1, 7, 1000)
LAYERS = [{"type": "conv2d", "filters": 4, "kernel_size": 3, "stride": 2},
          {"type": "batch_norm"}, {"type": "maxpool2d", "size": 2}, {"type": "dropout", "rate": 0.2},
          {"type": "conv2d", "filters": 6, "kernel_size": 3, "padding": "valid", "activation": "tanh"},
          {"type": "global_avg_pool"}, {"type": "dense", "units": 5}]


@pytest.fixture(scope="module")
def trained():
    spec = parse_experiment({"schema_version": 2, "data": {"source": "shapes", "samples": 300, "image_size": 20},
                             "layers": LAYERS, "loss": "cross_entropy", "batch_size": 32,
                             "optimizer": {"name": "adam", "lr": 0.01}})
    trainer = Trainer(spec)
    trainer.train_epochs(2)
    images = sample_inputs(trainer.dataset)
    assert images.shape == (1000, 1, 20, 20)  # real images first, then jittered copies
    return trainer, images, trainer.predict(images)


def test_onnx_takes_raw_images_at_any_batch(trained, tmp_path):
    trainer, images, expected = trained
    report = export_model(trainer, tmp_path / "m.onnx", "onnx")
    assert report.n_checked == 1000
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1:] == [1, 20, 20]
    for n in BATCHES:
        got = session.run(None, {"raw_inputs": images[:n]})[0]
        np.testing.assert_allclose(got, expected[:n], atol=1e-5)


def test_torchscript_and_python_code_take_raw_images(trained, tmp_path):
    trainer, images, expected = trained
    export_model(trainer, tmp_path / "m.pt", "torchscript")
    export_model(trainer, tmp_path / "m.py", "python")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.* is deprecated in torch >= 2.10
        scripted = torch.jit.load(str(tmp_path / "m.pt"))
    module = load_generated_module(tmp_path / "m.py")
    model = module.load_model()
    code = (tmp_path / "m.py").read_text()
    assert "('conv1', nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1))" in code
    assert "('pool3', nn.MaxPool2d(2))" in code and "SCALE = 1.0" in code
    for n in BATCHES:
        x = torch.as_tensor(images[:n])
        with torch.no_grad():
            np.testing.assert_allclose(scripted(x).numpy(), expected[:n], atol=1e-5)
            np.testing.assert_allclose(module.predict(x, model).numpy(), expected[:n], atol=1e-5)


def test_checkpoint_rebuilds_the_conv_net(trained, tmp_path):
    trainer, images, expected = trained
    save_checkpoint(trainer, tmp_path / "run.ckpt")
    restored = restore_trainer(load_checkpoint(tmp_path / "run.ckpt"))
    assert list(restored.model.state_dict()) == list(trainer.model.state_dict())
    for n in BATCHES:
        np.testing.assert_allclose(restored.predict(images[:n]), expected[:n], atol=1e-6)
