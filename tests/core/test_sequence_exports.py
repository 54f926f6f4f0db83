"""Exports of a sequence net take raw sequences (N, T, F) in the data's units, at batch 1, 7 and 1000."""


import pytest

from core.export.verify import sample_inputs
from core.spec import parse_experiment
from core.training.trainer import Trainer
from export_checks import check_checkpoint, check_onnx, check_torchscript_and_code

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
    assert check_onnx(trainer, sequences, expected, tmp_path, atol=1e-4)[1:] == [16, 1]


def test_torchscript_and_python_code_take_raw_sequences(trained, tmp_path):
    trainer, sequences, expected = trained
    code = check_torchscript_and_code(trainer, sequences, expected, tmp_path, atol=1e-4)
    assert "('lstm3', Recurrent(nn.LSTM(5, 4, batch_first=True), return_sequences=True))" in code
    assert "('conv1', TimeConv1d(1, 4, kernel_size=3, stride=2, padding=1))" in code
    assert "class Recurrent(nn.Module)" in code and "raw sequences (time steps, features)" in code


def test_checkpoint_rebuilds_the_sequence_net(trained, tmp_path):
    check_checkpoint(*trained, tmp_path)
