"""Work begun on a daemon thread, so the caller goes on meanwhile and asks later whether it is over:
importing torch, once per process (core/training/torch_loading.py), and each run's load of the fused
kernels (core/engines/fused_warmup.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable


class OnceThread:
    """`target` run at most once, on a daemon thread, by the first `start()`. Its failures are swallowed:
    the caller's own later call (an import, a warm-up) raises them again where they are reported."""

    def __init__(self, target: Callable[[], object], name: str) -> None:
        self._target = target
        self._name = name
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._done = threading.Event()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            self._target()
        except BaseException:  # noqa: BLE001, S110 - see the class docstring
            pass
        finally:
            self._done.set()

    @property
    def started(self) -> bool:
        return self._thread is not None

    def ready(self) -> bool:
        """Whether the work `start()` began is over (True also when it failed)."""
        return self._done.is_set()

    def join(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds for begun work to end; True if none is under way."""
        return self._done.wait(timeout) if self._thread is not None else True
