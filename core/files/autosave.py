"""Autosave and crash recovery: the current experiment (and a checkpoint) kept safe every few seconds.

Wiring (the GUI does this through app.files.autosave.AutosaveController; the CLI needs none):

    rec = AutosaveStore.find_recoverable()      # at start, BEFORE starting this session's store
    if rec: restore rec.spec (+ load_checkpoint(rec.checkpoint_path) if any), then rec.discard()
    store = AutosaveStore(); store.start()      # writes this session's lock (PID)
    store.save(spec, checkpoint_writer)         # every few seconds when something changed
    store.close_cleanly()                       # on a normal exit: nothing is left to recover
    store.discard()                             # e.g. after File > Save: the work is safe elsewhere

Layout: each running LayerLab has its own folder `<data dir>/autosave/session-<pid>-<token>/`
holding `lock` (PID, host, process start time), `experiment.json` (a plain experiment file with the
window's kept runs, so it also opens with File > Open), `checkpoint.<n>.pt` and `autosave.json`, the manifest written last
(the commit point: spec, time, checkpoint name). Every file is written atomically (core.files.atomic),
so a kill at any moment leaves either the previous save or the new one, never a mix. Two windows
open at once never overwrite or recover each other's files: a folder whose lock names a live
process is left alone. The data dir is platformdirs' user data dir for "LayerLab", or
$LAYERLAB_DATA_DIR when set (tests and benchmarks use it).
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from core.files.atomic import WriteError, atomic_write_text, atomic_write_with
from core.spec import Experiment, SpecError, parse_experiment
from core.spec.files import experiment_text

log = logging.getLogger(__name__)

ENV_DATA_DIR = "LAYERLAB_DATA_DIR"
MANIFEST = "autosave.json"
EXPERIMENT = "experiment.json"
LOCK = "lock"
_SESSION_PREFIX = "session-"
_CORRUPT_PREFIX = "corrupt-"
_MANIFEST_VERSION = 1

CheckpointWriter = Callable[[Path], None]


class AutosaveError(OSError):
    """An autosave could not be written; the message names the folder and the reason."""


def default_autosave_folder() -> Path:
    """`$LAYERLAB_DATA_DIR/autosave` when the variable is set, else the platform's user data dir."""
    base = os.environ.get(ENV_DATA_DIR)
    if base:
        return Path(base).expanduser() / "autosave"
    import platformdirs

    return Path(platformdirs.user_data_dir("LayerLab", appauthor=False)) / "autosave"


@dataclass(frozen=True)
class AutosaveState:
    """What one autosave holds: the spec, optionally a checkpoint writer and the file it came from."""

    spec: Experiment
    checkpoint_writer: CheckpointWriter | None = None
    source_path: str | None = None
    runs: list[dict] | None = None  # the window's kept runs (core.runs.RunList.to_json()), never mutated


@dataclass(frozen=True)
class Recovery:
    """What a crashed or killed session left: restore `spec` (and the checkpoint if there is one)."""

    folder: Path
    spec: Experiment
    saved_at: datetime              # local time of the last autosave
    checkpoint_path: Path | None    # load with core.files.checkpoint.load_checkpoint; None if untrained
    source_path: str | None         # the experiment file that was open, if it had been saved
    pid: int
    runs: list | None = None        # the kept runs as saved (core.runs.RunList.from_json reads them)

    def describe(self) -> str:
        """One line for the recovery question, e.g. 'spiral, 2 hidden layers, with trained weights'."""
        layers = len(self.spec.layers)
        what = f"{self.spec.data.source.value}, {layers} hidden layer{'s' if layers != 1 else ''}"
        if self.checkpoint_path is not None:
            what += ", with trained weights"
        if self.source_path:
            what += f" (from {Path(self.source_path).name})"
        return what

    def discard(self) -> None:
        """Delete these files (after restoring them, or when the user declines)."""
        shutil.rmtree(self.folder, ignore_errors=True)


# --- processes -----------------------------------------------------------------------------------

def _process_start_time(pid: int) -> str | None:
    """Kernel start time of `pid` (Linux), so a reused PID is not mistaken for the old session."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    try:
        return stat[stat.rindex(")") + 2:].split()[19]  # field 22, counted after "pid (comm)"
    except (ValueError, IndexError):
        return None


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send Ctrl+C there
        import ctypes

        kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel32.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except OSError:
        return False
    return True


def _lock_is_live(lock: dict) -> bool:
    """True while the process that wrote `lock` still runs (another host's lock counts as live)."""
    if lock.get("host") not in (None, socket.gethostname()):
        return True  # a shared home folder: we cannot see that machine's processes
    pid = lock.get("pid")
    if not isinstance(pid, int) or not _pid_alive(pid):
        return False
    started = lock.get("process_start")
    return started is None or _process_start_time(pid) in (None, started)


def _read_json(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# --- the store -----------------------------------------------------------------------------------

class AutosaveStore:
    """One LayerLab session's autosave folder, plus finding what a dead session left behind."""

    def __init__(self, folder: Path | None = None) -> None:
        self.root = Path(folder) if folder is not None else default_autosave_folder()
        self.session_dir: Path | None = None
        self._generation = 0

    @property
    def started(self) -> bool:
        return self.session_dir is not None

    def start(self) -> Path:
        """Create this session's folder and lock (PID); idempotent. Raises AutosaveError."""
        if self.session_dir is not None:
            return self.session_dir
        pid = os.getpid()
        folder = self.root / f"{_SESSION_PREFIX}{pid}-{secrets.token_hex(4)}"
        try:
            folder.mkdir(parents=True, exist_ok=False)
            lock = {"pid": pid, "host": socket.gethostname(), "process_start": _process_start_time(pid),
                    "started_at": time.time()}
            atomic_write_text(folder / LOCK, json.dumps(lock))
        except OSError as err:
            shutil.rmtree(folder, ignore_errors=True)
            raise AutosaveError(f"cannot start autosave in {self.root}: {getattr(err, 'strerror', None) or err}; "
                                f"set {ENV_DATA_DIR} to a writable folder") from None
        self.session_dir = folder
        return folder

    def save(self, spec: Experiment, checkpoint_writer: CheckpointWriter | None = None,
             source_path: str | Path | None = None, runs: list[dict] | None = None) -> Path:
        """Write the spec (and a checkpoint via `checkpoint_writer(tmp_path)`, and the kept `runs` in
        experiment.json) atomically.

        The manifest is written last, so a kill mid-save leaves the previous autosave intact.
        Returns the session folder. Raises AutosaveError (nothing half-written is left).
        """
        folder = self.start()
        self._generation += 1
        checkpoint_name = None
        try:
            if checkpoint_writer is not None:
                checkpoint_name = f"checkpoint.{self._generation}.pt"
                atomic_write_with(folder / checkpoint_name, checkpoint_writer)
            atomic_write_text(folder / EXPERIMENT, experiment_text(spec, runs))
            manifest = {
                "version": _MANIFEST_VERSION,
                "saved_at": time.time(),
                "spec": spec.to_dict(),
                "checkpoint": checkpoint_name,
                "source_path": str(source_path) if source_path else None,
                "runs": len(runs or ()),  # how many experiment.json holds (read back only when some)
            }
            atomic_write_text(folder / MANIFEST, json.dumps(manifest, indent=1))
        except WriteError as err:
            if checkpoint_name:
                (folder / checkpoint_name).unlink(missing_ok=True)
            raise AutosaveError(f"autosave failed: {err}") from None
        for old in folder.glob("checkpoint.*.pt"):  # superseded checkpoints, now that the manifest moved on
            if old.name != checkpoint_name:
                old.unlink(missing_ok=True)
        return folder

    def discard(self) -> None:
        """Forget this session's autosave but keep the session (lock) running."""
        if self.session_dir is None:
            return
        for child in self.session_dir.iterdir():
            if child.name != LOCK:
                child.unlink(missing_ok=True)

    def close_cleanly(self) -> None:
        """A normal exit: remove the lock and the autosave, so nothing is offered next time."""
        if self.session_dir is not None:
            shutil.rmtree(self.session_dir, ignore_errors=True)
            self.session_dir = None

    # --- recovery ---------------------------------------------------------------------------------

    @classmethod
    def find_recoverable(cls, folder: Path | None = None,
                         report: Callable[[str], None] | None = None) -> Recovery | None:
        """The newest autosave a crashed or killed session left, or None.

        Sessions whose lock names a live process (another open window, or this one) are skipped.
        A dead session that never saved is cleaned up. A corrupt autosave is moved aside to
        `corrupt-...` and `report` (default: a logged warning) gets a message saying where.
        """
        root = Path(folder) if folder is not None else default_autosave_folder()
        say = report or log.warning
        found: list[Recovery] = []
        try:
            candidates = sorted(p for p in root.iterdir() if p.is_dir() and p.name.startswith(_SESSION_PREFIX))
        except OSError:
            return None
        for session in candidates:
            lock = _read_json(session / LOCK)
            if lock is not None and (lock.get("pid") == os.getpid() or _lock_is_live(lock)):
                continue
            if not (session / MANIFEST).exists():
                if lock is None and _younger_than(session, 10.0):
                    continue  # a session that is starting right now, before its lock is written
                shutil.rmtree(session, ignore_errors=True)  # died before its first save: nothing to offer
                continue
            try:
                found.append(_read_recovery(session, lock))
            except SpecError as err:
                aside = _move_aside(root, session)
                say(f"The autosave in {session} could not be read ({err}); it was moved to {aside} "
                    f"and is not offered for recovery. You may delete that folder.")
        return max(found, key=lambda r: r.saved_at) if found else None


def _younger_than(path: Path, seconds: float) -> bool:
    try:
        return time.time() - path.stat().st_mtime < seconds
    except OSError:
        return False


def _read_recovery(session: Path, lock: dict | None) -> Recovery:
    manifest = _read_json(session / MANIFEST)
    if manifest is None:
        raise SpecError(f"{MANIFEST} is not a JSON object")
    version = manifest.get("version")
    if version != _MANIFEST_VERSION:
        raise SpecError(f"{MANIFEST} has version {version!r}, expected {_MANIFEST_VERSION}")
    spec = parse_experiment(manifest.get("spec"))
    checkpoint = manifest.get("checkpoint")
    checkpoint_path = None
    if checkpoint:
        if not isinstance(checkpoint, str) or Path(checkpoint).name != checkpoint:
            raise SpecError(f"{MANIFEST} names an invalid checkpoint {checkpoint!r}")
        checkpoint_path = session / checkpoint
        if not checkpoint_path.is_file():
            raise SpecError(f"the checkpoint {checkpoint} it names is missing")
    saved_at = manifest.get("saved_at")
    if not isinstance(saved_at, (int, float)):
        raise SpecError(f"{MANIFEST} has no valid saved_at time")
    source = manifest.get("source_path")
    pid = lock.get("pid") if lock else None
    return Recovery(folder=session, spec=spec, saved_at=datetime.fromtimestamp(saved_at, timezone.utc).astimezone(),
                    checkpoint_path=checkpoint_path, source_path=source if isinstance(source, str) else None,
                    pid=pid if isinstance(pid, int) else -1,
                    runs=_read_runs(session) if manifest.get("runs") else None)


def _read_runs(session: Path) -> list | None:
    """The kept runs saved beside the spec; None when unreadable (the experiment is still offered)."""
    data = _read_json(session / EXPERIMENT)
    runs = data.get("runs") if data is not None else None
    if not isinstance(runs, list):
        log.warning("the kept runs in %s could not be read; recovering the experiment without them", session)
        return None
    return runs


def _move_aside(root: Path, session: Path) -> Path:
    aside = root / f"{_CORRUPT_PREFIX}{datetime.now().strftime('%Y%m%d-%H%M%S')}-{session.name}"
    try:
        session.rename(aside)
    except OSError:
        shutil.rmtree(session, ignore_errors=True)  # cannot keep it: at least stop offering it
        return session
    (aside / LOCK).unlink(missing_ok=True)
    return aside
