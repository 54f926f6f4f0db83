"""The one conftest of the suite: window fixtures, user-file isolation and the leftover check.

- Tests under tests/app get, for every test, a Qt application, autosave under a temporary folder
  and closing without the modal unsaved-changes question; other tests opt in with
  `pytestmark = pytest.mark.usefixtures("isolated_user_files")` (an autouse fixture would trip
  hypothesis, which refuses function-scoped fixtures).
- Any test that used Qt fails if it leaves a training thread running or a timer ticking.
Qt is imported only inside fixtures and hooks, so tests/core runs without it.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
import torch
from window_checks import THREAD_STOP_MS, leftovers, open_window, quick_spec

torch.set_num_threads(1)  # two shared cores: one torch thread per test process

APP_TESTS = Path(__file__).resolve().parent / "app"
_PATCHES = pytest.StashKey[tuple[pytest.MonkeyPatch, str]]()


def _isolate(monkeypatch: pytest.MonkeyPatch, data_dir: str) -> None:
    monkeypatch.setenv("LAYERLAB_DATA_DIR", data_dir)
    monkeypatch.setattr("app.files.session_files.ask_unsaved_changes", lambda parent, name: "discard")


def _is_app_test(item: pytest.Item) -> bool:
    return APP_TESTS in Path(item.path).resolve().parents


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every tests/app test runs with the Qt application (as if it asked for `qapp`)."""
    for item in items:
        if _is_app_test(item) and "qapp" not in item.fixturenames:
            item.fixturenames.insert(0, "qapp")


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if _is_app_test(item):
        data_dir = tempfile.mkdtemp(prefix="layerlab-data-")
        monkeypatch = pytest.MonkeyPatch()
        _isolate(monkeypatch, data_dir)
        item.stash[_PATCHES] = (monkeypatch, data_dir)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None):
    """Once every fixture of a Qt test is torn down (its windows closed), fail it if a training
    thread or a timer is left."""
    result = yield
    patched = item.stash.get(_PATCHES, None)
    if patched is not None:
        patched[0].undo()
        shutil.rmtree(patched[1], ignore_errors=True)
    if "qapp" in getattr(item, "fixturenames", ()):
        from app.worker import wait_for_all

        threads, timers = leftovers()
        if threads:
            wait_for_all(THREAD_STOP_MS)  # do not let it leak into the next test either
        assert not threads, f"{item.nodeid}: {len(threads)} training thread(s) still running after the test"
        assert not timers, f"{item.nodeid}: timers still running after the test: {timers}"
    return result


@pytest.fixture(scope="session", autouse=True)
def fused_kernels_compiled() -> None:
    """The fused engine's kernels compiled (or loaded from numba's disk cache) once, before the first test.
    On a fresh checkout the cache is empty and the compile takes ~45 s on two cores: it would otherwise fall
    inside whichever window test starts a fused run first and use up its start-up timeout (it did in CI).
    Later processes (the CLI, sweeps) load the cache this writes. The compile-notice tests fake a slow one."""
    from core.engines import fused_warmup

    fused_warmup.warm_up()


@pytest.fixture
def isolated_user_files(tmp_path, monkeypatch):
    """Autosave writes under tmp_path, and closing a window with unsaved changes discards them
    instead of waiting on a modal question (automatic under tests/app)."""
    _isolate(monkeypatch, str(tmp_path / "layerlab-data"))


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

    def factory(spec=None, settings=None, restore: bool = False):
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
