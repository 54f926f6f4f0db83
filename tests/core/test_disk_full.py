"""A disk that fills up while a checkpoint or a model is written: a clear error saying nothing was
written, no file and no temp file left, and no abort (TorchScript used to kill the process with
c10::Error "unexpected pos"). Tested on a real 64 KiB tmpfs (skipped where it cannot be mounted)
and with the write failing by ENOSPC, through the core API and the CLI."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
import torch

from core.files.checkpoint import CheckpointError, save_checkpoint
from core.cli import main
from core.export import ExportError, export_model
from core.spec import Experiment
from core.training.trainer import Trainer

torch.set_num_threads(1)
REPO = Path(__file__).resolve().parents[2]
FORMATS = ["checkpoint", "torchscript", "onnx", "python"]
FULL = "the disk is full; nothing was written"
EXPORT_NAMES = ("model", "run.ckpt", "checkpoint.")
# ~35k weights (~140 KB in any format): more than the small disk holds.
BIG = {"data": {"source": "spiral", "samples": 120}, "layers": [{"units": 128}, {"units": 128}, {"units": 128}],
       "engine": "torch", "epochs": 1}


def _export(trainer, folder: Path, fmt: str) -> None:
    if fmt == "checkpoint":
        save_checkpoint(trainer, folder / "run.ckpt")
    else:
        export_model(trainer, folder / f"model.{fmt}", fmt)


@pytest.fixture(scope="module")
def trainer() -> Trainer:
    return Trainer(Experiment.model_validate(BIG))


@pytest.fixture
def small_disk():
    """A 64 KiB tmpfs, unmounted afterwards; skipped only where mounting is impossible."""
    folder = Path(tempfile.mkdtemp(prefix="layerlab-small-disk-"))
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip() or mounted.returncode}")
    try:
        yield folder
    finally:
        if subprocess.run(["umount", str(folder)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)  # a file still open: detach
        try:
            folder.rmdir()
        except OSError:
            pass


@pytest.fixture
def disk_full(monkeypatch):
    """Every plain write of a file fails with ENOSPC after a few bytes (what a full disk does)."""
    import core.files.atomic

    def full(path, data):
        with open(path, "wb") as fh:
            fh.write(data[:10])
            if any(name in str(path) for name in EXPORT_NAMES):  # the CLI's results still fit
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            fh.write(data[10:])

    monkeypatch.setattr(core.files.atomic, "write_all", full)
    for module in ("core.files.checkpoint", "core.export.torchscript", "core.export.onnx_export", "core.export.pycode"):
        monkeypatch.setattr(f"{module}.write_all", full)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("fmt", FORMATS)
def test_full_tmpfs_gives_a_clear_error_and_leaves_nothing(trainer, small_disk, fmt):
    error = CheckpointError if fmt == "checkpoint" else ExportError
    with pytest.raises(error, match=FULL) as info:
        _export(trainer, small_disk, fmt)
    assert str(small_disk) in str(info.value)
    assert list(small_disk.iterdir()) == []


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.parametrize("fmt", FORMATS)
def test_failing_write_keeps_the_previous_file_and_leaves_no_temp(trainer, tmp_path, disk_full, fmt):
    old = tmp_path / ("run.ckpt" if fmt == "checkpoint" else f"model.{fmt}")
    old.write_bytes(b"the previous export")
    error = CheckpointError if fmt == "checkpoint" else ExportError
    with pytest.raises(error, match=FULL):
        _export(trainer, tmp_path, fmt)
    assert old.read_bytes() == b"the previous export"
    assert sorted(p.name for p in tmp_path.iterdir()) == [old.name]


def test_autosave_writer_on_a_full_disk_fails_cleanly(trainer, tmp_path, disk_full):
    from core.files.autosave import AutosaveError, AutosaveStore
    from core.files.checkpoint import write_checkpoint

    store = AutosaveStore(tmp_path / "autosave")
    with pytest.raises(AutosaveError, match=FULL):
        store.save(trainer.spec, lambda tmp: write_checkpoint(trainer, tmp))
    assert not [p for p in (tmp_path / "autosave").rglob("*") if p.name.endswith(".tmp") or p.suffix == ".pt"]


def _cli(folder: Path, out: Path, fmt: str) -> subprocess.CompletedProcess:
    exp = folder / "big.json"
    exp.write_text(json.dumps(BIG))
    return subprocess.run([sys.executable, "-m", "core", "train", str(exp), "--out", str(out), "--export", fmt,
                           "--quiet"], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO)})


@pytest.mark.parametrize("fmt", ["torchscript", "checkpoint"])
def test_cli_export_to_a_full_disk_is_one_error_line_not_an_abort(tmp_path, small_disk, fmt):
    run = _cli(tmp_path, small_disk, fmt)  # a subprocess: an abort (SIGABRT) would show as -6
    assert run.returncode == 1, (run.returncode, run.stderr[-2000:])
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"layerlab: error: {fmt} export failed: cannot write")
    assert FULL in lines[0] and "Traceback" not in run.stderr
    left = sorted(p.name for p in small_disk.iterdir())
    assert left == ["history.csv", "metrics.json"], left  # the results fit; no export, no temp file


@pytest.mark.parametrize("fmt", FORMATS)
def test_cli_on_a_failing_disk_reports_it_in_one_line(tmp_path, disk_full, capsys, fmt):
    exp = tmp_path / "big.json"
    exp.write_text(json.dumps({**BIG, "layers": [{"units": 4}]}))
    out = tmp_path / "run"
    out.mkdir()
    assert main(["train", str(exp), "--out", str(out), "--export", fmt, "--quiet"]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"layerlab: error: {fmt} export failed") and FULL in err[0]
    assert sorted(p.name for p in out.iterdir()) == ["history.csv", "metrics.json"]
