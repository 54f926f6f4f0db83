"""Round trips on both engines: a run trained the way the CLI and the window train it (blocks of
epochs on the fused engine) is saved, reopened and resumed with the same epoch, weights and
history, and every export format is written and read back. The fused engine once wrote numpy
numbers into the history, which made its checkpoints unreadable; these tests run both engines."""

from __future__ import annotations

import csv
import importlib.util
import json
import math

import numpy as np
import pytest
import torch

from core.files.checkpoint import load_checkpoint, restore_trainer, save_checkpoint
from core.cli import main
from core.export import export_model
from core.spec import Experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)
ENGINES = ["fused", "torch"]


def _spec(engine: str, **changes) -> Experiment:
    return Experiment(data={"source": "spiral", "samples": 200}, layers=[{"units": 6}, {"units": 4}],
                      optimizer={"name": "sgd", "lr": 0.05, "momentum": 0.5}, epochs=40, engine=engine,
                      **changes)


def _trained(engine: str, epochs: int = 25) -> Trainer:
    trainer = Trainer(_spec(engine))
    assert trainer.engine == engine, trainer.engine_note  # the engine under test really runs
    trainer.train_epochs(epochs)  # one block, as Trainer.run trains for the CLI and the window
    return trainer


def _weights(state) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in state.items()}


def _records_are_plain(records: list[dict]) -> bool:
    return all(type(v) in (int, float, type(None)) for r in records for v in r.values())


@pytest.mark.parametrize("engine", ENGINES)
class TestRoundTrip:
    def test_records_hold_plain_python_numbers(self, engine):
        trainer = _trained(engine, 5)
        assert _records_are_plain(trainer.history.to_records())
        assert all(type(r.test_accuracy) is float for r in trainer.history)

    def test_save_load_resume_gives_the_same_run(self, engine, tmp_path):
        original = _trained(engine)
        path = save_checkpoint(original, tmp_path / "run.pt")
        saved = _weights(original.model.state_dict())
        ahead = original.train_epochs(10)

        data = load_checkpoint(path)
        assert data.epoch == 25 and _records_are_plain(data.history)
        resumed = restore_trainer(data)
        assert resumed.engine == engine and resumed.epoch == 25
        assert all(torch.equal(saved[k], v) for k, v in resumed.model.state_dict().items())
        assert [r.epoch for r in resumed.history] == list(range(1, 26))
        again = resumed.train_epochs(10)
        assert again == ahead  # every figure of the next ten epochs, as the uninterrupted run
        after = _weights(original.model.state_dict())
        assert all(torch.equal(after[k], v) for k, v in resumed.model.state_dict().items())

    def test_cli_checkpoint_reopens_with_the_run_it_trained(self, engine, tmp_path, capsys):
        exp = tmp_path / "exp.json"
        exp.write_text(_spec(engine).to_json())
        out = tmp_path / "run"
        assert main(["train", str(exp), "--epochs", "30", "--out", str(out), "--export", "checkpoint,python",
                     "--quiet"]) == 0
        assert capsys.readouterr().err == ""
        metrics = json.loads((out / "metrics.json").read_text())
        assert metrics["engine"] == engine

        data = load_checkpoint(out / "checkpoint.pt")
        assert data.epoch == metrics["epochs"] == 30
        exported = torch.load(out / "model_weights.pt", weights_only=True)  # the network the CLI ended with
        assert all(torch.equal(exported[k], v) for k, v in data.model_state.items())
        rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
        assert [int(r["epoch"]) for r in rows] == [h["epoch"] for h in data.history] == list(range(1, 31))
        for row, record in zip(rows, data.history):
            assert float(row["train_loss"]) == pytest.approx(record["train_loss"], rel=1e-12)
            assert float(row["test_accuracy"]) == pytest.approx(record["test_accuracy"], rel=1e-12)

        resumed = restore_trainer(data)
        assert resumed.epoch == 30 and len(resumed.history) == 30
        assert all(torch.equal(exported[k], v) for k, v in resumed.model.state_dict().items())
        resumed.train_epochs(5)
        assert resumed.epoch == 35 and math.isfinite(resumed.history.last.train_loss)

    @pytest.mark.filterwarnings("ignore::DeprecationWarning")
    @pytest.mark.parametrize("fmt", ["torchscript", "onnx", "python", "checkpoint"])
    def test_every_export_format_after_training(self, engine, fmt, tmp_path):
        trainer = _trained(engine, 15)
        raw = np.random.default_rng(1).uniform(-5, 5, size=(40, 2)).astype(np.float32)
        expected = np.asarray(trainer.predict(raw), np.float32).reshape(40, -1)
        if fmt == "checkpoint":
            got = restore_trainer(load_checkpoint(save_checkpoint(trainer, tmp_path / "c.pt"))).predict(raw)
        elif fmt == "torchscript":
            export_model(trainer, tmp_path / "m.pt", fmt)
            got = torch.jit.load(str(tmp_path / "m.pt"))(torch.as_tensor(raw)).detach().numpy()
        elif fmt == "onnx":
            import onnxruntime

            export_model(trainer, tmp_path / "m.onnx", fmt)
            session = onnxruntime.InferenceSession(str(tmp_path / "m.onnx"))
            got = session.run(None, {session.get_inputs()[0].name: raw})[0]
        else:
            export_model(trainer, tmp_path / "m.py", fmt)
            spec = importlib.util.spec_from_file_location(f"m_{engine}", tmp_path / "m.py")
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            got = module.predict(raw).numpy()
        np.testing.assert_allclose(np.asarray(got).reshape(40, -1), expected, atol=1e-5)
        assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_older_checkpoints_with_numpy_numbers_open_again(tmp_path):
    """Files written before the fix hold numpy floats in their history: they open as plain numbers."""
    trainer = _trained("torch", 3)
    path = save_checkpoint(trainer, tmp_path / "old.pt")
    payload = torch.load(path, weights_only=True)
    payload["history"] = [{**r, "train_loss": np.float64(r["train_loss"]), "step": np.int64(r["step"]),
                           "test_accuracy": np.float64(r["test_accuracy"])} for r in payload["history"]]
    torch.save(payload, path)
    data = load_checkpoint(path)
    assert _records_are_plain(data.history) and data.history[2]["step"] == trainer.step
    assert restore_trainer(data).epoch == 3


def test_writer_stores_numpy_values_as_plain_data(tmp_path):
    """Whatever a future record type holds, the file must open with weights_only=True."""
    from core.files.checkpoint import capture_checkpoint

    data = capture_checkpoint(_trained("torch", 2))
    data.history = [{**r, "test_loss": np.float32(0.5), "epoch": np.int64(r["epoch"])} for r in data.history]
    data.trainer_state = {**data.trainer_state, "regularization_rate": np.float64(0.0),
                          "target_scale": [np.float64(1.0), np.float32(2.0)]}
    path = save_checkpoint(data, tmp_path / "c.pt")
    raw = torch.load(path, weights_only=True)  # no numpy globals allowed: plain data only
    assert _records_are_plain(raw["history"]) and raw["history"][0]["test_loss"] == 0.5
    assert type(raw["trainer_state"]["regularization_rate"]) is float
