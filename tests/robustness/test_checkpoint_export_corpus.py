"""Bad and odd checkpoints and export targets, as an attacker or a careless user makes them: every one
gives a clear one-line message (or works), nothing crashes or hangs, no code in a file runs, and
nothing half-written is left. The window keeps its experiment when a bad file is opened."""

from __future__ import annotations

import copy
import gzip
import json
import os
import pickle
import stat
import sys
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch

import core.files.checkpoint_fields as fields
from core.files.checkpoint import CheckpointError, load_checkpoint, restore_trainer, save_checkpoint
from core.cli import main
from core.export import ExportError, export_model
from core.spec import Experiment
from core.training.trainer import Trainer

pytestmark = pytest.mark.usefixtures("isolated_user_files")
SPEC = Experiment(data={"source": "xor", "samples": 80}, layers=[{"units": 3}], engine="torch", epochs=5)


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    t = Trainer(SPEC)
    for _ in range(2):
        t.train_epoch()
    return t


@pytest.fixture(scope="module")
def good(trainer, tmp_path_factory) -> Path:
    return save_checkpoint(trainer, tmp_path_factory.mktemp("good") / "good.pt")


@pytest.fixture(scope="module")
def payload(good) -> dict:
    return torch.load(good, weights_only=True)


def _refused(path, *words: str) -> str:
    """load_checkpoint refuses `path` with one short line holding `words`; returns the message."""
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 700, message[:1000]
    for word in words:
        assert word in message, message
    return message


def _saved(tmp_path: Path, obj, name: str = "crafted.pt") -> Path:
    path = tmp_path / name
    torch.save(obj, path)
    return path


class _Marker:
    """Unpickling this creates a file: it shows whether code in a crafted file ran."""

    def __init__(self, path: Path, how) -> None:
        self.path, self.how = str(path), how

    def __reduce__(self):
        return self.how(self.path)


# ------------------------------------------------------------------ files that are not checkpoints

def test_zero_bytes(tmp_path):
    (tmp_path / "empty.pt").write_bytes(b"")
    _refused(tmp_path / "empty.pt", "empty.pt", "empty")


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.99])
def test_truncated_checkpoint(tmp_path, good, fraction):
    data = good.read_bytes()
    path = tmp_path / "cut.pt"
    path.write_bytes(data[: int(len(data) * fraction)])
    _refused(path, "cut.pt", "damaged")


def test_zip_without_the_data_record(tmp_path):
    with zipfile.ZipFile(tmp_path / "other.pt", "w") as archive:
        archive.writestr("readme.txt", "hello")
    _refused(tmp_path / "other.pt", "not a LayerLab checkpoint")


@pytest.mark.parametrize("content", [json.dumps({"epoch": 3, "weights": [1, 2]}), SPEC.to_json()],
                         ids=["json", "experiment-json"])
def test_json_renamed_pt(tmp_path, content):
    (tmp_path / "data.pt").write_text(content)
    _refused(tmp_path / "data.pt", "not a LayerLab checkpoint")


@pytest.mark.parametrize("kind", ["gzip", "tar", "npy", "random"])
def test_other_binary_formats(tmp_path, good, kind):
    path = tmp_path / f"file.{kind}"
    if kind == "gzip":
        path.write_bytes(gzip.compress(good.read_bytes()))
    elif kind == "tar":
        with tarfile.open(path, "w") as archive:
            archive.add(good, arcname="good.pt")
    elif kind == "npy":
        np.save(path, np.arange(10.0))
    else:
        path.write_bytes(np.random.default_rng(0).bytes(4096))
    _refused(path, path.name)


def test_checkpoint_of_another_app(tmp_path, trainer):
    other = {"state_dict": trainer.model.state_dict(), "epoch": 3, "optimizer": trainer.optimizer.state_dict(),
             "hyper_parameters": {"lr": 0.1}}
    _refused(_saved(tmp_path, other), "holds no LayerLab header")
    _refused(_saved(tmp_path, trainer.model.state_dict(), "weights.pt"), "holds no LayerLab header")


@pytest.mark.parametrize("obj", [[1, 2, 3], torch.zeros(3), "layerlab-checkpoint", None],
                         ids=["list", "tensor", "string", "none"])
def test_payload_that_is_not_a_dict(tmp_path, obj):
    _refused(_saved(tmp_path, obj), "holds no LayerLab header")


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_torchscript_and_onnx_files_are_not_checkpoints(tmp_path, trainer):
    export_model(trainer, tmp_path / "model.pt", "torchscript")
    _refused(tmp_path / "model.pt", "TorchScript model export")
    export_model(trainer, tmp_path / "model.onnx", "onnx")
    (tmp_path / "model.onnx").rename(tmp_path / "renamed.pt")
    _refused(tmp_path / "renamed.pt", "not a LayerLab checkpoint")


# ------------------------------------------------------------------ files that carry code

def _lambda_pickle() -> bytes:
    """What a pickled lambda comes down to: eval of source text (protocol 0, hand-written)."""
    return b"cbuiltins\neval\n(Vlambda: open('MARKER', 'w')\ntR."


@pytest.mark.parametrize("how", ["lambda", "os.system", "Popen", "open-in-zip", "exec-in-zip"])
def test_code_in_a_file_never_runs(tmp_path, payload, how):
    marker = tmp_path / "ran"
    path = tmp_path / "evil.pt"
    if how == "lambda":
        path.write_bytes(_lambda_pickle().replace(b"MARKER", str(marker).encode()))
    elif how == "os.system":
        path.write_bytes(pickle.dumps({"format": "layerlab-checkpoint",
                                       "x": _Marker(marker, lambda p: (os.system, (f"touch {p}",)))}))
    elif how == "Popen":
        import subprocess

        path.write_bytes(pickle.dumps(_Marker(marker, lambda p: (subprocess.Popen, (["touch", p],)))))
    elif how == "open-in-zip":
        torch.save({**payload, "history": [_Marker(marker, lambda p: (open, (p, "w")))]}, path)
    else:
        torch.save({**payload, "x": _Marker(marker, lambda p: (exec, (f"open({p!r}, 'w')",)))}, path)
    _refused(path, "refusing to load it", "people you trust")
    assert not marker.exists()


# ------------------------------------------------------------------ LayerLab checkpoints with odd content

def test_huge_but_valid_history_loads_and_is_thinned(tmp_path, payload):
    history = [{"epoch": i, "step": 10 * i, "train_loss": 1.0 / i, "test_loss": 1.0 / i,
                "train_accuracy": 0.5, "test_accuracy": 0.5, "learning_rate": 0.03} for i in range(1, 100_001)]
    data = load_checkpoint(_saved(tmp_path, {**payload, "history": history, "epoch": 100_000,
                                             "step": 1_000_000}))
    trainer = restore_trainer(data)
    assert trainer.epoch == 100_000 and len(trainer.history) <= trainer.history.max_points
    assert trainer.history.last.epoch == 100_000


def test_history_longer_than_any_run_is_refused(tmp_path, payload, monkeypatch):
    monkeypatch.setattr(fields, "MAX_HISTORY", 10)
    history = [dict(payload["history"][0], epoch=1) for _ in range(11)]
    _refused(_saved(tmp_path, {**payload, "history": history}), "field 'history'", "entries")


@pytest.mark.parametrize("entry", [{"epoch": "1", "step": 1, "train_loss": 0.5, "test_loss": 0.5},
                                   {"epoch": 1, "step": 1, "train_loss": [0.5], "test_loss": 0.5},
                                   {"epoch": 1, "step": 1, "train_loss": 0.5, "test_loss": 0.5, "bogus": 1},
                                   7, "epoch 1"], ids=["text-epoch", "list-loss", "extra-key", "number", "text"])
def test_odd_history_entries(tmp_path, payload, entry):
    path = _saved(tmp_path, {**payload, "history": [entry]})
    if isinstance(entry, dict) and entry.get("bogus"):
        assert load_checkpoint(path).epoch == payload["epoch"]  # unknown keys are ignored, like old files
    else:
        _refused(path, "field 'history[0]'")


@pytest.mark.parametrize("spec", [
    {"schema_version": 1, "layers": [{"units": 3, "activation": "swish9"}]},
    {"schema_version": 1, "batch_size": 0},
    {"schema_version": 1, "data": {"source": "csv"}},
    {"schema_version": 99},
], ids=["unknown-activation", "batch-size-0", "csv-without-path", "future-schema"])
def test_spec_inside_that_fails_validation(tmp_path, payload, spec):
    _refused(_saved(tmp_path, {**payload, "spec_json": json.dumps(spec)}), "field 'spec_json'")


def test_huge_spec_text_gives_a_short_message(tmp_path, payload):
    huge = json.dumps({"schema_version": 1, "device": "x" * 10_000_000})
    _refused(_saved(tmp_path, {**payload, "spec_json": huge}), "field 'spec_json'")


def test_deeply_nested_content_is_no_crash(tmp_path, payload):
    nested: list = []
    for _ in range(20_000):
        nested = [nested]
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(100_000)
    try:
        path = tmp_path / "deep.pt"
        torch.save({**payload, "trainer_state": {"x": nested}}, path)
    finally:
        sys.setrecursionlimit(old)
    try:
        load_checkpoint(path)  # loading it is fine too; crashing is not
    except CheckpointError as err:
        assert "\n" not in str(err)


def test_sparse_weights_and_non_text_keys(tmp_path, payload):
    weight = payload["model_state"]["dense1.weight"]
    sparse = {**payload, "model_state": {**payload["model_state"], "dense1.weight": weight.to_sparse()}}
    _refused(_saved(tmp_path, sparse, "sparse.pt"), "field 'model_state")
    keyed = {**payload, "model_state": {**payload["model_state"], 5: weight}}
    _refused(_saved(tmp_path, keyed, "keyed.pt"), "field 'model_state'")


def test_bool_epoch_and_mismatched_inputs(tmp_path, payload):
    _refused(_saved(tmp_path, {**payload, "epoch": True}, "bool.pt"), "field 'epoch'")
    _refused(_saved(tmp_path, {**payload, "n_inputs": 5}, "inputs.pt"), "field 'model_state'", "shape")


def test_optimizer_state_of_another_optimizer_is_refused(tmp_path, payload):
    spec = Experiment.model_validate_json(payload["spec_json"]).replace(optimizer={"name": "adam", "lr": 0.01})
    path = _saved(tmp_path, {**payload, "spec_json": spec.to_json()})  # an SGD state under an Adam spec
    _refused(path, "field 'optimizer_state' does not fit the spec's optimizer (adam)")


def test_format_header_of_something_else(tmp_path, payload):
    _refused(_saved(tmp_path, {**payload, "format": "layerlab-checkpoint-v9"}), "holds no LayerLab header")


# ------------------------------------------------------------------ paths that are not files

def test_paths_that_are_not_plain_files(tmp_path):
    os.mkfifo(tmp_path / "pipe.pt")
    _refused(tmp_path / "pipe.pt", "pipe")  # never blocks waiting for a writer
    _refused(Path("/dev/null"), "device")
    (tmp_path / "loop.pt").symlink_to(tmp_path / "loop.pt")
    _refused(tmp_path / "loop.pt", "cannot open it")
    _refused(tmp_path, "is a folder")
    _refused(tmp_path / "missing.pt", "no such file")


@pytest.mark.parametrize("name", ["nul\0byte.pt", "lone\ud800surrogate.pt", "x" * 400 + ".pt"],
                         ids=["nul", "surrogate", "too-long"])
def test_unusable_names(tmp_path, name):
    _refused(str(tmp_path / name), "cannot open it")


# ------------------------------------------------------------------ export targets

def _no_temp(folder: Path) -> bool:
    return not [p for p in folder.rglob("*") if p.name.endswith(".tmp")]


@pytest.mark.parametrize("fmt", ["torchscript", "python", "checkpoint"])
def test_export_to_a_folder_path(tmp_path, trainer, fmt):
    target = tmp_path / "already-a-folder"
    target.mkdir()
    error = CheckpointError if fmt == "checkpoint" else ExportError
    with pytest.raises(error, match="that is a folder"):
        save_checkpoint(trainer, target) if fmt == "checkpoint" else export_model(trainer, target, fmt)
    assert list(target.iterdir()) == [] and _no_temp(tmp_path)


@pytest.mark.parametrize("fmt", ["torchscript", "python", "checkpoint"])
def test_export_over_a_read_only_file(tmp_path, trainer, fmt):
    target = tmp_path / "locked.out"
    target.write_bytes(b"keep me")
    target.chmod(stat.S_IRUSR | stat.S_IRGRP)
    error = CheckpointError if fmt == "checkpoint" else ExportError
    with pytest.raises(error, match="read-only"):
        save_checkpoint(trainer, target) if fmt == "checkpoint" else export_model(trainer, target, fmt)
    assert target.read_bytes() == b"keep me" and _no_temp(tmp_path)


@pytest.mark.parametrize("fmt", ["torchscript", "checkpoint"])
def test_export_name_with_a_newline_works(tmp_path, trainer, fmt):
    target = tmp_path / "two\nlines.pt"
    save_checkpoint(trainer, target) if fmt == "checkpoint" else export_model(trainer, target, fmt)
    assert target.is_file() and _no_temp(tmp_path)


@pytest.mark.parametrize("name, words", [
    ("nul\0byte.pt", "cannot write"), ("x" * 300 + ".pt", "too long"), ("file.txt/model.pt", "is a file"),
    ("no/such/folder/model.pt", "does not exist")], ids=["nul", "too-long", "parent-is-file", "missing-folder"])
def test_export_to_unusable_names(tmp_path, trainer, name, words):
    (tmp_path / "file.txt").write_text("x")
    with pytest.raises(ExportError, match=words) as info:
        export_model(trainer, tmp_path / name, "torchscript")
    assert "\n" not in str(info.value).replace(str(tmp_path / name), "")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file.txt"]


def test_export_to_a_pipe_is_refused(tmp_path, trainer):
    # A FIFO of our own, not a system device: a regression must not be able to replace /dev/*.
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(ExportError, match="device or pipe"):
        export_model(trainer, tmp_path / "pipe", "torchscript")
    with pytest.raises(CheckpointError, match="device or pipe"):
        save_checkpoint(trainer, tmp_path / "pipe")
    assert stat.S_ISFIFO((tmp_path / "pipe").stat().st_mode) and _no_temp(tmp_path)


def test_cli_export_where_a_folder_blocks_the_file(tmp_path, capsys):
    exp = tmp_path / "exp.json"
    exp.write_text(SPEC.to_json())
    out = tmp_path / "run"
    (out / "checkpoint.pt").mkdir(parents=True)
    assert main(["train", str(exp), "--out", str(out), "--export", "checkpoint", "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "checkpoint export failed" in err[0] and "that is a folder" in err[0]


# ------------------------------------------------------------------ the window keeps its experiment

def test_window_keeps_its_experiment_when_bad_files_are_opened(qtbot, window, tmp_path, payload):
    bad = {
        "nan.ckpt": {**payload, "model_state": {**payload["model_state"],
                                                "output.bias": torch.tensor([float("nan")])}},
        "epoch.ckpt": {**payload, "epoch": -4},
        "optimizer.ckpt": {**payload, "optimizer_state": "sgd"},
        "trainer.ckpt": {**payload, "trainer_state": []},
        "version.ckpt": {**payload, "checkpoint_version": -1},
    }
    window.controller.step()
    qtbot.waitUntil(lambda: window.controller.epoch == 1, timeout=20_000)
    kept, title = window.controller.spec, window.windowTitle()
    for name, content in bad.items():
        path = tmp_path / name
        torch.save(copy.deepcopy(content), path)
        assert not window.files.open_experiment(str(path))
        assert name in window.last_message and "field '" in window.last_message
        assert window.message_bar.level == "error"
        assert window.controller.spec is kept and window.controller.epoch == 1 and window.windowTitle() == title
    (tmp_path / "empty.ckpt").write_bytes(b"")
    assert not window.files.open_experiment(str(tmp_path / "empty.ckpt")) and window.controller.spec is kept
