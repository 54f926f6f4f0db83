"""The window fixtures of tests/app (`window`, `make_window`, `spec_factory`) for the robustness
suite, and the same leftover check: a test here that used Qt fails if it leaves a training thread
running or a timer ticking.

The check runs as a teardown hook rather than an autouse fixture, so the hypothesis tests in this
folder (which refuse function-scoped fixtures) and the Qt-free tests stay as they are.
"""

from __future__ import annotations

import importlib.util

import pytest
import torch
from window_checks import THREAD_STOP_MS, app_fixtures, leftovers

torch.set_num_threads(1)  # two shared cores: one torch thread per test process

window = app_fixtures.window              # fixtures, re-exported for this folder
make_window = app_fixtures.make_window
spec_factory = app_fixtures.spec_factory


@pytest.fixture
def isolated_user_files(tmp_path, monkeypatch):
    """What tests/app does for every test, for the window tests here (opt in with
    `pytestmark = pytest.mark.usefixtures("isolated_user_files")`; an autouse fixture would trip
    hypothesis): autosave writes under tmp_path, and closing a window with unsaved changes discards
    them instead of waiting on a modal question."""
    monkeypatch.setenv("LAYERLAB_DATA_DIR", str(tmp_path / "layerlab-data"))
    if importlib.util.find_spec("app.files.session_files") is not None:
        monkeypatch.setattr("app.files.session_files.ask_unsaved_changes", lambda parent, name: "discard")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """Once every fixture of a Qt test is torn down (its windows closed), fail it if a training
    thread or a timer is left, as tests/app's autouse fixture does."""
    result = yield
    if "qapp" in getattr(item, "fixturenames", ()):
        from app.worker import wait_for_all

        threads, timers = leftovers()
        if threads:
            wait_for_all(THREAD_STOP_MS)  # do not let it leak into the next test either
        assert not threads, f"{item.nodeid}: {len(threads)} training thread(s) still running after the test"
        assert not timers, f"{item.nodeid}: timers still running after the test: {timers}"
    return result
