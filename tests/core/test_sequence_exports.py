"""Exports of a sequence net take raw sequences (N, T, F) in the data's units, at batch 1, 7 and 1000."""

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
LAYERS = [{"type": "conv1d", "filters": 4, "kernel_size": 3, "stride": 2},
          {"type": "gru", "units": 5, "return_sequences": True},
          {"type": "lstm", "units": 4, "return_sequences": True},
          {"type": "rnn", "units": 3}, {"type": "dense", "units": 4}]


@pytest.fixture(scope="module")
def trained():
    spec = parse_experiment({"schema_version": 2, "data": {"source": "sine", "samples": 200, "sequence_length": 16,
                                                           "noise": 0.1},
                             "task": "regression", "layers": LAYERS, "loss": "mse", "batch_size": 32,
                             "optimizer": {"name": "adam", "lr": 0.01}})
    trainer = Trainer(spec)
    trainer.train_epochs(2)
    sequences = sample_inputs(trainer.dataset)
    assert sequences.shape == (1000, 16, 1)  # real windows first, then jittered copies
    return trainer, sequences, trainer.predict(sequences)


def test_onnx_takes_raw_sequences_at_any_batch(trained, tmp_path):
    trainer, sequences, expected = trained
    report = export_model(trainer, tmp_path / "m.onnx", "onnx")
    assert report.n_checked == 1000
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    assert session.get_inputs()[0].shape[1:] == [16, 1]
    for n in BATCHES:
        got = session.run(None, {"raw_inputs": sequences[:n]})[0]
        np.testing.assert_allclose(got.reshape(-1), expected[:n].reshape(-1), atol=1e-4)


def test_torchscript_and_python_code_take_raw_sequences(trained, tmp_path):
    trainer, sequences, expected = trained
    export_model(trainer, tmp_path / "m.pt", "torchscript")
    export_model(trainer, tmp_path / "m.py", "python")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # torch.jit.* is deprecated in torch >= 2.10
        scripted = torch.jit.load(str(tmp_path / "m.pt"))
    module = load_generated_module(tmp_path / "m.py")
    model = module.load_model()
    code = (tmp_path / "m.py").read_text()
    assert "('lstm3', Recurrent(nn.LSTM(5, 4, batch_first=True), return_sequences=True))" in code
    assert "('conv1', TimeConv1d(1, 4, kernel_size=3, stride=2, padding=1))" in code
    assert "class Recurrent(nn.Module)" in code and "raw sequences (time steps, features)" in code
    for n in BATCHES:
        x = torch.as_tensor(sequences[:n])
        with torch.no_grad():
            np.testing.assert_allclose(scripted(x).numpy().reshape(-1), expected[:n].reshape(-1), atol=1e-4)
            np.testing.assert_allclose(module.predict(x, model).numpy().reshape(-1), expected[:n].reshape(-1),
                                       atol=1e-4)


def test_checkpoint_rebuilds_the_sequence_net(trained, tmp_path):
    trainer, sequences, expected = trained
    save_checkpoint(trainer, tmp_path / "run.ckpt")
    restored = restore_trainer(load_checkpoint(tmp_path / "run.ckpt"))
    assert list(restored.model.state_dict()) == list(trainer.model.state_dict())
    for n in BATCHES:
        np.testing.assert_allclose(restored.predict(sequences[:n]), expected[:n], atol=1e-6)
