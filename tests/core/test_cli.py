"""The `layerlab` command end to end, in-process: results on disk, exports, progress, errors and exit codes."""

from __future__ import annotations

import csv
import importlib.abc
import io
import json
import os
import signal
import subprocess
import sys
import types
from pathlib import Path

import pytest
import torch

import core
from core.files.checkpoint import load_checkpoint
from core.cli import default_out_dir, main

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]


def _experiment(folder: Path, name: str = "exp.json", **fields) -> Path:
    spec = {"schema_version": 1, "data": {"source": "xor", "samples": 80}, "epochs": 4, "engine": "torch"}
    spec.update(fields)
    path = folder / name
    path.write_text(json.dumps(spec))
    return path


def _error_line(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith("layerlab: error: ")
    return err[0]


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"layerlab {core.__version__}"


def test_train_writes_metrics_and_history(tmp_path, capsys):
    exp = _experiment(tmp_path)
    out = tmp_path / "run"
    assert main(["train", str(exp), "--epochs", "3", "--seed", "5", "--out", str(out), "--quiet"]) == 0
    assert capsys.readouterr() == ("", "")  # --quiet: nothing at all
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["state"] == "finished" and metrics["epochs"] == 3 and metrics["seed"] == 5
    assert metrics["device"] == "cpu" and metrics["engine"] == "torch"
    assert 0.0 <= metrics["test_accuracy"] <= 1.0 and 0.0 <= metrics["train_accuracy"] <= 1.0
    assert metrics["wall_seconds"] > 0 and metrics["epochs_per_second"] > 0
    rows = list(csv.DictReader((out / "history.csv").read_text().splitlines()))
    assert [int(r["epoch"]) for r in rows] == [1, 2, 3]
    assert float(rows[-1]["train_loss"]) == pytest.approx(metrics["train_loss"])
    assert float(rows[-1]["test_loss"]) == pytest.approx(metrics["test_loss"])


def test_a_first_compile_of_the_fast_engine_is_named_and_kept_out_of_the_speed(tmp_path, capsys, monkeypatch):
    import time

    from core import cli
    from core.engines import fused_warmup

    real = fused_warmup.warm_up
    monkeypatch.setattr(fused_warmup, "warm_up", lambda: time.sleep(1.0) or real())  # "compiling"
    monkeypatch.setattr(cli, "COMPILE_NOTE_S", 0.1)
    exp = _experiment(tmp_path, engine="fused", epochs=5)
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 0
    err = capsys.readouterr().err
    assert "the fast engine compiles for its first run on this machine" in err
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["engine"] == "fused" and metrics["wall_seconds"] < 0.9  # the compile is not in the run's time

    monkeypatch.setattr(fused_warmup, "warm_up", real)  # compiled: no note
    assert main(["train", str(exp), "--out", str(tmp_path / "again")]) == 0
    assert "compiles" not in capsys.readouterr().err


def test_progress_lines_when_not_a_terminal(tmp_path, capsys):
    exp = _experiment(tmp_path, epochs=20)
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 0
    out = capsys.readouterr().out
    progress = [line for line in out.splitlines() if line.startswith("epoch ")]
    assert progress and progress[-1].startswith("epoch 20/20")
    assert all("train loss" in p and "test loss" in p and "accuracy" in p and "epochs/s" in p for p in progress)
    assert "\r" not in out
    assert "finished: 20 epochs" in out and "metrics.json" in out


def test_progress_updates_one_line_on_a_terminal(tmp_path, monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    screen = Terminal()
    monkeypatch.setattr(sys, "stdout", screen)
    exp = _experiment(tmp_path, epochs=5)
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 0
    text = screen.getvalue()
    assert "\repoch 5/5" in text
    progress_lines = [line for line in text.split("\n") if "epoch 5/5" in line]
    assert len(progress_lines) == 1  # all updates rewrote the same line


def test_export_all_formats(tmp_path, capsys):
    exp = _experiment(tmp_path, data={"source": "circle", "samples": 60})
    out = tmp_path / "run"
    assert main(["train", str(exp), "--epochs", "2", "--out", str(out), "--export", "all"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["checkpoint.pt", "history.csv", "metrics.json", "model.onnx", "model.py",
                     "model.torchscript.pt", "model_weights.pt"]
    printed = capsys.readouterr().out
    for fmt in ("torchscript", "onnx", "python"):
        assert any(line.startswith(f"exported {fmt}") and "max diff" in line for line in printed.splitlines())
    assert load_checkpoint(out / "checkpoint.pt").epoch == 2


def test_default_out_dir_is_named_after_the_experiment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    exp = _experiment(tmp_path, name="my_spiral.json")
    assert main(["train", str(exp), "--epochs", "1", "--quiet"]) == 0
    (run,) = (tmp_path / "runs").iterdir()
    assert run.name.startswith("my_spiral-") and (run / "metrics.json").exists()
    assert default_out_dir(Path("a/b/xor.json")).parent == Path("runs")


@pytest.mark.parametrize("content, expected", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    (json.dumps({"schema_version": 1, "layers": [{"units": 0}]}), "layers.0.units"),
    (json.dumps({"schema_version": 1, "colour": "red"}), "colour: is not a known key"),
])
def test_bad_experiment_is_a_usage_error(tmp_path, capsys, content, expected):
    path = tmp_path / "exp.json"
    if content is not None:
        path.write_text(content)
    assert main(["train", str(path), "--out", str(tmp_path / "run")]) == 2
    line = _error_line(capsys)
    assert expected in line and "exp.json" in line
    assert not (tmp_path / "run").exists()


def test_bad_csv_is_reported_with_the_file(tmp_path, capsys):
    (tmp_path / "data.csv").write_text("a,b,label\n1,2,0\n3,x,1\n5,6,0\n7,8,1\n")
    exp = _experiment(tmp_path, data={"source": "csv", "path": "data.csv", "target": "label"})
    assert main(["train", str(exp), "--out", str(tmp_path / "run")]) == 2
    line = _error_line(capsys)
    assert "exp.json" in line and "'b'" in line


@pytest.mark.parametrize("args, expected", [
    (["--epochs", "0"], "--epochs: must be at least 1"),
    (["--export", "keras"], "unknown export 'keras'"),
    (["--seed", "minus"], "--seed: expected a whole number"),
    (["--device", "tpu"], "device 'tpu' is not one of"),
])
def test_bad_options_are_usage_errors(tmp_path, capsys, args, expected):
    exp = _experiment(tmp_path)
    assert main(["train", str(exp), *args]) == 2
    assert expected in _error_line(capsys)


def test_no_command_or_unknown_command(capsys):
    assert main(["fly"]) == 2
    assert "invalid choice: 'fly'" in _error_line(capsys)


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has CUDA, so it cannot be refused")
def test_unavailable_device_asked_explicitly_fails(tmp_path, capsys):
    exp = _experiment(tmp_path)
    assert main(["train", str(exp), "--device", "cuda", "--out", str(tmp_path / "run")]) == 1
    assert "CUDA was asked for" in _error_line(capsys)
    assert not (tmp_path / "run").exists()


def test_unwritable_out_dir_fails_before_training(tmp_path, capsys):
    (tmp_path / "file").write_text("in the way")
    exp = _experiment(tmp_path)
    assert main(["train", str(exp), "--out", str(tmp_path / "file" / "run")]) == 1
    assert "output folder" in _error_line(capsys)


def test_diverged_run_fails_but_keeps_metrics(tmp_path, capsys):
    exp = _experiment(tmp_path, data={"source": "plane", "samples": 50}, task="regression", loss="mse",
                      optimizer={"name": "sgd", "lr": 50}, layers=[{"units": 4, "activation": "relu"}])
    out = tmp_path / "run"
    assert main(["train", str(exp), "--out", str(out), "--export", "onnx", "--quiet"]) == 1
    assert "Loss became infinite" in _error_line(capsys)
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["state"] == "diverged" and metrics["epochs"] == 0
    assert not (out / "model.onnx").exists()


def test_ctrl_c_stops_cleanly_and_keeps_metrics(tmp_path, capsys, monkeypatch):
    from core.training.trainer import Trainer

    real = Trainer.train_epoch

    def epoch_then_ctrl_c(self):
        record = real(self)
        if self.epoch == 2:
            os.kill(os.getpid(), signal.SIGINT)
        return record

    monkeypatch.setattr(Trainer, "train_epoch", epoch_then_ctrl_c)
    exp = _experiment(tmp_path, epochs=50)
    out = tmp_path / "run"
    assert main(["train", str(exp), "--out", str(out), "--export", "torchscript"]) == 130
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["state"] == "stopped" and metrics["epochs"] == 2
    assert "stopped by Ctrl+C after 2 epochs" in capsys.readouterr().out
    assert not (out / "model.torchscript.pt").exists()
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # handler restored


def test_window_without_pyside_says_so(capsys):
    def open_window():
        raise ModuleNotFoundError("No module named 'PySide6'", name="PySide6")

    assert main([], open_window=open_window) == 1
    line = _error_line(capsys)
    assert "needs PySide6, which is not installed" in line and "layerlab train" in line
    assert "pip install PySide6-Essentials" in line


def test_no_arguments_opens_the_window():
    opened = []
    assert main([], open_window=lambda: opened.append(True) or 0) == 0 and opened == [True]


def test_no_arguments_without_a_window_says_how_to_start_it(capsys):
    assert main([]) == 2
    assert "python -m app" in _error_line(capsys)


def test_console_script_passes_the_window():
    from app import launcher

    opened = []
    assert launcher.main([], open_window=lambda: opened.append(True) or 0) == 0 and opened == [True]


def test_python_dash_m_core():
    run = subprocess.run([sys.executable, "-m", "core", "--version"], capture_output=True, text=True,
                         cwd=REPO, timeout=60)
    assert run.returncode == 0 and run.stdout.strip() == f"layerlab {core.__version__}"
    run = subprocess.run([sys.executable, "-m", "core", "train", "missing.json"], capture_output=True,
                         text=True, cwd=REPO, timeout=60)
    assert run.returncode == 2 and run.stderr.strip() == "layerlab: error: missing.json: no such file"


@pytest.mark.parametrize("example", sorted((REPO / "examples").glob("*.json")), ids=lambda p: p.name)
def test_example_files_are_valid(example):
    from core.spec import DataSource, load_experiment

    spec = load_experiment(example)
    if spec.data.source == DataSource.csv:
        assert Path(spec.data.path).is_file()  # resolved relative to the example file


def test_csv_example_trains_from_another_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the CSV path inside is relative to the experiment file, not the cwd
    out = tmp_path / "run"
    assert main(["train", str(REPO / "examples" / "iris_csv.json"), "--epochs", "2", "--out", str(out),
                 "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["epochs"] == 2 and metrics["test_accuracy"] is not None


def test_standardised_regression_reports_its_scale_and_error_in_units(tmp_path, capsys):
    exp = _experiment(tmp_path, data={"source": "csv", "path": str(REPO / "assets" / "diabetes.csv"),
                                      "target": "progression"}, task="regression", loss="mse", epochs=5)
    out = tmp_path / "run"
    assert main(["train", str(exp), "--out", str(out)]) == 0
    assert "in the target's units" in capsys.readouterr().out
    metrics = json.loads((out / "metrics.json").read_text())
    scale = metrics["target_scale"]
    assert 100 < scale["mean"] < 200 and 50 < scale["std"] < 100 and "standardised" in scale["note"]
    rmse = metrics["test_rmse_original_units"]
    assert rmse == pytest.approx(metrics["test_loss"] ** 0.5 * scale["std"], rel=1e-3)


def test_classification_metrics_have_no_target_scale(tmp_path):
    exp = _experiment(tmp_path)
    out = tmp_path / "run"
    assert main(["train", str(exp), "--epochs", "1", "--out", str(out), "--quiet"]) == 0
    metrics = json.loads((out / "metrics.json").read_text())
    assert "target_scale" not in metrics and "test_rmse_original_units" not in metrics
