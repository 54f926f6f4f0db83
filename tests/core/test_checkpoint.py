"""Checkpoints resume a run exactly, refuse files that hold code, and explain damaged ones."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest
import torch

from core.files.checkpoint import (CheckpointError, load_checkpoint, restore_trainer, save_checkpoint,
                             write_checkpoint)
from core.spec import Experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)


def _trainer(**changes) -> Trainer:
    spec = Experiment(data={"source": "spiral", "samples": 120}, epochs=20, **changes)
    return Trainer(spec)


def _params(model) -> dict[str, torch.Tensor]:
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


class _CreatesFile:
    """A pickle whose loading would create `marker`: stands in for any code hidden in a file."""

    def __init__(self, marker: Path) -> None:
        self.marker = Path(marker)

    def __reduce__(self):
        return (Path.touch, (self.marker,))


@pytest.mark.parametrize("changes", [
    {"engine": "torch", "optimizer": {"name": "adam", "lr": 0.02},
     "layers": [{"units": 6, "dropout": 0.3}, {"units": 3, "norm": "batch"}],
     "schedule": {"kind": "step", "step_size": 2, "gamma": 0.5}},
    {},  # the defaults: sgd, the fused engine when available
], ids=["adam-dropout-batchnorm-schedule", "defaults"])
def test_resumed_run_continues_identically(tmp_path, changes):
    original = _trainer(**changes)
    original.set_batch_size(7)  # a live setting must survive the round trip too
    for _ in range(3):
        original.train_epoch()
    path = save_checkpoint(original, tmp_path / "run.pt")
    ahead = [original.train_epoch() for _ in range(3)]

    resumed = restore_trainer(load_checkpoint(path))
    assert (resumed.epoch, resumed.step, resumed.batch_size) == (3, original.history.to_records()[2]["step"], 7)
    assert len(resumed.history) == 3
    again = [resumed.train_epoch() for _ in range(3)]
    assert again == ahead
    after_a, after_b = _params(original.model), _params(resumed.model)
    assert all(torch.equal(after_a[k], after_b[k]) for k in after_a)


def test_loaded_checkpoint_rebuilds_the_network(tmp_path):
    trainer = _trainer(engine="torch")
    trainer.train_epoch()
    data = load_checkpoint(save_checkpoint(trainer, tmp_path / "c.pt"))
    assert data.spec == trainer.spec and data.epoch == 1 and data.layerlab_version
    model = data.build_model()
    x = torch.randn(5, trainer.dataset.n_inputs)
    trainer.model.eval()
    with torch.no_grad():
        assert torch.equal(model.eval()(x), trainer.model(x))
    assert list(model._modules) == list(trainer.model._modules)


@pytest.mark.parametrize("writer", ["torch.save", "pickle.dump"])
def test_checkpoint_with_code_is_refused_and_never_runs(tmp_path, writer):
    marker = tmp_path / "marker"
    payload = {"format": "layerlab-checkpoint", "checkpoint_version": 1, "spec_json": "{}",
               "hidden": _CreatesFile(marker)}
    path = tmp_path / "evil.pt"
    if writer == "torch.save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    with pytest.raises(CheckpointError, match="contains code/objects that are not plain data; refusing "
                       r"to load it \(it would call .*\)\. Only open checkpoints from people you trust"):
        load_checkpoint(path)
    assert not marker.exists()
    # the file really does carry that side effect, so the check above could have failed
    pickle.loads(pickle.dumps(_CreatesFile(tmp_path / "proof")))
    assert (tmp_path / "proof").exists()


def test_damaged_and_foreign_files_get_clear_messages(tmp_path):
    trainer = _trainer(engine="torch")
    good = save_checkpoint(trainer, tmp_path / "good.pt").read_bytes()
    cases = {
        "truncated.pt": (good[: len(good) // 2], "damaged"),
        "text.pt": (b"hello, I am not a checkpoint", "not a LayerLab checkpoint"),
        "empty.pt": (b"", "not a LayerLab checkpoint"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(CheckpointError, match=message) as info:
            load_checkpoint(tmp_path / name)
        assert name in str(info.value)
    torch.save(trainer.model.state_dict(), tmp_path / "weights_only.pt")
    with pytest.raises(CheckpointError, match="holds no LayerLab header"):
        load_checkpoint(tmp_path / "weights_only.pt")
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "missing.pt")
    with pytest.raises(CheckpointError, match="is a folder"):
        load_checkpoint(tmp_path)


@pytest.mark.filterwarnings("ignore:`torch.jit:DeprecationWarning")
def test_torchscript_file_is_not_opened_as_checkpoint(tmp_path):
    scripted = torch.jit.script(torch.nn.Sequential(torch.nn.Linear(2, 1)))
    torch.jit.save(scripted, str(tmp_path / "model.pt"))
    with pytest.raises(CheckpointError, match="TorchScript model export, not a checkpoint"):
        load_checkpoint(tmp_path / "model.pt")


def test_edited_checkpoint_whose_weights_do_not_fit_is_refused(tmp_path):
    trainer = _trainer(engine="torch")
    path = save_checkpoint(trainer, tmp_path / "c.pt")
    payload = torch.load(path, weights_only=True)
    payload["model_state"]["dense1.weight"] = torch.zeros(9, 9)
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match=r"field 'model_state' entry 'dense1.weight' has shape \(9, 9\), "
                       r"but the network its spec describes needs \(4, 2\)"):
        load_checkpoint(path)
    data = load_checkpoint(save_checkpoint(trainer, tmp_path / "ok.pt"))
    data.model_state["dense1.weight"] = torch.zeros(9, 9)  # edited in memory: the later checks still hold
    with pytest.raises(CheckpointError, match="saved weights do not fit the network"):
        data.build_model()
    with pytest.raises(CheckpointError, match="saved state does not fit"):
        restore_trainer(data)


def test_newer_checkpoint_version_asks_for_an_update(tmp_path):
    trainer = _trainer(engine="torch")
    path = save_checkpoint(trainer, tmp_path / "c.pt")
    payload = torch.load(path, weights_only=True)
    payload["checkpoint_version"] = 99
    torch.save(payload, path)
    with pytest.raises(CheckpointError, match="newer than this LayerLab reads"):
        load_checkpoint(path)


def test_save_to_missing_folder_is_clear_and_leaves_nothing(tmp_path):
    trainer = _trainer(engine="torch")
    with pytest.raises(CheckpointError, match="does not exist"):
        save_checkpoint(trainer, tmp_path / "nope" / "c.pt")
    assert list(tmp_path.iterdir()) == []


def test_failed_save_keeps_previous_checkpoint(tmp_path, monkeypatch):
    trainer = _trainer(engine="torch")
    path = save_checkpoint(trainer, tmp_path / "c.pt")
    before = path.read_bytes()
    trainer.train_epoch()

    real_open = open

    def half_write(file, mode="r", *args, **kwargs):  # the disk fills up after a few bytes
        handle = real_open(file, mode, *args, **kwargs)
        if "w" in mode and str(file).endswith(".tmp"):
            handle.write(b"PK\x03\x04partial")
            handle.close()
            raise OSError(28, "No space left on device")
        return handle

    monkeypatch.setattr("builtins.open", half_write)
    with pytest.raises(CheckpointError, match="the disk is full; nothing was written"):
        save_checkpoint(trainer, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["c.pt"]


def test_write_checkpoint_serves_autosave_writers(tmp_path):
    from core.files.atomic import atomic_write_with

    trainer = _trainer(engine="torch")
    trainer.train_epoch()
    atomic_write_with(tmp_path / "auto.pt", lambda tmp: write_checkpoint(trainer, tmp))
    assert load_checkpoint(tmp_path / "auto.pt").epoch == 1


# ------------------------------------------------------------------ regression target scale


def _csv_regression(tmp_path: Path) -> Trainer:
    import shutil

    data = tmp_path / "diabetes.csv"
    shutil.copy(Path(__file__).resolve().parents[2] / "assets" / "diabetes.csv", data)
    spec = Experiment.model_validate({"data": {"source": "csv", "path": str(data), "target": "progression"},
                                      "task": "regression", "loss": "mse", "engine": "torch", "epochs": 5})
    trainer = Trainer(spec)
    for _ in range(3):
        trainer.train_epoch()
    return trainer


def test_checkpoint_restores_the_regression_target_scale(tmp_path):
    original = _csv_regression(tmp_path)
    path = save_checkpoint(original, tmp_path / "run.pt")
    resumed = restore_trainer(load_checkpoint(path))
    ds = resumed.dataset
    assert (ds.y_mean, ds.y_std) == (original.dataset.y_mean, original.dataset.y_std)
    assert ds.y_mean is not None and ds.y_mean > 100  # the target's units, not standardised
    raw = original.dataset.raw_test
    assert torch.equal(torch.from_numpy(resumed.predict(raw)), torch.from_numpy(original.predict(raw)))
    assert resumed.train_epoch() == original.train_epoch()


def test_changed_targets_since_the_checkpoint_are_refused(tmp_path):
    original = _csv_regression(tmp_path)
    path = save_checkpoint(original, tmp_path / "run.pt")
    data = Path(original.spec.data.path)
    lines = data.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    col = header.index("progression")
    doubled = [lines[0]] + [",".join(str(float(v) * 2) if i == col else v for i, v in enumerate(row.split(",")))
                            for row in lines[1:]]
    data.write_text("\n".join(doubled) + "\n", encoding="utf-8")  # same shape, other units
    with pytest.raises(CheckpointError, match=r"targets were scaled with mean .* the data file has probably changed"):
        restore_trainer(load_checkpoint(path))
