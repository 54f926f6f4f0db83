"""Helpers for the window tests anywhere under tests/: the quick experiment, a started window, and
the leftover check (training threads still running, timers still ticking). Qt is imported inside
the functions, so Qt-free tests can import this module too."""

from __future__ import annotations

from typing import Any

from core.spec import Experiment

THREAD_STOP_MS = 30_000  # a first-time numba compile cannot be interrupted; it ends by itself


def quick_spec(**changes) -> Experiment:
    """A small, fast experiment: gauss, 200 points, the plain torch engine (no JIT compile)."""
    base = Experiment().replace(data={"source": "gauss", "samples": 200, "noise": 0.0, "train_fraction": 0.5},
                                engine="torch", batch_size=10)
    return base.replace(**changes) if changes else base


def running_timers() -> list[str]:
    """The active QTimers of the top-level widgets, as 'Widget/name (ms)'."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    found = []
    for widget in QApplication.topLevelWidgets():
        for timer in widget.findChildren(QTimer):
            if timer.isActive():
                found.append(f"{type(widget).__name__}/{timer.objectName() or 'QTimer'}"
                             f" ({timer.interval()} ms)")
    return found


def leftovers() -> tuple[list, list[str]]:
    """(training threads still running, timers still active in top-level widgets), after deferred
    deletes and pending events have been processed."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from app.worker import live_threads

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    return live_threads(), running_timers()


def open_window(qtbot: Any, spec: Experiment | None = None, settings: Any = None, restore: bool = False) -> Any:
    """Show a MainWindow on `spec` (the quick spec, or with restore=True the remembered one), and
    wait until its trainer is built and has sent a snapshot."""
    from app.window import MainWindow

    if spec is None and not restore:
        spec = quick_spec()
    window = MainWindow(settings=settings, restore=restore, spec=spec)
    window.files.ask_unsaved = lambda parent, name: "discard"  # closing never waits on a modal question
    qtbot.addWidget(window)
    window.show()
    window.controller.ensure_started()
    qtbot.waitUntil(lambda: window.controller.dataset is not None and window.frames.redraw_count > 0,
                    timeout=60_000)
    return window


def dead_pid() -> int:
    """The pid of a process that has ended (what a killed LayerLab leaves in its autosave lock)."""
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def as_if_killed(window: Any) -> Any:
    """End `window`'s autosave as a kill would: no clean exit, its files stay, and the lock names a
    process that is gone. Returns the autosave's session folder (a Path)."""
    import json
    from pathlib import Path

    session = Path(window.files.autosave.session_dir)
    window.files.autosave.stop(clean=False)
    window.files.autosave = None
    lock = json.loads((session / "lock").read_text())
    (session / "lock").write_text(json.dumps({**lock, "pid": dead_pid()}))
    return session


def recovering_window(qtbot: Any, session: Any, spec: Experiment) -> Any:
    """A new, shown window on `spec` whose autosave store holds the killed session's folder."""
    from app.window import MainWindow
    from core.files.autosave import AutosaveStore

    window = MainWindow(settings=None, restore=False, spec=spec, autosave=AutosaveStore(session.parent))
    window.files.ask_unsaved = lambda parent, name: "discard"
    qtbot.addWidget(window)
    window.show()
    return window


def as_if_torch_not_loaded(monkeypatch: Any) -> None:
    """Runs begin as in a fresh process, before torch has loaded: with a prelude (core/training/prelude.py),
    and torch 'loads' (it is in already) once the run thread begins the import."""
    import importlib

    from core.background import OnceThread

    monkeypatch.setattr("app.worker.trainer_loaded", lambda: False)
    monkeypatch.setattr("core.training.torch_loading._import",
                        OnceThread(lambda: importlib.import_module("core.training.trainer"), "torch-import"))
