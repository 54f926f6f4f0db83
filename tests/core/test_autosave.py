"""Autosave and recovery: what a killed session left is offered, a clean exit or a live window is not."""

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from core.files.autosave import ENV_DATA_DIR, MANIFEST, AutosaveError, AutosaveStore, default_autosave_folder
from core.spec import Experiment, parse_experiment

ROOT = Path(__file__).resolve().parents[2]


def _spec(**changes) -> Experiment:
    return Experiment().replace(**changes)


def _write_bytes(data: bytes):
    def writer(path: Path) -> None:
        path.write_bytes(data)
    return writer


def test_default_folder_follows_the_environment_variable(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path))
    assert default_autosave_folder() == tmp_path / "autosave"
    assert AutosaveStore().root == tmp_path / "autosave"


def test_round_trip_of_a_dead_session(tmp_path, monkeypatch):
    store = AutosaveStore(tmp_path)
    spec = _spec(seed=42, batch_size=17)
    store.save(spec, _write_bytes(b"weights v1"), source_path="/home/u/spiral.json")
    folder = store.save(spec.replace(seed=43), _write_bytes(b"weights v2"))
    assert (folder / "experiment.json").is_file()
    assert parse_experiment(json.loads((folder / "experiment.json").read_text())).seed == 43
    assert [p.name for p in folder.glob("checkpoint.*.pt")] == ["checkpoint.2.pt"], "old checkpoints pruned"

    # This process is alive, so its own files are never offered...
    assert AutosaveStore.find_recoverable(tmp_path) is None
    # ...until it looks dead (a lock naming a process that no longer exists).
    lock = json.loads((folder / "lock").read_text())
    (folder / "lock").write_text(json.dumps({**lock, "pid": _dead_pid()}))
    rec = AutosaveStore.find_recoverable(tmp_path)
    assert rec is not None
    assert rec.spec.seed == 43 and rec.spec.batch_size == 17
    assert rec.checkpoint_path.read_bytes() == b"weights v2"
    assert rec.source_path is None
    assert "with trained weights" in rec.describe()
    rec.discard()
    assert not folder.exists()
    assert AutosaveStore.find_recoverable(tmp_path) is None


def test_clean_close_leaves_nothing_to_recover(tmp_path):
    store = AutosaveStore(tmp_path)
    store.save(_spec(seed=5), _write_bytes(b"w"))
    store.close_cleanly()
    assert list(tmp_path.iterdir()) == []
    assert AutosaveStore.find_recoverable(tmp_path) is None


def test_discard_keeps_the_session_but_nothing_to_offer(tmp_path):
    store = AutosaveStore(tmp_path)
    folder = store.save(_spec(seed=5))
    store.discard()
    assert [p.name for p in folder.iterdir()] == ["lock"]


def test_failed_checkpoint_writer_leaves_previous_autosave_intact(tmp_path):
    store = AutosaveStore(tmp_path)
    folder = store.save(_spec(seed=1), _write_bytes(b"good"))

    def broken(path: Path) -> None:
        path.write_bytes(b"half")
        raise OSError(28, "No space left on device")

    with pytest.raises(AutosaveError, match="the disk is full; nothing was written"):
        store.save(_spec(seed=2), broken)
    manifest = json.loads((folder / MANIFEST).read_text())
    assert manifest["spec"]["seed"] == 1
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith("lock")) == [
        "autosave.json", "checkpoint.1.pt", "experiment.json"]


def test_unwritable_folder_gives_a_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(AutosaveError, match=str(blocker)):
        AutosaveStore(blocker / "autosave").save(_spec())


def test_corrupt_autosave_is_moved_aside_with_a_message(tmp_path):
    store = AutosaveStore(tmp_path)
    folder = store.save(_spec(seed=3))
    (folder / "lock").write_text(json.dumps({"pid": _dead_pid()}))
    (folder / MANIFEST).write_text('{"version": 1, "spec": {"layers": "many"')  # cut off mid-write
    messages = []
    assert AutosaveStore.find_recoverable(tmp_path, report=messages.append) is None
    assert len(messages) == 1 and "could not be read" in messages[0]
    assert not folder.exists()
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("corrupt-")]
    assert len(aside) == 1 and (aside[0] / MANIFEST).exists()
    assert AutosaveStore.find_recoverable(tmp_path, report=messages.append) is None
    assert len(messages) == 1, "a file moved aside is not reported again"


def test_invalid_spec_in_autosave_is_not_offered(tmp_path):
    store = AutosaveStore(tmp_path)
    folder = store.save(_spec())
    (folder / "lock").write_text(json.dumps({"pid": _dead_pid()}))
    manifest = json.loads((folder / MANIFEST).read_text())
    manifest["spec"]["batch_size"] = -3
    (folder / MANIFEST).write_text(json.dumps(manifest))
    messages = []
    assert AutosaveStore.find_recoverable(tmp_path, report=messages.append) is None
    assert "batch_size" in messages[0]


def test_dead_session_that_never_saved_is_cleaned_up(tmp_path):
    store = AutosaveStore(tmp_path)
    folder = store.start()
    (folder / "lock").write_text(json.dumps({"pid": _dead_pid()}))
    assert AutosaveStore.find_recoverable(tmp_path) is None
    assert not folder.exists()


def test_newest_of_two_dead_sessions_is_offered(tmp_path):
    old, new = AutosaveStore(tmp_path), AutosaveStore(tmp_path)
    for store, seed, t in ((old, 1, 1000.0), (new, 2, 2000.0)):
        folder = store.save(_spec(seed=seed))
        manifest = json.loads((folder / MANIFEST).read_text())
        (folder / MANIFEST).write_text(json.dumps({**manifest, "saved_at": t}))
        (folder / "lock").write_text(json.dumps({"pid": _dead_pid()}))
    assert AutosaveStore.find_recoverable(tmp_path).spec.seed == 2


CHILD = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from core.files.autosave import AutosaveStore
    from core.spec import Experiment
    store = AutosaveStore(Path(sys.argv[1]))
    spec = Experiment().replace(seed=int(sys.argv[2]), epochs=777)
    store.save(spec, lambda p: p.write_bytes(b"child weights"))
    print("saved", flush=True)
    time.sleep(120)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_session_killed_with_sigkill_is_offered_and_a_live_one_is_not(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), "1234"], cwd=ROOT, env=env,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "saved"
        assert AutosaveStore.find_recoverable(tmp_path) is None, "a live window's autosave was offered"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        child.stdout.close()
    rec = AutosaveStore.find_recoverable(tmp_path)
    assert rec is not None
    assert rec.spec.seed == 1234 and rec.spec.epochs == 777
    assert rec.pid == child.pid
    assert rec.checkpoint_path.read_bytes() == b"child weights"


def _dead_pid() -> int:
    """The PID of a process that has exited (and been reaped)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid
