"""Fixtures for the window tests: a real MainWindow that never touches the user's settings, and a
check, for every test here, that no training thread or running timer is left behind."""

from __future__ import annotations

import pytest
import torch

import app  # noqa: F401 - pyqtgraph binding/options and the PySide6 None-refcount guard
from PySide6.QtCore import QCoreApplication, QEvent, QTimer
from PySide6.QtWidgets import QApplication

from core.spec import Experiment

THREAD_STOP_MS = 30_000  # a first-time numba compile cannot be interrupted; it ends by itself


def quick_spec(**changes) -> Experiment:
    """A small, fast experiment: gauss, 200 points, the plain torch engine (no JIT compile)."""
    base = Experiment().replace(data={"source": "gauss", "samples": 200, "noise": 0.0, "train_fraction": 0.5},
                                engine="torch", batch_size=10)
    return base.replace(**changes) if changes else base


def _running_timers() -> list[str]:
    found = []
    for widget in QApplication.topLevelWidgets():
        for timer in widget.findChildren(QTimer):
            if timer.isActive():
                found.append(f"{type(widget).__name__}/{timer.objectName() or 'QTimer'}"
                             f" ({timer.interval()} ms)")
    return found


@pytest.fixture(autouse=True)
def no_user_files_or_modal_questions(tmp_path, monkeypatch):
    """Autosave (if a test turns it on) writes under tmp_path, never the user's data folder, and
    closing a window with unsaved changes discards them instead of showing a blocking question."""
    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(tmp_path / "layerlab-data"))
    monkeypatch.setattr("app.files.session_files.ask_unsaved_changes", lambda parent, name: "discard")


@pytest.fixture(autouse=True)
def no_dangling_threads_or_timers(qapp):
    """Fail a test that leaves a training thread running or a timer ticking in a widget."""
    torch.set_num_threads(1)
    yield
    from app.worker import live_threads, wait_for_all

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    leftover = live_threads()
    timers = _running_timers()
    if leftover:
        wait_for_all(THREAD_STOP_MS)  # do not let it leak into the next test either
    assert not leftover, f"{len(leftover)} training thread(s) still running after the test"
    assert not timers, f"timers still running after the test: {timers}"


def open_window(qtbot, spec: Experiment | None = None, settings=None, restore: bool = False):
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
    qtbot.waitUntil(lambda: window.controller.dataset is not None and window.frames.redraw_count > 0, timeout=60_000)
    return window


@pytest.fixture
def window(qtbot):
    """A started window on the quick spec; closing it stops and waits for the training thread."""
    w = open_window(qtbot)
    yield w
    w.close()
    from app.worker import live_threads

    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)


@pytest.fixture
def make_window(qtbot):
    """Factory: make_window(spec=None, settings=None, restore=False) -> a started MainWindow;
    every window made is closed (and its thread waited for) at the end of the test."""
    made = []

    def factory(spec: Experiment | None = None, settings=None, restore: bool = False):
        w = open_window(qtbot, spec, settings, restore)
        made.append(w)
        return w

    yield factory
    from app.worker import live_threads

    for w in made:
        w.close()
    qtbot.waitUntil(lambda: not live_threads(), timeout=THREAD_STOP_MS)


@pytest.fixture
def spec_factory():
    """quick_spec(**changes): the fast test experiment with some top-level fields replaced."""
    return quick_spec

