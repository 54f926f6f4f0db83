"""rnn, lstm, gru and conv1d: shapes, names, misfits, the summary, and training on the torch engine."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from core.nn.build import build_model
from core.nn.summary import model_summary
from core.spec import ShapeError, load_experiment, parse_experiment
from core.training.trainer import Trainer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _spec(layers, source="sine", **extra):
    task = "regression" if source == "sine" else "classification"
    return parse_experiment({"schema_version": 2, "seed": 0, "data": {"source": source, "samples": 200},
                             "task": task, "loss": "mse" if task == "regression" else "cross_entropy",
                             "layers": layers, "optimizer": {"name": "adam", "lr": 0.01}, **extra})


def test_layers_give_sequences_or_the_last_state_and_names_read_like_the_diagram():
    spec = _spec([{"type": "conv1d", "filters": 6, "kernel_size": 3, "padding": "valid"},
                  {"type": "gru", "units": 5, "return_sequences": True},
                  {"type": "lstm", "units": 4, "return_sequences": True},
                  {"type": "rnn", "units": 3}, {"type": "dense", "units": 2}])
    model = build_model(spec, 40, 1)
    assert list(model._modules)[:5] == ["sequence", "conv1", "relu1", "gru2", "lstm3"]
    assert "lstm3.cell.weight_hh_l0" in model.state_dict() and "conv1.weight" in model.state_dict()
    x = torch.randn(7, 40)
    h = x
    shapes = []
    for name, module in model.named_children():
        h = module(h)
        shapes.append((name, tuple(h.shape)))
    assert dict(shapes)["conv1"] == (7, 38, 6) and dict(shapes)["gru2"] == (7, 38, 5)
    assert dict(shapes)["rnn4"] == (7, 3) and dict(shapes)["output"] == (7, 1)
    # the last state of a recurrent layer is its sequence's last step
    lstm = model.lstm3
    seq = lstm.hidden_states(torch.randn(2, 9, 5))
    lstm.return_sequences = False
    torch.manual_seed(0)
    z = torch.randn(2, 9, 5)
    torch.testing.assert_close(lstm(z), lstm.hidden_states(z)[:, -1])
    assert seq.shape == (2, 9, 4)


def test_a_dense_after_a_sequence_flattens_it_and_the_summary_says_so():
    spec = _spec([{"type": "lstm", "units": 4, "return_sequences": True}, {"type": "dense", "units": 3}])
    text = model_summary(spec, 40, 1).to_text()
    assert "(None, 40, 4)" in text and "flattens 40×4 → 160" in text
    assert "sequence: 40 time steps of 1 feature" in text
    row = model_summary(spec, 40, 1).rows[1]
    assert row.parameters == 4 * (1 * 4 + 4 * 4 + 2 * 4) and row.multiply_adds == 40 * 4 * (1 + 4) * 4


@pytest.mark.parametrize("layers, message", [
    ([{"type": "lstm"}, {"type": "gru"}], r"layers.1 \(gru\): gets \(16,\) from layers.0; needs a sequence"),
    ([{"type": "dense", "units": 4}, {"type": "conv1d"}], r"layers.1 \(conv1d\): gets \(4,\)"),
    ([{"type": "conv1d", "kernel_size": 50, "padding": "valid"}], r"layers.0 \(conv1d\).*at least 50 steps"),
    ([{"type": "lstm", "return_sequences": True}], r"the output layer: gets \(40, 16\)"),
])
def test_misfit_stacks_are_refused_naming_the_layer(layers, message):
    with pytest.raises(ShapeError, match=message):
        build_model(_spec(layers), 40, 1)


def test_recurrent_layers_on_a_table_are_refused():
    spec = parse_experiment({"schema_version": 2, "data": {"source": "iris"}, "layers": [{"type": "rnn"}],
                             "loss": "cross_entropy"})
    with pytest.raises(ShapeError, match=r"layers.0 \(rnn\): gets \(4,\) from the data; needs a sequence"):
        build_model(spec, 4, 3)


def test_the_sine_example_trains_on_the_torch_engine_and_says_why():
    spec = load_experiment(EXAMPLES / "sine_lstm.json")
    assert json.loads((EXAMPLES / "sine_lstm.json").read_text())["layers"] == [{"type": "lstm", "units": 16}]
    trainer = Trainer(spec.replace(epochs=8))
    assert trainer.engine == "torch" and "recurrent layers are not on the fused engine" in trainer.engine_notice
    first = trainer.train_epoch().test_loss
    trainer.train_epochs(7)
    test_loss = trainer.evaluate()[1]
    assert test_loss < 0.05 < first  # standardised units: 1.0 = predicting the mean


def test_a_fused_request_falls_back_to_torch_with_a_notice():
    trainer = Trainer(_spec([{"type": "gru", "units": 4}], engine="fused"))
    assert trainer.engine == "torch" and "recurrent" in trainer.engine_notice


def test_memory_is_learnt_by_an_lstm():
    spec = parse_experiment({"schema_version": 2, "seed": 0,
                             "data": {"source": "memory", "samples": 400, "sequence_length": 10},
                             "layers": [{"type": "lstm", "units": 8}], "loss": "bce", "batch_size": 32,
                             "optimizer": {"name": "adam", "lr": 0.02}})
    trainer = Trainer(spec)
    trainer.train_epochs(10)
    assert trainer.evaluate()[3] >= 0.9
    probabilities = trainer.predict(trainer.dataset.raw_test[:5].reshape(5, 10, 1))
    assert probabilities.shape == (5,) and ((probabilities > 0.5) == (trainer.dataset.raw_test[:5, 0] > 0)).all()


def test_cli_summary_and_train_take_a_sequence_experiment(tmp_path, capsys):
    from core.cli import main

    assert main(["summary", str(EXAMPLES / "sine_lstm.json")]) == 0
    text = capsys.readouterr().out
    assert "lstm1" in text and "LSTM" in text and "(None, 16)" in text and "40 time steps" in text
    out = tmp_path / "run"
    assert main(["train", str(EXAMPLES / "sine_lstm.json"), "--epochs", "2", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["engine"] == "torch" and metrics["test_loss"] < 0.5
