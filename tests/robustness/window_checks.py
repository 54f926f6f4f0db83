"""Shared by the robustness suite's conftest and its window tests: tests/app's window helpers
(quick spec, started windows, the timer scan) and the leftover check.

tests/app/conftest.py is loaded here under its own module name, because pytest imports every
non-package conftest as plain `conftest`, so `from conftest import ...` would be ambiguous.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path


def _load_app_fixtures():
    path = Path(__file__).resolve().parents[1] / "app" / "conftest.py"
    spec = importlib.util.spec_from_file_location("_layerlab_app_test_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


app_fixtures = _load_app_fixtures()
THREAD_STOP_MS = app_fixtures.THREAD_STOP_MS
quick_spec = app_fixtures.quick_spec
open_window = app_fixtures.open_window


def leftovers() -> tuple[list, list[str]]:
    """(training threads still running, timers still active in top-level widgets), after deferred
    deletes and pending events have been processed."""
    from PySide6.QtCore import QCoreApplication, QEvent

    from app.worker import live_threads

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    QCoreApplication.processEvents()
    return live_threads(), app_fixtures._running_timers()
