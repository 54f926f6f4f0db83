"""Exports of a conv net take raw images (N, C, H, W) in the data's pixel values, at batch 1, 7 and 1000."""


import pytest

from core.export.verify import sample_inputs
from core.spec import parse_experiment
from core.training.trainer import Trainer
from export_checks import check_checkpoint, check_onnx, check_torchscript_and_code

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
    assert check_onnx(trainer, images, expected, tmp_path, atol=1e-5)[1:] == [1, 20, 20]


def test_torchscript_and_python_code_take_raw_images(trained, tmp_path):
    trainer, images, expected = trained
    code = check_torchscript_and_code(trainer, images, expected, tmp_path, atol=1e-5)
    assert "('conv1', nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1))" in code
    assert "('pool3', nn.MaxPool2d(2))" in code and "SCALE = 1.0" in code


def test_checkpoint_rebuilds_the_conv_net(trained, tmp_path):
    check_checkpoint(*trained, tmp_path)
