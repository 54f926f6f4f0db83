"""torch and the Trainer imported on a background thread, once per process, so the window's first epochs
(core/training/prelude.py) train while they load (~2 s). The fused kernels release the GIL, so on a
machine with two cores the import and the training run side by side."""

from __future__ import annotations

import importlib
import threading

_lock = threading.Lock()
_thread: threading.Thread | None = None
_done = threading.Event()


def start() -> None:
    """Begin the import (once per process); `ready()` says when it is over. A failed import is left for
    the caller's own `from core.training.trainer import Trainer` to raise."""
    global _thread
    with _lock:
        if _thread is not None:
            return
        _thread = threading.Thread(target=_load, name="torch-import", daemon=True)
        _thread.start()


def _load() -> None:
    try:
        importlib.import_module("core.training.trainer")  # torch and everything the Trainer needs
    except BaseException:  # noqa: BLE001 - the caller's import raises it again, where it is reported
        pass
    finally:
        _done.set()


def started() -> bool:
    """Whether `start()` has been called in this process."""
    return _thread is not None


def ready() -> bool:
    """Whether the import `start()` began is over (True also when it failed)."""
    return _done.is_set()


def join(timeout: float) -> bool:
    """Wait up to `timeout` seconds for a begun import to end (at exit: an interpreter must not shut down
    under a thread still importing); True if none is under way."""
    return _done.wait(timeout) if _thread is not None else True
