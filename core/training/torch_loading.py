"""torch and the Trainer imported on a background thread, once per process, so the window's first epochs
(core/training/prelude.py) train while they load (~2 s). The fused kernels release the GIL, so on a
machine with two cores the import and the training run side by side. A failed import is left for the
caller's own `from core.training.trainer import Trainer` to raise."""

from __future__ import annotations

import importlib

from core.background import OnceThread

_import = OnceThread(lambda: importlib.import_module("core.training.trainer"), "torch-import")


def start() -> None:
    """Begin the import (once per process); `ready()` says when it is over."""
    _import.start()


def started() -> bool:
    """Whether `start()` has been called in this process."""
    return _import.started


def ready() -> bool:
    """Whether the import `start()` began is over (True also when it failed)."""
    return _import.ready()


def join(timeout: float) -> bool:
    """Wait up to `timeout` seconds for a begun import to end (at exit: an interpreter must not shut down
    under a thread still importing); True if none is under way."""
    return _import.join(timeout)
